// `revlens emulator generate` and `revlens emulator truth`: the synthetic portal and its ground truth.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "emulator/generator/generator.hpp"

namespace revlens::app {
namespace {

struct GenerateArgs {
  emulator::GeneratorOptions gen;
  std::string out;
  std::string exports;
  bool no_effects = false;
  bool json = false;
};

struct TruthArgs {
  emulator::GeneratorOptions gen;
  std::string portal;
  bool no_effects = false;
  bool summary = false;
  bool pretty = false;
};

void AddGeneratorOptions(CLI::App* cmd, emulator::GeneratorOptions& g, bool& no_effects) {
  cmd->add_option("--size", g.size, "Portal size: small (~2k contacts), demo (~20k), large (~200k)")
      ->capture_default_str()
      ->check(CLI::IsMember({"small", "demo", "large"}));
  cmd->add_option("--seed", g.seed, "Random seed; the same arguments give a byte-identical portal")->capture_default_str();
  cmd->add_option("--anchor-date", g.anchor_date,
                  "Anchor date YYYY-MM-DD: the portal holds the three years before it (default: today, UTC)");
  cmd->add_option("--contacts", g.contacts, "Contact count (overrides --size; the other counts scale with it)");
  cmd->add_option("--companies", g.companies, "Company count (overrides the size's)");
  cmd->add_option("--deals", g.deals, "Approximate deal count (overrides the size's)");
  cmd->add_option("--engagements", g.engagements, "Engagement count: calls, emails, meetings, notes, tasks");
  cmd->add_flag("--no-effects", no_effects,
                "Switch every planted effect off (null portal: segments, drivers, competitors, seasonality, reps)");
}

/// The truth without its per-record arrays (for a quick look).
nlohmann::json Summary(const nlohmann::json& t) {
  nlohmann::json s = t;
  for (const char* k : {"contacts", "companies", "deals", "competitor_mentions", "firmographic_gaps", "duplicates"}) {
    if (s.contains(k)) s.erase(k);
  }
  if (s.contains("competitors"))
    for (auto& c : s["competitors"]) {
      c["deals"] = c["deal_ids"].size();
      c.erase("deal_ids");
      c.erase("recorded_deal_ids");
    }
  return s;
}

int RunGenerate(GenerateArgs& a) {
  a.gen.effects = !a.no_effects;
  const auto t0 = std::chrono::steady_clock::now();
  auto g = emulator::GeneratePortal(a.gen);
  const auto t1 = std::chrono::steady_clock::now();
  emulator::SavePortal(g, a.out);
  if (!a.exports.empty()) emulator::WriteHubSpotExports(*g.portal, a.exports);
  const auto t2 = std::chrono::steady_clock::now();
  const double gen_s = std::chrono::duration<double>(t1 - t0).count();
  const double save_s = std::chrono::duration<double>(t2 - t1).count();
  nlohmann::json s = {{"out", a.out},
                      {"counts", g.truth["counts"]},
                      {"oracleAuc", g.truth["oracle_auc"]},
                      {"oracleAucDeals", g.truth["oracle_auc_deals"]},
                      {"anchorDate", g.truth["anchor_date"]},
                      {"effects", a.gen.effects},
                      {"generateSeconds", gen_s},
                      {"saveSeconds", save_s}};
  if (a.json) {
    std::printf("%s\n", s.dump().c_str());
  } else {
    std::printf("portal written to %s (anchor %s, seed %llu%s)\n", a.out.c_str(),
                s["anchorDate"].get<std::string>().c_str(), static_cast<unsigned long long>(a.gen.seed),
                a.gen.effects ? "" : ", no effects");
    for (auto& [k, v] : s["counts"].items())
      if (!v.is_object()) std::printf("  %-12s %lld\n", k.c_str(), v.get<long long>());
    std::printf("oracle AUC %.3f (contacts, 90-day conversion), %.3f (deals)\n", s["oracleAuc"].get<double>(),
                s["oracleAucDeals"].get<double>());
    std::printf("generated in %.2f s, saved in %.2f s\n", gen_s, save_s);
  }
  return 0;
}

int RunTruth(TruthArgs& a) {
  nlohmann::json t;
  if (!a.portal.empty()) {
    t = emulator::LoadTruth(a.portal);
  } else {
    a.gen.effects = !a.no_effects;
    t = emulator::GeneratePortal(a.gen).truth;
  }
  if (a.summary) t = Summary(t);
  std::printf("%s\n", t.dump(a.pretty ? 2 : -1).c_str());
  return 0;
}

}  // namespace

void AddEmulatorGenerate(CLI::App& emulator) {
  auto gargs = std::make_shared<GenerateArgs>();
  auto* gen = emulator.add_subcommand(
      "generate", "Write a synthetic B2B HubSpot portal with known ground truth to a directory");
  AddGeneratorOptions(gen, gargs->gen, gargs->no_effects);
  gen->add_option("--out", gargs->out,
                  "Directory to write: <type>.ndjson, associations.tsv, portal.json, truth.json, product_usage.csv")
      ->required();
  gen->add_option("--exports", gargs->exports,
                  "Also write contacts.csv, companies.csv, deals.csv here as HubSpot's UI exports them (for `revlens import`)");
  gen->add_flag("--json", gargs->json, "Print the summary as JSON");
  SetAction(gen, [gargs] { return RunGenerate(*gargs); });

  auto targs = std::make_shared<TruthArgs>();
  auto* truth = emulator.add_subcommand(
      "truth", "Print the ground truth (JSON) of a saved portal, or of the portal the options would generate");
  truth->add_option("--portal", targs->portal, "Portal directory written by `emulator generate`");
  AddGeneratorOptions(truth, targs->gen, targs->no_effects);
  truth->add_flag("--summary", targs->summary,
                  "Leave out the per-record arrays (contacts, companies, deals, mentions, gaps, duplicates)");
  truth->add_flag("--pretty", targs->pretty, "Indent the JSON");
  SetAction(truth, [targs] { return RunTruth(*targs); });
}

}  // namespace revlens::app
