#include "deliver/targets.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/time_util.hpp"

namespace revlens::deliver {
namespace {

// HubSpot's limit for a string property value (hubspot-api-notes.md section 5).
constexpr size_t kMaxText = 65536;

bool PlainIdentifier(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// Cut at kMaxText bytes without splitting a UTF-8 sequence.
std::string Clip(std::string s) {
  if (s.size() <= kMaxText) return s;
  size_t n = kMaxText;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  s.resize(n);
  return s;
}

std::string FormatNumber(double v, int decimals) {
  if (!std::isfinite(v)) throw InvalidInputError("not a finite number");
  const double scale = std::pow(10.0, decimals);
  double r = std::round(v * scale) / scale;
  if (r == 0) r = 0;  // no "-0"
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, r, std::chars_format::fixed, decimals);
  if (ec != std::errc()) throw InvalidInputError("number out of range");
  std::string out(buf, end);
  if (out.find('.') != std::string::npos) {
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
  }
  return out;
}

std::string FormatReasons(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return text;
  std::string out;
  for (const auto& item : j) {
    if (!item.is_string()) return text;
    if (!out.empty()) out += '\n';
    out += item.get<std::string>();
  }
  return out;
}

}  // namespace

std::vector<PushTarget> DefaultTargets() {
  PushTarget scores;
  scores.name = "lead_scores";
  scores.object_type = "contacts";
  scores.table = "lead_scores";
  scores.id_column = "contact_id";
  scores.order_column = "scored_at";
  scores.usable_column = "usable";
  scores.shadow_column = "shadow";  // `revlens score --shadow` records it per row
  scores.holdout_column = "ab_group";
  scores.holdout_value = "holdout";
  scores.fields = {
      // One decimal: with a low base rate many likelihoods sit below 5%, where whole numbers lose the ranking.
      {"likelihood", "revlens_score", "revlens_shadow_score", ValueFormat::kNumber, 1, false},
      {"tier", "revlens_tier", "revlens_shadow_tier", ValueFormat::kText, 0, false},
      // fit and engagement are percentiles (0-100): whole numbers, so a re-score moves only what really moved.
      {"fit", "revlens_fit", "revlens_shadow_fit", ValueFormat::kNumber, 0, false},
      {"engagement", "revlens_engagement", "revlens_shadow_engagement", ValueFormat::kNumber, 0, false},
      {"reasons", "revlens_reasons", "revlens_shadow_reasons", ValueFormat::kReasons, 0, false},
      {"model_version", "revlens_model_version", "revlens_shadow_model_version", ValueFormat::kText, 0, false},
      {"scored_at", "revlens_scored_at", "revlens_shadow_scored_at", ValueFormat::kDateTime, 0, true},
  };
  PushTarget icp;
  icp.name = "company_icp_fit";
  icp.object_type = "companies";
  icp.table = "company_icp_fit";
  icp.id_column = "company_id";
  icp.order_column = "scored_at";
  icp.fields = {
      {"icp_fit", "revlens_icp_fit", "", ValueFormat::kNumber, 0, false},
      {"top_segment", "revlens_icp_segment", "", ValueFormat::kText, 0, false},
      {"scored_at", "revlens_scored_at", "", ValueFormat::kDateTime, 0, true},
  };
  PushTarget competitors;
  competitors.name = "deal_competitors";
  competitors.object_type = "deals";
  competitors.table = "deal_competitors";  // revlens compete: one row per open deal with a competitor detected
  competitors.id_column = "deal_id";
  competitors.fields = {{"competitors", "revlens_competitors", "", ValueFormat::kText, 0, false}};
  PushTarget deals;
  deals.name = "deal_predictions";
  deals.object_type = "deals";
  deals.table = "deal_predictions";  // revlens forecast: one row per open deal (serve replaces a re-predicted one)
  deals.id_column = "deal_id";
  deals.order_column = "predicted_at";
  deals.clear_missing = true;  // a deal that closed (or was deleted) leaves the table: its prediction is cleared
  deals.fields = {
      // Two decimals: a re-forecast that moves a deal by less than a point sends nothing.
      {"p_win", "revlens_win_probability", "", ValueFormat::kNumber, 2, false},
      {"risk_flags", "revlens_deal_risk", "", ValueFormat::kText, 0, false},
      {"predicted_at", "revlens_predicted_at", "", ValueFormat::kDateTime, 0, true},
  };
  return {scores, icp, competitors, deals};
}

void ValidateTargets(const std::vector<PushTarget>& targets, const PropertyCatalog& catalog) {
  std::map<std::string, std::string> owner;  // "type.property" -> target writing it
  for (const auto& t : targets) {
    const std::string what = "push target '" + t.name + "'";
    if (t.name.empty()) throw ConfigError("a push target has no name");
    if (!catalog.by_type.count(t.object_type)) {
      throw ConfigError(what + ": object type '" + t.object_type + "' has no revlens properties in the catalog");
    }
    for (const std::string* ident : {&t.table, &t.id_column}) {
      if (!PlainIdentifier(*ident)) throw ConfigError(what + ": '" + *ident + "' is not a plain table/column name");
    }
    for (const std::string* ident : {&t.order_column, &t.usable_column, &t.shadow_column, &t.holdout_column}) {
      if (!ident->empty() && !PlainIdentifier(*ident)) {
        throw ConfigError(what + ": '" + *ident + "' is not a plain column name");
      }
    }
    if (!t.holdout_column.empty() && t.holdout_value.empty()) {
      throw ConfigError(what + ": holdout_column needs a holdout_value");
    }
    if (t.fields.empty()) throw ConfigError(what + " maps no fields");
    bool primary = false;
    for (const auto& f : t.fields) {
      if (!PlainIdentifier(f.column)) throw ConfigError(what + ": '" + f.column + "' is not a plain column name");
      primary = primary || !f.companion;
      for (const std::string* prop : {&f.property, &f.shadow_property}) {
        if (prop == &f.shadow_property && prop->empty()) continue;
        const PropertySpec* spec = catalog.Find(t.object_type, *prop);
        if (spec == nullptr) {
          throw ConfigError(what + ": column '" + f.column + "' maps to '" + *prop + "', which is not a " +
                            t.object_type + " property in the '" + std::string(kGroupName) +
                            "' group; revlens never writes outside its own group");
        }
        if ((f.format == ValueFormat::kNumber) != (spec->type == "number")) {
          throw ConfigError(what + ": column '" + f.column + "' is formatted as " +
                            (f.format == ValueFormat::kNumber ? "a number" : "text") + " but '" + *prop + "' is a " +
                            spec->type + " property");
        }
        if ((f.format == ValueFormat::kDateTime) != (spec->type == "datetime")) {
          throw ConfigError(what + ": column '" + f.column + "' and property '" + *prop +
                            "' disagree on being a date-time");
        }
        const std::string key = t.object_type + "." + *prop;
        if (auto [it, fresh] = owner.emplace(key, t.name); !fresh) {
          throw ConfigError(what + ": property '" + *prop + "' on " + t.object_type + " is already written by '" +
                            it->second + "'");
        }
      }
    }
    if (!primary) throw ConfigError(what + ": every field is a companion, so no change would ever be sent");
  }
}

std::string FormatValue(const FieldMapping& field, const warehouse::Value& value) {
  using warehouse::Value;
  if (warehouse::IsNull(value)) return {};
  switch (field.format) {
    case ValueFormat::kNumber:
      if (const auto* d = std::get_if<double>(&value)) {
        if (std::isnan(*d)) return {};
        return FormatNumber(*d, field.decimals);
      }
      if (const auto* i = std::get_if<int64_t>(&value)) return FormatNumber(static_cast<double>(*i), field.decimals);
      if (const auto* b = std::get_if<bool>(&value)) return *b ? "1" : "0";
      if (const auto* s = std::get_if<std::string>(&value)) {
        double d = 0;
        auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), d);
        if (ec != std::errc() || end != s->data() + s->size()) throw InvalidInputError("'" + *s + "' is not a number");
        return FormatNumber(d, field.decimals);
      }
      throw InvalidInputError(warehouse::ToString(value) + " is not a number");
    case ValueFormat::kDateTime: {
      if (const auto* ts = std::get_if<warehouse::Timestamp>(&value)) {
        return FormatIsoMillis(FloorDiv(ts->micros, 1000));
      }
      if (const auto* d = std::get_if<warehouse::Date>(&value)) {
        return FormatIsoMillis(static_cast<int64_t>(d->days) * 86'400'000);
      }
      if (const auto* s = std::get_if<std::string>(&value)) {
        if (auto ms = ParseTimestampMillis(*s)) return FormatIsoMillis(*ms);
        throw InvalidInputError("'" + *s + "' is not a date-time");
      }
      if (const auto* i = std::get_if<int64_t>(&value)) return FormatIsoMillis(*i);  // epoch milliseconds
      throw InvalidInputError(warehouse::ToString(value) + " is not a date-time");
    }
    case ValueFormat::kReasons:
      if (const auto* s = std::get_if<std::string>(&value)) return Clip(FormatReasons(*s));
      return Clip(warehouse::ToString(value));
    case ValueFormat::kText:
      if (const auto* s = std::get_if<std::string>(&value)) return Clip(*s);
      return Clip(warehouse::ToString(value));
  }
  return {};
}

}  // namespace revlens::deliver
