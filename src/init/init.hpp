#pragma once
/// `revlens init`: write a starting configuration into a folder: revlens.toml (every setting, commented),
/// .env.example (the secrets' names), a GitHub Actions nightly workflow and the deploy files (systemd units,
/// Dockerfile, fly.toml). The templates are files in the repo (src/init/templates/, deploy/) embedded in the binary
/// at build time (embed_templates.cmake), so the binary alone can write them.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace revlens::init {

/// One embedded template: the path `revlens init` writes it to (relative to the target folder) and its text.
struct Template {
  std::string_view path;
  std::string_view text;
};

/// The embedded templates, in the order they are written (init_templates.cpp, generated).
const std::vector<Template>& EmbeddedTemplates();

/// Replace each `%NAME%` of `vars` in `text` by its value; other text (systemd's `%h`, `${{ ... }}`) is untouched.
std::string RenderTemplate(std::string_view text, const std::map<std::string, std::string>& vars);

/// What to write and where.
struct InitOptions {
  std::string dir = ".";      ///< target folder; created when missing
  bool force = false;         ///< overwrite existing files
  std::string warehouse_url;  ///< [warehouse] url of revlens.toml; empty: the default duckdb://revlens.duckdb
};

/// One file written.
struct InitFile {
  std::string path;  ///< relative to the target folder, e.g. `.github/workflows/revlens-nightly.yml`
  size_t bytes = 0;
  bool overwritten = false;  ///< it existed (only with --force)
};

/// What `revlens init` did.
struct InitReport {
  std::string dir;
  std::string warehouse_url;
  std::vector<InitFile> files;
  /// Return the report as one JSON object: dir, warehouse, files [{path, bytes, status: written|overwritten}].
  std::string ToJson() const;
};

/// Write every template into `options.dir`. Without `force`, checks first and writes nothing when any target
/// exists (ConfigError naming that file). Throws ConfigError for a warehouse URL with an unknown scheme or a
/// password (revlens.toml is meant to be committed), and for a file that cannot be written.
InitReport Init(const InitOptions& options);

}  // namespace revlens::init
