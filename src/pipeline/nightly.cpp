#include "pipeline/nightly.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "hubspot/client.hpp"

namespace revlens::pipeline {
namespace {

using nlohmann::json;
using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;

/// What a step returns: its status (ok, warn, failed, skipped), a one-line message and a small JSON summary.
struct StepOutcome {
  std::string status = "ok";
  std::string message;
  json summary = json::object();
};

struct Context {
  warehouse::Warehouse& wh;
  const NightlyOptions& options;
  NightlyReport& report;
};

using StepFn = StepOutcome (*)(Context&);

/// One line: newlines folded into spaces, trimmed, cut at 400 characters.
std::string OneLine(const std::string& text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  const auto b = out.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  out = out.substr(b, out.find_last_not_of(' ') - b + 1);
  if (out.size() > 400) {
    size_t cut = 397;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

std::string Fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

/// 1234567 -> "1.23M", 45600 -> "45.6k" (money and counts in one-line messages).
std::string Short(double v) {
  const double a = std::fabs(v);
  if (a >= 1e9) return Fmt("%.2fB", v / 1e9);
  if (a >= 1e6) return Fmt("%.2fM", v / 1e6);
  if (a >= 1e4) return Fmt("%.1fk", v / 1e3);
  return Fmt("%.0f", v);
}

json Num(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

StepOutcome Sync(Context& c) {
  sync::SyncOptions o = c.options.sync;
  o.schema = c.options.raw_schema;
  if (o.run_id.empty()) o.run_id = c.report.run_id;
  c.report.sync = sync::RunSync(*c.options.client, c.wh, o);
  const auto& s = *c.report.sync;
  StepOutcome out;
  out.message = std::to_string(s.requests) + " requests, " + std::to_string(s.rows_written) + " rows written, " +
                std::to_string(s.quarantined) + " quarantined into " + c.options.raw_schema;
  if (s.quarantined > 0 || !s.warnings.empty()) out.status = "warn";
  if (!s.warnings.empty()) out.message += "; " + s.warnings.front();
  out.summary = {{"requests", s.requests},       {"rows_written", s.rows_written},
                 {"quarantined", s.quarantined}, {"rate_limited", s.rate_limited},
                 {"retries", s.retries},         {"table_rows", s.table_rows},
                 {"warnings", s.warnings},       {"seconds", s.seconds}};
  return out;
}

StepOutcome Enrich(Context& c) {
  StepOutcome out;
  if (c.options.enrich.settings.providers.empty()) {
    out.message = "no enrichment provider configured ([[enrichment.providers]] in revlens.toml)";
    return out;
  }
  enrich::EnrichOptions o = c.options.enrich;
  o.schema = c.options.raw_schema;
  if (o.run_id.empty()) o.run_id = c.report.run_id;
  o.push_client = c.options.client;  // used only with `push = true` under [enrichment]
  c.report.enrich = enrich::RunEnrich(c.wh, o);
  const auto& s = *c.report.enrich;
  for (const auto& p : s.providers) {
    if (!out.message.empty()) out.message += "; ";
    out.message += p.name + ": " + std::to_string(p.answered) + " of " + std::to_string(p.requested) + " answered, " +
                   Short(p.spent_run) + " credits, " + Short(p.budget_left) + " left";
    if (p.failed > 0) out.status = "warn";
  }
  out.message += "; segment coverage " + Fmt("%.1f%%", s.coverage.Before() * 100) + " -> " +
                 Fmt("%.1f%%", s.coverage.After() * 100);
  if (s.push) out.message += "; " + std::to_string(s.push->Written()) + " values pushed into HubSpot";
  if (!s.push_note.empty()) out.message += "; " + s.push_note;
  out.summary = json::parse(s.ToJson());
  return out;
}

StepOutcome Build(Context& c) {
  models::BuildOptions o = c.options.build;
  o.target_schema = c.options.model_schema;
  if (!o.raw_schema) o.raw_schema = c.options.raw_schema;
  c.report.build = models::Build(c.wh, o);
  const auto& r = *c.report.build;
  int64_t built = 0, passed = 0;
  for (const auto& m : r.models) built += m.status == "success";
  for (const auto& t : r.tests) passed += t.status == "pass";
  StepOutcome out;
  out.summary = {{"models", r.models.size()},    {"built", built},
                 {"tests", r.tests.size()},      {"passed", passed},
                 {"failures", r.FailureLines()}, {"warnings", r.WarningLines()},
                 {"seconds", r.total_seconds}};
  const auto failures = r.FailureLines();
  if (!failures.empty()) {
    out.status = "failed";
    out.message = failures.front();
    if (failures.size() > 1) out.message += " (and " + std::to_string(failures.size() - 1) + " more)";
    return out;
  }
  out.message = std::to_string(built) + " models built in " + c.options.model_schema + ", " + std::to_string(passed) +
                " of " + std::to_string(r.tests.size()) + " data tests passed";
  const auto warnings = r.WarningLines();
  if (!warnings.empty()) {
    out.status = "warn";
    out.message += "; " + std::to_string(warnings.size()) + " warning(s): " + warnings.front();
  }
  return out;
}

StepOutcome Score(Context& c) {
  insights::ScoringOptions o = c.options.score;
  o.model_schema = c.options.model_schema;
  c.report.score = insights::RunLeadScoring(c.wh, o);
  const auto& r = *c.report.score;
  StepOutcome out;
  out.summary = {{"status", r.status},
                 {"usable", r.usable},
                 {"model_version", r.model_version},
                 {"scored", r.scored},
                 {"holdout_contacts", r.holdout_contacts},
                 {"tiers", r.tier_counts},
                 {"holdout", r.likelihood.ToJson()},
                 {"drift_alert", r.drift.alert}};
  if (r.status == "refused") {
    out.status = "warn";
    out.message = "model not trained: " + r.message;
    return out;
  }
  out.message = std::to_string(r.scored) + " contacts scored (" + r.status + " model " + r.model_version +
                "); holdout AUC " + Fmt("%.3f", r.likelihood.auc.auc) + " (" + Fmt("%.3f", r.likelihood.auc.ci.low) +
                "-" + Fmt("%.3f", r.likelihood.auc.ci.high) + ")";
  if (!r.usable) {
    out.status = "warn";
    out.message += "; marked unusable: " + r.message;
  } else if (r.drift.alert) {
    out.status = "warn";
    out.message += "; drift alert (PSI above 0.2)";
  }
  return out;
}

StepOutcome Icp(Context& c) {
  insights::IcpOptions o = c.options.icp;
  o.schema = c.options.model_schema;
  c.report.icp = insights::RunIcp(c.wh, o, true);
  const auto& r = *c.report.icp;
  const auto sig = r.Significant();
  StepOutcome out;
  out.message = std::to_string(r.base.deals) + " closed deals (win rate " + Fmt("%.1f%%", 100 * r.base.win_rate) +
                "), " + std::to_string(r.segments.size()) + " segments tested, " + std::to_string(sig.size()) +
                " significant; " + std::to_string(r.companies.size()) + " companies scored";
  json top = json::array();
  for (size_t i = 0; i < sig.size() && i < 5; ++i)
    top.push_back({{"dimension", sig[i]->dimension}, {"segment", sig[i]->label}, {"lift", sig[i]->HeadlineLift()}});
  out.summary = {{"deals", r.base.deals},
                 {"win_rate", r.base.win_rate},
                 {"segments", r.segments.size()},
                 {"significant", sig.size()},
                 {"top", top},
                 {"companies", r.companies.size()},
                 {"summary", r.summary}};
  return out;
}

StepOutcome Forecast(Context& c) {
  insights::ForecastOptions o = c.options.forecast;
  o.schema = c.options.model_schema;
  o.write = true;
  c.report.forecast = insights::RunForecast(c.wh, o);
  const auto& r = *c.report.forecast;
  StepOutcome out;
  json periods = json::array();
  for (const auto& row : r.current.rows) {
    if (row.slice.type != "total") continue;
    periods.push_back({{"period", row.period.label},
                       {"p10", Num(row.p10)},
                       {"p50", Num(row.p50)},
                       {"p90", Num(row.p90)},
                       {"weighted_pipeline", Num(row.weighted_pipeline)},
                       {"commit", Num(row.commit)},
                       {"run_rate", Num(row.run_rate)}});
    if (out.message.empty()) {
      out.message = row.period.label + ": P50 " + Short(row.p50) + " (P10 " + Short(row.p10) + ", P90 " +
                    Short(row.p90) + ") vs weighted pipeline " + Short(row.weighted_pipeline) + "; " +
                    std::to_string(r.current.deals.size()) + " open deals predicted";
    }
  }
  if (out.message.empty()) out.message = std::to_string(r.current.deals.size()) + " open deals predicted";
  out.summary = {{"periods", periods}, {"open_deals", r.current.deals.size()}, {"seconds", r.seconds}};
  if (r.backtest) {
    if (const auto* s = r.backtest->Score("total", "revlens")) {
      out.summary["backtest_total_wape"] = Num(s->wape);
      out.summary["backtest_total_coverage"] = Num(s->coverage);
      out.message += "; backtest WAPE " + Fmt("%.1f%%", 100 * s->wape);
    }
  }
  return out;
}

StepOutcome Activity(Context& c) {
  insights::ActivityOptions o = c.options.activity;
  o.schema = c.options.model_schema;
  c.report.activity = insights::RunActivity(c.wh, o, true);
  const auto& r = *c.report.activity;
  size_t significant = 0;
  json effects = json::array();
  for (const auto& e : r.effects) {
    significant += e.significant;
    effects.push_back({{"pattern", e.pattern},
                       {"outcome", e.outcome},
                       {"odds_ratio", e.estimated ? Num(e.odds_ratio) : json(nullptr)},
                       {"q_value", Num(e.q_value)},
                       {"significant", e.significant}});
  }
  StepOutcome out;
  out.message = std::to_string(r.deals) + " deals, " + std::to_string(r.leads) + " inbound leads, " +
                std::to_string(r.engagements) + " engagements: " + std::to_string(significant) + " of " +
                std::to_string(r.effects.size()) + " activity patterns significant; " +
                std::to_string(r.stale_deals.size()) + " stale open deals";
  out.summary = {{"effects", effects}, {"findings", r.TopFindings()}, {"stale_deals", r.stale_deals.size()}};
  return out;
}

StepOutcome Compete(Context& c) {
  insights::CompeteOptions o = c.options.compete;
  o.schema = c.options.model_schema;
  c.report.compete = insights::RunCompete(c.wh, o, true);
  const auto& r = *c.report.compete;
  size_t significant = 0;
  json comps = json::array();
  for (const auto& s : r.competitors) {
    significant += s.significant;
    comps.push_back({{"competitor", s.competitor},
                     {"deals", s.deals_involved},
                     {"win_rate", s.closed ? Num(s.win_rate) : json(nullptr)},
                     {"win_rate_diff", s.win_rate_diff ? Num(*s.win_rate_diff) : json(nullptr)},
                     {"q_value", Num(s.q_value)},
                     {"significant", s.significant}});
  }
  StepOutcome out;
  out.message = std::to_string(r.competitors.size()) + " competitors, " + std::to_string(r.mentions.size()) +
                " mentions in " + std::to_string(r.texts_scanned) + " texts, " + std::to_string(significant) +
                " with a win rate that differs from the baseline; " + std::to_string(r.deal_competitors.size()) +
                " open deals with competitors";
  out.summary = {{"competitors", comps},
                 {"mentions", r.mentions.size()},
                 {"baseline_win_rate", Num(r.baseline.win_rate)},
                 {"open_deals_with_competitors", r.deal_competitors.size()}};
  return out;
}

StepOutcome Push(Context& c) {
  deliver::PushOptions o = c.options.push;
  o.schema = c.options.model_schema;
  c.report.push = deliver::RunPush(c.wh, c.options.client, o);
  const auto& s = *c.report.push;
  StepOutcome out;
  json targets = json::array();
  for (const auto& t : s.targets) {
    if (!t.found) continue;
    const int64_t quarantined = t.quarantined_not_found + t.quarantined_invalid + t.quarantined_transient;
    targets.push_back({{"target", t.name},
                       {"object_type", t.object_type},
                       {"rows", t.rows},
                       {"changed", t.changed},
                       {"written", t.written},
                       {"quarantined", quarantined}});
    if (!out.message.empty()) out.message += "; ";
    out.message += t.name + " -> " + t.object_type + ": " + std::to_string(t.written) + " written of " +
                   std::to_string(t.changed) + " changed";
    if (quarantined > 0) out.message += ", " + std::to_string(quarantined) + " quarantined";
  }
  if (out.message.empty()) out.message = "nothing to push";
  if (!s.Complete()) out.status = "warn";
  out.summary = {{"targets", targets}, {"requests", s.requests}, {"seconds", s.seconds}, {"warnings", s.warnings}};
  return out;
}

StepOutcome Alert(Context& c) {
  deliver::AlertOptions o = c.options.alert;
  o.schema = c.options.model_schema;
  o.raw_schema = c.options.raw_schema;
  c.report.alert = deliver::RunAlerts(c.wh, o);
  const auto& r = *c.report.alert;
  StepOutcome out;
  out.message = std::to_string(r.alerts_raised) + " alerts raised, " + std::to_string(r.alerts_new) + " new; Slack " +
                std::to_string(r.slack_messages_sent) + " sent, " + std::to_string(r.slack_messages_failed) +
                " failed; webhooks " + std::to_string(r.webhooks_sent) + " sent, " + std::to_string(r.webhooks_failed) +
                " failed";
  if (o.slack_webhook_urls.empty() && o.webhooks.empty()) out.message += " (no destination configured)";
  if (r.slack_messages_failed > 0 || r.webhooks_failed > 0) out.status = "warn";
  out.summary = r.ToJson();
  return out;
}

StepOutcome Report(Context& c) {
  ReportOptions o = c.options.report;
  o.schema = c.options.model_schema;
  c.report.report = WriteReport(c.wh, o);
  const auto& r = *c.report.report;
  StepOutcome out;
  out.message = std::to_string(r.tables.size()) + " CSV files and report.html (" +
                std::to_string((r.html_bytes + 1023) / 1024) + " KB) in " + r.out_dir;
  out.summary = json::parse(r.ToJson());
  return out;
}

struct StepDef {
  const char* name;
  StepFn fn;  ///< nullptr: not available in this build
};

// The order of the nightly job. A product that has not landed keeps its place with a nullptr (listed as "not
// available in this build"), so the step table and the runs table keep their shape.
const std::vector<StepDef>& Steps() {
  static const std::vector<StepDef> steps = {
      {"sync", &Sync},         {"enrich", &Enrich},   {"build", &Build},     {"score", &Score}, {"icp", &Icp},     {"forecast", &Forecast},
      {"activity", &Activity}, {"compete", &Compete}, {"push", &Push},   {"alert", &Alert}, {"report", &Report}};
  return steps;
}

std::string RunIdNow(int64_t ms) {
  std::string iso = FormatIsoMillis(ms);  // 2024-11-20T20:12:09.236Z
  std::string id = "run-";
  for (char ch : iso.substr(0, 19))
    if (ch != '-' && ch != ':') id += ch;
  return id + "Z";
}

void RecordStep(warehouse::Warehouse& wh, const std::string& schema, const std::string& run_id, size_t index,
                const StepRecord& s) {
  const std::vector<Value> row = {run_id,
                                  s.step,
                                  static_cast<int64_t>(index + 1),
                                  Value(warehouse::TimestampFromMillis(s.started_ms)),
                                  Value(warehouse::TimestampFromMillis(s.finished_ms)),
                                  s.seconds,
                                  s.status,
                                  s.message,
                                  s.summary.dump()};
  wh.BulkLoad(schema, "runs", RunsColumns(), {row});
}

}  // namespace

const std::vector<std::string>& StepNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& s : Steps()) n.emplace_back(s.name);
    return n;
  }();
  return names;
}

bool StepAvailable(std::string_view step) {
  for (const auto& s : Steps())
    if (step == s.name) return s.fn != nullptr;
  return false;
}

std::set<std::string> ParseSkip(const std::vector<std::string>& items) {
  std::set<std::string> out;
  const auto& names = StepNames();
  for (const auto& item : items) {
    std::string word;
    for (char ch : item + ",") {
      if (ch == ',' || ch == ' ') {
        if (word.empty()) continue;
        if (std::find(names.begin(), names.end(), word) == names.end()) {
          std::string known;
          for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
          throw ConfigError("--skip: unknown step '" + word + "' (steps: " + known + ")");
        }
        out.insert(word);
        word.clear();
      } else {
        word += ch;
      }
    }
  }
  return out;
}

std::vector<Column> RunsColumns() {
  return {{"run_id", ColumnType::kText},           {"step", ColumnType::kText},
          {"step_order", ColumnType::kBigInt},     {"started_at", ColumnType::kTimestamp},
          {"finished_at", ColumnType::kTimestamp}, {"seconds", ColumnType::kDouble},
          {"status", ColumnType::kText},           {"message", ColumnType::kText},
          {"summary", ColumnType::kJson}};
}

const StepRecord* NightlyReport::Step(std::string_view name) const {
  for (const auto& s : steps)
    if (s.step == name) return &s;
  return nullptr;
}

std::string NightlyReport::ToJson() const {
  json steps_json = json::array();
  for (const auto& s : steps) {
    json j = {{"step", s.step}, {"status", s.status}, {"message", s.message}, {"seconds", s.seconds}};
    if (s.started_ms > 0) {
      j["started_at"] = FormatIsoMillis(s.started_ms);
      j["finished_at"] = FormatIsoMillis(s.finished_ms);
    }
    j["summary"] = s.summary;
    steps_json.push_back(std::move(j));
  }
  json out = {
      {"run_id", run_id},       {"status", status},       {"failure", failure.empty() ? json(nullptr) : json(failure)},
      {"warehouse", warehouse}, {"schema", model_schema}, {"seconds", seconds},
      {"steps", steps_json},    {"warnings", warnings}};
  return out.dump(2);
}

std::vector<std::string> NightlyReport::TextLines() const {
  std::vector<std::string> lines;
  for (const auto& s : steps) {
    char buf[96];
    if (s.status == "ok" || s.status == "warn" || s.status == "failed") {
      std::snprintf(buf, sizeof buf, "  %-9s %-11s %6.1f s  ", s.step.c_str(), s.status.c_str(), s.seconds);
    } else {
      std::snprintf(buf, sizeof buf, "  %-9s %-11s %8s  ", s.step.c_str(), s.status.c_str(), "");
    }
    lines.push_back(buf + s.message);
  }
  return lines;
}

NightlyReport RunNightly(warehouse::Warehouse& wh, const NightlyOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  NightlyReport report;
  report.run_id = options.run_id.empty() ? RunIdNow(NowMillis()) : options.run_id;
  report.warehouse = wh.Describe();
  report.model_schema = options.model_schema;
  wh.CreateSchema(options.model_schema);
  wh.CreateTable(options.model_schema, "runs", RunsColumns());

  Context ctx{wh, options, report};
  const auto& steps = Steps();
  const size_t total = steps.size();
  // Every step gets its row in `runs` as it ends (skipped, unavailable and not-run ones too), so a run always has
  // one row per step and a crash leaves the steps before it on record.
  auto finish = [&](size_t i, StepRecord rec, const std::string& prefix) {
    if (rec.started_ms == 0) rec.started_ms = rec.finished_ms = NowMillis();
    try {
      RecordStep(wh, options.model_schema, report.run_id, i, rec);
    } catch (const std::exception& e) {
      report.warnings.push_back("could not record step " + rec.step + " in " + options.model_schema +
                                ".runs: " + OneLine(e.what()));
    }
    if (options.progress && rec.status != "not_run") {
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.1f s", rec.seconds);
      const bool ran = rec.status == "ok" || rec.status == "warn" || rec.status == "failed";
      options.progress(prefix + ": " + rec.status + (ran ? std::string(" in ") + secs : std::string()) + ": " +
                       rec.message);
    }
    report.steps.push_back(std::move(rec));
  };
  bool failed = false;
  for (size_t i = 0; i < total; ++i) {
    StepRecord rec;
    rec.step = steps[i].name;
    const std::string prefix = "step " + std::to_string(i + 1) + "/" + std::to_string(total) + " " + rec.step;
    if (failed) {
      rec.status = "not_run";
      rec.message = "not run: an earlier step failed";
    } else if (!steps[i].fn) {
      rec.status = "unavailable";
      rec.message = "not available in this build";
    } else if (options.skip.count(rec.step)) {
      rec.status = "skipped";
      rec.message = "skipped (--skip)";
    } else if (!options.client && rec.step == "sync") {
      rec.status = "skipped";
      rec.message = "no HubSpot token: sync skipped, the job runs on the warehouse as it is";
    } else if (!options.client && rec.step == "push") {
      rec.status = "skipped";
      rec.message = "no HubSpot token: push skipped, results stay in the warehouse";
    }
    if (!rec.status.empty()) {
      finish(i, std::move(rec), prefix);
      continue;
    }
    if (options.progress) options.progress(prefix + " ...");
    rec.started_ms = NowMillis();
    const auto s0 = std::chrono::steady_clock::now();
    StepOutcome out;
    try {
      out = steps[i].fn(ctx);
    } catch (const std::exception& e) {
      // The boundary of a step: whatever aborted it (typed revlens errors and anything else) becomes its line.
      out.status = "failed";
      out.message = e.what();
    }
    rec.finished_ms = NowMillis();
    rec.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
    rec.status = out.status;
    rec.message = OneLine(out.message);
    rec.summary = std::move(out.summary);
    if (rec.status == "failed") {
      failed = true;
      report.status = "failed";
      report.failure = "step " + rec.step + " failed: " + rec.message;
    }
    finish(i, std::move(rec), prefix);
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace revlens::pipeline
