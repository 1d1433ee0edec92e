// ICP analysis speed: `bench_icp [--deals N] [--companies N] [--leads-per-company N] [--runs N]` times
// AnalyzeIcp (segments over every dimension, Fisher tests, BH, the fit model, sentences) on synthetic rows at the
// `large` portal's scale by default (15,000 closed deals, 20,000 companies, 200,000 leads);
// `--warehouse URL [--schema S]` also times the whole `revlens icp` path (load icp_deals / icp_companies, analyse,
// write the result tables) on a built warehouse. Prints one JSON line of figures.
#include "insights/icp.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "warehouse/warehouse.hpp"

namespace {

using revlens::insights::IcpAttribute;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n_deals = 15000, n_companies = 20000, leads_per_company = 10;
  int runs = 3;
  std::string url, schema = "revlens";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--deals")
      n_deals = std::atoll(v.c_str());
    else if (k == "--companies")
      n_companies = std::atoll(v.c_str());
    else if (k == "--leads-per-company")
      leads_per_company = std::atoll(v.c_str());
    else if (k == "--runs")
      runs = std::max(1, std::atoi(v.c_str()));
    else if (k == "--warehouse")
      url = v;
    else if (k == "--schema")
      schema = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  // Synthetic companies and deals with the cardinalities a HubSpot portal has.
  std::mt19937_64 rng(42);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::vector<std::string> bands = {"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"};
  const std::vector<std::string> revenue = {"<1M", "1M-10M", "10M-50M", "50M-250M", "250M-1B", "1B+"};
  const std::vector<std::string> tech = {"salesforce", "hubspot", "snowflake", "bigquery", "segment",
                                         "stripe",     "zendesk", "intercom",  "shopify",  "aws",
                                         "gcp",        "azure",   "slack",     "jira"};
  std::vector<revlens::insights::IcpCompany> companies(static_cast<size_t>(n_companies));
  for (int64_t i = 0; i < n_companies; ++i) {
    auto& c = companies[static_cast<size_t>(i)];
    c.company_id = 1000 + i;
    c.attributes[static_cast<size_t>(IcpAttribute::kIndustry)] = "INDUSTRY_" + std::to_string(pick(12));
    c.attributes[static_cast<size_t>(IcpAttribute::kSizeBand)] = bands[static_cast<size_t>(pick(6))];
    c.attributes[static_cast<size_t>(IcpAttribute::kRevenueBand)] = revenue[static_cast<size_t>(pick(6))];
    c.attributes[static_cast<size_t>(IcpAttribute::kCountry)] = "Country " + std::to_string(pick(9));
    c.attributes[static_cast<size_t>(IcpAttribute::kRegion)] = "Region " + std::to_string(pick(4));
    std::string stack;
    for (const auto& t : tech)
      if (pick(4) == 0) stack += (stack.empty() ? "" : ";") + t;
    c.attributes[static_cast<size_t>(IcpAttribute::kTechnology)] = stack;
    c.leads = 1 + pick(static_cast<int>(2 * leads_per_company - 1));
  }
  std::vector<revlens::insights::IcpDeal> deals(static_cast<size_t>(n_deals));
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t i = 0; i < n_deals; ++i) {
    auto& d = deals[static_cast<size_t>(i)];
    const auto& c = companies[static_cast<size_t>(pick(static_cast<int>(n_companies)))];
    d.deal_id = i + 1;
    d.company_id = c.company_id;
    d.attributes = c.attributes;
    d.attributes[static_cast<size_t>(IcpAttribute::kLeadSource)] = "SOURCE_" + std::to_string(pick(9));
    d.attributes[static_cast<size_t>(IcpAttribute::kChampionSeniority)] = "SENIORITY_" + std::to_string(pick(6));
    d.won = u(rng) < (c.attributes[0] == "INDUSTRY_0" ? 0.5 : 0.35);
    d.amount = 20000 * (0.5 + u(rng));
    d.cycle_days = 20 + 60 * u(rng);
    d.engagements = static_cast<double>(pick(60));
  }
  revlens::insights::IcpOptions o;
  o.run_id = "bench";
  std::vector<double> seconds;
  size_t tested = 0, significant = 0;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto report = revlens::insights::AnalyzeIcp(deals, companies, o);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    tested = report.segments.size();
    significant = report.Significant().size();
  }
  std::printf(
      "{\"bench\":\"icp\",\"deals\":%lld,\"companies\":%lld,\"leads\":%lld,\"segments_tested\":%zu,"
      "\"segments_significant\":%zu,\"analyze_seconds\":%.3f",
      static_cast<long long>(n_deals), static_cast<long long>(n_companies),
      static_cast<long long>(n_companies * leads_per_company), tested, significant, Median(seconds));
  if (!url.empty()) {
    auto wh = revlens::warehouse::OpenWarehouse(url);
    o.schema = schema;
    const auto t0 = std::chrono::steady_clock::now();
    const auto report = revlens::insights::RunIcp(*wh, o);
    std::printf(",\"warehouse\":\"%s\",\"warehouse_deals\":%lld,\"warehouse_companies\":%zu,\"run_seconds\":%.3f",
                wh->Describe().c_str(), static_cast<long long>(report.base.deals), report.companies.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("}\n");
  return 0;
}
