// Compile: render each model twice (once to learn its config, refs and sources, once with the real relation
// names), check references, order the DAG, apply the selection and turn declared tests into SQL.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/errors.hpp"
#include "models/runner.hpp"
#include "warehouse/sql_dialect.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::models {
namespace {

using warehouse::Warehouse;

struct ModelInfo {
  const ModelFile* file = nullptr;
  bool enabled = true;
  std::string materialized = "view";
  std::string schema;  // custom schema (suffix), empty for the target schema
  std::string alias;
  std::vector<std::string> refs;
  std::vector<std::pair<std::string, std::string>> sources;
};

std::string SourceKey(const std::string& s, const std::string& t) {
  return s + "." + t;
}

bool ToBool(const JinjaValue& v, const std::string& where) {
  if (v.kind == JinjaValue::Kind::kBool) return v.boolean;
  if (v.kind == JinjaValue::Kind::kString) {
    std::string s = v.text;
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    if (s == "true") return true;
    if (s == "false") return false;
  }
  throw InvalidInputError(where + ": enabled must be true or false, got " + v.ToString());
}

std::string TestNamePart(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0;
    if (ok)
      out += c;
    else if (out.empty() || out.back() != '_')
      out += '_';
  }
  return out;
}

/// Find one cycle among `nodes` (all of which are on or downstream of a cycle) and render it `a -> b -> a`.
std::string DescribeCycle(const std::set<std::string>& nodes,
                          const std::map<std::string, std::vector<std::string>>& refs) {
  std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
  std::vector<std::string> stack;
  std::string found;
  std::function<bool(const std::string&)> dfs = [&](const std::string& n) -> bool {
    state[n] = 1;
    stack.push_back(n);
    auto it = refs.find(n);
    if (it != refs.end()) {
      for (const auto& r : it->second) {
        if (!nodes.count(r)) continue;
        if (state[r] == 1) {
          auto b = std::find(stack.begin(), stack.end(), r);
          for (auto i = b; i != stack.end(); ++i) found += *i + " -> ";
          found += r;
          return true;
        }
        if (state[r] == 0 && dfs(r)) return true;
      }
    }
    stack.pop_back();
    state[n] = 2;
    return false;
  };
  for (const auto& n : nodes)
    if (state[n] == 0 && dfs(n)) break;
  return found;
}

}  // namespace

const CompiledModel* CompiledProject::Find(std::string_view name) const {
  for (const auto& m : models)
    if (m.name == name) return &m;
  return nullptr;
}

CompiledProject Compile(const Project& project, const BuildOptions& options, std::string_view dialect) {
  CompiledProject out;
  out.name = project.name;
  out.warnings = project.warnings;

  std::map<std::string, JinjaValue> vars = project.vars;
  for (const auto& [k, v] : options.vars) vars[k] = v;
  if (options.raw_schema) vars["raw_schema"] = JinjaValue::String(*options.raw_schema);
  if (options.landing_format) vars["landing_format"] = JinjaValue::String(*options.landing_format);

  RenderContext var_only;
  var_only.var = [&](const std::string& name) -> std::optional<JinjaValue> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };

  auto check_macro = [&](const std::string& name) {
    if (!warehouse::IsSqlMacro(name)) {
      std::string known;
      for (const auto& m : warehouse::SqlMacros()) known += (known.empty() ? "" : ", ") + std::string(m.name);
      throw InvalidInputError("unknown macro " + name + " (known: " + known + ")");
    }
    if (!project.macros.count(name)) {
      throw InvalidInputError("macro " + name + " is not defined under macros/, so dbt could not run this model " +
                              "(copy sql/macros/revlens_macros.sql into the project)");
    }
  };

  // Pass 1: config, refs and sources of every model file.
  std::vector<ModelInfo> infos;
  infos.reserve(project.models.size());
  for (const auto& file : project.models) {
    ModelInfo info;
    info.file = &file;
    ConfigMap in_file;
    RenderContext ctx = var_only;
    ctx.ref = [&](const std::string& name) {
      if (std::find(info.refs.begin(), info.refs.end(), name) == info.refs.end()) info.refs.push_back(name);
      return std::string("__ref__");
    };
    ctx.source = [&](const std::string& s, const std::string& t) {
      auto key = std::make_pair(s, t);
      if (std::find(info.sources.begin(), info.sources.end(), key) == info.sources.end()) info.sources.push_back(key);
      return std::string("__source__");
    };
    ctx.config = [&](const std::string& key, const JinjaValue& v) {
      if (key != "materialized" && key != "schema" && key != "alias" && key != "enabled" && key != "tags") {
        throw InvalidInputError("unsupported config key '" + key +
                                "' (revlens understands materialized, schema, alias, enabled)");
      }
      in_file[key] = ConfigEntry{v, file.path};
    };
    ctx.macro = [&](const std::string& name, const std::vector<std::string>&) {
      check_macro(name);
      return std::string("NULL");
    };
    RenderTemplate(file.sql, file.path, ctx);

    ConfigMap merged = file.project_config;
    for (const auto& [k, v] : file.yml_config) merged[k] = v;
    for (const auto& [k, v] : in_file) merged[k] = v;
    auto eval = [&](const ConfigEntry& e) {
      if (e.value.kind == JinjaValue::Kind::kString) return RenderYamlString(e.value.text, e.where, var_only);
      return e.value;
    };
    for (const auto& [k, e] : merged) {
      const JinjaValue v = eval(e);
      if (k == "enabled") {
        info.enabled = ToBool(v, e.where + " (" + file.name + ")");
      } else if (k == "materialized") {
        info.materialized = v.ToString();
        if (info.materialized != "view" && info.materialized != "table") {
          throw InvalidInputError(e.where + ": model " + file.name + ": materialized must be view or table, got '" +
                                  info.materialized + "'");
        }
      } else if (k == "schema") {
        info.schema = v.kind == JinjaValue::Kind::kNone ? "" : v.ToString();
      } else if (k == "alias") {
        info.alias = v.kind == JinjaValue::Kind::kNone ? "" : v.ToString();
      }
    }
    if (info.alias.empty()) info.alias = file.name;
    infos.push_back(std::move(info));
  }

  // One enabled model per name.
  std::map<std::string, const ModelInfo*> enabled;
  std::map<std::string, const ModelInfo*> disabled;
  for (const auto& info : infos) {
    const std::string& name = info.file->name;
    if (!info.enabled) {
      disabled[name] = &info;
      continue;
    }
    auto [it, fresh] = enabled.emplace(name, &info);
    if (!fresh) {
      throw InvalidInputError("model " + name + " is defined twice and both are enabled: " + it->second->file->path +
                              " and " + info.file->path + " (disable one with enabled=false)");
    }
  }
  for (const auto& [name, _] : disabled)
    if (!enabled.count(name)) out.disabled.push_back(name);

  // Sources by key, with their schema rendered.
  std::map<std::string, CompiledSource> sources;
  for (const auto& st : project.sources) {
    CompiledSource cs;
    cs.table = st;
    cs.schema = RenderYamlString(st.schema, st.file, var_only).ToString();
    cs.relation = Warehouse::QualifiedName(cs.schema, st.identifier);
    sources.emplace(SourceKey(st.source, st.name), std::move(cs));
  }

  // Check references.
  std::map<std::string, std::vector<std::string>> refs;
  for (const auto& [name, info] : enabled) {
    for (const auto& r : info->refs) {
      if (!enabled.count(r)) {
        if (disabled.count(r)) {
          throw InvalidInputError("model " + name + " (" + info->file->path + ") refs model " + r +
                                  ", which is disabled");
        }
        throw InvalidInputError("model " + name + " (" + info->file->path + ") refs unknown model '" + r + "'");
      }
    }
    for (const auto& [s, t] : info->sources) {
      if (!sources.count(SourceKey(s, t))) {
        throw InvalidInputError("model " + name + " (" + info->file->path + ") uses source('" + s + "', '" + t +
                                "'), which no yml declares under sources:");
      }
    }
    refs[name] = info->refs;
  }

  // Topological order (Kahn), ties broken by file path so the order is stable.
  std::map<std::string, int> indegree;
  std::map<std::string, std::vector<std::string>> children;
  for (const auto& [name, rs] : refs) {
    indegree[name] += 0;
    for (const auto& r : rs) {
      indegree[name] += 1;
      children[r].push_back(name);
    }
  }
  std::set<std::pair<std::string, std::string>> ready;
  for (const auto& [name, d] : indegree)
    if (d == 0) ready.emplace(enabled[name]->file->path, name);
  std::vector<std::string> order;
  while (!ready.empty()) {
    auto [path, name] = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(name);
    for (const auto& c : children[name])
      if (--indegree[c] == 0) ready.emplace(enabled[c]->file->path, c);
  }
  if (order.size() != enabled.size()) {
    std::set<std::string> left;
    for (const auto& [name, d] : indegree)
      if (d > 0) left.insert(name);
    throw InvalidInputError("cycle in model references: " + DescribeCycle(left, refs));
  }

  // Selection: names, `name+` (descendants), `+name` (ancestors); then the views downstream of anything
  // rebuilt, since replacing a relation drops the views on top of it (PostgreSQL's DROP ... CASCADE).
  std::set<std::string> selected;
  if (options.select.empty()) {
    selected.insert(order.begin(), order.end());
  } else {
    std::function<void(const std::string&)> down = [&](const std::string& n) {
      for (const auto& c : children[n])
        if (selected.insert(c).second) down(c);
    };
    std::function<void(const std::string&)> up = [&](const std::string& n) {
      for (const auto& r : refs[n])
        if (selected.insert(r).second) up(r);
    };
    for (std::string s : options.select) {
      const bool ancestors = !s.empty() && s.front() == '+';
      const bool descendants = !s.empty() && s.back() == '+';
      if (ancestors) s.erase(0, 1);
      if (descendants && !s.empty()) s.pop_back();
      if (!enabled.count(s)) {
        throw InvalidInputError("--select " + s + ": no enabled model has that name" +
                                (disabled.count(s) ? " (it is disabled)" : ""));
      }
      selected.insert(s);
      if (descendants) down(s);
      if (ancestors) up(s);
    }
    for (const auto& name : order) {
      if (selected.count(name)) continue;
      if (enabled[name]->materialized != "view") continue;
      for (const auto& r : refs[name]) {
        if (selected.count(r)) {
          selected.insert(name);
          break;
        }
      }
    }
  }

  // Pass 2: render with relation names.
  auto relation_of = [&](const ModelInfo& info, std::string* schema_out = nullptr) {
    const std::string schema = info.schema.empty() ? options.target_schema : options.target_schema + "_" + info.schema;
    if (schema_out) *schema_out = schema;
    return Warehouse::QualifiedName(schema, info.alias);
  };
  RenderContext ctx = var_only;
  ctx.ref = [&](const std::string& name) { return relation_of(*enabled.at(name)); };
  ctx.source = [&](const std::string& s, const std::string& t) { return sources.at(SourceKey(s, t)).relation; };
  ctx.config = [](const std::string&, const JinjaValue&) {};
  ctx.macro = [&](const std::string& name, const std::vector<std::string>& args) {
    return warehouse::ExpandSqlMacro(dialect, name, args);
  };
  std::set<std::string> used_sources;
  for (const auto& name : order) {
    const ModelInfo& info = *enabled[name];
    CompiledModel m;
    m.name = name;
    m.path = info.file->path;
    m.relation = relation_of(info, &m.schema);
    m.alias = info.alias;
    m.materialized = info.materialized;
    m.refs = info.refs;
    for (const auto& [s, t] : info.sources) m.sources.push_back(SourceKey(s, t));
    m.selected = selected.count(name) > 0;
    m.sql = RenderTemplate(info.file->sql, info.file->path, ctx);
    if (m.selected) used_sources.insert(m.sources.begin(), m.sources.end());
    out.models.push_back(std::move(m));
  }
  for (const auto& key : used_sources) out.sources.push_back(sources.at(key));

  // Tests.
  std::set<std::string> names;
  for (const auto& spec : project.tests) {
    CompiledTest t;
    t.type = spec.type;
    t.column = spec.column;
    t.warn_only = spec.warn_only;
    t.file = spec.file;
    std::string relation;
    std::string name_base;
    bool skip = false;
    if (!spec.model.empty()) {
      auto it = enabled.find(spec.model);
      if (it == enabled.end()) continue;  // disabled or missing model: its tests are disabled too (as in dbt)
      if (!selected.count(spec.model)) continue;
      t.model = spec.model;
      t.depends_on.push_back(spec.model);
      relation = relation_of(*it->second);
      name_base = spec.model;
    } else {
      const std::string key = SourceKey(spec.source, spec.source_table);
      if (!used_sources.count(key)) continue;
      t.model = key;
      relation = sources.at(key).relation;
      name_base = "source_" + spec.source + "_" + spec.source_table;
    }
    // Other relations a test names (relationships to:, equal_rowcount compare_model:).
    RenderContext tctx = var_only;
    tctx.ref = [&](const std::string& name) {
      auto it = enabled.find(name);
      if (it == enabled.end()) {
        skip = true;
        out.warnings.push_back(spec.file + ": test on " + t.model + " names model " + name +
                               ", which is disabled or missing; the test is skipped");
        return std::string("NULL");
      }
      t.depends_on.push_back(name);
      return relation_of(*it->second);
    };
    tctx.source = [&](const std::string& s, const std::string& tb) {
      auto it = sources.find(SourceKey(s, tb));
      if (it == sources.end()) throw InvalidInputError("source('" + s + "', '" + tb + "') is not declared");
      return it->second.relation;
    };
    const std::string from =
        spec.where.empty() ? relation : "(SELECT * FROM " + relation + " WHERE " + spec.where + ")";
    const std::string& col = spec.column;
    if (spec.type == "not_null") {
      t.name = "not_null_" + name_base + "_" + TestNamePart(col);
      t.sql = "SELECT COUNT(*) AS failures FROM " + from + " AS t WHERE " + col + " IS NULL";
    } else if (spec.type == "unique") {
      t.name = "unique_" + name_base + "_" + TestNamePart(col);
      t.sql = "SELECT COUNT(*) AS failures FROM (SELECT " + col + " FROM " + from + " AS t WHERE " + col +
              " IS NOT NULL GROUP BY " + col + " HAVING COUNT(*) > 1) AS duplicates";
    } else if (spec.type == "accepted_values") {
      t.name = "accepted_values_" + name_base + "_" + TestNamePart(col);
      std::string list;
      for (const auto& v : spec.values) {
        if (!list.empty()) list += ", ";
        list += spec.quote ? Warehouse::QuoteLiteral(v.ToString()) : v.ToString();
        t.name += "__" + TestNamePart(v.ToString());
      }
      t.sql = "SELECT COUNT(*) AS failures FROM " + from + " AS t WHERE " + col + " IS NOT NULL AND " + col +
              " NOT IN (" + list + ")";
    } else if (spec.type == "relationships") {
      t.name = "relationships_" + name_base + "_" + TestNamePart(col) + "__" + TestNamePart(spec.field) + "__" +
               TestNamePart(spec.to);
      const std::string parent = EvaluateExpression(spec.to, spec.file, tctx).ToString();
      t.sql = "SELECT COUNT(*) AS failures FROM " + from + " AS child WHERE child." + col +
              " IS NOT NULL AND NOT EXISTS (SELECT 1 FROM " + parent + " AS parent WHERE parent." + spec.field +
              " = child." + col + ")";
    } else if (spec.type == "dbt_utils.equal_rowcount") {
      t.name = "dbt_utils_equal_rowcount_" + name_base + "_" + TestNamePart(spec.compare_model);
      const std::string other = EvaluateExpression(spec.compare_model, spec.file, tctx).ToString();
      t.sql = "SELECT ABS((SELECT COUNT(*) FROM " + from + " AS a) - (SELECT COUNT(*) FROM " + other +
              " AS b)) AS failures";
    }
    if (skip) continue;
    if (!spec.custom_name.empty()) t.name = spec.custom_name;
    while (t.name.size() && t.name.back() == '_') t.name.pop_back();
    if (!names.insert(t.name).second) {
      int n = 2;
      while (!names.insert(t.name + "_" + std::to_string(n)).second) ++n;
      t.name += "_" + std::to_string(n);
    }
    out.tests.push_back(std::move(t));
  }
  return out;
}

}  // namespace revlens::models
