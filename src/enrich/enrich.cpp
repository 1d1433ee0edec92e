// revlens enrich: candidates, spend control, the ledger, results, the Clay callback and the report.
#include "enrich/enrich.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::enrich {
namespace {

using nlohmann::json;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Timestamp;
using warehouse::Value;
using warehouse::Warehouse;

constexpr int64_t kDayMs = 86400000;

std::vector<Column> LedgerColumns() {
  return {{"request_id", ColumnType::kText},
          {"provider", ColumnType::kText},
          {"object_type", ColumnType::kText},
          {"record_id", ColumnType::kBigInt},
          {"lookup_key", ColumnType::kText},
          {"credits", ColumnType::kDouble},
          {"status", ColumnType::kText},
          {"requested_at", ColumnType::kTimestamp},
          {"answered_at", ColumnType::kTimestamp},
          {"run_id", ColumnType::kText},
          {"detail", ColumnType::kText}};
}

std::vector<Column> CallbackColumns() {
  return {{"received_at", ColumnType::kTimestamp},
          {"provider", ColumnType::kText},
          {"request_id", ColumnType::kText},
          {"accepted", ColumnType::kBoolean},
          {"status", ColumnType::kBigInt},
          {"reason", ColumnType::kText},
          {"remote", ColumnType::kText}};
}

std::string Q(const std::string& schema, const std::string& table) {
  return Warehouse::QualifiedName(schema, table);
}
std::string Lit(const std::string& s) {
  return Warehouse::QuoteLiteral(s);
}
std::string TsLit(int64_t ms) {
  return Warehouse::Literal(Value(Timestamp{ms * 1000}));
}

/// First instant of the UTC calendar month holding `ms` (civil-from-days, H. Hinnant's algorithm).
int64_t MonthStartMs(int64_t ms) {
  int64_t z = (ms >= 0 ? ms : ms - kDayMs + 1) / kDayMs + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  return ms - ((ms % kDayMs + kDayMs) % kDayMs) - (d - 1) * kDayMs;
}

std::string NewRequestId() {
  static std::mutex mu;
  static std::mt19937_64 gen{std::random_device{}()};
  std::lock_guard lock(mu);
  char buf[40];
  std::snprintf(buf, sizeof buf, "enr_%016llx%08llx", static_cast<unsigned long long>(gen()),
                static_cast<unsigned long long>(gen() & 0xffffffffULL));
  return buf;
}

/// SQL that is true when property `prop` of alias `a` is empty (or has no column at all).
std::string MissingExpr(const std::set<std::string>& columns, const std::string& alias, const std::string& prop) {
  const std::string col = sync::PropertyColumn(prop);
  if (!columns.count(col)) return "(1 = 1)";
  const std::string ref = alias + "." + Warehouse::QuoteIdent(col);
  return "(" + ref + " is null or trim(cast(" + ref + " as varchar)) = '')";
}

std::set<std::string> ColumnSet(Warehouse& wh, const std::string& schema, const std::string& table) {
  std::set<std::string> out;
  for (const auto& c : wh.Columns(schema, table)) out.insert(c.name);
  return out;
}

std::string KeyProperty(const std::string& object_type) {
  return object_type == "contacts" ? "email" : "domain";
}

struct Candidate {
  int64_t record_id = 0;
  std::string key;
  std::map<std::string, bool> missing;  ///< property -> empty in HubSpot
  bool fresh = false;
};

std::vector<Candidate> FindCandidates(Warehouse& wh, const std::string& s, const ProviderSettings& p,
                                      const std::vector<std::string>& require, int64_t window_start_ms) {
  const std::string obj = p.object_type;
  const auto cols = ColumnSet(wh, s, obj);
  if (cols.empty()) return {};
  std::set<std::string> props(require.begin(), require.end());
  for (const auto& [prop, ptr] : p.fields) props.insert(prop);
  std::vector<std::string> prop_list(props.begin(), props.end());
  std::string any_missing;
  for (const auto& r : require) any_missing += (any_missing.empty() ? "" : " or ") + MissingExpr(cols, "c", r);
  if (any_missing.empty()) return {};
  const std::string key_col = sync::PropertyColumn(KeyProperty(obj));
  const std::string key_expr = cols.count(key_col)
                                   ? "lower(trim(cast(c." + Warehouse::QuoteIdent(key_col) + " as varchar)))"
                                   : "cast(null as varchar)";
  const bool have_deals = wh.TableExists(s, "deals") && wh.TableExists(s, "associations");
  const auto deal_cols = have_deals ? ColumnSet(wh, s, "deals") : std::set<std::string>{};
  const bool can_value = have_deals && deal_cols.count("amount") && deal_cols.count("dealstage");
  std::string sql = "with ";
  if (can_value) {
    // Value: the open pipeline attached to the record (open = a stage not marked closed).
    sql +=
        "open_value as (select a.to_id as record_id, sum(coalesce(d.amount, 0)) as amount "
        "from (select distinct from_id, to_id from " +
        Q(s, "associations") + " where from_type = 'deals' and to_type = " + Lit(obj) +
        ") as a "
        "join " +
        Q(s, "deals") +
        " as d on d.id = a.from_id "
        "left join (select distinct stage_id, is_closed from " +
        Q(s, "pipeline_stages") +
        " where object_type = 'deals') as ps on ps.stage_id = d.dealstage "
        "where d.is_deleted is not true and coalesce(ps.is_closed, false) = false group by a.to_id), ";
  } else {
    sql +=
        "open_value as (select cast(null as bigint) as record_id, cast(0 as double precision) as amount where 1 = 0), ";
  }
  if (obj == "companies" && wh.TableExists(s, "associations")) {
    sql += "people as (select to_id as record_id, count(distinct from_id) as n from " + Q(s, "associations") +
           " where from_type = 'contacts' and to_type = 'companies' group by to_id) ";
  } else {
    sql += "people as (select cast(null as bigint) as record_id, cast(0 as bigint) as n where 1 = 0) ";
  }
  sql += "select c.id, " + key_expr + " as lookup_key";
  for (size_t i = 0; i < prop_list.size(); ++i)
    sql += ", case when " + MissingExpr(cols, "c", prop_list[i]) + " then 1 else 0 end as m" + std::to_string(i);
  sql += ", case when exists (select 1 from " + Q(s, "enrichment_ledger") + " as l where l.object_type = " + Lit(obj) +
         " and l.record_id = c.id and l.requested_at > " + TsLit(window_start_ms) +
         " and (l.provider = " + Lit(p.name) + " or l.status in ('answered', 'sent'))) then 1 else 0 end as fresh";
  sql += " from " + Q(s, obj) +
         " as c left join open_value as o on o.record_id = c.id"
         " left join people as n on n.record_id = c.id"
         " where c.is_deleted is not true and (" +
         any_missing +
         ")"
         " order by coalesce(o.amount, 0) desc, coalesce(n.n, 0) desc, c.id";
  const auto rs = wh.Query(sql);
  std::vector<Candidate> out;
  out.reserve(rs.RowCount());
  for (const auto& row : rs.rows) {
    Candidate c;
    c.record_id = warehouse::AsInt64(row[0]);
    if (!warehouse::IsNull(row[1])) c.key = warehouse::AsString(row[1]);
    for (size_t i = 0; i < prop_list.size(); ++i) c.missing[prop_list[i]] = warehouse::AsInt64(row[2 + i]) != 0;
    c.fresh = warehouse::AsInt64(row.back()) != 0;
    out.push_back(std::move(c));
  }
  return out;
}

double SpentSince(Warehouse& wh, const std::string& s, const std::string& provider, int64_t since_ms) {
  return wh
      .Query("select coalesce(sum(credits), 0) from " + Q(s, "enrichment_ledger") +
             " where provider = " + Lit(provider) + " and requested_at >= " + TsLit(since_ms))
      .Scalar<double>();
}

void WriteLedger(Warehouse& wh, const std::string& s, const LedgerEntry& e, int64_t now_ms) {
  wh.BulkLoad(s, "enrichment_ledger", LedgerColumns(),
              {{e.request_id, e.provider, e.object_type, e.record_id, e.lookup_key, e.credits, std::string("sent"),
                Timestamp{now_ms * 1000}, Value{}, e.run_id, Value{}}});
}

/// Record an answer: the ledger row's status and the values, in one transaction.
void RecordAnswer(Warehouse& wh, const std::string& s, const std::string& request_id, const std::string& provider,
                  const std::string& object_type, int64_t record_id, const EnrichAnswer& a, int64_t now_ms) {
  // Pending (Clay): the ledger row already says `sent`, and the callback may have answered it meanwhile.
  if (a.status == EnrichAnswer::Status::kPending) return;
  warehouse::Transaction tx(wh);
  wh.Execute("update " + Q(s, "enrichment_ledger") + " set status = " + Lit(StatusName(a.status)) +
             ", answered_at = " + TsLit(now_ms) + ", detail = " + (a.detail.empty() ? "null" : Lit(a.detail)) +
             " where request_id = " + Lit(request_id));
  if (!a.values.empty()) {
    std::vector<std::vector<Value>> rows;
    for (const auto& [prop, value] : a.values)
      rows.push_back({request_id, provider, object_type, record_id, prop, value, Timestamp{now_ms * 1000}});
    wh.BulkLoad(s, "enrichment_results", sync::EnrichmentResultColumns(), rows);
  }
  tx.Commit();
}

std::string LowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

/// Compare secrets without an early exit, so the time taken says nothing about where they differ. (One loop;
/// not worth linking OpenSSL's CRYPTO_memcmp into this library for.)
bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

json CoverageJson(const Coverage& c) {
  return {{"companies", c.companies},
          {"placeable_hubspot_only", c.hubspot_only},
          {"placeable_with_enrichment", c.with_enrichment},
          {"coverage_before", c.Before()},
          {"coverage_after", c.After()}};
}

std::string Pct(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", v * 100);
  return b;
}
std::string Num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  std::string s = b;
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

std::map<std::string, std::string> DefaultClayFields() {
  return {{"industry", "/industry"}, {"numberofemployees", "/employees"}, {"annualrevenue", "/annual_revenue"}};
}

void EnsureEnrichmentTables(Warehouse& wh, const std::string& schema) {
  wh.CreateSchema(schema);
  wh.CreateTable(schema, "enrichment_ledger", LedgerColumns());
  wh.CreateTable(schema, "enrichment_results", sync::EnrichmentResultColumns());
  wh.CreateTable(schema, "enrichment_callbacks", CallbackColumns());
}

Coverage ComputeCoverage(Warehouse& wh, const std::string& s, const std::vector<std::string>& require) {
  Coverage c;
  if (!wh.TableExists(s, "companies")) return c;
  const auto cols = ColumnSet(wh, s, "companies");
  std::string hs = "1 = 1", en = "1 = 1";
  for (const auto& r : require) {
    const std::string miss = MissingExpr(cols, "c", r);
    hs += " and not " + miss;
    en += " and (not " + miss + " or exists (select 1 from " + Q(s, "enrichment_results") +
          " as r where r.object_type = 'companies' and r.record_id = c.id and r.property = " + Lit(r) + "))";
  }
  const auto rs = wh.Query("select count(*), coalesce(sum(case when " + hs + " then 1 else 0 end), 0), " +
                           "coalesce(sum(case when " + en + " then 1 else 0 end), 0) from " + Q(s, "companies") +
                           " as c where c.is_deleted is not true");
  c.companies = warehouse::AsInt64(rs.rows[0][0]);
  c.hubspot_only = warehouse::AsInt64(rs.rows[0][1]);
  c.with_enrichment = warehouse::AsInt64(rs.rows[0][2]);
  return c;
}

EnrichSummary RunEnrich(Warehouse& wh, const EnrichOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t now = o.now_ms > 0 ? o.now_ms : NowMillis();
  EnrichSummary sum;
  sum.run_id = o.run_id.empty() ? "enrich-" + std::to_string(now) : o.run_id;
  sum.dry_run = o.dry_run;
  if (!wh.TableExists(o.schema, "companies"))
    throw ConfigError("no synced HubSpot data in schema " + o.schema + ": run `revlens sync` first (or pass --schema)");
  // Empty tables even on a dry run (nothing else is written then): the candidate query reads the ledger.
  EnsureEnrichmentTables(wh, o.schema);
  const int64_t window_start = now - static_cast<int64_t>(o.settings.freshness_days) * kDayMs;
  const int64_t month_start = MonthStartMs(now);
  int64_t sent_total = 0;
  auto say = [&](const std::string& line) {
    if (o.progress) o.progress(line);
  };

  for (const ProviderSettings& ps : o.settings.providers) {
    auto provider = MakeProvider(ps);
    ProviderRun pr;
    pr.name = ps.name;
    pr.kind = ps.kind;
    pr.object_type = ps.object_type;
    pr.credits_per_call = ps.credits_per_call;
    pr.monthly_cap = ps.monthly_cap;
    if (!o.dry_run) {
      // A synchronous provider answers inside Send(): a row still `sent` is from a run that stopped between the
      // request and its answer. Its credits stay counted; the record is not asked again within the window.
      const std::string l = Q(o.schema, "enrichment_ledger");
      const std::string close_status = provider->Asynchronous() ? "expired" : "unanswered";
      const std::string cond = " where provider = " + Lit(ps.name) + " and status = 'sent'" +
                               (provider->Asynchronous() ? " and requested_at <= " + TsLit(window_start) : "");
      sum.expired += wh.Query("select count(*) from " + l + cond).Scalar<int64_t>();
      wh.Execute("update " + l + " set status = " + Lit(close_status) +
                 ", detail = 'no answer recorded; credits kept, not retried within the freshness window'" + cond);
    }
    pr.spent_before = SpentSince(wh, o.schema, ps.name, month_start);
    double spent = pr.spent_before;
    const auto cands = FindCandidates(wh, o.schema, ps, o.settings.require, window_start);
    for (const auto& c : cands) {
      if (c.fresh) {
        ++sum.skipped_fresh;
        continue;
      }
      if (c.key.empty()) {
        ++sum.skipped_no_key;
        continue;
      }
      ++pr.candidates;
    }
    say(ps.name + ": " + std::to_string(pr.candidates) + " records need enriching; " + Num(spent) + " of " +
        Num(ps.monthly_cap) + " credits spent this month");
    for (const auto& c : cands) {
      if (c.fresh || c.key.empty()) continue;
      if (o.max_requests >= 0 && sent_total >= o.max_requests) {
        pr.stop_reason = "request limit of this run reached";
        break;
      }
      // 1e-9: credits like 0.1 summed in floating point must not refuse a call that lands exactly on the cap.
      if (spent + ps.credits_per_call > ps.monthly_cap + 1e-9) {
        pr.not_sent_cap = pr.candidates - pr.requested;
        pr.stop_reason = "monthly cap reached";
        break;
      }
      ++pr.requested;
      ++sent_total;
      spent += ps.credits_per_call;
      pr.spent_run += ps.credits_per_call;
      if (pr.sample.size() < 5) pr.sample.push_back(c.key);
      if (o.dry_run) continue;
      LedgerEntry e{NewRequestId(), ps.name, ps.object_type, c.key, sum.run_id, c.record_id, ps.credits_per_call};
      WriteLedger(wh, o.schema, e, now);  // committed before the request leaves
      if (o.before_send) o.before_send(e);
      EnrichRequest req{e.request_id, ps.object_type, c.record_id, c.key};
      EnrichAnswer a;
      try {
        a = provider->Send(req);
      } catch (const ConfigError& err) {
        a.status = EnrichAnswer::Status::kFailed;
        a.detail = err.what();
        RecordAnswer(wh, o.schema, e.request_id, ps.name, ps.object_type, c.record_id, a, NowMillis());
        ++pr.failed;
        pr.stop_reason = err.what();
        break;
      }
      if (o.after_send) o.after_send(e);
      RecordAnswer(wh, o.schema, e.request_id, ps.name, ps.object_type, c.record_id, a,
                   o.now_ms > 0 ? now : NowMillis());
      switch (a.status) {
        case EnrichAnswer::Status::kAnswered:
          ++pr.answered;
          for (const auto& [prop, v] : a.values) {
            auto it = c.missing.find(prop);
            if (it != c.missing.end() && it->second) ++pr.fields_filled[prop];
          }
          break;
        case EnrichAnswer::Status::kMiss:
          ++pr.missed;
          break;
        case EnrichAnswer::Status::kPending:
          ++pr.pending;
          break;
        case EnrichAnswer::Status::kFailed:
          ++pr.failed;
          break;
      }
      if (pr.requested % 200 == 0) say(ps.name + ": " + std::to_string(pr.requested) + " requested");
    }
    pr.budget_left = std::max(0.0, ps.monthly_cap - spent);
    say(ps.name + ": " + std::to_string(pr.requested) + (o.dry_run ? " would be requested for " : " requested for ") +
        Num(pr.spent_run) + " credits; " + Num(pr.budget_left) + " left this month" +
        (pr.stop_reason.empty() ? "" : " (" + pr.stop_reason + ")"));
    sum.providers.push_back(std::move(pr));
  }
  sum.coverage = ComputeCoverage(wh, o.schema, o.settings.require);
  if (o.settings.push) {
    if (o.push_client == nullptr && !o.dry_run) {
      sum.push_note = "push = true but no HubSpot token (HUBSPOT_ACCESS_TOKEN): nothing pushed";
    } else {
      EnrichPushOptions po = o.push;
      po.schema = o.schema;
      po.dry_run = o.dry_run;
      if (!po.progress) po.progress = o.progress;
      sum.push = RunEnrichPush(wh, o.push_client, po);
    }
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

std::string EnrichSummary::ToJson() const {
  json ps = json::array();
  for (const auto& p : providers) {
    ps.push_back({{"provider", p.name},
                  {"kind", p.kind},
                  {"object_type", p.object_type},
                  {"credits_per_call", p.credits_per_call},
                  {"monthly_cap", p.monthly_cap},
                  {"spent_before", p.spent_before},
                  {"spent_run", p.spent_run},
                  {"budget_left", p.budget_left},
                  {"candidates", p.candidates},
                  {"requested", p.requested},
                  {"answered", p.answered},
                  {"missed", p.missed},
                  {"failed", p.failed},
                  {"pending", p.pending},
                  {"not_sent_cap", p.not_sent_cap},
                  {"fields_filled", p.fields_filled},
                  {"sample", p.sample},
                  {"stop_reason", p.stop_reason}});
  }
  json out{{"run_id", run_id},
           {"dry_run", dry_run},
           {"providers", ps},
           {"skipped_fresh", skipped_fresh},
           {"skipped_no_key", skipped_no_key},
           {"expired", expired},
           {"coverage", CoverageJson(coverage)},
           {"seconds", seconds}};
  if (push) out["push"] = json::parse(push->ToJson());
  if (!push_note.empty()) out["push_note"] = push_note;
  return out.dump();
}

std::vector<std::string> EnrichSummary::TextLines() const {
  std::vector<std::string> out;
  if (providers.empty()) out.push_back("no enrichment provider configured ([[enrichment.providers]] in revlens.toml)");
  for (const auto& p : providers) {
    std::string l = p.name + " (" + p.kind + ", " + p.object_type + "): ";
    if (dry_run) {
      l += std::to_string(p.requested) + " of " + std::to_string(p.candidates) + " records would be requested for " +
           Num(p.spent_run) + " credits";
    } else {
      l += std::to_string(p.requested) + " requested: " + std::to_string(p.answered) + " answered, " +
           std::to_string(p.missed) + " not found, " + std::to_string(p.failed) + " failed, " +
           std::to_string(p.pending) + " waiting for a callback; " + Num(p.spent_run) + " credits";
    }
    l += "; budget left this month " + Num(p.budget_left) + " of " + Num(p.monthly_cap);
    if (!p.stop_reason.empty()) l += " (" + p.stop_reason + ")";
    out.push_back(l);
    if (!p.fields_filled.empty()) {
      std::string f = "  fields filled:";
      for (const auto& [k, v] : p.fields_filled) f += " " + k + " " + std::to_string(v);
      out.push_back(f);
    }
    if (p.not_sent_cap > 0) out.push_back("  " + std::to_string(p.not_sent_cap) + " records left for lack of budget");
  }
  if (skipped_fresh > 0)
    out.push_back(std::to_string(skipped_fresh) + " records skipped: asked within the freshness window");
  if (skipped_no_key > 0) out.push_back(std::to_string(skipped_no_key) + " records skipped: no domain / email");
  out.push_back("segment coverage: " + Pct(coverage.Before()) + " of " + std::to_string(coverage.companies) +
                " companies from HubSpot alone, " + Pct(coverage.After()) + " with enrichment");
  if (push) {
    const auto lines = push->TextLines();
    out.insert(out.end(), lines.begin(), lines.end());
  }
  if (!push_note.empty()) out.push_back(push_note);
  return out;
}

EnrichReport BuildEnrichReport(Warehouse& wh, const std::string& s, const EnrichSettings& settings, int64_t now_ms) {
  const int64_t now = now_ms > 0 ? now_ms : NowMillis();
  EnrichReport r;
  r.require = settings.require;
  if (!wh.TableExists(s, "enrichment_ledger")) {
    r.coverage = ComputeCoverage(wh, s, settings.require);
    return r;
  }
  std::map<std::string, double> caps;
  for (const auto& p : settings.providers) caps[p.name] = p.monthly_cap;
  const auto rs = wh.Query(
      "select provider, coalesce(sum(case when requested_at >= " + TsLit(MonthStartMs(now)) +
      " then credits else 0 end), 0), coalesce(sum(credits), 0), count(*), "
      "sum(case when status = 'answered' then 1 else 0 end), sum(case when status = 'miss' then 1 else 0 end), "
      "sum(case when status in ('failed', 'unanswered', 'expired') then 1 else 0 end), "
      "sum(case when status = 'sent' then 1 else 0 end) from " +
      Q(s, "enrichment_ledger") + " group by provider order by provider");
  for (const auto& row : rs.rows) {
    EnrichReport::ProviderSpend p;
    p.name = warehouse::AsString(row[0]);
    p.credits_month = warehouse::AsDouble(row[1]);
    p.credits_total = warehouse::AsDouble(row[2]);
    p.calls = warehouse::AsInt64(row[3]);
    p.answered = warehouse::AsInt64(row[4]);
    p.missed = warehouse::AsInt64(row[5]);
    p.failed = warehouse::AsInt64(row[6]);
    p.pending = warehouse::AsInt64(row[7]);
    p.monthly_cap = caps.count(p.name) ? caps[p.name] : 0;
    r.providers.push_back(p);
  }
  for (const std::string obj : {"companies", "contacts"}) {
    const auto cols = ColumnSet(wh, s, obj);
    if (cols.empty()) continue;
    const auto props = wh.Query("select distinct property from " + Q(s, "enrichment_results") +
                                " where object_type = " + Lit(obj) + " order by property");
    for (const auto& row : props.rows) {
      const std::string prop = warehouse::AsString(row[0]);
      const int64_t n =
          wh.Query("select count(distinct r.record_id) from " + Q(s, "enrichment_results") + " as r join " + Q(s, obj) +
                   " as c on c.id = r.record_id where c.is_deleted is not true and " + "r.object_type = " + Lit(obj) +
                   " and r.property = " + Lit(prop) + " and " + MissingExpr(cols, "c", prop))
              .Scalar<int64_t>();
      r.fields_filled[obj + "." + prop] = n;
    }
  }
  if (wh.TableExists(s, "enrichment_callbacks")) {
    const auto cb = wh.Query(
        "select coalesce(sum(case when accepted then 1 else 0 end), 0), "
        "coalesce(sum(case when accepted then 0 else 1 end), 0) from " +
        Q(s, "enrichment_callbacks"));
    r.callbacks_accepted = warehouse::AsInt64(cb.rows[0][0]);
    r.callbacks_rejected = warehouse::AsInt64(cb.rows[0][1]);
  }
  r.coverage = ComputeCoverage(wh, s, settings.require);
  return r;
}

std::string EnrichReport::ToJson() const {
  json ps = json::array();
  for (const auto& p : providers)
    ps.push_back({{"provider", p.name},
                  {"credits_this_month", p.credits_month},
                  {"credits_total", p.credits_total},
                  {"monthly_cap", p.monthly_cap},
                  {"calls", p.calls},
                  {"answered", p.answered},
                  {"missed", p.missed},
                  {"failed", p.failed},
                  {"pending", p.pending}});
  return json{{"providers", ps},
              {"fields_filled", fields_filled},
              {"callbacks_accepted", callbacks_accepted},
              {"callbacks_rejected", callbacks_rejected},
              {"segment_fields", require},
              {"coverage", CoverageJson(coverage)}}
      .dump();
}

std::vector<std::string> EnrichReport::TextLines() const {
  std::vector<std::string> out;
  if (providers.empty()) out.push_back("nothing spent yet (no enrichment_ledger rows)");
  for (const auto& p : providers) {
    out.push_back(p.name + ": " + Num(p.credits_month) + " credits this month of a " + Num(p.monthly_cap) + " cap (" +
                  Num(p.credits_total) + " in all); " + std::to_string(p.calls) +
                  " calls: " + std::to_string(p.answered) + " answered, " + std::to_string(p.missed) + " not found, " +
                  std::to_string(p.failed) + " failed or unanswered, " + std::to_string(p.pending) + " pending");
  }
  if (!fields_filled.empty()) {
    std::string f = "fields filled where HubSpot is empty:";
    for (const auto& [k, v] : fields_filled) f += " " + k + " " + std::to_string(v);
    out.push_back(f);
  }
  if (callbacks_accepted + callbacks_rejected > 0)
    out.push_back("Clay callbacks: " + std::to_string(callbacks_accepted) + " accepted, " +
                  std::to_string(callbacks_rejected) + " rejected (see enrichment_callbacks)");
  std::string fields;
  for (const auto& r : require) fields += (fields.empty() ? "" : " + ") + r;
  out.push_back("segment coverage (" + fields + " known): " + Pct(coverage.Before()) + " of " +
                std::to_string(coverage.companies) + " companies from HubSpot alone -> " + Pct(coverage.After()) +
                " with enrichment");
  return out;
}

CallbackResponse HandleClayCallback(Warehouse& wh, const std::string& s, const ProviderSettings& provider,
                                    const CallbackRequest& req, int64_t now_ms) {
  const int64_t now = now_ms > 0 ? now_ms : NowMillis();
  EnsureEnrichmentTables(wh, s);
  std::string request_id;
  auto record = [&](int status, const std::string& reason) {
    wh.BulkLoad(s, "enrichment_callbacks", CallbackColumns(),
                {{Timestamp{now * 1000}, provider.name, request_id.empty() ? Value{} : Value{request_id}, status == 200,
                  static_cast<int64_t>(status), reason, req.remote}});
    return CallbackResponse{status, reason};
  };
  std::string given;
  for (const auto& [k, v] : req.headers) {
    const std::string name = LowerAscii(k);
    if (name == "x-clay-secret")
      given = v;
    else if (name == "authorization" && v.rfind("Bearer ", 0) == 0 && given.empty())
      given = v.substr(7);
  }
  const json body = json::parse(req.body, nullptr, false);
  if (!body.is_discarded() && body.is_object() && body.contains("request_id") && body["request_id"].is_string())
    request_id = body["request_id"].get<std::string>();
  if (provider.secret.empty() || !ConstantTimeEquals(given, provider.secret))
    return record(401, provider.secret.empty() ? "no callback secret configured for " + provider.name
                                               : "wrong or missing callback secret");
  if (body.is_discarded() || !body.is_object()) return record(400, "body is not a JSON object");
  if (request_id.empty()) return record(400, "no request_id in the callback");
  const auto rs = wh.Query("select object_type, record_id, status from " + Q(s, "enrichment_ledger") +
                           " where request_id = " + Lit(request_id) + " and provider = " + Lit(provider.name));
  if (rs.RowCount() == 0) return record(404, "unknown request id");
  const std::string status = warehouse::AsString(rs.rows[0][2]);
  // A late answer to a request closed as expired is still accepted: its credits were spent either way.
  if (status != "sent" && status != "expired") return record(409, "request already " + status);
  EnrichAnswer a;
  const auto& fields = provider.fields.empty() ? DefaultClayFields() : provider.fields;
  if (body.value("status", "") == "not_found") {
    a.status = EnrichAnswer::Status::kMiss;
    a.detail = "not found (Clay callback)";
  } else {
    a.values = MapFields(body, fields);
    a.status = a.values.empty() ? EnrichAnswer::Status::kMiss : EnrichAnswer::Status::kAnswered;
  }
  RecordAnswer(wh, s, request_id, provider.name, warehouse::AsString(rs.rows[0][0]), warehouse::AsInt64(rs.rows[0][1]),
               a, now);
  return record(200, "stored " + std::to_string(a.values.size()) + " values");
}

}  // namespace revlens::enrich
