// Dashboard page speed on a `large` portal (200k contacts, 20k companies, 15k deals, 1M engagements): every API
// endpoint, with no filter and with each filter, served over HTTP by DashboardServer (queries + JSON + HTTP), timed
// `--runs` times after one warm-up; prints the median and the slowest run. Target: every page <= 1 s.
//
//   build/bench_dashboard [--size large] [--seed 5] [--runs 5] [--engine duckdb|postgres]
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "dashboard/server.hpp"
#include "insights/compete.hpp"
#include "insights/forecast.hpp"
#include "insights/icp.hpp"
#include "insights/scoring.hpp"
#include "portal_fixture.hpp"

namespace {

using namespace revlens;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// Forwards to the portal's open warehouse (the fixture owns the file), so requests measure the queries.
class Borrowed final : public warehouse::Warehouse {
 public:
  explicit Borrowed(warehouse::Warehouse& w) : w_(w) {}
  void Execute(const std::string& sql) override { w_.Execute(sql); }
  warehouse::ResultSet Query(const std::string& sql) override { return w_.Query(sql); }
  bool TableExists(const std::string& s, const std::string& t) override { return w_.TableExists(s, t); }
  std::vector<warehouse::Column> Columns(const std::string& s, const std::string& t) override {
    return w_.Columns(s, t);
  }
  void BulkLoad(const std::string& s, const std::string& t, const std::vector<warehouse::Column>& c,
                const std::vector<std::vector<warehouse::Value>>& rows) override {
    w_.BulkLoad(s, t, c, rows);
  }
  std::string Dialect() const override { return w_.Dialect(); }
  std::string SqlType(warehouse::ColumnType t) const override { return w_.SqlType(t); }
  std::string Describe() const override { return w_.Describe(); }

 private:
  warehouse::Warehouse& w_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string size = "large", engine = "duckdb";
  uint64_t seed = 5;
  int runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--size")
      size = v;
    else if (a == "--seed")
      seed = std::stoull(v);
    else if (a == "--runs")
      runs = std::max(1, std::stoi(v));
    else if (a == "--engine")
      engine = v;
  }
  try {
    auto t0 = Clock::now();
    auto p = testing::BuiltPortal::Create(engine, testing::TestPortalOptions(size, seed));
    if (!p) {
      std::fprintf(stderr, "bench_dashboard: set REVLENS_TEST_POSTGRES_URL for --engine postgres\n");
      return 1;
    }
    std::printf("portal %s seed %llu on %s: generated, synced and built in %.1f s\n", size.c_str(),
                static_cast<unsigned long long>(seed), engine.c_str(), Seconds(t0));
    t0 = Clock::now();
    insights::IcpOptions icp;
    icp.schema = p->ModelSchema();
    insights::RunIcp(p->Wh(), icp);
    insights::ScoringOptions score;
    score.model_schema = p->ModelSchema();
    score.force = true;
    insights::RunLeadScoring(p->Wh(), score);
    insights::CompeteOptions compete;
    compete.schema = p->ModelSchema();
    insights::RunCompete(p->Wh(), compete);
    insights::ForecastOptions forecast;
    forecast.schema = p->ModelSchema();
    forecast.backtest = true;
    insights::RunForecast(p->Wh(), forecast);
    std::printf("products (icp, score, compete, forecast --backtest) in %.1f s\n", Seconds(t0));
    const auto count = [&](const std::string& t) {
      return static_cast<long long>(p->Wh().Query("SELECT COUNT(*) FROM " + p->T(t)).Scalar<int64_t>());
    };
    std::printf("rows: deals %lld, contacts %lld, engagements %lld, lead_scores %lld, daily_pipeline_snapshot %lld\n",
                count("deals"), count("contacts"), count("engagements"), count("lead_scores"),
                count("daily_pipeline_snapshot"));

    dashboard::DashboardOptions o;
    o.api.model_schema = p->ModelSchema();
    o.api.raw_schema = p->RawSchema();
    o.api.quarterly_goal = 1e7;
    o.bind = "127.0.0.1";
    o.port = 0;
    o.open = [&p] { return std::make_unique<Borrowed>(p->Wh()); };
    dashboard::DashboardServer server(o);
    httplib::Client client("127.0.0.1", server.Start());
    client.set_read_timeout(60, 0);

    // Filters: none, one pipeline, one team, one owner, all time.
    const auto choices = nlohmann::json::parse(client.Get("/api/filters")->body);
    const std::vector<std::pair<std::string, std::string>> filters = {
        {"none", ""},
        {"pipeline", "pipeline=" + choices["pipelines"][0]["id"].get<std::string>()},
        {"team", "team=" + choices["teams"][0]["id"].get<std::string>()},
        {"owner", "owner=" + choices["owners"][0]["id"].get<std::string>()},
        {"all time", "period=all"}};
    std::vector<std::string> pages = {"filters"};
    for (const auto& x : dashboard::PageNames()) pages.push_back(x);

    std::printf("\n%-12s %-9s %10s %10s %10s\n", "endpoint", "filter", "median ms", "max ms", "KB");
    double worst = 0;
    std::string worst_name;
    for (const auto& page : pages) {
      for (const auto& [fname, query] : filters) {
        if ((page == "filters" || page == "health") && fname != "none") continue;
        const std::string path = "/api/" + page + (query.empty() ? "" : "?" + query);
        size_t bytes = 0;
        std::vector<double> ms;
        for (int r = 0; r <= runs; ++r) {
          const auto t = Clock::now();
          auto res = client.Get(path);
          const double el = Seconds(t) * 1000;
          if (!res || res->status != 200) {
            std::fprintf(stderr, "bench_dashboard: %s failed: %s\n", path.c_str(),
                         res ? res->body.c_str() : "no answer");
            return 1;
          }
          bytes = res->body.size();
          if (r > 0) ms.push_back(el);  // the first is a warm-up
        }
        std::sort(ms.begin(), ms.end());
        const double median = ms[ms.size() / 2];
        std::printf("%-12s %-9s %10.1f %10.1f %10.1f\n", page.c_str(), fname.c_str(), median, ms.back(),
                    static_cast<double>(bytes) / 1024.0);
        if (median > worst) {
          worst = median;
          worst_name = page + " (" + fname + ")";
        }
      }
    }
    std::printf("\nslowest endpoint: %s, median %.1f ms (target <= 1000 ms per page)\n", worst_name.c_str(), worst);
    server.Stop();
    return worst <= 1000 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_dashboard: %s\n", e.what());
    return 1;
  }
}
