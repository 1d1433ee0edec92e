// The competitor dictionary (config + deal property) and the one-pass mention scanner (RE2).
#include "insights/competitors.hpp"

#include <re2/re2.h>
#include <re2/set.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include "core/errors.hpp"

namespace revlens::insights {
namespace {

bool IsSeparator(char c) {
  return c == ' ' || c == '-' || c == '_' || c == '\t';
}
bool IsAsciiLower(char c) {
  return c >= 'a' && c <= 'z';
}
bool IsAsciiUpper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool IsAsciiAlnum(char c) {
  return IsAsciiLower(c) || IsAsciiUpper(c) || (c >= '0' && c <= '9');
}
char AsciiLower(char c) {
  return IsAsciiUpper(c) ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

/// The comparison key of a term: ASCII lower case, separators dropped (`Pipe Drift` -> `pipedrift`).
std::string Key(std::string_view s) {
  std::string k;
  k.reserve(s.size());
  for (char c : s)
    if (!IsSeparator(c)) k += AsciiLower(c);
  return k;
}

// ---------------------------------------------------------------------------------------------- Unicode edges

/// Decode the code point starting at `i` (invalid bytes decode as U+FFFD, one byte long).
char32_t DecodeAt(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return b;
  size_t n = 0;
  char32_t cp = 0;
  if ((b & 0xE0) == 0xC0)
    n = 1, cp = b & 0x1F;
  else if ((b & 0xF0) == 0xE0)
    n = 2, cp = b & 0x0F;
  else if ((b & 0xF8) == 0xF0)
    n = 3, cp = b & 0x07;
  else
    return 0xFFFD;
  for (size_t k = 1; k <= n; ++k) {
    if (i + k >= s.size()) return 0xFFFD;
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (c & 0x3F);
  }
  return cp;
}

/// The start of the code point that ends just before byte `i` (i > 0).
size_t PreviousStart(std::string_view s, size_t i) {
  size_t j = i - 1;
  for (int k = 0; k < 3 && j > 0 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80; ++k) --j;
  return j;
}

/// Whether a code point continues a word for the whole-word rule: ASCII letters, digits and `_`, and letters of
/// alphabetic scripts. Punctuation, symbols, spaces, emoji and the scripts written without spaces between words
/// (CJK, kana, Hangul) do not: `用Base做` mentions Base. A table rather than ICU: the rule needs only this.
bool IsWordCodePoint(char32_t cp) {
  if (cp < 0x80) return IsAsciiAlnum(static_cast<char>(cp)) || cp == '_';
  if (cp < 0xC0) return cp == 0xAA || cp == 0xB5 || cp == 0xBA;  // ª µ º; the rest is punctuation and symbols
  if (cp == 0xD7 || cp == 0xF7) return false;                    // × ÷
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // punctuation, currency, letterlike, arrows, math, shapes
  if (cp >= 0x2E00 && cp <= 0x2E7F) return false;  // supplemental punctuation
  if (cp >= 0x2E80 && cp <= 0x9FFF) return false;  // CJK radicals, punctuation, kana, ideographs
  if (cp >= 0xAC00 && cp <= 0xD7AF) return false;  // Hangul syllables
  if (cp >= 0xF900 && cp <= 0xFAFF) return false;  // CJK compatibility ideographs
  if (cp >= 0xFE10 && cp <= 0xFE6F) return false;  // vertical, CJK compatibility and small forms
  if (cp >= 0xFF00 && cp <= 0xFFEF) return false;  // full-width forms
  if (cp == 0xFEFF || cp == 0xFFFD) return false;
  if (cp >= 0x1F000 && cp <= 0x1FAFF) return false;  // emoji and pictographs
  if (cp >= 0x20000 && cp <= 0x3FFFF) return false;  // CJK extensions
  return true;
}

bool IsWordStart(std::string_view s, size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  return b >= 0x80 ? IsWordCodePoint(DecodeAt(s, i)) : IsAsciiAlnum(static_cast<char>(b)) || b == '_';
}

// ---------------------------------------------------------------------------------------------- patterns

/// The term as a regex: pieces split at separators and CamelCase humps, joined by an optional separator.
std::string TermRegex(std::string_view term, bool case_sensitive) {
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < term.size(); ++i) {
    const char c = term[i];
    if (IsSeparator(c)) {
      if (!pieces.back().empty()) pieces.emplace_back();
      continue;
    }
    if (IsAsciiUpper(c) && i > 0 && IsAsciiLower(term[i - 1]) && !pieces.back().empty()) pieces.emplace_back();
    pieces.back() += c;
  }
  if (pieces.back().empty()) pieces.pop_back();
  std::string re = case_sensitive ? "(?-i:" : "(?i:";
  for (size_t p = 0; p < pieces.size(); ++p) {
    if (p > 0) re += "[\\s_\\-]?";
    re += RE2::QuoteMeta(pieces[p]);
  }
  re += ')';
  return re;
}

/// `term` lower-cased when it is ASCII letters and separators only, else "".
std::string LetterKey(std::string_view term) {
  std::string k;
  for (char c : term) {
    if (IsSeparator(c)) continue;
    if (!IsAsciiLower(AsciiLower(c))) return {};
    k += AsciiLower(c);
  }
  return k;
}

/// Edit-distance-1 variants of `key` without substitutions: one letter dropped, one inserted, neighbours swapped.
std::vector<std::string> Variants(const std::string& key) {
  std::vector<std::string> out;
  for (size_t i = 0; i < key.size(); ++i) out.push_back(key.substr(0, i) + key.substr(i + 1));
  for (size_t i = 0; i + 1 < key.size(); ++i) {
    if (key[i] == key[i + 1]) continue;
    std::string v = key;
    std::swap(v[i], v[i + 1]);
    out.push_back(std::move(v));
  }
  for (size_t i = 0; i <= key.size(); ++i)
    for (char c = 'a'; c <= 'z'; ++c) out.push_back(key.substr(0, i) + c + key.substr(i));
  return out;
}

// ---------------------------------------------------------------------------------------------- config parsing

constexpr const char* kEntryKeys = "name, aliases, misspellings, domains, case_sensitive, fuzzy";

[[noreturn]] void Fail(const std::string& where, const std::string& what) {
  throw ConfigError(where + ": " + what);
}

std::vector<std::string> TomlStrings(const toml::node& node, const std::string& where, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* s = node.as_string()) {
    out.push_back(s->get());
  } else if (const auto* a = node.as_array()) {
    for (const auto& item : *a) {
      const auto* s = item.as_string();
      if (!s) Fail(where, std::string(key) + " must be a list of strings");
      out.push_back(s->get());
    }
  } else {
    Fail(where, std::string(key) + " must be a string or a list of strings");
  }
  return out;
}

std::vector<std::string> JsonStrings(const nlohmann::json& v, const std::string& where, const std::string& key) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (!item.is_string()) Fail(where, key + " must be a list of strings");
      out.push_back(item.get<std::string>());
    }
  } else {
    Fail(where, key + " must be a string or a list of strings");
  }
  return out;
}

void CheckEntry(CompetitorEntry& e, const std::string& where) {
  e.name = std::string(Trim(e.name));
  if (e.name.empty()) Fail(where, "a competitor needs a non-empty name");
  auto clean = [](std::vector<std::string>& v) {
    std::vector<std::string> out;
    for (auto& s : v) {
      std::string t(Trim(s));
      if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(std::move(t));
    }
    v = std::move(out);
  };
  clean(e.aliases);
  clean(e.misspellings);
  clean(e.domains);
  if (e.origin.empty()) e.origin = "config";
}

bool IsPlaceholder(const std::string& key) {
  static const std::set<std::string> kPlaceholders = {
      "",       "none",    "n/a",  "na",           "null",          "other",
      "others", "unknown", "tbd",  "nocompetitor", "nocompetition", "notapplicable",
      "?",      "0",       "false"};
  return kPlaceholders.count(key) > 0;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ dictionary

std::vector<CompetitorEntry> ParseCompetitorsToml(std::string_view text, const std::string& source) {
  toml::table doc;
  try {
    doc = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    Fail(source + ":" + std::to_string(e.source().begin.line), "invalid TOML: " + std::string(e.description()));
  }
  std::vector<CompetitorEntry> out;
  const toml::node* node = doc.get("competitors");
  if (!node) return out;
  const toml::array* arr = node->as_array();
  if (!arr)
    Fail(source + ":" + std::to_string(node->source().begin.line), "competitors must be [[competitors]] tables");
  for (const auto& item : *arr) {
    const std::string where = source + ":" + std::to_string(item.source().begin.line);
    const toml::table* t = item.as_table();
    if (!t) Fail(where, "each competitors entry must be a table ([[competitors]])");
    CompetitorEntry e;
    for (const auto& [k, v] : *t) {
      const std::string key(k.str());
      const std::string at = source + ":" + std::to_string(v.source().begin.line);
      if (key == "name") {
        const auto* s = v.as_string();
        if (!s) Fail(at, "name must be a string");
        e.name = s->get();
      } else if (key == "aliases") {
        e.aliases = TomlStrings(v, at, key);
      } else if (key == "misspellings") {
        e.misspellings = TomlStrings(v, at, key);
      } else if (key == "domains") {
        e.domains = TomlStrings(v, at, key);
      } else if (key == "case_sensitive" || key == "fuzzy") {
        const auto* b = v.as_boolean();
        if (!b) Fail(at, key + " must be true or false");
        (key == "fuzzy" ? e.fuzzy : e.case_sensitive) = b->get();
      } else {
        Fail(at, "unknown key '" + key + "' in [[competitors]] (known: " + kEntryKeys + ")");
      }
    }
    CheckEntry(e, where);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<CompetitorEntry> ParseCompetitorsJson(std::string_view text, const std::string& source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    Fail(source, std::string("invalid JSON: ") + e.what());
  }
  const nlohmann::json* list = &doc;
  if (doc.is_object()) {
    if (!doc.contains("competitors")) Fail(source, "expected a list of competitors or {\"competitors\": [...]}");
    list = &doc.at("competitors");
  }
  if (!list->is_array()) Fail(source, "competitors must be a list");
  std::vector<CompetitorEntry> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const auto& item = (*list)[i];
    const std::string where = source + ": competitors[" + std::to_string(i) + "]";
    if (!item.is_object()) Fail(where, "each competitor must be an object");
    CompetitorEntry e;
    for (const auto& [key, v] : item.items()) {
      if (key == "name") {
        if (!v.is_string()) Fail(where, "name must be a string");
        e.name = v.get<std::string>();
      } else if (key == "aliases") {
        e.aliases = JsonStrings(v, where, key);
      } else if (key == "misspellings") {
        e.misspellings = JsonStrings(v, where, key);
      } else if (key == "domains") {
        e.domains = JsonStrings(v, where, key);
      } else if (key == "case_sensitive" || key == "fuzzy") {
        if (!v.is_boolean()) Fail(where, key + " must be true or false");
        (key == "fuzzy" ? e.fuzzy : e.case_sensitive) = v.get<bool>();
      } else {
        Fail(where, "unknown key '" + key + "' (known: " + kEntryKeys + ")");
      }
    }
    CheckEntry(e, where);
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<CompetitorEntry> LoadCompetitorsFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the competitor dictionary");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (path.size() >= 5 && path.substr(path.size() - 5) == ".json") return ParseCompetitorsJson(text, path);
  return ParseCompetitorsToml(text, path);
}

std::vector<CompetitorEntry> MergeCompetitorDictionary(const std::vector<CompetitorEntry>& configured,
                                                       const std::vector<std::string>& property_values) {
  std::vector<CompetitorEntry> out;
  std::unordered_map<std::string, size_t> by_key;  // name / alias / misspelling key -> entry
  auto index = [&](size_t i) {
    const auto& e = out[i];
    by_key.emplace(Key(e.name), i);
    for (const auto& a : e.aliases) by_key.emplace(Key(a), i);
    for (const auto& m : e.misspellings) by_key.emplace(Key(m), i);
  };
  auto add_unique = [](std::vector<std::string>& to, const std::vector<std::string>& from) {
    for (const auto& s : from)
      if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
  };
  for (const auto& c : configured) {
    const auto it = by_key.find(Key(c.name));
    if (it != by_key.end() && Key(out[it->second].name) == Key(c.name)) {
      auto& e = out[it->second];
      add_unique(e.aliases, c.aliases);
      add_unique(e.misspellings, c.misspellings);
      add_unique(e.domains, c.domains);
      e.case_sensitive = e.case_sensitive || c.case_sensitive;
      e.fuzzy = e.fuzzy && c.fuzzy;
      index(it->second);
      continue;
    }
    out.push_back(c);
    if (out.back().origin.empty()) out.back().origin = "config";
    index(out.size() - 1);
  }
  for (const auto& raw : property_values) {
    std::string_view rest = raw;
    while (true) {
      const size_t semi = rest.find(';');
      const std::string value(Trim(rest.substr(0, semi)));
      const std::string key = Key(value);
      if (!IsPlaceholder(key)) {
        const auto it = by_key.find(key);
        if (it == by_key.end()) {
          CompetitorEntry e;
          e.name = value;
          e.origin = "deal_property";
          out.push_back(std::move(e));
          index(out.size() - 1);
        } else if (out[it->second].origin == "config") {
          out[it->second].origin = "config+deal_property";
        }
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  return out;
}

std::string_view MatchKindName(MatchKind kind) {
  switch (kind) {
    case MatchKind::kAlias:
      return "alias";
    case MatchKind::kDomain:
      return "domain";
    case MatchKind::kMisspelling:
      return "misspelling";
    case MatchKind::kVariant:
      return "variant";
    case MatchKind::kName:
      break;
  }
  return "name";
}

// ------------------------------------------------------------------------------------------------ scanner

struct MentionScanner::Compiled {
  std::unique_ptr<RE2> matcher;
  std::unique_ptr<RE2::Set> identify;
};

MentionScanner::MentionScanner(std::vector<CompetitorEntry> competitors, ScannerOptions options)
    : competitors_(std::move(competitors)), options_(options) {
  // Terms in priority order: when several match the same text, the first one names the competitor and kind.
  std::unordered_set<std::string> exact_keys;
  for (size_t c = 0; c < competitors_.size(); ++c) {
    const auto& e = competitors_[c];
    if (Trim(e.name).empty())
      throw InvalidInputError("competitor dictionary: entry " + std::to_string(c + 1) + " has no name");
    terms_.push_back({c, e.name, MatchKind::kName});
    for (const auto& a : e.aliases) terms_.push_back({c, a, MatchKind::kAlias});
    for (const auto& d : e.domains) terms_.push_back({c, d, MatchKind::kDomain});
    for (const auto& m : e.misspellings) terms_.push_back({c, m, MatchKind::kMisspelling});
  }
  std::erase_if(terms_, [](const CompetitorTerm& t) { return Trim(t.text).empty(); });
  for (const auto& t : terms_) exact_keys.insert(Key(t.text));
  if (options_.fuzzy) {
    std::map<std::string, std::set<size_t>> variants;  // ordered: the regex is the same on every run
    for (const auto& t : std::vector<CompetitorTerm>(terms_)) {
      const auto& e = competitors_[t.competitor];
      if (!e.fuzzy || e.case_sensitive || (t.kind != MatchKind::kName && t.kind != MatchKind::kAlias)) continue;
      const std::string key = LetterKey(t.text);
      if (key.size() < options_.fuzzy_min_letters) continue;
      for (auto& v : Variants(key)) variants[std::move(v)].insert(t.competitor);
    }
    for (const auto& [v, owners] : variants) {
      if (owners.size() != 1 || exact_keys.count(v)) continue;  // ambiguous, or a configured term already
      terms_.push_back({*owners.begin(), v, MatchKind::kVariant});
    }
  }

  RE2::Options o;
  o.set_encoding(RE2::Options::EncodingUTF8);
  o.set_longest_match(true);   // leftmost-longest: `Base CRM` rather than `Base`, `forecastly.io` not `Forecastly`
  o.set_case_sensitive(true);  // each term carries its own (?i:) / (?-i:)
  o.set_log_errors(false);
  o.set_max_mem(int64_t{256} << 20);  // thousands of variants: room for the program and a DFA cache that stays warm
  re_ = std::make_unique<Compiled>();
  re_->identify = std::make_unique<RE2::Set>(o, RE2::ANCHOR_BOTH);
  std::string alternation;
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < terms_.size(); ++i) {
    const auto& t = terms_[i];
    const auto& e = competitors_[t.competitor];
    const bool cs = e.case_sensitive || t.text.size() < options_.case_sensitive_below;
    std::string re = TermRegex(t.text, cs);
    std::string err;
    if (re_->identify->Add(re, &err) != static_cast<int>(i))
      throw InvalidInputError("competitor dictionary: cannot compile '" + t.text + "': " + err);
    if (!seen.insert(re).second) continue;
    // \b only where the term's edge is an ASCII word character: RE2's \b is ASCII-only, and the Unicode-aware
    // check in Next() is the rule; the \b lets the DFA drop most non-matches early.
    const bool word_first = IsAsciiAlnum(t.text.front()) || t.text.front() == '_';
    const bool word_last = IsAsciiAlnum(t.text.back()) || t.text.back() == '_';
    if (!alternation.empty()) alternation += '|';
    if (word_first) alternation += "\\b";
    alternation += re;
    if (word_last) alternation += "\\b";
  }
  if (!re_->identify->Compile())
    throw InvalidInputError("competitor dictionary: the term set does not compile (too large?)");
  re_->matcher = std::make_unique<RE2>(alternation.empty() ? std::string("[^\\x00-\\x{10FFFF}]") : alternation, o);
  if (!re_->matcher->ok())
    throw InvalidInputError("competitor dictionary: cannot compile the matcher: " + re_->matcher->error());
}

MentionScanner::~MentionScanner() = default;

bool MentionScanner::Next(std::string_view text, size_t from, size_t& begin, size_t& end) const {
  const re2::StringPiece whole(text.data(), text.size());
  re2::StringPiece m;
  while (from < text.size()) {
    if (!re_->matcher->Match(whole, from, text.size(), RE2::UNANCHORED, &m, 1)) return false;
    begin = static_cast<size_t>(m.data() - text.data());
    end = begin + m.size();
    const bool ok_before = begin == 0 || !IsWordStart(text, begin) || !IsWordStart(text, PreviousStart(text, begin));
    const bool ok_after = end >= text.size() || !IsWordStart(text, PreviousStart(text, end)) || !IsWordStart(text, end);
    if (ok_before && ok_after && end > begin) return true;
    from = begin + 1;
    while (from < text.size() && (static_cast<unsigned char>(text[from]) & 0xC0) == 0x80) ++from;
  }
  return false;
}

size_t MentionScanner::Identify(std::string_view match) const {
  std::vector<int> hits;
  re_->identify->Match(re2::StringPiece(match.data(), match.size()), &hits);
  if (hits.empty()) return 0;  // cannot happen: the matcher is the union of the set's patterns
  return static_cast<size_t>(*std::min_element(hits.begin(), hits.end()));
}

size_t MentionScanner::ScanInto(std::string_view text, std::vector<CompetitorMention>& out) const {
  size_t found = 0, from = 0, begin = 0, end = 0;
  while (Next(text, from, begin, end)) {
    const CompetitorTerm& t = terms_[Identify(text.substr(begin, end - begin))];
    CompetitorMention m;
    m.competitor = t.competitor;
    m.name = competitors_[t.competitor].name;
    m.offset = begin;
    m.length = end - begin;
    m.matched_text = std::string(text.substr(begin, end - begin));
    m.snippet = MentionSnippet(text, begin, end - begin, options_.snippet_context);
    m.kind = t.kind;
    out.push_back(std::move(m));
    ++found;
    from = end;
  }
  return found;
}

std::vector<CompetitorMention> MentionScanner::Scan(std::string_view text) const {
  std::vector<CompetitorMention> out;
  ScanInto(text, out);
  return out;
}

bool MentionScanner::Mentions(std::string_view text) const {
  size_t begin = 0, end = 0;
  return Next(text, 0, begin, end);
}

std::ptrdiff_t MentionScanner::FindCompetitor(std::string_view value) const {
  const std::string key = Key(Trim(value));
  if (key.empty()) return -1;
  for (const auto& t : terms_)
    if (t.kind != MatchKind::kVariant && t.kind != MatchKind::kDomain && Key(t.text) == key)
      return static_cast<std::ptrdiff_t>(t.competitor);
  return -1;
}

// ------------------------------------------------------------------------------------------------ snippet

std::string MentionSnippet(std::string_view text, size_t offset, size_t length, size_t context) {
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  auto is_cont = [&](size_t i) { return i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80; };
  size_t start = offset > context ? offset - context : 0;
  size_t stop = std::min(text.size(), offset + length + context);
  while (start > 0 && is_cont(start)) ++start;
  while (stop < text.size() && is_cont(stop)) --stop;
  if (start > 0) {  // begin at a word: after the first space inside the window, if there is one
    for (size_t i = start; i < offset; ++i)
      if (is_space(text[i])) {
        start = i + 1;
        break;
      }
  }
  if (stop < text.size()) {
    for (size_t i = stop; i > offset + length; --i)
      if (is_space(text[i - 1])) {
        stop = i - 1;
        break;
      }
  }
  std::string out;
  out.reserve(stop - start + 8);
  if (start > 0) out += "…";
  bool pending_space = false;
  for (size_t i = start; i < stop; ++i) {
    char c = text[i];
    if (c == '<' && i + 1 < stop &&
        (std::isalpha(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '/' || text[i + 1] == '!')) {
      const size_t close = text.find('>', i);
      if (close != std::string_view::npos && close < stop && (close < offset || i >= offset + length)) {
        pending_space = true;  // a tag separates words like a space
        i = close;
        continue;
      }
    }
    if (c == '&' && text.substr(i, 6) == "&nbsp;") {
      pending_space = true;
      i += 5;
      continue;
    }
    if (is_space(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty() && out != "…") out += ' ';
    pending_space = false;
    out += c;
  }
  if (stop < text.size()) out += "…";
  return out;
}

}  // namespace revlens::insights
