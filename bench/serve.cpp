// `revlens serve` figures. (1) Receiver burst: signed batches of 100 events at 1,000 events/s for --seconds on
// loopback into a DuckDB event store (plus 2% resent batches, as HubSpot retries), then: lost (sent event ids not in
// the store), processed twice (events whose processing started more than once), and the p50/p95/max acknowledgement
// latency. Targets: zero lost, p95 ack <= 200 ms. (2) Real-time path on the `small` portal (900 deals) with a trained
// lead model, a forecast run (its deal model stored) and the emulator sending signed webhooks: contact created -> its
// score readable through the emulator API; a note naming a competitor on an open deal -> the Slack sink receives the
// alert; a deal's stage changed -> its new prediction (method live) readable in the warehouse's deal_predictions;
// p50/p95 of each. Target p95 <= 5 s. (3) With --large: what the deal path costs on the `large` portal (15,000
// deals, 1M engagements): the refresh's load of the stored deal model and every deal's history
// (LiveDealForecaster::Load, median of 3) with the memory it takes, and one deal's re-prediction (record + predict).
//
//   build/bench_serve [--seconds 30] [--rate 1000] [--contacts 20] [--notes 10] [--deals 10]
//                     [--large temp|FILE.duckdb  (FILE: keep the built large portal for the next run)]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "built_portal.hpp"
#include "core/time_util.hpp"
#include "deliver/targets.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/server.hpp"
#include "emulator/webhooks.hpp"
#include "hubspot/client.hpp"
#include "hubspot/signature.hpp"
#include "insights/forecast.hpp"
#include "insights/scoring.hpp"
#include "portal_fixture.hpp"
#include "serve/live_deals.hpp"
#include "serve/server.hpp"

namespace {

/// The push's own mapping of p_win (deal_predictions target), which serve's live write uses too.
const revlens::deliver::FieldMapping& PWinField() {
  static const revlens::deliver::FieldMapping field = [] {
    for (const auto& t : revlens::deliver::DefaultTargets())
      for (const auto& f : t.fields)
        if (t.name == "deal_predictions" && f.column == "p_win") return f;
    throw std::runtime_error("no p_win field in the deal_predictions push target");
  }();
  return field;
}

using namespace revlens;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kSecret = "bench-serve-secret";

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5))];
}

class Borrowed final : public warehouse::Warehouse {
 public:
  explicit Borrowed(warehouse::Warehouse& w) : w_(w) {}
  /// Held by one user at a time for as long as it is open (as a DuckDB file admits one writing process): the
  /// benchmark reads the warehouse between serve's openings, never inside one.
  Borrowed(warehouse::Warehouse& w, std::mutex& mu) : w_(w), lock_(mu) {}
  void Execute(const std::string& sql) override { w_.Execute(sql); }
  warehouse::ResultSet Query(const std::string& sql) override { return w_.Query(sql); }
  void CreateSchema(const std::string& s) override { w_.CreateSchema(s); }
  bool TableExists(const std::string& s, const std::string& t) override { return w_.TableExists(s, t); }
  std::vector<warehouse::Column> Columns(const std::string& s, const std::string& t) override {
    return w_.Columns(s, t);
  }
  void BulkLoad(const std::string& s, const std::string& t, const std::vector<warehouse::Column>& c,
                const std::vector<std::vector<warehouse::Value>>& r) override {
    w_.BulkLoad(s, t, c, r);
  }
  void Begin() override { w_.Begin(); }
  void Commit() override { w_.Commit(); }
  void Rollback() override { w_.Rollback(); }
  std::string Dialect() const override { return w_.Dialect(); }
  std::string SqlType(warehouse::ColumnType t) const override { return w_.SqlType(t); }
  std::string Describe() const override { return w_.Describe(); }

 private:
  warehouse::Warehouse& w_;
  std::unique_lock<std::mutex> lock_;
};

void Burst(int seconds, int rate) {
  const fs::path file = fs::temp_directory_path() / ("bench_serve_" + testing::UniqueSuffix() + ".duckdb");
  serve::ServeOptions o;
  o.port = 0;
  o.client_secret = kSecret;
  o.store_url = "duckdb://" + file.string();
  o.warehouse_url = "duckdb://:memory:";
  auto empty = warehouse::OpenWarehouse("duckdb://:memory:");
  warehouse::Warehouse& wh = *empty;
  o.open_warehouse = [&wh] { return std::make_unique<Borrowed>(wh); };
  int64_t lost = 0, twice = 0, events = 0, sent_events = 0, errors = 0;
  std::vector<double> acks;
  {
    serve::ServeServer server(o);
    const int port = server.Start();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/hubspot";
    const int batches_per_second = std::max(1, rate / 100);
    const int total = seconds * batches_per_second;
    std::mutex mu;
    std::atomic<int> next{0};
    const auto start = Clock::now();
    // Like HubSpot: up to 10 concurrent requests, each batch sent on schedule.
    std::vector<std::thread> senders;
    for (int t = 0; t < 10; ++t) {
      senders.emplace_back([&] {
        httplib::Client http("127.0.0.1", port);
        http.set_keep_alive(true);
        for (;;) {
          const int b = next++;
          if (b >= total) return;
          std::this_thread::sleep_until(start + std::chrono::microseconds(int64_t{1000000} * b / batches_per_second));
          // 2% of batches are sent again (a HubSpot retry): the same event ids.
          const int id_batch = (b % 50 == 49) ? b - 1 : b;
          json a = json::array();
          for (int i = 0; i < 100; ++i)
            a.push_back({{"eventId", int64_t{id_batch} * 100 + i + 1},
                         {"subscriptionId", 1},
                         {"portalId", 62515},
                         {"appId", 1},
                         {"occurredAt", NowMillis()},
                         {"subscriptionType", "company.propertyChange"},
                         {"propertyName", "name"},
                         {"propertyValue", "Acme " + std::to_string(i)},
                         {"attemptNumber", 0},
                         {"objectId", 1000 + i},
                         {"changeSource", "CRM_UI"}});
          const std::string body = a.dump();
          const int64_t ts = NowMillis();
          httplib::Headers h = {{"X-HubSpot-Signature-v3", hubspot::SignatureV3(kSecret, "POST", url, body, ts)},
                                {"X-HubSpot-Request-Timestamp", std::to_string(ts)}};
          const auto t0 = Clock::now();
          auto res = http.Post("/webhooks/hubspot", h, body, "application/json");
          const double ms = Ms(Clock::now() - t0);
          std::lock_guard lock(mu);
          acks.push_back(ms);
          if (!res || res->status != 200) {
            ++errors;
          } else if (id_batch == b) {
            sent_events += 100;
          }
        }
      });
    }
    for (auto& t : senders) t.join();
    server.WaitIdle(std::chrono::seconds(60));
    server.Stop();
    const auto ids = server.Store().EventIds();
    events = static_cast<int64_t>(ids.size());
    for (int b = 0; b < total; ++b) {
      if (b % 50 == 49) continue;
      for (int i = 0; i < 100; ++i)
        if (!std::binary_search(ids.begin(), ids.end(), int64_t{b} * 100 + i + 1)) ++lost;
    }
    twice = server.Store().Counts().reprocessed;
  }
  fs::remove(file);
  fs::remove(file.string() + ".wal");
  std::printf("receiver burst: %d s at %d events/s in batches of 100 (+2%% resent), DuckDB event store\n", seconds,
              rate);
  std::printf("  requests %zu, non-200 %lld, events acknowledged %lld, stored %lld\n", acks.size(),
              static_cast<long long>(errors), static_cast<long long>(sent_events), static_cast<long long>(events));
  std::printf("  lost %lld, processed twice %lld\n", static_cast<long long>(lost), static_cast<long long>(twice));
  std::printf("  ack latency p50 %.1f ms, p95 %.1f ms, max %.1f ms  (target p95 <= 200 ms)\n", Pct(acks, 0.5),
              Pct(acks, 0.95), Pct(acks, 1.0));
}

void RealTime(int contacts, int notes, int deals) {
  auto options = testing::TestPortalOptions("small", 5);
  options.deals = 900;  // enough closed deals for the forecast's deal model
  auto portal = testing::BuiltPortal::Create("duckdb", options);
  insights::ScoringOptions so;
  so.model_schema = portal->ModelSchema();
  so.force = true;
  so.min_conversions = 10;
  so.min_holdout_conversions = 2;
  insights::RunLeadScoring(portal->Wh(), so);
  insights::ForecastOptions fo;
  fo.schema = portal->ModelSchema();
  fo.draws = 2000;
  insights::RunForecast(portal->Wh(), fo);
  const auto open = portal->Wh().Query("SELECT deal_id FROM " + portal->T("deals") +
                                       " WHERE NOT is_closed ORDER BY deal_id LIMIT " + std::to_string(notes));
  // Open deals of the forecast (other than the noted ones) and another open stage of their pipeline for each.
  const auto moves = portal->Wh().Query(
      "SELECT p.deal_id, min(s.stage_id) FROM " + portal->T("deal_predictions") + " p JOIN " +
      portal->T("stg_hubspot__pipeline_stages") +
      " s ON s.pipeline_id = p.pipeline_id AND s.is_closed IS NOT TRUE AND s.stage_id <> p.deal_stage_id GROUP BY "
      "p.deal_id ORDER BY p.deal_id DESC LIMIT " +
      std::to_string(deals));
  emulator::ServeOptions eo;
  eo.client_secret = kSecret;
  emulator::EmulatorServer emu(emulator::GeneratePortal(options).portal, eo);
  emu.Start();
  hubspot::ClientOptions co;
  co.base_url = emu.BaseUrl();
  co.access_token = eo.token;
  co.initial_per_ten_seconds = 0;
  co.search_per_second = 0;
  hubspot::Client client(co);

  // The Slack sink.
  httplib::Server sink;
  std::mutex mu;
  std::vector<std::pair<std::string, Clock::time_point>> received;
  sink.Post("/services/.*", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    received.emplace_back(req.body, Clock::now());
    res.set_content("ok", "text/plain");
  });
  const int sink_port = sink.bind_to_any_port("127.0.0.1");
  std::thread sink_thread([&] { sink.listen_after_bind(); });

  const fs::path file = fs::temp_directory_path() / ("bench_serve_rt_" + testing::UniqueSuffix() + ".duckdb");
  serve::ServeOptions o;
  o.port = 0;
  o.client_secret = kSecret;
  o.store_url = "duckdb://" + file.string();
  warehouse::Warehouse& wh = portal->Wh();
  std::mutex wh_mu;
  o.open_warehouse = [&wh, &wh_mu] { return std::make_unique<Borrowed>(wh, wh_mu); };
  o.model_schema = portal->ModelSchema();
  o.hubspot = co;
  o.slack_webhook_urls = {"http://127.0.0.1:" + std::to_string(sink_port) + "/services/T/B/x"};
  o.competitors = {{"Pipedrift", {}, {}, {}, false, true, "config"}};
  std::vector<double> score_ms, slack_ms, deal_ms, hubspot_ms;
  {
    serve::ServeServer server(o);
    const int port = server.Start();
    {
      auto& p = emu.GetPortal();
      std::unique_lock lock(p.mutex);
      p.webhook_target_url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks/hubspot";
      int64_t id = 1;
      for (const auto& [type, obj] : std::vector<std::pair<std::string, std::string>>{
               {"contact.creation", ""},
               {"contact.propertyChange", ""},
               {"object.creation", "0-46"},
               {"deal.propertyChange", ""}}) {
        emulator::WebhookSubscription s;
        s.id = id++;
        s.event_type = type;
        s.object_type_id = obj;
        p.subscriptions.push_back(s);
      }
    }
    for (int i = 0; i < contacts; ++i) {
      const auto t0 = Clock::now();
      const auto c = json::parse(
          client
              .Post("/crm/v3/objects/contacts",
                    json{{"properties",
                          {{"email", "bench." + std::to_string(i) + "." + testing::UniqueSuffix() + "@example.com"},
                           {"jobtitle", i % 2 ? "Head of Sales" : "Data Engineer"}}}}
                        .dump())
              .body);
      const std::string id = c["id"].get<std::string>();
      while (Ms(Clock::now() - t0) < 30000) {
        const auto props =
            json::parse(client.Get("/crm/v3/objects/contacts/" + id + "?properties=revlens_score,revlens_shadow_score")
                            .body)["properties"];
        auto has = [&](const char* k) {
          return props.contains(k) && props[k].is_string() && !props[k].get<std::string>().empty();
        };
        if (has("revlens_score") || has("revlens_shadow_score")) {
          score_ms.push_back(Ms(Clock::now() - t0));
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    const int note_type =
        emulator::DefaultAssociationTypeId(emulator::ObjectType::kNotes, emulator::ObjectType::kDeals);
    for (size_t i = 0; i < open.RowCount(); ++i) {
      const int64_t deal = warehouse::AsInt64(open.rows[i][0]);
      size_t before = 0;
      {
        std::lock_guard lock(mu);
        before = received.size();
      }
      const auto t0 = Clock::now();
      client.Post(
          "/crm/v3/objects/notes",
          json{{"properties",
                {{"hs_note_body", "They are trialling Pipedrift as well."},
                 {"hs_timestamp", FormatIsoMillis(NowMillis())}}},
               {"associations",
                {{{"to", {{"id", std::to_string(deal)}}},
                  {"types", {{{"associationCategory", "HUBSPOT_DEFINED"}, {"associationTypeId", note_type}}}}}}}}
              .dump());
      while (Ms(Clock::now() - t0) < 30000) {
        {
          std::lock_guard lock(mu);
          if (received.size() > before) {
            slack_ms.push_back(Ms(received.back().second - t0));
            break;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // Slack's one message per second per webhook
    }
    for (size_t i = 0; i < moves.RowCount(); ++i) {
      const int64_t deal = warehouse::AsInt64(moves.rows[i][0]);
      const std::string stage = warehouse::AsString(moves.rows[i][1]);
      const auto t0 = Clock::now();
      client.Request("PATCH", "/crm/v3/objects/deals/" + std::to_string(deal),
                     json{{"properties", {{"dealstage", stage}}}}.dump());
      while (Ms(Clock::now() - t0) < 30000) {
        {
          std::lock_guard lock(wh_mu);
          const auto rs = wh.Query("SELECT method, deal_stage_id FROM " + portal->T("deal_predictions") +
                                   " WHERE deal_id = " + std::to_string(deal));
          if (rs.RowCount() == 1 && warehouse::AsString(rs.rows[0][0]) == "live" &&
              warehouse::AsString(rs.rows[0][1]) == stage) {
            deal_ms.push_back(Ms(Clock::now() - t0));
            break;
          }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      // Then until HubSpot holds the live win probability, as `revlens push` formats it (serve writes it only when
      // it changed: an equal value counts at once).
      std::string p_win;
      {
        std::lock_guard lock(wh_mu);
        const auto rs = wh.Query("SELECT p_win FROM " + portal->T("deal_predictions") +
                                 " WHERE method = 'live' AND deal_id = " + std::to_string(deal));
        if (rs.RowCount() == 1) p_win = deliver::FormatValue(PWinField(), rs.rows[0][0]);
      }
      while (!p_win.empty() && Ms(Clock::now() - t0) < 30000) {
        const auto props =
            json::parse(
                client.Get("/crm/v3/objects/deals/" + std::to_string(deal) + "?properties=revlens_win_probability")
                    .body)
                .value("properties", json::object());
        const auto it = props.find("revlens_win_probability");
        if (it != props.end() && it->is_string() && it->get<std::string>() == p_win) {
          hubspot_ms.push_back(Ms(Clock::now() - t0));
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    server.Stop();
  }
  sink.stop();
  sink_thread.join();
  fs::remove(file);
  fs::remove(file.string() + ".wal");
  std::printf("real-time path (small portal with 900 deals, emulator webhooks, lead model trained, forecast run):\n");
  std::printf(
      "  contact created -> score readable: n %zu of %d, p50 %.0f ms, p95 %.0f ms, max %.0f ms  (target p95 <= "
      "5 s)\n",
      score_ms.size(), contacts, Pct(score_ms, 0.5), Pct(score_ms, 0.95), Pct(score_ms, 1.0));
  std::printf("  competitor note -> Slack: n %zu of %zu, p50 %.0f ms, p95 %.0f ms, max %.0f ms  (target p95 <= 5 s)\n",
              slack_ms.size(), open.RowCount(), Pct(slack_ms, 0.5), Pct(slack_ms, 0.95), Pct(slack_ms, 1.0));
  std::printf(
      "  deal stage changed -> prediction in the warehouse: n %zu of %zu, p50 %.0f ms, p95 %.0f ms, max %.0f ms  "
      "(target p95 <= 5 s)\n",
      deal_ms.size(), moves.RowCount(), Pct(deal_ms, 0.5), Pct(deal_ms, 0.95), Pct(deal_ms, 1.0));
  std::printf(
      "  deal stage changed -> win probability in HubSpot: n %zu of %zu, p50 %.0f ms, p95 %.0f ms, max %.0f ms  "
      "(target p95 <= 5 s)\n",
      hubspot_ms.size(), moves.RowCount(), Pct(hubspot_ms, 0.5), Pct(hubspot_ms, 0.95), Pct(hubspot_ms, 1.0));
}

/// Bytes the deal histories hold (records and their history vectors).
double HistoryMb(const insights::ForecastData& data) {
  size_t bytes = data.deals.capacity() * sizeof(insights::DealRecord);
  for (const auto& d : data.deals)
    bytes += d.stages.capacity() * sizeof(d.stages[0]) + d.amounts.capacity() * sizeof(d.amounts[0]) +
             d.close_dates.capacity() * sizeof(d.close_dates[0]) + d.owners.capacity() * sizeof(d.owners[0]) +
             d.categories.capacity() * sizeof(d.categories[0]) + d.pipelines.capacity() * sizeof(d.pipelines[0]) +
             d.engagements.capacity() * sizeof(d.engagements[0]) + d.tech.capacity() * sizeof(int);
  return static_cast<double>(bytes) / (1 << 20);
}

void LargeLoad(const std::string& keep) {
  bench::BuiltPortal portal("serve", "large", keep == "temp" ? "" : keep);
  warehouse::Warehouse& wh = portal.Warehouse();
  const std::string& schema = portal.Schema();
  insights::ForecastOptions fo;
  fo.schema = schema;
  fo.draws = 2000;
  auto t0 = Clock::now();
  insights::RunForecast(wh, fo);
  std::printf("large portal: revlens forecast (stores the deal model) %.1f s\n", Ms(Clock::now() - t0) / 1000);
  std::vector<double> load_s;
  std::shared_ptr<const serve::LiveDealForecaster> f;
  for (int run = 0; run < 3; ++run) {
    f.reset();
    f = serve::LiveDealForecaster::Load(wh, schema);
    load_s.push_back(f->LoadSeconds());
    if (!f->HasModel()) throw std::runtime_error(f->Reason());
  }
  std::printf("  refresh load (deal model + %zu deals' histories, %zu event rows): median %.2f s of 3 (%.2f-%.2f); "
              "histories hold %.1f MB\n",
              f->Data().deals.size(), f->Data().event_rows, Pct(load_s, 0.5), Pct(load_s, 0.0), Pct(load_s, 1.0),
              HistoryMb(f->Data()));
  // Re-predict open deals of the forecast, each moved to another open stage of its pipeline now.
  const auto moves = wh.Query(
      "SELECT p.deal_id, min(s.stage_id), max(p.pipeline_id), max(p.amount) FROM " +
      warehouse::Warehouse::QualifiedName(schema, "deal_predictions") + " p JOIN " +
      warehouse::Warehouse::QualifiedName(schema, "stg_hubspot__pipeline_stages") +
      " s ON s.pipeline_id = p.pipeline_id AND s.is_closed IS NOT TRUE AND s.stage_id <> p.deal_stage_id GROUP BY "
      "p.deal_id ORDER BY p.deal_id LIMIT 200");
  std::vector<double> predict_ms;
  const int64_t now = NowMillis();
  for (const auto& r : moves.rows) {
    serve::LiveDeal d;
    d.id = warehouse::AsInt64(r[0]);
    d.properties["pipeline"] = warehouse::AsString(r[2]);
    if (!warehouse::IsNull(r[3])) d.properties["amount"] = warehouse::ToString(r[3]);
    std::string why;
    const auto t = Clock::now();
    const auto rec = f->RecordAt(d, {{now, warehouse::AsString(r[1])}}, now, why);
    if (!rec) throw std::runtime_error("deal " + std::to_string(d.id) + ": " + why);
    const auto p = f->Predict(*rec, now);
    predict_ms.push_back(Ms(Clock::now() - t));
    if (p.forecast.p_win < 0 || p.forecast.p_win > 1) throw std::runtime_error("p_win out of range");
  }
  std::printf("  one deal re-predicted (record + state + predict): n %zu, p50 %.2f ms, p95 %.2f ms\n",
              predict_ms.size(), Pct(predict_ms, 0.5), Pct(predict_ms, 0.95));
}

}  // namespace

int main(int argc, char** argv) {
  int seconds = 30, rate = 1000, contacts = 20, notes = 10, deals = 10;
  std::string large;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const int v = std::atoi(argv[i + 1]);
    if (a == "--large") {
      large = argv[i + 1];
      continue;
    }
    if (a == "--seconds")
      seconds = v;
    else if (a == "--rate")
      rate = v;
    else if (a == "--contacts")
      contacts = v;
    else if (a == "--notes")
      notes = v;
    else if (a == "--deals")
      deals = v;
    else {
      std::fprintf(stderr,
                   "usage: bench_serve [--seconds 30] [--rate 1000] [--contacts 20] [--notes 10] [--deals 10] "
                   "[--large temp|FILE.duckdb]\n");
      return 2;
    }
  }
  try {
    if (!large.empty()) {
      LargeLoad(large);  // the large portal's figures only
      return 0;
    }
    Burst(seconds, rate);
    RealTime(contacts, notes, deals);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_serve: %s\n", e.what());
    return 1;
  }
  return 0;
}
