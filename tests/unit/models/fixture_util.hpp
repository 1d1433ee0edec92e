#pragma once
// Helpers shared by the model-runner tests: temp copies of fixture projects and small projects written inline.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace revlens::models::fixture {

namespace fs = std::filesystem;

inline std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  const auto ns = std::chrono::steady_clock::now().time_since_epoch().count();
  return std::to_string(::getpid()) + "_" + std::to_string(ns % 1000000007) + "_" + std::to_string(counter++);
}

inline fs::path FixturesDir() {
  return fs::path(REVLENS_SOURCE_DIR) / "tests" / "unit" / "models" / "fixtures";
}
inline fs::path RepoMacrosDir() {
  return fs::path(REVLENS_SOURCE_DIR) / "sql" / "macros";
}

inline void WriteFile(const fs::path& root, const std::string& rel, const std::string& text) {
  fs::create_directories((root / rel).parent_path());
  std::ofstream(root / rel, std::ios::binary) << text;
}

/// A temp directory removed on destruction.
class TempProject {
 public:
  /// Copy fixtures/<name> (if not empty) and sql/macros into a fresh temp directory.
  explicit TempProject(const std::string& fixture = "") {
    dir_ = fs::temp_directory_path() / ("revlens_models_" + UniqueSuffix());
    fs::create_directories(dir_);
    if (!fixture.empty()) fs::copy(FixturesDir() / fixture, dir_, fs::copy_options::recursive);
    fs::create_directories(dir_ / "macros");
    fs::copy(RepoMacrosDir(), dir_ / "macros", fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  }
  ~TempProject() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  TempProject(const TempProject&) = delete;
  TempProject& operator=(const TempProject&) = delete;

  void Write(const std::string& rel, const std::string& text) const { WriteFile(dir_, rel, text); }
  void Remove(const std::string& rel) const { fs::remove(dir_ / rel); }
  std::string Dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

/// A minimal dbt_project.yml named `p`.
inline std::string MinimalProjectYml() {
  return "name: p\nversion: '1.0'\nconfig-version: 2\n";
}

}  // namespace revlens::models::fixture
