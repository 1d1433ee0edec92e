#pragma once
/// Real-time deal predictions for `revlens serve`: when a deal's stage changes, the deal model of the latest forecast
/// run (forecast_model_runs) predicts that deal again, as of the change. The deal's state is built by the forecast's
/// own code (insights::StateAt, DealModel::Predict, MakeDealForecast) from its history in the last build
/// (forecast_deals / forecast_deal_events, loaded once per refresh), the stage changes received since, and what
/// HubSpot says now (amount, close date, owner, pipeline). The result is the deal's deal_predictions row with
/// method `live`; the quarter totals (P10/P50/P90) wait for the next `revlens forecast`.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "insights/forecast.hpp"
#include "serve/event_store.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::serve {

/// A deal as read from HubSpot now (property name -> value).
struct LiveDeal {
  int64_t id = 0;
  std::map<std::string, std::string> properties;
};

/// One deal's live prediction: its deal_predictions row and the forecast run whose model made it.
struct LiveDealPrediction {
  insights::DealForecast forecast;
  std::string run_id;            ///< the forecast run whose model predicted
  int64_t as_of_ms = 0;          ///< that run's cutoff (deal_predictions.as_of)
  int64_t predicted_at_ms = 0;   ///< the instant of the stage change the prediction is for
  size_t horizon = 0;            ///< p_close_period_* columns
  bool closed = false;           ///< the deal is in a closed stage (p_win 1 or 0)

  /// JSON for the event store, and back (FromJson throws InvalidInputError on anything else).
  std::string ToJson() const;
  static LiveDealPrediction FromJson(const std::string& json);
  /// The deal_predictions row (insights::DealPredictionColumns(horizon)), method `live`.
  std::vector<warehouse::Value> Row() const;
};

/// The latest forecast's deal model and the last build's deal histories, loaded once and refreshed by the server.
class LiveDealForecaster {
 public:
  /// Load the newest forecast_model_runs model of `schema` and, when there is one, the forecast's inputs
  /// (insights::LoadForecastData) recoded to the model's feature codes. Without a model (or without the build's
  /// forecast models) HasModel() is false and Reason() says why.
  static std::shared_ptr<const LiveDealForecaster> Load(warehouse::Warehouse& wh, const std::string& schema);
  ~LiveDealForecaster();
  LiveDealForecaster(const LiveDealForecaster&) = delete;
  LiveDealForecaster& operator=(const LiveDealForecaster&) = delete;

  bool HasModel() const { return model_.has_value(); }
  const std::string& Reason() const { return reason_; }
  /// Seconds the load took (model and histories).
  double LoadSeconds() const { return load_seconds_; }
  const insights::StoredDealModel& Model() const { return *model_; }
  /// The last build's deal histories (recoded to the model's codes) and their outcome index.
  const insights::ForecastData& Data() const { return data_; }
  const insights::OutcomeIndex& Outcomes() const { return *outcomes_; }

  /// HubSpot deal properties to read.
  static std::vector<std::string> DealProperties();

  /// The deal's record as of `at_ms`: its history in the last build (a deal created since: what HubSpot says),
  /// then `stages` (stage changes received, oldest first) and HubSpot's current amount, close date, owner and
  /// pipeline, each added at its instant when it differs from the value in effect then. Empty with `why` set when
  /// the deal cannot be placed (a stage or pipeline the last build does not know).
  std::optional<insights::DealRecord> RecordAt(const LiveDeal& deal, const std::vector<StageChange>& stages,
                                               int64_t at_ms, std::string& why) const;
  /// Predict `record` as of `at_ms` (the state from everything up to and including that instant). Periods of the
  /// forecast that ended by then get 0 (an open deal did not win in them); a deal in a closed stage gets p_win 1
  /// (won) or 0 (lost) and p_close 1 in the period of its close date when won. Requires HasModel().
  LiveDealPrediction Predict(const insights::DealRecord& record, int64_t at_ms) const;

 private:
  LiveDealForecaster();
  std::optional<insights::StoredDealModel> model_;
  insights::ForecastData data_;
  std::unique_ptr<insights::OutcomeIndex> outcomes_;
  std::map<int64_t, size_t> index_;  ///< deal id -> data_.deals
  std::unique_ptr<insights::StageResolver> stage_of_;  ///< over data_.stages
  std::vector<double> caps_;
  /// Stall thresholds per stage from every stage change of the last build (insights::StallThresholds), computed
  /// once per load: a prediction after the build's last change would compute the same figures.
  std::vector<double> stall_;
  int64_t last_change_ms_ = 0;
  std::string reason_;
  double load_seconds_ = 0;
};

}  // namespace revlens::serve
