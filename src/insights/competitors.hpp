#pragma once
/// The competitor dictionary and the mention scanner of `revlens compete` (and of the real-time webhook path).
///
/// The dictionary comes from configuration (`[[competitors]]` in revlens.toml or a `--competitors` TOML/JSON file:
/// name, aliases, misspellings, domains) merged with the distinct values of the deals' competitor property. The
/// scanner compiles every surface form of every competitor into ONE RE2 alternation (leftmost-longest, so `Base
/// CRM` wins over `Base`) and finds all mentions in a text in one pass; a small RE2::Set, run only on the few
/// bytes of each match, tells which form matched. Detection rules:
///   - case-insensitive, except terms shorter than 4 characters (`PD`) and competitors marked case_sensitive;
///   - whole words only: a mention must not touch a letter, digit or `_` on either side, Unicode letters included
///     (`Base` is not found in `database`, `codebase` or `Baseé`);
///   - a space or hyphen inside a term, or between the humps of a CamelCase term, is optional and may be either
///     (`PipeDrift` finds `Pipe Drift`, `pipe-drift` and `pipedrift`; `Base CRM` finds `BaseCRM`);
///   - edit-distance-1 variants (one letter dropped, one inserted, two neighbours swapped; never a substitution,
///     which is how brand names turn into English words: Quotably -> quotable) of names and aliases of at least 6
///     ASCII letters, unless the competitor sets fuzzy = false or a variant is another competitor's term.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace revlens::insights {

/// One competitor and the ways its name is written.
struct CompetitorEntry {
  std::string name;                     ///< canonical name (what tables show)
  std::vector<std::string> aliases;     ///< other names: `Base CRM`, `PD`
  std::vector<std::string> misspellings;  ///< common misspellings: `Forcastly`
  std::vector<std::string> domains;     ///< web / email domains: `forecastly.io`
  bool case_sensitive = false;          ///< match the configured case only (for names that are English words)
  bool fuzzy = true;                    ///< add edit-distance-1 variants of the name and aliases
  std::string origin;                   ///< `config`, `deal_property` or `config+deal_property`
};

/// Parse `[[competitors]]` entries from TOML text (keys: name, aliases, misspellings, domains, case_sensitive,
/// fuzzy). Other top-level keys and tables are ignored (revlens.toml holds other settings). Throws ConfigError
/// naming `source` and the line for invalid TOML, a missing name or an unknown key in an entry.
std::vector<CompetitorEntry> ParseCompetitorsToml(std::string_view text, const std::string& source);
/// Parse JSON: an array of entries or an object with a `competitors` array, keys as in TOML. Throws ConfigError.
std::vector<CompetitorEntry> ParseCompetitorsJson(std::string_view text, const std::string& source);
/// Read a dictionary file: `.json` as JSON, anything else as TOML. Throws ConfigError when it cannot be read or
/// parsed.
std::vector<CompetitorEntry> LoadCompetitorsFile(const std::string& path);

/// Merge the configured dictionary with the distinct values of the deals' competitor property (multi-select
/// values are `;`-separated; blanks and placeholders such as `None`, `N/A`, `Other`, `Unknown` are skipped). A
/// value naming a configured competitor (its name, an alias or a misspelling, ignoring case, spaces and hyphens)
/// adds nothing; any other value becomes a competitor of its own. Configured entries come first, in their order;
/// seeded ones follow in the order given. Duplicate configured names are merged.
std::vector<CompetitorEntry> MergeCompetitorDictionary(const std::vector<CompetitorEntry>& configured,
                                                       const std::vector<std::string>& property_values);

/// Which form of a competitor's name a mention used.
enum class MatchKind : uint8_t { kName, kAlias, kDomain, kMisspelling, kVariant };
/// `name`, `alias`, `domain`, `misspelling` or `variant` (an edit-distance-1 variant).
std::string_view MatchKindName(MatchKind kind);

/// One mention found in a text.
struct CompetitorMention {
  size_t competitor = 0;     ///< index into the scanner's Competitors()
  std::string name;          ///< the competitor's canonical name
  size_t offset = 0;         ///< byte offset of the match in the text
  size_t length = 0;         ///< byte length of the match
  std::string matched_text;  ///< the text as written (`forecastly.io`, `Pipe Drift`)
  std::string snippet;       ///< the match with context, whitespace collapsed, tags dropped, `…` where cut
  MatchKind kind = MatchKind::kName;
};

/// How the scanner is built.
struct ScannerOptions {
  bool fuzzy = true;                ///< edit-distance-1 variants (per competitor: CompetitorEntry::fuzzy)
  size_t fuzzy_min_letters = 6;     ///< only for names / aliases with at least this many letters
  size_t case_sensitive_below = 4;  ///< terms shorter than this (in bytes) match with their configured case
  size_t snippet_context = 60;      ///< bytes of context on each side of a match in the snippet
};

/// One surface form the scanner looks for.
struct CompetitorTerm {
  size_t competitor = 0;
  std::string text;  ///< as configured (for a variant: the lower-case variant)
  MatchKind kind = MatchKind::kName;
};

/// The compiled multi-pattern matcher. Immutable after construction and safe to share between threads.
class MentionScanner {
 public:
  /// Compile the dictionary. Throws InvalidInputError for an empty name or a dictionary RE2 cannot compile.
  explicit MentionScanner(std::vector<CompetitorEntry> competitors, ScannerOptions options = {});
  ~MentionScanner();
  MentionScanner(const MentionScanner&) = delete;
  MentionScanner& operator=(const MentionScanner&) = delete;

  /// Find every mention in `text` (UTF-8), in text order, non-overlapping.
  std::vector<CompetitorMention> Scan(std::string_view text) const;
  /// As Scan, appending to `out` (reuse one vector in a loop). Returns the number of mentions appended.
  size_t ScanInto(std::string_view text, std::vector<CompetitorMention>& out) const;
  /// Return true when `text` mentions any competitor (no allocation).
  bool Mentions(std::string_view text) const;

  /// The competitors, in dictionary order.
  const std::vector<CompetitorEntry>& Competitors() const { return competitors_; }
  /// Every term compiled into the matcher (names, aliases, domains, misspellings, then variants).
  const std::vector<CompetitorTerm>& Terms() const { return terms_; }
  /// Index of the competitor whose name, alias or misspelling equals `value` ignoring case, spaces and hyphens.
  std::ptrdiff_t FindCompetitor(std::string_view value) const;

 private:
  /// The next valid match at or after `from`: sets begin/end and returns true, or returns false.
  bool Next(std::string_view text, size_t from, size_t& begin, size_t& end) const;
  size_t Identify(std::string_view match) const;

  std::vector<CompetitorEntry> competitors_;
  ScannerOptions options_;
  std::vector<CompetitorTerm> terms_;
  struct Compiled;  ///< the RE2 alternation and the RE2::Set that identifies a match's term
  std::unique_ptr<Compiled> re_;
};

/// The snippet Scan reports for the match [offset, offset + length) of `text`: `context` bytes either side,
/// widened or narrowed to whole UTF-8 characters and words, HTML tags dropped, whitespace collapsed to one space,
/// `…` marking a cut.
std::string MentionSnippet(std::string_view text, size_t offset, size_t length, size_t context = 60);

}  // namespace revlens::insights
