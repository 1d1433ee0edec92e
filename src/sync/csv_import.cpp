#include "sync/csv_import.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "core/time_zone.hpp"
#include "sync/loader.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::sync {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int64_t> ParseId(std::string_view text) {
  text = TrimSpace(text);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::vector<std::string_view> SplitSemicolons(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(';', start);
    if (end == std::string_view::npos) end = s.size();
    auto part = TrimSpace(s.substr(start, end - start));
    if (!part.empty()) out.push_back(part);
    start = end + 1;
  }
  return out;
}

/// `Became a Lead Date` -> `became_a_lead_date`: the name a custom property gets from its label.
std::string SnakeCase(std::string_view label) {
  std::string out;
  for (char c : label) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out.front()))) out = "p_" + out;
  return out;
}

// ------------------------------------------------------------------ HubSpot's default labels
// Mirrors the defaults a new portal has (src/emulator/schema.cpp) plus the labels HubSpot's UI prints in exports
// that differ from the property labels (`Contact owner`, `Company name`, ...). Sync does not link the emulator.

struct BuiltinProp {
  const char* type;  // object type
  const char* name;
  const char* label;
  const char* htype;
  const char* field;
  const char* group;
};

constexpr BuiltinProp kBuiltinProps[] = {
    {"*", "hs_object_id", "Record ID", "number", "number", ""},
    {"*", "hs_createdate", "Create date", "datetime", "date", ""},
    {"*", "hs_lastmodifieddate", "Last modified date", "datetime", "date", ""},
    {"contacts", "hubspot_owner_id", "Contact owner", "enumeration", "select", "contactinformation"},
    {"companies", "hubspot_owner_id", "Company owner", "enumeration", "select", "companyinformation"},
    {"deals", "hubspot_owner_id", "Deal owner", "enumeration", "select", "dealinformation"},
    {"*", "hubspot_owner_id", "Owner", "enumeration", "select", ""},
    {"contacts", "createdate", "Create Date", "datetime", "date", "contactinformation"},
    {"contacts", "lastmodifieddate", "Last Modified Date", "datetime", "date", "contactinformation"},
    {"contacts", "email", "Email", "string", "text", "contactinformation"},
    {"contacts", "firstname", "First Name", "string", "text", "contactinformation"},
    {"contacts", "lastname", "Last Name", "string", "text", "contactinformation"},
    {"contacts", "phone", "Phone Number", "string", "phonenumber", "contactinformation"},
    {"contacts", "company", "Company Name", "string", "text", "contactinformation"},
    {"contacts", "jobtitle", "Job Title", "string", "text", "contactinformation"},
    {"contacts", "country", "Country/Region", "string", "text", "contactinformation"},
    {"contacts", "state", "State/Region", "string", "text", "contactinformation"},
    {"contacts", "city", "City", "string", "text", "contactinformation"},
    {"contacts", "lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "contactinformation"},
    {"contacts", "hs_lead_status", "Lead Status", "enumeration", "radio", "contactinformation"},
    {"contacts", "associatedcompanyid", "Primary Associated Company ID", "number", "number", "contactinformation"},
    {"contacts", "hs_analytics_source", "Original Source", "enumeration", "select", "analyticsinformation"},
    {"contacts", "hs_analytics_num_visits", "Number of Sessions", "number", "number", "analyticsinformation"},
    {"contacts", "hs_analytics_num_page_views", "Number of Pageviews", "number", "number", "analyticsinformation"},
    {"contacts", "num_conversion_events", "Number of Form Submissions", "number", "number", "conversioninformation"},
    {"contacts", "hs_email_open", "Marketing emails opened", "number", "number", "emailinformation"},
    {"contacts", "hs_email_click", "Marketing emails clicked", "number", "number", "emailinformation"},
    {"contacts", "hs_merged_object_ids", "Merged Contact IDs", "enumeration", "checkbox", "contactinformation"},
    {"contacts", "notes_last_updated", "Last Activity Date", "datetime", "date", "contactinformation"},
    {"contacts", "hs_lifecyclestage_subscriber_date", "Became a Subscriber Date", "datetime", "date",
     "contactinformation"},
    {"contacts", "hs_lifecyclestage_lead_date", "Became a Lead Date", "datetime", "date", "contactinformation"},
    {"contacts", "hs_lifecyclestage_marketingqualifiedlead_date", "Became a Marketing Qualified Lead Date", "datetime",
     "date", "contactinformation"},
    {"contacts", "hs_lifecyclestage_salesqualifiedlead_date", "Became a Sales Qualified Lead Date", "datetime", "date",
     "contactinformation"},
    {"contacts", "hs_lifecyclestage_opportunity_date", "Became an Opportunity Date", "datetime", "date",
     "contactinformation"},
    {"contacts", "hs_lifecyclestage_customer_date", "Became a Customer Date", "datetime", "date", "contactinformation"},
    {"contacts", "hs_lifecyclestage_evangelist_date", "Became an Evangelist Date", "datetime", "date",
     "contactinformation"},
    {"contacts", "hs_lifecyclestage_other_date", "Became an Other Lifecycle Date", "datetime", "date",
     "contactinformation"},
    {"companies", "createdate", "Create Date", "datetime", "date", "companyinformation"},
    {"companies", "name", "Company name", "string", "text", "companyinformation"},
    {"companies", "name", "Name", "string", "text", "companyinformation"},
    {"companies", "domain", "Company Domain Name", "string", "text", "companyinformation"},
    {"companies", "website", "Website URL", "string", "text", "companyinformation"},
    {"companies", "phone", "Phone Number", "string", "phonenumber", "companyinformation"},
    {"companies", "industry", "Industry", "enumeration", "select", "companyinformation"},
    {"companies", "numberofemployees", "Number of Employees", "number", "number", "companyinformation"},
    {"companies", "annualrevenue", "Annual Revenue", "number", "number", "companyinformation"},
    {"companies", "country", "Country/Region", "string", "text", "companyinformation"},
    {"companies", "state", "State/Region", "string", "text", "companyinformation"},
    {"companies", "city", "City", "string", "text", "companyinformation"},
    {"companies", "type", "Type", "enumeration", "select", "companyinformation"},
    {"companies", "lifecyclestage", "Lifecycle Stage", "enumeration", "radio", "companyinformation"},
    {"companies", "description", "Description", "string", "textarea", "companyinformation"},
    {"companies", "notes_last_updated", "Last Activity Date", "datetime", "date", "companyinformation"},
    {"deals", "createdate", "Create Date", "datetime", "date", "dealinformation"},
    {"deals", "dealname", "Deal Name", "string", "text", "dealinformation"},
    {"deals", "amount", "Amount", "number", "number", "dealinformation"},
    {"deals", "dealstage", "Deal Stage", "enumeration", "radio", "dealinformation"},
    {"deals", "pipeline", "Pipeline", "enumeration", "select", "dealinformation"},
    {"deals", "closedate", "Close Date", "datetime", "date", "dealinformation"},
    {"deals", "dealtype", "Deal Type", "enumeration", "radio", "dealinformation"},
    {"deals", "description", "Deal Description", "string", "textarea", "dealinformation"},
    {"deals", "hs_manual_forecast_category", "Forecast category", "enumeration", "select", "dealinformation"},
    {"deals", "closed_lost_reason", "Closed Lost Reason", "string", "textarea", "dealinformation"},
    {"deals", "closed_won_reason", "Closed Won Reason", "string", "textarea", "dealinformation"},
    {"deals", "hs_deal_stage_probability", "Deal probability", "number", "number", "dealinformation"},
    {"deals", "hs_is_closed", "Is Deal Closed?", "bool", "booleancheckbox", "dealinformation"},
    {"deals", "hs_is_closed_won", "Is closed won", "bool", "booleancheckbox", "dealinformation"},
    {"deals", "notes_last_updated", "Last Activity Date", "datetime", "date", "dealinformation"},
};

using Options = std::vector<std::pair<std::string, std::string>>;  // (value, label)

const std::map<std::pair<std::string, std::string>, Options>& BuiltinOptions() {
  static const Options lifecycle = {{"subscriber", "Subscriber"},
                                    {"lead", "Lead"},
                                    {"marketingqualifiedlead", "Marketing Qualified Lead"},
                                    {"salesqualifiedlead", "Sales Qualified Lead"},
                                    {"opportunity", "Opportunity"},
                                    {"customer", "Customer"},
                                    {"evangelist", "Evangelist"},
                                    {"other", "Other"}};
  static const std::map<std::pair<std::string, std::string>, Options> kOptions = {
      {{"contacts", "lifecyclestage"}, lifecycle},
      {{"companies", "lifecyclestage"}, lifecycle},
      {{"contacts", "hs_analytics_source"},
       {{"ORGANIC_SEARCH", "Organic Search"},
        {"PAID_SEARCH", "Paid Search"},
        {"EMAIL_MARKETING", "Email Marketing"},
        {"SOCIAL_MEDIA", "Organic Social"},
        {"REFERRALS", "Referrals"},
        {"OTHER_CAMPAIGNS", "Other Campaigns"},
        {"DIRECT_TRAFFIC", "Direct Traffic"},
        {"OFFLINE", "Offline Sources"},
        {"PAID_SOCIAL", "Paid Social"}}},
      {{"contacts", "hs_lead_status"},
       {{"NEW", "New"},
        {"OPEN", "Open"},
        {"IN_PROGRESS", "In Progress"},
        {"OPEN_DEAL", "Open Deal"},
        {"UNQUALIFIED", "Unqualified"},
        {"ATTEMPTED_TO_CONTACT", "Attempted to Contact"},
        {"CONNECTED", "Connected"},
        {"BAD_TIMING", "Bad Timing"}}},
      {{"companies", "type"},
       {{"PROSPECT", "Prospect"},
        {"PARTNER", "Partner"},
        {"RESELLER", "Reseller"},
        {"VENDOR", "Vendor"},
        {"OTHER", "Other"}}},
      {{"deals", "dealtype"}, {{"newbusiness", "New Business"}, {"existingbusiness", "Existing Business"}}},
      {{"deals", "hs_manual_forecast_category"},
       {{"OMIT", "Not forecasted"},
        {"PIPELINE", "Pipeline"},
        {"BEST_CASE", "Best case"},
        {"COMMIT", "Commit"},
        {"CLOSED", "Closed won"}}},
  };
  return kOptions;
}

std::string OptionsJson(const Options& options) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [value, label] : options) j.push_back({{"label", label}, {"value", value}});
  return j.dump();
}

Options ParseOptionsJson(const std::string& text) {
  Options out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& o : j) {
    if (!o.is_object()) continue;
    auto str = [&](const char* k) {
      return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
    };
    out.emplace_back(str("value"), str("label"));
  }
  return out;
}

// ------------------------------------------------------------------ what the warehouse already knows

struct StageInfo {
  std::string pipeline_id, pipeline_label, stage_id, label;
};

struct Metadata {
  std::vector<PropertyMeta> existing;      ///< the `properties` rows of the object type (a previous sync or import)
  std::vector<PropertyMeta> known;         ///< existing, else HubSpot's defaults
  std::map<std::string, Options> options;  ///< by property name
  std::vector<StageInfo> stages;           ///< deal pipelines' stages (warehouse, else HubSpot's default pipeline)
  std::map<std::string, std::string> owner_by_name;  ///< lowercased "first last" and email -> owner id
};

std::string Str(const Value& v) {
  return warehouse::IsNull(v) ? std::string() : warehouse::ToString(v);
}

Metadata LoadMetadata(Warehouse& wh, const std::string& schema, const std::string& type) {
  Metadata md;
  auto props = wh.Query(
      "SELECT name, label, type, field_type, group_name, description, options, hubspot_defined, "
      "calculated, is_deleted FROM " +
      Warehouse::QualifiedName(schema, "properties") + " WHERE object_type = " + Warehouse::QuoteLiteral(type) +
      " ORDER BY name");
  for (const auto& r : props.rows) {
    PropertyMeta p;
    p.name = Str(r[0]);
    p.label = Str(r[1]);
    p.type = Str(r[2]);
    p.field_type = Str(r[3]);
    p.group_name = Str(r[4]);
    p.description = Str(r[5]);
    p.options_json = warehouse::IsNull(r[6]) ? "[]" : Str(r[6]);
    p.hubspot_defined = !warehouse::IsNull(r[7]) && warehouse::AsBool(r[7]);
    p.calculated = !warehouse::IsNull(r[8]) && warehouse::AsBool(r[8]);
    p.archived = !warehouse::IsNull(r[9]) && warehouse::AsBool(r[9]);
    md.options[p.name] = ParseOptionsJson(p.options_json);
    md.existing.push_back(std::move(p));
  }
  std::set<std::string> seen;
  for (const auto& p : md.existing) seen.insert(p.name);
  md.known = md.existing;
  // HubSpot's defaults fill in what the metadata lacks (all of it when no sync ran); labels of the metadata win.
  for (const auto& b : kBuiltinProps) {
    if (std::string_view(b.type) != "*" && b.type != type) continue;
    PropertyMeta p;
    p.name = b.name;
    p.label = b.label;
    p.type = b.htype;
    p.field_type = b.field;
    p.group_name = *b.group ? b.group
                            : (type == "contacts"    ? "contactinformation"
                               : type == "companies" ? "companyinformation"
                                                     : "dealinformation");
    p.hubspot_defined = true;
    auto opt = BuiltinOptions().find({type, b.name});
    if (opt != BuiltinOptions().end()) {
      p.options_json = OptionsJson(opt->second);
      if (!md.options.count(p.name)) md.options[p.name] = opt->second;
    }
    md.known.push_back(std::move(p));
  }

  if (type == "deals") {
    auto stages =
        wh.Query("SELECT s.pipeline_id, p.label, s.stage_id, s.label FROM " +
                 Warehouse::QualifiedName(schema, "pipeline_stages") + " s LEFT JOIN " +
                 Warehouse::QualifiedName(schema, "pipelines") +
                 " p ON p.object_type = s.object_type AND p.pipeline_id = s.pipeline_id WHERE s.object_type = 'deals' "
                 "ORDER BY s.pipeline_id, s.display_order, s.stage_id");
    for (const auto& r : stages.rows) md.stages.push_back({Str(r[0]), Str(r[1]), Str(r[2]), Str(r[3])});
    if (md.stages.empty()) {
      // HubSpot's default sales pipeline, as a new portal has it.
      static constexpr std::pair<const char*, const char*> kDefault[] = {
          {"appointmentscheduled", "Appointment Scheduled"},
          {"qualifiedtobuy", "Qualified To Buy"},
          {"presentationscheduled", "Presentation Scheduled"},
          {"decisionmakerboughtin", "Decision Maker Bought-In"},
          {"contractsent", "Contract Sent"},
          {"closedwon", "Closed Won"},
          {"closedlost", "Closed Lost"}};
      for (const auto& [id, label] : kDefault) md.stages.push_back({"default", "Sales Pipeline", id, label});
    }
    // The stage-date properties HubSpot derives from each stage (labels as exports print them).
    // Metadata labels can lag a relabelled stage, so these labels are added beside them as aliases.
    std::set<std::string> have;
    for (const auto& p : md.known) have.insert(Lower(p.label));
    for (const auto& s : md.stages) {
      for (const auto& [prefix, word] :
           {std::pair{"hs_date_entered_", "entered"}, std::pair{"hs_date_exited_", "exited"}}) {
        const std::string label = std::string("Date ") + word + " \"" + s.label + " (" + s.pipeline_label + ")\"";
        if (have.count(Lower(label))) continue;
        PropertyMeta p;
        p.name = prefix + s.stage_id;
        p.label = label;
        p.type = "datetime";
        p.field_type = "date";
        p.group_name = "dealstages";
        p.hubspot_defined = true;
        p.calculated = true;
        md.known.push_back(std::move(p));
      }
    }
  }

  auto owners = wh.Query("SELECT id, first_name, last_name, email FROM " + Warehouse::QualifiedName(schema, "owners"));
  for (const auto& r : owners.rows) {
    const std::string id = Str(r[0]);
    const std::string full = Lower(std::string(TrimSpace(Str(r[1]) + " " + Str(r[2]))));
    if (!full.empty()) md.owner_by_name.emplace(full, id);
    if (!warehouse::IsNull(r[3])) md.owner_by_name.emplace(Lower(Str(r[3])), id);
  }
  return md;
}

// ------------------------------------------------------------------ header plan

enum class ColumnRole { kId, kProperty, kAssociationIds, kAssociationNames, kIgnored };

struct PlannedColumn {
  ColumnRole role = ColumnRole::kIgnored;
  size_t property = 0;      ///< index into Plan::properties (kProperty)
  std::string target_type;  ///< kAssociation*: contacts | companies | deals
};

struct Plan {
  std::vector<PlannedColumn> columns;  ///< one per header field
  std::vector<PropertyMeta> properties;
  std::vector<bool> is_new;  ///< properties[i] is not in the warehouse's metadata
  std::optional<size_t> id_column;
};

bool IsIdHeader(std::string_view h) {
  const std::string l = Lower(TrimSpace(h));
  return l == "record id" || l == "contact id" || l == "company id" || l == "deal id";
}

/// `Associated Company IDs`, `Associated Company IDs (Primary)`, `Associated Contact`, ... -> (target, ids?).
std::optional<std::pair<std::string, bool>> ParseAssociationHeader(std::string_view h) {
  const std::string l = Lower(TrimSpace(h));
  if (l.rfind("associated ", 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(l).substr(11);
  std::string target;
  if (rest.rfind("compan", 0) == 0) {
    target = "companies";
  } else if (rest.rfind("contact", 0) == 0) {
    target = "contacts";
  } else if (rest.rfind("deal", 0) == 0) {
    target = "deals";
  } else {
    return std::nullopt;
  }
  const bool ids = rest.find(" id") != std::string_view::npos;
  return std::pair{target, ids};
}

Plan MakePlan(const std::vector<std::string>& header, const std::string& type, const Metadata& md,
              std::vector<std::string>& custom) {
  Plan plan;
  std::map<std::string, size_t> exact, folded;  // label -> index into md.known
  for (size_t i = 0; i < md.known.size(); ++i) {
    exact.emplace(md.known[i].label, i);
    folded.emplace(Lower(md.known[i].label), i);
  }
  std::set<std::string> existing_names, used;
  for (const auto& p : md.existing) existing_names.insert(p.name);
  for (size_t c = 0; c < header.size(); ++c) {
    PlannedColumn pc;
    const std::string label(TrimSpace(header[c]));
    if (IsIdHeader(label) && !plan.id_column) {
      pc.role = ColumnRole::kId;
      plan.id_column = c;
    } else if (auto assoc = ParseAssociationHeader(label); assoc && assoc->first != type) {
      pc.role = assoc->second ? ColumnRole::kAssociationIds : ColumnRole::kAssociationNames;
      pc.target_type = assoc->first;
    } else if (!label.empty()) {
      PropertyMeta meta;
      std::optional<size_t> known;
      if (auto it = exact.find(label); it != exact.end()) {
        known = it->second;
      } else if (auto f = folded.find(Lower(label)); f != folded.end()) {
        known = f->second;
      }
      if (known) {
        meta = md.known[*known];
      } else if (const std::string l = Lower(label);
                 type == "deals" && (l.rfind("date entered \"", 0) == 0 || l.rfind("date exited \"", 0) == 0)) {
        // A stage of a pipeline the warehouse has no metadata for: still HubSpot's stage-date property, but its
        // internal name (hs_date_entered_<stage id>) is unknowable from the label.
        meta.name = SnakeCase(label);
        meta.label = label;
        meta.type = "datetime";
        meta.field_type = "date";
        meta.group_name = "dealstages";
        meta.hubspot_defined = true;
        meta.calculated = true;
      } else {
        meta.name = SnakeCase(label);
        meta.label = label;
        meta.type = "string";
        meta.field_type = "text";
        meta.group_name = "import";
        custom.push_back(label);
      }
      if (used.insert(meta.name).second) {
        pc.role = ColumnRole::kProperty;
        pc.property = plan.properties.size();
        plan.is_new.push_back(!existing_names.count(meta.name));
        plan.properties.push_back(std::move(meta));
      }
    }
    plan.columns.push_back(pc);
  }
  // Names are a fallback: with an `IDs` column for the same type, the name column adds nothing.
  for (auto& pc : plan.columns) {
    if (pc.role != ColumnRole::kAssociationNames) continue;
    const bool has_ids = std::any_of(plan.columns.begin(), plan.columns.end(), [&](const PlannedColumn& o) {
      return o.role == ColumnRole::kAssociationIds && o.target_type == pc.target_type;
    });
    if (has_ids) pc.role = ColumnRole::kIgnored;
  }
  return plan;
}

// ------------------------------------------------------------------ value conversion

struct Converter {
  const TimeZone& tz;
  const Metadata& md;

  std::optional<Value> Timestamp(std::string_view text) const {
    text = TrimSpace(text);
    if (text.empty()) return Value{};
    if (text.size() >= 11 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      int64_t ms = 0;
      std::from_chars(text.data(), text.data() + text.size(), ms);
      return Value{warehouse::TimestampFromMillis(ms)};
    }
    auto ts = warehouse::ParseTimestamp(text);
    if (!ts) return std::nullopt;
    // A zone in the text (`Z`, `+02:00`) was applied by the parser; otherwise it is portal wall-clock time.
    const bool zoned =
        text.back() == 'Z' || (text.size() > 10 && text.find_first_of("+-", 10) != std::string_view::npos);
    if (zoned) return Value{*ts};
    const int64_t local_s = FloorDiv(ts->micros, 1000000);
    const int64_t frac = ts->micros - local_s * 1000000;
    return Value{warehouse::Timestamp{tz.ToUtc(local_s) * 1000000 + frac}};
  }

  std::optional<Value> Convert(ColumnType type, std::string_view text) const {
    text = TrimSpace(text);
    if (text.empty()) return Value{};
    switch (type) {
      case ColumnType::kTimestamp:
        return Timestamp(text);
      case ColumnType::kDate: {
        if (auto d = warehouse::ParseDate(text.substr(0, 10));
            d && (text.size() == 10 || text[10] == ' ' || text[10] == 'T'))
          return Value{*d};
        return ConvertValue(type, text);
      }
      case ColumnType::kBoolean: {
        const std::string l = Lower(text);
        if (l == "true" || l == "yes") return Value{true};
        if (l == "false" || l == "no") return Value{false};
        return std::nullopt;
      }
      case ColumnType::kDouble:
      case ColumnType::kBigInt: {
        // Exports may group thousands (`1,250,000`) when a user's locale does.
        std::string digits;
        for (char c : text)
          if (c != ',') digits += c;
        return ConvertValue(type, digits);
      }
      default:
        return Value{std::string(text)};
    }
  }

  /// Enumeration text as printed (option labels, `;`-joined for checkboxes) back to option values.
  std::string OptionValues(const std::string& property, std::string_view text) const {
    auto it = md.options.find(property);
    if (it == md.options.end() || it->second.empty()) return std::string(text);
    std::string out;
    for (auto part : SplitSemicolons(text)) {
      std::string v(part);
      bool found = false;
      for (const auto& [value, label] : it->second) {
        if (value == part) {
          found = true;
          break;
        }
      }
      if (!found) {
        const std::string lp = Lower(part);
        for (const auto& [value, label] : it->second) {
          if (Lower(label) == lp) {
            v = value;
            break;
          }
        }
      }
      if (!out.empty()) out += ';';
      out += v;
    }
    return out;
  }

  std::string PipelineId(std::string_view text) const {
    const std::string l = Lower(TrimSpace(text));
    for (const auto& s : md.stages)
      if (s.pipeline_id == text || Lower(s.pipeline_label) == l) return s.pipeline_id;
    return std::string(TrimSpace(text));
  }

  /// A stage label (within `pipeline_id` when known) to its stage id; the label itself when unknown.
  std::string StageId(std::string_view label, const std::string& pipeline_id) const {
    const std::string l = Lower(TrimSpace(label));
    const StageInfo* any = nullptr;
    int matches = 0;
    for (const auto& s : md.stages) {
      if (s.stage_id == label) return s.stage_id;
      if (Lower(s.label) != l) continue;
      if (s.pipeline_id == pipeline_id) return s.stage_id;
      any = &s;
      ++matches;
    }
    return matches == 1 ? any->stage_id : std::string(TrimSpace(label));
  }

  std::string OwnerId(std::string_view text) const {
    if (ParseId(text)) return std::string(TrimSpace(text));
    auto it = md.owner_by_name.find(Lower(TrimSpace(text)));
    return it == md.owner_by_name.end() ? std::string(TrimSpace(text)) : it->second;
  }
};

/// `Date entered "Closed Won (Renewed) (Renewal & Expansion)"` -> the stage it names (nullopt when the header
/// is not a stage-entered column). The pipeline label is the last parenthesized part that names a pipeline.
std::optional<std::pair<std::string, std::string>> ParseDateEntered(std::string_view header, const Metadata& md) {
  header = TrimSpace(header);
  constexpr std::string_view kPrefix = "date entered \"";
  if (header.size() < kPrefix.size() + 2 || Lower(header.substr(0, kPrefix.size())) != kPrefix || header.back() != '"')
    return std::nullopt;
  const std::string_view inner = header.substr(kPrefix.size(), header.size() - kPrefix.size() - 1);
  std::string stage(inner), pipeline;
  if (inner.size() > 1 && inner.back() == ')') {
    size_t pos = inner.rfind(" (");
    std::optional<size_t> chosen;
    while (pos != std::string_view::npos) {
      const std::string pl(inner.substr(pos + 2, inner.size() - pos - 3));
      if (!chosen) chosen = pos;
      const bool known = std::any_of(md.stages.begin(), md.stages.end(),
                                     [&](const StageInfo& s) { return Lower(s.pipeline_label) == Lower(pl); });
      if (known) {
        chosen = pos;
        break;
      }
      if (pos == 0) break;
      pos = inner.rfind(" (", pos - 1);
    }
    if (chosen) {
      stage = std::string(inner.substr(0, *chosen));
      pipeline = std::string(inner.substr(*chosen + 2, inner.size() - *chosen - 3));
    }
  }
  return std::pair{stage, pipeline};
}

// ------------------------------------------------------------------ writes

/// The canonical direction of an association between two CRM types and its HubSpot-defined unlabeled type id
/// (the ids `revlens sync` reads from the API for the same pairs).
struct Pair {
  std::string from_type, to_type;
  int64_t type_id = 0;
};

std::optional<Pair> CanonicalPair(const std::string& a, const std::string& b) {
  static const Pair kPairs[] = {{"contacts", "companies", 279}, {"deals", "contacts", 3}, {"deals", "companies", 341}};
  for (const auto& p : kPairs)
    if ((p.from_type == a && p.to_type == b) || (p.from_type == b && p.to_type == a)) return p;
  return std::nullopt;
}

void DeleteIn(Warehouse& wh, const std::string& schema, const std::string& table, const std::string& where,
              const std::string& column, const std::vector<int64_t>& ids) {
  constexpr size_t kChunk = 2000;
  for (size_t i = 0; i < ids.size(); i += kChunk) {
    std::string sql = "DELETE FROM " + Warehouse::QualifiedName(schema, table) + " WHERE " + where + " AND " +
                      Warehouse::QuoteIdent(column) + " IN (";
    for (size_t j = i; j < std::min(ids.size(), i + kChunk); ++j) {
      if (j > i) sql += ',';
      sql += std::to_string(ids[j]);
    }
    sql += ')';
    wh.Execute(sql);
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IOError("cannot read " + path + ": no such file or not readable");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// Names printed in `Associated Company` style columns -> ids, from what the warehouse holds.
std::multimap<std::string, int64_t> NameIndex(Warehouse& wh, const std::string& schema, const std::string& type) {
  std::multimap<std::string, int64_t> out;
  const auto cols = wh.Columns(schema, type);
  auto has = [&](const char* n) {
    return std::any_of(cols.begin(), cols.end(), [&](const Column& c) { return c.name == n; });
  };
  const std::string table = Warehouse::QualifiedName(schema, type);
  auto add = [&](const std::string& expr_sql) {
    for (const auto& r : wh.Query("SELECT id, " + expr_sql + " FROM " + table + " WHERE is_deleted IS NOT TRUE").rows)
      if (!warehouse::IsNull(r[1])) out.emplace(Lower(TrimSpace(Str(r[1]))), warehouse::AsInt64(r[0]));
  };
  if (type == "companies" && has("name")) add("name");
  if (type == "deals" && has("dealname")) add("dealname");
  if (type == "contacts") {
    if (has("email")) add("email");
    if (has("firstname") && has("lastname")) add("firstname || ' ' || lastname");
  }
  return out;
}

}  // namespace

CsvFile ParseCsv(std::string_view text) {
  CsvFile file;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t pos = 0, line = 1;
  bool first = true;
  while (pos < text.size()) {
    CsvRecord rec;
    rec.line = line;
    const size_t start = pos;
    std::string field;
    bool in_quotes = false, quoted = false, end_of_record = false;
    while (pos < text.size() && !end_of_record) {
      const char c = text[pos];
      if (in_quotes) {
        if (c == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') {
            field += '"';
            pos += 2;
            continue;
          }
          in_quotes = false;
        } else {
          if (c == '\n') ++line;
          field += c;
        }
        ++pos;
        continue;
      }
      switch (c) {
        case '"':
          // A quote opens a quoted field only at its start; elsewhere it is kept as text (lenient, like Excel).
          if (field.empty() && !quoted) {
            in_quotes = quoted = true;
          } else {
            field += c;
          }
          ++pos;
          break;
        case ',':
          rec.fields.push_back(std::move(field));
          field.clear();
          quoted = false;
          ++pos;
          break;
        case '\r':
        case '\n':
          if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
          ++pos;
          ++line;
          end_of_record = true;
          break;
        default:
          field += c;
          ++pos;
      }
    }
    rec.fields.push_back(std::move(field));
    rec.raw = std::string(TrimSpace(text.substr(start, pos - start)));
    if (in_quotes) rec.error = "unterminated quoted field";
    const bool blank = rec.fields.size() == 1 && rec.fields[0].empty() && !quoted && rec.error.empty();
    if (blank) continue;
    if (first) {
      file.header = std::move(rec.fields);
      first = false;
    } else {
      file.records.push_back(std::move(rec));
    }
  }
  return file;
}

std::optional<std::string> DetectExportType(const std::vector<std::string>& header) {
  std::set<std::string> h;
  bool has_id = false;
  std::string old_id;
  for (const auto& f : header) {
    const std::string l = Lower(TrimSpace(f));
    h.insert(l);
    if (IsIdHeader(l)) has_id = true;
    if (l == "contact id" || l == "company id" || l == "deal id") old_id = l;
  }
  if (!has_id) return std::nullopt;
  if (old_id == "contact id") return "contacts";
  if (old_id == "company id") return "companies";
  if (old_id == "deal id") return "deals";
  static const std::map<std::string, std::vector<std::string>> kMarks = {
      {"contacts",
       {"first name", "last name", "email", "contact owner", "job title", "lead status", "became a lead date"}},
      {"companies",
       {"company name", "company domain name", "company owner", "number of employees", "annual revenue", "industry",
        "website url"}},
      {"deals", {"deal name", "deal stage", "pipeline", "deal owner", "close date", "amount", "deal type"}},
  };
  std::string best;
  int best_score = 0;
  for (const auto& [type, marks] : kMarks) {
    int score = 0;
    for (const auto& m : marks) {
      // `Company Name` is also a contact property: it marks companies only without contact columns.
      if (m == "company name" && (h.count("email") || h.count("first name") || h.count("last name"))) continue;
      score += h.count(m) ? 1 : 0;
    }
    if (type == "deals")
      for (const auto& l : h) score += l.rfind("date entered \"", 0) == 0 ? 1 : 0;
    if (score > best_score) best = type, best_score = score;
  }
  if (best.empty()) return std::nullopt;
  return best;
}

ExportImportResult ImportHubSpotExport(Warehouse& wh, const std::string& path, const ExportImportOptions& options) {
  namespace fs = std::filesystem;
  ExportImportResult result;
  result.path = path;
  const std::string file_name = fs::path(path).filename().string();
  const CsvFile csv = ParseCsv(ReadFile(path));
  if (csv.header.empty()) throw InvalidInputError(path + " is not a HubSpot export: the file is empty");
  std::string type = options.object_type;
  if (type.empty()) {
    auto detected = DetectExportType(csv.header);
    if (!detected) {
      const bool has_id =
          std::any_of(csv.header.begin(), csv.header.end(), [](const std::string& f) { return IsIdHeader(f); });
      throw InvalidInputError(path + " is not a HubSpot export: " +
                              (has_id ? std::string("no contact, company or deal columns in its header (pass --type)")
                                      : std::string("its header has no `Record ID` column")));
    }
    type = *detected;
  } else if (type != "contacts" && type != "companies" && type != "deals") {
    throw InvalidInputError("cannot import " + path + " as '" + type +
                            "': HubSpot exports are contacts, companies or deals");
  }
  result.object_type = type;
  const TimeZone tz = TimeZone::Load(options.time_zone);
  const std::string run_id = options.run_id.empty() ? "import-" + std::to_string(NowMillis()) : options.run_id;
  const Value synced_at{warehouse::TimestampFromMillis(NowMillis())};

  EnsureRawTables(wh, options.schema);
  const Metadata md = LoadMetadata(wh, options.schema, type);
  Plan plan = MakePlan(csv.header, type, md, result.custom_properties);
  if (!plan.id_column) {
    throw InvalidInputError(path + " is not a HubSpot export: its header has no `Record ID` column");
  }
  const Converter conv{tz, md};

  // Stage-entered columns (deals) and lifecycle-date columns (contacts) also give history rows.
  struct HistorySource {
    size_t column;
    std::string property, value;
  };
  std::vector<HistorySource> history_sources;
  for (size_t c = 0; c < plan.columns.size(); ++c) {
    if (plan.columns[c].role != ColumnRole::kProperty) continue;
    const auto& prop = plan.properties[plan.columns[c].property];
    if (type == "deals") {
      if (auto st = ParseDateEntered(csv.header[c], md)) {
        const std::string pid = st->second.empty() ? std::string() : conv.PipelineId(st->second);
        history_sources.push_back({c, "dealstage", conv.StageId(st->first, pid)});
      }
    } else if (type == "contacts") {
      constexpr std::string_view kPre = "hs_lifecyclestage_", kSuf = "_date";
      const std::string_view n = prop.name;
      if (n.size() > kPre.size() + kSuf.size() && n.substr(0, kPre.size()) == kPre &&
          n.substr(n.size() - kSuf.size()) == kSuf)
        history_sources.push_back(
            {c, "lifecyclestage", std::string(n.substr(kPre.size(), n.size() - kPre.size() - kSuf.size()))});
    }
  }

  std::vector<std::string> warnings;
  ObjectTableShape shape;
  warehouse::Transaction tx(wh);
  shape = EvolveObjectTable(wh, options.schema, type, plan.properties, warnings);
  const size_t fixed = ObjectFixedColumns().size();
  std::map<std::string, size_t> col_of;  // property name -> column index in shape
  for (size_t i = 0; i < shape.property_names.size(); ++i) col_of[shape.property_names[i]] = fixed + i;

  std::optional<size_t> created_prop, updated_prop, pipeline_col;
  for (size_t c = 0; c < plan.columns.size(); ++c) {
    if (plan.columns[c].role != ColumnRole::kProperty) continue;
    const auto& n = plan.properties[plan.columns[c].property].name;
    if (n == "createdate" || (n == "hs_createdate" && !created_prop)) created_prop = c;
    if (n == "lastmodifieddate" || (n == "hs_lastmodifieddate" && !updated_prop)) updated_prop = c;
    if (n == "pipeline") pipeline_col = c;
  }

  std::vector<std::vector<Value>> rows, quarantine, history;
  std::map<std::string, std::set<std::pair<int64_t, int64_t>>> assoc;  // "from|to" -> (from_id, to_id)
  std::map<std::string, std::vector<std::string>> assoc_names;         // unresolved names by target type
  std::map<int64_t, size_t> row_of_id;
  std::vector<int64_t> ids;
  std::map<std::string, std::multimap<std::string, int64_t>> name_index;

  auto quarantine_record = [&](const CsvRecord& rec, const std::string& record_id, const std::string& why) {
    quarantine.push_back({Value{"import:" + file_name}, Value{record_id},
                          Value{file_name + ":" + std::to_string(rec.line) + ": " + why}, Value{rec.raw}, synced_at,
                          Value{run_id}});
  };

  for (const auto& rec : csv.records) {
    const std::string raw_id = rec.fields.size() > *plan.id_column ? rec.fields[*plan.id_column] : std::string();
    if (!rec.error.empty()) {
      quarantine_record(rec, raw_id, rec.error);
      continue;
    }
    if (rec.fields.size() != csv.header.size()) {
      quarantine_record(
          rec, raw_id,
          std::to_string(rec.fields.size()) + " fields, the header has " + std::to_string(csv.header.size()));
      continue;
    }
    auto id = ParseId(raw_id);
    if (!id) {
      quarantine_record(rec, raw_id, "Record ID '" + raw_id + "' is not a positive integer");
      continue;
    }
    std::vector<Value> row(shape.columns.size());
    row[0] = Value{*id};
    row[3] = Value{false};
    row[6] = synced_at;
    std::string bad;
    std::string pipeline_id;
    if (pipeline_col) pipeline_id = conv.PipelineId(rec.fields[*pipeline_col]);
    for (size_t c = 0; c < plan.columns.size() && bad.empty(); ++c) {
      const auto& pc = plan.columns[c];
      const std::string& text = rec.fields[c];
      if (pc.role == ColumnRole::kProperty) {
        const auto& prop = plan.properties[pc.property];
        const size_t col = col_of.at(prop.name);
        const ColumnType ctype = shape.columns[col].type;
        std::string value = text;
        if (!TrimSpace(text).empty() && ctype == ColumnType::kText) {
          if (prop.name == "dealstage") {
            value = conv.StageId(text, pipeline_id);
          } else if (prop.name == "pipeline") {
            value = pipeline_id;
          } else if (prop.name == "hubspot_owner_id" || prop.name.ends_with("_owner_id")) {
            value = conv.OwnerId(text);
          } else if (prop.type == "enumeration") {
            value = conv.OptionValues(prop.name, text);
          }
        }
        auto v = conv.Convert(ctype, value);
        if (!v) {
          const char* what = ctype == ColumnType::kTimestamp ? "a date and time"
                             : ctype == ColumnType::kDate    ? "a date"
                             : ctype == ColumnType::kBoolean ? "true or false"
                                                             : "a number";
          bad = "column '" + csv.header[c] + "': '" + text + "' is not " + what;
          break;
        }
        row[col] = std::move(*v);
      } else if (pc.role == ColumnRole::kAssociationIds || pc.role == ColumnRole::kAssociationNames) {
        auto pair = CanonicalPair(type, pc.target_type);
        if (!pair) continue;
        for (auto part : SplitSemicolons(text)) {
          std::vector<int64_t> targets;
          if (pc.role == ColumnRole::kAssociationIds) {
            if (auto t = ParseId(part)) targets.push_back(*t);
          } else {
            if (!name_index.count(pc.target_type))
              name_index[pc.target_type] = NameIndex(wh, options.schema, pc.target_type);
            const auto& idx = name_index[pc.target_type];
            std::string key = Lower(part);
            // `Jane Doe (jane@x.com)`: HubSpot prints contacts with their email.
            if (auto open = key.rfind(" ("); open != std::string::npos && key.back() == ')' && !idx.count(key))
              key = key.substr(open + 2, key.size() - open - 3);
            if (idx.count(key) == 1) {
              targets.push_back(idx.find(key)->second);
            } else {
              assoc_names[pc.target_type].emplace_back(part);
            }
          }
          for (int64_t t : targets) {
            const bool forward = pair->from_type == type;
            assoc[pair->from_type + "|" + pair->to_type].insert(forward ? std::pair{*id, t} : std::pair{t, *id});
          }
        }
      }
    }
    if (!bad.empty()) {
      quarantine_record(rec, raw_id, bad);
      continue;
    }
    if (created_prop) row[1] = row[col_of.at(plan.properties[plan.columns[*created_prop].property].name)];
    if (updated_prop) row[2] = row[col_of.at(plan.properties[plan.columns[*updated_prop].property].name)];
    for (const auto& hs : history_sources) {
      const Value& when = row[col_of.at(plan.properties[plan.columns[hs.column].property].name)];
      if (warehouse::IsNull(when) || !std::holds_alternative<warehouse::Timestamp>(when)) continue;
      history.push_back({Value{type}, Value{*id}, Value{hs.property}, Value{hs.value}, when, Value{"CSV_EXPORT"},
                         Value{file_name}, Value{}, Value{}, synced_at});
    }
    // A record exported twice: the later line wins.
    if (auto it = row_of_id.find(*id); it != row_of_id.end()) {
      rows[it->second] = std::move(row);
      warnings.push_back(file_name + ":" + std::to_string(rec.line) + ": Record ID " + std::to_string(*id) +
                         " appears again; the later line is kept");
      continue;
    }
    row_of_id[*id] = rows.size();
    rows.push_back(std::move(row));
    ids.push_back(*id);
  }
  // History rows of duplicated records were added twice; keep one of each.
  std::sort(history.begin(), history.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<int64_t>(a[1]), std::get<std::string>(a[2]), std::get<std::string>(a[3])) <
           std::tie(std::get<int64_t>(b[1]), std::get<std::string>(b[2]), std::get<std::string>(b[3]));
  });
  history.erase(std::unique(history.begin(), history.end(),
                            [](const auto& a, const auto& b) {
                              return a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4];
                            }),
                history.end());

  // Object rows, replaced by id.
  ReplaceByKey(wh, options.schema, type, shape.columns, {0}, rows);

  // Associations: replaced for the imported records, for each pair the file has a column for.
  std::set<std::string> pairs_in_file;
  for (const auto& pc : plan.columns) {
    if (pc.role != ColumnRole::kAssociationIds && pc.role != ColumnRole::kAssociationNames) continue;
    if (auto pair = CanonicalPair(type, pc.target_type)) pairs_in_file.insert(pair->from_type + "|" + pair->to_type);
  }
  std::vector<std::vector<Value>> assoc_rows;
  for (const auto& key : pairs_in_file) {
    const std::string from = key.substr(0, key.find('|')), to = key.substr(key.find('|') + 1);
    const auto pair = *CanonicalPair(from, to);
    DeleteIn(wh, options.schema, "associations",
             "from_type = " + Warehouse::QuoteLiteral(from) + " AND to_type = " + Warehouse::QuoteLiteral(to),
             from == type ? "from_id" : "to_id", ids);
    for (const auto& [f, t] : assoc[key])
      assoc_rows.push_back({Value{from}, Value{f}, Value{to}, Value{t}, Value{pair.type_id}, Value{"HUBSPOT_DEFINED"},
                            Value{}, synced_at});
  }
  if (!assoc_rows.empty()) wh.BulkLoad(options.schema, "associations", AssociationColumns(), assoc_rows);
  for (const auto& [target, names] : assoc_names) {
    warnings.push_back(file_name + ": " + std::to_string(names.size()) + " associated " + target +
                       " names matched no single record in " + options.schema + "." + target +
                       " (import that export first, or export with the `IDs` columns)");
  }

  // Property history: replaced for the imported records, per property the file has dates for.
  std::set<std::string> history_props;
  for (const auto& hs : history_sources) history_props.insert(hs.property);
  for (const auto& prop : history_props) {
    DeleteIn(wh, options.schema, "property_history",
             "object_type = " + Warehouse::QuoteLiteral(type) + " AND property = " + Warehouse::QuoteLiteral(prop),
             "object_id", ids);
  }
  if (!history.empty()) wh.BulkLoad(options.schema, "property_history", PropertyHistoryColumns(), history);

  // Metadata: what the warehouse had, plus the properties this file introduced.
  std::vector<PropertyMeta> metadata = md.existing;
  for (size_t i = 0; i < plan.properties.size(); ++i)
    if (plan.is_new[i]) metadata.push_back(plan.properties[i]);
  if (metadata.size() != md.existing.size()) StorePropertyMetadata(wh, options.schema, type, metadata);

  // Quarantine: this file's rows replace those of its previous import.
  wh.Execute("DELETE FROM " + Warehouse::QualifiedName(options.schema, "quarantine") +
             " WHERE resource = " + Warehouse::QuoteLiteral("import:" + file_name));
  if (!quarantine.empty()) wh.BulkLoad(options.schema, "quarantine", QuarantineColumns(), quarantine);
  tx.Commit();

  result.records = static_cast<int64_t>(rows.size());
  result.quarantined = static_cast<int64_t>(quarantine.size());
  result.associations = static_cast<int64_t>(assoc_rows.size());
  result.history = static_cast<int64_t>(history.size());
  result.columns = static_cast<int64_t>(plan.properties.size());
  result.warnings = std::move(warnings);
  return result;
}

}  // namespace revlens::sync
