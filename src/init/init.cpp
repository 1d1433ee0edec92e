#include "init/init.hpp"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/config.hpp"
#include "core/errors.hpp"

namespace revlens::init {
namespace {

namespace fs = std::filesystem;

/// Escape for a TOML basic string and a YAML double-quoted scalar (both take \" and \\).
std::string QuoteEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string CheckedWarehouseUrl(const std::string& given) {
  const std::string url = given.empty() ? Settings{}.warehouse_url.value : given;
  for (char c : url)
    if (static_cast<unsigned char>(c) < 0x20) throw ConfigError("--warehouse: the URL contains a control character");
  const bool duck = url.starts_with("duckdb://");
  if (!duck && !url.starts_with("postgresql://") && !url.starts_with("postgres://"))
    throw ConfigError("--warehouse: use duckdb://path, or postgresql://user@host:5432/db");
  if (url == "duckdb://") throw ConfigError("--warehouse: duckdb:// needs a path, e.g. duckdb://revlens.duckdb");
  if (Redact(url) != url)
    throw ConfigError(
        "--warehouse: leave the password out of revlens.toml (it is meant to be committed); put the full URL in "
        "REVLENS_WAREHOUSE (.env or a CI secret), or use PGPASSWORD or ~/.pgpass");
  return url;
}

void WriteFile(const fs::path& target, std::string_view text) {
  std::error_code ec;
  fs::create_directories(target.parent_path(), ec);
  if (ec) throw ConfigError(target.parent_path().string() + ": cannot create the folder: " + ec.message());
  const fs::path tmp = target.string() + ".revlens-init.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      throw ConfigError(target.string() + ": cannot be written");
    }
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw ConfigError(target.string() + ": cannot be written: " + ec.message());
  }
}

}  // namespace

std::string RenderTemplate(std::string_view text, const std::map<std::string, std::string>& vars) {
  std::string out(text);
  for (const auto& [name, value] : vars) {
    const std::string key = "%" + name + "%";
    for (size_t pos = out.find(key); pos != std::string::npos; pos = out.find(key, pos + value.size()))
      out.replace(pos, key.size(), value);
  }
  return out;
}

std::string InitReport::ToJson() const {
  nlohmann::json j;
  j["dir"] = dir;
  j["warehouse"] = warehouse_url;
  j["files"] = nlohmann::json::array();
  for (const InitFile& f : files)
    j["files"].push_back({{"path", f.path}, {"bytes", f.bytes}, {"status", f.overwritten ? "overwritten" : "written"}});
  return j.dump();
}

InitReport Init(const InitOptions& options) {
  InitReport report;
  report.dir = options.dir.empty() ? "." : options.dir;
  report.warehouse_url = CheckedWarehouseUrl(options.warehouse_url);
  std::string duckdb_file;
  if (report.warehouse_url.starts_with("duckdb://") && report.warehouse_url != "duckdb://:memory:")
    duckdb_file = report.warehouse_url.substr(std::string_view("duckdb://").size());
  const std::map<std::string, std::string> vars = {{"WAREHOUSE_URL", QuoteEscape(report.warehouse_url)},
                                                   {"DUCKDB_FILE", QuoteEscape(duckdb_file)}};

  const fs::path root(report.dir);
  std::error_code ec;
  if (fs::exists(root, ec) && !fs::is_directory(root, ec))
    throw ConfigError(report.dir + ": exists and is not a folder");
  // Check every target before writing any, so a refusal leaves the folder as it was.
  std::vector<bool> existed;
  for (const Template& t : EmbeddedTemplates()) {
    const fs::path target = root / fs::path(t.path);
    const bool exists = fs::exists(fs::symlink_status(target, ec));
    if (exists && fs::is_directory(target, ec)) throw ConfigError(target.string() + ": exists and is a folder");
    if (exists && !options.force)
      throw ConfigError(target.string() + " exists; pass --force to overwrite it (nothing was written)");
    existed.push_back(exists);
  }
  for (size_t i = 0; i < EmbeddedTemplates().size(); ++i) {
    const Template& t = EmbeddedTemplates()[i];
    const std::string text = RenderTemplate(t.text, vars);
    WriteFile(root / fs::path(t.path), text);
    report.files.push_back({std::string(t.path), text.size(), existed[i]});
  }
  return report;
}

}  // namespace revlens::init
