#pragma once
/// A gradient-boosted binary classifier: XGBoost's C API (`hist` trees, logistic loss) behind a small estimator
/// with the shape every revlens estimator has: parameters, Fit, Predict, learned state kept apart and
/// serializable. The C handles live in RAII wrappers; every call is checked at once and XGBoost's own message
/// (XGBGetLastError, read on the calling thread before anything else runs) becomes a GbmError.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
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
  int max_rounds = 400;            ///< boosting rounds at most
  int early_stopping_rounds = 40;  ///< stop when the validation log loss has not improved for this many rounds
  double learning_rate = 0.05;     ///< eta
  int max_depth = 3;               ///< max_depth
  double min_child_weight = 2.0;   ///< min_child_weight
  double subsample = 0.8;          ///< subsample
  double colsample_bytree = 0.8;   ///< colsample_bytree
  double reg_lambda = 2.0;         ///< lambda
  double reg_alpha = 0.0;          ///< alpha
  double gamma = 0.0;              ///< gamma (min split loss)
  int max_bin = 256;               ///< max_bin of the histogram
  /// nthread; 0 = automatic: one thread below 20,000 rows (OpenMP's spinning workers cost far more than they
  /// save on small matrices, worse on a busy machine), every core above.
  int threads = 0;
  uint64_t seed = 17;  ///< seed (row and column sampling)
};

/// Per-row feature contributions on the log-odds scale: `cols + 1` values per row, the last one the bias.
/// A row's values sum to its margin (log-odds) prediction.
struct Contributions {
  size_t rows = 0;
  size_t width = 0;  ///< features + 1
  std::vector<float> values;
  float At(size_t r, size_t c) const { return values[r * width + c]; }
};

/// The trees of a fitted model in flat arrays, read from XGBoost's JSON model, for per-row explanations.
///
/// Hand-written on purpose: XGBoost's per-row contribution path (PredictContribution, TreeShap) was the scoring
/// bottleneck (67 s for a million contacts with three models, 8.6 s for 20k with exact TreeSHAP). Here each tree
/// is walked over flat arrays and its explanation comes from tables built once per model:
/// - approximate (Saabas, XGBoost's `approx_contribs`): per leaf, the path's (feature, change of node mean value)
///   list, node means being the hessian-weighted means of the children as XGBoost's FillNodeMeanValues computes;
/// - exact (TreeSHAP, XGBoost's `pred_contribs`) for trees of at most kMaxExactSplits splits: per tree, the Shapley
///   values of every pattern of split decisions (2^splits patterns), computed from the definition with XGBoost's
///   cover weighting; a row only evaluates the tree's splits and adds one table row.
/// Unit tests hold both to XGBoost's own contributions.
class TreeEnsemble {
 public:
  /// Trees with more splits than this have no exact table (the classifier falls back to XGBoost's TreeSHAP).
  static constexpr int kMaxExactSplits = 7;

  TreeEnsemble() = default;
  /// Parse XGBoost's JSON model (XGBoosterSaveModelToBuffer, format json) of a binary:logistic gbtree model.
  /// Throws GbmError on a model it cannot read (categorical splits, several outputs).
  static TreeEnsemble FromModelJson(const std::string& json, size_t num_features);

  size_t NumFeatures() const { return num_features_; }
  size_t NumTrees() const { return tree_begin_.size(); }
  /// True when every tree has an exact table.
  bool HasExact() const { return has_exact_; }
  /// The row's margin (log-odds); `row` has NumFeatures() values, NaN = missing.
  double Margin(const float* row) const;
  /// Add the row's contributions to `out` (NumFeatures() + 1 values, the bias last) and return the margin. Exact
  /// requires HasExact().
  double Contribute(const float* row, bool exact, double* out) const;

 private:
  /// One node of the flat layout: trees renumbered breadth-first so that a node's children are adjacent (the walk
  /// is `n = child + (goes right)`, without a branch on the direction).
  struct Node {
    float cond = 0;             ///< split threshold (fvalue < cond goes left), or the leaf value
    int32_t feature = 0;        ///< split feature, or for a leaf the first entry of its Saabas path
    int32_t child = -1;         ///< the left child (the right one is child + 1); -1 for a leaf
    uint16_t default_left = 0;  ///< where a missing value goes
    uint16_t path_len = 0;      ///< leaf: entries of its Saabas path
  };
  /// A tree's exact table: its split nodes (bit j of a pattern = split j goes left), distinct features, and per
  /// pattern the Shapley value of each of those features.
  struct ExactTable {
    uint32_t splits_begin = 0, features_begin = 0;
    uint32_t splits = 0, features = 0;
    size_t phi_begin = 0;
  };
  /// The leaf (node index) `row` reaches in tree `tree`.
  size_t Leaf(size_t tree, const float* row) const;

  std::vector<Node> nodes_;
  std::vector<uint32_t> tree_begin_;
  std::vector<int32_t> path_feature_;
  std::vector<double> path_delta_;
  std::vector<ExactTable> exact_;
  std::vector<uint32_t> split_node_;
  std::vector<int32_t> exact_feature_;
  std::vector<double> phi_;
  size_t num_features_ = 0;
  double base_margin_ = 0;  ///< base_score as a margin
  double bias_ = 0;         ///< base margin + every tree's root mean value
  bool has_exact_ = false;
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
  /// keeps the best round's trees. `weights` (one per training row, optional) weigh the rows' losses. Throws
  /// InvalidInputError for mismatched sizes or labels outside {0, 1}.
  void Fit(const FeatureMatrix& x, const std::vector<float>& y, const FeatureMatrix* valid_x = nullptr,
           const std::vector<float>* valid_y = nullptr, const std::vector<float>* weights = nullptr);
  /// Probabilities for each row of `x` (which must have the training width).
  std::vector<float> Predict(const FeatureMatrix& x) const;
  /// Log-odds for each row of `x`.
  std::vector<float> PredictMargin(const FeatureMatrix& x) const;
  /// Feature contributions (XGBoost's `pred_contribs`): exact TreeSHAP, or the cheaper path-based approximation
  /// (`approx_contribs`, Saabas) when `approximate` is true. Computed from Trees() (XGBoost's own path for exact
  /// contributions of trees too deep for its tables).
  Contributions PredictContributions(const FeatureMatrix& x, bool approximate = false) const;
  /// The same through XGBoost's own PredictContribution (the reference the fast path is tested against).
  Contributions XgboostContributions(const FeatureMatrix& x, bool approximate = false) const;
  /// The trees in flat arrays for per-row margins and contributions (see TreeEnsemble).
  const TreeEnsemble& Trees() const;

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
  /// Built from the JSON model on first use (Trees()), once, whichever thread asks first.
  struct LazyTrees {
    std::once_flag once;
    TreeEnsemble trees;
  };
  std::shared_ptr<LazyTrees> trees_;
  mutable int threads_set_ = -1;  ///< nthread last given to the booster
};

}  // namespace revlens::insights
