#pragma once
/// ICP analysis (`revlens icp`): which segments of closed new-business deals win (industry, employee band,
/// revenue band, country, region, lead source, technology, champion seniority and two-way combinations), with
/// Wilson intervals, Fisher exact tests against the rest and Benjamini–Hochberg control; "busy but losing"
/// segments; an ICP fit score (0–100) for every company; and plain-language summary sentences.
///
/// Reads the `icp_deals` and `icp_companies` models (sql/models/features/icp_*.sql), computes in C++, and writes
/// `icp_segments` and `company_icp_fit` into the model schema, replacing the previous run in one transaction.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace revlens::warehouse {
class Warehouse;
}

namespace revlens::insights {

/// An attribute segments are cut on. Company-level attributes describe the account; deal-level ones (lead
/// source, champion seniority) describe how the deal came in and who championed it.
enum class IcpAttribute : uint8_t {
  kIndustry,
  kSizeBand,
  kRevenueBand,
  kCountry,
  kRegion,
  kTechnology,
  kLeadSource,
  kChampionSeniority,
};
inline constexpr size_t kIcpAttributeCount = 8;

/// The attribute's column name in icp_deals / icp_companies (`industry`, `size_band`, ..., `technology` for the
/// tech stack).
std::string_view IcpAttributeName(IcpAttribute attribute);
/// Return true for the attributes a company has on its own (not lead source or champion seniority).
bool IsCompanyAttribute(IcpAttribute attribute);

/// One dimension of the analysis: one attribute, or a two-way combination.
struct IcpDimension {
  std::vector<IcpAttribute> attributes;
  /// `industry`, or `industry_x_size_band` for a combination.
  std::string Name() const;
  /// Return true when every attribute is company-level (such segments feed the company fit score).
  bool CompanyLevel() const;
};

/// The dimensions analysed by default: every attribute alone, industry × size band and industry × revenue band.
std::vector<IcpDimension> DefaultIcpDimensions();

/// One closed new-business deal (a row of icp_deals). Attribute values are "" when unknown; technology holds
/// the company's ';'-joined tech stack.
struct IcpDeal {
  int64_t deal_id = 0;
  std::optional<int64_t> company_id;
  bool won = false;
  std::optional<double> amount;
  std::optional<double> cycle_days;
  std::optional<double> engagements;  ///< engagements on the company up to the close; unset without a company
  std::array<std::string, kIcpAttributeCount> attributes;
};

/// One company (a row of icp_companies); lead source and champion seniority are always "".
struct IcpCompany {
  int64_t company_id = 0;
  std::string name;
  std::array<std::string, kIcpAttributeCount> attributes;
  int64_t leads = 0;         ///< contacts at the company
  int64_t closed_deals = 0;  ///< closed new-business deals
};

/// How to run the analysis.
struct IcpOptions {
  std::string schema = "revlens";  ///< model schema: where icp_deals lives and the results go
  double fdr = 0.05;               ///< Benjamini–Hochberg false-discovery rate
  int64_t min_deals = 20;          ///< segments with fewer closed deals are not tested
  double busy_ratio = 1.25;        ///< activity or lead volume at least this × what the size predicts counts as busy
  double confidence = 0.95;        ///< level of the Wilson intervals
  double ridge_lambda = 0;         ///< L2 penalty of the fit model (log-odds scale); 0 = chosen by cross-validation
  std::vector<IcpDimension> dimensions = DefaultIcpDimensions();
  std::string run_id;        ///< empty: `icp-<UTC time>`
  int64_t scored_at_ms = 0;  ///< 0: now
};

/// The figures of all closed new-business deals (the base every segment is compared with).
struct IcpBase {
  int64_t deals = 0, wins = 0;
  double win_rate = 0, ci_low = 0, ci_high = 0;
  int64_t leads = 0;                      ///< contacts at every company
  std::optional<double> conversion_rate;  ///< won deals with a company ÷ leads
  std::optional<double> avg_won_amount, mean_cycle_days, engagements_per_deal, leads_per_company;
};

/// One tested segment. Two rates are tested against the rest of the deals (or leads): the win rate of closed
/// deals (every dimension) and, for company-level dimensions, the conversion of leads (contacts at the segment's
/// companies) into won deals, which also carries the segment's effect on becoming a deal at all.
struct IcpSegment {
  std::string dimension;  ///< IcpDimension::Name()
  std::string segment;    ///< the values, ` / `-joined for a combination (`COMPUTER_SOFTWARE / 51-200`)
  std::string label;      ///< in words (`Computer Software, 51–200 employees`)
  int64_t deals = 0, wins = 0;
  double win_rate = 0, ci_low = 0, ci_high = 0;  ///< wins ÷ closed deals, Wilson interval
  std::optional<double> lift;                    ///< win rate ÷ base win rate
  std::optional<double> avg_won_amount;          ///< mean amount of won deals (ACV; amounts winsorized at p1/p99)
  std::optional<double> acv_ratio;               ///< ÷ the base's
  std::optional<double> mean_cycle_days;         ///< mean days from create to close of won deals
  /// Engagements on the company up to the close, per deal; and that ÷ what deals at companies of the same
  /// employee bands get (1 = as busy as its size predicts).
  std::optional<double> engagements_per_deal, activity_ratio;
  /// Leads (contacts) per company in the segment; and that ÷ what companies of the same employee bands have.
  /// Company-level dimensions only.
  std::optional<double> leads_per_company, leads_ratio;
  int64_t leads = 0;                      ///< contacts at the segment's companies (company-level only)
  std::optional<double> conversion_rate;  ///< wins ÷ leads
  std::optional<double> conversion_lift;  ///< ÷ the base conversion rate
  double p_value = 1, q_value = 1;        ///< win rate: Fisher exact (two-sided) against the rest; BH-adjusted
  std::optional<double> conversion_p_value, conversion_q_value;  ///< the same for lead conversion
  bool significant = false;                                      ///< q_value or conversion_q_value <= fdr
  /// Significantly below the base, and activity_ratio or leads_ratio >= busy_ratio.
  bool busy_losing = false;
  /// The lift a reader ranks by: per lead (conversion_lift) for company-level segments, else per deal (lift).
  double HeadlineLift() const { return conversion_lift ? *conversion_lift : lift.value_or(0); }
  /// Whether the segment's more significant test says it does better than the base.
  bool Wins() const;
};

/// A company's ICP fit.
struct CompanyIcpFit {
  int64_t company_id = 0;
  double icp_fit = 50;      ///< 0–100: 100·L/(1+L) for L = modelled won deals per lead ÷ base; 50 = the base
  std::string top_segment;  ///< label of its highest-lift significant winning segment; "" when none
};

/// Everything one run produced.
struct IcpReport {
  std::string run_id;
  int64_t scored_at_ms = 0;
  double fdr = 0.05;
  int64_t min_deals = 0;
  IcpBase base;
  std::vector<IcpSegment> segments;  ///< every tested segment, by dimension then lift (highest first)
  std::vector<CompanyIcpFit> companies;
  std::vector<std::string> fit_features;  ///< `dimension=segment` of the segments the fit model used
  double fit_penalty = 0;                 ///< the fit model's ridge penalty (0: no fit model)
  double fit_slope = 1;                   ///< its recalibration slope on out-of-fold margins (1: none)
  std::vector<std::string> summary;       ///< plain-language sentences
  /// Segments with significant set, highest HeadlineLift() first.
  std::vector<const IcpSegment*> Significant() const;
  /// The report as JSON: base, summary, every segment, fit features, and the companies' fit distribution with
  /// the `top_companies` highest-fit companies.
  std::string ToJson(size_t top_companies = 20) const;
};

/// Analyse closed deals and score companies (no warehouse: the pure computation). Throws InvalidInputError for
/// options out of range (fdr not in (0, 1), min_deals < 1, busy_ratio <= 0).
IcpReport AnalyzeIcp(const std::vector<IcpDeal>& deals, const std::vector<IcpCompany>& companies,
                     const IcpOptions& options);

/// Read icp_deals (ordered by deal_id) and icp_companies (by company_id) from `schema`. Throws ConfigError when
/// the models are missing (run `revlens build`).
std::vector<IcpDeal> LoadIcpDeals(warehouse::Warehouse& warehouse, const std::string& schema);
std::vector<IcpCompany> LoadIcpCompanies(warehouse::Warehouse& warehouse, const std::string& schema);

/// Replace `icp_segments` and `company_icp_fit` in `schema` with the report's rows, in one transaction.
void WriteIcpReport(warehouse::Warehouse& warehouse, const std::string& schema, const IcpReport& report);

/// Load, analyse and (when `write`) store the results.
IcpReport RunIcp(warehouse::Warehouse& warehouse, const IcpOptions& options, bool write = true);

}  // namespace revlens::insights
