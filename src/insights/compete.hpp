#pragma once
/// Competitive intelligence (`revlens compete`): which competitors are on which deals and how revlens's user fares
/// against each of them.
///
/// Reads the `deals` and `engagements` marts, builds the competitor dictionary (configured entries merged with the
/// values of the deals' competitor property, competitors.hpp), scans every note, email, call and meeting (title and
/// body) and the deals' competitor and closed-lost-reason properties with one compiled matcher, and computes per
/// competitor: deals involved (property or mention), win rate against it with a Wilson interval versus closed
/// deals with no competitor (Newcombe interval of the difference, Fisher exact test, Benjamini–Hochberg across
/// competitors), effect on deal size and on cycle length (ratios of geometric means with intervals; cycle
/// compared within won and within lost deals), loss reasons, a monthly trend, reps' records against it, and the
/// latest mentions with snippets. Writes competitor_mentions, competitor_stats, competitor_loss_reasons,
/// competitor_monthly, competitor_reps, competitor_dictionary and deal_competitors (open deals, for the
/// `revlens_competitors` write-back) into the model schema, replacing the previous run in one transaction.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "insights/competitors.hpp"
#include "warehouse/value.hpp"

namespace revlens::warehouse {
class Warehouse;
}

namespace revlens::insights {

/// How to run the analysis.
struct CompeteOptions {
  std::string schema = "revlens";           ///< model schema: where the marts live and the results go
  std::vector<CompetitorEntry> dictionary;  ///< configured competitors (merged with the deal property's values)
  bool seed_from_deals = true;              ///< add the distinct values of the deals' competitor property
  ScannerOptions scanner;
  double confidence = 0.95;  ///< level of every interval
  double fdr = 0.05;         ///< Benjamini–Hochberg false-discovery rate of the win-rate tests
  /// Pipelines where at least this share of closed deals involve a competitor make up the baseline (closed deals
  /// there with no competitor): renewal pipelines, where competitors rarely appear, do not dilute it.
  double min_pipeline_share = 0.05;
  size_t latest_mentions = 5;  ///< per competitor, in the report (the table keeps them all)
  int threads = 2;             ///< threads scanning engagement text
  std::string run_id;          ///< empty: `compete-<UTC time>`
  int64_t computed_at_ms = 0;  ///< 0: now
};

/// One live deal as the analysis needs it (a row of the deals mart).
struct CompeteDeal {
  int64_t deal_id = 0;
  std::string pipeline_id;
  std::optional<int64_t> owner_id;
  std::string owner_name;
  std::string competitor_property;  ///< the competitor property's raw value ("" when unset)
  std::string loss_reason;          ///< closed_lost_reason ("" when unset)
  bool is_open = false, is_won = false, is_lost = false;
  std::optional<double> amount, cycle_days;
  std::optional<warehouse::Timestamp> created_at, closed_at;
};

/// One mention (a row of competitor_mentions).
struct MentionRecord {
  std::string source;  ///< note, email, call, meeting or deal_property
  std::string field;   ///< title, body, competitor or closed_lost_reason
  std::optional<int64_t> engagement_id, deal_id, contact_id, owner_id;
  size_t competitor = 0;  ///< index into the dictionary
  std::string competitor_name;
  std::string matched_text, snippet;
  MatchKind kind = MatchKind::kName;
  int64_t offset = 0;  ///< byte offset in the field
  std::optional<warehouse::Timestamp> mentioned_at;
};

/// Closed deals with no competitor in the competitive pipelines: what each competitor is compared with.
struct CompeteBaseline {
  std::vector<std::string> pipelines;  ///< the competitive pipelines
  int64_t closed = 0, won = 0;
  double win_rate = 0, ci_low = 0, ci_high = 0;
  std::optional<double> median_amount, median_cycle_days;
};

/// A rep's record against one competitor.
struct CompetitorRep {
  std::optional<int64_t> owner_id;
  std::string owner_name;
  int64_t closed = 0, won = 0;
  double win_rate = 0, ci_low = 0, ci_high = 0;
  std::optional<double> baseline_win_rate;  ///< the rep's win rate on baseline deals (no competitor)
};

/// One month of one competitor.
struct CompetitorMonth {
  warehouse::Date month;  ///< first day of the month
  int64_t mentions = 0, deals_mentioned = 0, deals_created = 0, closed = 0, won = 0;
};

/// Everything about one competitor.
struct CompetitorStats {
  std::string competitor;
  int64_t deals_involved = 0, deals_by_property = 0, deals_by_mention = 0, open_deals = 0;
  int64_t mentions = 0;  ///< in engagements and deal properties
  int64_t closed = 0, won = 0;
  double win_rate = 0, ci_low = 0, ci_high = 0;
  std::optional<double> win_rate_diff, diff_low, diff_high;  ///< win rate minus the baseline's (Newcombe)
  double p_value = 1, q_value = 1;                           ///< Fisher exact; BH-adjusted
  bool significant = false;                                  ///< q_value <= fdr
  std::optional<double> median_amount, amount_ratio, amount_ratio_low, amount_ratio_high, amount_p_value;
  std::optional<double> median_cycle_days, cycle_ratio, cycle_ratio_low, cycle_ratio_high, cycle_p_value;
  std::vector<std::pair<std::string, int64_t>> loss_reasons;  ///< of lost deals involving it, most frequent first
  std::vector<CompetitorRep> reps;                            ///< by wins, then win rate
  std::vector<CompetitorMonth> months;                        ///< in order
  std::vector<MentionRecord> latest;                          ///< latest engagement mentions, newest first
  std::optional<warehouse::Timestamp> last_mentioned_at;
};

/// Everything one run produced.
struct CompeteReport {
  std::string run_id;
  int64_t computed_at_ms = 0;
  double confidence = 0.95, fdr = 0.05;
  std::vector<CompetitorEntry> dictionary;
  size_t dictionary_terms = 0;  ///< surface forms compiled into the matcher
  CompeteBaseline baseline;
  std::vector<CompetitorStats> competitors;  ///< by deals involved, most first
  std::vector<MentionRecord> mentions;       ///< every mention
  std::vector<std::pair<int64_t, std::string>> deal_competitors;  ///< open deals: id, `;`-joined names
  int64_t deals = 0, texts_scanned = 0, bytes_scanned = 0;
  double load_seconds = 0, scan_seconds = 0, analyze_seconds = 0, write_seconds = 0;
  /// The report as JSON: run, baseline, competitors (with reps, loss reasons, months, latest mentions), counts.
  std::string ToJson() const;
};

/// Read the live deals from the deals mart (ordered by deal_id). Throws ConfigError when it is missing (run
/// `revlens build`).
std::vector<CompeteDeal> LoadCompeteDeals(warehouse::Warehouse& warehouse, const std::string& schema);

/// The distinct non-empty values of the deals' competitor property.
std::vector<std::string> CompetitorPropertyValues(const std::vector<CompeteDeal>& deals);

/// Mentions in the deals' competitor and closed_lost_reason properties. A competitor value the scanner does not
/// find as a word but that names a competitor exactly still counts (matched_text is the whole value).
std::vector<MentionRecord> ScanDealProperties(const MentionScanner& scanner, const std::vector<CompeteDeal>& deals);

/// Totals of an engagement scan.
struct EngagementScan {
  int64_t rows = 0, texts = 0, bytes = 0;
};
/// Scan the title and body of every note, email, call and meeting in the engagements mart, appending mentions to
/// `out` (by type, then engagement id, then offset). Pulls one engagement type at a time; `threads` scan.
EngagementScan ScanEngagements(warehouse::Warehouse& warehouse, const std::string& schema,
                               const MentionScanner& scanner, int threads, std::vector<MentionRecord>& out);

/// The statistics (no warehouse: the pure computation). `mentions` are every mention found; `names` the
/// dictionary's canonical names (MentionRecord::competitor indexes it). Throws InvalidInputError for options out
/// of range (confidence or fdr not in (0, 1), min_pipeline_share not in [0, 1]).
CompeteReport AnalyzeCompetition(const std::vector<CompeteDeal>& deals, std::vector<MentionRecord> mentions,
                                 const std::vector<std::string>& names, const CompeteOptions& options);

/// Replace the result tables in `schema` with the report's rows, in one transaction.
void WriteCompeteReport(warehouse::Warehouse& warehouse, const std::string& schema, const CompeteReport& report);

/// Load, build the dictionary and scanner, scan, analyse and (when `write`) write the tables.
CompeteReport RunCompete(warehouse::Warehouse& warehouse, const CompeteOptions& options, bool write = true);

/// The configured dictionary: `path` when given (TOML with [[competitors]] or JSON), else `[[competitors]]` of
/// revlens.toml in the working directory when present, else none. Throws ConfigError for an unreadable file.
std::vector<CompetitorEntry> ConfiguredCompetitors(const std::string& path = "");

}  // namespace revlens::insights
