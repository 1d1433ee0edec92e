#pragma once
/// A gradient-boosted binary classifier: XGBoost's C API (`hist` trees, logistic loss) behind a small estimator
/// with the shape every revlens estimator has: parameters, Fit, Predict, learned state kept apart and
/// serializable. The C handles live in RAII wrappers; every call is checked at once and XGBoost's own message
/// (XGBGetLastError, read on the calling thread before anything else runs) becomes a GbmError.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/errors.hpp"

namespace revlens::insights {

/// XGBoost refused a call; the message is XGBoost's own, prefixed with what revlens was doing.
class GbmError : public Error {
 public:
  using Error::Error;
};

/// A dense row-major float matrix; NaN marks a missing value (XGBoost routes it down the learned default branch).
struct FeatureMatrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;  ///< rows * cols, row-major

  FeatureMatrix() = default;
  /// A rows x cols matrix filled with NaN (missing).
  FeatureMatrix(size_t rows, size_t cols);
  float& At(size_t r, size_t c) { return values[r * cols + c]; }
  float At(size_t r, size_t c) const { return values[r * cols + c]; }
  /// The rows at `index`, in that order.
  FeatureMatrix SelectRows(const std::vector<size_t>& index) const;
  /// The columns at `index`, in that order.
  FeatureMatrix SelectCols(const std::vector<size_t>& index) const;
};

/// Training parameters (XGBoost's names in comments).
struct GbmParams {
  int max_rounds = 400;             ///< boosting rounds at most
  int early_stopping_rounds = 40;   ///< stop when the validation log loss has not improved for this many rounds
  double learning_rate = 0.05;      ///< eta
  int max_depth = 3;                ///< max_depth
  double min_child_weight = 2.0;    ///< min_child_weight
  double subsample = 0.8;           ///< subsample
  double colsample_bytree = 0.8;    ///< colsample_bytree
  double reg_lambda = 2.0;          ///< lambda
  double reg_alpha = 0.0;           ///< alpha
  double gamma = 0.0;               ///< gamma (min split loss)
  int max_bin = 256;                ///< max_bin of the histogram
  /// nthread; 0 = automatic: one thread below 20,000 rows (OpenMP's spinning workers cost far more than they
  /// save on small matrices, worse on a busy machine), every core above.
  int threads = 0;
  uint64_t seed = 17;               ///< seed (row and column sampling)
};

/// Per-row feature contributions on the log-odds scale: `cols + 1` values per row, the last one the bias.
/// A row's values sum to its margin (log-odds) prediction.
struct Contributions {
  size_t rows = 0;
  size_t width = 0;  ///< features + 1
  std::vector<float> values;
  float At(size_t r, size_t c) const { return values[r * width + c]; }
};

/// A binary classifier: P(y = 1 | x).
class GbmClassifier {
 public:
  explicit GbmClassifier(GbmParams params = {});
  ~GbmClassifier();
  GbmClassifier(GbmClassifier&&) noexcept;
  GbmClassifier& operator=(GbmClassifier&&) noexcept;
  GbmClassifier(const GbmClassifier&) = delete;
  GbmClassifier& operator=(const GbmClassifier&) = delete;

  /// Train on `x` with labels `y` (0/1). With a validation set, rounds stop early on its log loss and the model
  /// keeps the best round's trees. Throws InvalidInputError for mismatched sizes or labels outside {0, 1}.
  void Fit(const FeatureMatrix& x, const std::vector<float>& y, const FeatureMatrix* valid_x = nullptr,
           const std::vector<float>* valid_y = nullptr);
  /// Probabilities for each row of `x` (which must have the training width).
  std::vector<float> Predict(const FeatureMatrix& x) const;
  /// Log-odds for each row of `x`.
  std::vector<float> PredictMargin(const FeatureMatrix& x) const;
  /// Feature contributions (XGBoost's `pred_contribs`): exact TreeSHAP, or the cheaper path-based approximation
  /// (`approx_contribs`, Saabas) when `approximate` is true.
  Contributions PredictContributions(const FeatureMatrix& x, bool approximate = false) const;

  /// Serialize the learned model (XGBoost's JSON model format) with the round count.
  std::string Save() const;
  /// Restore a model written by Save(). Throws GbmError when XGBoost cannot read it.
  static GbmClassifier Load(const std::string& bytes, GbmParams params = {});

  /// True once Fit or Load has run.
  bool Fitted() const { return booster_ != nullptr; }
  /// Number of input features the model expects.
  size_t NumFeatures() const { return num_features_; }
  /// Boosting rounds kept (the best round + 1 after early stopping).
  int Rounds() const { return rounds_; }
  const GbmParams& Params() const { return params_; }

 private:
  struct BoosterDeleter {
    void operator()(void* handle) const;
  };
  using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;
  std::vector<float> PredictType(const FeatureMatrix& x, int type, size_t expected_width) const;
  void ApplyParams(void* booster, size_t rows) const;
  int Threads(size_t rows) const;
  void UseThreads(size_t rows) const;

  GbmParams params_;
  BoosterPtr booster_;
  size_t num_features_ = 0;
  int rounds_ = 0;
  mutable int threads_set_ = -1;  ///< nthread last given to the booster
};

}  // namespace revlens::insights
