// `revlens emulator land`: a synthetic (or saved) portal written into a warehouse schema as Fivetran's HubSpot
// connector or Airbyte's source-hubspot would have landed it (src/emulator/landing), plus its product usage, ready
// for `revlens build --landing fivetran|airbyte`.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/commands.hpp"
#include "core/config.hpp"
#include "core/errors.hpp"
#include "emulator/generator/generator.hpp"
#include "emulator/landing/landing.hpp"
#include "sync/product_usage.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::app {
namespace {

namespace fs = std::filesystem;

struct LandArgs {
  emulator::GeneratorOptions gen;
  std::string portal;
  std::string format;
  std::string warehouse;
  std::string schema = "hubspot";
  bool no_product_usage = false;
  bool json = false;
};

int RunLand(const LandArgs& a) {
  const auto format = landing::ParseLandingFormat(a.format);
  if (!format) throw ConfigError("--format: expected fivetran or airbyte, got '" + a.format + "'");
  const emulator::GeneratedPortal g =
      a.portal.empty() ? emulator::GeneratePortal(a.gen) : emulator::LoadPortal(a.portal);

  std::string url = a.warehouse;
  if (url.empty()) url = LoadSettings().warehouse_url.value;
  auto wh = warehouse::OpenWarehouse(url);

  landing::LandOptions o;
  o.format = *format;
  o.schema = a.schema;
  const landing::LandSummary s = landing::LandPortal(*wh, *g.portal, o);

  int64_t usage_rows = 0;
  if (!a.no_product_usage && !g.product_usage_csv.empty()) {
    // A fixed file name per schema: product usage is replaced per source file, so a rerun replaces, never adds.
    const fs::path usage = fs::temp_directory_path() / ("revlens_land_" + a.schema + "_product_usage.csv");
    std::ofstream(usage, std::ios::binary) << g.product_usage_csv;
    try {
      usage_rows = sync::ImportProductUsage(*wh, usage.string(), a.schema).rows;
    } catch (...) {
      fs::remove(usage);
      throw;
    }
    fs::remove(usage);
  }

  if (a.json) {
    std::string json = s.ToJson();
    json.insert(json.size() - 1, ",\"product_usage_rows\":" + std::to_string(usage_rows));
    std::printf("%s\n", json.c_str());
    return 0;
  }
  std::printf("landed the portal in %s's shape in schema %s on %s (%.2f s)\n", s.format.c_str(), s.schema.c_str(),
              wh->Describe().c_str(), s.seconds);
  for (const auto& [table, n] : s.rows) std::printf("  %-28s %10lld\n", table.c_str(), static_cast<long long>(n));
  std::printf("  %-28s %10lld\n", "product_usage", static_cast<long long>(usage_rows));
  if (s.unconvertible_values > 0) {
    std::printf("warning: %lld property values did not parse as their type and were landed as NULL\n",
                static_cast<long long>(s.unconvertible_values));
  }
  std::printf("next: revlens build --landing %s --raw-schema %s --warehouse ...\n", s.format.c_str(), s.schema.c_str());
  return 0;
}

}  // namespace

void AddEmulatorLand(CLI::App& emulator) {
  auto args = std::make_shared<LandArgs>();
  auto* cmd = emulator.add_subcommand(
      "land", "Write a synthetic portal into a warehouse schema as Fivetran's or Airbyte's HubSpot connector lands it");
  cmd->add_option("--format", args->format, "Landing format: fivetran | airbyte")
      ->required()
      ->check(CLI::IsMember({"fivetran", "airbyte"}));
  cmd->add_option("--warehouse", args->warehouse, "Warehouse URL (default: REVLENS_WAREHOUSE / revlens.toml)");
  cmd->add_option("--schema", args->schema, "Schema to land in (its tables of the format are replaced)")
      ->capture_default_str();
  cmd->add_option("--portal", args->portal, "Land a portal saved by `emulator generate` instead of generating one");
  cmd->add_option("--size", args->gen.size, "Portal size: small (~2k contacts), demo (~20k), large (~200k)")
      ->capture_default_str()
      ->check(CLI::IsMember({"small", "demo", "large"}));
  cmd->add_option("--seed", args->gen.seed, "Generator seed")->capture_default_str();
  cmd->add_option("--anchor-date", args->gen.anchor_date, "Anchor date YYYY-MM-DD (default: today, UTC)");
  cmd->add_flag("--no-product-usage", args->no_product_usage,
                "Do not load the portal's product-usage file into the schema's product_usage table");
  cmd->add_flag("--json", args->json, "Print the summary as JSON");
  SetAction(cmd, [args] { return RunLand(*args); });
}

}  // namespace revlens::app
