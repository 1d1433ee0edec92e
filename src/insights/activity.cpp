#include "insights/activity.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "insights/stats.hpp"
#include "insights/table_util.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {
namespace {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Date;
using warehouse::Timestamp;
using warehouse::Value;
using warehouse::Warehouse;
using Clock = std::chrono::steady_clock;

constexpr int64_t kMicrosPerMs = 1000;
/// HubSpot's default "Connected" call outcome (hs_call_disposition holds the outcome's GUID).
constexpr const char* kConnectedDisposition = "f240bbac-87c9-4f6e-bf70-924b57d47db7";

Value S(const std::string& s) {
  return s.empty() ? Value() : Value(s);
}
int64_t Ms(Timestamp t) {
  return FloorDiv(t.micros, kMicrosPerMs);
}
/// The Monday of the week holding `ms` (1970-01-01 was a Thursday).
Date WeekOf(int64_t ms) {
  const int64_t days = FloorDiv(ms, kDayMs);
  return Date{static_cast<int32_t>(days - ((days + 3) % 7 + 7) % 7)};
}
std::string Segment(const std::string& industry, const std::string& size_band) {
  if (industry.empty() && size_band.empty()) return {};
  return (industry.empty() ? "?" : industry) + " × " + (size_band.empty() ? "?" : size_band);
}
std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
std::string Pct(double v) {
  return Fmt("%.0f%%", 100 * v);
}
/// An odds or time ratio for prose: two decimals below 1, one above.
std::string Ratio(double v) {
  return v < 1 ? Fmt("%.2f", v) : Fmt("%.1f", v);
}
std::string Thousands(int64_t v) {
  // Built front to back rather than with string::insert, which g++ 12 flags with a false -Wrestrict once inlined.
  const std::string digits = std::to_string(v < 0 ? -(v + 1) + uint64_t{1} : static_cast<uint64_t>(v));
  std::string s = v < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ regression

// Hand-written on Eigen on purpose: Debian ships no maintained C++ GLM library (mlpack's logistic regression has
// no standard errors, and the R/Python ones cannot be linked), and IRLS with a Wald covariance is thirty lines.
namespace {

Eigen::MatrixXd Design(const std::vector<std::vector<double>>& x, size_t n, Eigen::Index& p) {
  p = x.empty() ? 0 : static_cast<Eigen::Index>(x.front().size());
  Eigen::MatrixXd design(static_cast<Eigen::Index>(n), p + 1);
  for (size_t i = 0; i < n; ++i) {
    const auto& row = x[i];
    if (static_cast<Eigen::Index>(row.size()) != p) throw InvalidInputError("regression: rows of different lengths");
    design(static_cast<Eigen::Index>(i), 0) = 1.0;
    for (Eigen::Index j = 0; j < p; ++j) design(static_cast<Eigen::Index>(i), j + 1) = row[static_cast<size_t>(j)];
  }
  return design;
}

Eigen::VectorXd Penalty(const std::vector<double>& penalty, Eigen::Index p) {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(p + 1);
  if (!penalty.empty()) {
    if (static_cast<Eigen::Index>(penalty.size()) != p)
      throw InvalidInputError("regression: need one penalty per column");
    for (Eigen::Index j = 0; j < p; ++j) out(j + 1) = penalty[static_cast<size_t>(j)];
  }
  return out;
}

RegressionFit Finish(const Eigen::VectorXd& beta, const Eigen::MatrixXd& information) {
  RegressionFit fit;
  fit.coefficients.assign(beta.data(), beta.data() + beta.size());
  const Eigen::MatrixXd cov =
      information.ldlt().solve(Eigen::MatrixXd::Identity(information.rows(), information.cols()));
  fit.std_errors.resize(static_cast<size_t>(beta.size()));
  for (Eigen::Index j = 0; j < beta.size(); ++j)
    fit.std_errors[static_cast<size_t>(j)] = std::sqrt(std::max(0.0, cov(j, j)));
  return fit;
}

}  // namespace

RegressionFit FitLogistic(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                          const std::vector<double>& penalty, int max_iterations) {
  return FitLogisticWeighted(x, y, {}, penalty, max_iterations);
}

RegressionFit FitLogisticWeighted(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                                  const std::vector<double>& weights, const std::vector<double>& penalty,
                                  int max_iterations) {
  if (x.empty() || x.size() != y.size())
    throw InvalidInputError("logistic regression: need one outcome per row and at least one row");
  if (!weights.empty() && weights.size() != x.size())
    throw InvalidInputError("logistic regression: need one weight per row");
  Eigen::Index p = 0;
  const Eigen::MatrixXd design = Design(x, x.size(), p);
  const Eigen::VectorXd pen = Penalty(penalty, p);
  const auto n = static_cast<Eigen::Index>(x.size());
  Eigen::VectorXd target(n), count = Eigen::VectorXd::Ones(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    target(i) = y[static_cast<size_t>(i)];
    if (!weights.empty()) count(i) = weights[static_cast<size_t>(i)];
  }
  const double total = count.sum();
  if (!(total > 0)) throw InvalidInputError("logistic regression: the weights sum to 0");
  auto objective = [&](const Eigen::VectorXd& b) {  // penalised log-likelihood
    const Eigen::ArrayXd eta = (design * b).array();
    // log(1 + e^eta) computed without overflow.
    const Eigen::ArrayXd softplus = eta.max(0.0) + (-eta.abs()).exp().log1p();
    return (count.array() * (target.array() * eta - softplus)).sum() - 0.5 * (pen.array() * b.array().square()).sum();
  };
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(p + 1);
  const double rate = std::clamp(count.dot(target) / total, 1e-6, 1.0 - 1e-6);
  beta(0) = std::log(rate / (1.0 - rate));
  double current = objective(beta);
  Eigen::MatrixXd information;
  RegressionFit fit;
  for (int it = 1; it <= max_iterations; ++it) {
    const Eigen::ArrayXd mu = (1.0 + (-(design * beta).array()).exp()).inverse();
    const Eigen::VectorXd w = (count.array() * (mu * (1.0 - mu)).max(1e-12)).matrix();
    const Eigen::VectorXd gradient =
        design.transpose() * (count.array() * (target.array() - mu)).matrix() - pen.cwiseProduct(beta);
    information = design.transpose() * w.asDiagonal() * design;
    information.diagonal() += pen;
    information(0, 0) += 1e-9;  // keeps the solve defined when every outcome is the same
    Eigen::VectorXd step = information.ldlt().solve(gradient);
    // Step halving: Newton steps on the logistic likelihood rarely overshoot, but a near-separable column can.
    double next = objective(beta + step);
    for (int h = 0; h < 30 && !(next >= current - 1e-12); ++h) {
      step *= 0.5;
      next = objective(beta + step);
    }
    beta += step;
    current = next;
    fit.iterations = it;
    if (step.lpNorm<Eigen::Infinity>() < 1e-8) {
      fit.converged = true;
      break;
    }
  }
  const Eigen::ArrayXd mu = (1.0 + (-(design * beta).array()).exp()).inverse();
  const Eigen::VectorXd w = (count.array() * (mu * (1.0 - mu)).max(1e-12)).matrix();
  information = design.transpose() * w.asDiagonal() * design;
  information.diagonal() += pen;
  information(0, 0) += 1e-9;
  RegressionFit out = Finish(beta, information);
  out.iterations = fit.iterations;
  out.converged = fit.converged;
  return out;
}

RegressionFit FitLinear(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                        const std::vector<double>& penalty) {
  if (x.empty() || x.size() != y.size())
    throw InvalidInputError("linear regression: need one outcome per row and at least one row");
  Eigen::Index p = 0;
  const Eigen::MatrixXd design = Design(x, x.size(), p);
  const Eigen::VectorXd pen = Penalty(penalty, p);
  const Eigen::VectorXd target = Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  Eigen::MatrixXd gram = design.transpose() * design;
  gram.diagonal() += pen;
  gram(0, 0) += 1e-9;
  const Eigen::VectorXd beta = gram.ldlt().solve(design.transpose() * target);
  const double rss = (target - design * beta).squaredNorm();
  const double dof = std::max<double>(1.0, static_cast<double>(design.rows() - design.cols()));
  const double sigma2 = rss / dof;
  RegressionFit fit = Finish(beta, gram / sigma2);
  fit.iterations = 1;
  fit.converged = true;
  fit.residual_variance = sigma2;
  return fit;
}

// ------------------------------------------------------------------------------------------------ loading

ActivityData LoadActivityData(Warehouse& wh, const ActivityOptions& o) {
  const std::string& schema = o.schema;
  for (const char* t : {"engagements", "deals", "deal_stage_history", "contacts", "companies", "int_as_of"})
    RequireTable(wh, schema, t);
  ActivityData data;
  int64_t as_of_day = 0;
  if (!o.as_of.empty()) {
    const auto d = warehouse::ParseDate(o.as_of);
    if (!d) throw ConfigError("--as-of '" + o.as_of + "': expected YYYY-MM-DD");
    as_of_day = d->days;
  } else {
    const auto v = wh.Query("select as_of_date from " + Ident(schema, "int_as_of")).Scalar<Value>();
    const auto t = OptTimestamp(v);
    if (!t) throw ConfigError(schema + ".int_as_of has no as_of_date: rebuild the models");
    as_of_day = FloorDiv(Ms(*t), kDayMs);
  }
  data.cutoff_ms = (as_of_day + 1) * kDayMs;
  data.as_of = FormatDate(as_of_day * kDayMs);
  const std::string cut = Warehouse::Literal(warehouse::TimestampFromMillis(data.cutoff_ms));
  const std::string E = Ident(schema, "engagements"), D = Ident(schema, "deals"), C = Ident(schema, "contacts");
  std::set<std::string> company_columns;
  for (const auto& c : wh.Columns(schema, "companies")) company_columns.insert(c.name);
  auto company_col = [&](const char* name) {
    return company_columns.count(name) ? "cast(co." + std::string(name) + " as varchar)"
                                       : std::string("cast(null as varchar)");
  };
  const std::string companies = Ident(schema, "companies");
  const std::string is_touch =
      "(e.engagement_type in ('call', 'meeting') or (e.engagement_type = 'email' and "
      "upper(coalesce(e.direction, '')) <> 'INCOMING_EMAIL'))";

  // Deals, their segment and their last activity (anything but tasks, whose timestamp is a due date).
  {
    const auto rs = wh.Query(
        "with last_activity as (select e.deal_id, max(e.occurred_at) as last_activity_at from " + E +
        " as e where e.deal_id is not null and e.engagement_type <> 'task' and e.occurred_at < " + cut +
        " group by e.deal_id) select d.deal_id, d.deal_name, d.pipeline_id, d.deal_stage_id, d.owner_id, "
        "d.owner_name, d.team_name, d.is_open, d.is_won, d.is_lost, d.amount, d.cycle_days, d.deal_created_at, "
        "d.closedate, " +
        company_col("industry") + ", " + company_col("size_band") + ", l.last_activity_at from " + D +
        " as d left join " + companies +
        " as co on co.company_id = d.company_id left join last_activity as l on "
        "l.deal_id = d.deal_id order by d.deal_id");
    data.deals.reserve(rs.RowCount());
    for (const auto& row : rs.rows) {
      ActivityDeal d;
      d.deal_id = warehouse::AsInt64(row[0]);
      d.deal_name = OptString(row[1]);
      d.pipeline_id = OptString(row[2]);
      d.deal_stage_id = OptString(row[3]);
      d.owner_id = OptInt(row[4]);
      d.owner_name = OptString(row[5]);
      d.team_name = OptString(row[6]);
      d.is_open = OptBool(row[7]);
      d.is_won = OptBool(row[8]);
      d.is_lost = OptBool(row[9]);
      d.amount = OptDouble(row[10]);
      d.cycle_days = OptDouble(row[11]);
      d.created_at = OptTimestamp(row[12]);
      if (!d.is_open) d.closed_at = OptTimestamp(row[13]);
      d.segment = Segment(OptString(row[14]), OptString(row[15]));
      d.last_activity_at = OptTimestamp(row[16]);
      data.deals.push_back(std::move(d));
    }
  }
  // Touches in each deal's first window (a few per deal), for the pattern features.
  {
    std::unordered_map<int64_t, size_t> index;
    for (size_t i = 0; i < data.deals.size(); ++i) index.emplace(data.deals[i].deal_id, i);
    // The warehouse classifies each touch (typed flags, no text comes back): a meeting held or scheduled, a call,
    // an outgoing email.
    const auto rs = wh.Query(
        "select e.deal_id, case when e.engagement_type = 'meeting' and upper(coalesce(e.outcome, '')) not in "
        "('NO_SHOW', 'CANCELED', 'CANCELLED', 'RESCHEDULED') then 1 else 0 end, case when e.engagement_type = "
        "'call' then 1 else 0 end, case when e.engagement_type = 'email' and upper(coalesce(e.direction, '')) <> "
        "'INCOMING_EMAIL' then 1 else 0 end, e.contact_id, e.occurred_at from " +
        E + " as e join " + D +
        " as d on d.deal_id = e.deal_id where e.engagement_type in ('call', 'email', 'meeting') "
        "and e.occurred_at >= d.deal_created_at and e.occurred_at < d.deal_created_at + interval '" +
        std::to_string(o.window_days) + " days' and e.occurred_at < " + cut + " order by e.deal_id, e.occurred_at");
    std::vector<std::vector<int64_t>> times(data.deals.size());
    std::vector<std::set<int64_t>> contacts(data.deals.size());
    for (const auto& row : rs.rows) {
      const auto it = index.find(warehouse::AsInt64(row[0]));
      const auto at = OptTimestamp(row[5]);
      if (it == index.end() || !at) continue;
      auto& d = data.deals[it->second];
      d.window_meetings += warehouse::AsInt64(row[1]);
      d.window_calls += warehouse::AsInt64(row[2]);
      d.window_emails_out += warehouse::AsInt64(row[3]);
      ++d.window_touches;
      if (const auto c = OptInt(row[4])) contacts[it->second].insert(*c);
      times[it->second].push_back(Ms(*at));
    }
    const int64_t window_ms = int64_t{o.window_days} * kDayMs;
    for (size_t i = 0; i < data.deals.size(); ++i) {
      auto& d = data.deals[i];
      d.window_contacts = static_cast<int64_t>(contacts[i].size());
      if (!d.created_at) continue;
      const int64_t start = Ms(*d.created_at);
      const int64_t end = std::min(start + window_ms, data.cutoff_ms);
      int64_t prev = start, longest = 0;
      for (int64_t t : times[i]) {
        longest = std::max(longest, t - prev);
        prev = std::max(prev, t);
      }
      longest = std::max(longest, end - prev);
      d.window_longest_gap_days = static_cast<double>(std::max<int64_t>(longest, 0)) / kDayMs;
    }
  }
  // Stages advanced in each deal's window: the deal's pace, which the activity it logs follows.
  {
    std::unordered_map<int64_t, size_t> index;
    for (size_t i = 0; i < data.deals.size(); ++i) index.emplace(data.deals[i].deal_id, i);
    const auto rs =
        wh.Query("select h.deal_id, count(*) from " + Ident(schema, "deal_stage_history") + " as h join " + D +
                 " as d on d.deal_id = h.deal_id where h.visit_number > 1 and not h.is_closed_stage "
                 "and h.entered_at < d.deal_created_at + interval '" +
                 std::to_string(o.window_days) + " days' and h.entered_at < " + cut + " group by h.deal_id");
    for (const auto& row : rs.rows) {
      const auto it = index.find(warehouse::AsInt64(row[0]));
      if (it != index.end()) data.deals[it->second].window_stage_moves = warehouse::AsInt64(row[1]);
    }
  }
  // Names of owners and segments of companies, read once rather than as text on every lead and owner-week: in the
  // marts both are looked up by id (owners joined on owner_id, companies keyed by company_id).
  auto owner_names = [&](const std::string& table) {
    std::unordered_map<int64_t, std::pair<std::string, std::string>> out;
    const auto rs = wh.Query("select owner_id, max(owner_name), max(team_name) from " + table +
                             " where owner_id is not null group by owner_id");
    for (const auto& row : rs.rows)
      out.emplace(warehouse::AsInt64(row[0]), std::make_pair(OptString(row[1]), OptString(row[2])));
    return out;
  };
  // Inbound leads (original source not offline: imports and offline sources are not leads waiting for a reply),
  // their first touch and whether a deal followed.
  {
    std::unordered_map<int64_t, std::string> segment_of;
    {
      const auto rs = wh.Query("select co.company_id, " + company_col("industry") + ", " + company_col("size_band") +
                               " from " + companies + " as co where co.company_id is not null");
      for (const auto& row : rs.rows)
        segment_of.emplace(warehouse::AsInt64(row[0]), Segment(OptString(row[1]), OptString(row[2])));
    }
    const auto owners = owner_names(C);
    const auto rs =
        wh.Query("with touch as (select e.contact_id, min(e.occurred_at) as first_touch_at from " + E +
                 " as e where e.contact_id is not null and e.occurred_at < " + cut + " and " + is_touch +
                 " group by e.contact_id), opp as (select distinct d.contact_id from " + D +
                 " as d where d.contact_id is not null and d.deal_created_at < " + cut +
                 ") select c.contact_id, c.owner_id, c.original_source, c.contact_created_at, c.company_id, "
                 "t.first_touch_at, case when o.contact_id is null then 0 else 1 end as opportunity from " +
                 C +
                 " as c left join touch as t on t.contact_id = c.contact_id left join opp as o on o.contact_id = "
                 "c.contact_id where c.contact_created_at < " +
                 cut +
                 " and c.original_source is not null and upper(c.original_source) <> "
                 "'OFFLINE' order by c.contact_id");
    data.leads.reserve(rs.RowCount());
    for (const auto& row : rs.rows) {
      ActivityLead l;
      const auto created = OptTimestamp(row[3]);
      if (!created) continue;
      l.contact_id = warehouse::AsInt64(row[0]);
      l.owner_id = OptInt(row[1]);
      if (l.owner_id) {
        const auto it = owners.find(*l.owner_id);
        if (it != owners.end()) l.owner_name = it->second.first, l.team_name = it->second.second;
      }
      l.source = OptString(row[2]);
      l.created_at = *created;
      if (const auto company = OptInt(row[4])) {
        const auto it = segment_of.find(*company);
        if (it != segment_of.end()) l.segment = it->second;
      }
      if (const auto t = OptTimestamp(row[5]))
        l.first_touch_hours = std::max(0.0, static_cast<double>(Ms(*t) - Ms(*created)) / kHourMs);
      l.became_opportunity = warehouse::AsInt64(row[6]) != 0;
      data.leads.push_back(std::move(l));
    }
  }
  // Engagement counts per owner × week (the heavy part stays in the warehouse): one pass of plain aggregates, and
  // one over the emails alone for the replies (an outgoing email whose contact's next email comes in within 7
  // days), merged here by owner and week.
  {
    auto sum = [](const std::string& cond) { return "cast(sum(case when " + cond + " then 1 else 0 end) as bigint)"; };
    const std::string out = "upper(coalesce(e.direction, '')) <> 'INCOMING_EMAIL'";
    const auto owners = owner_names(E);
    const auto rs = wh.Query(
        "select e.owner_id, cast(e.occurred_week as date) as week_start, count(*), " +
        sum("e.engagement_type = 'call'") + ", " +
        sum("e.engagement_type = 'call' and (e.outcome = '" + std::string(kConnectedDisposition) +
            "' or lower(e.outcome) = 'connected')") +
        ", " + sum("e.engagement_type = 'email' and " + out) + ", " +
        sum("e.engagement_type = 'email' and not (" + out + ")") + ", " + sum("e.engagement_type = 'meeting'") + ", " +
        sum("e.engagement_type = 'meeting' and upper(e.outcome) = 'COMPLETED'") + ", " +
        sum("e.engagement_type = 'meeting' and upper(e.outcome) = 'NO_SHOW'") + ", " +
        sum("e.engagement_type = 'note'") + ", " + sum("e.engagement_type = 'task' and upper(e.status) = 'COMPLETED'") +
        ", " +
        sum("e.engagement_type <> 'task' and d.deal_id is not null and e.occurred_at >= d.deal_created_at and "
            "(d.is_open or e.occurred_at <= d.closedate)") +
        " from " + E + " as e left join " + D + " as d on d.deal_id = e.deal_id where e.occurred_at < " + cut +
        " group by e.owner_id, cast(e.occurred_week as date)");
    const auto replies = wh.Query(
        "select e.owner_id, cast(e.occurred_week as date) as week_start, " +
        sum(out + " and upper(e.next_direction) = 'INCOMING_EMAIL' and e.next_at <= e.occurred_at + interval '7 "
                  "days'") +
        " from (select owner_id, occurred_week, occurred_at, direction, lead(direction) over (partition by "
        "contact_id order by occurred_at, engagement_id) as next_direction, lead(occurred_at) over (partition by "
        "contact_id order by occurred_at, engagement_id) as next_at from " +
        E + " where occurred_at < " + cut +
        " and engagement_type = 'email' and contact_id is not null) as e group by e.owner_id, "
        "cast(e.occurred_week as date)");
    std::map<std::pair<int64_t, int32_t>, size_t> index;  // (owner or kNoOwnerKey, week) -> engagement_weeks
    constexpr int64_t kNoOwnerKey = INT64_MIN;
    for (const auto& row : rs.rows) {
      RepWeek w;
      w.owner_id = OptInt(row[0]);
      if (w.owner_id) {
        const auto it = owners.find(*w.owner_id);
        if (it != owners.end()) w.owner_name = it->second.first, w.team_name = it->second.second;
      }
      const auto week = OptTimestamp(row[1]);
      if (!week) continue;
      w.week_start = WeekOf(Ms(*week));
      data.engagements += warehouse::AsInt64(row[2]);
      int64_t* fields[] = {
          &w.calls,         &w.connects,         &w.emails_sent, &w.emails_received, &w.meetings_booked,
          &w.meetings_held, &w.meetings_no_show, &w.notes,       &w.tasks_completed, &w.activities_on_open_deals};
      for (size_t k = 0; k < std::size(fields); ++k) *fields[k] = OptInt(row[3 + k]).value_or(0);
      index.emplace(std::make_pair(w.owner_id.value_or(kNoOwnerKey), w.week_start.days), data.engagement_weeks.size());
      data.engagement_weeks.push_back(std::move(w));
    }
    for (const auto& row : replies.rows) {
      const auto week = OptTimestamp(row[1]);
      if (!week) continue;
      const auto it = index.find(std::make_pair(OptInt(row[0]).value_or(kNoOwnerKey), WeekOf(Ms(*week)).days));
      if (it != index.end()) data.engagement_weeks[it->second].emails_replied = OptInt(row[2]).value_or(0);
    }
  }
  return data;
}

// ------------------------------------------------------------------------------------------------ analysis

namespace {

constexpr int64_t kNoOwner = INT64_MIN;
constexpr int64_t kMinGroup = 10;    // records with and without a pattern needed to estimate its effect
constexpr int64_t kMinRepN = 5;      // a rep's denominator needed to compare them with the team
constexpr double kDummyPenalty = 1;  // ridge on control indicators (keeps a level with one outcome finite)
constexpr double kTinyPenalty = 1e-6;

/// Indicator columns for a categorical control: levels with fewer than `min_count` records pool into one
/// "other" level; the most frequent level is the reference (no column).
class Categorical {
 public:
  Categorical(const std::vector<std::string>& values, int64_t min_count)
      : Categorical(CountLevels(values), min_count) {}
  /// From the number of records at each level.
  Categorical(std::map<std::string, int64_t> counts, int64_t min_count)
      : min_count_(min_count), counts_(std::move(counts)) {
    std::map<std::string, int64_t> pooled;
    for (const auto& [level, n] : counts_) pooled[Pool(level)] += n;
    std::string reference;
    int64_t best = -1;
    for (const auto& [level, n] : pooled)
      if (n > best) best = n, reference = level;
    for (const auto& [level, n] : pooled)
      if (level != reference) column_.emplace(level, static_cast<int>(column_.size()));
  }
  size_t Width() const { return column_.size(); }
  /// The indicator column of `value` (from 0), or -1 for the reference level.
  int ColumnOf(const std::string& value) const {
    const auto it = column_.find(Pool(value));
    return it == column_.end() ? -1 : it->second;
  }
  /// Set this record's indicator in `row` (columns from `offset`).
  void Fill(const std::string& value, std::vector<double>& row, size_t offset) const {
    const int c = ColumnOf(value);
    if (c >= 0) row[offset + static_cast<size_t>(c)] = 1.0;
  }

 private:
  static std::map<std::string, int64_t> CountLevels(const std::vector<std::string>& values) {
    std::map<std::string, int64_t> counts;
    for (const auto& v : values) ++counts[v];
    return counts;
  }
  std::string Pool(const std::string& level) const {
    const auto it = counts_.find(level);
    return (it == counts_.end() || it->second < min_count_) ? std::string("\x01other") : level;
  }
  int64_t min_count_;
  std::map<std::string, int64_t> counts_;
  std::map<std::string, int> column_;
};

struct Pattern {
  std::string name, label, subject;  // label: "a meeting in the first 14 days"; subject: "Deals with ..."
  bool (*has)(const ActivityDeal&, const ActivityOptions&);
  bool pace_control = false;  // also adjust for the stages advanced in the window
};

std::vector<Pattern> DealPatterns(const ActivityOptions& o) {
  const std::string w = std::to_string(o.window_days), g = std::to_string(o.gap_days);
  return {
      {"early_meeting", "a meeting in the first " + w + " days", "Deals with a meeting in their first " + w + " days",
       [](const ActivityDeal& d, const ActivityOptions&) { return d.window_meetings > 0; }},
      {"multi_threaded", "2+ contacts engaged in the first " + w + " days",
       "Deals with 2 or more contacts engaged in their first " + w + " days",
       [](const ActivityDeal& d, const ActivityOptions&) { return d.window_contacts >= 2; }},
      {"call_led", "more calls than emails in the first " + w + " days",
       "Deals with more calls than emails in their first " + w + " days",
       [](const ActivityDeal& d, const ActivityOptions&) { return d.window_calls > d.window_emails_out; }, true},
      {"cadence_gap", "a gap of over " + g + " days without a touch in the first " + w + " days",
       "Deals with a gap of over " + g + " days without a touch in their first " + w + " days",
       [](const ActivityDeal& d, const ActivityOptions& opt) {
         return d.window_longest_gap_days > static_cast<double>(opt.gap_days);
       },
       true},
  };
}

std::string LeadLabel(const ActivityOptions& o) {
  return "first touch after " + Fmt("%g", o.response_hours) + " h";
}

struct Wald {
  double ratio, low, high, p;
};
Wald WaldRatio(double b, double se, double level) {
  const boost::math::normal normal;
  const double z = boost::math::quantile(normal, 0.5 + level / 2);
  const double p = se > 0 ? 2 * boost::math::cdf(boost::math::complement(normal, std::fabs(b) / se)) : 1.0;
  return {std::exp(b), std::exp(b - z * se), std::exp(b + z * se), std::min(1.0, p)};
}

/// Marginal standardisation of a logistic fit whose column 0 is the pattern: the mean fitted rate over the rows
/// (`weights[i]` each; empty: 1) with column 0 set to 1, then to 0.
std::pair<double, double> StandardizedRates(const RegressionFit& fit, const std::vector<std::vector<double>>& x,
                                            const std::vector<double>& weights = {}) {
  double with = 0, without = 0, total = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double eta = fit.coefficients[0];
    for (size_t j = 1; j < x[i].size(); ++j) eta += fit.coefficients[j + 1] * x[i][j];
    const double w = weights.empty() ? 1.0 : weights[i];
    with += w / (1 + std::exp(-(eta + fit.coefficients[1])));
    without += w / (1 + std::exp(-eta));
    total += w;
  }
  return total > 0 ? std::pair{with / total, without / total} : std::pair{0.0, 0.0};
}

bool InWindowPopulation(const ActivityDeal& d, const ActivityOptions& o, int64_t cutoff_ms) {
  if (d.is_open || !(d.is_won || d.is_lost) || !d.created_at || !d.closed_at) return false;
  const int64_t created = Ms(*d.created_at), closed = Ms(*d.closed_at);
  return created < cutoff_ms && closed < cutoff_ms && closed - created >= int64_t{o.window_days} * kDayMs;
}

/// The deal-pattern effects on win odds and on won deals' cycle: one regression per pattern, with controls.
std::vector<PatternEffect> DealEffects(const ActivityData& data, const ActivityOptions& o) {
  const auto patterns = DealPatterns(o);
  std::vector<const ActivityDeal*> pop;
  for (const auto& d : data.deals)
    if (InWindowPopulation(d, o, data.cutoff_ms)) pop.push_back(&d);
  const std::string population = "closed deals open at least " + std::to_string(o.window_days) + " days";
  const std::string controls = "deal size (log amount), segment (industry × size band), pipeline";
  std::vector<PatternEffect> out;
  std::vector<size_t> used;  // patterns with enough deals with and without them
  for (size_t k = 0; k < patterns.size(); ++k) {
    PatternEffect e;
    e.pattern = patterns[k].name;
    e.description = patterns[k].label;
    e.outcome = "win";
    e.population = population;
    e.controls = controls + (patterns[k].pace_control ? ", stages advanced in the window" : "");
    e.n = static_cast<int64_t>(pop.size());
    for (const auto* d : pop) {
      const bool has = patterns[k].has(*d, o);
      e.n_with += has;
      (has ? e.successes_with : e.successes_without) += d->is_won;
    }
    if (e.n_with >= kMinGroup && e.n - e.n_with >= kMinGroup) used.push_back(k);
    out.push_back(std::move(e));
  }
  if (used.empty() || pop.size() < 30) return out;

  std::vector<std::string> segments, pipelines;
  double log_sum = 0;
  int64_t log_n = 0;
  bool missing_amount = false;
  for (const auto* d : pop) {
    segments.push_back(d->segment);
    pipelines.push_back(d->pipeline_id);
    if (d->amount && *d->amount > 0) {
      log_sum += std::log(*d->amount);
      ++log_n;
    } else {
      missing_amount = true;
    }
  }
  const double log_mean = log_n ? log_sum / static_cast<double>(log_n) : 0.0;
  const Categorical seg(segments, o.min_level_count), pipe(pipelines, o.min_level_count);
  // One regression per pattern, each on its own thread: the fits share nothing but the read-only deals, and each
  // is the same computation as on one thread (the figures do not depend on the threads).
  auto fit_pattern = [&](size_t k) {
    const Pattern& pat = patterns[k];
    // Columns: the pattern, [stages advanced], log amount, [amount missing], segment and pipeline indicators.
    const size_t lead = pat.pace_control ? 2 : 1;
    const size_t fixed = lead + 1 + (missing_amount ? 1 : 0);
    const size_t width = fixed + seg.Width() + pipe.Width();
    std::vector<double> penalty(width, 0.0);
    penalty[0] = kTinyPenalty;
    for (size_t j = fixed; j < width; ++j) penalty[j] = kDummyPenalty;
    std::vector<std::vector<double>> x, xc;
    std::vector<double> y, yc;
    x.reserve(pop.size());
    for (const auto* d : pop) {
      std::vector<double> row(width, 0.0);
      row[0] = pat.has(*d, o) ? 1.0 : 0.0;
      if (pat.pace_control) row[1] = static_cast<double>(d->window_stage_moves);
      const bool has_amount = d->amount && *d->amount > 0;
      row[lead] = has_amount ? std::log(*d->amount) - log_mean : 0.0;
      if (missing_amount) row[lead + 1] = has_amount ? 0.0 : 1.0;
      seg.Fill(d->segment, row, fixed);
      pipe.Fill(d->pipeline_id, row, fixed + seg.Width());
      y.push_back(d->is_won ? 1.0 : 0.0);
      if (d->is_won) {
        const double days = static_cast<double>(Ms(*d->closed_at) - Ms(*d->created_at)) / kDayMs;
        if (days > 0) {
          xc.push_back(row);
          yc.push_back(std::log(days));
        }
      }
      x.push_back(std::move(row));
    }
    auto& e = out[k];
    const RegressionFit fit = FitLogistic(x, y, penalty);
    e.estimated = true;
    e.coefficient = fit.coefficients[1];
    std::tie(e.adjusted_rate_with, e.adjusted_rate_without) = StandardizedRates(fit, x);
    const Wald w = WaldRatio(e.coefficient, fit.std_errors[1], o.confidence);
    e.odds_ratio = w.ratio;
    e.or_low = w.low;
    e.or_high = w.high;
    e.p_value = w.p;
    // Cycle length of won deals: log days on the same columns.
    int64_t with = 0;
    for (const auto& r : xc) with += r[0] > 0.5;
    e.cycle_n = static_cast<int64_t>(xc.size());
    if (xc.size() < width + 20 || with < kMinGroup / 2 || e.cycle_n - with < kMinGroup / 2) return;
    const RegressionFit cf = FitLinear(xc, yc, penalty);
    const Wald c = WaldRatio(cf.coefficients[1], cf.std_errors[1], o.confidence);
    e.cycle_ratio = c.ratio;
    e.cycle_low = c.low;
    e.cycle_high = c.high;
    // Activity volume in the window follows the deal's pace, and a won deal's pace is its cycle: for the mix and
    // the cadence the cycle ratio is descriptive and never tested (no p-value, never significant).
    if (!pat.pace_control) e.cycle_p_value = c.p;
  };
  std::vector<std::future<void>> fits;
  for (size_t k : used) fits.push_back(std::async(std::launch::async, fit_pattern, k));
  for (auto& f : fits) f.get();
  return out;
}

bool SlowLead(const ActivityLead& l, const ActivityOptions& o) {
  return !l.first_touch_hours || *l.first_touch_hours > o.response_hours;
}

/// Slow first response against the lead becoming an opportunity, adjusted for segment and lead source.
PatternEffect ResponseEffect(const ActivityData& data, const ActivityOptions& o) {
  PatternEffect e;
  e.pattern = "slow_first_response";
  e.description = LeadLabel(o);
  e.outcome = "opportunity";
  e.population =
      "inbound leads created at least " + std::to_string(o.lead_maturity_days) + " days before the as-of date";
  e.controls = "segment (industry × size band), lead source";
  const int64_t latest = data.cutoff_ms - int64_t{o.lead_maturity_days} * kDayMs;
  std::vector<const ActivityLead*> pop;
  for (const auto& l : data.leads)
    if (Ms(l.created_at) < latest) pop.push_back(&l);
  e.n = static_cast<int64_t>(pop.size());
  std::unordered_map<std::string, int64_t> segments, sources;  // level -> leads
  for (const auto* l : pop) {
    const bool slow = SlowLead(*l, o);
    e.n_with += slow;
    (slow ? e.successes_with : e.successes_without) += l->became_opportunity;
    ++segments[l->segment];
    ++sources[l->source];
  }
  if (e.n_with < kMinGroup || e.n - e.n_with < kMinGroup) return e;
  const Categorical seg(std::map<std::string, int64_t>(segments.begin(), segments.end()), o.min_level_count),
      src(std::map<std::string, int64_t>(sources.begin(), sources.end()), o.min_level_count);
  const size_t width = 1 + seg.Width() + src.Width();
  // Every column is an indicator: fit the binomial counts of each distinct row (a few hundred) rather than
  // every lead. A row is (slow, segment column, source column); the columns of each distinct value are looked up
  // once, and the distinct rows are put in the order of their indicator vectors.
  std::unordered_map<std::string, int> seg_col, src_col;
  auto column = [](std::unordered_map<std::string, int>& cache, const Categorical& c, const std::string& v) {
    const auto it = cache.find(v);
    return it != cache.end() ? it->second : cache.emplace(v, c.ColumnOf(v)).first->second;
  };
  std::map<std::tuple<int, int, int>, std::pair<double, double>> counts;  // row -> (opportunities, not)
  for (const auto* l : pop) {
    auto& c = counts[{SlowLead(*l, o) ? 1 : 0, column(seg_col, seg, l->segment), column(src_col, src, l->source)}];
    (l->became_opportunity ? c.first : c.second) += 1;
  }
  std::map<std::vector<double>, std::pair<double, double>> cells;
  for (const auto& [key, c] : counts) {
    std::vector<double> row(width, 0.0);
    row[0] = std::get<0>(key);
    if (std::get<1>(key) >= 0) row[1 + static_cast<size_t>(std::get<1>(key))] = 1.0;
    if (std::get<2>(key) >= 0) row[1 + seg.Width() + static_cast<size_t>(std::get<2>(key))] = 1.0;
    cells.emplace(std::move(row), c);
  }
  std::vector<std::vector<double>> x;
  std::vector<double> y, weight;
  for (const auto& [row, c] : cells) {
    for (int outcome = 0; outcome < 2; ++outcome) {
      const double n = outcome ? c.first : c.second;
      if (n <= 0) continue;
      x.push_back(row);
      y.push_back(outcome);
      weight.push_back(n);
    }
  }
  std::vector<double> penalty(width, kDummyPenalty);
  penalty[0] = kTinyPenalty;
  const RegressionFit fit = FitLogisticWeighted(x, y, weight, penalty);
  e.estimated = true;
  e.coefficient = fit.coefficients[1];
  std::tie(e.adjusted_rate_with, e.adjusted_rate_without) = StandardizedRates(fit, x, weight);
  const Wald w = WaldRatio(e.coefficient, fit.std_errors[1], o.confidence);
  e.odds_ratio = w.ratio;
  e.or_low = w.low;
  e.or_high = w.high;
  e.p_value = w.p;
  return e;
}

std::string EffectFinding(const PatternEffect& e, const std::string& subject, double level) {
  const std::string ci = Fmt("%.0f%%", 100 * level) + " CI " + Ratio(e.or_low) + "–" + Ratio(e.or_high);
  const bool win = e.outcome == "win";
  const std::string verb = win ? "win" : "become opportunities at";
  const std::string adjusted = win ? "adjusted for size, segment and pipeline" : "adjusted for segment and lead source";
  const int64_t without = e.n - e.n_with;
  const std::string raw_with =
      Pct(e.n_with ? static_cast<double>(e.successes_with) / static_cast<double>(e.n_with) : 0);
  const std::string raw_without =
      Pct(without ? static_cast<double>(e.successes_without) / static_cast<double>(without) : 0);
  const std::string rate = win ? "win rate " : "opportunity rate ";
  const std::string counts = Thousands(e.n_with) + " of " + Thousands(e.n) + (win ? " closed deals" : " leads");
  // With the adjusted rates first: the raw ones can point the other way when the controls' mix differs between
  // the two groups (Simpson's paradox), and a reader compares whichever pair comes first with the odds ratio.
  const std::string rates = e.adjusted_rate_with && e.adjusted_rate_without
                                ? "adjusted " + rate + Pct(*e.adjusted_rate_with) + " with vs " +
                                      Pct(*e.adjusted_rate_without) + " without; raw " + raw_with + " vs " +
                                      raw_without + ", " + counts
                                : rate + raw_with + " with vs " + raw_without + " without, " + counts;
  if (!e.estimated)
    return subject + ": too few " + (win ? "deals" : "leads") + " with and without it to estimate (" + rates + ")";
  std::string s;
  if (e.significant) {
    s = subject + " " + verb + " " + Ratio(e.odds_ratio) + "× the odds (" + ci + "), " + adjusted + " (" + rates + ")";
  } else {
    std::string lower = subject;
    if (!lower.empty()) lower[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(lower[0])));
    s = "No clear effect: " + lower + " " + verb + " " + Ratio(e.odds_ratio) + "× the odds (" + ci +
        ", q = " + Fmt("%.2g", e.q_value) + "), " + adjusted;
  }
  if (e.cycle_ratio && e.cycle_significant)
    s += "; won deals with it take " + Ratio(*e.cycle_ratio) + "× as long to close (" + Fmt("%.0f%%", 100 * level) +
         " CI " + Ratio(*e.cycle_low) + "–" + Ratio(*e.cycle_high) + ")";
  return s;
}

struct RepTally {
  std::string name, team;
  int64_t deals = 0, leads = 0, slow = 0, closed = 0, won = 0, calls = 0, connects = 0, open_deal_weeks = 0,
          open_deal_activities = 0, stale = 0;
  std::vector<int64_t> with;  // per deal pattern
  std::vector<double> touch_hours;
};

}  // namespace

ActivityReport AnalyzeActivity(const ActivityData& data, const ActivityOptions& o) {
  if (!(o.confidence > 0 && o.confidence < 1)) throw InvalidInputError("confidence must be in (0, 1)");
  if (!(o.fdr > 0 && o.fdr < 1)) throw InvalidInputError("fdr must be in (0, 1)");
  if (o.stale_days < 1 || o.window_days < 1 || o.gap_days < 0 || o.lead_maturity_days < 1 || o.rep_days < 1 ||
      !(o.response_hours > 0))
    throw InvalidInputError(
        "stale days, window days, lead maturity days and rep days must be >= 1, gap days >= 0, response hours > 0");
  ActivityReport r;
  r.options = o;
  r.computed_at_ms = o.computed_at_ms ? o.computed_at_ms : NowMillis();
  r.run_id = o.run_id.empty() ? "activity-" + FormatIsoMillis(r.computed_at_ms) : o.run_id;
  r.cutoff_ms = data.cutoff_ms;
  r.as_of = data.as_of;
  r.engagements = data.engagements;
  r.leads = static_cast<int64_t>(data.leads.size());
  const int64_t cutoff = data.cutoff_ms;

  // ---- rep × week
  std::map<std::pair<int64_t, int32_t>, RepWeek> weeks;
  std::map<std::pair<int64_t, int32_t>, std::vector<double>> week_hours;
  std::map<int64_t, std::pair<std::string, std::string>> names;  // owner -> name, team
  auto key_of = [](const std::optional<int64_t>& owner, Date week) {
    return std::make_pair(owner.value_or(kNoOwner), week.days);
  };
  auto note_name = [&](const std::optional<int64_t>& owner, const std::string& name, const std::string& team) {
    if (!owner) return;
    auto& n = names[*owner];
    if (n.first.empty()) n.first = name;
    if (n.second.empty()) n.second = team;
  };
  for (const auto& w : data.engagement_weeks) {
    weeks[key_of(w.owner_id, w.week_start)] = w;
    note_name(w.owner_id, w.owner_name, w.team_name);
  }
  for (const auto& d : data.deals) {
    if (!d.created_at || Ms(*d.created_at) >= cutoff) continue;
    ++r.deals;
    note_name(d.owner_id, d.owner_name, d.team_name);
    const int64_t start = Ms(*d.created_at);
    const int64_t end = d.closed_at ? std::min(Ms(*d.closed_at), cutoff - 1) : cutoff - 1;
    if (end < start) continue;
    for (int32_t wk = WeekOf(start).days; wk <= WeekOf(end).days; wk += 7) {
      auto& w = weeks[key_of(d.owner_id, Date{wk})];
      w.owner_id = d.owner_id;
      w.week_start = Date{wk};
      ++w.open_deals;
    }
  }
  for (const auto& l : data.leads) {
    note_name(l.owner_id, l.owner_name, l.team_name);
    const auto key = key_of(l.owner_id, WeekOf(Ms(l.created_at)));
    auto& w = weeks[key];
    w.owner_id = l.owner_id;
    w.week_start = WeekOf(Ms(l.created_at));
    ++w.inbound_leads;
    if (l.first_touch_hours) {
      ++w.leads_touched;
      w.leads_touched_in_time += *l.first_touch_hours <= o.response_hours;
      week_hours[key].push_back(*l.first_touch_hours);
    }
  }
  std::map<std::pair<std::string, int32_t>, RepWeek> teams;
  std::map<std::pair<std::string, int32_t>, std::vector<double>> team_hours;
  for (auto& [key, w] : weeks) {
    if (w.owner_id) {
      const auto& n = names[*w.owner_id];
      if (w.owner_name.empty()) w.owner_name = n.first;
      if (w.team_name.empty()) w.team_name = n.second;
    }
    const auto h = week_hours.find(key);
    if (h != week_hours.end()) w.median_first_touch_hours = Median(h->second);
    if (w.open_deals > 0)
      w.activities_per_open_deal = static_cast<double>(w.activities_on_open_deals) / static_cast<double>(w.open_deals);
    const auto tkey = std::make_pair(w.team_name, w.week_start.days);
    auto& t = teams[tkey];
    t.team_name = w.team_name;
    t.week_start = w.week_start;
    t.calls += w.calls;
    t.connects += w.connects;
    t.emails_sent += w.emails_sent;
    t.emails_received += w.emails_received;
    t.emails_replied += w.emails_replied;
    t.meetings_booked += w.meetings_booked;
    t.meetings_held += w.meetings_held;
    t.meetings_no_show += w.meetings_no_show;
    t.notes += w.notes;
    t.tasks_completed += w.tasks_completed;
    t.inbound_leads += w.inbound_leads;
    t.leads_touched += w.leads_touched;
    t.leads_touched_in_time += w.leads_touched_in_time;
    t.open_deals += w.open_deals;
    t.activities_on_open_deals += w.activities_on_open_deals;
    if (h != week_hours.end()) {
      auto& th = team_hours[tkey];
      th.insert(th.end(), h->second.begin(), h->second.end());
    }
    r.rep_weeks.push_back(w);
  }
  for (auto& [key, t] : teams) {
    const auto h = team_hours.find(key);
    if (h != team_hours.end()) t.median_first_touch_hours = Median(h->second);
    if (t.open_deals > 0)
      t.activities_per_open_deal = static_cast<double>(t.activities_on_open_deals) / static_cast<double>(t.open_deals);
    r.team_weeks.push_back(t);
  }
  std::stable_sort(r.rep_weeks.begin(), r.rep_weeks.end(), [](const RepWeek& a, const RepWeek& b) {
    return a.week_start != b.week_start ? a.week_start < b.week_start : a.owner_id < b.owner_id;
  });
  std::stable_sort(r.team_weeks.begin(), r.team_weeks.end(), [](const RepWeek& a, const RepWeek& b) {
    return a.week_start != b.week_start ? a.week_start < b.week_start : a.team_name < b.team_name;
  });

  // ---- effects
  auto response = std::async(std::launch::async, ResponseEffect, std::cref(data), std::cref(o));
  r.effects = DealEffects(data, o);
  r.effects.push_back(response.get());
  {
    std::vector<double> p, pc;
    std::vector<size_t> ip, ic;
    for (size_t i = 0; i < r.effects.size(); ++i) {
      if (r.effects[i].estimated) p.push_back(r.effects[i].p_value), ip.push_back(i);
      if (r.effects[i].cycle_p_value) pc.push_back(*r.effects[i].cycle_p_value), ic.push_back(i);
    }
    // One family: every claim the report can make (win or opportunity odds, cycle length).
    std::vector<double> all = p;
    all.insert(all.end(), pc.begin(), pc.end());
    const auto q = BenjaminiHochbergAdjusted(all);
    for (size_t k = 0; k < ip.size(); ++k) {
      r.effects[ip[k]].q_value = q[k];
      r.effects[ip[k]].significant = q[k] <= o.fdr;
    }
    for (size_t k = 0; k < ic.size(); ++k) {
      r.effects[ic[k]].cycle_q_value = q[ip.size() + k];
      r.effects[ic[k]].cycle_significant = q[ip.size() + k] <= o.fdr;
    }
  }
  const auto patterns = DealPatterns(o);
  for (auto& e : r.effects) {
    std::string subject = "Inbound leads first touched after " + Fmt("%g", o.response_hours) + " h";
    for (const auto& p : patterns)
      if (p.name == e.pattern) subject = p.subject;
    e.finding = EffectFinding(e, subject, o.confidence);
  }

  // ---- stale deals
  for (const auto& d : data.deals) {
    if (!d.is_open || !d.created_at || Ms(*d.created_at) >= cutoff) continue;
    const int64_t last = std::max(Ms(*d.created_at), d.last_activity_at ? Ms(*d.last_activity_at) : INT64_MIN);
    const int64_t days = FloorDiv(cutoff - last, kDayMs);
    if (days <= o.stale_days) continue;
    StaleDeal s;
    s.deal_id = d.deal_id;
    s.deal_name = d.deal_name;
    s.pipeline_id = d.pipeline_id;
    s.deal_stage_id = d.deal_stage_id;
    s.owner_id = d.owner_id;
    s.owner_name = d.owner_name;
    s.team_name = d.team_name;
    s.amount = d.amount;
    s.created_at = d.created_at;
    s.last_activity_at = d.last_activity_at;
    s.days_without_activity = days;
    r.stale_deals.push_back(std::move(s));
  }
  std::stable_sort(r.stale_deals.begin(), r.stale_deals.end(), [](const StaleDeal& a, const StaleDeal& b) {
    return a.days_without_activity != b.days_without_activity ? a.days_without_activity > b.days_without_activity
                                                              : a.deal_id < b.deal_id;
  });

  // ---- reps against their team
  const int64_t period_start = cutoff - int64_t{o.rep_days} * kDayMs;
  std::map<int64_t, RepTally> reps;
  auto tally = [&](int64_t owner) -> RepTally& {
    auto& t = reps[owner];
    if (t.with.empty()) {
      t.with.assign(patterns.size(), 0);
      t.name = names[owner].first;
      t.team = names[owner].second;
    }
    return t;
  };
  for (const auto& d : data.deals) {
    if (!d.owner_id || !d.created_at) continue;
    const int64_t created = Ms(*d.created_at);
    if (created < period_start || created >= cutoff) continue;
    auto& t = tally(*d.owner_id);
    if (created <= cutoff - int64_t{o.window_days} * kDayMs) {
      ++t.deals;
      for (size_t k = 0; k < patterns.size(); ++k) t.with[k] += patterns[k].has(d, o);
    }
    if (d.is_won || d.is_lost) {
      if (d.closed_at && Ms(*d.closed_at) < cutoff) ++t.closed, t.won += d.is_won;
    }
  }
  for (const auto& l : data.leads) {
    if (!l.owner_id) continue;
    const int64_t created = Ms(l.created_at);
    if (created < period_start ||
        static_cast<double>(created) > static_cast<double>(cutoff) - o.response_hours * kHourMs)
      continue;
    auto& t = tally(*l.owner_id);
    ++t.leads;
    t.slow += SlowLead(l, o);
    if (l.first_touch_hours) t.touch_hours.push_back(*l.first_touch_hours);
  }
  for (const auto& w : r.rep_weeks) {
    if (!w.owner_id || int64_t{w.week_start.days} * kDayMs < period_start) continue;
    auto& t = tally(*w.owner_id);
    t.calls += w.calls;
    t.connects += w.connects;
    t.open_deal_weeks += w.open_deals;
    t.open_deal_activities += w.activities_on_open_deals;
  }
  for (const auto& s : r.stale_deals)
    if (s.owner_id) ++tally(*s.owner_id).stale;

  struct MetricValue {
    int64_t owner;
    double value;
    int64_t n;
  };
  std::map<std::string, std::vector<MetricValue>> metrics;  // metric -> reps
  for (const auto& [owner, t] : reps) {
    auto add = [&](const std::string& m, double v, int64_t n) {
      if (n >= kMinRepN) metrics[m].push_back({owner, v, n});
    };
    for (size_t k = 0; k < patterns.size(); ++k)
      if (t.deals) add(patterns[k].name, static_cast<double>(t.with[k]) / static_cast<double>(t.deals), t.deals);
    if (t.leads) add("slow_first_response", static_cast<double>(t.slow) / static_cast<double>(t.leads), t.leads);
    if (const auto m = Median(t.touch_hours))
      add("median_first_touch_hours", *m, static_cast<int64_t>(t.touch_hours.size()));
    if (t.calls) add("connect_rate", static_cast<double>(t.connects) / static_cast<double>(t.calls), t.calls);
    if (t.open_deal_weeks)
      add("activities_per_open_deal_week",
          static_cast<double>(t.open_deal_activities) / static_cast<double>(t.open_deal_weeks), t.open_deal_weeks);
    if (t.closed) add("win_rate", static_cast<double>(t.won) / static_cast<double>(t.closed), t.closed);
    add("stale_deals", static_cast<double>(t.stale), kMinRepN);
  }
  std::map<std::string, const PatternEffect*> effect_of;
  for (const auto& e : r.effects)
    if (e.estimated && e.significant) effect_of[e.pattern] = &e;
  std::map<std::string, std::string> label_of;
  for (const auto& p : patterns) label_of[p.name] = p.label;
  label_of["slow_first_response"] = LeadLabel(o);
  for (const auto& [metric, values] : metrics) {
    std::map<std::string, std::vector<double>> by_team;
    std::vector<double> all;
    for (const auto& v : values) {
      by_team[reps[v.owner].team].push_back(v.value);
      all.push_back(v.value);
    }
    const double overall = *Median(all);
    const auto eff = effect_of.find(metric);
    for (const auto& v : values) {
      const auto& t = reps[v.owner];
      const auto& team = by_team[t.team];
      RepGap g;
      g.owner_id = v.owner;
      g.owner_name = t.name;
      g.team_name = t.team;
      g.metric = metric;
      g.rep_value = v.value;
      g.team_median = team.size() >= 3 && !t.team.empty() ? *Median(team) : overall;
      g.gap = g.rep_value - g.team_median;
      g.n = v.n;
      if (eff != effect_of.end()) g.impact = (g.team_median - g.rep_value) * eff->second->coefficient;
      r.rep_gaps.push_back(std::move(g));
    }
  }
  // Rank each rep's costly gaps and word them.
  std::map<int64_t, std::vector<RepGap*>> per_rep;
  for (auto& g : r.rep_gaps)
    if (g.impact && *g.impact > 0) per_rep[*g.owner_id].push_back(&g);
  for (auto& [owner, gaps] : per_rep) {
    std::sort(gaps.begin(), gaps.end(), [](const RepGap* a, const RepGap* b) { return *a->impact > *b->impact; });
    for (size_t i = 0; i < gaps.size(); ++i) {
      RepGap& g = *gaps[i];
      g.rank = static_cast<int>(i + 1);
      const PatternEffect& e = *effect_of.at(g.metric);
      const bool lead = e.outcome == "opportunity";
      const std::string who = g.owner_name.empty() ? "owner " + std::to_string(owner) : g.owner_name;
      g.finding = who + ": " + label_of[g.metric] + " on " + Pct(g.rep_value) + " of " +
                  (lead ? "inbound leads" : "deals") + " (team median " + Pct(g.team_median) + "); " +
                  (lead ? "those leads become opportunities at " : "deals with it win ") + Ratio(e.odds_ratio) +
                  "× the odds";
    }
  }
  std::stable_sort(r.rep_gaps.begin(), r.rep_gaps.end(), [](const RepGap& a, const RepGap& b) {
    if (a.owner_id != b.owner_id) return a.owner_id < b.owner_id;
    const int ra = a.rank ? a.rank : 1 << 20, rb = b.rank ? b.rank : 1 << 20;
    return ra != rb ? ra < rb : a.metric < b.metric;
  });
  return r;
}

// ------------------------------------------------------------------------------------------------ output

std::vector<std::string> ActivityReport::TopFindings(size_t max_rep_gaps) const {
  std::vector<std::string> out;
  std::vector<const PatternEffect*> sig, rest;
  for (const auto& e : effects) (e.estimated && e.significant ? sig : rest).push_back(&e);
  std::stable_sort(sig.begin(), sig.end(),
                   [](const PatternEffect* a, const PatternEffect* b) { return a->q_value < b->q_value; });
  for (const auto* e : sig) out.push_back(e->finding);
  for (const auto* e : rest) out.push_back(e->finding);
  std::vector<const RepGap*> gaps;
  for (const auto& g : rep_gaps)
    if (g.rank == 1) gaps.push_back(&g);
  std::stable_sort(gaps.begin(), gaps.end(), [](const RepGap* a, const RepGap* b) { return *a->impact > *b->impact; });
  for (size_t i = 0; i < gaps.size() && i < max_rep_gaps; ++i) out.push_back(gaps[i]->finding);
  return out;
}

namespace {

nlohmann::json J(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}
nlohmann::json J(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

}  // namespace

std::string ActivityReport::ToJson() const {
  using nlohmann::json;
  json j;
  j["run_id"] = run_id;
  j["computed_at"] = FormatIsoMillis(computed_at_ms);
  j["as_of"] = as_of;
  j["options"] = {{"stale_days", options.stale_days},
                  {"window_days", options.window_days},
                  {"gap_days", options.gap_days},
                  {"response_hours", options.response_hours},
                  {"lead_maturity_days", options.lead_maturity_days},
                  {"rep_days", options.rep_days},
                  {"confidence", options.confidence},
                  {"fdr", options.fdr}};
  j["counts"] = {{"deals", deals},
                 {"leads", leads},
                 {"engagements", engagements},
                 {"rep_weeks", rep_weeks.size()},
                 {"team_weeks", team_weeks.size()},
                 {"stale_deals", stale_deals.size()}};
  json eff = json::array();
  for (const auto& e : effects)
    eff.push_back({{"pattern", e.pattern},
                   {"description", e.description},
                   {"outcome", e.outcome},
                   {"population", e.population},
                   {"controls", e.controls},
                   {"n", e.n},
                   {"n_with", e.n_with},
                   {"successes_with", e.successes_with},
                   {"successes_without", e.successes_without},
                   {"adjusted_rate_with", J(e.adjusted_rate_with)},
                   {"adjusted_rate_without", J(e.adjusted_rate_without)},
                   {"estimated", e.estimated},
                   {"odds_ratio", e.odds_ratio},
                   {"or_low", e.or_low},
                   {"or_high", e.or_high},
                   {"p_value", e.p_value},
                   {"q_value", e.q_value},
                   {"significant", e.significant},
                   {"cycle_n", e.cycle_n},
                   {"cycle_ratio", J(e.cycle_ratio)},
                   {"cycle_low", J(e.cycle_low)},
                   {"cycle_high", J(e.cycle_high)},
                   {"cycle_p_value", J(e.cycle_p_value)},
                   {"cycle_q_value", J(e.cycle_q_value)},
                   {"cycle_significant", e.cycle_significant},
                   {"finding", e.finding}});
  j["effects"] = eff;
  json gaps = json::array();
  for (const auto& g : rep_gaps)
    if (g.rank > 0)
      gaps.push_back({{"owner_id", J(g.owner_id)},
                      {"owner_name", g.owner_name},
                      {"team_name", g.team_name},
                      {"metric", g.metric},
                      {"rep_value", g.rep_value},
                      {"team_median", g.team_median},
                      {"impact", J(g.impact)},
                      {"rank", g.rank},
                      {"finding", g.finding}});
  j["rep_gaps"] = gaps;
  json stale = json::array();
  for (size_t i = 0; i < stale_deals.size() && i < 20; ++i) {
    const auto& s = stale_deals[i];
    stale.push_back({{"deal_id", s.deal_id},
                     {"deal_name", s.deal_name},
                     {"owner_name", s.owner_name},
                     {"amount", J(s.amount)},
                     {"days_without_activity", s.days_without_activity}});
  }
  j["stale_deals"] = stale;
  j["findings"] = TopFindings();
  j["seconds"] = {{"load", load_seconds}, {"analyze", analyze_seconds}, {"write", write_seconds}};
  return j.dump(2);
}

namespace {

const std::vector<Column>& WeeklyColumns(bool team) {
  static const auto make = [](bool t) {
    std::vector<Column> c = {{"run_id", ColumnType::kText}};
    if (!t) c.push_back({"owner_id", ColumnType::kBigInt}), c.push_back({"owner_name", ColumnType::kText});
    c.push_back({"team_name", ColumnType::kText});
    c.push_back({"week_start", ColumnType::kDate});
    for (const char* n :
         {"calls", "connects", "emails_sent", "emails_received", "emails_replied", "meetings_booked", "meetings_held",
          "meetings_no_show", "notes", "tasks_completed", "inbound_leads", "leads_touched", "leads_touched_in_time"})
      c.push_back({n, ColumnType::kBigInt});
    c.push_back({"median_first_touch_hours", ColumnType::kDouble});
    c.push_back({"open_deals", ColumnType::kBigInt});
    c.push_back({"activities_on_open_deals", ColumnType::kBigInt});
    c.push_back({"activities_per_open_deal", ColumnType::kDouble});
    c.push_back({"computed_at", ColumnType::kTimestamp});
    return c;
  };
  static const std::vector<Column> rep = make(false), tm = make(true);
  return team ? tm : rep;
}

const std::vector<Column>& EffectColumns() {
  static const std::vector<Column> c = {{"run_id", ColumnType::kText},
                                        {"pattern", ColumnType::kText},
                                        {"description", ColumnType::kText},
                                        {"outcome", ColumnType::kText},
                                        {"population", ColumnType::kText},
                                        {"controls", ColumnType::kText},
                                        {"n", ColumnType::kBigInt},
                                        {"n_with", ColumnType::kBigInt},
                                        {"rate_with", ColumnType::kDouble},
                                        {"rate_without", ColumnType::kDouble},
                                        {"adjusted_rate_with", ColumnType::kDouble},
                                        {"adjusted_rate_without", ColumnType::kDouble},
                                        {"estimated", ColumnType::kBoolean},
                                        {"odds_ratio", ColumnType::kDouble},
                                        {"or_low", ColumnType::kDouble},
                                        {"or_high", ColumnType::kDouble},
                                        {"p_value", ColumnType::kDouble},
                                        {"q_value", ColumnType::kDouble},
                                        {"significant", ColumnType::kBoolean},
                                        {"cycle_n", ColumnType::kBigInt},
                                        {"cycle_ratio", ColumnType::kDouble},
                                        {"cycle_low", ColumnType::kDouble},
                                        {"cycle_high", ColumnType::kDouble},
                                        {"cycle_p_value", ColumnType::kDouble},
                                        {"cycle_q_value", ColumnType::kDouble},
                                        {"cycle_significant", ColumnType::kBoolean},
                                        {"finding", ColumnType::kText},
                                        {"confidence", ColumnType::kDouble},
                                        {"computed_at", ColumnType::kTimestamp}};
  return c;
}

const std::vector<Column>& GapColumns() {
  static const std::vector<Column> c = {
      {"run_id", ColumnType::kText},          {"owner_id", ColumnType::kBigInt}, {"owner_name", ColumnType::kText},
      {"team_name", ColumnType::kText},       {"metric", ColumnType::kText},     {"rep_value", ColumnType::kDouble},
      {"team_median", ColumnType::kDouble},   {"gap", ColumnType::kDouble},      {"n", ColumnType::kBigInt},
      {"impact", ColumnType::kDouble},        {"gap_rank", ColumnType::kBigInt}, {"finding", ColumnType::kText},
      {"computed_at", ColumnType::kTimestamp}};
  return c;
}

const std::vector<Column>& StaleColumns() {
  static const std::vector<Column> c = {{"run_id", ColumnType::kText},
                                        {"deal_id", ColumnType::kBigInt},
                                        {"deal_name", ColumnType::kText},
                                        {"pipeline_id", ColumnType::kText},
                                        {"deal_stage_id", ColumnType::kText},
                                        {"owner_id", ColumnType::kBigInt},
                                        {"owner_name", ColumnType::kText},
                                        {"team_name", ColumnType::kText},
                                        {"amount", ColumnType::kDouble},
                                        {"created_at", ColumnType::kTimestamp},
                                        {"last_activity_at", ColumnType::kTimestamp},
                                        {"days_without_activity", ColumnType::kBigInt},
                                        {"stale_days", ColumnType::kBigInt},
                                        {"computed_at", ColumnType::kTimestamp}};
  return c;
}

std::vector<Value> WeekRow(const Value& run, const RepWeek& w, bool team, const Value& at) {
  std::vector<Value> row = {run};
  if (!team) row.push_back(V(w.owner_id)), row.push_back(S(w.owner_name));
  row.push_back(S(w.team_name));
  row.push_back(w.week_start);
  for (int64_t v :
       {w.calls, w.connects, w.emails_sent, w.emails_received, w.emails_replied, w.meetings_booked, w.meetings_held,
        w.meetings_no_show, w.notes, w.tasks_completed, w.inbound_leads, w.leads_touched, w.leads_touched_in_time})
    row.emplace_back(v);
  row.push_back(V(w.median_first_touch_hours));
  row.emplace_back(w.open_deals);
  row.emplace_back(w.activities_on_open_deals);
  row.push_back(V(w.activities_per_open_deal));
  row.push_back(at);
  return row;
}

}  // namespace

void WriteActivityReport(Warehouse& wh, const std::string& schema, const ActivityReport& r) {
  const Value run = r.run_id;
  const Value at = warehouse::TimestampFromMillis(r.computed_at_ms);
  std::vector<std::vector<Value>> rep_rows, team_rows, effect_rows, gap_rows, stale_rows;
  rep_rows.reserve(r.rep_weeks.size());
  for (const auto& w : r.rep_weeks) rep_rows.push_back(WeekRow(run, w, false, at));
  for (const auto& w : r.team_weeks) team_rows.push_back(WeekRow(run, w, true, at));
  for (const auto& e : r.effects) {
    const int64_t without = e.n - e.n_with;
    effect_rows.push_back(
        {run,
         e.pattern,
         e.description,
         e.outcome,
         e.population,
         e.controls,
         e.n,
         e.n_with,
         e.n_with ? Value(static_cast<double>(e.successes_with) / static_cast<double>(e.n_with)) : Value(),
         without ? Value(static_cast<double>(e.successes_without) / static_cast<double>(without)) : Value(),
         V(e.adjusted_rate_with),
         V(e.adjusted_rate_without),
         e.estimated,
         e.estimated ? Value(e.odds_ratio) : Value(),
         e.estimated ? Value(e.or_low) : Value(),
         e.estimated ? Value(e.or_high) : Value(),
         e.estimated ? Value(e.p_value) : Value(),
         e.estimated ? Value(e.q_value) : Value(),
         e.significant,
         e.cycle_n,
         V(e.cycle_ratio),
         V(e.cycle_low),
         V(e.cycle_high),
         V(e.cycle_p_value),
         V(e.cycle_q_value),
         e.cycle_significant,
         e.finding,
         r.options.confidence,
         at});
  }
  for (const auto& g : r.rep_gaps)
    gap_rows.push_back({run, V(g.owner_id), S(g.owner_name), S(g.team_name), g.metric, g.rep_value, g.team_median,
                        g.gap, g.n, V(g.impact), g.rank ? Value(int64_t{g.rank}) : Value(), S(g.finding), at});
  for (const auto& s : r.stale_deals)
    stale_rows.push_back({run, s.deal_id, S(s.deal_name), S(s.pipeline_id), S(s.deal_stage_id), V(s.owner_id),
                          S(s.owner_name), S(s.team_name), V(s.amount), V(s.created_at), V(s.last_activity_at),
                          s.days_without_activity, int64_t{r.options.stale_days}, at});
  ReplaceTables(wh, schema,
                {{"activity_rep_weekly", WeeklyColumns(false), rep_rows},
                 {"activity_team_weekly", WeeklyColumns(true), team_rows},
                 {"activity_effects", EffectColumns(), effect_rows},
                 {"activity_rep_gaps", GapColumns(), gap_rows},
                 {"stale_deals", StaleColumns(), stale_rows}});
}

ActivityReport RunActivity(Warehouse& wh, const ActivityOptions& options, bool write) {
  auto t0 = Clock::now();
  const ActivityData data = LoadActivityData(wh, options);
  const double load = Since(t0);
  t0 = Clock::now();
  ActivityReport r = AnalyzeActivity(data, options);
  r.load_seconds = load;
  r.analyze_seconds = Since(t0);
  if (write) {
    t0 = Clock::now();
    WriteActivityReport(wh, options.schema, r);
    r.write_seconds = Since(t0);
  }
  return r;
}

}  // namespace revlens::insights
