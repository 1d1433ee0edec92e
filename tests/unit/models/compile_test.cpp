// Jinja subset, project loading and compilation: no warehouse needed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "core/errors.hpp"
#include "fixture_util.hpp"
#include "models/jinja.hpp"
#include "models/project.hpp"
#include "models/runner.hpp"
#include "warehouse/sql_dialect.hpp"

namespace revlens::models {
namespace {

using fixture::MinimalProjectYml;
using fixture::TempProject;
using ::testing::HasSubstr;

RenderContext TestContext(std::vector<std::string>* refs = nullptr,
                          std::map<std::string, JinjaValue>* config = nullptr) {
  RenderContext ctx;
  ctx.ref = [refs](const std::string& m) {
    if (refs) refs->push_back(m);
    return "\"s\".\"" + m + "\"";
  };
  ctx.source = [](const std::string& s, const std::string& t) { return "\"" + s + "\".\"" + t + "\""; };
  ctx.var = [](const std::string& name) -> std::optional<JinjaValue> {
    if (name == "landing_format") return JinjaValue::String("fivetran");
    if (name == "n") return JinjaValue::Number(3);
    if (name == "flag") return JinjaValue::Bool(true);
    return std::nullopt;
  };
  ctx.config = [config](const std::string& k, const JinjaValue& v) {
    if (config) (*config)[k] = v;
  };
  ctx.macro = [](const std::string& name, const std::vector<std::string>& args) {
    return warehouse::ExpandSqlMacro("duckdb", name, args);
  };
  return ctx;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(Jinja, RendersRefSourceVarAndComments) {
  std::vector<std::string> refs;
  const auto out = RenderTemplate(
      "{# a comment\nover lines #}select * from {{ ref('a') }} join {{ source('hubspot', 'deals') }}\n"
      "where x = '{{ var(\"landing_format\") }}' and n = {{ var('n') }} and m = {{ var('missing', 'dflt') }}",
      "m.sql", TestContext(&refs));
  EXPECT_EQ(out, "select * from \"s\".\"a\" join \"hubspot\".\"deals\"\nwhere x = 'fivetran' and n = 3 and m = dflt");
  EXPECT_EQ(refs, std::vector<std::string>{"a"});
}

TEST(Jinja, ConfigCapturesKeywordsAndWhitespaceControl) {
  std::map<std::string, JinjaValue> config;
  const auto out = RenderTemplate(
      "{{- config(materialized='table', enabled=var('landing_format') == 'fivetran', alias='x') -}}\n\nselect 1",
      "m.sql", TestContext(nullptr, &config));
  EXPECT_EQ(out, "select 1");
  EXPECT_EQ(config["materialized"], JinjaValue::String("table"));
  EXPECT_EQ(config["enabled"], JinjaValue::Bool(true));
  EXPECT_EQ(config["alias"], JinjaValue::String("x"));
  config.clear();
  RenderTemplate("{{ config(enabled=var('landing_format') != 'fivetran') }}", "m.sql", TestContext(nullptr, &config));
  EXPECT_EQ(config["enabled"], JinjaValue::Bool(false));
  RenderTemplate("{{ config(enabled=false) }}", "m.sql", TestContext(nullptr, &config));
  EXPECT_EQ(config["enabled"], JinjaValue::Bool(false));
  RenderTemplate("{{ config(enabled=(var('landing_format') in ['airbyte', 'fivetran']) and var('flag')) }}", "m.sql",
                 TestContext(nullptr, &config));
  EXPECT_EQ(config["enabled"], JinjaValue::Bool(true));
}

TEST(Jinja, ErrorsNameFileAndLine) {
  const auto ctx = TestContext();
  EXPECT_THAT(ErrorOf([&] { RenderTemplate("select\n1\n{% if x %}2{% endif %}", "models/a.sql", ctx); }),
              HasSubstr("models/a.sql:3: unsupported Jinja statement {% if %}"));
  EXPECT_THAT(ErrorOf([&] { RenderTemplate("select {{ run_query('x') }}", "a.sql", ctx); }),
              HasSubstr("a.sql:1: unsupported function run_query()"));
  EXPECT_THAT(ErrorOf([&] { RenderTemplate("\n\nselect {{ var('x') | upper }}", "a.sql", ctx); }),
              HasSubstr("a.sql:3: Jinja filters are not supported"));
  EXPECT_THAT(ErrorOf([&] { RenderTemplate("select {{ var('nope') }}", "a.sql", ctx); }),
              HasSubstr("a.sql:1: var 'nope' is not defined"));
  EXPECT_THAT(ErrorOf([&] { RenderTemplate("select {{ ref('a') ", "a.sql", ctx); }),
              HasSubstr("a.sql:1: unterminated {{"));
  EXPECT_THAT(ErrorOf([&] { RenderTemplate("select {{ dbt_utils.star('a') }}", "a.sql", ctx); }),
              HasSubstr("attribute access"));
}

TEST(Jinja, MacrosExpandPerDialect) {
  EXPECT_EQ(RenderTemplate("{{ revlens_days_between('a', 'b') }}", "m.sql", TestContext()),
            "date_diff('day', CAST(a AS DATE), CAST(b AS DATE))");
  EXPECT_EQ(warehouse::ExpandSqlMacro("postgresql", "revlens_days_between", {"a", "b"}),
            "CAST((CAST(b AS DATE) - CAST(a AS DATE)) AS BIGINT)");
  EXPECT_THROW(warehouse::ExpandSqlMacro("duckdb", "revlens_date_trunc", {"'fortnight'", "x"}), InvalidInputError);
  EXPECT_THROW(warehouse::ExpandSqlMacro("duckdb", "revlens_days_between", {"a"}), InvalidInputError);
}

TEST(Jinja, YamlStringsKeepTheirType) {
  const auto ctx = TestContext();
  EXPECT_EQ(RenderYamlString("{{ var('landing_format') == 'fivetran' }}", "x", ctx), JinjaValue::Bool(true));
  EXPECT_EQ(RenderYamlString("raw_{{ var('landing_format') }}", "x", ctx), JinjaValue::String("raw_fivetran"));
  EXPECT_EQ(RenderYamlString("plain", "x", ctx), JinjaValue::String("plain"));
}

TEST(Vars, ParseLikeYaml) {
  auto v = ParseVars("{a: 1, b: 'x', c: true, d: fivetran, e: [1, 2]}");
  EXPECT_EQ(v["a"], JinjaValue::Number(1));
  EXPECT_EQ(v["b"], JinjaValue::String("x"));
  EXPECT_EQ(v["c"], JinjaValue::Bool(true));
  EXPECT_EQ(v["d"], JinjaValue::String("fivetran"));
  EXPECT_EQ(v["e"].list.size(), 2u);
  EXPECT_EQ(ParseVars("k: v")["k"], JinjaValue::String("v"));
  EXPECT_THROW(ParseVars("[1, 2]"), ConfigError);
}

TEST(Compile, FixtureOrdersTheDagAndResolvesNames) {
  TempProject p("basic");
  const Project project = LoadProject(p.Dir());
  EXPECT_EQ(project.name, "fixture");
  EXPECT_EQ(project.models.size(), 5u);  // alt/stg_deals.sql included, disabled
  BuildOptions o;
  o.target_schema = "analytics";
  o.raw_schema = "landing";
  const auto c = Compile(project, o, "duckdb");
  std::vector<std::string> order;
  for (const auto& m : c.models) order.push_back(m.name);
  EXPECT_EQ(order, (std::vector<std::string>{"stg_companies", "stg_deals", "deals", "deal_summary"}));
  EXPECT_EQ(c.disabled, std::vector<std::string>{});  // the disabled stg_deals has an enabled twin
  const auto* deals = c.Find("deals");
  ASSERT_NE(deals, nullptr);
  EXPECT_EQ(deals->materialized, "table");
  EXPECT_EQ(deals->relation, "\"analytics\".\"deals\"");
  EXPECT_THAT(deals->sql, HasSubstr("from \"analytics\".\"stg_deals\" as d"));
  const auto* summary = c.Find("deal_summary");
  EXPECT_EQ(summary->materialized, "view");  // in-file config beats the folder's +materialized: table
  EXPECT_EQ(summary->relation, "\"analytics\".\"deal_summary_v\"");  // alias from the yml config
  EXPECT_EQ(summary->sql.substr(0, 6), "select");                    // {{- -}} stripped the newline
  const auto* stg = c.Find("stg_deals");
  EXPECT_EQ(stg->path, "models/staging/stg_deals.sql");
  EXPECT_THAT(stg->sql, HasSubstr("from \"landing\".\"deals\""));
  EXPECT_THAT(stg->sql, HasSubstr("'revlens' as landing"));
  EXPECT_THAT(stg->sql, HasSubstr("date_diff('day'"));
  // Sources used: both raw tables; tests on both sources' and models' columns.
  EXPECT_EQ(c.sources.size(), 2u);
  std::set<std::string> tests;
  for (const auto& t : c.tests) tests.insert(t.name);
  EXPECT_TRUE(tests.count("not_null_stg_deals_deal_id"));
  EXPECT_TRUE(tests.count("unique_source_raw_deals_id"));
  EXPECT_TRUE(tests.count("accepted_values_stg_deals_stage__open__won__lost"));
  EXPECT_TRUE(tests.count("relationships_stg_deals_company_id__company_id__ref_stg_companies"));
  EXPECT_TRUE(tests.count("dbt_utils_equal_rowcount_deals_ref_stg_deals"));
}

TEST(Compile, LandingSwitchesTheEnabledTwin) {
  TempProject p("basic");
  BuildOptions o;
  o.landing_format = "fivetran";
  // Both stg_deals are now enabled? No: staging/ has no enabled switch, so two are enabled -> clear error.
  EXPECT_THAT(ErrorOf([&] { Compile(LoadProject(p.Dir()), o, "duckdb"); }),
              HasSubstr("model stg_deals is defined twice and both are enabled"));
  p.Write("models/staging/stg_deals.sql",
          "{{ config(enabled=var('landing_format') == 'revlens') }}\n" +
              std::string("select id as deal_id, company_id, stage, amount, 0 as cycle_days, 'x' as landing from "
                          "{{ source('raw', 'deals') }}"));
  p.Write("models/staging/_fivetran.yml",
          "version: 2\nsources:\n  - name: fivetran\n    tables:\n      - name: deal\n");
  const auto c = Compile(LoadProject(p.Dir()), o, "duckdb");
  EXPECT_EQ(c.Find("stg_deals")->path, "models/alt/stg_deals.sql");
  EXPECT_THAT(c.Find("stg_deals")->sql, HasSubstr("\"fivetran\".\"deal\""));
}

TEST(Compile, CycleAndUnknownRefAreOneLineErrors) {
  TempProject p;
  p.Write("dbt_project.yml", MinimalProjectYml());
  p.Write("models/a.sql", "select * from {{ ref('b') }}");
  p.Write("models/b.sql", "select * from {{ ref('c') }}");
  p.Write("models/c.sql", "select * from {{ ref('a') }}");
  p.Write("models/d.sql", "select 1 as x");
  const auto err = ErrorOf([&] { Compile(LoadProject(p.Dir()), {}, "duckdb"); });
  EXPECT_THAT(err, HasSubstr("cycle in model references: a -> b -> c -> a"));
  EXPECT_EQ(err.find('\n'), std::string::npos);

  p.Write("models/c.sql", "select * from {{ ref('nowhere') }}");
  EXPECT_THAT(ErrorOf([&] { Compile(LoadProject(p.Dir()), {}, "duckdb"); }),
              HasSubstr("model c (models/c.sql) refs unknown model 'nowhere'"));

  p.Write("models/c.sql", "{{ config(enabled=false) }} select 1 as x");
  EXPECT_THAT(ErrorOf([&] { Compile(LoadProject(p.Dir()), {}, "duckdb"); }),
              HasSubstr("model b (models/b.sql) refs model c, which is disabled"));

  p.Write("models/b.sql", "select * from {{ source('hubspot', 'deals') }}");
  EXPECT_THAT(ErrorOf([&] { Compile(LoadProject(p.Dir()), {}, "duckdb"); }),
              HasSubstr("model b (models/b.sql) uses source('hubspot', 'deals'), which no yml declares"));
}

TEST(Compile, MacrosMustExistForDbt) {
  TempProject p;
  p.Write("dbt_project.yml", MinimalProjectYml());
  p.Write("models/a.sql", "select\n{{ revlens_date_trunc('month', 'x') }} as m");
  EXPECT_NO_THROW(Compile(LoadProject(p.Dir()), {}, "duckdb"));
  p.Remove("macros/revlens_macros.sql");
  EXPECT_THAT(ErrorOf([&] { Compile(LoadProject(p.Dir()), {}, "duckdb"); }),
              HasSubstr("models/a.sql:2: macro revlens_date_trunc is not defined under macros/"));
  p.Write("models/a.sql", "select {{ revlens_nope('x') }}");
  EXPECT_THAT(ErrorOf([&] { Compile(LoadProject(p.Dir()), {}, "duckdb"); }), HasSubstr("unknown macro revlens_nope"));
}

TEST(Compile, BadYmlIsAConfigErrorNamingTheFile) {
  TempProject p;
  p.Write("dbt_project.yml", MinimalProjectYml());
  p.Write("models/a.sql", "select 1 as x");
  p.Write("models/a.yml",
          "version: 2\nmodels:\n  - name: a\n    columns:\n      - name: x\n        tests: [is_positive]\n");
  EXPECT_THAT(ErrorOf([&] { LoadProject(p.Dir()); }), HasSubstr("models/a.yml:6: unsupported test 'is_positive'"));
  p.Write("models/a.yml", "version: 2\nmodels:\n  - name: a\n    columns: [\n");
  EXPECT_THAT(ErrorOf([&] { LoadProject(p.Dir()); }), HasSubstr("models/a.yml:"));
  p.Write("models/a.yml", "version: 2\n");
  p.Write("dbt_project.yml", MinimalProjectYml() + "models:\n  p:\n    +incremental_strategy: merge\n");
  EXPECT_THAT(ErrorOf([&] { LoadProject(p.Dir()); }), HasSubstr("unsupported model config 'incremental_strategy'"));
  EXPECT_THAT(ErrorOf([&] { LoadProject(p.Dir() + "/nope"); }), HasSubstr("no dbt_project.yml"));
}

TEST(Compile, SelectionAddsDescendantsAncestorsAndDownstreamViews) {
  TempProject p("basic");
  const Project project = LoadProject(p.Dir());
  auto selected = [&](std::vector<std::string> sel) {
    BuildOptions o;
    o.select = std::move(sel);
    std::vector<std::string> out;
    for (const auto& m : Compile(project, o, "duckdb").models)
      if (m.selected) out.push_back(m.name);
    return out;
  };
  // stg_companies is a view: rebuilding it... deals is a table, so nothing else is forced.
  EXPECT_EQ(selected({"stg_companies"}), std::vector<std::string>{"stg_companies"});
  EXPECT_EQ(selected({"stg_deals+"}), (std::vector<std::string>{"stg_deals", "deals", "deal_summary"}));
  EXPECT_EQ(selected({"+deals"}), (std::vector<std::string>{"stg_companies", "stg_deals", "deals", "deal_summary"}));
  // deal_summary is a view on deals: replacing deals drops it (PostgreSQL CASCADE), so it is rebuilt too.
  EXPECT_EQ(selected({"deals"}), (std::vector<std::string>{"deals", "deal_summary"}));
  EXPECT_THROW(selected({"nope"}), InvalidInputError);
}

}  // namespace
}  // namespace revlens::models

namespace revlens::models {
namespace {

// The dbt twins in sql/macros/revlens_macros.sql must expand to what revlens runs: substitute the arguments
// into the duckdb__/postgres__ (else default__) body and compare with ExpandSqlMacro, spaces normalized.
TEST(Macros, DbtTwinsMatchTheNativeExpansion) {
  std::ifstream in(fixture::RepoMacrosDir() / "revlens_macros.sql");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::map<std::string, std::pair<std::vector<std::string>, std::string>> macros;  // name -> (params, body)
  static const std::regex def(R"(\{%\s*macro\s+(\w+)\(([^)]*)\)\s*-%\}([\s\S]*?)\{%-\s*endmacro\s*%\})");
  for (std::sregex_iterator it(text.begin(), text.end(), def), end; it != end; ++it) {
    std::vector<std::string> params;
    std::stringstream ps((*it)[2].str());
    for (std::string p; std::getline(ps, p, ',');) {
      p.erase(0, p.find_first_not_of(' '));
      params.push_back(p.substr(0, p.find('=')));
    }
    macros[(*it)[1].str()] = {params, (*it)[3].str()};
  }
  auto normalize = [](std::string s) {
    std::string out;
    for (char c : s) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!out.empty() && out.back() != ' ') out += ' ';
      } else {
        out += c;
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
  };
  int compared = 0;
  for (const auto& info : warehouse::SqlMacros()) {
    const std::string name(info.name);
    ASSERT_TRUE(macros.count(name)) << name << " has no dbt twin";
    if (name == "revlens_string_agg") continue;
    for (const auto& [dialect, prefix] :
         {std::pair<std::string, std::string>{"duckdb", "duckdb__"}, {"postgresql", "postgres__"}}) {
      auto it = macros.find(prefix + name);
      if (it == macros.end()) it = macros.find("default__" + name);
      ASSERT_NE(it, macros.end()) << name << " has no default__ or " << prefix << " body";
      const auto& [params, body] = it->second;
      std::vector<std::string> args;
      std::string expanded = body;
      for (const auto& p : params) {
        const std::string arg = p == "part" ? "'month'" : "arg_" + p;
        args.push_back(arg);
        // In the dbt body the part is spliced inside quotes: '{{ part }}'.
        const std::string value = p == "part" ? "month" : arg;
        for (size_t pos; (pos = expanded.find("{{ " + p + " }}")) != std::string::npos;) {
          expanded.replace(pos, p.size() + 6, value);
        }
      }
      EXPECT_EQ(normalize(expanded), normalize(warehouse::ExpandSqlMacro(dialect, name, args)))
          << name << " on " << dialect;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12);
}

}  // namespace
}  // namespace revlens::models
