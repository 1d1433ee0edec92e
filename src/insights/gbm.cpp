#include "insights/gbm.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <thread>

namespace revlens::insights {
namespace {

/// Throw GbmError with XGBoost's message when a C API call failed. XGBGetLastError is thread-local and the next
/// XGBoost call overwrites it, so it is read here, at once, on the calling thread.
void Check(int rc, const char* what) {
  if (rc != 0) {
    const char* msg = XGBGetLastError();
    throw GbmError(std::string("XGBoost ") + what + " failed: " + (msg ? msg : "(no message)"));
  }
}

struct DMatrixDeleter {
  void operator()(void* handle) const { XGDMatrixFree(handle); }
};
using DMatrixPtr = std::unique_ptr<void, DMatrixDeleter>;

DMatrixPtr MakeDMatrix(const FeatureMatrix& x, int threads) {
  if (x.values.size() != x.rows * x.cols) throw InvalidInputError("feature matrix: values do not match rows x cols");
  DMatrixHandle h = nullptr;
  Check(
      XGDMatrixCreateFromMat_omp(x.values.data(), x.rows, x.cols, std::numeric_limits<float>::quiet_NaN(), &h, threads),
      "creating a DMatrix");
  return DMatrixPtr(h);
}

void CheckLabels(const FeatureMatrix& x, const std::vector<float>& y, const char* what) {
  if (y.size() != x.rows) {
    throw InvalidInputError(std::string(what) + ": " + std::to_string(y.size()) + " labels for " +
                            std::to_string(x.rows) + " rows");
  }
  for (float v : y) {
    if (v != 0.0f && v != 1.0f) throw InvalidInputError(std::string(what) + ": labels must be 0 or 1");
  }
}

void SetLabels(void* dmat, const std::vector<float>& y) {
  Check(XGDMatrixSetFloatInfo(dmat, "label", y.data(), y.size()), "setting labels");
}

/// The number after the last ':' of an eval line such as "[12]\tvalid-logloss:0.123".
double ParseEval(const char* line) {
  const std::string s(line ? line : "");
  const auto pos = s.rfind(':');
  if (pos == std::string::npos) throw GbmError("XGBoost eval returned an unexpected line: " + s);
  return std::stod(s.substr(pos + 1));
}

}  // namespace

FeatureMatrix::FeatureMatrix(size_t r, size_t c)
    : rows(r), cols(c), values(r * c, std::numeric_limits<float>::quiet_NaN()) {}

FeatureMatrix FeatureMatrix::SelectRows(const std::vector<size_t>& index) const {
  FeatureMatrix out(index.size(), cols);
  for (size_t i = 0; i < index.size(); ++i) {
    const float* src = values.data() + index[i] * cols;
    std::copy(src, src + cols, out.values.data() + i * cols);
  }
  return out;
}

FeatureMatrix FeatureMatrix::SelectCols(const std::vector<size_t>& index) const {
  FeatureMatrix out(rows, index.size());
  for (size_t r = 0; r < rows; ++r)
    for (size_t j = 0; j < index.size(); ++j) out.values[r * index.size() + j] = values[r * cols + index[j]];
  return out;
}

void GbmClassifier::BoosterDeleter::operator()(void* handle) const {
  XGBoosterFree(handle);
}

GbmClassifier::GbmClassifier(GbmParams params) : params_(params) {}
GbmClassifier::~GbmClassifier() = default;
GbmClassifier::GbmClassifier(GbmClassifier&&) noexcept = default;
GbmClassifier& GbmClassifier::operator=(GbmClassifier&&) noexcept = default;

int GbmClassifier::Threads(size_t rows) const {
  if (params_.threads > 0) return params_.threads;
  return rows < 20000 ? 1 : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void GbmClassifier::UseThreads(size_t rows) const {
  const int t = Threads(rows);
  if (t == threads_set_) return;
  Check(XGBoosterSetParam(booster_.get(), "nthread", std::to_string(t).c_str()), "setting nthread");
  threads_set_ = t;
}

void GbmClassifier::ApplyParams(void* booster, size_t rows) const {
  auto set = [&](const char* name, const std::string& value) {
    Check(XGBoosterSetParam(booster, name, value.c_str()), (std::string("setting ") + name).c_str());
  };
  set("booster", "gbtree");
  set("tree_method", "hist");
  set("objective", "binary:logistic");
  set("eval_metric", "logloss");
  set("eta", std::to_string(params_.learning_rate));
  set("max_depth", std::to_string(params_.max_depth));
  set("min_child_weight", std::to_string(params_.min_child_weight));
  set("subsample", std::to_string(params_.subsample));
  set("colsample_bytree", std::to_string(params_.colsample_bytree));
  set("lambda", std::to_string(params_.reg_lambda));
  set("alpha", std::to_string(params_.reg_alpha));
  set("gamma", std::to_string(params_.gamma));
  set("max_bin", std::to_string(params_.max_bin));
  set("nthread", std::to_string(Threads(rows)));
  set("seed", std::to_string(params_.seed % 2147483647ULL));
  set("verbosity", "0");
}

void GbmClassifier::Fit(const FeatureMatrix& x, const std::vector<float>& y, const FeatureMatrix* valid_x,
                        const std::vector<float>* valid_y) {
  if (x.rows == 0 || x.cols == 0) throw InvalidInputError("cannot train on an empty feature matrix");
  CheckLabels(x, y, "training set");
  const bool has_valid = valid_x != nullptr && valid_y != nullptr && valid_x->rows > 0;
  if (has_valid) {
    if (valid_x->cols != x.cols) throw InvalidInputError("validation set: column count differs from the training set");
    CheckLabels(*valid_x, *valid_y, "validation set");
  }
  DMatrixPtr dtrain = MakeDMatrix(x, Threads(x.rows));
  SetLabels(dtrain.get(), y);
  DMatrixPtr dvalid;
  if (has_valid) {
    dvalid = MakeDMatrix(*valid_x, Threads(x.rows));
    SetLabels(dvalid.get(), *valid_y);
  }
  void* cache[1] = {dtrain.get()};
  BoosterHandle raw = nullptr;
  Check(XGBoosterCreate(cache, 1, &raw), "creating a booster");
  BoosterPtr booster(raw);
  ApplyParams(booster.get(), x.rows);

  int best = -1;
  double best_loss = std::numeric_limits<double>::infinity();
  for (int it = 0; it < params_.max_rounds; ++it) {
    Check(XGBoosterUpdateOneIter(booster.get(), it, dtrain.get()), "training a round");
    if (!has_valid) {
      best = it;
      continue;
    }
    void* evals[1] = {dvalid.get()};
    const char* names[1] = {"valid"};
    const char* line = nullptr;
    Check(XGBoosterEvalOneIter(booster.get(), it, evals, names, 1, &line), "evaluating a round");
    const double loss = ParseEval(line);
    if (loss < best_loss - 1e-9) {
      best_loss = loss;
      best = it;
    } else if (it - best >= params_.early_stopping_rounds) {
      break;
    }
  }
  int done = 0;
  Check(XGBoosterBoostedRounds(booster.get(), &done), "counting rounds");
  if (best + 1 < done) {
    // Keep the best round's trees only, so Predict, contributions and Save all see the same model.
    BoosterHandle sliced = nullptr;
    Check(XGBoosterSlice(booster.get(), 0, best + 1, 1, &sliced), "slicing to the best round");
    booster.reset(sliced);
  }
  booster_ = std::move(booster);
  threads_set_ = -1;  // set again before the first prediction (a sliced booster may not carry it)
  num_features_ = x.cols;
  rounds_ = best + 1;
}

std::vector<float> GbmClassifier::PredictType(const FeatureMatrix& x, int type, size_t expected_width) const {
  if (!booster_) throw GbmError("the model is not trained");
  if (x.cols != num_features_) {
    throw InvalidInputError("prediction: " + std::to_string(x.cols) + " features, the model expects " +
                            std::to_string(num_features_));
  }
  if (x.rows == 0) return {};
  UseThreads(x.rows);
  DMatrixPtr d = MakeDMatrix(x, Threads(x.rows));
  const std::string config = R"({"type": )" + std::to_string(type) +
                             R"(, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* out = nullptr;
  Check(XGBoosterPredictFromDMatrix(booster_.get(), d.get(), config.c_str(), &shape, &dim, &out), "predicting");
  size_t total = 1;
  for (bst_ulong i = 0; i < dim; ++i) total *= shape[i];
  if (total != x.rows * expected_width) throw GbmError("XGBoost returned an unexpected prediction shape");
  // The buffer belongs to the booster and is overwritten by its next call: copy it now.
  return std::vector<float>(out, out + total);
}

std::vector<float> GbmClassifier::Predict(const FeatureMatrix& x) const {
  return PredictType(x, 0, 1);
}

std::vector<float> GbmClassifier::PredictMargin(const FeatureMatrix& x) const {
  return PredictType(x, 1, 1);
}

Contributions GbmClassifier::PredictContributions(const FeatureMatrix& x, bool approximate) const {
  Contributions c;
  c.rows = x.rows;
  c.width = num_features_ + 1;
  c.values = PredictType(x, approximate ? 3 : 2, c.width);
  return c;
}

std::string GbmClassifier::Save() const {
  if (!booster_) throw GbmError("the model is not trained");
  bst_ulong len = 0;
  const char* data = nullptr;
  Check(XGBoosterSaveModelToBuffer(booster_.get(), R"({"format": "json"})", &len, &data), "saving the model");
  return std::string(data, len);
}

GbmClassifier GbmClassifier::Load(const std::string& bytes, GbmParams params) {
  GbmClassifier m(params);
  BoosterHandle raw = nullptr;
  Check(XGBoosterCreate(nullptr, 0, &raw), "creating a booster");
  BoosterPtr booster(raw);
  Check(XGBoosterLoadModelFromBuffer(booster.get(), bytes.data(), bytes.size()), "loading a saved model");
  bst_ulong features = 0;
  Check(XGBoosterGetNumFeature(booster.get(), &features), "reading the feature count");
  int rounds = 0;
  Check(XGBoosterBoostedRounds(booster.get(), &rounds), "counting rounds");
  m.booster_ = std::move(booster);
  m.num_features_ = features;
  m.rounds_ = rounds;
  return m;
}

}  // namespace revlens::insights
