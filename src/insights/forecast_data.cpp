#include "insights/forecast_data.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/time_util.hpp"

namespace revlens::insights {
namespace {

using warehouse::Value;
using warehouse::Warehouse;

/// Most common technologies kept as one-hot features (the rest are too rare to learn from).
constexpr size_t kMaxTech = 12;

int64_t MillisOf(const Value& v) {
  if (const auto* t = std::get_if<warehouse::Timestamp>(&v)) return FloorDiv(t->micros, 1000);
  if (const auto* d = std::get_if<warehouse::Date>(&v)) return static_cast<int64_t>(d->days) * kDayMs;
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (auto ms = ParseTimestampMillis(*s)) return *ms;
  }
  return kNever;
}

std::string Text(const Value& v) {
  if (warehouse::IsNull(v)) return {};
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return warehouse::ToString(v);
}

double NumberOr(const Value& v, double fallback) {
  if (warehouse::IsNull(v)) return fallback;
  if (const auto* s = std::get_if<std::string>(&v)) {
    if (s->empty()) return fallback;
    char* end = nullptr;
    const double x = std::strtod(s->c_str(), &end);
    return end && *end == '\0' ? x : fallback;
  }
  if (std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v)) return warehouse::AsDouble(v);
  return fallback;
}

int64_t IdOr(const Value& v) {
  const double x = NumberOr(v, 0);
  return std::isfinite(x) ? static_cast<int64_t>(std::llround(x)) : 0;
}

void RequireModel(Warehouse& wh, const std::string& schema, const std::string& model) {
  if (!wh.TableExists(schema, model))
    throw ConfigError("model " + schema + "." + model +
                      " is missing: run `revlens build` (it builds the forecast_* models in sql/models/features) "
                      "against this warehouse and schema first");
}

int CategoryCode(const std::string& v) {
  if (v == "PIPELINE") return 0;
  if (v == "BEST_CASE") return 1;
  if (v == "COMMIT") return 2;
  if (v == "CLOSED") return 3;
  if (v == "OMIT") return 4;
  return -1;
}

/// Codes for a categorical attribute: `order` first (an ordinal scale), then the other values alphabetically.
std::vector<std::string> Vocabulary(const std::set<std::string>& seen, const std::vector<std::string>& order = {}) {
  std::vector<std::string> out;
  for (const auto& o : order)
    if (seen.count(o)) out.push_back(o);
  for (const auto& s : seen)
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  return out;
}

int CodeOf(const std::vector<std::string>& vocab, const std::string& v) {
  if (v.empty()) return -1;
  const auto it = std::find(vocab.begin(), vocab.end(), v);
  return it == vocab.end() ? -1 : static_cast<int>(it - vocab.begin());
}

/// Index of the last entry of a time-sorted history strictly before `cutoff` (-1 = none).
template <typename T>
ptrdiff_t LastBefore(const std::vector<Dated<T>>& h, int64_t cutoff) {
  const auto it =
      std::lower_bound(h.begin(), h.end(), cutoff, [](const Dated<T>& d, int64_t c) { return d.at_ms < c; });
  return (it - h.begin()) - 1;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ periods

Period PeriodContaining(int64_t ms, PeriodType type) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(FloorDiv(ms, kDayMs), y, m, d);
  const unsigned first = type == PeriodType::kQuarter ? (m - 1) / 3 * 3 + 1 : m;
  const unsigned len = type == PeriodType::kQuarter ? 3 : 1;
  int64_t ey = y;
  unsigned em = first + len;
  if (em > 12) {
    em -= 12;
    ++ey;
  }
  Period p;
  p.start_ms = DaysFromCivil(y, first, 1) * kDayMs;
  p.end_ms = DaysFromCivil(ey, em, 1) * kDayMs;
  char buf[48];
  if (type == PeriodType::kQuarter)
    std::snprintf(buf, sizeof buf, "%04lld-Q%u", static_cast<long long>(y), (first - 1) / 3 + 1);
  else
    std::snprintf(buf, sizeof buf, "%04lld-%02u", static_cast<long long>(y), first);
  p.label = buf;
  return p;
}

Period ShiftPeriod(const Period& p, PeriodType type, int offset) {
  Period q = p;
  for (int i = 0; i < offset; ++i) q = PeriodContaining(q.end_ms, type);
  for (int i = 0; i > offset; --i) q = PeriodContaining(q.start_ms - 1, type);
  return q;
}

std::string PeriodTypeName(PeriodType type) {
  return type == PeriodType::kQuarter ? "quarter" : "month";
}

PeriodType ParsePeriodType(const std::string& text) {
  if (text == "quarter") return PeriodType::kQuarter;
  if (text == "month") return PeriodType::kMonth;
  throw ConfigError("--period '" + text + "': use month or quarter");
}

// ------------------------------------------------------------------------------------------------ loading

StageResolver::StageResolver(const std::vector<StageMeta>& stages) {
  for (size_t i = 0; i < stages.size(); ++i) {
    by_pipeline_[{stages[i].pipeline_id, stages[i].stage_id}] = static_cast<int>(i);
    auto [it, fresh] = by_id_.emplace(stages[i].stage_id, static_cast<int>(i));
    if (!fresh) it->second = -2;
  }
}

int StageResolver::Resolve(const std::string& pipeline_id, const std::string& stage_id) const {
  if (const auto it = by_pipeline_.find({pipeline_id, stage_id}); it != by_pipeline_.end()) return it->second;
  const auto it = by_id_.find(stage_id);
  return it != by_id_.end() && it->second >= 0 ? it->second : -1;
}

ForecastData LoadForecastData(Warehouse& wh, const std::string& schema, const std::string& as_of) {
  for (const char* m :
       {"forecast_deals", "forecast_deal_events", "stg_hubspot__pipeline_stages", "owner_performance", "int_as_of"})
    RequireModel(wh, schema, m);
  const auto Q = [&](const std::string& t) { return Warehouse::QualifiedName(schema, t); };
  ForecastData data;
  data.schema = schema;

  // As of: the forecast's cutoff is the start of the day after the as-of date (data through that day).
  int64_t as_of_day;
  if (!as_of.empty()) {
    const auto d = warehouse::ParseDate(as_of);
    if (!d) throw ConfigError("--as-of '" + as_of + "': expected YYYY-MM-DD");
    as_of_day = d->days;
  } else {
    const auto rs = wh.Query("SELECT as_of_date FROM " + Q("int_as_of"));
    as_of_day = FloorDiv(MillisOf(rs.Scalar<Value>()), kDayMs);
  }
  data.as_of_ms = (as_of_day + 1) * kDayMs;

  // Stages: order among the pipeline's open stages by display order.
  {
    const auto rs = wh.Query(
        "SELECT pipeline_id, stage_id, stage_label, stage_order, probability, is_closed, is_won, pipeline_label FROM " +
        Q("stg_hubspot__pipeline_stages") +
        " WHERE is_deleted IS NOT TRUE ORDER BY pipeline_id, stage_order, stage_id");
    std::map<std::string, std::vector<size_t>> by_pipeline;
    for (const auto& r : rs.rows) {
      StageMeta s;
      s.pipeline_id = Text(r[0]);
      s.stage_id = Text(r[1]);
      s.label = Text(r[2]);
      s.probability = NumberOr(r[4], 0);
      s.closed = !warehouse::IsNull(r[5]) && warehouse::AsBool(r[5]);
      s.won = !warehouse::IsNull(r[6]) && warehouse::AsBool(r[6]);
      by_pipeline[s.pipeline_id].push_back(data.stages.size());
      data.stages.push_back(std::move(s));
      if (std::find(data.pipelines.begin(), data.pipelines.end(), data.stages.back().pipeline_id) ==
          data.pipelines.end()) {
        data.pipelines.push_back(data.stages.back().pipeline_id);
        const std::string label = Text(r[7]);
        data.pipeline_labels.push_back(label.empty() ? data.pipelines.back() : label);
      }
    }
    data.open_stage_count.assign(data.pipelines.size(), 0);
    for (auto& [pl, idx] : by_pipeline) {
      int open = 0;
      for (size_t i : idx)
        if (!data.stages[i].closed) data.stages[i].order = open++;
      for (size_t i : idx)
        if (data.stages[i].closed) data.stages[i].order = open;
      const auto p = std::find(data.pipelines.begin(), data.pipelines.end(), pl) - data.pipelines.begin();
      data.open_stage_count[static_cast<size_t>(p)] = open;
    }
  }
  const StageResolver stage_of(data.stages);
  const auto PipelineIndex = [&](const std::string& id) {
    auto it = std::find(data.pipelines.begin(), data.pipelines.end(), id);
    if (it == data.pipelines.end()) {
      data.pipelines.push_back(id);
      data.pipeline_labels.push_back(id);
      data.open_stage_count.push_back(0);
      return static_cast<int>(data.pipelines.size() - 1);
    }
    return static_cast<int>(it - data.pipelines.begin());
  };

  // Owners and teams.
  {
    const auto rs = wh.Query("SELECT owner_id, owner_name, team_id, team_name FROM " + Q("owner_performance"));
    for (const auto& r : rs.rows) {
      OwnerInfo o{Text(r[1]), Text(r[2]), Text(r[3])};
      data.owners[IdOr(r[0])] = std::move(o);
    }
  }

  // Deals.
  std::unordered_map<int64_t, size_t> deal_index;
  {
    const auto rs = wh.Query(
        "SELECT deal_id, pipeline_id, created_at, is_closed, is_won, closed_at, amount, owner_id, industry, "
        "size_band, tech_stack, lead_source, contact_seniority FROM " +
        Q("forecast_deals") + " ORDER BY deal_id");
    std::set<std::string> industries, bands, seniorities, sources;
    std::map<std::string, int64_t> tech_counts;
    std::vector<std::array<std::string, 4>> attrs;
    std::vector<std::vector<std::string>> techs;
    for (const auto& r : rs.rows) {
      DealRecord d;
      d.deal_id = IdOr(r[0]);
      d.pipeline = PipelineIndex(Text(r[1]));
      d.created_ms = MillisOf(r[2]);
      d.closed = !warehouse::IsNull(r[3]) && warehouse::AsBool(r[3]);
      d.won = !warehouse::IsNull(r[4]) && warehouse::AsBool(r[4]);
      d.close_ms = d.closed ? MillisOf(r[5]) : kNever;
      d.final_amount = NumberOr(r[6], 0);
      if (!std::isfinite(d.final_amount)) d.final_amount = 0;
      d.final_owner = IdOr(r[7]);
      std::array<std::string, 4> a = {Text(r[8]), Text(r[9]), Text(r[12]), Text(r[11])};
      if (!a[0].empty()) industries.insert(a[0]);
      if (!a[1].empty()) bands.insert(a[1]);
      if (!a[2].empty()) seniorities.insert(a[2]);
      if (!a[3].empty()) sources.insert(a[3]);
      std::vector<std::string> t;
      std::string item;
      for (char c : Text(r[10]) + ";") {
        if (c == ';') {
          while (!item.empty() && item.back() == ' ') item.pop_back();
          size_t b = 0;
          while (b < item.size() && item[b] == ' ') ++b;
          if (b < item.size()) {
            t.push_back(item.substr(b));
            ++tech_counts[t.back()];
          }
          item.clear();
        } else {
          item += c;
        }
      }
      if (d.created_ms == kNever) continue;
      deal_index[d.deal_id] = data.deals.size();
      data.deals.push_back(std::move(d));
      attrs.push_back(std::move(a));
      techs.push_back(std::move(t));
    }
    data.industry_vocabulary = Vocabulary(industries);
    data.size_band_vocabulary = Vocabulary(bands, {"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"});
    data.seniority_vocabulary =
        Vocabulary(seniorities, {"c_level", "vp", "director", "manager", "individual_contributor", "student"});
    data.source_vocabulary = Vocabulary(sources);
    std::vector<std::pair<int64_t, std::string>> by_count;
    for (const auto& [t, n] : tech_counts) by_count.emplace_back(-n, t);
    std::sort(by_count.begin(), by_count.end());
    for (size_t i = 0; i < by_count.size() && i < kMaxTech; ++i) data.tech_vocabulary.push_back(by_count[i].second);
    for (size_t i = 0; i < data.deals.size(); ++i) {
      auto& d = data.deals[i];
      d.industry = CodeOf(data.industry_vocabulary, attrs[i][0]);
      d.size_band = CodeOf(data.size_band_vocabulary, attrs[i][1]);
      d.seniority = CodeOf(data.seniority_vocabulary, attrs[i][2]);
      d.lead_source = CodeOf(data.source_vocabulary, attrs[i][3]);
      for (const auto& t : techs[i]) {
        const int c = CodeOf(data.tech_vocabulary, t);
        if (c >= 0) d.tech.push_back(c);
      }
    }
  }

  // Events, in time order per deal.
  {
    const auto rs = wh.Query("SELECT deal_id, occurred_at, event_kind, event_name, event_value, contact_id FROM " +
                             Q("forecast_deal_events") + " ORDER BY deal_id, occurred_at, event_kind, event_name");
    data.event_rows = rs.RowCount();
    for (const auto& r : rs.rows) {
      const auto it = deal_index.find(IdOr(r[0]));
      if (it == deal_index.end()) continue;
      auto& d = data.deals[it->second];
      const int64_t at = MillisOf(r[1]);
      if (at == kNever) continue;
      const std::string kind = Text(r[2]), name = Text(r[3]), value = Text(r[4]);
      if (kind == "engagement") {
        int type = -1;
        for (size_t k = 0; k < std::size(kEngagementTypes); ++k)
          if (name == kEngagementTypes[k]) type = static_cast<int>(k);
        if (type >= 0) d.engagements.push_back({at, type, IdOr(r[5])});
      } else if (name == "dealstage") {
        const int s = stage_of.Resolve(data.pipelines[static_cast<size_t>(d.pipeline)], value);
        if (s >= 0) d.stages.push_back({at, s});
      } else if (name == "amount") {
        d.amounts.push_back({at, NumberOr(r[4], kNaN)});
      } else if (name == "closedate") {
        const auto ms = value.empty() ? std::nullopt : ParseTimestampMillis(value);
        d.close_dates.push_back({at, ms ? *ms : kNever});
      } else if (name == "hubspot_owner_id") {
        d.owners.push_back({at, IdOr(r[4])});
      } else if (name == "hs_manual_forecast_category") {
        d.categories.push_back({at, CategoryCode(value)});
      } else if (name == "pipeline") {
        d.pipelines.push_back({at, PipelineIndex(value)});
      }
    }
  }
  for (auto& d : data.deals) {
    for (const auto& s : d.stages) {
      if (data.stages[static_cast<size_t>(s.value)].closed) {
        d.close_known_ms = s.at_ms;
        break;
      }
    }
    if (d.closed && d.close_known_ms == kNever) d.close_known_ms = d.close_ms;
    if (d.closed && d.close_ms == kNever) d.close_ms = d.close_known_ms;
  }
  return data;
}

// ------------------------------------------------------------------------------------------------ views

ForecastData TruncateAt(const ForecastData& data, int64_t cutoff) {
  ForecastData out;
  out.schema = data.schema;
  out.as_of_ms = std::min(data.as_of_ms, cutoff);
  out.pipelines = data.pipelines;
  out.pipeline_labels = data.pipeline_labels;
  out.stages = data.stages;
  out.owners = data.owners;
  out.industry_vocabulary = data.industry_vocabulary;
  out.size_band_vocabulary = data.size_band_vocabulary;
  out.seniority_vocabulary = data.seniority_vocabulary;
  out.source_vocabulary = data.source_vocabulary;
  out.tech_vocabulary = data.tech_vocabulary;
  out.open_stage_count = data.open_stage_count;
  out.deals.reserve(data.deals.size());
  const auto Cut = [cutoff](auto& v) {
    v.erase(std::lower_bound(v.begin(), v.end(), cutoff, [](const auto& e, int64_t c) { return e.at_ms < c; }),
            v.end());
  };
  for (const auto& src : data.deals) {
    if (src.created_ms >= cutoff) continue;
    DealRecord d = src;
    Cut(d.stages);
    Cut(d.amounts);
    Cut(d.close_dates);
    Cut(d.owners);
    Cut(d.categories);
    Cut(d.pipelines);
    Cut(d.engagements);
    if (!d.pipelines.empty()) d.pipeline = d.pipelines.back().value;
    out.event_rows += d.stages.size() + d.amounts.size() + d.close_dates.size() + d.owners.size() +
                      d.categories.size() + d.pipelines.size() + d.engagements.size();
    if (d.close_known_ms >= cutoff) {
      d.closed = d.won = false;
      d.close_ms = d.close_known_ms = kNever;
      d.final_amount = d.amounts.empty() || !std::isfinite(d.amounts.back().value) ? 0 : d.amounts.back().value;
      if (!d.owners.empty()) d.final_owner = d.owners.back().value;
    }
    out.deals.push_back(std::move(d));
  }
  return out;
}

std::vector<double> AmountCaps(const ForecastData& data) {
  std::vector<std::vector<double>> amounts(data.pipelines.size());
  for (const auto& d : data.deals)
    if (d.pipeline >= 0 && std::isfinite(d.final_amount) && d.final_amount > 0)
      amounts[static_cast<size_t>(d.pipeline)].push_back(d.final_amount);
  std::vector<double> caps(data.pipelines.size(), std::numeric_limits<double>::infinity());
  for (size_t p = 0; p < amounts.size(); ++p) {
    auto& v = amounts[p];
    if (v.size() < 10) continue;
    std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(v.size() / 2), v.end());
    caps[p] = kAmountCapMultiple * v[v.size() / 2];
  }
  return caps;
}

// ------------------------------------------------------------------------------------------------ state

DealState StateAt(const ForecastData& data, const DealRecord& deal, int64_t cutoff) {
  DealState s;
  if (deal.created_ms >= cutoff) return s;
  const ptrdiff_t si = LastBefore(deal.stages, cutoff);
  if (si < 0) return s;
  s.exists = true;
  s.stage = deal.stages[static_cast<size_t>(si)].value;
  const StageMeta& meta = data.stages[static_cast<size_t>(s.stage)];
  s.open = !meta.closed;
  // Stage visits: consecutive records of one stage are one visit.
  int prev = -1, prev_order = -1;
  for (ptrdiff_t i = 0; i <= si; ++i) {
    const auto& e = deal.stages[static_cast<size_t>(i)];
    if (e.value == prev) continue;
    const int order = data.stages[static_cast<size_t>(e.value)].order;
    if (prev >= 0 && order < prev_order) ++s.backward_moves;
    ++s.stage_visits;
    s.stage_entered_ms = e.at_ms;
    prev = e.value;
    prev_order = order;
  }
  s.pipeline = deal.pipeline;
  if (const ptrdiff_t pi = LastBefore(deal.pipelines, cutoff); pi >= 0)
    s.pipeline = deal.pipelines[static_cast<size_t>(pi)].value;
  if (data.stages[static_cast<size_t>(s.stage)].pipeline_id != data.pipelines[static_cast<size_t>(s.pipeline)]) {
    for (size_t p = 0; p < data.pipelines.size(); ++p)
      if (data.pipelines[p] == meta.pipeline_id) s.pipeline = static_cast<int>(p);
  }
  const ptrdiff_t ai = LastBefore(deal.amounts, cutoff);
  s.amount = ai >= 0 ? deal.amounts[static_cast<size_t>(ai)].value : kNaN;
  s.amount_changes = ai > 0 ? static_cast<int>(ai) : 0;
  const ptrdiff_t ci = LastBefore(deal.close_dates, cutoff);
  if (ci >= 0) {
    s.close_date_ms = deal.close_dates[static_cast<size_t>(ci)].value;
    for (ptrdiff_t i = 1; i <= ci; ++i) {
      const int64_t a = deal.close_dates[static_cast<size_t>(i - 1)].value,
                    b = deal.close_dates[static_cast<size_t>(i)].value;
      if (a != kNever && b != kNever && b > a) {
        ++s.close_date_pushes;
        s.pushed_days += static_cast<double>(b - a) / kDayMs;
      }
    }
  }
  const ptrdiff_t oi = LastBefore(deal.owners, cutoff);
  s.owner = oi >= 0 ? deal.owners[static_cast<size_t>(oi)].value : deal.final_owner;
  const ptrdiff_t fi = LastBefore(deal.categories, cutoff);
  s.category = fi >= 0 ? deal.categories[static_cast<size_t>(fi)].value : -1;
  std::set<int64_t> contacts;
  for (const auto& e : deal.engagements) {
    if (e.at_ms >= cutoff) break;
    ++s.engagements;
    if (e.at_ms >= cutoff - 14 * kDayMs) ++s.engagements_14d;
    if (e.at_ms >= cutoff - 30 * kDayMs) ++s.engagements_30d;
    if (e.type == 2) {
      ++s.meetings;
      if (e.at_ms >= deal.created_ms && e.at_ms < deal.created_ms + 14 * kDayMs) s.early_meeting = true;
    }
    if (e.type == 0) ++s.calls;
    if (e.type == 1) ++s.emails;
    if (e.contact_id != 0) contacts.insert(e.contact_id);
    s.last_engagement_ms = e.at_ms;
  }
  s.contacts_engaged = static_cast<int>(contacts.size());
  return s;
}

// ------------------------------------------------------------------------------------------------ outcomes

OutcomeIndex::OutcomeIndex(const ForecastData& data) {
  std::map<std::pair<int64_t, int>, std::vector<std::pair<int64_t, int>>> raw;
  for (const auto& d : data.deals) {
    if (!d.closed || d.close_known_ms == kNever) continue;
    const int64_t owner = d.final_owner;
    raw[{owner, d.pipeline}].emplace_back(d.close_known_ms, d.won ? 1 : 0);
    raw[{0, d.pipeline}].emplace_back(d.close_known_ms, d.won ? 1 : 0);
  }
  for (auto& [key, v] : raw) {
    std::sort(v.begin(), v.end());
    Series s;
    int64_t w = 0;
    for (const auto& [at, won] : v) {
      w += won;
      s.at.push_back(at);
      s.wins.push_back(w);
    }
    series_[key] = std::move(s);
  }
}

std::pair<int64_t, int64_t> OutcomeIndex::Count(int64_t owner, int pipeline, int64_t cutoff) const {
  const auto it = series_.find({owner, pipeline});
  if (it == series_.end()) return {0, 0};
  const auto& s = it->second;
  const auto n = std::lower_bound(s.at.begin(), s.at.end(), cutoff) - s.at.begin();
  if (n == 0) return {0, 0};
  return {s.wins[static_cast<size_t>(n - 1)], n};
}

double OutcomeIndex::PipelineWinRate(int pipeline, int64_t cutoff) const {
  const auto [pw, pn] = Count(0, pipeline, cutoff);
  return pn > 0 ? static_cast<double>(pw) / static_cast<double>(pn) : 0.5;
}

double OutcomeIndex::ShrunkWinRate(int64_t owner, int pipeline, int64_t cutoff) const {
  const double prior = PipelineWinRate(pipeline, cutoff);
  const auto [ow, on] = owner != 0 ? Count(owner, pipeline, cutoff) : std::pair<int64_t, int64_t>{0, 0};
  return (static_cast<double>(ow) + kOwnerPriorDeals * prior) / (static_cast<double>(on) + kOwnerPriorDeals);
}

// ------------------------------------------------------------------------------------------------ features

const std::vector<std::string>& DealFeatureNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"pipeline",
                                  "stage_order",
                                  "stage_probability",
                                  "days_in_stage",
                                  "age_days",
                                  "stage_visits",
                                  "backward_moves",
                                  "log_amount",
                                  "amount_changes",
                                  "days_to_close_date",
                                  "close_date_pushes",
                                  "pushed_days",
                                  "forecast_category",
                                  "owner_win_rate",
                                  "owner_closed_deals",
                                  "engagements",
                                  "engagements_14d",
                                  "engagements_30d",
                                  "days_since_activity",
                                  "meetings",
                                  "calls",
                                  "emails",
                                  "contacts_engaged",
                                  "early_meeting",
                                  "industry",
                                  "size_band",
                                  "contact_seniority",
                                  "lead_source"};
    for (size_t k = 0; k < kMaxTech; ++k) n.push_back("tech_" + std::to_string(k));
    return n;
  }();
  return names;
}

size_t DealFeatureCount() {
  return DealFeatureNames().size();
}

void DealFeatures(const ForecastData& data, const OutcomeIndex& outcomes, const DealRecord& deal, const DealState& s,
                  int64_t cutoff, float* out) {
  const auto days = [](int64_t ms) { return static_cast<float>(static_cast<double>(ms) / kDayMs); };
  const StageMeta& meta = data.stages[static_cast<size_t>(s.stage)];
  const float nan = std::numeric_limits<float>::quiet_NaN();
  size_t i = 0;
  out[i++] = static_cast<float>(s.pipeline);
  out[i++] = static_cast<float>(meta.order);
  out[i++] = static_cast<float>(meta.probability);
  out[i++] = days(cutoff - s.stage_entered_ms);
  out[i++] = days(cutoff - deal.created_ms);
  out[i++] = static_cast<float>(s.stage_visits);
  out[i++] = static_cast<float>(s.backward_moves);
  out[i++] = std::isfinite(s.amount) && s.amount > 0 ? static_cast<float>(std::log1p(s.amount)) : nan;
  out[i++] = static_cast<float>(s.amount_changes);
  out[i++] = s.close_date_ms == kNever ? nan : days(s.close_date_ms - cutoff);
  out[i++] = static_cast<float>(s.close_date_pushes);
  out[i++] = static_cast<float>(s.pushed_days);
  out[i++] = s.category < 0 ? nan : static_cast<float>(s.category);
  out[i++] = static_cast<float>(outcomes.ShrunkWinRate(s.owner, s.pipeline, cutoff));
  out[i++] = static_cast<float>(s.owner != 0 ? outcomes.Count(s.owner, s.pipeline, cutoff).second : 0);
  out[i++] = static_cast<float>(s.engagements);
  out[i++] = static_cast<float>(s.engagements_14d);
  out[i++] = static_cast<float>(s.engagements_30d);
  out[i++] = days(cutoff - (s.last_engagement_ms > 0 ? s.last_engagement_ms : deal.created_ms));
  out[i++] = static_cast<float>(s.meetings);
  out[i++] = static_cast<float>(s.calls);
  out[i++] = static_cast<float>(s.emails);
  out[i++] = static_cast<float>(s.contacts_engaged);
  out[i++] = s.early_meeting ? 1.0f : 0.0f;
  out[i++] = deal.industry < 0 ? nan : static_cast<float>(deal.industry);
  out[i++] = deal.size_band < 0 ? nan : static_cast<float>(deal.size_band);
  out[i++] = deal.seniority < 0 ? nan : static_cast<float>(deal.seniority);
  out[i++] = deal.lead_source < 0 ? nan : static_cast<float>(deal.lead_source);
  for (size_t k = 0; k < kMaxTech; ++k) out[i + k] = k < data.tech_vocabulary.size() ? 0.0f : nan;
  for (int t : deal.tech) out[i + static_cast<size_t>(t)] = 1.0f;
}

}  // namespace revlens::insights
