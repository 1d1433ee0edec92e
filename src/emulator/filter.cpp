// The search engine: request parsing/compilation and evaluation. Filter values are parsed once
// at compile time; per record only the stored string is read (and, for numbers and dates, parsed
// with from_chars or a fixed-layout ISO fast path), so a simple filter scans ~1M records in tens
// of milliseconds.
#include "emulator/filter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

#include "core/time_util.hpp"

namespace revlens::emulator {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, FilterOp>, 13> kOps = {{
    {"EQ", FilterOp::kEq},
    {"NEQ", FilterOp::kNeq},
    {"LT", FilterOp::kLt},
    {"LTE", FilterOp::kLte},
    {"GT", FilterOp::kGt},
    {"GTE", FilterOp::kGte},
    {"BETWEEN", FilterOp::kBetween},
    {"IN", FilterOp::kIn},
    {"NOT_IN", FilterOp::kNotIn},
    {"HAS_PROPERTY", FilterOp::kHasProperty},
    {"NOT_HAS_PROPERTY", FilterOp::kNotHasProperty},
    {"CONTAINS_TOKEN", FilterOp::kContainsToken},
    {"NOT_CONTAINS_TOKEN", FilterOp::kNotContainsToken},
}};

[[noreturn]] void Invalid(std::string message, std::string code = "INVALID_INPUT", json context = json::object()) {
  BadRequest e;
  e.status = 400;
  e.category = "VALIDATION_ERROR";
  e.errors = json::array({json{{"message", message}, {"code", std::move(code)}, {"context", std::move(context)}}});
  e.message = std::move(message);
  throw e;
}

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         static_cast<unsigned char>(c) >= 0x80;  // keep UTF-8 letters inside tokens
}
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

/// `a` (any case) equals `lower` (already lower case).
bool IEqualsLower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != lower[i]) return false;
  }
  return true;
}

/// Three-way case-insensitive compare.
int ICompare(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const char x = Lower(a[i]), y = Lower(b[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y) ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

std::optional<double> ParseNumber(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

int Digits(std::string_view s, size_t pos, size_t n, bool& ok) {
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') {
      ok = false;
      return 0;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

/// Epoch ms of a stored date/datetime value. Fast path for the `YYYY-MM-DDTHH:MM:SS.mmmZ` layout
/// the emulator writes; everything else goes through the general parser.
std::optional<int64_t> ParseMillis(std::string_view s) {
  if (s.size() == 24 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' && s[19] == '.' &&
      s[23] == 'Z') {
    bool ok = true;
    const int y = Digits(s, 0, 4, ok), mo = Digits(s, 5, 2, ok), d = Digits(s, 8, 2, ok);
    const int h = Digits(s, 11, 2, ok), mi = Digits(s, 14, 2, ok), se = Digits(s, 17, 2, ok);
    const int ms = Digits(s, 20, 3, ok);
    if (ok && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && se < 61) {
      const int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
      return ((days * 24 + h) * 60 + mi) * 60000 + int64_t{se} * 1000 + ms;
    }
  }
  return ParseTimestampMillis(s);
}

/// A stored value as a number for comparisons of `kind` (number or date).
std::optional<double> NumericValue(std::string_view v, ValueKind kind) {
  if (kind == ValueKind::kNumber) return ParseNumber(v);
  if (auto ms = ParseMillis(v)) return static_cast<double>(*ms);
  return std::nullopt;
}

/// Glob match of `text` against `pattern` where `*` matches any run (both already lower case).
bool GlobMatch(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

/// CONTAINS_TOKEN: the pattern matches a whitespace-separated word or a word split at
/// punctuation (so `smith` finds `john@smith.com`, and `*@hubspot.com` an address); a pattern
/// with spaces in it is matched against the whole value.
bool TokenMatch(std::string_view value, std::string_view pattern) {
  const std::string lower = ToLower(value);
  const std::string_view v = lower;
  if (std::any_of(pattern.begin(), pattern.end(), IsSpace)) return GlobMatch(v, pattern);
  for (const bool by_space : {true, false}) {
    size_t i = 0;
    while (i < v.size()) {
      auto boundary = [&](char c) { return by_space ? IsSpace(c) : !IsAlnum(c); };
      while (i < v.size() && boundary(v[i])) ++i;
      size_t j = i;
      while (j < v.size() && !boundary(v[j])) ++j;
      if (j > i && GlobMatch(v.substr(i, j - i), pattern)) return true;
      i = j;
    }
  }
  return false;
}

/// `term` (lower case) starts at a word boundary somewhere in `value` (any case).
bool QueryTermMatch(std::string_view value, std::string_view term) {
  if (term.size() > value.size()) return false;
  for (size_t i = 0; i + term.size() <= value.size(); ++i) {
    if (i > 0 && IsAlnum(value[i - 1])) continue;
    if (Lower(value[i]) != term[0]) continue;
    if (IEqualsLower(value.substr(i, term.size()), term)) return true;
  }
  return false;
}

/// A filter operand from JSON: strings as given, numbers and booleans as their text.
std::optional<std::string> ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number_float()) return v.dump();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return std::nullopt;
}

bool NeedsOneValue(FilterOp op) {
  switch (op) {
    case FilterOp::kEq:
    case FilterOp::kNeq:
    case FilterOp::kLt:
    case FilterOp::kLte:
    case FilterOp::kGt:
    case FilterOp::kGte:
    case FilterOp::kContainsToken:
    case FilterOp::kNotContainsToken:
      return true;
    default:
      return false;
  }
}

/// Add one operand to `f`, parsed for its kind.
void AddOperand(Filter& f, const std::string& text) {
  const bool token = f.op == FilterOp::kContainsToken || f.op == FilterOp::kNotContainsToken;
  if (f.is_association) {
    auto n = ParseNumber(text);
    if (!n || *n != std::floor(*n)) {
      Invalid("'" + text + "' is not a valid record id for " + f.property_name, "INVALID_INTEGER",
              json{{"propertyName", {f.property_name}}});
    }
    f.strings.push_back(text);
    f.numbers.push_back(*n);
    return;
  }
  if (token) {
    f.strings.push_back(ToLower(text));
    f.numbers.push_back(0);
    return;
  }
  switch (f.kind) {
    case ValueKind::kNumber: {
      auto n = ParseNumber(text);
      if (!n) {
        Invalid("'" + text + "' is not a valid number for property " + f.property_name, "INVALID_DOUBLE",
                json{{"propertyName", {f.property_name}}});
      }
      f.strings.push_back(text);
      f.numbers.push_back(*n);
      return;
    }
    case ValueKind::kDateTime: {
      auto ms = ParseTimestampMillis(text);
      if (!ms) {
        Invalid("'" + text + "' is not a valid date for property " + f.property_name +
                    "; use ISO-8601 or epoch milliseconds",
                "INVALID_DATE", json{{"propertyName", {f.property_name}}});
      }
      f.strings.push_back(text);
      f.numbers.push_back(static_cast<double>(*ms));
      return;
    }
    case ValueKind::kEnumeration:
      f.strings.push_back(text);
      f.numbers.push_back(ParseNumber(text).value_or(std::numeric_limits<double>::quiet_NaN()));
      return;
    case ValueKind::kString:
    case ValueKind::kBool:
      f.strings.push_back(ToLower(text));
      f.numbers.push_back(0);
      return;
  }
}

Filter CompileFilter(const json& jf, const ObjectTable& table) {
  if (!jf.is_object()) Invalid("Each filter must be an object with propertyName and operator");
  Filter f;
  auto pn = jf.find("propertyName");
  if (pn == jf.end() || !pn->is_string() || pn->get<std::string>().empty()) {
    Invalid("Filter is missing propertyName", "MISSING_PROPERTY_NAME");
  }
  f.property_name = pn->get<std::string>();
  auto opj = jf.find("operator");
  if (opj == jf.end() || !opj->is_string()) {
    Invalid("Filter on " + f.property_name + " is missing operator", "MISSING_OPERATOR");
  }
  const std::string op_text = opj->get<std::string>();
  auto op = ParseFilterOp(op_text);
  if (!op) {
    Invalid("Unknown filter operator '" + op_text +
                "'; expected one of EQ, NEQ, LT, LTE, GT, GTE, BETWEEN, IN, NOT_IN, HAS_PROPERTY, "
                "NOT_HAS_PROPERTY, CONTAINS_TOKEN, NOT_CONTAINS_TOKEN",
            "INVALID_OPERATOR", json{{"operator", {op_text}}});
  }
  f.op = *op;

  constexpr std::string_view kAssocPrefix = "associations.";
  if (f.property_name.starts_with(kAssocPrefix)) {
    auto t = ParseObjectType(std::string_view(f.property_name).substr(kAssocPrefix.size()));
    if (!t) {
      Invalid("Unknown object type in filter property " + f.property_name, "INVALID_PROPERTY",
              json{{"propertyName", {f.property_name}}});
    }
    switch (f.op) {
      case FilterOp::kEq:
      case FilterOp::kNeq:
      case FilterOp::kIn:
      case FilterOp::kNotIn:
      case FilterOp::kHasProperty:
      case FilterOp::kNotHasProperty:
        break;
      default:
        Invalid("Operator " + op_text + " is not supported on " + f.property_name +
                    "; use EQ, NEQ, IN, NOT_IN, HAS_PROPERTY or NOT_HAS_PROPERTY",
                "INVALID_OPERATOR", json{{"propertyName", {f.property_name}}});
    }
    f.is_association = true;
    f.association_type = *t;
    f.kind = ValueKind::kNumber;
  } else {
    auto idx = table.Props().Find(f.property_name);
    if (!idx) {
      Invalid("Property " + f.property_name + " does not exist on " + std::string(ObjectTypeName(table.Type())),
              "PROPERTY_DOESNT_EXIST", json{{"propertyName", {f.property_name}}});
    }
    f.prop = *idx;
    const PropertyDef& def = table.Props().Def(*idx);
    f.kind = KindOfPropertyType(def.type);
    f.multi_value = f.kind == ValueKind::kEnumeration && def.field_type == "checkbox";
  }

  if (NeedsOneValue(f.op) || f.op == FilterOp::kBetween) {
    auto v = jf.find("value");
    std::optional<std::string> text = v == jf.end() ? std::nullopt : ScalarText(*v);
    if (!text) {
      Invalid("Filter " + f.property_name + " " + op_text + " requires a value", "MISSING_VALUE",
              json{{"propertyName", {f.property_name}}});
    }
    AddOperand(f, *text);
    if (f.op == FilterOp::kBetween) {
      auto hv = jf.find("highValue");
      std::optional<std::string> high = hv == jf.end() ? std::nullopt : ScalarText(*hv);
      if (!high) {
        Invalid("Filter " + f.property_name + " BETWEEN requires value and highValue", "MISSING_VALUE",
                json{{"propertyName", {f.property_name}}});
      }
      AddOperand(f, *high);
    }
  } else if (f.op == FilterOp::kIn || f.op == FilterOp::kNotIn) {
    auto vs = jf.find("values");
    if (vs == jf.end() || !vs->is_array() || vs->empty()) {
      Invalid("Filter " + f.property_name + " " + op_text + " requires a non-empty values array", "MISSING_VALUE",
              json{{"propertyName", {f.property_name}}});
    }
    for (const auto& item : *vs) {
      auto text = ScalarText(item);
      if (!text) {
        Invalid("Filter " + f.property_name + " " + op_text + " values must be strings or numbers", "INVALID_VALUE",
                json{{"propertyName", {f.property_name}}});
      }
      AddOperand(f, *text);
    }
  }
  return f;
}

/// `stored` equals operand `i` of `f` (per its kind).
bool EqualsOperand(const Filter& f, std::string_view stored, size_t i) {
  switch (f.kind) {
    case ValueKind::kString:
    case ValueKind::kBool:
      return IEqualsLower(stored, f.strings[i]);
    case ValueKind::kEnumeration:
      if (!f.multi_value) return stored == f.strings[i];
      for (size_t start = 0; start <= stored.size();) {
        size_t end = stored.find(';', start);
        if (end == std::string_view::npos) end = stored.size();
        if (stored.substr(start, end - start) == f.strings[i]) return true;
        start = end + 1;
      }
      return false;
    case ValueKind::kNumber:
    case ValueKind::kDateTime: {
      auto n = NumericValue(stored, f.kind);
      return n && *n == f.numbers[i];
    }
  }
  return false;
}

bool EqualsAny(const Filter& f, std::string_view stored) {
  for (size_t i = 0; i < f.strings.size(); ++i) {
    if (EqualsOperand(f, stored, i)) return true;
  }
  return false;
}

/// Three-way compare of `stored` with operand `i`; nullopt when not comparable.
std::optional<int> CompareOperand(const Filter& f, std::string_view stored, size_t i) {
  switch (f.kind) {
    case ValueKind::kNumber:
    case ValueKind::kDateTime: {
      auto n = NumericValue(stored, f.kind);
      if (!n) return std::nullopt;
      return *n < f.numbers[i] ? -1 : (*n > f.numbers[i] ? 1 : 0);
    }
    case ValueKind::kEnumeration: {
      const int c = stored.compare(f.strings[i]);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case ValueKind::kString:
    case ValueKind::kBool:
      return ICompare(stored, f.strings[i]);
  }
  return std::nullopt;
}

bool AnyToken(const Filter& f, std::string_view stored) {
  for (const auto& p : f.strings) {
    if (TokenMatch(stored, p)) return true;
  }
  return false;
}

bool MatchAssociation(const Filter& f, const Portal& portal, const ObjectTable& table, const Record& r) {
  const auto edges = portal.Assoc(table.Type(), f.association_type).From(r.id);
  const bool has = !edges.empty();
  auto linked_to_any = [&] {
    if (!has) return false;
    for (const auto& e : edges) {
      for (double id : f.numbers) {
        if (static_cast<double>(e.to_id) == id) return true;
      }
    }
    return false;
  };
  switch (f.op) {
    case FilterOp::kHasProperty:
      return has;
    case FilterOp::kNotHasProperty:
      return !has;
    case FilterOp::kEq:
    case FilterOp::kIn:
      return linked_to_any();
    case FilterOp::kNeq:
    case FilterOp::kNotIn:
      return !linked_to_any();
    default:
      return false;
  }
}

bool MatchFilter(const Filter& f, const Portal& portal, const ObjectTable& table, const Record& r) {
  if (f.is_association) return MatchAssociation(f, portal, table, r);
  const auto v = r.Get(f.prop);
  const bool has = v && !v->empty();
  // Negated operators match records without a value, as HubSpot's index does (must_not).
  switch (f.op) {
    case FilterOp::kHasProperty:
      return has;
    case FilterOp::kNotHasProperty:
      return !has;
    case FilterOp::kNeq:
      return !has || !EqualsOperand(f, *v, 0);
    case FilterOp::kNotIn:
      return !has || !EqualsAny(f, *v);
    case FilterOp::kNotContainsToken:
      return !has || !AnyToken(f, *v);
    default:
      break;
  }
  if (!has) return false;
  switch (f.op) {
    case FilterOp::kEq:
      return EqualsOperand(f, *v, 0);
    case FilterOp::kIn:
      return EqualsAny(f, *v);
    case FilterOp::kContainsToken:
      return AnyToken(f, *v);
    case FilterOp::kLt: {
      auto c = CompareOperand(f, *v, 0);
      return c && *c < 0;
    }
    case FilterOp::kLte: {
      auto c = CompareOperand(f, *v, 0);
      return c && *c <= 0;
    }
    case FilterOp::kGt: {
      auto c = CompareOperand(f, *v, 0);
      return c && *c > 0;
    }
    case FilterOp::kGte: {
      auto c = CompareOperand(f, *v, 0);
      return c && *c >= 0;
    }
    case FilterOp::kBetween: {
      auto lo = CompareOperand(f, *v, 0);
      auto hi = CompareOperand(f, *v, 1);
      return lo && hi && *lo >= 0 && *hi <= 0;
    }
    default:
      return false;
  }
}

SortRule ParseSortRule(const json& s, const ObjectTable& table) {
  SortRule rule;
  if (s.is_string()) {
    // The official clients type `sorts` as string[]: "createdate" or "-createdate".
    std::string_view text = s.get_ref<const std::string&>();
    if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
      rule.descending = text.front() == '-';
      text.remove_prefix(1);
    }
    rule.property_name = std::string(text);
  } else if (s.is_object()) {
    auto pn = s.find("propertyName");
    if (pn == s.end() || !pn->is_string()) Invalid("Sort is missing propertyName", "MISSING_PROPERTY_NAME");
    rule.property_name = pn->get<std::string>();
    auto dir = s.find("direction");
    if (dir != s.end() && !dir->is_null()) {
      const std::string d = dir->is_string() ? ToLower(dir->get<std::string>()) : "";
      if (d == "descending") {
        rule.descending = true;
      } else if (d != "ascending") {
        Invalid("Sort direction must be ASCENDING or DESCENDING", "INVALID_SORT_DIRECTION");
      }
    }
  } else {
    Invalid("Each sort must be an object {propertyName, direction} or a property name string");
  }
  if (rule.property_name.empty()) Invalid("Sort is missing propertyName", "MISSING_PROPERTY_NAME");
  auto idx = table.Props().Find(rule.property_name);
  if (!idx) {
    Invalid("Cannot sort on property " + rule.property_name + ": it does not exist on " +
                std::string(ObjectTypeName(table.Type())),
            "PROPERTY_DOESNT_EXIST", json{{"propertyName", {rule.property_name}}});
  }
  rule.prop = *idx;
  rule.kind = KindOfPropertyType(table.Props().Def(*idx).type);
  return rule;
}

int64_t ParseIntField(const json& v, const char* name) {
  if (v.is_number_integer() || v.is_number_unsigned()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (d == std::floor(d) && std::abs(d) < 9e15) return static_cast<int64_t>(d);
  }
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    int64_t out = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && ptr == s.data() + s.size() && !s.empty()) return out;
  }
  Invalid(std::string(name) + " must be an integer", "INVALID_INTEGER", json{{"field", {name}}});
}

}  // namespace

std::optional<FilterOp> ParseFilterOp(std::string_view text) {
  for (const auto& [name, op] : kOps) {
    if (name == text) return op;
  }
  return std::nullopt;
}

std::string_view FilterOpName(FilterOp op) {
  for (const auto& [name, o] : kOps) {
    if (o == op) return name;
  }
  return "EQ";
}

ValueKind KindOfPropertyType(std::string_view type) {
  if (type == "number") return ValueKind::kNumber;
  if (type == "date" || type == "datetime") return ValueKind::kDateTime;
  if (type == "enumeration") return ValueKind::kEnumeration;
  if (type == "bool") return ValueKind::kBool;
  return ValueKind::kString;
}

const std::vector<std::string>& DefaultSearchableProperties(ObjectType t) {
  // HubSpot's search guide lists the default searchable properties per object.
  static const std::vector<std::string> contacts = {
      "firstname", "lastname", "email", "phone", "hs_additional_emails", "fax", "mobilephone", "company"};
  static const std::vector<std::string> companies = {"name", "domain", "website", "phone"};
  static const std::vector<std::string> deals = {"dealname", "pipeline", "dealstage", "description", "dealtype"};
  static const std::vector<std::string> calls = {"hs_call_title", "hs_call_body"};
  static const std::vector<std::string> emails = {"hs_email_subject", "hs_email_text"};
  static const std::vector<std::string> meetings = {"hs_meeting_title", "hs_meeting_body"};
  static const std::vector<std::string> notes = {"hs_note_body"};
  static const std::vector<std::string> tasks = {"hs_task_subject", "hs_task_body"};
  switch (t) {
    case ObjectType::kContacts:
      return contacts;
    case ObjectType::kCompanies:
      return companies;
    case ObjectType::kDeals:
      return deals;
    case ObjectType::kCalls:
      return calls;
    case ObjectType::kEmails:
      return emails;
    case ObjectType::kMeetings:
      return meetings;
    case ObjectType::kNotes:
      return notes;
    case ObjectType::kTasks:
      return tasks;
  }
  return contacts;
}

SearchRequest ParseSearchRequest(const json& body, const ObjectTable& table) {
  SearchRequest req;
  if (body.is_null()) return req;
  if (!body.is_object()) Invalid("Search request body must be a JSON object");

  if (auto q = body.find("query"); q != body.end() && !q->is_null()) {
    if (!q->is_string()) Invalid("query must be a string");
    const std::string& text = q->get_ref<const std::string&>();
    if (text.size() > kSearchMaxQueryChars) {
      Invalid("query is " + std::to_string(text.size()) + " characters; the maximum is " +
                  std::to_string(kSearchMaxQueryChars),
              "QUERY_TOO_LONG");
    }
    req.query = ToLower(text);
    size_t i = 0;
    while (i < req.query.size()) {
      while (i < req.query.size() && IsSpace(req.query[i])) ++i;
      size_t j = i;
      while (j < req.query.size() && !IsSpace(req.query[j])) ++j;
      if (j > i) req.query_terms.push_back(req.query.substr(i, j - i));
      i = j;
    }
    if (!req.query_terms.empty()) {
      for (const auto& name : DefaultSearchableProperties(table.Type())) {
        if (auto idx = table.Props().Find(name)) req.query_props.push_back(*idx);
      }
    }
  }

  if (auto l = body.find("limit"); l != body.end() && !l->is_null()) {
    const int64_t limit = ParseIntField(*l, "limit");
    if (limit < 0 || limit > kSearchMaxLimit) {
      Invalid("limit must be between 0 and " + std::to_string(kSearchMaxLimit) + ", got " + std::to_string(limit),
              "INVALID_LIMIT");
    }
    req.limit = static_cast<int>(limit);
  }

  if (auto a = body.find("after");
      a != body.end() && !a->is_null() && !(a->is_string() && a->get_ref<const std::string&>().empty())) {
    const int64_t after = ParseIntField(*a, "after");
    if (after < 0) Invalid("after must be a non-negative offset", "INVALID_INTEGER");
    if (after >= kSearchResultCeiling) {
      Invalid("Search can page through at most " + std::to_string(kSearchResultCeiling) +
                  " results; narrow the filters (e.g. GT the last hs_object_id seen) instead of paging to " +
                  std::to_string(after),
              "TOO_MANY_RESULTS");
    }
    req.after = after;
  }

  if (auto p = body.find("properties"); p != body.end() && !p->is_null()) {
    if (!p->is_array()) Invalid("properties must be an array of property names");
    for (const auto& item : *p) {
      if (item.is_string() && !item.get_ref<const std::string&>().empty())
        req.properties.push_back(item.get<std::string>());
    }
  }

  if (auto s = body.find("sorts"); s != body.end() && !s->is_null()) {
    if (!s->is_array()) Invalid("sorts must be an array with at most one sort rule");
    if (s->size() > 1) {
      Invalid("Search accepts one sort rule; got " + std::to_string(s->size()), "TOO_MANY_SORTS");
    }
    if (s->size() == 1) req.sort = ParseSortRule((*s)[0], table);
  }

  if (auto g = body.find("filterGroups"); g != body.end() && !g->is_null()) {
    if (!g->is_array()) Invalid("filterGroups must be an array");
    if (g->size() > kSearchMaxGroups) {
      Invalid("Too many filter groups: " + std::to_string(g->size()) + "; the maximum is " +
                  std::to_string(kSearchMaxGroups),
              "TOO_MANY_FILTER_GROUPS");
    }
    size_t total = 0;
    for (const auto& jg : *g) {
      if (!jg.is_object()) Invalid("Each filter group must be an object with a filters array");
      FilterGroup group;
      auto fs = jg.find("filters");
      if (fs != jg.end() && !fs->is_null()) {
        if (!fs->is_array()) Invalid("filters must be an array");
        if (fs->size() > kSearchMaxFiltersPerGroup) {
          Invalid("Too many filters in one group: " + std::to_string(fs->size()) + "; the maximum is " +
                      std::to_string(kSearchMaxFiltersPerGroup),
                  "TOO_MANY_FILTERS");
        }
        total += fs->size();
        if (total > kSearchMaxFiltersTotal) {
          Invalid("Too many filters: the maximum is " + std::to_string(kSearchMaxFiltersTotal) + " across all groups",
                  "TOO_MANY_FILTERS");
        }
        for (const auto& jf : *fs) group.filters.push_back(CompileFilter(jf, table));
      }
      req.groups.push_back(std::move(group));
    }
  }
  return req;
}

bool MatchesSearch(const SearchRequest& req, const Portal& portal, const ObjectTable& table, const Record& r) {
  for (const auto& term : req.query_terms) {
    bool found = false;
    for (uint16_t p : req.query_props) {
      const auto v = r.Get(p);
      if (v && QueryTermMatch(*v, term)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  if (req.groups.empty()) return true;
  for (const auto& g : req.groups) {
    bool all = true;
    for (const auto& f : g.filters) {
      if (!MatchFilter(f, portal, table, r)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

SearchPage RunSearch(const SearchRequest& req, const Portal& portal, const ObjectTable& table) {
  SearchPage page;
  const auto& records = table.Records();
  std::vector<uint32_t> hits;
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    if (r.archived || r.merged_into != 0) continue;
    if (MatchesSearch(req, portal, table, r)) hits.push_back(static_cast<uint32_t>(i));
  }
  page.total = static_cast<int64_t>(hits.size());
  const int64_t end = std::min({page.total, req.after + req.limit, kSearchResultCeiling});
  if (req.after >= end) return page;

  if (req.sort) {
    const SortRule& s = *req.sort;
    struct Key {
      double num;
      std::optional<std::string_view> str;
      uint32_t idx;
    };
    std::vector<Key> keys;
    keys.reserve(hits.size());
    const bool numeric = s.kind == ValueKind::kNumber || s.kind == ValueKind::kDateTime;
    for (uint32_t i : hits) {
      auto v = records[i].Get(s.prop);
      if (v && v->empty()) v.reset();
      double num = std::numeric_limits<double>::quiet_NaN();
      if (numeric && v) num = NumericValue(*v, s.kind).value_or(num);
      keys.push_back(Key{num, v, i});
    }
    // Missing values sort last in both directions; ties keep id order.
    auto less = [&](const Key& a, const Key& b) {
      if (numeric) {
        const bool am = std::isnan(a.num), bm = std::isnan(b.num);
        if (am != bm) return bm;
        if (!am && a.num != b.num) return s.descending ? a.num > b.num : a.num < b.num;
      } else {
        const bool am = !a.str, bm = !b.str;
        if (am != bm) return bm;
        if (!am) {
          const int c = s.kind == ValueKind::kEnumeration ? a.str->compare(*b.str) : ICompare(*a.str, *b.str);
          if (c != 0) return s.descending ? c > 0 : c < 0;
        }
      }
      return a.idx < b.idx;
    };
    std::partial_sort(keys.begin(), keys.begin() + end, keys.end(), less);
    for (int64_t i = req.after; i < end; ++i) page.results.push_back(&records[keys[static_cast<size_t>(i)].idx]);
  } else {
    for (int64_t i = req.after; i < end; ++i) page.results.push_back(&records[hits[static_cast<size_t>(i)]]);
  }
  if (req.limit > 0 && end < page.total && end < kSearchResultCeiling) page.next_after = end;
  return page;
}

}  // namespace revlens::emulator
