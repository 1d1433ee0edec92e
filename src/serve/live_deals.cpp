#include "serve/live_deals.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/time_util.hpp"

namespace revlens::serve {
namespace {

using insights::Dated;
using insights::kNever;
using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string DealProp(const LiveDeal& d, const char* name) {
  const auto it = d.properties.find(name);
  return it == d.properties.end() ? std::string() : it->second;
}

/// Add `value` at `at_ms` to a time-sorted history unless it is the value in effect then (or, on an empty history,
/// an empty value: nothing known either way).
template <typename T, typename Same>
void OverlayAt(std::vector<Dated<T>>& h, int64_t at_ms, T value, bool empty_value, Same same) {
  const auto it =
      std::upper_bound(h.begin(), h.end(), at_ms, [](int64_t a, const Dated<T>& d) { return a < d.at_ms; });
  if (it == h.begin() ? empty_value : same(std::prev(it)->value, value)) return;
  h.insert(it, Dated<T>{at_ms, value});
}

json NumOrNull(double v) {
  return std::isfinite(v) ? json(v) : json();
}

}  // namespace

// ------------------------------------------------------------------------------------------------ prediction

std::string LiveDealPrediction::ToJson() const {
  const auto& f = forecast;
  return json{{"run_id", run_id},
              {"as_of_ms", as_of_ms},
              {"predicted_at_ms", predicted_at_ms},
              {"horizon", horizon},
              {"closed", closed},
              {"deal_id", f.deal_id},
              {"pipeline_id", f.pipeline_id},
              {"stage_id", f.stage_id},
              {"stage_label", f.stage_label},
              {"forecast_category", f.forecast_category},
              {"owner_id", f.owner_id},
              {"amount", NumOrNull(f.amount)},
              {"close_date_ms", f.close_date_ms == kNever ? json() : json(f.close_date_ms)},
              {"p_win", f.p_win},
              {"p_close", f.p_close},
              {"expected_bookings", f.expected_bookings},
              {"days_in_stage", f.days_in_stage},
              {"days_since_activity", f.days_since_activity},
              {"contacts_engaged", f.contacts_engaged},
              {"close_date_pushes", f.close_date_pushes},
              {"slipped_close_date", f.slipped_close_date},
              {"stalled", f.stalled},
              {"no_activity", f.no_activity},
              {"single_threaded", f.single_threaded}}
      .dump();
}

LiveDealPrediction LiveDealPrediction::FromJson(const std::string& text) {
  try {
    const json j = json::parse(text);
    LiveDealPrediction p;
    p.run_id = j.at("run_id").get<std::string>();
    p.as_of_ms = j.at("as_of_ms").get<int64_t>();
    p.predicted_at_ms = j.at("predicted_at_ms").get<int64_t>();
    p.horizon = j.at("horizon").get<size_t>();
    p.closed = j.at("closed").get<bool>();
    auto& f = p.forecast;
    f.deal_id = j.at("deal_id").get<int64_t>();
    f.pipeline_id = j.at("pipeline_id").get<std::string>();
    f.stage_id = j.at("stage_id").get<std::string>();
    f.stage_label = j.at("stage_label").get<std::string>();
    f.forecast_category = j.at("forecast_category").get<std::string>();
    f.owner_id = j.at("owner_id").get<int64_t>();
    f.amount = j.at("amount").is_null() ? kNaN : j.at("amount").get<double>();
    f.close_date_ms = j.at("close_date_ms").is_null() ? kNever : j.at("close_date_ms").get<int64_t>();
    f.p_win = j.at("p_win").get<double>();
    f.p_close = j.at("p_close").get<std::vector<double>>();
    f.expected_bookings = j.at("expected_bookings").get<double>();
    f.days_in_stage = j.at("days_in_stage").get<double>();
    f.days_since_activity = j.at("days_since_activity").get<double>();
    f.contacts_engaged = j.at("contacts_engaged").get<int>();
    f.close_date_pushes = j.at("close_date_pushes").get<int>();
    f.slipped_close_date = j.at("slipped_close_date").get<bool>();
    f.stalled = j.at("stalled").get<bool>();
    f.no_activity = j.at("no_activity").get<bool>();
    f.single_threaded = j.at("single_threaded").get<bool>();
    return p;
  } catch (const json::exception& e) {
    throw InvalidInputError(std::string("stored deal prediction: ") + e.what());
  }
}

std::vector<warehouse::Value> LiveDealPrediction::Row() const {
  return insights::DealPredictionRow(run_id, as_of_ms, forecast, horizon, "live", predicted_at_ms);
}

// ------------------------------------------------------------------------------------------------ forecaster

LiveDealForecaster::LiveDealForecaster() = default;
LiveDealForecaster::~LiveDealForecaster() = default;

std::shared_ptr<const LiveDealForecaster> LiveDealForecaster::Load(warehouse::Warehouse& wh,
                                                                   const std::string& schema) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<LiveDealForecaster> f(new LiveDealForecaster());  // private constructor
  try {
    auto stored = insights::LatestDealModel(wh, schema);
    if (!stored) {
      f->reason_ = "no model: no forecast run has stored a deal model in " + schema +
                   ".forecast_model_runs (run revlens forecast)";
      return f;
    }
    f->data_ = insights::LoadForecastData(wh, schema);
    // The build may be newer than the forecast run: code its rows the way the model was trained.
    insights::AlignCodes(f->data_, stored->model->Codes());
    f->outcomes_ = std::make_unique<insights::OutcomeIndex>(f->data_);
    for (size_t i = 0; i < f->data_.deals.size(); ++i) f->index_[f->data_.deals[i].deal_id] = i;
    f->caps_ = insights::AmountCaps(f->data_);
    f->stage_of_ = std::make_unique<insights::StageResolver>(f->data_.stages);
    for (const auto& d : f->data_.deals)
      for (const auto& c : d.stages) f->last_change_ms_ = std::max(f->last_change_ms_, c.at_ms);
    f->stall_ = insights::StallThresholds(f->data_, f->last_change_ms_ + 1);
    f->model_ = std::move(stored);
  } catch (const Error& e) {
    f->model_.reset();
    f->reason_ = std::string("no model: ") + e.what();
  }
  f->load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return f;
}

std::vector<std::string> LiveDealForecaster::DealProperties() {
  return {"dealstage", "pipeline", "amount", "closedate", "hubspot_owner_id", "createdate", "hs_is_closed"};
}

std::optional<insights::DealRecord> LiveDealForecaster::RecordAt(const LiveDeal& deal,
                                                                 const std::vector<StageChange>& stages,
                                                                 int64_t at_ms, std::string& why) const {
  if (!stage_of_) throw InvalidInputError("LiveDealForecaster::RecordAt without a model");
  const auto& data = data_;
  std::string pipeline_id = DealProp(deal, "pipeline");
  const auto PipelineIndex = [&](const std::string& id) {
    const auto it = std::find(data.pipelines.begin(), data.pipelines.end(), id);
    return it == data.pipelines.end() ? -1 : static_cast<int>(it - data.pipelines.begin());
  };
  insights::DealRecord r;
  if (const auto it = index_.find(deal.id); it != index_.end()) {
    r = data.deals[it->second];
    if (pipeline_id.empty() && r.pipeline >= 0) pipeline_id = data.pipelines[static_cast<size_t>(r.pipeline)];
  } else {
    // Created since the last build: what HubSpot says is all there is (no engagements, no earlier stages).
    r.deal_id = deal.id;
    const auto created = ParseTimestampMillis(DealProp(deal, "createdate"));
    r.created_ms = created ? std::min(*created, at_ms) : at_ms;
    r.pipeline = PipelineIndex(pipeline_id);
    if (r.pipeline < 0) {
      why = "pipeline '" + pipeline_id + "' is not in the last build";
      return std::nullopt;
    }
  }
  // Stages as the forecast's loader resolves them.
  for (const auto& c : stages) {
    const int s = stage_of_->Resolve(pipeline_id, c.dealstage);
    if (s < 0) {
      why = "stage '" + c.dealstage + "' is not in the last build's pipelines";
      return std::nullopt;
    }
    OverlayAt(r.stages, c.occurred_at_ms, s, false, [](int a, int b) { return a == b; });
  }
  if (r.stages.empty()) {
    why = "no stage known for the deal";
    return std::nullopt;
  }
  // HubSpot's current values, at the change.
  const std::string amount_text = DealProp(deal, "amount");
  char* end = nullptr;
  double amount = amount_text.empty() ? kNaN : std::strtod(amount_text.c_str(), &end);
  if (!amount_text.empty() && (end == nullptr || *end != '\0')) amount = kNaN;
  OverlayAt(r.amounts, at_ms, amount, std::isnan(amount),
            [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); });
  const auto close = ParseTimestampMillis(DealProp(deal, "closedate"));
  OverlayAt(r.close_dates, at_ms, close ? *close : kNever, !close, [](int64_t a, int64_t b) { return a == b; });
  const std::string owner_text = DealProp(deal, "hubspot_owner_id");
  const int64_t owner = owner_text.empty() ? 0 : std::strtoll(owner_text.c_str(), nullptr, 10);
  OverlayAt(r.owners, at_ms, owner, owner == 0, [](int64_t a, int64_t b) { return a == b; });
  if (const int p = PipelineIndex(pipeline_id); p >= 0)
    OverlayAt(r.pipelines, at_ms, p, false, [](int a, int b) { return a == b; });
  r.created_ms = std::min(r.created_ms, at_ms);
  return r;
}

LiveDealPrediction LiveDealForecaster::Predict(const insights::DealRecord& record, int64_t at_ms) const {
  if (!model_) throw InvalidInputError("LiveDealForecaster::Predict without a model");
  const insights::StoredDealModel& m = *model_;
  const int64_t cutoff = at_ms + 1;  // the state includes the change itself
  const insights::DealState st = insights::StateAt(data_, record, cutoff);
  if (!st.exists) throw InvalidInputError("deal " + std::to_string(record.deal_id) + " has no stage at the change");
  const insights::StageMeta& meta = data_.stages[static_cast<size_t>(st.stage)];
  const double amount = insights::CleanAmount(st.amount, st.pipeline, caps_);
  LiveDealPrediction out;
  out.run_id = m.run_id;
  out.as_of_ms = m.cutoff_ms;
  out.predicted_at_ms = at_ms;
  out.horizon = m.periods.size();
  insights::DealPrediction pred;
  if (!st.open) {
    // Closed: the outcome is known. A win books in the period of its close date (the change when none is set).
    out.closed = true;
    pred.p_win = meta.won ? 1.0 : 0.0;
    const int64_t close = st.close_date_ms != kNever ? st.close_date_ms : at_ms;
    for (const auto& p : m.periods)
      pred.won_by.push_back(meta.won && !m.periods.empty() && close >= m.periods.front().start_ms && close < p.end_ms
                                ? 1.0
                                : 0.0);
    out.forecast = insights::MakeDealForecast(data_, record, st, pred, cutoff, amount,
                                              kNaN, m.no_activity_days);
    auto& f = out.forecast;
    f.slipped_close_date = f.stalled = f.no_activity = f.single_threaded = false;  // nothing is at risk any more
    return out;
  }
  // Open: the forecast's periods that already ended are 0 (the deal did not win in them); the model predicts the
  // rest from the deal's state now.
  std::vector<int64_t> ends;
  size_t past = 0;
  for (const auto& p : m.periods) {
    if (p.end_ms <= cutoff)
      ++past;
    else
      ends.push_back(p.end_ms);
  }
  const auto preds = m.model->Predict(data_, *outcomes_, std::vector<const insights::DealRecord*>{&record},
                                      std::vector<insights::DealState>{st}, cutoff, ends);
  pred.p_win = preds[0].p_win;
  pred.won_by.assign(past, 0.0);
  pred.won_by.insert(pred.won_by.end(), preds[0].won_by.begin(), preds[0].won_by.end());
  std::vector<double> earlier;  // an event from before the build's last change (a replay) sees only what came before
  const std::vector<double>& stall =
      cutoff > last_change_ms_ ? stall_ : (earlier = insights::StallThresholds(data_, cutoff));
  out.forecast = insights::MakeDealForecast(data_, record, st, pred, cutoff, amount,
                                            stall[static_cast<size_t>(st.stage)], m.no_activity_days);
  return out;
}

}  // namespace revlens::serve
