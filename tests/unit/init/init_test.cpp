// `revlens init`: the files it writes, refusal to overwrite, and that each file is what its consumer accepts: the
// real config loader for revlens.toml and .env.example, yaml-cpp for the GitHub Actions workflow, a key=value
// reading (and systemd-analyze verify when present) for the units, toml++ for fly.toml.
#include "init/init.hpp"

#include <gtest/gtest.h>
#include <toml++/toml.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "core/config.hpp"
#include "core/errors.hpp"

namespace revlens::init {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteText(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

/// Settings from exactly these files and no environment (the test's working directory and environment never leak).
Settings LoadFrom(const fs::path& toml, const fs::path& dotenv, std::map<std::string, std::string> env = {}) {
  SettingsOptions o;
  o.toml_path = toml.string();
  o.dotenv_path = dotenv.string();
  o.getenv = [env = std::move(env)](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  return LoadSettings(o);
}

/// A unit file as section -> key -> values (a key may repeat). Minimal: `[Section]`, `key=value`, `#`/`;` comments.
using Unit = std::map<std::string, std::multimap<std::string, std::string>>;

Unit ParseUnit(const std::string& text) {
  Unit unit;
  std::string section;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      EXPECT_EQ(line.back(), ']') << line;
      section = line.substr(1, line.size() - 2);
      unit[section];
      continue;
    }
    const auto eq = line.find('=');
    EXPECT_NE(eq, std::string::npos) << "not key=value: " << line;
    EXPECT_FALSE(section.empty()) << "key outside a section: " << line;
    if (eq == std::string::npos) continue;
    unit[section].emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return unit;
}

std::string One(const Unit& u, const std::string& section, const std::string& key) {
  auto s = u.find(section);
  if (s == u.end()) return "<no section " + section + ">";
  auto [lo, hi] = s->second.equal_range(key);
  if (lo == hi) return "<no key " + key + ">";
  EXPECT_EQ(std::next(lo), hi) << key << " set twice in [" << section << "]";
  return lo->second;
}

/// Run a shell command, returning its exit status and combined output.
std::pair<int, std::string> RunCommand(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen((cmd + " 2>&1").c_str(), "r"), ::pclose);
  if (!pipe) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe.get())) out.append(buf, n);
  const int status = ::pclose(pipe.release());
  return {status, out};
}

class InitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / ("revlens_init_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  }
  void TearDown() override { fs::remove_all(dir_); }

  InitReport InitHere(const std::string& warehouse = "", bool force = false) {
    InitOptions o;
    o.dir = dir_.string();
    o.warehouse_url = warehouse;
    o.force = force;
    return Init(o);
  }

  fs::path dir_;
};

const std::vector<std::string> kExpectedFiles = {"revlens.toml",
                                                 ".env.example",
                                                 ".github/workflows/revlens-nightly.yml",
                                                 "deploy/revlens-serve.service",
                                                 "deploy/revlens-nightly.service",
                                                 "deploy/revlens-nightly.timer",
                                                 "deploy/Dockerfile",
                                                 "deploy/Dockerfile.dockerignore",
                                                 "deploy/fly.toml",
                                                 "deploy/README.md"};

TEST_F(InitTest, WritesEveryFileIntoANewFolder) {
  const InitReport r = InitHere();
  std::vector<std::string> written;
  for (const auto& f : r.files) {
    written.push_back(f.path);
    EXPECT_FALSE(f.overwritten) << f.path;
    const std::string text = ReadFile(dir_ / f.path);
    EXPECT_EQ(text.size(), f.bytes) << f.path;
    EXPECT_GT(text.size(), 100u) << f.path;
    EXPECT_EQ(text.find("%WAREHOUSE_URL%"), std::string::npos) << f.path;
    EXPECT_EQ(text.find("%DUCKDB_FILE%"), std::string::npos) << f.path;
  }
  EXPECT_EQ(written, kExpectedFiles);
  EXPECT_EQ(r.warehouse_url, "duckdb://revlens.duckdb");
  const auto j = ReadFile(dir_ / "revlens.toml");
  EXPECT_NE(j.find("url = \"duckdb://revlens.duckdb\""), std::string::npos);
  EXPECT_NE(r.ToJson().find("\"status\":\"written\""), std::string::npos);
}

TEST_F(InitTest, RefusesToOverwriteWithoutForce) {
  InitHere();
  WriteText(dir_ / "revlens.toml", "# mine\n");
  try {
    InitHere();
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("revlens.toml"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--force"), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_EQ(ReadFile(dir_ / "revlens.toml"), "# mine\n");

  const InitReport forced = InitHere("", /*force=*/true);
  for (const auto& f : forced.files) EXPECT_TRUE(f.overwritten) << f.path;
  EXPECT_NE(ReadFile(dir_ / "revlens.toml"), "# mine\n");
}

TEST_F(InitTest, OneExistingFileMeansNothingIsWritten) {
  fs::create_directories(dir_ / "deploy");
  WriteText(dir_ / "deploy/fly.toml", "app = \"mine\"\n");
  try {
    InitHere();
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("fly.toml"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "revlens.toml"));
  EXPECT_FALSE(fs::exists(dir_ / ".github"));
  EXPECT_EQ(ReadFile(dir_ / "deploy/fly.toml"), "app = \"mine\"\n");
}

TEST_F(InitTest, ConfigLoadsWithTheRealLoader) {
  InitHere();
  const Settings s = LoadFrom(dir_ / "revlens.toml", dir_ / ".env.example");
  EXPECT_EQ(s.warehouse_url.value, "duckdb://revlens.duckdb");
  EXPECT_EQ(s.warehouse_url.source.kind, SettingSource::Kind::kToml);
  EXPECT_EQ(s.hubspot_api_base.value, "https://api.hubapi.com");
  EXPECT_FALSE(s.hubspot_access_token.IsSet());
  EXPECT_FALSE(s.hubspot_client_secret.IsSet());
  EXPECT_FALSE(s.slack_webhook_url.IsSet());
  EXPECT_TRUE(s.webhooks.empty());

  // Every section the loaders understand is there, commented.
  const std::string toml = ReadFile(dir_ / "revlens.toml");
  for (const char* needle :
       {"[hubspot]", "access_token", "api_base", "client_secret", "[warehouse]", "url =", "[slack]", "webhook_url",
        "# [[webhooks]]", "secret_env", "secret_file", "# [[competitors]]", "aliases", "misspellings", "domains"})
    EXPECT_NE(toml.find(needle), std::string::npos) << needle;

  // Uncommenting the examples gives a file that loads too.
  std::string uncommented;
  std::istringstream in(toml);
  const std::regex example(R"(^# ((\[\[[a-z]+\]\])|([a-z_]+ = .*))$)");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    uncommented += (std::regex_match(line, m, example) ? m[1].str() : line) + "\n";
  }
  WriteText(dir_ / "uncommented.toml", uncommented);
  const Settings u = LoadFrom(dir_ / "uncommented.toml", dir_ / ".env.example", {{"REVLENS_WEBHOOK_SECRET", "s3"}});
  ASSERT_EQ(u.webhooks.size(), 1u);
  EXPECT_EQ(u.webhooks[0].url, "https://example.com/revlens-alerts");
  EXPECT_EQ(u.webhooks[0].secret, "s3");
  const toml::table doc = toml::parse(uncommented);
  const toml::array* competitors = doc["competitors"].as_array();
  ASSERT_NE(competitors, nullptr);
  ASSERT_EQ(competitors->size(), 1u);
  EXPECT_EQ(competitors->get(0)->as_table()->get("name")->value<std::string>(), "Forecastly");
}

TEST_F(InitTest, WarehouseOption) {
  InitHere("postgresql://revlens@db.example.com:5432/revlens");
  const Settings s = LoadFrom(dir_ / "revlens.toml", dir_ / ".env.example");
  EXPECT_EQ(s.warehouse_url.value, "postgresql://revlens@db.example.com:5432/revlens");
  const YAML::Node wf = YAML::LoadFile((dir_ / ".github/workflows/revlens-nightly.yml").string());
  EXPECT_EQ(wf["jobs"]["nightly"]["env"]["REVLENS_DUCKDB_FILE"].as<std::string>(), "");
  fs::remove_all(dir_);

  InitHere("duckdb://data/warehouse.duckdb");
  const YAML::Node wf2 = YAML::LoadFile((dir_ / ".github/workflows/revlens-nightly.yml").string());
  EXPECT_EQ(wf2["jobs"]["nightly"]["env"]["REVLENS_DUCKDB_FILE"].as<std::string>(), "data/warehouse.duckdb");
  fs::remove_all(dir_);

  EXPECT_THROW(InitHere("postgresql://revlens:hunter2@db/revlens"), ConfigError);
  EXPECT_THROW(InitHere("mysql://db/revlens"), ConfigError);
  EXPECT_FALSE(fs::exists(dir_ / "revlens.toml"));
}

TEST_F(InitTest, EnvExampleNamesEveryVariableTheCodeReads) {
  InitHere();
  const std::string env = ReadFile(dir_ / ".env.example");
  // Every name the code reads: the config loader's fields and the getenv calls under src/. Not for a deployment:
  // the emulator's own token, tuning hooks and the time-zone database path.
  const std::set<std::string> not_for_users = {"REVLENS_EMULATOR_TOKEN", "REVLENS_EXPERIMENT_GBM",
                                               "REVLENS_EXPERIMENT_SALES", "TZDIR"};
  std::set<std::string> names = {"REVLENS_WEBHOOK_SECRET"};  // [[webhooks]] secret_env default
  const std::regex getenv_call(R"re(getenv\("([A-Z][A-Z0-9_]+)"\))re");
  const std::regex config_field(R"re(\{"([A-Z][A-Z0-9_]+)", "(hubspot|warehouse|slack)")re");
  for (const auto& e : fs::recursive_directory_iterator(fs::path(REVLENS_SOURCE_DIR) / "src")) {
    const auto ext = e.path().extension();
    if (!e.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
    const std::string text = ReadFile(e.path());
    for (const auto* re : {&getenv_call, &config_field})
      for (std::sregex_iterator it(text.begin(), text.end(), *re), end; it != end; ++it) names.insert((*it)[1]);
  }
  EXPECT_TRUE(names.contains("HUBSPOT_ACCESS_TOKEN"));  // the scan works
  for (const auto& n : names) {
    if (not_for_users.contains(n)) continue;
    EXPECT_TRUE(std::regex_search(env, std::regex("(^|\n)(# )?" + n + "="))) << n << " is missing in .env.example";
  }
}

TEST_F(InitTest, WorkflowIsValidYamlWithTheExpectedStructure) {
  InitHere();
  const YAML::Node wf = YAML::LoadFile((dir_ / ".github/workflows/revlens-nightly.yml").string());
  ASSERT_TRUE(wf.IsMap());
  EXPECT_TRUE(wf["name"].IsScalar());
  const YAML::Node on = wf["on"];
  ASSERT_TRUE(on.IsMap());
  ASSERT_TRUE(on["schedule"].IsSequence());
  ASSERT_GE(on["schedule"].size(), 1u);
  const std::string cron = on["schedule"][0]["cron"].as<std::string>();
  EXPECT_TRUE(std::regex_match(cron, std::regex(R"([0-9*/,-]+( [0-9*/,-]+){4})"))) << cron;
  EXPECT_TRUE(on["workflow_dispatch"].IsDefined());

  const YAML::Node jobs = wf["jobs"];
  ASSERT_TRUE(jobs.IsMap());
  ASSERT_EQ(jobs.size(), 1u);
  const YAML::Node job = jobs.begin()->second;
  EXPECT_TRUE(job["runs-on"].IsScalar());
  const YAML::Node steps = job["steps"];
  ASSERT_TRUE(steps.IsSequence());
  bool runs_nightly = false, caches_build = false, restores_warehouse = false, saves_warehouse = false;
  for (const YAML::Node& step : steps) {
    ASSERT_TRUE(step.IsMap());
    EXPECT_NE(step["uses"].IsDefined(), step["run"].IsDefined()) << "a step has either uses or run";
    EXPECT_TRUE(step["name"].IsScalar());
    if (step["run"] && step["run"].as<std::string>().find("revlens run --json") != std::string::npos)
      runs_nightly = true;
    if (!step["uses"]) continue;
    const std::string uses = step["uses"].as<std::string>();
    EXPECT_TRUE(std::regex_match(uses, std::regex(R"([a-z-]+/[a-z/-]+@v[0-9]+)"))) << uses;
    const std::string path = step["with"] && step["with"]["path"] ? step["with"]["path"].as<std::string>() : "";
    if (uses.starts_with("actions/cache@") && path.find("revlens-src/build") != std::string::npos &&
        path.find(".ccache") != std::string::npos)
      caches_build = true;
    if (uses.starts_with("actions/cache/restore@") && path == "${{ env.REVLENS_DUCKDB_FILE }}")
      restores_warehouse = true;
    if (uses.starts_with("actions/cache/save@") && path == "${{ env.REVLENS_DUCKDB_FILE }}") saves_warehouse = true;
  }
  EXPECT_TRUE(runs_nightly);
  EXPECT_TRUE(caches_build);
  EXPECT_TRUE(restores_warehouse);
  EXPECT_TRUE(saves_warehouse);
  EXPECT_EQ(job["env"]["REVLENS_DUCKDB_FILE"].as<std::string>(), "revlens.duckdb");
  EXPECT_EQ(job["env"]["CCACHE_DIR"].as<std::string>(), "${{ github.workspace }}/.ccache");

  // Secrets come from the repository's secrets, each under its own name; no scalar anywhere holds a secret literal.
  const std::set<std::string> secrets = {"HUBSPOT_ACCESS_TOKEN", "SLACK_WEBHOOK_URL", "REVLENS_WEBHOOK_SECRET",
                                         "REVLENS_WAREHOUSE"};
  for (const auto& name : secrets) {
    ASSERT_TRUE(job["env"][name].IsScalar()) << name;
    EXPECT_EQ(job["env"][name].as<std::string>(), "${{ secrets." + name + " }}");
  }
  const std::regex literal(R"(pat-[a-z0-9]{2,}-|hooks\.slack\.com/services/T|xox[abp]-|://[^/@\s:]+:[^/@\s]+@)");
  const std::regex secret_ref(R"(\$\{\{\s*secrets\.([A-Za-z_]+)\s*\}\})");
  std::set<std::string> referenced;
  std::vector<YAML::Node> stack = {wf};
  while (!stack.empty()) {
    const YAML::Node n = stack.back();
    stack.pop_back();
    if (n.IsScalar()) {
      const std::string v = n.as<std::string>();
      EXPECT_FALSE(std::regex_search(v, literal)) << "looks like a secret: " << v;
      for (std::sregex_iterator it(v.begin(), v.end(), secret_ref), end; it != end; ++it) referenced.insert((*it)[1]);
    } else if (n.IsSequence()) {
      for (const YAML::Node& c : n) stack.push_back(c);
    } else if (n.IsMap()) {
      for (const auto& kv : n) stack.push_back(kv.second);
    }
  }
  EXPECT_EQ(referenced, secrets);
}

TEST_F(InitTest, SystemdUnits) {
  InitHere();
  const Unit serve = ParseUnit(ReadFile(dir_ / "deploy/revlens-serve.service"));
  EXPECT_NE(One(serve, "Service", "ExecStart").find("/opt/revlens/bin/revlens serve --listen "), std::string::npos);
  EXPECT_EQ(One(serve, "Service", "EnvironmentFile"), "/etc/revlens/revlens.env");
  EXPECT_EQ(One(serve, "Service", "User"), "revlens");
  EXPECT_EQ(One(serve, "Service", "ProtectSystem"), "strict");
  EXPECT_EQ(One(serve, "Service", "ReadWritePaths"), "/var/lib/revlens");
  EXPECT_EQ(One(serve, "Service", "WorkingDirectory"), "/var/lib/revlens");
  EXPECT_EQ(One(serve, "Service", "Restart"), "on-failure");
  EXPECT_EQ(One(serve, "Service", "NoNewPrivileges"), "yes");
  EXPECT_EQ(One(serve, "Install", "WantedBy"), "multi-user.target");

  const Unit nightly = ParseUnit(ReadFile(dir_ / "deploy/revlens-nightly.service"));
  EXPECT_EQ(One(nightly, "Service", "Type"), "oneshot");
  EXPECT_NE(One(nightly, "Service", "ExecStart").find("/opt/revlens/bin/revlens run --json"), std::string::npos);
  EXPECT_EQ(One(nightly, "Service", "User"), One(serve, "Service", "User"));  // same warehouse, same owner
  EXPECT_EQ(One(nightly, "Service", "EnvironmentFile"), "/etc/revlens/revlens.env");
  EXPECT_EQ(One(nightly, "Service", "ProtectSystem"), "strict");
  EXPECT_EQ(One(nightly, "Service", "ReadWritePaths"), "/var/lib/revlens");

  const Unit timer = ParseUnit(ReadFile(dir_ / "deploy/revlens-nightly.timer"));
  EXPECT_NE(One(timer, "Timer", "OnCalendar").find("*-*-*"), std::string::npos);
  EXPECT_EQ(One(timer, "Timer", "Persistent"), "true");
  EXPECT_EQ(One(timer, "Timer", "Unit"), "revlens-nightly.service");
  EXPECT_EQ(One(timer, "Install", "WantedBy"), "timers.target");
}

TEST_F(InitTest, SystemdAnalyzeVerify) {
  if (RunCommand("command -v systemd-analyze").first != 0) GTEST_SKIP() << "systemd-analyze is not installed";
  InitHere();
  // verify checks that ExecStart's program exists: point it at one that does.
  const fs::path units = dir_ / "units";
  fs::create_directories(units);
  for (const char* name : {"revlens-serve.service", "revlens-nightly.service", "revlens-nightly.timer"}) {
    std::string text = ReadFile(dir_ / "deploy" / name);
    text = std::regex_replace(text, std::regex("/opt/revlens/bin/revlens"), "/bin/true");
    WriteText(units / name, text);
  }
  const auto [status, out] = RunCommand("cd '" + units.string() +
                                        "' && systemd-analyze verify --man=no revlens-serve.service "
                                        "revlens-nightly.service revlens-nightly.timer");
  EXPECT_EQ(status, 0) << out;
  // Unknown keys are only warnings (exit 0): any line naming our units fails the test.
  EXPECT_EQ(out.find("revlens-"), std::string::npos) << out;
}

TEST_F(InitTest, DockerfileAndFlyToml) {
  InitHere();
  // Instructions with their continuation lines joined.
  std::vector<std::pair<std::string, std::string>> ins;
  std::istringstream in(ReadFile(dir_ / "deploy/Dockerfile"));
  std::string pending;
  for (std::string line; std::getline(in, line);) {
    if (pending.empty() && (line.empty() || line[0] == '#')) continue;
    if (!line.empty() && line.back() == '\\') {
      pending += line.substr(0, line.size() - 1);
      continue;
    }
    pending += line;
    const auto sp = pending.find(' ');
    ins.emplace_back(pending.substr(0, sp), sp == std::string::npos ? "" : pending.substr(sp + 1));
    pending.clear();
  }
  std::vector<std::string> froms;
  size_t last_from = 0;
  for (size_t i = 0; i < ins.size(); ++i)
    if (ins[i].first == "FROM") froms.push_back(ins[i].second), last_from = i;
  ASSERT_EQ(froms.size(), 2u);
  EXPECT_EQ(froms[0], "debian:bookworm AS build");
  EXPECT_EQ(froms[1], "debian:bookworm-slim");
  std::string build_stage, runtime_stage;
  for (size_t i = 0; i < ins.size(); ++i)
    (i < last_from ? build_stage : runtime_stage) += ins[i].first + " " + ins[i].second + "\n";
  EXPECT_NE(build_stage.find("deps/apt.txt"), std::string::npos);
  EXPECT_NE(build_stage.find("cmake/fetch_duckdb.sh"), std::string::npos);
  EXPECT_EQ(runtime_stage.find("-dev"), std::string::npos) << "no development packages at run time";
  EXPECT_NE(runtime_stage.find("COPY --from=build /out/bin/ /opt/revlens/bin/"), std::string::npos);

  std::string user, expose, cmd, workdir;
  for (size_t i = last_from; i < ins.size(); ++i) {
    if (ins[i].first == "USER") user = ins[i].second;
    if (ins[i].first == "EXPOSE") expose = ins[i].second;
    if (ins[i].first == "CMD") cmd = ins[i].second;
    if (ins[i].first == "WORKDIR") workdir = ins[i].second;
  }
  EXPECT_FALSE(user.empty());
  EXPECT_FALSE(user.starts_with("root") || user.starts_with("0")) << user;
  EXPECT_EQ(expose, "8080");
  EXPECT_NE(cmd.find("/opt/revlens/bin/revlens serve --listen \"0.0.0.0:${PORT}\""), std::string::npos) << cmd;

  const toml::table fly = toml::parse(ReadFile(dir_ / "deploy/fly.toml"));
  EXPECT_EQ(fly["http_service"]["internal_port"].value<int64_t>(), std::stoll(expose));
  EXPECT_EQ(fly["env"]["PORT"].value<std::string>(), expose);
  EXPECT_EQ(fly["http_service"]["min_machines_running"].value<int64_t>(), 1);
  EXPECT_EQ(fly["mounts"][0]["destination"].value<std::string>(), workdir);
}

TEST(InitTemplates, DeployFilesAreTheRepositorysOwn) {
  size_t deploy = 0;
  for (const Template& t : EmbeddedTemplates()) {
    if (!t.path.starts_with("deploy/")) continue;
    ++deploy;
    EXPECT_EQ(std::string(t.text), ReadFile(fs::path(REVLENS_SOURCE_DIR) / t.path)) << t.path;
  }
  EXPECT_EQ(deploy, 7u);
}

TEST(InitTemplates, RenderReplacesOnlyKnownPlaceholders) {
  EXPECT_EQ(RenderTemplate("a %X% b %X% %Y% %h ${{ x }}", {{"X", "1%X%"}}), "a 1%X% b 1%X% %Y% %h ${{ x }}");
}

}  // namespace
}  // namespace revlens::init
