#pragma once
/// The generator's model constants: industries, size bands, planted segments, drivers. Internal
/// to the generator; the ground truth JSON writes them out.
#include <array>
#include <cstdint>
#include <string_view>

namespace revlens::emulator::gen {

struct Industry {
  std::string_view value, label;
  double weight;
  double revenue_per_employee;                ///< median USD
  std::array<std::string_view, 3> variants;   ///< messy labels admins added as options ("" = none)
};
inline constexpr std::array<Industry, 12> kIndustries = {{
    {"COMPUTER_SOFTWARE", "Computer Software", 0.18, 210000, {"Software", "SaaS", "software"}},
    {"INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services", 0.12, 160000, {"IT Services", "Tech", ""}},
    {"FINANCIAL_SERVICES", "Financial Services", 0.10, 320000, {"Finance", "Fintech", ""}},
    {"HOSPITAL_HEALTH_CARE", "Hospital & Health Care", 0.09, 120000, {"Healthcare", "Health Care", ""}},
    {"MARKETING_AND_ADVERTISING", "Marketing and Advertising", 0.09, 140000, {"Marketing", "Advertising", ""}},
    {"RETAIL", "Retail", 0.09, 180000, {"E-commerce", "Retail & eCommerce", ""}},
    {"EDUCATION_MANAGEMENT", "Education Management", 0.07, 90000, {"Education", "EdTech", ""}},
    {"MECHANICAL_OR_INDUSTRIAL_ENGINEERING", "Mechanical or Industrial Engineering", 0.08, 250000, {"Manufacturing", "", ""}},
    {"LOGISTICS_AND_SUPPLY_CHAIN", "Logistics and Supply Chain", 0.06, 230000, {"Logistics", "", ""}},
    {"REAL_ESTATE", "Real Estate", 0.05, 200000, {"Real estate", "", ""}},
    {"INSURANCE", "Insurance", 0.04, 350000, {"", "", ""}},
    {"NONPROFIT_ORGANIZATION_MANAGEMENT", "Nonprofit Organization Management", 0.03, 70000, {"Non-profit", "", ""}},
}};
inline constexpr size_t kSoftware = 0, kFinance = 2, kRetail = 5, kEducation = 6;

inline constexpr std::array<std::string_view, 6> kBands = {"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"};
inline int BandOf(int64_t employees) {
  if (employees <= 10) return 0;
  if (employees <= 50) return 1;
  if (employees <= 200) return 2;
  if (employees <= 1000) return 3;
  if (employees <= 5000) return 4;
  return 5;
}
/// Median new-business ACV by size band.
inline constexpr std::array<double, 6> kBandAcv = {3000, 9000, 20000, 45000, 90000, 160000};

/// A planted segment: industry x size bands with effects on conversion, win, ACV and cycle.
struct Segment {
  std::string_view name;
  size_t industry;
  std::array<bool, 6> bands;
  bool icp;                  ///< true = planted ICP; false = busy but losing
  double opp_log_odds;       ///< on becoming an opportunity
  double win_log_odds;       ///< on a deal's win
  double acv_multiplier, cycle_multiplier;
  double activity_multiplier;  ///< visits, forms, engagements
};
inline constexpr std::array<Segment, 4> kSegments = {{
    {"mid_market_software", kSoftware, {false, false, true, true, false, false}, true, 0.55, 0.85, 1.6, 0.7, 1.0},
    {"enterprise_financial_services", kFinance, {false, false, false, false, true, true}, true, 0.45, 0.75, 2.2, 0.85, 1.0},
    {"smb_retail", kRetail, {true, true, false, false, false, false}, false, 0.35, -1.1, 0.7, 1.2, 2.0},
    {"education", kEducation, {true, true, true, true, true, true}, false, 0.25, -0.9, 0.8, 1.3, 1.8},
}};
inline int SegmentOf(size_t industry, int band) {
  for (size_t s = 0; s < kSegments.size(); ++s) {
    if (kSegments[s].industry == industry && kSegments[s].bands[static_cast<size_t>(band)]) return static_cast<int>(s);
  }
  return -1;
}

inline constexpr std::array<std::string_view, 6> kSeniorities = {"c_level", "vp", "director", "manager",
                                                                 "individual_contributor", "student"};
inline constexpr double kSeniorityWeight[6] = {0.05, 0.08, 0.14, 0.25, 0.43, 0.05};
inline constexpr std::array<double, 6> kSeniorityOpp = {0.9, 0.8, 0.5, 0.2, -0.2, -1.6};
inline constexpr std::array<double, 6> kSeniorityWin = {0.3, 0.3, 0.1, 0.0, -0.1, -0.8};

inline constexpr std::array<std::string_view, 8> kFunctions = {"marketing", "sales",   "revenue_operations", "engineering",
                                                               "finance",   "it",      "hr",                 "other"};
inline constexpr double kFunctionWeight[8] = {0.25, 0.2, 0.1, 0.15, 0.07, 0.08, 0.05, 0.1};
inline constexpr std::array<double, 8> kFunctionOpp = {0.3, 0.4, 0.7, -0.3, 0.0, -0.1, -0.6, -0.4};

inline constexpr std::array<std::string_view, 9> kSources = {"ORGANIC_SEARCH", "PAID_SEARCH",     "EMAIL_MARKETING",
                                                             "SOCIAL_MEDIA",   "REFERRALS",       "OTHER_CAMPAIGNS",
                                                             "DIRECT_TRAFFIC", "OFFLINE",         "PAID_SOCIAL"};
inline constexpr double kSourceWeight[9] = {0.25, 0.14, 0.08, 0.07, 0.08, 0.06, 0.14, 0.12, 0.06};
inline constexpr std::array<double, 9> kSourceOpp = {0.2, 0.1, 0.0, -0.3, 0.9, 0.0, 0.3, -0.4, -0.5};
inline constexpr size_t kOffline = 7, kReferrals = 4, kEmailMarketing = 2;

inline constexpr std::array<std::string_view, 14> kTech = {"salesforce", "hubspot", "snowflake", "bigquery", "segment",
                                                           "stripe",     "zendesk", "intercom",  "shopify",  "aws",
                                                           "gcp",        "azure",   "slack",     "jira"};
inline constexpr std::array<double, 14> kTechRate = {0.25, 0.6, 0.12, 0.1, 0.12, 0.3, 0.25, 0.2, 0.1, 0.5, 0.2, 0.2, 0.6, 0.4};
/// Companies using snowflake or segment (a modern data stack) win more when effects are on.
inline constexpr uint32_t kModernStackMask = (1u << 2) | (1u << 4);

// Contact model (q = P(becomes an opportunity)).
inline constexpr double kOppLog1pVisits = 0.45, kOppVisitsCenter = 1.5;
inline constexpr double kOppForms = 0.30;
inline constexpr int kOppFormsCap = 5;
inline constexpr double kOppUsageDays14 = 0.12;
inline constexpr double kOppImport = -0.8;
inline constexpr double kOppLatentIntent = 0.5;
inline constexpr double kSlowResponseHours = 24.0, kSlowResponseOpp = -0.7;

// Deal model (new business).
inline constexpr double kWinIntercept = -1.0;
inline constexpr double kWinEarlyMeeting = 0.79;  // ln 2.2
inline constexpr double kEarlyMeetingDays = 14.0;
inline constexpr double kWinModernStack = 0.3;
inline constexpr double kWinReferral = 0.35;
inline constexpr double kCompetitorInvolvement = 0.45;
inline constexpr double kNbWonCycleDays = 40.0, kNbWonCycleSigma = 0.5;
inline constexpr double kNbLostCycleDays = 35.0, kNbLostCycleSigma = 0.8;
inline constexpr double kDealDelayMeanDays = 12.0;
inline constexpr double kConversionWindowDays = 90.0;
inline constexpr std::array<double, 5> kNbStageWeights = {0.30, 0.25, 0.20, 0.15, 0.10};
inline constexpr std::array<double, 3> kRenewalStageWeights = {0.5, 0.3, 0.2};
inline constexpr double kRenewalIntercept = 1.7, kExpansionIntercept = 0.1;
inline constexpr double kQuarterPullProb = 0.5, kQuarterPullWindowDays = 10;
inline constexpr double kAnnualGrowth = 0.5;
/// Multi-threading: a deal with 2+ distinct contacts on its calls, emails and meetings in its first 14 days. Chosen
/// after the deal's outcome, with this probability for deals that end won and lost (open deals and portals with
/// effects off: the average), so the odds ratio of winning given the pattern is
/// a(1 - b) / (b(1 - a)) = 0.35 * 0.8 / (0.2 * 0.65) ≈ 2.15 among eligible deals in every segment, size and pipeline.
inline constexpr double kMultiThreadIfWon = 0.35, kMultiThreadIfLost = 0.20;
inline constexpr double kMultiThreadWindowDays = 14.0;
inline constexpr std::array<double, 12> kMonthMultiplier = {1.15, 1.05, 1.1, 1.0, 1.0, 0.9, 0.85, 0.8, 1.15, 1.1, 1.0, 0.7};

}  // namespace revlens::emulator::gen
