// Competitive intelligence: dictionary, scan of engagements and deal properties, per-competitor statistics,
// result tables.
#include "insights/compete.hpp"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
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

Date MonthOf(Timestamp t) {
  const int64_t day = FloorDiv(t.micros, int64_t{86400} * 1000000);
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(day, y, m, d);
  return Date{static_cast<int32_t>(DaysFromCivil(y, m, 1))};
}

/// A difference of means of logs with its standard error and Welch degrees of freedom.
struct LogDiff {
  double diff = 0, se = 0, df = 0;
  bool ok = false;
};

LogDiff WelchLogDiff(const std::vector<double>& x, const std::vector<double>& y) {
  LogDiff r;
  if (x.size() < 2 || y.size() < 2) return r;
  std::vector<double> lx, ly;
  for (double v : x) lx.push_back(std::log(v));
  for (double v : y) ly.push_back(std::log(v));
  const Moments mx = SampleMoments(lx), my = SampleMoments(ly);
  const double vx = mx.variance / static_cast<double>(mx.n), vy = my.variance / static_cast<double>(my.n);
  r.diff = mx.mean - my.mean;
  r.se = std::sqrt(vx + vy);
  if (!(r.se > 0)) return r;
  r.df = (vx + vy) * (vx + vy) / (vx * vx / static_cast<double>(mx.n - 1) + vy * vy / static_cast<double>(my.n - 1));
  r.ok = true;
  return r;
}

/// A ratio of geometric means with its interval and p-value.
struct Ratio {
  std::optional<double> ratio, low, high, p_value;
};

/// Ratio of geometric means of x over y: Welch t on the logs.
Ratio GeometricRatio(const std::vector<double>& x, const std::vector<double>& y, double level) {
  Ratio r;
  const LogDiff d = WelchLogDiff(x, y);
  if (!d.ok) return r;
  const boost::math::students_t t(d.df);
  const double q = boost::math::quantile(t, 0.5 + level / 2);
  r.ratio = std::exp(d.diff);
  r.low = std::exp(d.diff - q * d.se);
  r.high = std::exp(d.diff + q * d.se);
  r.p_value = 2 * boost::math::cdf(boost::math::complement(t, std::fabs(d.diff / d.se)));
  return r;
}

/// Ratio of geometric means compared within strata (won, lost) and pooled by inverse variance, so a competitor
/// that changes the win rate does not move the cycle ratio through the mix of won and lost deals.
Ratio StratifiedRatio(const std::vector<std::pair<std::vector<double>, std::vector<double>>>& strata, double level) {
  Ratio r;
  double wsum = 0, wd = 0;
  for (const auto& [x, y] : strata) {
    const LogDiff d = WelchLogDiff(x, y);
    if (!d.ok) continue;
    const double w = 1 / (d.se * d.se);
    wsum += w;
    wd += w * d.diff;
  }
  if (wsum <= 0) return r;
  const double est = wd / wsum, se = std::sqrt(1 / wsum);
  const boost::math::normal z;
  const double q = boost::math::quantile(z, 0.5 + level / 2);
  r.ratio = std::exp(est);
  r.low = std::exp(est - q * se);
  r.high = std::exp(est + q * se);
  r.p_value = 2 * boost::math::cdf(boost::math::complement(z, std::fabs(est / se)));
  return r;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ loading

std::vector<CompeteDeal> LoadCompeteDeals(Warehouse& wh, const std::string& schema) {
  RequireTable(wh, schema, "deals");
  const auto rs = wh.Query(
      "select deal_id, pipeline_id, owner_id, owner_name, competitor_name, loss_reason, is_open, is_won, is_lost, "
      "amount, cycle_days, deal_created_at, closedate from " +
      Ident(schema, "deals") + " order by deal_id");
  std::vector<CompeteDeal> out;
  out.reserve(rs.RowCount());
  for (const auto& row : rs.rows) {
    CompeteDeal d;
    d.deal_id = warehouse::AsInt64(row[0]);
    d.pipeline_id = OptString(row[1]);
    d.owner_id = OptInt(row[2]);
    d.owner_name = OptString(row[3]);
    d.competitor_property = OptString(row[4]);
    d.loss_reason = OptString(row[5]);
    d.is_open = OptBool(row[6]);
    d.is_won = OptBool(row[7]);
    d.is_lost = OptBool(row[8]);
    d.amount = OptDouble(row[9]);
    d.cycle_days = OptDouble(row[10]);
    d.created_at = OptTimestamp(row[11]);
    if (!d.is_open) d.closed_at = OptTimestamp(row[12]);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<std::string> CompetitorPropertyValues(const std::vector<CompeteDeal>& deals) {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (const auto& d : deals)
    if (!d.competitor_property.empty() && seen.insert(d.competitor_property).second)
      out.push_back(d.competitor_property);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<MentionRecord> ScanDealProperties(const MentionScanner& scanner, const std::vector<CompeteDeal>& deals) {
  std::vector<MentionRecord> out;
  std::vector<CompetitorMention> found;
  for (const auto& d : deals) {
    for (int f = 0; f < 2; ++f) {
      const std::string& text = f == 0 ? d.competitor_property : d.loss_reason;
      if (text.empty()) continue;
      found.clear();
      scanner.ScanInto(text, found);
      if (found.empty() && f == 0) {
        // Multi-select values are `;`-joined; a value that names a competitor exactly counts even when it is not
        // a whole word by the scanner's rule (a name ending in punctuation, say).
        size_t start = 0;
        while (start <= text.size()) {
          const size_t semi = std::min(text.find(';', start), text.size());
          const auto idx = scanner.FindCompetitor(std::string_view(text).substr(start, semi - start));
          if (idx >= 0) {
            CompetitorMention m;
            m.competitor = static_cast<size_t>(idx);
            m.name = scanner.Competitors()[m.competitor].name;
            m.offset = start;
            m.length = semi - start;
            m.matched_text = text.substr(start, semi - start);
            m.snippet = text;
            found.push_back(std::move(m));
          }
          start = semi + 1;
        }
      }
      for (auto& m : found) {
        MentionRecord r;
        r.source = "deal_property";
        r.field = f == 0 ? "competitor" : "closed_lost_reason";
        r.deal_id = d.deal_id;
        r.owner_id = d.owner_id;
        r.competitor = m.competitor;
        r.competitor_name = std::move(m.name);
        r.matched_text = std::move(m.matched_text);
        r.snippet = std::move(m.snippet);
        r.kind = m.kind;
        r.offset = static_cast<int64_t>(m.offset);
        r.mentioned_at = f == 0 ? d.created_at : (d.closed_at ? d.closed_at : d.created_at);
        out.push_back(std::move(r));
      }
    }
  }
  return out;
}

EngagementScan ScanEngagements(Warehouse& wh, const std::string& schema, const MentionScanner& scanner, int threads,
                               std::vector<MentionRecord>& out) {
  RequireTable(wh, schema, "engagements");
  EngagementScan totals;
  const int workers = std::max(1, threads);
  for (const char* type : {"note", "email", "call", "meeting"}) {
    // One type at a time keeps the materialized text to a quarter of the table.
    const auto rs = wh.Query("select engagement_id, deal_id, contact_id, owner_id, occurred_at, title, body from " +
                             Ident(schema, "engagements") + " where engagement_type = '" + type +
                             "' and (title is not null or body is not null) order by engagement_id");
    const size_t n = rs.RowCount();
    totals.rows += static_cast<int64_t>(n);
    std::vector<std::vector<MentionRecord>> parts(static_cast<size_t>(workers));
    std::vector<EngagementScan> counts(static_cast<size_t>(workers));
    std::vector<std::exception_ptr> errors(static_cast<size_t>(workers));
    auto work = [&](size_t w) {
      try {
        std::vector<CompetitorMention> found;
        const size_t lo = n * w / static_cast<size_t>(workers), hi = n * (w + 1) / static_cast<size_t>(workers);
        for (size_t i = lo; i < hi; ++i) {
          const auto& row = rs.rows[i];
          for (int f = 0; f < 2; ++f) {
            const Value& v = row[f == 0 ? 5 : 6];
            const auto* text = std::get_if<std::string>(&v);
            if (!text || text->empty()) continue;
            ++counts[w].texts;
            counts[w].bytes += static_cast<int64_t>(text->size());
            found.clear();
            if (scanner.ScanInto(*text, found) == 0) continue;
            for (auto& m : found) {
              MentionRecord r;
              r.source = type;
              r.field = f == 0 ? "title" : "body";
              r.engagement_id = warehouse::AsInt64(row[0]);
              r.deal_id = OptInt(row[1]);
              r.contact_id = OptInt(row[2]);
              r.owner_id = OptInt(row[3]);
              r.mentioned_at = OptTimestamp(row[4]);
              r.competitor = m.competitor;
              r.competitor_name = std::move(m.name);
              r.matched_text = std::move(m.matched_text);
              r.snippet = std::move(m.snippet);
              r.kind = m.kind;
              r.offset = static_cast<int64_t>(m.offset);
              parts[w].push_back(std::move(r));
            }
          }
        }
      } catch (...) {
        errors[w] = std::current_exception();
      }
    };
    std::vector<std::thread> pool;
    for (size_t w = 1; w < static_cast<size_t>(workers); ++w) pool.emplace_back(work, w);
    work(0);
    for (auto& t : pool) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    for (size_t w = 0; w < parts.size(); ++w) {
      totals.texts += counts[w].texts;
      totals.bytes += counts[w].bytes;
      for (auto& r : parts[w]) out.push_back(std::move(r));
    }
  }
  return totals;
}

// ------------------------------------------------------------------------------------------------ analysis

CompeteReport AnalyzeCompetition(const std::vector<CompeteDeal>& deals, std::vector<MentionRecord> mentions,
                                 const std::vector<std::string>& names, const CompeteOptions& o) {
  if (!(o.confidence > 0 && o.confidence < 1)) throw InvalidInputError("confidence must be in (0, 1)");
  if (!(o.fdr > 0 && o.fdr < 1)) throw InvalidInputError("fdr must be in (0, 1)");
  if (!(o.min_pipeline_share >= 0 && o.min_pipeline_share <= 1))
    throw InvalidInputError("min_pipeline_share must be in [0, 1]");
  CompeteReport rep;
  rep.computed_at_ms = o.computed_at_ms ? o.computed_at_ms : NowMillis();
  rep.run_id = o.run_id.empty() ? "compete-" + FormatIsoMillis(rep.computed_at_ms) : o.run_id;
  rep.confidence = o.confidence;
  rep.fdr = o.fdr;
  rep.deals = static_cast<int64_t>(deals.size());
  const size_t nc = names.size();

  // Which competitors each deal involves, and how it was found.
  std::unordered_map<int64_t, size_t> deal_index;
  for (size_t i = 0; i < deals.size(); ++i) deal_index.emplace(deals[i].deal_id, i);
  std::vector<std::vector<uint8_t>> involved(deals.size());  // bit 1: property, bit 2: mention
  std::vector<int64_t> mention_count(nc, 0);
  for (const auto& m : mentions) {
    if (m.competitor >= nc)
      throw InvalidInputError("a mention names competitor " + std::to_string(m.competitor) +
                              " but the dictionary has " + std::to_string(nc));
    ++mention_count[m.competitor];
    if (!m.deal_id) continue;
    const auto it = deal_index.find(*m.deal_id);
    if (it == deal_index.end()) continue;
    auto& v = involved[it->second];
    if (v.empty()) v.assign(nc, 0);
    v[m.competitor] |= (m.source == "deal_property" && m.field == "competitor") ? 1 : 2;
  }
  auto has_any = [&](size_t i) {
    return !involved[i].empty() &&
           std::any_of(involved[i].begin(), involved[i].end(), [](uint8_t b) { return b != 0; });
  };
  auto has = [&](size_t i, size_t c) { return !involved[i].empty() && involved[i][c] != 0; };

  // The baseline: closed deals with no competitor, in pipelines where competitors show up.
  std::map<std::string, std::pair<int64_t, int64_t>> pipes;  // pipeline -> (closed, closed with a competitor)
  for (size_t i = 0; i < deals.size(); ++i) {
    if (!(deals[i].is_won || deals[i].is_lost)) continue;
    auto& p = pipes[deals[i].pipeline_id];
    ++p.first;
    p.second += has_any(i);
  }
  std::set<std::string> competitive;
  for (const auto& [id, p] : pipes)
    if (p.second > 0 && static_cast<double>(p.second) >= o.min_pipeline_share * static_cast<double>(p.first))
      competitive.insert(id);
  if (competitive.empty())
    for (const auto& [id, p] : pipes) competitive.insert(id);
  rep.baseline.pipelines.assign(competitive.begin(), competitive.end());
  std::vector<size_t> base_all;  // no competitor, competitive pipeline (any status)
  std::vector<double> base_amounts, base_cycles, base_cycles_won, base_cycles_lost;
  std::map<std::optional<int64_t>, std::pair<int64_t, int64_t>> rep_base;  // owner -> (closed, won) on baseline
  for (size_t i = 0; i < deals.size(); ++i) {
    const auto& d = deals[i];
    if (has_any(i) || !competitive.count(d.pipeline_id)) continue;
    base_all.push_back(i);
    if (d.amount && *d.amount > 0) base_amounts.push_back(*d.amount);
    if (!(d.is_won || d.is_lost)) continue;
    ++rep.baseline.closed;
    rep.baseline.won += d.is_won;
    auto& rb = rep_base[d.owner_id];
    ++rb.first;
    rb.second += d.is_won;
    if (d.cycle_days && *d.cycle_days > 0) {
      base_cycles.push_back(*d.cycle_days);
      (d.is_won ? base_cycles_won : base_cycles_lost).push_back(*d.cycle_days);
    }
  }
  const Interval bci = WilsonInterval(rep.baseline.won, rep.baseline.closed, o.confidence);
  rep.baseline.win_rate =
      rep.baseline.closed ? static_cast<double>(rep.baseline.won) / static_cast<double>(rep.baseline.closed) : 0;
  rep.baseline.ci_low = bci.low;
  rep.baseline.ci_high = bci.high;
  rep.baseline.median_amount = Median(base_amounts);
  rep.baseline.median_cycle_days = Median(base_cycles);

  // Mentions by competitor, newest first (for the latest list and the last-mentioned time).
  std::vector<std::vector<const MentionRecord*>> by_comp(nc);
  for (const auto& m : mentions) by_comp[m.competitor].push_back(&m);

  std::vector<double> p_values;
  for (size_t c = 0; c < nc; ++c) {
    CompetitorStats s;
    s.competitor = names[c];
    s.mentions = mention_count[c];
    std::vector<double> amounts, cycles, cycles_won, cycles_lost;
    std::map<std::string, int64_t> reasons;
    std::map<std::optional<int64_t>, CompetitorRep> reps;
    std::map<Date, CompetitorMonth> months;
    for (size_t i = 0; i < deals.size(); ++i) {
      if (!has(i, c)) continue;
      const auto& d = deals[i];
      const uint8_t how = involved[i][c];
      ++s.deals_involved;
      s.deals_by_property += (how & 1) != 0;
      s.deals_by_mention += (how & 1) == 0;
      s.open_deals += d.is_open;
      if (d.amount && *d.amount > 0) amounts.push_back(*d.amount);
      if (d.created_at) ++months[MonthOf(*d.created_at)].deals_created;
      if (!(d.is_won || d.is_lost)) continue;
      ++s.closed;
      s.won += d.is_won;
      if (d.closed_at) {
        auto& mo = months[MonthOf(*d.closed_at)];
        ++mo.closed;
        mo.won += d.is_won;
      }
      if (d.cycle_days && *d.cycle_days > 0) {
        cycles.push_back(*d.cycle_days);
        (d.is_won ? cycles_won : cycles_lost).push_back(*d.cycle_days);
      }
      if (d.is_lost) ++reasons[d.loss_reason.empty() ? std::string("(not given)") : d.loss_reason];
      auto& r = reps[d.owner_id];
      r.owner_id = d.owner_id;
      if (r.owner_name.empty()) r.owner_name = d.owner_name;
      ++r.closed;
      r.won += d.is_won;
    }
    const Interval ci = WilsonInterval(s.won, s.closed, o.confidence);
    s.win_rate = s.closed ? static_cast<double>(s.won) / static_cast<double>(s.closed) : 0;
    s.ci_low = ci.low;
    s.ci_high = ci.high;
    if (s.closed > 0 && rep.baseline.closed > 0) {
      // Newcombe's hybrid score interval for a difference of proportions, from the two Wilson intervals.
      const double d = s.win_rate - rep.baseline.win_rate;
      s.win_rate_diff = d;
      s.diff_low = d - std::sqrt(std::pow(s.win_rate - ci.low, 2) + std::pow(bci.high - rep.baseline.win_rate, 2));
      s.diff_high = d + std::sqrt(std::pow(ci.high - s.win_rate, 2) + std::pow(rep.baseline.win_rate - bci.low, 2));
      s.p_value =
          FisherExactTwoSided(s.won, s.closed - s.won, rep.baseline.won, rep.baseline.closed - rep.baseline.won);
    }
    p_values.push_back(s.p_value);
    s.median_amount = Median(amounts);
    const Ratio ar = GeometricRatio(amounts, base_amounts, o.confidence);
    s.amount_ratio = ar.ratio;
    s.amount_ratio_low = ar.low;
    s.amount_ratio_high = ar.high;
    s.amount_p_value = ar.p_value;
    s.median_cycle_days = Median(cycles);
    const Ratio cr = StratifiedRatio({{cycles_won, base_cycles_won}, {cycles_lost, base_cycles_lost}}, o.confidence);
    s.cycle_ratio = cr.ratio;
    s.cycle_ratio_low = cr.low;
    s.cycle_ratio_high = cr.high;
    s.cycle_p_value = cr.p_value;
    s.loss_reasons.assign(reasons.begin(), reasons.end());
    std::stable_sort(s.loss_reasons.begin(), s.loss_reasons.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (auto& [owner, r] : reps) {
      const Interval ri = WilsonInterval(r.won, r.closed, o.confidence);
      r.win_rate = static_cast<double>(r.won) / static_cast<double>(r.closed);
      r.ci_low = ri.low;
      r.ci_high = ri.high;
      const auto it = rep_base.find(owner);
      if (it != rep_base.end() && it->second.first > 0)
        r.baseline_win_rate = static_cast<double>(it->second.second) / static_cast<double>(it->second.first);
      s.reps.push_back(r);
    }
    std::stable_sort(s.reps.begin(), s.reps.end(), [](const CompetitorRep& a, const CompetitorRep& b) {
      if (a.won != b.won) return a.won > b.won;
      return a.win_rate > b.win_rate;
    });
    // Mentions per month, and the distinct deals mentioned that month.
    std::map<Date, std::set<int64_t>> month_deals;
    for (const MentionRecord* m : by_comp[c]) {
      if (!m->mentioned_at) continue;
      const Date mo = MonthOf(*m->mentioned_at);
      ++months[mo].mentions;
      if (m->deal_id) month_deals[mo].insert(*m->deal_id);
      if (!s.last_mentioned_at || *m->mentioned_at > *s.last_mentioned_at) s.last_mentioned_at = m->mentioned_at;
    }
    for (auto& [mo, v] : months) {
      v.month = mo;
      v.deals_mentioned = static_cast<int64_t>(month_deals[mo].size());
      s.months.push_back(v);
    }
    std::vector<const MentionRecord*> eng;
    for (const MentionRecord* m : by_comp[c])
      if (m->engagement_id) eng.push_back(m);
    const size_t keep = std::min(eng.size(), o.latest_mentions);
    std::partial_sort(eng.begin(), eng.begin() + static_cast<std::ptrdiff_t>(keep), eng.end(),
                      [](const MentionRecord* a, const MentionRecord* b) {
                        const int64_t ta = a->mentioned_at ? a->mentioned_at->micros : INT64_MIN;
                        const int64_t tb = b->mentioned_at ? b->mentioned_at->micros : INT64_MIN;
                        if (ta != tb) return ta > tb;
                        return a->engagement_id.value_or(0) > b->engagement_id.value_or(0);
                      });
    for (size_t k = 0; k < keep; ++k) s.latest.push_back(*eng[k]);
    rep.competitors.push_back(std::move(s));
  }
  const std::vector<double> q = BenjaminiHochbergAdjusted(p_values);
  for (size_t c = 0; c < nc; ++c) {
    rep.competitors[c].q_value = q[c];
    rep.competitors[c].significant = rep.competitors[c].closed > 0 && q[c] <= o.fdr;
  }
  std::stable_sort(rep.competitors.begin(), rep.competitors.end(),
                   [](const CompetitorStats& a, const CompetitorStats& b) {
                     if (a.deals_involved != b.deals_involved) return a.deals_involved > b.deals_involved;
                     return a.mentions > b.mentions;
                   });

  // Open deals and the competitors on them (dictionary order), for the revlens_competitors write-back.
  for (size_t i = 0; i < deals.size(); ++i) {
    if (!deals[i].is_open || !has_any(i)) continue;
    std::string joined;
    for (size_t c = 0; c < nc; ++c) {
      if (!has(i, c)) continue;
      if (!joined.empty()) joined += ';';
      joined += names[c];
    }
    rep.deal_competitors.emplace_back(deals[i].deal_id, std::move(joined));
  }
  rep.mentions = std::move(mentions);
  return rep;
}

// ------------------------------------------------------------------------------------------------ writing

namespace {

const std::vector<Column>& MentionColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                           {"source", ColumnType::kText},
                                           {"field", ColumnType::kText},
                                           {"engagement_id", ColumnType::kBigInt},
                                           {"deal_id", ColumnType::kBigInt},
                                           {"contact_id", ColumnType::kBigInt},
                                           {"owner_id", ColumnType::kBigInt},
                                           {"competitor", ColumnType::kText},
                                           {"match_kind", ColumnType::kText},
                                           {"matched_text", ColumnType::kText},
                                           {"match_offset", ColumnType::kBigInt},
                                           {"snippet", ColumnType::kText},
                                           {"mentioned_at", ColumnType::kTimestamp}};
  return cols;
}

const std::vector<Column>& StatsColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                           {"competitor", ColumnType::kText},
                                           {"deals_involved", ColumnType::kBigInt},
                                           {"deals_by_property", ColumnType::kBigInt},
                                           {"deals_by_mention", ColumnType::kBigInt},
                                           {"open_deals", ColumnType::kBigInt},
                                           {"mentions", ColumnType::kBigInt},
                                           {"closed_deals", ColumnType::kBigInt},
                                           {"won_deals", ColumnType::kBigInt},
                                           {"win_rate", ColumnType::kDouble},
                                           {"win_rate_low", ColumnType::kDouble},
                                           {"win_rate_high", ColumnType::kDouble},
                                           {"baseline_closed_deals", ColumnType::kBigInt},
                                           {"baseline_won_deals", ColumnType::kBigInt},
                                           {"baseline_win_rate", ColumnType::kDouble},
                                           {"baseline_win_rate_low", ColumnType::kDouble},
                                           {"baseline_win_rate_high", ColumnType::kDouble},
                                           {"win_rate_diff", ColumnType::kDouble},
                                           {"win_rate_diff_low", ColumnType::kDouble},
                                           {"win_rate_diff_high", ColumnType::kDouble},
                                           {"p_value", ColumnType::kDouble},
                                           {"q_value", ColumnType::kDouble},
                                           {"significant", ColumnType::kBoolean},
                                           {"median_amount", ColumnType::kDouble},
                                           {"baseline_median_amount", ColumnType::kDouble},
                                           {"amount_ratio", ColumnType::kDouble},
                                           {"amount_ratio_low", ColumnType::kDouble},
                                           {"amount_ratio_high", ColumnType::kDouble},
                                           {"amount_p_value", ColumnType::kDouble},
                                           {"median_cycle_days", ColumnType::kDouble},
                                           {"baseline_median_cycle_days", ColumnType::kDouble},
                                           {"cycle_ratio", ColumnType::kDouble},
                                           {"cycle_ratio_low", ColumnType::kDouble},
                                           {"cycle_ratio_high", ColumnType::kDouble},
                                           {"cycle_p_value", ColumnType::kDouble},
                                           {"top_loss_reasons", ColumnType::kText},
                                           {"top_rep", ColumnType::kText},
                                           {"last_mentioned_at", ColumnType::kTimestamp},
                                           {"confidence", ColumnType::kDouble},
                                           {"computed_at", ColumnType::kTimestamp}};
  return cols;
}

const std::vector<Column>& LossColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                           {"competitor", ColumnType::kText},
                                           {"loss_reason", ColumnType::kText},
                                           {"lost_deals", ColumnType::kBigInt},
                                           {"share", ColumnType::kDouble}};
  return cols;
}

const std::vector<Column>& MonthlyColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                           {"competitor", ColumnType::kText},
                                           {"month", ColumnType::kDate},
                                           {"mentions", ColumnType::kBigInt},
                                           {"deals_mentioned", ColumnType::kBigInt},
                                           {"deals_created", ColumnType::kBigInt},
                                           {"closed_deals", ColumnType::kBigInt},
                                           {"won_deals", ColumnType::kBigInt}};
  return cols;
}

const std::vector<Column>& RepColumns() {
  static const std::vector<Column> cols = {
      {"run_id", ColumnType::kText},          {"competitor", ColumnType::kText},
      {"owner_id", ColumnType::kBigInt},      {"owner_name", ColumnType::kText},
      {"closed_deals", ColumnType::kBigInt},  {"won_deals", ColumnType::kBigInt},
      {"win_rate", ColumnType::kDouble},      {"win_rate_low", ColumnType::kDouble},
      {"win_rate_high", ColumnType::kDouble}, {"baseline_win_rate", ColumnType::kDouble}};
  return cols;
}

const std::vector<Column>& DictionaryColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},  {"competitor", ColumnType::kText},
                                           {"term", ColumnType::kText},    {"kind", ColumnType::kText},
                                           {"origin", ColumnType::kText},  {"case_sensitive", ColumnType::kBoolean},
                                           {"fuzzy", ColumnType::kBoolean}};
  return cols;
}

const std::vector<Column>& DealCompetitorColumns() {
  static const std::vector<Column> cols = {
      {"deal_id", ColumnType::kBigInt}, {"competitors", ColumnType::kText}, {"run_id", ColumnType::kText}};
  return cols;
}

std::string TopLossReasons(const CompetitorStats& s, size_t n) {
  int64_t total = 0;
  for (const auto& [r, k] : s.loss_reasons) total += k;
  std::string out;
  for (size_t i = 0; i < s.loss_reasons.size() && i < n; ++i) {
    if (!out.empty()) out += "; ";
    char pct[16];
    std::snprintf(
        pct, sizeof pct, "%.0f%%",
        100.0 * static_cast<double>(s.loss_reasons[i].second) / static_cast<double>(std::max<int64_t>(total, 1)));
    out += s.loss_reasons[i].first + " (" + pct + ")";
  }
  return out;
}

std::string TopRep(const CompetitorStats& s) {
  if (s.reps.empty() || s.reps.front().won == 0) return {};
  const auto& r = s.reps.front();
  const std::string who =
      r.owner_name.empty() ? (r.owner_id ? std::to_string(*r.owner_id) : "(no owner)") : r.owner_name;
  return who + " (" + std::to_string(r.won) + " of " + std::to_string(r.closed) + ")";
}

nlohmann::json Opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json();
}

nlohmann::json MentionJson(const MentionRecord& m) {
  return {{"source", m.source},
          {"field", m.field},
          {"engagement_id", m.engagement_id ? nlohmann::json(*m.engagement_id) : nlohmann::json()},
          {"deal_id", m.deal_id ? nlohmann::json(*m.deal_id) : nlohmann::json()},
          {"competitor", m.competitor_name},
          {"match_kind", MatchKindName(m.kind)},
          {"matched_text", m.matched_text},
          {"snippet", m.snippet},
          {"mentioned_at", m.mentioned_at ? warehouse::FormatTimestamp(*m.mentioned_at) : std::string()}};
}

}  // namespace

void WriteCompeteReport(Warehouse& wh, const std::string& schema, const CompeteReport& r) {
  const Value run = r.run_id;
  const Value at = warehouse::TimestampFromMillis(r.computed_at_ms);
  std::vector<std::vector<Value>> mention_rows, stats_rows, loss_rows, month_rows, rep_rows, dict_rows, deal_rows;
  mention_rows.reserve(r.mentions.size());
  for (const auto& m : r.mentions)
    mention_rows.push_back({run, m.source, m.field, V(m.engagement_id), V(m.deal_id), V(m.contact_id), V(m.owner_id),
                            m.competitor_name, std::string(MatchKindName(m.kind)), m.matched_text, m.offset, m.snippet,
                            V(m.mentioned_at)});
  const auto& b = r.baseline;
  for (const auto& s : r.competitors) {
    const std::string loss = TopLossReasons(s, 3), top = TopRep(s);
    stats_rows.push_back({run,
                          s.competitor,
                          s.deals_involved,
                          s.deals_by_property,
                          s.deals_by_mention,
                          s.open_deals,
                          s.mentions,
                          s.closed,
                          s.won,
                          s.closed ? Value(s.win_rate) : Value(),
                          s.closed ? Value(s.ci_low) : Value(),
                          s.closed ? Value(s.ci_high) : Value(),
                          b.closed,
                          b.won,
                          b.closed ? Value(b.win_rate) : Value(),
                          b.closed ? Value(b.ci_low) : Value(),
                          b.closed ? Value(b.ci_high) : Value(),
                          V(s.win_rate_diff),
                          V(s.diff_low),
                          V(s.diff_high),
                          s.p_value,
                          s.q_value,
                          s.significant,
                          V(s.median_amount),
                          V(b.median_amount),
                          V(s.amount_ratio),
                          V(s.amount_ratio_low),
                          V(s.amount_ratio_high),
                          V(s.amount_p_value),
                          V(s.median_cycle_days),
                          V(b.median_cycle_days),
                          V(s.cycle_ratio),
                          V(s.cycle_ratio_low),
                          V(s.cycle_ratio_high),
                          V(s.cycle_p_value),
                          loss.empty() ? Value() : Value(loss),
                          top.empty() ? Value() : Value(top),
                          V(s.last_mentioned_at),
                          r.confidence,
                          at});
    int64_t lost = 0;
    for (const auto& [reason, n] : s.loss_reasons) lost += n;
    for (const auto& [reason, n] : s.loss_reasons)
      loss_rows.push_back({run, s.competitor, reason, n, static_cast<double>(n) / static_cast<double>(lost)});
    for (const auto& m : s.months)
      month_rows.push_back(
          {run, s.competitor, m.month, m.mentions, m.deals_mentioned, m.deals_created, m.closed, m.won});
    for (const auto& p : s.reps)
      rep_rows.push_back({run, s.competitor, V(p.owner_id), p.owner_name.empty() ? Value() : Value(p.owner_name),
                          p.closed, p.won, p.win_rate, p.ci_low, p.ci_high, V(p.baseline_win_rate)});
  }
  for (const auto& e : r.dictionary) {
    auto add = [&](const std::string& term, const char* kind) {
      dict_rows.push_back({run, e.name, term, std::string(kind), e.origin, e.case_sensitive, e.fuzzy});
    };
    add(e.name, "name");
    for (const auto& a : e.aliases) add(a, "alias");
    for (const auto& m : e.misspellings) add(m, "misspelling");
    for (const auto& d : e.domains) add(d, "domain");
  }
  for (const auto& [id, names] : r.deal_competitors) deal_rows.push_back({id, names, run});

  ReplaceTables(wh, schema,
                {{"competitor_mentions", MentionColumns(), mention_rows},
                 {"competitor_stats", StatsColumns(), stats_rows},
                 {"competitor_loss_reasons", LossColumns(), loss_rows},
                 {"competitor_monthly", MonthlyColumns(), month_rows},
                 {"competitor_reps", RepColumns(), rep_rows},
                 {"competitor_dictionary", DictionaryColumns(), dict_rows},
                 {"deal_competitors", DealCompetitorColumns(), deal_rows}});
}

// ------------------------------------------------------------------------------------------------ the run

CompeteReport RunCompete(Warehouse& wh, const CompeteOptions& options, bool write) {
  auto t0 = Clock::now();
  const auto deals = LoadCompeteDeals(wh, options.schema);
  const double load_deals = Since(t0);
  auto dictionary = options.seed_from_deals
                        ? MergeCompetitorDictionary(options.dictionary, CompetitorPropertyValues(deals))
                        : MergeCompetitorDictionary(options.dictionary, {});
  if (dictionary.empty())
    throw InvalidInputError(
        "no competitors: the deals' competitor property is empty and none is configured (add [[competitors]] to "
        "revlens.toml or pass --competitors FILE)");
  const MentionScanner scanner(dictionary, options.scanner);
  std::vector<std::string> names;
  for (const auto& e : scanner.Competitors()) names.push_back(e.name);

  t0 = Clock::now();
  std::vector<MentionRecord> mentions = ScanDealProperties(scanner, deals);
  const EngagementScan scan = ScanEngagements(wh, options.schema, scanner, options.threads, mentions);
  const double scan_seconds = Since(t0);

  t0 = Clock::now();
  CompeteReport report = AnalyzeCompetition(deals, std::move(mentions), names, options);
  report.analyze_seconds = Since(t0);
  report.dictionary = scanner.Competitors();
  report.dictionary_terms = scanner.Terms().size();
  report.texts_scanned = scan.texts;
  report.bytes_scanned = scan.bytes;
  report.load_seconds = load_deals;
  report.scan_seconds = scan_seconds;
  if (write) {
    t0 = Clock::now();
    WriteCompeteReport(wh, options.schema, report);
    report.write_seconds = Since(t0);
  }
  return report;
}

std::vector<CompetitorEntry> ConfiguredCompetitors(const std::string& path) {
  if (!path.empty()) return LoadCompetitorsFile(path);
  std::error_code ec;
  if (std::filesystem::exists("revlens.toml", ec)) return LoadCompetitorsFile("revlens.toml");
  return {};
}

std::string CompeteReport::ToJson() const {
  nlohmann::json comps = nlohmann::json::array();
  for (const auto& s : competitors) {
    nlohmann::json reps_j = nlohmann::json::array(), loss = nlohmann::json::array(), months_j = nlohmann::json::array(),
                   latest_j = nlohmann::json::array();
    for (const auto& p : s.reps)
      reps_j.push_back({{"owner_id", p.owner_id ? nlohmann::json(*p.owner_id) : nlohmann::json()},
                        {"owner_name", p.owner_name},
                        {"closed", p.closed},
                        {"won", p.won},
                        {"win_rate", p.win_rate},
                        {"ci", {p.ci_low, p.ci_high}},
                        {"baseline_win_rate", Opt(p.baseline_win_rate)}});
    for (const auto& [reason, n] : s.loss_reasons) loss.push_back({{"reason", reason}, {"lost_deals", n}});
    for (const auto& m : s.months)
      months_j.push_back({{"month", warehouse::FormatDate(m.month).substr(0, 7)},
                          {"mentions", m.mentions},
                          {"deals_mentioned", m.deals_mentioned},
                          {"deals_created", m.deals_created},
                          {"closed", m.closed},
                          {"won", m.won}});
    for (const auto& m : s.latest) latest_j.push_back(MentionJson(m));
    comps.push_back(
        {{"competitor", s.competitor},
         {"deals_involved", s.deals_involved},
         {"deals_by_property", s.deals_by_property},
         {"deals_by_mention", s.deals_by_mention},
         {"open_deals", s.open_deals},
         {"mentions", s.mentions},
         {"closed", s.closed},
         {"won", s.won},
         {"win_rate", s.closed ? nlohmann::json(s.win_rate) : nlohmann::json()},
         {"win_rate_ci", s.closed ? nlohmann::json({s.ci_low, s.ci_high}) : nlohmann::json()},
         {"win_rate_diff", Opt(s.win_rate_diff)},
         {"win_rate_diff_ci", s.win_rate_diff ? nlohmann::json({*s.diff_low, *s.diff_high}) : nlohmann::json()},
         {"p_value", s.p_value},
         {"q_value", s.q_value},
         {"significant", s.significant},
         {"median_amount", Opt(s.median_amount)},
         {"amount_ratio", Opt(s.amount_ratio)},
         {"amount_ratio_ci",
          s.amount_ratio ? nlohmann::json({*s.amount_ratio_low, *s.amount_ratio_high}) : nlohmann::json()},
         {"amount_p_value", Opt(s.amount_p_value)},
         {"median_cycle_days", Opt(s.median_cycle_days)},
         {"cycle_ratio", Opt(s.cycle_ratio)},
         {"cycle_ratio_ci",
          s.cycle_ratio ? nlohmann::json({*s.cycle_ratio_low, *s.cycle_ratio_high}) : nlohmann::json()},
         {"cycle_p_value", Opt(s.cycle_p_value)},
         {"loss_reasons", loss},
         {"reps", reps_j},
         {"months", months_j},
         {"latest_mentions", latest_j},
         {"last_mentioned_at",
          s.last_mentioned_at ? warehouse::FormatTimestamp(*s.last_mentioned_at) : std::string()}});
  }
  nlohmann::json dict = nlohmann::json::array();
  for (const auto& e : dictionary)
    dict.push_back({{"name", e.name},
                    {"aliases", e.aliases},
                    {"misspellings", e.misspellings},
                    {"domains", e.domains},
                    {"origin", e.origin}});
  nlohmann::json j = {
      {"run_id", run_id},
      {"computed_at", FormatIsoMillis(computed_at_ms)},
      {"confidence", confidence},
      {"fdr", fdr},
      {"deals", deals},
      {"texts_scanned", texts_scanned},
      {"bytes_scanned", bytes_scanned},
      {"mentions", mentions.size()},
      {"open_deals_with_competitors", deal_competitors.size()},
      {"dictionary", dict},
      {"dictionary_terms", dictionary_terms},
      {"baseline",
       {{"pipelines", baseline.pipelines},
        {"closed", baseline.closed},
        {"won", baseline.won},
        {"win_rate", baseline.closed ? nlohmann::json(baseline.win_rate) : nlohmann::json()},
        {"win_rate_ci", {baseline.ci_low, baseline.ci_high}},
        {"median_amount", Opt(baseline.median_amount)},
        {"median_cycle_days", Opt(baseline.median_cycle_days)}}},
      {"competitors", comps},
      {"seconds",
       {{"load", load_seconds}, {"scan", scan_seconds}, {"analyze", analyze_seconds}, {"write", write_seconds}}}};
  return j.dump(2);
}

}  // namespace revlens::insights
