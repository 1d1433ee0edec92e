#include "models/project.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/errors.hpp"

namespace revlens::models {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw IOError("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string At(const std::string& file, const YAML::Node& n) {
  return file + ":" + std::to_string(n.Mark().line + 1);
}

YAML::Node LoadYaml(const fs::path& p, const std::string& rel) {
  try {
    return YAML::Load(ReadFile(p));
  } catch (const YAML::Exception& e) {
    throw ConfigError(rel + ":" + std::to_string(e.mark.line + 1) + ": invalid yml: " + e.msg);
  }
}

JinjaValue FromYaml(const YAML::Node& n, const std::string& where) {
  if (!n || n.IsNull()) return JinjaValue{};
  if (n.IsSequence()) {
    JinjaValue v;
    v.kind = JinjaValue::Kind::kList;
    for (const auto& item : n) v.list.push_back(FromYaml(item, where));
    return v;
  }
  if (n.IsMap()) throw ConfigError(where + ": expected a value, found a mapping");
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return JinjaValue::String(s);  // quoted: always a string
  if (s == "true" || s == "True" || s == "TRUE") return JinjaValue::Bool(true);
  if (s == "false" || s == "False" || s == "FALSE") return JinjaValue::Bool(false);
  if (s == "null" || s == "~" || s == "Null" || s.empty()) return JinjaValue{};
  static const std::regex number(R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)");
  if (std::regex_match(s, number)) return JinjaValue::Number(std::stod(s));
  return JinjaValue::String(s);
}

std::string Str(const YAML::Node& n, const std::string& where, const std::string& what) {
  if (!n || !n.IsScalar()) throw ConfigError(where + ": " + what + " must be a string");
  return n.Scalar();
}

const std::set<std::string>& ConfigKeys() {
  static const std::set<std::string> keys = {"materialized", "schema", "alias", "enabled"};
  return keys;
}
// Accepted for dbt compatibility, without effect in revlens.
const std::set<std::string>& IgnoredConfigKeys() {
  static const std::set<std::string> keys = {"tags",   "docs",     "meta",        "persist_docs",
                                             "grants", "contract", "description", "database"};
  return keys;
}

void AddConfig(ConfigMap& out, const std::string& key, const YAML::Node& value, const std::string& where) {
  if (ConfigKeys().count(key)) {
    out[key] = ConfigEntry{FromYaml(value, where), where};
  } else if (!IgnoredConfigKeys().count(key)) {
    throw ConfigError(where + ": unsupported model config '" + key +
                      "' (revlens understands materialized, schema, alias, enabled)");
  }
}

/// dbt_project.yml `models:` tree: `+key` is a config at this level; a mapping is a sub-folder.
void WalkFolderConfig(const YAML::Node& node, const std::string& file, const std::string& prefix,
                      std::map<std::string, ConfigMap>& by_folder) {
  if (!node.IsMap()) return;
  for (const auto& kv : node) {
    std::string key = kv.first.Scalar();
    const std::string where = At(file, kv.first);
    if (!key.empty() && key[0] == '+') {
      AddConfig(by_folder[prefix], key.substr(1), kv.second, where);
    } else if (kv.second.IsMap()) {
      WalkFolderConfig(kv.second, file, prefix.empty() ? key : prefix + "/" + key, by_folder);
    } else if (ConfigKeys().count(key) || IgnoredConfigKeys().count(key)) {
      AddConfig(by_folder[prefix], key, kv.second, where);
    }
  }
}

std::optional<int64_t> Period(const YAML::Node& n, const std::string& where) {
  if (!n || n.IsNull()) return std::nullopt;
  if (!n.IsMap()) throw ConfigError(where + ": warn_after/error_after must be {count: N, period: hour}");
  const int64_t count = n["count"].as<int64_t>(0);
  const std::string period = n["period"] ? n["period"].Scalar() : "hour";
  int64_t unit = 0;
  if (period == "minute")
    unit = 60;
  else if (period == "hour")
    unit = 3600;
  else if (period == "day")
    unit = 86400;
  else
    throw ConfigError(where + ": freshness period must be minute, hour or day, got '" + period + "'");
  if (count <= 0) throw ConfigError(where + ": freshness count must be a positive number");
  return count * unit;
}

/// Returns nullopt when the node is absent, an empty Freshness (nothing checked) for `freshness: null`.
std::optional<Freshness> ParseFreshness(const YAML::Node& parent, const std::string& file) {
  const YAML::Node n = parent["freshness"];
  if (!n) return std::nullopt;
  if (n.IsNull()) return Freshness{};
  const std::string where = At(file, n);
  Freshness f;
  f.warn_after_seconds = Period(n["warn_after"], where);
  f.error_after_seconds = Period(n["error_after"], where);
  return f;
}

const std::set<std::string>& TestTypes() {
  static const std::set<std::string> types = {"unique", "not_null", "accepted_values", "relationships",
                                              "dbt_utils.equal_rowcount"};
  return types;
}

void ParseTests(const YAML::Node& list, const std::string& file, const DataTestSpec& base,
                std::vector<DataTestSpec>& out) {
  if (!list) return;
  if (!list.IsSequence()) throw ConfigError(At(file, list) + ": tests must be a list");
  for (const auto& item : list) {
    const std::string where = At(file, item);
    DataTestSpec t = base;
    t.file = where;
    YAML::Node args;
    if (item.IsScalar()) {
      t.type = item.Scalar();
    } else if (item.IsMap() && item.size() == 1) {
      t.type = item.begin()->first.Scalar();
      args = item.begin()->second;
    } else {
      throw ConfigError(where + ": a test is a name or a one-key mapping {test_name: {arguments}}");
    }
    if (!TestTypes().count(t.type)) {
      throw ConfigError(where + ": unsupported test '" + t.type +
                        "' (revlens runs unique, not_null, accepted_values, relationships, dbt_utils.equal_rowcount)");
    }
    if (args && args.IsMap()) {
      // dbt >= 1.10 nests arguments under `arguments:`; older projects put them beside config keys.
      YAML::Node a = args["arguments"] ? args["arguments"] : args;
      YAML::Node config = args["config"];
      auto cfg = [&](const char* key) -> YAML::Node {
        if (config && config[key]) return config[key];
        return args[key];
      };
      if (a["column_name"]) t.column = a["column_name"].Scalar();
      if (a["values"]) {
        const JinjaValue v = FromYaml(a["values"], where);
        if (v.kind != JinjaValue::Kind::kList) throw ConfigError(where + ": accepted_values needs values: [...]");
        t.values = v.list;
      }
      if (a["quote"]) t.quote = a["quote"].as<bool>(true);
      if (a["to"]) t.to = Str(a["to"], where, "relationships to:");
      if (a["field"]) t.field = Str(a["field"], where, "relationships field:");
      if (a["compare_model"]) t.compare_model = Str(a["compare_model"], where, "compare_model");
      if (cfg("where")) t.where = Str(cfg("where"), where, "where");
      if (cfg("severity")) {
        std::string sev = cfg("severity").Scalar();
        std::transform(sev.begin(), sev.end(), sev.begin(), ::tolower);
        t.warn_only = sev == "warn";
      }
      if (args["name"]) t.custom_name = args["name"].Scalar();
    } else if (args && !args.IsNull()) {
      throw ConfigError(where + ": arguments of " + t.type + " must be a mapping");
    }
    if ((t.type == "unique" || t.type == "not_null" || t.type == "accepted_values" || t.type == "relationships") &&
        t.column.empty()) {
      throw ConfigError(where + ": " + t.type + " needs a column (declare it under columns: or give column_name:)");
    }
    if (t.type == "accepted_values" && t.values.empty())
      throw ConfigError(where + ": accepted_values needs values: [...]");
    if (t.type == "relationships" && (t.to.empty() || t.field.empty())) {
      throw ConfigError(where + ": relationships needs to: ref('model') and field: column");
    }
    if (t.type == "dbt_utils.equal_rowcount" && t.compare_model.empty()) {
      throw ConfigError(where + ": dbt_utils.equal_rowcount needs compare_model: ref('model')");
    }
    out.push_back(std::move(t));
  }
}

YAML::Node TestsOf(const YAML::Node& n) {
  return n["data_tests"] ? n["data_tests"] : n["tests"];
}

void ParseColumns(const YAML::Node& columns, const std::string& file, const DataTestSpec& base,
                  std::vector<DataTestSpec>& out) {
  if (!columns) return;
  if (!columns.IsSequence()) throw ConfigError(At(file, columns) + ": columns must be a list");
  for (const auto& c : columns) {
    DataTestSpec b = base;
    b.column = Str(c["name"], At(file, c), "column name");
    ParseTests(TestsOf(c), file, b, out);
  }
}

void ParsePropertiesFile(const YAML::Node& doc, const std::string& file, Project& project,
                         std::map<std::string, YAML::Node>& model_props) {
  if (!doc || doc.IsNull()) return;
  if (!doc.IsMap()) throw ConfigError(file + ": expected a mapping with version: 2");
  if (const auto sources = doc["sources"]) {
    for (const auto& s : sources) {
      const std::string sname = Str(s["name"], At(file, s), "source name");
      const std::string schema = s["schema"] ? s["schema"].Scalar() : sname;
      const std::string loaded_at = s["loaded_at_field"] ? s["loaded_at_field"].Scalar() : "";
      const auto freshness = ParseFreshness(s, file);
      const std::string filter = s["freshness"] && s["freshness"]["filter"] ? s["freshness"]["filter"].Scalar() : "";
      for (const auto& t : s["tables"]) {
        SourceTable st;
        st.source = sname;
        st.name = Str(t["name"], At(file, t), "source table name");
        st.identifier = t["identifier"] ? t["identifier"].Scalar() : st.name;
        st.schema = schema;
        st.loaded_at_field = t["loaded_at_field"] ? t["loaded_at_field"].Scalar() : loaded_at;
        auto tf = ParseFreshness(t, file);
        st.freshness = tf ? tf : freshness;
        st.freshness_filter = t["freshness"] && t["freshness"]["filter"] ? t["freshness"]["filter"].Scalar() : filter;
        st.file = At(file, t);
        for (const auto& other : project.sources) {
          if (other.source == st.source && other.name == st.name) {
            throw ConfigError(st.file + ": source " + sname + "." + st.name + " is declared twice (also " + other.file +
                              ")");
          }
        }
        DataTestSpec base;
        base.source = sname;
        base.source_table = st.name;
        ParseColumns(t["columns"], file, base, project.tests);
        ParseTests(TestsOf(t), file, base, project.tests);
        project.sources.push_back(std::move(st));
      }
    }
  }
  if (const auto models = doc["models"]) {
    for (const auto& m : models) {
      const std::string name = Str(m["name"], At(file, m), "model name");
      if (model_props.count(name)) throw ConfigError(At(file, m) + ": model " + name + " has two property entries");
      model_props[name] = YAML::Node(static_cast<const YAML::Node&>(m));
      DataTestSpec base;
      base.model = name;
      ParseColumns(m["columns"], file, base, project.tests);
      ParseTests(TestsOf(m), file, base, project.tests);
    }
  }
}

}  // namespace

std::map<std::string, JinjaValue> ParseVars(const std::string& yaml_mapping) {
  std::map<std::string, JinjaValue> out;
  YAML::Node doc;
  try {
    doc = YAML::Load(yaml_mapping);
  } catch (const YAML::Exception& e) {
    throw ConfigError("--vars: invalid yml: " + e.msg);
  }
  if (!doc || doc.IsNull()) return out;
  if (!doc.IsMap()) throw ConfigError("--vars: expected a mapping like 'key: value' or '{a: 1, b: x}'");
  for (const auto& kv : doc) out[kv.first.Scalar()] = FromYaml(kv.second, "--vars " + kv.first.Scalar());
  return out;
}

Project LoadProject(const std::string& dir) {
  Project project;
  project.root = dir;
  const fs::path root(dir);
  const fs::path project_file = root / "dbt_project.yml";
  if (!fs::exists(project_file)) {
    throw ConfigError("no dbt_project.yml in " + dir + " (pass --project DIR pointing at a dbt-layout project)");
  }
  const std::string pf = "dbt_project.yml";
  const YAML::Node doc = LoadYaml(project_file, pf);
  project.name = Str(doc["name"], pf, "name");
  std::vector<std::string> model_paths = {"models"};
  std::vector<std::string> macro_paths = {"macros"};
  if (doc["model-paths"]) model_paths = doc["model-paths"].as<std::vector<std::string>>();
  if (doc["macro-paths"]) macro_paths = doc["macro-paths"].as<std::vector<std::string>>();
  if (const auto vars = doc["vars"]) {
    for (const auto& kv : vars) {
      const std::string key = kv.first.Scalar();
      if (key == project.name && kv.second.IsMap()) {
        for (const auto& inner : kv.second) project.vars[inner.first.Scalar()] = FromYaml(inner.second, pf);
      } else if (!kv.second.IsMap()) {
        project.vars[key] = FromYaml(kv.second, At(pf, kv.first));
      }
    }
  }
  std::map<std::string, ConfigMap> folder_config;  // "" = project level, "staging", "staging/fivetran"
  if (const auto models = doc["models"]) {
    if (models.IsMap()) {
      for (const auto& kv : models) {
        const std::string key = kv.first.Scalar();
        if (!key.empty() && key[0] == '+')
          AddConfig(folder_config[""], key.substr(1), kv.second, At(pf, kv.first));
        else if (key == project.name)
          WalkFolderConfig(kv.second, pf, "", folder_config);
      }
    }
  }

  std::map<std::string, YAML::Node> model_props;
  for (const auto& mp : model_paths) {
    const fs::path base = root / mp;
    if (!fs::exists(base)) continue;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(base)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());  // deterministic order across file systems
    for (const auto& p : files) {
      const std::string rel = fs::relative(p, root).generic_string();
      const std::string ext = p.extension().string();
      if (ext == ".sql") {
        ModelFile m;
        m.name = p.stem().string();
        m.path = rel;
        for (const auto& part : fs::relative(p.parent_path(), base)) {
          if (part != ".") m.folders.push_back(part.string());
        }
        m.sql = ReadFile(p);
        std::string prefix;
        auto merge = [&](const std::string& key) {
          auto it = folder_config.find(key);
          if (it == folder_config.end()) return;
          for (const auto& [k, v] : it->second) m.project_config[k] = v;
        };
        merge("");
        for (const auto& f : m.folders) {
          prefix = prefix.empty() ? f : prefix + "/" + f;
          merge(prefix);
        }
        project.models.push_back(std::move(m));
      } else if (ext == ".yml" || ext == ".yaml") {
        ParsePropertiesFile(LoadYaml(p, rel), rel, project, model_props);
      }
    }
  }
  for (const auto& [name, node] : model_props) {
    bool found = false;
    for (auto& m : project.models) {
      if (m.name != name) continue;
      found = true;
      if (const auto cfg = node["config"]) {
        for (const auto& kv : cfg) AddConfig(m.yml_config, kv.first.Scalar(), kv.second, "properties of " + name);
      }
    }
    if (!found) project.warnings.push_back("properties declare model " + name + " but there is no " + name + ".sql");
  }
  static const std::regex macro_re(R"(\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\()");
  for (const auto& mp : macro_paths) {
    const fs::path base = root / mp;
    if (!fs::exists(base)) continue;
    for (const auto& e : fs::recursive_directory_iterator(base)) {
      if (!e.is_regular_file() || e.path().extension() != ".sql") continue;
      const std::string text = ReadFile(e.path());
      for (std::sregex_iterator it(text.begin(), text.end(), macro_re), end; it != end; ++it) {
        project.macros.insert((*it)[1].str());
      }
    }
  }
  return project;
}

}  // namespace revlens::models
