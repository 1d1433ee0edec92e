#include "insights/gbm.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
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

// ------------------------------------------------------------------------------------------------ TreeEnsemble

namespace {

template <typename T>
std::vector<T> JsonArray(const nlohmann::json& tree, const char* key) {
  std::vector<T> out;
  const auto& a = tree.at(key);
  out.reserve(a.size());
  for (const auto& v : a) {
    if (v.is_boolean()) {
      out.push_back(static_cast<T>(v.get<bool>() ? 1 : 0));
    } else {
      out.push_back(v.get<T>());
    }
  }
  return out;
}

double JsonNumber(const nlohmann::json& v) {
  return v.is_string() ? std::stod(v.get<std::string>()) : v.get<double>();
}

}  // namespace

namespace {

/// One tree as read from the JSON model (XGBoost's node numbering).
struct ParsedTree {
  std::vector<int32_t> left, right, feature;  ///< left = -1 for a leaf
  std::vector<float> cond;                    ///< split threshold, or the leaf value
  std::vector<uint8_t> default_left;
  std::vector<double> cover;  ///< sum_hessian
  std::vector<double> mean;   ///< node mean values (FillNodeMeanValues)
};

ParsedTree ParseTree(const nlohmann::json& jt, size_t num_features) {
  ParsedTree t;
  t.left = JsonArray<int32_t>(jt, "left_children");
  t.right = JsonArray<int32_t>(jt, "right_children");
  t.feature = JsonArray<int32_t>(jt, "split_indices");
  t.cond = JsonArray<float>(jt, "split_conditions");
  t.default_left = JsonArray<uint8_t>(jt, "default_left");
  t.cover = JsonArray<double>(jt, "sum_hessian");
  if (jt.contains("split_type")) {
    for (const auto& st : jt.at("split_type"))
      if (st.get<int>() != 0) throw GbmError("tree tables: categorical splits are not supported");
  }
  const size_t nodes = t.left.size();
  if (nodes == 0 || t.right.size() != nodes || t.feature.size() != nodes || t.cond.size() != nodes ||
      t.default_left.size() != nodes || t.cover.size() != nodes)
    throw GbmError("tree tables: a tree's arrays differ in length");
  for (size_t n = 0; n < nodes; ++n) {
    if (t.left[n] < 0) continue;
    if (t.left[n] >= static_cast<int32_t>(nodes) || t.right[n] < 0 || t.right[n] >= static_cast<int32_t>(nodes) ||
        t.feature[n] < 0 || static_cast<size_t>(t.feature[n]) >= num_features)
      throw GbmError("tree tables: a split points outside the tree or the features");
  }
  // Node means (XGBoost's FillNodeMeanValues): a leaf's value, else the hessian-weighted mean of its children.
  t.mean.assign(nodes, 0.0);
  auto fill = [&](auto&& self, size_t n, int depth) -> double {
    if (depth > 64) throw GbmError("tree tables: a tree is deeper than 64 levels or has a cycle");
    if (t.left[n] < 0) return t.mean[n] = static_cast<double>(t.cond[n]);
    const auto l = static_cast<size_t>(t.left[n]), r = static_cast<size_t>(t.right[n]);
    const double sum = self(self, l, depth + 1) * t.cover[l] + self(self, r, depth + 1) * t.cover[r];
    return t.mean[n] = sum / (t.cover[n] > 0 ? t.cover[n] : 1.0);
  };
  fill(fill, 0, 0);
  return t;
}

/// Exact TreeSHAP values of one tree for every pattern of split decisions, from the definition: v(S) is the tree's
/// expectation when the features in S are known (they follow the pattern) and the others are not (both children,
/// weighted by their share of the node's cover: TreeSHAP's EXPVALUE, which XGBoost's TreeShap computes too);
/// phi_i = sum over S without i of |S|! (k - |S| - 1)! / k! (v(S + i) - v(S)). `splits` are the split nodes
/// (pattern bit j = split j goes left), `features` the distinct split features; returns patterns x features.
std::vector<double> ExactPhi(const ParsedTree& t, const std::vector<int32_t>& splits,
                             const std::vector<int32_t>& features) {
  const size_t nodes = t.left.size();
  std::vector<int32_t> split_pos(nodes, -1), feat_pos(nodes, -1);
  for (size_t j = 0; j < splits.size(); ++j) {
    const auto n = static_cast<size_t>(splits[j]);
    split_pos[n] = static_cast<int32_t>(j);
    feat_pos[n] = static_cast<int32_t>(std::find(features.begin(), features.end(), t.feature[n]) - features.begin());
  }
  const size_t m = splits.size(), k = features.size();
  const size_t patterns = size_t{1} << m, subsets = size_t{1} << k;
  auto expect = [&](auto&& self, int32_t n, size_t known, size_t pattern) -> double {
    const auto u = static_cast<size_t>(n);
    if (t.left[u] < 0) return static_cast<double>(t.cond[u]);
    const int32_t l = t.left[u], r = t.right[u];
    if ((known >> feat_pos[u]) & 1) return self(self, (pattern >> split_pos[u]) & 1 ? l : r, known, pattern);
    const double c = t.cover[u] > 0 ? t.cover[u] : 1.0;
    return t.cover[static_cast<size_t>(l)] / c * self(self, l, known, pattern) +
           t.cover[static_cast<size_t>(r)] / c * self(self, r, known, pattern);
  };
  std::vector<double> weight(k, 0.0);
  for (size_t s = 0; s < k; ++s)
    weight[s] = std::exp(std::lgamma(static_cast<double>(s + 1)) + std::lgamma(static_cast<double>(k - s)) -
                         std::lgamma(static_cast<double>(k + 1)));
  // value[S * patterns + p]: v(S) only reads the pattern bits of splits on features in S, so it is computed once
  // per distinct relevant part of the pattern and copied to the others.
  std::vector<double> value(subsets * patterns);
  for (size_t S = 0; S < subsets; ++S) {
    size_t relevant = 0;
    for (size_t j = 0; j < m; ++j)
      if ((S >> feat_pos[static_cast<size_t>(splits[j])]) & 1) relevant |= size_t{1} << j;
    double* v = &value[S * patterns];
    for (size_t p = 0; p < patterns; ++p) v[p] = (p & ~relevant) == 0 ? expect(expect, 0, S, p) : v[p & relevant];
  }
  std::vector<double> phi(patterns * k, 0.0);
  for (size_t p = 0; p < patterns; ++p) {
    for (size_t i = 0; i < k; ++i) {
      double sum = 0;
      for (size_t S = 0; S < subsets; ++S) {
        if ((S >> i) & 1) continue;
        sum += weight[static_cast<size_t>(__builtin_popcountll(S))] *
               (value[(S | (size_t{1} << i)) * patterns + p] - value[S * patterns + p]);
      }
      phi[p * k + i] = sum;
    }
  }
  return phi;
}

}  // namespace

TreeEnsemble TreeEnsemble::FromModelJson(const std::string& json, size_t num_features) {
  TreeEnsemble e;
  e.num_features_ = num_features;
  try {
    const auto j = nlohmann::json::parse(json);
    const auto& learner = j.at("learner");
    const auto& mp = learner.at("learner_model_param");
    if (mp.contains("num_class") && JsonNumber(mp.at("num_class")) > 1)
      throw GbmError("tree tables: multi-class models are not supported");
    const double base_score = JsonNumber(mp.at("base_score"));
    const std::string objective = learner.at("objective").at("name").get<std::string>();
    // XGBoost turns base_score into a margin with the objective's ProbToMargin (logit for logistic objectives).
    e.base_margin_ = (objective == "binary:logistic" || objective == "reg:logistic") ? -std::log(1.0 / base_score - 1.0)
                                                                                     : base_score;
    e.bias_ = e.base_margin_;
    const auto& booster = learner.at("gradient_booster");
    if (booster.at("name").get<std::string>() != "gbtree")
      throw GbmError("tree tables: only gbtree models are supported");
    e.has_exact_ = true;
    for (const auto& jt : booster.at("model").at("trees")) {
      const ParsedTree t = ParseTree(jt, num_features);
      e.bias_ += t.mean[0];
      // Breadth-first renumbering: children get adjacent slots. Leaves carry their Saabas path: per step down,
      // the parent's split feature and the change of node mean value.
      const auto begin = static_cast<uint32_t>(e.nodes_.size());
      e.tree_begin_.push_back(begin);
      std::vector<int32_t> old_of = {0}, new_of(t.left.size(), -1);
      std::vector<int32_t> parent_of = {-1};
      new_of[0] = 0;
      for (size_t q = 0; q < old_of.size(); ++q) {
        const auto o = static_cast<size_t>(old_of[q]);
        if (t.left[o] < 0) continue;
        for (int32_t c : {t.left[o], t.right[o]}) {
          if (new_of[static_cast<size_t>(c)] >= 0) throw GbmError("tree tables: a node has two parents");
          new_of[static_cast<size_t>(c)] = static_cast<int32_t>(old_of.size());
          old_of.push_back(c);
          parent_of.push_back(static_cast<int32_t>(o));
        }
      }
      std::vector<int32_t> splits;
      std::vector<int32_t> features;
      for (size_t q = 0; q < old_of.size(); ++q) {
        const auto o = static_cast<size_t>(old_of[q]);
        Node nd;
        nd.cond = t.cond[o];
        if (t.left[o] >= 0) {
          nd.feature = t.feature[o];
          nd.child = new_of[static_cast<size_t>(t.left[o])];
          nd.default_left = t.default_left[o];
          if (new_of[static_cast<size_t>(t.right[o])] != nd.child + 1) throw GbmError("tree tables: layout error");
          splits.push_back(static_cast<int32_t>(o));
          if (std::find(features.begin(), features.end(), t.feature[o]) == features.end())
            features.push_back(t.feature[o]);
        } else {
          std::vector<std::pair<int32_t, double>> path;
          for (int32_t c = static_cast<int32_t>(o), p = parent_of[q]; p >= 0;) {
            const auto pu = static_cast<size_t>(p);
            path.emplace_back(t.feature[pu], t.mean[static_cast<size_t>(c)] - t.mean[pu]);
            c = p;
            p = parent_of[static_cast<size_t>(new_of[pu])];
          }
          nd.feature = static_cast<int32_t>(e.path_feature_.size());
          nd.path_len = static_cast<uint16_t>(path.size());
          for (auto it = path.rbegin(); it != path.rend(); ++it) {
            e.path_feature_.push_back(it->first);
            e.path_delta_.push_back(it->second);
          }
        }
        e.nodes_.push_back(nd);
      }
      if (e.has_exact_ && splits.size() <= static_cast<size_t>(kMaxExactSplits)) {
        ExactTable x;
        x.splits_begin = static_cast<uint32_t>(e.split_node_.size());
        x.splits = static_cast<uint32_t>(splits.size());
        x.features_begin = static_cast<uint32_t>(e.exact_feature_.size());
        x.features = static_cast<uint32_t>(features.size());
        x.phi_begin = e.phi_.size();
        for (int32_t o : splits) e.split_node_.push_back(begin + static_cast<uint32_t>(new_of[static_cast<size_t>(o)]));
        e.exact_feature_.insert(e.exact_feature_.end(), features.begin(), features.end());
        const auto phi = ExactPhi(t, splits, features);
        e.phi_.insert(e.phi_.end(), phi.begin(), phi.end());
        e.exact_.push_back(x);
      } else {
        e.has_exact_ = false;
      }
    }
  } catch (const nlohmann::json::exception& ex) {
    throw GbmError(std::string("tree tables: cannot read XGBoost's JSON model: ") + ex.what());
  }
  if (!e.has_exact_) {
    e.exact_.clear();
    e.split_node_.clear();
    e.exact_feature_.clear();
    e.phi_.clear();
  }
  return e;
}

namespace {

/// 1 when the split sends `row` right: XGBoost's numerical split (fvalue < cond goes left; a missing value goes
/// the default way), without branches.
inline int32_t GoesRight(float cond, int32_t feature, uint16_t default_left, const float* row) {
  const float v = row[feature];
  const bool left = (v < cond) | (std::isnan(v) & (default_left != 0));
  return 1 - static_cast<int32_t>(left);
}

}  // namespace

size_t TreeEnsemble::Leaf(size_t tree, const float* row) const {
  const Node* t = &nodes_[tree_begin_[tree]];
  int32_t n = 0;
  while (t[n].child >= 0) n = t[n].child + GoesRight(t[n].cond, t[n].feature, t[n].default_left, row);
  return tree_begin_[tree] + static_cast<size_t>(n);
}

double TreeEnsemble::Margin(const float* row) const {
  double m = base_margin_;
  for (size_t i = 0; i < tree_begin_.size(); ++i) m += static_cast<double>(nodes_[Leaf(i, row)].cond);
  return m;
}

double TreeEnsemble::Contribute(const float* row, bool exact, double* out) const {
  out[num_features_] += bias_;
  double m = bias_;
  if (exact) {
    for (const auto& x : exact_) {
      size_t pattern = 0;
      for (uint32_t j = 0; j < x.splits; ++j) {
        const Node& nd = nodes_[split_node_[x.splits_begin + j]];
        pattern |= static_cast<size_t>(1 - GoesRight(nd.cond, nd.feature, nd.default_left, row)) << j;
      }
      const double* phi = &phi_[x.phi_begin + pattern * x.features];
      const int32_t* f = &exact_feature_[x.features_begin];
      for (uint32_t i = 0; i < x.features; ++i) {
        out[f[i]] += phi[i];
        m += phi[i];  // Shapley values add up to the leaf value less the root mean (efficiency)
      }
    }
    return m;
  }
  m = base_margin_;
  for (size_t i = 0; i < tree_begin_.size(); ++i) {
    const Node& leaf = nodes_[Leaf(i, row)];
    for (uint32_t p = static_cast<uint32_t>(leaf.feature); p < static_cast<uint32_t>(leaf.feature) + leaf.path_len; ++p)
      out[path_feature_[p]] += path_delta_[p];
    m += static_cast<double>(leaf.cond);
  }
  return m;
}

// ------------------------------------------------------------------------------------------------ classifier

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
                        const std::vector<float>* valid_y, const std::vector<float>* weights) {
  if (weights && weights->size() != x.rows)
    throw InvalidInputError("training set: " + std::to_string(weights->size()) + " weights for " +
                            std::to_string(x.rows) + " rows");
  if (x.rows == 0 || x.cols == 0) throw InvalidInputError("cannot train on an empty feature matrix");
  CheckLabels(x, y, "training set");
  const bool has_valid = valid_x != nullptr && valid_y != nullptr && valid_x->rows > 0;
  if (has_valid) {
    if (valid_x->cols != x.cols) throw InvalidInputError("validation set: column count differs from the training set");
    CheckLabels(*valid_x, *valid_y, "validation set");
  }
  DMatrixPtr dtrain = MakeDMatrix(x, Threads(x.rows));
  SetLabels(dtrain.get(), y);
  if (weights)
    Check(XGDMatrixSetFloatInfo(dtrain.get(), "weight", weights->data(), weights->size()), "setting weights");
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
  trees_ = std::make_shared<LazyTrees>();
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

Contributions GbmClassifier::XgboostContributions(const FeatureMatrix& x, bool approximate) const {
  Contributions c;
  c.rows = x.rows;
  c.width = num_features_ + 1;
  c.values = PredictType(x, approximate ? 3 : 2, c.width);
  return c;
}

const TreeEnsemble& GbmClassifier::Trees() const {
  if (!trees_ || !booster_) throw GbmError("the model is not trained");
  std::call_once(trees_->once, [&] { trees_->trees = TreeEnsemble::FromModelJson(Save(), num_features_); });
  return trees_->trees;
}

Contributions GbmClassifier::PredictContributions(const FeatureMatrix& x, bool approximate) const {
  const TreeEnsemble& trees = Trees();
  if (!approximate && !trees.HasExact()) return XgboostContributions(x, approximate);
  if (x.cols != num_features_) {
    throw InvalidInputError("prediction: " + std::to_string(x.cols) + " features, the model expects " +
                            std::to_string(num_features_));
  }
  Contributions c;
  c.rows = x.rows;
  c.width = num_features_ + 1;
  c.values.assign(c.rows * c.width, 0.0f);
  std::vector<double> row(c.width);
  for (size_t r = 0; r < x.rows; ++r) {
    std::fill(row.begin(), row.end(), 0.0);
    trees.Contribute(&x.values[r * x.cols], !approximate, row.data());
    std::copy(row.begin(), row.end(), c.values.begin() + static_cast<std::ptrdiff_t>(r * c.width));
  }
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
  m.trees_ = std::make_shared<LazyTrees>();
  return m;
}

}  // namespace revlens::insights
