#include "serve/live_scoring.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "deliver/targets.hpp"
#include "insights/lead_model.hpp"

namespace revlens::serve {
namespace {

using warehouse::Value;

/// SQL's trim(): spaces only (core's TrimSpace also takes tabs and newlines, which the models keep).
std::string_view SqlTrim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

std::string Normalize(std::string_view title) {
  // lower(trim(jobtitle))
  std::string t(SqlTrim(title));
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

bool Has(const std::string& t, std::string_view part) {
  return t.find(part) != std::string::npos;
}

bool OneOf(const std::string& t, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), t) != set.end();
}

// Columns lead_features.sql fills with coalesce(..., 0): a contact with no history has zeros there, not NULLs.
const std::vector<std::string>& ZeroColumns() {
  static const std::vector<std::string> cols = {"created_by_import", "calls_before", "emails_before",
                                                "meetings_before",   "notes_before", "tasks_before",
                                                "usage_active_days", "usage_logins", "usage_key_feature_uses"};
  return cols;
}

// Live HubSpot property -> lead_features column, numbers (stg_hubspot__contacts keeps these names).
const std::vector<std::pair<std::string, std::string>>& NumericOverlay() {
  static const std::vector<std::pair<std::string, std::string>> m = {{"hs_analytics_num_visits", "web_visits"},
                                                                     {"hs_analytics_num_page_views", "web_page_views"},
                                                                     {"num_conversion_events", "form_submissions"},
                                                                     {"hs_email_open", "email_opens"},
                                                                     {"hs_email_click", "email_clicks"}};
  return m;
}

Value NumberOrNull(const std::string& text) {
  if (text.empty()) return Value();
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end && *end == '\0' && std::isfinite(v) ? Value(v) : Value();
}

Value TextOrNull(const std::string& text) {
  return text.empty() ? Value() : Value(text);
}

std::string Get(const std::map<std::string, std::string>& m, const std::string& k) {
  const auto it = m.find(k);
  return it == m.end() ? std::string() : it->second;
}

// The property a custom spec reads: `contacts.tech_stack=snowflake` -> (contacts, tech_stack).
std::pair<std::string, std::string> CustomProperty(const insights::FeatureSpec& s) {
  const size_t dot = s.name.find('.');
  if (dot == std::string::npos) return {};
  std::string prop = s.name.substr(dot + 1);
  if (s.kind == insights::FeatureKind::kOption) prop = prop.substr(0, prop.find('='));
  return {s.name.substr(0, dot), prop};
}

}  // namespace

std::string TitleSeniority(std::string_view jobtitle) {
  const std::string t = Normalize(jobtitle);
  if (t.empty()) return "";
  if (Has(t, "student") || t.ends_with("intern") || t.starts_with("intern")) return "student";
  if (OneOf(t, {"ceo", "cto", "cfo", "cmo", "coo", "cio", "cro", "chro", "cso", "cpo"}) || t.starts_with("chief ") ||
      Has(t, " chief ") || Has(t, "founder") || Has(t, "& ceo") || (Has(t, "president") && !Has(t, "vice president")))
    return "c_level";
  if (Has(t, "vice president") || t.starts_with("vp ") || Has(t, " vp ") || t.starts_with("svp ") ||
      t.starts_with("evp "))
    return "vp";
  if (Has(t, "director") || t.starts_with("head of ")) return "director";
  if (Has(t, "manager")) return "manager";
  return "individual_contributor";
}

std::string TitleJobFunction(std::string_view jobtitle) {
  const std::string t = Normalize(jobtitle);
  if (t.empty()) return "";
  if (Has(t, "revenue operations") || Has(t, "sales op") || Has(t, "revops")) return "revenue_operations";
  if (Has(t, "marketing") || Has(t, "growth") || Has(t, "brand") || t == "cmo") return "marketing";
  if (Has(t, "sales") || Has(t, "account executive") || Has(t, "business development") || Has(t, "revenue officer") ||
      t == "cro")
    return "sales";
  if (Has(t, "engineer") || Has(t, "developer") || Has(t, "technology officer") || t == "cto") return "engineering";
  if (Has(t, "financ") || Has(t, "accountant") || Has(t, "controller") || t == "cfo") return "finance";
  if (t.starts_with("it ") || t.ends_with(" it") || Has(t, " it ") || Has(t, "systems admin") ||
      Has(t, "information officer") || t == "cio")
    return "it";
  if (Has(t, "people") || Has(t, "recruit") || Has(t, "human resources") || t.starts_with("hr ") || Has(t, " hr") ||
      t == "chro")
    return "hr";
  if (Has(t, "operations") || t == "coo") return "operations";
  return "other";
}

std::string CompanySegment(std::string_view industry, std::optional<double> employees,
                           const std::map<std::string, std::string>& synonyms) {
  if (!employees || !std::isfinite(*employees)) return "";
  // nullif(upper(replace(replace(replace(replace(trim(industry), ' & ', ' '), '&', ' '), '-', ''), ' ', '_')), '')
  industry = SqlTrim(industry);
  std::string key;
  for (size_t i = 0; i < industry.size(); ++i) {
    if (industry.compare(i, 3, " & ") == 0) {
      key += '_';
      i += 2;
    } else if (industry[i] == '&' || industry[i] == ' ') {
      key += '_';
    } else if (industry[i] != '-') {
      key += static_cast<char>(std::toupper(static_cast<unsigned char>(industry[i])));
    }
  }
  if (key.empty()) return "";
  const auto mapped = synonyms.find(key);
  std::string out = mapped != synonyms.end() ? mapped->second : key;
  for (char& c : out) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // The companies mart's size_band.
  const double e = *employees;
  const char* band = e <= 10     ? "1-10"
                     : e <= 50   ? "11-50"
                     : e <= 200  ? "51-200"
                     : e <= 1000 ? "201-1000"
                     : e <= 5000 ? "1001-5000"
                                 : "5001+";
  return out + ", " + band + " employees";
}

LiveScorer::LiveScorer() = default;
LiveScorer::~LiveScorer() = default;

std::shared_ptr<const LiveScorer> LiveScorer::Load(warehouse::Warehouse& wh, const std::string& schema) {
  std::shared_ptr<LiveScorer> s(new LiveScorer());
  if (!wh.TableExists(schema, "model_runs")) {
    s->reason_ = "no model: " + schema + ".model_runs does not exist (run `revlens score`)";
    return s;
  }
  const auto rs =
      wh.Query("SELECT model_version, artifact FROM " + warehouse::Warehouse::QualifiedName(schema, "model_runs") +
               " WHERE status = 'trained' AND artifact IS NOT NULL ORDER BY trained_at DESC LIMIT 1");
  if (rs.rows.empty()) {
    s->reason_ = "no model: no trained lead model in " + schema + ".model_runs (run `revlens score`)";
    return s;
  }
  auto model = insights::LoadLeadModel(warehouse::AsString(rs.rows[0][1]));
  auto baseline = std::make_unique<insights::LeadData>(insights::LoadLeadData(wh, schema));
  for (size_t r = 0; r < baseline->Rows(); ++r) {
    s->rows_[baseline->id[r]] = r;
    const double company = baseline->Num(r, "company_id");
    if (!std::isnan(company)) s->companies_.emplace(static_cast<int64_t>(company), r);
  }
  if (wh.TableExists(schema, "icp_industry_synonyms")) {
    const auto syn = wh.Query("SELECT industry_key, industry FROM " +
                              warehouse::Warehouse::QualifiedName(schema, "icp_industry_synonyms"));
    for (const auto& r : syn.rows)
      if (!warehouse::IsNull(r[0]) && !warehouse::IsNull(r[1]))
        s->industry_synonyms_[warehouse::ToString(r[0])] = warehouse::ToString(r[1]);
  }
  s->model_version_ = warehouse::IsNull(rs.rows[0][0]) ? "" : warehouse::AsString(rs.rows[0][0]);
  s->baseline_ = std::move(baseline);
  s->model_ = std::move(model);
  return s;
}

std::vector<std::string> LiveScorer::ContactProperties() const {
  std::vector<std::string> out = {"jobtitle", "hs_analytics_source", "country", "phone", "createdate"};
  for (const auto& [prop, col] : NumericOverlay()) out.push_back(prop);
  if (model_) {
    for (const auto& s : model_->specs) {
      const auto [object, prop] = CustomProperty(s);
      if (object == "contacts" && s.kind != insights::FeatureKind::kDateAge) out.push_back(prop);
    }
  }
  for (const auto& t : deliver::DefaultTargets()) {
    if (t.name != "lead_scores") continue;
    for (const auto& f : t.fields) {
      out.push_back(f.property);
      if (!f.shadow_property.empty()) out.push_back(f.shadow_property);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> LiveScorer::CompanyProperties() const {
  std::vector<std::string> out = {"industry", "numberofemployees", "annualrevenue", "country", "type"};
  if (model_) {
    for (const auto& s : model_->specs) {
      const auto [object, prop] = CustomProperty(s);
      if (object == "companies" && s.kind != insights::FeatureKind::kDateAge) out.push_back(prop);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<LiveScore> LiveScorer::Score(const std::vector<LiveContact>& contacts, int64_t now_ms) const {
  if (!model_) throw InvalidInputError("no lead model to score with: " + reason_);
  const insights::LeadData& b = *baseline_;
  insights::LeadData d;
  d.rs.columns = b.rs.columns;
  d.col = b.col;
  d.as_of_date = b.as_of_date;
  d.as_of_end_ms = b.as_of_end_ms;
  d.prediction_days = b.prediction_days;
  auto set = [&](std::vector<Value>& row, const std::string& column, Value v) {
    const auto it = d.col.find(column);
    if (it != d.col.end()) row[it->second] = std::move(v);
  };
  auto base = [&](size_t r, const std::string& column) -> Value {
    const auto it = b.col.find(column);
    return it == b.col.end() ? Value() : b.rs.rows[r][it->second];
  };
  for (const auto& c : contacts) {
    const auto known = rows_.find(c.id);
    std::vector<Value> row;
    if (known != rows_.end()) {
      row = b.rs.rows[known->second];
    } else {
      row.assign(d.rs.columns.size(), Value());
      for (const auto& z : ZeroColumns()) set(row, z, Value(int64_t{0}));
    }
    const auto& p = c.properties;
    const std::string title = Get(p, "jobtitle");
    set(row, "jobtitle", TextOrNull(title));
    set(row, "seniority", TextOrNull(TitleSeniority(title)));
    set(row, "job_function", TextOrNull(TitleJobFunction(title)));
    set(row, "original_source", TextOrNull(Get(p, "hs_analytics_source")));
    set(row, "contact_country", TextOrNull(Get(p, "country")));
    set(row, "has_phone", Value(!Get(p, "phone").empty()));
    for (const auto& [prop, col] : NumericOverlay()) set(row, col, NumberOrNull(Get(p, prop)));
    set(row, "has_company", Value(c.company_id.has_value()));
    set(row, "company_id", c.company_id ? Value(*c.company_id) : Value());
    // The company: the last build's row for it when there is one, else what HubSpot says now.
    const auto co = c.company_id ? companies_.find(*c.company_id) : companies_.end();
    const auto& cp = c.company_properties;
    if (co != companies_.end()) {
      for (const char* col : {"company_industry", "company_employees", "company_revenue", "company_country",
                              "company_type", "company_segment"})
        set(row, col, base(co->second, col));
    } else {
      // A company the last build has not seen: its segment as the build would make it (industry spellings mapped
      // by the build's synonyms, the employee band).
      set(row, "company_industry", TextOrNull(Get(cp, "industry")));
      const Value employees = NumberOrNull(Get(cp, "numberofemployees"));
      set(row, "company_employees", employees);
      const auto* n = std::get_if<double>(&employees);
      set(row, "company_segment",
          TextOrNull(
              CompanySegment(Get(cp, "industry"), n ? std::optional<double>(*n) : std::nullopt, industry_synonyms_)));
      set(row, "company_revenue", NumberOrNull(Get(cp, "annualrevenue")));
      set(row, "company_country", TextOrNull(Get(cp, "country")));
      set(row, "company_type", TextOrNull(Get(cp, "type")));
    }
    // Custom properties the model uses (date ages keep the build's value: HubSpot's ISO dates are not numbers).
    for (const auto& s : model_->specs) {
      const auto [object, prop] = CustomProperty(s);
      if (s.kind == insights::FeatureKind::kDateAge || prop.empty()) continue;
      if (object == "contacts") set(row, s.column, TextOrNull(Get(p, prop)));
      if (object == "companies") {
        if (co != companies_.end())
          set(row, s.column, base(co->second, s.column));
        else
          set(row, s.column, TextOrNull(Get(cp, prop)));
      }
    }
    // One country, the company's else the contact's (as LoadLeadData derives it).
    std::string country = warehouse::IsNull(row[d.col.at("company_country")])
                              ? std::string()
                              : warehouse::ToString(row[d.col.at("company_country")]);
    if (country.empty()) country = Get(p, "country");
    set(row, "country", TextOrNull(country));
    d.rs.rows.push_back(std::move(row));
    int64_t created = known != rows_.end() ? b.created_ms[known->second] : -1;
    if (const auto t = ParseTimestampMillis(Get(p, "createdate"))) created = *t;
    d.id.push_back(c.id);
    d.created_ms.push_back(created);
    d.prediction_ms.push_back(now_ms);
    d.sql_ms.push_back(-1);
    d.opp_ms.push_back(-1);
    d.customer_ms.push_back(-1);
  }
  std::vector<size_t> all(d.Rows());
  std::iota(all.begin(), all.end(), size_t{0});
  const insights::FeatureMatrix x = model_->EncodeRows(d, all);
  const auto scores = insights::ScoreLeads(*model_, x, insights::ReasonMode::kExact);

  const insights::ScoringOptions defaults;
  deliver::PushTarget target;
  for (auto& t : deliver::DefaultTargets())
    if (t.name == "lead_scores") target = t;
  std::vector<LiveScore> out;
  for (size_t i = 0; i < contacts.size(); ++i) {
    LiveScore ls;
    ls.contact_id = contacts[i].id;
    ls.score = scores[i];
    const bool holdout =
        insights::AbGroup(ls.contact_id, defaults.ab_holdout_share, defaults.ab_salt) == target.holdout_value;
    ls.shadow = !model_->usable || holdout;
    const std::map<std::string, Value> values = {{"likelihood", Value(ls.score.likelihood)},
                                                 {"tier", Value(std::string(1, ls.score.tier))},
                                                 {"fit", Value(ls.score.fit)},
                                                 {"engagement", Value(ls.score.engagement)},
                                                 {"reasons", TextOrNull(ls.score.reasons)},
                                                 {"model_version", TextOrNull(model_version_)},
                                                 {"scored_at", Value(warehouse::TimestampFromMillis(now_ms))}};
    for (const auto& f : target.fields) {
      const auto v = values.find(f.column);
      if (v == values.end()) continue;
      const std::string text = deliver::FormatValue(f, v->second);
      if (!ls.shadow) {
        ls.properties[f.property] = text;
      } else {
        ls.properties[f.shadow_property] = text;
        if (holdout) ls.properties[f.property] = "";  // the holdout shows no visible score, as `revlens push` does
      }
    }
    out.push_back(std::move(ls));
  }
  return out;
}

}  // namespace revlens::serve
