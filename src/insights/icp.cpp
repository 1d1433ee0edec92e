#include "insights/icp.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "core/errors.hpp"
#include "core/hash.hpp"
#include "core/time_util.hpp"
#include "insights/stats.hpp"
#include "insights/table_util.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {

namespace {

using warehouse::Column;
using warehouse::ColumnType;
using warehouse::Value;
using warehouse::Warehouse;

constexpr std::array<IcpAttribute, kIcpAttributeCount> kAllAttributes = {
    IcpAttribute::kIndustry, IcpAttribute::kSizeBand,   IcpAttribute::kRevenueBand, IcpAttribute::kCountry,
    IcpAttribute::kRegion,   IcpAttribute::kTechnology, IcpAttribute::kLeadSource,  IcpAttribute::kChampionSeniority};

/// The size bands of the companies mart, in order (for merging adjacent bands in sentences).
constexpr std::array<std::string_view, 6> kSizeBands = {"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5001+"};

size_t Index(IcpAttribute a) {
  return static_cast<size_t>(a);
}

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

/// The values a record has for `attribute`: none when unknown, one for most, each technology of the stack.
std::vector<std::string> ValuesOf(const std::array<std::string, kIcpAttributeCount>& attrs, IcpAttribute a) {
  const std::string& v = attrs[Index(a)];
  std::vector<std::string> out;
  if (v.empty()) return out;
  if (a != IcpAttribute::kTechnology) {
    out.push_back(v);
    return out;
  }
  std::set<std::string> seen;  // a stack that names one tool twice counts it once
  size_t start = 0;
  while (start <= v.size()) {
    const size_t end = std::min(v.find(';', start), v.size());
    std::string item = Trim(std::string_view(v).substr(start, end - start));
    if (!item.empty() && seen.insert(item).second) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

/// The segment keys a record falls into for `dim` (the cartesian product of its attributes' values).
std::vector<std::string> SegmentsOf(const std::array<std::string, kIcpAttributeCount>& attrs, const IcpDimension& dim) {
  std::vector<std::string> keys = {""};
  for (size_t k = 0; k < dim.attributes.size(); ++k) {
    const auto values = ValuesOf(attrs, dim.attributes[k]);
    if (values.empty()) return {};
    std::vector<std::string> next;
    next.reserve(keys.size() * values.size());
    for (const auto& prefix : keys)
      for (const auto& v : values) next.push_back(k == 0 ? v : prefix + " / " + v);
    keys = std::move(next);
  }
  return keys;
}

std::vector<std::string> SplitKey(const std::string& key) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = key.find(" / ", start);
    if (pos == std::string::npos) {
      parts.push_back(key.substr(start));
      return parts;
    }
    parts.push_back(key.substr(start, pos - start));
    start = pos + 3;
  }
}

// ------------------------------------------------------------------------------------------------ words

std::string WithThousands(int64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

/// `COMPUTER_SOFTWARE` -> `Computer Software`; `INFORMATION_TECHNOLOGY_AND_SERVICES` -> `Information Technology and
/// Services`. Free text that is not an upper-case code stays as it is.
std::string IndustryWords(const std::string& code) {
  const bool is_code = std::all_of(code.begin(), code.end(),
                                   [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!is_code) return code;
  std::string out, word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += ' ';
    std::string w = word;
    for (size_t i = 1; i < w.size(); ++i) w[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(w[i])));
    if (w == "And" || w == "Or" || w == "Of") w[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(w[0])));
    out += w;
    word.clear();
  };
  for (char c : code) {
    if (c == '_')
      flush();
    else
      word += c;
  }
  flush();
  return out;
}

/// Bounds of a size band (`51-200` -> 51..200, `5001+` -> 5001..-1); nullopt when it is not a band.
std::optional<std::pair<int64_t, int64_t>> BandBounds(const std::string& band) {
  try {
    if (!band.empty() && band.back() == '+') return std::make_pair(std::stoll(band.substr(0, band.size() - 1)), -1LL);
    const auto dash = band.find('-');
    if (dash == std::string::npos) return std::nullopt;
    return std::make_pair(std::stoll(band.substr(0, dash)), std::stoll(band.substr(dash + 1)));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// `51–1,000` for bands 51-200 .. 201-1000, `5,001+` for an open top.
std::string EmployeeRange(const std::string& first_band, const std::string& last_band) {
  const auto lo = BandBounds(first_band), hi = BandBounds(last_band);
  if (!lo || !hi) return first_band == last_band ? first_band : first_band + " to " + last_band;
  if (hi->second < 0) return WithThousands(lo->first) + "+";
  return WithThousands(lo->first) + "\u2013" + WithThousands(hi->second);
}

std::string RevenueWords(const std::string& band) {
  if (band.empty()) return band;
  if (band[0] == '<') return "under $" + band.substr(1);
  if (band.back() == '+') return "$" + band;
  const auto dash = band.find('-');
  if (dash == std::string::npos) return band;
  return "$" + band.substr(0, dash) + "\u2013" + band.substr(dash + 1);
}

std::string LowerWords(const std::string& code) {
  std::string out = code;
  for (auto& c : out) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string SeniorityWords(const std::string& s) {
  if (s == "c_level") return "a C-level executive";
  if (s == "vp") return "a VP";
  if (s == "director") return "a director";
  if (s == "manager") return "a manager";
  if (s == "individual_contributor") return "an individual contributor";
  if (s == "student") return "a student or intern";
  return LowerWords(s);
}

/// One attribute value in words, for labels.
std::string ValueLabel(IcpAttribute a, const std::string& v) {
  switch (a) {
    case IcpAttribute::kIndustry:
      return IndustryWords(v);
    case IcpAttribute::kSizeBand:
      return EmployeeRange(v, v) + " employees";
    case IcpAttribute::kRevenueBand:
      return RevenueWords(v) + " revenue";
    case IcpAttribute::kCountry:
    case IcpAttribute::kRegion:
      return v;
    case IcpAttribute::kTechnology:
      return "uses " + v;
    case IcpAttribute::kLeadSource:
      return "source " + LowerWords(v);
    case IcpAttribute::kChampionSeniority:
      return "champion " + LowerWords(v);
  }
  return v;
}

std::string SegmentLabel(const IcpDimension& dim, const std::string& key) {
  const auto parts = SplitKey(key);
  std::string out;
  for (size_t k = 0; k < dim.attributes.size() && k < parts.size(); ++k) {
    if (!out.empty()) out += ", ";
    out += ValueLabel(dim.attributes[k], parts[k]);
  }
  return out;
}

/// The subject of a summary sentence: "Companies in Computer Software with 51–1,000 employees", "Deals sourced
/// from referrals", "Deals championed by a VP at companies in Retail".
/// `values` holds each attribute's value ("" = not part of the segment); a size range replaces the size band.
std::string Subject(const std::array<std::string, kIcpAttributeCount>& values, const std::string& size_range) {
  std::string company;
  const auto& ind = values[Index(IcpAttribute::kIndustry)];
  const auto& rev = values[Index(IcpAttribute::kRevenueBand)];
  const auto& country = values[Index(IcpAttribute::kCountry)];
  const auto& region = values[Index(IcpAttribute::kRegion)];
  const auto& tech = values[Index(IcpAttribute::kTechnology)];
  if (!ind.empty()) company += " in " + IndustryWords(ind);
  std::vector<std::string> with;
  const auto& band = values[Index(IcpAttribute::kSizeBand)];
  if (!size_range.empty())
    with.push_back(size_range + " employees");
  else if (!band.empty())
    with.push_back(EmployeeRange(band, band) + " employees");
  if (!rev.empty()) with.push_back(RevenueWords(rev) + " in revenue");
  for (size_t i = 0; i < with.size(); ++i) company += (i == 0 ? " with " : " and ") + with[i];
  if (!country.empty()) company += " in " + country;
  if (!region.empty()) company += " in " + region;
  if (!tech.empty()) company += " using " + tech;
  const auto& source = values[Index(IcpAttribute::kLeadSource)];
  const auto& seniority = values[Index(IcpAttribute::kChampionSeniority)];
  if (source.empty() && seniority.empty()) return "Companies" + company;
  std::string deal = "Deals";
  if (!source.empty()) deal += " sourced from " + LowerWords(source);
  if (!seniority.empty())
    deal += std::string(source.empty() ? "" : " and") + " championed by " + SeniorityWords(seniority);
  if (!company.empty()) deal += " at companies" + company;
  return deal;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string Percent(double rate) {
  return Fixed(100.0 * rate, 1) + "%";
}

std::string Money(double v) {
  return "$" + WithThousands(std::llround(v));
}

// ------------------------------------------------------------------------------------------------ tallies

/// What a segment (or the base) accumulates over deals and companies. Activity and lead volume are also summed
/// as expected for companies of the same employee band, so "busy" means busy for a company of that size.
struct Tally {
  int64_t deals = 0, wins = 0;
  double won_amount_sum = 0;
  int64_t won_amount_n = 0;
  double won_cycle_sum = 0;
  int64_t won_cycle_n = 0;
  double engagements_sum = 0, expected_engagements_sum = 0;
  int64_t engagements_n = 0;
  int64_t companies = 0, leads = 0;
  double expected_leads = 0;
  int64_t company_wins = 0;

  void AddDeal(const IcpDeal& d, double expected_engagements) {
    ++deals;
    if (d.company_id && d.won) ++company_wins;
    if (d.engagements) {
      engagements_sum += *d.engagements;
      expected_engagements_sum += expected_engagements;
      ++engagements_n;
    }
    if (!d.won) return;
    ++wins;
    if (d.amount) {
      won_amount_sum += *d.amount;
      ++won_amount_n;
    }
    if (d.cycle_days) {
      won_cycle_sum += *d.cycle_days;
      ++won_cycle_n;
    }
  }
  void AddCompany(const IcpCompany& c, double expected) {
    ++companies;
    leads += c.leads;
    expected_leads += expected;
  }
  std::optional<double> AvgWonAmount() const {
    return won_amount_n > 0 ? std::optional<double>(won_amount_sum / static_cast<double>(won_amount_n)) : std::nullopt;
  }
  std::optional<double> MeanCycle() const {
    return won_cycle_n > 0 ? std::optional<double>(won_cycle_sum / static_cast<double>(won_cycle_n)) : std::nullopt;
  }
  std::optional<double> EngagementsPerDeal() const {
    return engagements_n > 0 ? std::optional<double>(engagements_sum / static_cast<double>(engagements_n))
                             : std::nullopt;
  }
  std::optional<double> ActivityRatio() const {
    return expected_engagements_sum > 0 ? std::optional<double>(engagements_sum / expected_engagements_sum)
                                        : std::nullopt;
  }
  std::optional<double> LeadsPerCompany() const {
    return companies > 0 ? std::optional<double>(static_cast<double>(leads) / static_cast<double>(companies))
                         : std::nullopt;
  }
  std::optional<double> LeadsRatio() const {
    return expected_leads > 0 ? std::optional<double>(static_cast<double>(leads) / expected_leads) : std::nullopt;
  }
};

/// Mean engagements per deal and leads per company by employee band ("" = unknown), the yardstick for "busy".
struct SizeNorms {
  std::map<std::string, double> engagements, leads;
  double Engagements(const IcpDeal& d) const {
    const auto it = engagements.find(d.attributes[Index(IcpAttribute::kSizeBand)]);
    return it == engagements.end() ? 0.0 : it->second;
  }
  double Leads(const IcpCompany& c) const {
    const auto it = leads.find(c.attributes[Index(IcpAttribute::kSizeBand)]);
    return it == leads.end() ? 0.0 : it->second;
  }
};

SizeNorms MakeSizeNorms(const std::vector<IcpDeal>& deals, const std::vector<IcpCompany>& companies) {
  std::map<std::string, std::pair<double, int64_t>> e, l;
  for (const auto& d : deals) {
    if (!d.engagements) continue;
    auto& acc = e[d.attributes[Index(IcpAttribute::kSizeBand)]];
    acc.first += *d.engagements;
    ++acc.second;
  }
  for (const auto& c : companies) {
    auto& acc = l[c.attributes[Index(IcpAttribute::kSizeBand)]];
    acc.first += static_cast<double>(c.leads);
    ++acc.second;
  }
  SizeNorms n;
  for (const auto& [band, acc] : e) n.engagements[band] = acc.first / static_cast<double>(acc.second);
  for (const auto& [band, acc] : l) n.leads[band] = acc.first / static_cast<double>(acc.second);
  return n;
}

std::optional<double> Ratio(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b || !(*b > 0)) return std::nullopt;
  return *a / *b;
}

/// Figures of a tally against the base (everything but q and the flags). `company_level`: the tally's leads are
/// those of its companies, so lead conversion is measured and tested too.
IcpSegment Describe(const Tally& t, const Tally& base, double base_rate, double confidence, bool company_level) {
  IcpSegment s;
  s.deals = t.deals;
  s.wins = t.wins;
  s.win_rate = t.deals > 0 ? static_cast<double>(t.wins) / static_cast<double>(t.deals) : 0.0;
  const auto ci = WilsonInterval(t.wins, t.deals, confidence);
  s.ci_low = ci.low;
  s.ci_high = ci.high;
  if (base_rate > 0) s.lift = s.win_rate / base_rate;
  s.avg_won_amount = t.AvgWonAmount();
  s.acv_ratio = Ratio(s.avg_won_amount, base.AvgWonAmount());
  s.mean_cycle_days = t.MeanCycle();
  s.engagements_per_deal = t.EngagementsPerDeal();
  s.activity_ratio = t.ActivityRatio();
  s.p_value =
      FisherExactTwoSided(t.wins, t.deals - t.wins, base.wins - t.wins, (base.deals - t.deals) - (base.wins - t.wins));
  if (!company_level) return s;
  s.leads_per_company = t.LeadsPerCompany();
  s.leads_ratio = t.LeadsRatio();
  // A won deal whose contact is not counted among its company's leads still came from a lead: at least one lead
  // per win keeps the rate a proportion.
  s.leads = std::max(t.leads, t.company_wins);
  const int64_t base_leads = std::max(base.leads, base.company_wins);
  if (s.leads == 0 || base_leads == 0) return s;
  s.conversion_rate = static_cast<double>(t.company_wins) / static_cast<double>(s.leads);
  const double base_conversion = static_cast<double>(base.company_wins) / static_cast<double>(base_leads);
  if (base_conversion > 0) s.conversion_lift = *s.conversion_rate / base_conversion;
  const int64_t rest_wins = base.company_wins - t.company_wins, rest_leads = base_leads - s.leads;
  if (rest_leads > 0 && rest_wins >= 0 && rest_wins <= rest_leads)
    s.conversion_p_value =
        FisherExactTwoSided(t.company_wins, s.leads - t.company_wins, rest_wins, rest_leads - rest_wins);
  return s;
}

// ------------------------------------------------------------------------------------------------ the fit model

/// The fit model's ridge penalty and the recalibration of its margin.
struct PenaltyChoice {
  double lambda = 0;
  /// sigmoid(intercept + slope × the fitted model's margin): a logistic fit of the outcomes on the out-of-fold
  /// margins at `lambda`. Ridge shrinks every indicator toward 0, more the more there are; the slope (above 1 when
  /// shrunk too far) puts the lifts back on the outcome's scale without changing the ranking.
  double intercept = 0, slope = 1;
};

/// Choose the penalty: the value of kPenaltyGrid with the lowest held-out binomial deviance over kPenaltyFolds folds
/// of whole companies (a company's rows stay together); then the recalibration on that penalty's out-of-fold
/// margins. The segment indicators overlap (an industry and its industry × size cells) and some are small: the data
/// decide how far they are shrunk, instead of a fixed penalty that suits one portal's size.
PenaltyChoice ChoosePenalty(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
                            const std::vector<double>& w, const std::vector<int64_t>& group) {
  static constexpr double kPenaltyGrid[] = {1, 3, 10, 30, 100, 300};
  constexpr size_t kPenaltyFolds = 5;
  std::vector<int> fold(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    // Hashed group id: folds independent of how ids were assigned.
    fold[i] = static_cast<int>(SplitMix64(static_cast<uint64_t>(group[i])) % kPenaltyFolds);
  }
  const auto weight = [&](size_t i) { return w.empty() ? 1.0 : w[i]; };
  // Rows with the same fold, indicators and outcome fit as one, weighted by their sum: a few hundred distinct rows
  // instead of two per company (`large`: 40,000), so the 30 fits below cost about as much as one.
  std::map<std::tuple<int, std::vector<double>, int>, double> merged;
  for (size_t i = 0; i < x.size(); ++i) merged[{fold[i], x[i], y[i]}] += weight(i);
  std::vector<std::vector<std::vector<double>>> fx(kPenaltyFolds);
  std::vector<std::vector<int>> fy(kPenaltyFolds);
  std::vector<std::vector<double>> fw(kPenaltyFolds);
  for (const auto& [key, wsum] : merged) {
    const auto k = static_cast<size_t>(std::get<0>(key));
    fx[k].push_back(std::get<1>(key));
    fy[k].push_back(std::get<2>(key));
    fw[k].push_back(wsum);
  }
  PenaltyChoice best;
  double best_deviance = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best_margin;
  for (double lambda : kPenaltyGrid) {
    double deviance = 0;
    std::vector<std::vector<double>> margin(kPenaltyFolds);  // per fold, per merged row
    for (size_t k = 0; k < kPenaltyFolds; ++k) {
      std::vector<std::vector<double>> xt;
      std::vector<int> yt;
      std::vector<double> wt;
      for (size_t f = 0; f < kPenaltyFolds; ++f) {
        if (f == k) continue;
        xt.insert(xt.end(), fx[f].begin(), fx[f].end());
        yt.insert(yt.end(), fy[f].begin(), fy[f].end());
        wt.insert(wt.end(), fw[f].begin(), fw[f].end());
      }
      if (xt.empty() || fx[k].empty()) continue;
      RidgeLogistic m(lambda);
      m.Fit(xt, yt, wt);
      const auto& st = m.State();
      for (size_t i = 0; i < fx[k].size(); ++i) {
        double eta = st.intercept;
        for (size_t j = 0; j < fx[k][i].size(); ++j) eta += st.coefficients[j] * fx[k][i][j];
        margin[k].push_back(eta);
        deviance += fw[k][i] * LogisticLoss(eta, fy[k][i]);
      }
    }
    if (deviance < best_deviance) {
      best_deviance = deviance;
      best.lambda = lambda;
      best_margin = std::move(margin);
    }
  }
  std::vector<std::vector<double>> xm;
  std::vector<int> ym;
  std::vector<double> wm;
  for (size_t k = 0; k < kPenaltyFolds; ++k) {
    for (size_t i = 0; i < best_margin[k].size(); ++i) {
      xm.push_back({best_margin[k][i]});
      ym.push_back(fy[k][i]);
      wm.push_back(fw[k][i]);
    }
  }
  if (xm.empty()) return best;
  RidgeLogistic calibration(1e-6);
  calibration.Fit(xm, ym, wm);
  best.intercept = calibration.State().intercept;
  best.slope = calibration.State().coefficients.at(0);
  return best;
}

// ------------------------------------------------------------------------------------------------ sentences

struct Candidate {
  std::array<std::string, kIcpAttributeCount> values;  ///< the segment's attribute values ("" = not part of it)
  std::string size_range;                              ///< merged employee range, replacing the size band
  IcpSegment figures;
};

std::array<std::string, kIcpAttributeCount> ValuesArray(const IcpDimension& dim, const std::string& key) {
  std::array<std::string, kIcpAttributeCount> values;
  const auto parts = SplitKey(key);
  for (size_t k = 0; k < dim.attributes.size() && k < parts.size(); ++k) values[Index(dim.attributes[k])] = parts[k];
  return values;
}

std::string Times(double v) {
  return Fixed(v, 1) + "\u00d7";
}

/// "12 of 40 deals won, 30.0% vs 37.4%" and, with leads, "65 won deals from 1,354 leads, 4.8% vs 1.8%".
std::string Details(const IcpSegment& f, const IcpBase& base) {
  std::string s;
  if (f.conversion_rate && base.conversion_rate)
    s += WithThousands(f.wins) + " won deals from " + WithThousands(f.leads) + " leads, " +
         Percent(*f.conversion_rate) + " vs " + Percent(*base.conversion_rate) + "; ";
  s += WithThousands(f.wins) + " of " + WithThousands(f.deals) + " deals won, " + Percent(f.win_rate) + " vs " +
       Percent(base.win_rate);
  return s;
}

std::string WinnerSentence(const Candidate& c, const IcpBase& base) {
  const auto& f = c.figures;
  std::string s = Subject(c.values, c.size_range) + " win " + Times(f.HeadlineLift()) + " the base rate";
  if (f.conversion_lift) s += " per lead" + (f.lift ? " (" + Times(*f.lift) + " per deal)" : std::string());
  if (f.acv_ratio) s += " at " + Times(*f.acv_ratio) + " the ACV";
  s += " (" + Details(f, base);
  if (f.mean_cycle_days && base.mean_cycle_days)
    s += "; " + Fixed(*f.mean_cycle_days, 0) + " vs " + Fixed(*base.mean_cycle_days, 0) + " days to win";
  return s + ").";
}

std::string LoserSentence(const Candidate& c, const IcpBase& base, double busy_ratio) {
  const auto& f = c.figures;
  // Say the rate whose test is the stronger evidence.
  const bool per_lead = f.conversion_p_value && f.conversion_lift && *f.conversion_p_value < f.p_value;
  const std::string rate = Times(per_lead ? *f.conversion_lift : f.lift.value_or(0)) + " the base rate " +
                           (per_lead ? "per lead" : "per deal");
  std::string s = Subject(c.values, c.size_range);
  if (f.busy_losing) {
    std::vector<std::string> busy;
    if (f.activity_ratio && *f.activity_ratio >= busy_ratio)
      busy.push_back(Times(*f.activity_ratio) + " the engagements per deal");
    if (f.leads_ratio && *f.leads_ratio >= busy_ratio) busy.push_back(Times(*f.leads_ratio) + " the leads");
    s += " are busy but losing: ";
    for (size_t i = 0; i < busy.size(); ++i) s += (i == 0 ? "" : " and ") + busy[i];
    s += ", yet they win " + rate;
  } else {
    s += " win only " + rate;
  }
  return s + " (" + Details(f, base) + ").";
}

/// Whether candidate `a`'s attribute values all appear in `b` (a is broader or equal).
bool Covers(const Candidate& a, const Candidate& b) {
  for (size_t k = 0; k < kIcpAttributeCount; ++k) {
    if (a.values[k].empty()) continue;
    if (k == Index(IcpAttribute::kSizeBand)) {
      if (b.size_range.empty() && b.values[k] != a.values[k]) return false;
      continue;  // a size band inside a merged range is covered by it
    }
    if (a.values[k] != b.values[k]) return false;
  }
  return true;
}

}  // namespace

// ------------------------------------------------------------------------------------------------ public

std::string_view IcpAttributeName(IcpAttribute attribute) {
  switch (attribute) {
    case IcpAttribute::kIndustry:
      return "industry";
    case IcpAttribute::kSizeBand:
      return "size_band";
    case IcpAttribute::kRevenueBand:
      return "revenue_band";
    case IcpAttribute::kCountry:
      return "country";
    case IcpAttribute::kRegion:
      return "region";
    case IcpAttribute::kTechnology:
      return "technology";
    case IcpAttribute::kLeadSource:
      return "lead_source";
    case IcpAttribute::kChampionSeniority:
      return "champion_seniority";
  }
  return "unknown";
}

bool IsCompanyAttribute(IcpAttribute attribute) {
  return attribute != IcpAttribute::kLeadSource && attribute != IcpAttribute::kChampionSeniority;
}

std::string IcpDimension::Name() const {
  std::string out;
  for (auto a : attributes) {
    if (!out.empty()) out += "_x_";
    out += IcpAttributeName(a);
  }
  return out;
}

bool IcpDimension::CompanyLevel() const {
  return std::all_of(attributes.begin(), attributes.end(), IsCompanyAttribute);
}

std::vector<IcpDimension> DefaultIcpDimensions() {
  std::vector<IcpDimension> dims;
  for (auto a : kAllAttributes) dims.push_back({{a}});
  dims.push_back({{IcpAttribute::kIndustry, IcpAttribute::kSizeBand}});
  dims.push_back({{IcpAttribute::kIndustry, IcpAttribute::kRevenueBand}});
  return dims;
}

bool IcpSegment::Wins() const {
  if (conversion_p_value && conversion_lift && *conversion_p_value < p_value) return *conversion_lift > 1;
  return lift.value_or(1) > 1;
}

std::vector<const IcpSegment*> IcpReport::Significant() const {
  std::vector<const IcpSegment*> out;
  for (const auto& s : segments)
    if (s.significant) out.push_back(&s);
  std::stable_sort(out.begin(), out.end(),
                   [](const IcpSegment* a, const IcpSegment* b) { return a->HeadlineLift() > b->HeadlineLift(); });
  return out;
}

IcpReport AnalyzeIcp(const std::vector<IcpDeal>& deals, const std::vector<IcpCompany>& companies,
                     const IcpOptions& options) {
  if (!(options.fdr > 0 && options.fdr < 1)) throw InvalidInputError("--fdr must be between 0 and 1 (e.g. 0.05)");
  if (options.min_deals < 1) throw InvalidInputError("--min-deals must be at least 1");
  if (!(options.busy_ratio > 0)) throw InvalidInputError("--busy-ratio must be above 0 (e.g. 1.25)");
  if (!(options.confidence > 0 && options.confidence < 1)) throw InvalidInputError("confidence must be in (0, 1)");
  if (options.dimensions.empty()) throw InvalidInputError("no dimensions to analyse");

  IcpReport report;
  report.scored_at_ms = options.scored_at_ms > 0 ? options.scored_at_ms : NowMillis();
  report.run_id = options.run_id.empty() ? "icp-" + FormatIsoMillis(report.scored_at_ms) : options.run_id;
  report.fdr = options.fdr;
  report.min_deals = options.min_deals;

  // Won amounts winsorized at their 1st and 99th percentiles, so one fat-fingered amount (a 1,000× typo, a
  // placeholder of 1) cannot move a segment's ACV.
  std::vector<IcpDeal> screened = deals;
  {
    std::vector<double> amounts;
    for (const auto& d : deals)
      if (d.won && d.amount) amounts.push_back(*d.amount);
    std::sort(amounts.begin(), amounts.end());
    if (!amounts.empty()) {
      const double n = static_cast<double>(amounts.size() - 1);
      const double lo = amounts[static_cast<size_t>(std::floor(0.01 * n))];
      const double hi = amounts[static_cast<size_t>(std::ceil(0.99 * n))];
      for (auto& d : screened)
        if (d.amount) d.amount = std::clamp(*d.amount, lo, hi);
    }
  }

  // The base: every closed new-business deal, and the leads of every company.
  Tally base;
  const SizeNorms norms = MakeSizeNorms(screened, companies);
  for (const auto& d : screened) base.AddDeal(d, norms.Engagements(d));
  for (const auto& c : companies) base.AddCompany(c, norms.Leads(c));
  const double base_rate = base.deals > 0 ? static_cast<double>(base.wins) / static_cast<double>(base.deals) : 0.0;
  report.base.deals = base.deals;
  report.base.wins = base.wins;
  report.base.win_rate = base_rate;
  const auto base_ci = WilsonInterval(base.wins, base.deals, options.confidence);
  report.base.ci_low = base_ci.low;
  report.base.ci_high = base_ci.high;
  report.base.avg_won_amount = base.AvgWonAmount();
  report.base.mean_cycle_days = base.MeanCycle();
  report.base.engagements_per_deal = base.EngagementsPerDeal();
  report.base.leads_per_company = base.LeadsPerCompany();
  report.base.leads = std::max(base.leads, base.company_wins);
  if (report.base.leads > 0)
    report.base.conversion_rate = static_cast<double>(base.company_wins) / static_cast<double>(report.base.leads);

  // Tally every segment of every dimension.
  std::vector<std::map<std::string, Tally>> tallies(options.dimensions.size());
  for (const auto& d : screened)
    for (size_t k = 0; k < options.dimensions.size(); ++k)
      for (const auto& key : SegmentsOf(d.attributes, options.dimensions[k]))
        tallies[k][key].AddDeal(d, norms.Engagements(d));
  for (const auto& c : companies)
    for (size_t k = 0; k < options.dimensions.size(); ++k) {
      if (!options.dimensions[k].CompanyLevel()) continue;
      for (const auto& key : SegmentsOf(c.attributes, options.dimensions[k])) {
        auto it = tallies[k].find(key);
        if (it != tallies[k].end()) it->second.AddCompany(c, norms.Leads(c));  // only segments with deals are tested
      }
    }

  // Test the segments big enough, then control the false-discovery rate over all of them at once.
  for (size_t k = 0; k < options.dimensions.size(); ++k) {
    const auto& dim = options.dimensions[k];
    for (const auto& [key, t] : tallies[k]) {
      if (t.deals < options.min_deals || t.deals >= base.deals) continue;
      IcpSegment s = Describe(t, base, base_rate, options.confidence, dim.CompanyLevel());
      s.dimension = dim.Name();
      s.segment = key;
      s.label = SegmentLabel(dim, key);
      report.segments.push_back(std::move(s));
    }
  }
  // One family: every segment's win-rate test and every company-level segment's conversion test.
  std::vector<double> p;
  std::vector<std::pair<size_t, bool>> which;  // segment index, conversion test
  for (size_t i = 0; i < report.segments.size(); ++i) {
    p.push_back(report.segments[i].p_value);
    which.emplace_back(i, false);
    if (report.segments[i].conversion_p_value) {
      p.push_back(*report.segments[i].conversion_p_value);
      which.emplace_back(i, true);
    }
  }
  const auto q = BenjaminiHochbergAdjusted(p);
  for (size_t t = 0; t < q.size(); ++t) {
    auto& s = report.segments[which[t].first];
    if (which[t].second)
      s.conversion_q_value = q[t];
    else
      s.q_value = q[t];
  }
  for (auto& s : report.segments) {
    const bool win_test = s.q_value <= options.fdr;
    const bool conversion_test = s.conversion_q_value && *s.conversion_q_value <= options.fdr;
    s.significant = win_test || conversion_test;
    const bool below = (win_test && s.win_rate < base_rate) || (conversion_test && s.conversion_lift.value_or(1) < 1);
    const bool busy = (s.activity_ratio && *s.activity_ratio >= options.busy_ratio) ||
                      (s.leads_ratio && *s.leads_ratio >= options.busy_ratio);
    s.busy_losing = below && busy;
  }
  {
    std::map<std::string, size_t> order;
    for (size_t k = 0; k < options.dimensions.size(); ++k) order.emplace(options.dimensions[k].Name(), k);
    std::stable_sort(report.segments.begin(), report.segments.end(), [&](const IcpSegment& a, const IcpSegment& b) {
      if (a.dimension != b.dimension) return order[a.dimension] < order[b.dimension];
      if (a.HeadlineLift() != b.HeadlineLift()) return a.HeadlineLift() > b.HeadlineLift();
      return a.segment < b.segment;
    });
  }

  // The fit model: a ridge logistic regression on the significant company-level segments' indicators, of a
  // lead turning into a won deal (each company's leads as a binomial count: its won deals and the rest), so the
  // score carries both halves of an ICP, becoming a deal and winning it; the penalty chosen by cross-validation
  // over companies and the margin recalibrated on the out-of-fold margins (ChoosePenalty). Without leads (a
  // warehouse with no contacts) it models the closed deals' win rate instead. Without a significant segment every
  // company scores 50 (the base rate): no signal, no ranking.
  struct Feature {
    size_t dim;
    std::string key;
  };
  std::vector<Feature> features;
  std::map<std::string, size_t> dim_index;
  for (size_t k = 0; k < options.dimensions.size(); ++k) dim_index.emplace(options.dimensions[k].Name(), k);
  for (const auto& s : report.segments) {
    const size_t k = dim_index.at(s.dimension);
    if (!s.significant || !options.dimensions[k].CompanyLevel()) continue;
    features.push_back({k, s.segment});
    report.fit_features.push_back(s.dimension + "=" + s.segment);
  }
  auto indicators = [&](const std::array<std::string, kIcpAttributeCount>& attrs) {
    std::vector<double> row(features.size(), 0.0);
    std::vector<std::vector<std::string>> keys(options.dimensions.size());
    std::vector<bool> done(options.dimensions.size(), false);
    for (size_t j = 0; j < features.size(); ++j) {
      const size_t k = features[j].dim;
      if (!done[k]) {
        keys[k] = SegmentsOf(attrs, options.dimensions[k]);
        done[k] = true;
      }
      row[j] = std::find(keys[k].begin(), keys[k].end(), features[j].key) != keys[k].end() ? 1.0 : 0.0;
    }
    return row;
  };
  const bool per_lead = report.base.conversion_rate.has_value();
  const double fit_base = per_lead ? *report.base.conversion_rate : base_rate;
  RidgeLogistic model;
  PenaltyChoice choice;
  const bool fit = !features.empty() && fit_base > 0 && fit_base < 1;
  if (fit) {
    std::vector<std::vector<double>> x;
    std::vector<int> y;
    std::vector<double> w;
    std::vector<int64_t> group;  // the company (or deal) a row belongs to: cross-validation folds keep it whole
    if (per_lead) {
      std::map<int64_t, int64_t> wins_by_company;
      for (const auto& d : deals)
        if (d.won && d.company_id) ++wins_by_company[*d.company_id];
      for (const auto& c : companies) {
        const auto it = wins_by_company.find(c.company_id);
        const int64_t wins = it == wins_by_company.end() ? 0 : it->second;
        const int64_t leads = std::max(c.leads, wins);
        if (leads == 0) continue;
        const auto row = indicators(c.attributes);
        x.push_back(row);
        y.push_back(1);
        w.push_back(static_cast<double>(wins));
        x.push_back(row);
        y.push_back(0);
        w.push_back(static_cast<double>(leads - wins));
        group.insert(group.end(), 2, c.company_id);
      }
    } else {
      for (size_t i = 0; i < deals.size(); ++i) {
        x.push_back(indicators(deals[i].attributes));
        y.push_back(deals[i].won ? 1 : 0);
        group.push_back(deals[i].company_id.value_or(-static_cast<int64_t>(i) - 1));
      }
    }
    if (options.ridge_lambda > 0) {
      choice.lambda = options.ridge_lambda;
    } else {
      choice = ChoosePenalty(x, y, w, group);
    }
    report.fit_penalty = choice.lambda;
    report.fit_slope = choice.slope;
    model = RidgeLogistic(choice.lambda);
    model.Fit(x, y, w);
  }
  // The highest-lift significant winning company-level segment each company belongs to names its top segment.
  std::vector<const IcpSegment*> winners;
  for (const auto* s : report.Significant())
    if (s->Wins() && options.dimensions[dim_index.at(s->dimension)].CompanyLevel()) winners.push_back(s);
  report.companies.reserve(companies.size());
  for (const auto& c : companies) {
    CompanyIcpFit f;
    f.company_id = c.company_id;
    if (fit) {
      const auto row = indicators(c.attributes);
      const auto& st = model.State();
      double eta = st.intercept;
      for (size_t j = 0; j < row.size(); ++j) eta += st.coefficients[j] * row[j];
      const double lift = 1.0 / (1.0 + std::exp(-(choice.intercept + choice.slope * eta))) / fit_base;
      f.icp_fit = std::round(1000.0 * lift / (1.0 + lift)) / 10.0;
    }
    for (const auto* w : winners) {
      const auto keys = SegmentsOf(c.attributes, options.dimensions[dim_index.at(w->dimension)]);
      if (std::find(keys.begin(), keys.end(), w->segment) != keys.end()) {
        f.top_segment = w->label;
        break;
      }
    }
    report.companies.push_back(std::move(f));
  }

  // Sentences. The base first; then winners and losers, adjacent significant size bands of one industry that
  // point the same way merged into one range ("51–1,000 employees") with their deals pooled.
  std::string& intro = report.summary.emplace_back();
  intro = WithThousands(base.wins) + " of " + WithThousands(base.deals) + " closed new-business deals won (" +
          Percent(base_rate) + ")";
  if (report.base.conversion_rate)
    intro += ", " + Percent(*report.base.conversion_rate) + " of " + WithThousands(report.base.leads) +
             " leads at companies ended in a won deal";
  if (report.base.avg_won_amount) intro += ", average won amount " + Money(*report.base.avg_won_amount);
  if (report.base.mean_cycle_days) intro += ", " + Fixed(*report.base.mean_cycle_days, 0) + " days to win";
  intro += ".";
  std::vector<Candidate> win_c, lose_c;
  const IcpDimension industry_size{{IcpAttribute::kIndustry, IcpAttribute::kSizeBand}};
  const std::string industry_size_name = industry_size.Name();
  // (industry, kind) -> band indexes of significant industry × size segments; kind 0 wins, 1 busy-losing, 2 loses.
  std::map<std::pair<std::string, int>, std::vector<size_t>> bands_by_industry;
  for (const auto* s : report.Significant()) {
    const auto& dim = options.dimensions[dim_index.at(s->dimension)];
    const bool wins = s->Wins();
    if (s->dimension == industry_size_name) {
      const auto parts = SplitKey(s->segment);
      const auto band = std::find(kSizeBands.begin(), kSizeBands.end(), parts.at(1));
      if (band != kSizeBands.end()) {
        const int kind = wins ? 0 : (s->busy_losing ? 1 : 2);
        bands_by_industry[{parts[0], kind}].push_back(static_cast<size_t>(band - kSizeBands.begin()));
        continue;
      }
    }
    Candidate c;
    c.values = ValuesArray(dim, s->segment);
    c.figures = *s;
    (wins ? win_c : lose_c).push_back(std::move(c));
  }
  for (auto& [key, bands] : bands_by_industry) {
    const auto& [industry, kind] = key;
    std::sort(bands.begin(), bands.end());
    for (size_t i = 0; i < bands.size();) {
      size_t j = i;
      while (j + 1 < bands.size() && bands[j + 1] == bands[j] + 1) ++j;
      Tally pooled;
      for (const auto& d : screened) {
        if (d.attributes[Index(IcpAttribute::kIndustry)] != industry) continue;
        const auto& band = d.attributes[Index(IcpAttribute::kSizeBand)];
        for (size_t b = bands[i]; b <= bands[j]; ++b)
          if (band == kSizeBands[b]) pooled.AddDeal(d, norms.Engagements(d));
      }
      for (const auto& c : companies) {
        if (c.attributes[Index(IcpAttribute::kIndustry)] != industry) continue;
        const auto& band = c.attributes[Index(IcpAttribute::kSizeBand)];
        for (size_t b = bands[i]; b <= bands[j]; ++b)
          if (band == kSizeBands[b]) pooled.AddCompany(c, norms.Leads(c));
      }
      Candidate c;
      c.values[Index(IcpAttribute::kIndustry)] = industry;
      c.values[Index(IcpAttribute::kSizeBand)] = std::string(kSizeBands[bands[i]]);
      c.size_range = EmployeeRange(std::string(kSizeBands[bands[i]]), std::string(kSizeBands[bands[j]]));
      c.figures = Describe(pooled, base, base_rate, options.confidence, true);
      c.figures.significant = true;
      c.figures.busy_losing = kind == 1;
      (kind == 0 ? win_c : lose_c).push_back(std::move(c));
      i = j + 1;
    }
  }
  // A combination says more than either of its parts: rank combinations first, then by lift; skip a segment
  // already said by a narrower chosen one ("Computer Software" after "Computer Software with 51–1,000").
  auto attrs_in = [](const Candidate& c) {
    return std::count_if(c.values.begin(), c.values.end(), [](const std::string& v) { return !v.empty(); });
  };
  auto rank = [&](const Candidate& a, const Candidate& b) {
    if (attrs_in(a) != attrs_in(b)) return attrs_in(a) > attrs_in(b);
    return a.figures.HeadlineLift() > b.figures.HeadlineLift();
  };
  auto choose = [&](std::vector<Candidate>& cands, size_t limit) {
    std::stable_sort(cands.begin(), cands.end(), rank);
    std::vector<Candidate> chosen;
    for (auto& c : cands) {
      if (chosen.size() >= limit) break;
      if (std::any_of(chosen.begin(), chosen.end(), [&](const Candidate& k) { return Covers(c, k); })) continue;
      chosen.push_back(std::move(c));
    }
    // Say the strongest first.
    std::stable_sort(chosen.begin(), chosen.end(), [](const Candidate& a, const Candidate& b) {
      return a.figures.HeadlineLift() > b.figures.HeadlineLift();
    });
    return chosen;
  };
  for (const auto& c : choose(win_c, 3)) report.summary.push_back(WinnerSentence(c, report.base));
  // Losers: busy ones first (the flag the sales team acts on), then the strongest evidence first (the broad
  // segment a run of weak cells belongs to usually has it); a segment overlapping one already said is skipped.
  auto evidence = [](const IcpSegment& f) { return std::min(f.p_value, f.conversion_p_value.value_or(1.0)); };
  std::stable_sort(lose_c.begin(), lose_c.end(), [&](const Candidate& a, const Candidate& b) {
    if (a.figures.busy_losing != b.figures.busy_losing) return a.figures.busy_losing;
    return evidence(a.figures) < evidence(b.figures);
  });
  std::vector<Candidate> said;
  for (auto& c : lose_c) {
    if (said.size() >= 3) break;
    if (std::any_of(said.begin(), said.end(), [&](const Candidate& k) { return Covers(c, k) || Covers(k, c); }))
      continue;
    report.summary.push_back(LoserSentence(c, report.base, options.busy_ratio));
    said.push_back(std::move(c));
  }
  if (report.Significant().empty()) {
    report.summary.push_back("No segment wins or loses significantly differently from the base rate at a " +
                             Fixed(100.0 * options.fdr, 0) + "% false-discovery rate (" +
                             WithThousands(static_cast<int64_t>(report.segments.size())) +
                             " segments tested); every company's ICP fit is 50.");
  }
  return report;
}

std::string IcpReport::ToJson(size_t top_companies) const {
  using nlohmann::json;
  auto opt = [](const std::optional<double>& v) { return v ? json(*v) : json(nullptr); };
  json j;
  j["run_id"] = run_id;
  j["scored_at"] = FormatIsoMillis(scored_at_ms);
  j["fdr"] = fdr;
  j["min_deals"] = min_deals;
  j["base"] = {{"deals", base.deals},
               {"wins", base.wins},
               {"win_rate", base.win_rate},
               {"ci_low", base.ci_low},
               {"ci_high", base.ci_high},
               {"leads", base.leads},
               {"conversion_rate", opt(base.conversion_rate)},
               {"avg_won_amount", opt(base.avg_won_amount)},
               {"mean_cycle_days", opt(base.mean_cycle_days)},
               {"engagements_per_deal", opt(base.engagements_per_deal)},
               {"leads_per_company", opt(base.leads_per_company)}};
  j["summary"] = summary;
  json segs = json::array();
  size_t significant = 0, busy = 0;
  for (const auto& s : segments) {
    significant += s.significant;
    busy += s.busy_losing;
    segs.push_back({{"dimension", s.dimension},
                    {"segment", s.segment},
                    {"label", s.label},
                    {"deals", s.deals},
                    {"wins", s.wins},
                    {"win_rate", s.win_rate},
                    {"ci_low", s.ci_low},
                    {"ci_high", s.ci_high},
                    {"lift", opt(s.lift)},
                    {"avg_won_amount", opt(s.avg_won_amount)},
                    {"acv_ratio", opt(s.acv_ratio)},
                    {"mean_cycle_days", opt(s.mean_cycle_days)},
                    {"engagements_per_deal", opt(s.engagements_per_deal)},
                    {"activity_ratio", opt(s.activity_ratio)},
                    {"leads_per_company", opt(s.leads_per_company)},
                    {"leads_ratio", opt(s.leads_ratio)},
                    {"leads", s.leads},
                    {"conversion_rate", opt(s.conversion_rate)},
                    {"conversion_lift", opt(s.conversion_lift)},
                    {"p_value", s.p_value},
                    {"q_value", s.q_value},
                    {"conversion_p_value", opt(s.conversion_p_value)},
                    {"conversion_q_value", opt(s.conversion_q_value)},
                    {"significant", s.significant},
                    {"busy_losing", s.busy_losing}});
  }
  j["segments_tested"] = segments.size();
  j["segments_significant"] = significant;
  j["segments_busy_losing"] = busy;
  j["segments"] = std::move(segs);
  j["fit_features"] = fit_features;
  j["fit_penalty"] = fit_penalty;
  j["fit_slope"] = fit_slope;
  std::vector<const CompanyIcpFit*> by_fit;
  for (const auto& c : companies) by_fit.push_back(&c);
  std::stable_sort(by_fit.begin(), by_fit.end(),
                   [](const CompanyIcpFit* a, const CompanyIcpFit* b) { return a->icp_fit > b->icp_fit; });
  json top = json::array();
  for (size_t i = 0; i < by_fit.size() && i < top_companies; ++i)
    top.push_back({{"company_id", by_fit[i]->company_id},
                   {"icp_fit", by_fit[i]->icp_fit},
                   {"top_segment", by_fit[i]->top_segment.empty() ? json(nullptr) : json(by_fit[i]->top_segment)}});
  json dist = {{"count", companies.size()}};
  if (!by_fit.empty()) {
    double sum = 0;
    for (const auto* c : by_fit) sum += c->icp_fit;
    dist["mean"] = sum / static_cast<double>(by_fit.size());
    dist["max"] = by_fit.front()->icp_fit;
    dist["median"] = by_fit[by_fit.size() / 2]->icp_fit;
    dist["min"] = by_fit.back()->icp_fit;
  }
  dist["top"] = std::move(top);
  j["companies"] = std::move(dist);
  return j.dump();
}

// ------------------------------------------------------------------------------------------------ warehouse

namespace {

std::string Text(const Value& v) {
  return warehouse::IsNull(v) ? std::string() : warehouse::ToString(v);
}

std::optional<double> Number(const Value& v) {
  if (warehouse::IsNull(v)) return std::nullopt;
  return warehouse::AsDouble(v);
}

void RequireModel(Warehouse& wh, const std::string& schema, const std::string& model) {
  if (!wh.TableExists(schema, model))
    throw ConfigError("model " + schema + "." + model + " is missing: run `revlens build` (it builds the icp_* " +
                      "models in sql/models/features) against this warehouse and schema first");
}

const std::vector<Column>& SegmentColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                           {"dimension", ColumnType::kText},
                                           {"segment", ColumnType::kText},
                                           {"label", ColumnType::kText},
                                           {"deals", ColumnType::kBigInt},
                                           {"wins", ColumnType::kBigInt},
                                           {"win_rate", ColumnType::kDouble},
                                           {"ci_low", ColumnType::kDouble},
                                           {"ci_high", ColumnType::kDouble},
                                           {"base_win_rate", ColumnType::kDouble},
                                           {"lift", ColumnType::kDouble},
                                           {"avg_won_amount", ColumnType::kDouble},
                                           {"acv_ratio", ColumnType::kDouble},
                                           {"mean_cycle_days", ColumnType::kDouble},
                                           {"engagements_per_deal", ColumnType::kDouble},
                                           {"activity_ratio", ColumnType::kDouble},
                                           {"leads", ColumnType::kBigInt},
                                           {"leads_per_company", ColumnType::kDouble},
                                           {"leads_ratio", ColumnType::kDouble},
                                           {"conversion_rate", ColumnType::kDouble},
                                           {"base_conversion_rate", ColumnType::kDouble},
                                           {"conversion_lift", ColumnType::kDouble},
                                           {"p_value", ColumnType::kDouble},
                                           {"q_value", ColumnType::kDouble},
                                           {"conversion_p_value", ColumnType::kDouble},
                                           {"conversion_q_value", ColumnType::kDouble},
                                           {"significant", ColumnType::kBoolean},
                                           {"busy_losing", ColumnType::kBoolean},
                                           {"fdr", ColumnType::kDouble},
                                           {"computed_at", ColumnType::kTimestamp}};
  return cols;
}

const std::vector<Column>& FitColumns() {
  static const std::vector<Column> cols = {{"run_id", ColumnType::kText},
                                           {"company_id", ColumnType::kBigInt},
                                           {"icp_fit", ColumnType::kDouble},
                                           {"top_segment", ColumnType::kText},
                                           {"scored_at", ColumnType::kTimestamp}};
  return cols;
}

Value Opt(const std::optional<double>& v) {
  return v ? Value(*v) : Value();
}

}  // namespace

std::vector<IcpDeal> LoadIcpDeals(Warehouse& wh, const std::string& schema) {
  RequireModel(wh, schema, "icp_deals");
  std::string cols = "deal_id, company_id, is_won, amount, cycle_days, engagements";
  for (auto a : kAllAttributes)
    cols += ", " + std::string(a == IcpAttribute::kTechnology ? "tech_stack" : IcpAttributeName(a));
  const auto rs =
      wh.Query("SELECT " + cols + " FROM " + Warehouse::QualifiedName(schema, "icp_deals") + " ORDER BY deal_id");
  std::vector<IcpDeal> out;
  out.reserve(rs.RowCount());
  for (const auto& row : rs.rows) {
    IcpDeal d;
    d.deal_id = warehouse::AsInt64(row[0]);
    if (!warehouse::IsNull(row[1])) d.company_id = warehouse::AsInt64(row[1]);
    d.won = !warehouse::IsNull(row[2]) && warehouse::AsBool(row[2]);
    d.amount = Number(row[3]);
    d.cycle_days = Number(row[4]);
    d.engagements = Number(row[5]);
    for (size_t k = 0; k < kIcpAttributeCount; ++k) d.attributes[Index(kAllAttributes[k])] = Text(row[6 + k]);
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<IcpCompany> LoadIcpCompanies(Warehouse& wh, const std::string& schema) {
  RequireModel(wh, schema, "icp_companies");
  const auto rs = wh.Query(
      "SELECT company_id, company_name, industry, size_band, revenue_band, country, region, tech_stack, leads, "
      "closed_deals FROM " +
      Warehouse::QualifiedName(schema, "icp_companies") + " ORDER BY company_id");
  std::vector<IcpCompany> out;
  out.reserve(rs.RowCount());
  for (const auto& row : rs.rows) {
    IcpCompany c;
    c.company_id = warehouse::AsInt64(row[0]);
    c.name = Text(row[1]);
    c.attributes[Index(IcpAttribute::kIndustry)] = Text(row[2]);
    c.attributes[Index(IcpAttribute::kSizeBand)] = Text(row[3]);
    c.attributes[Index(IcpAttribute::kRevenueBand)] = Text(row[4]);
    c.attributes[Index(IcpAttribute::kCountry)] = Text(row[5]);
    c.attributes[Index(IcpAttribute::kRegion)] = Text(row[6]);
    c.attributes[Index(IcpAttribute::kTechnology)] = Text(row[7]);
    c.leads = warehouse::IsNull(row[8]) ? 0 : warehouse::AsInt64(row[8]);
    c.closed_deals = warehouse::IsNull(row[9]) ? 0 : warehouse::AsInt64(row[9]);
    out.push_back(std::move(c));
  }
  return out;
}

void WriteIcpReport(Warehouse& wh, const std::string& schema, const IcpReport& report) {
  const Value at = warehouse::TimestampFromMillis(report.scored_at_ms);
  std::vector<std::vector<Value>> seg_rows;
  seg_rows.reserve(report.segments.size());
  for (const auto& s : report.segments) {
    const bool company_level = s.leads > 0;
    seg_rows.push_back({report.run_id,
                        s.dimension,
                        s.segment,
                        s.label,
                        s.deals,
                        s.wins,
                        s.win_rate,
                        s.ci_low,
                        s.ci_high,
                        report.base.win_rate,
                        Opt(s.lift),
                        Opt(s.avg_won_amount),
                        Opt(s.acv_ratio),
                        Opt(s.mean_cycle_days),
                        Opt(s.engagements_per_deal),
                        Opt(s.activity_ratio),
                        company_level ? Value(s.leads) : Value(),
                        Opt(s.leads_per_company),
                        Opt(s.leads_ratio),
                        Opt(s.conversion_rate),
                        company_level ? Opt(report.base.conversion_rate) : Value(),
                        Opt(s.conversion_lift),
                        s.p_value,
                        s.q_value,
                        Opt(s.conversion_p_value),
                        Opt(s.conversion_q_value),
                        s.significant,
                        s.busy_losing,
                        report.fdr,
                        at});
  }
  std::vector<std::vector<Value>> fit_rows;
  fit_rows.reserve(report.companies.size());
  for (const auto& c : report.companies)
    fit_rows.push_back(
        {report.run_id, c.company_id, c.icp_fit, c.top_segment.empty() ? Value() : Value(c.top_segment), at});
  ReplaceTables(wh, schema,
                {{"icp_segments", SegmentColumns(), seg_rows}, {"company_icp_fit", FitColumns(), fit_rows}});
}

IcpReport RunIcp(Warehouse& wh, const IcpOptions& options, bool write) {
  const auto deals = LoadIcpDeals(wh, options.schema);
  const auto companies = LoadIcpCompanies(wh, options.schema);
  if (deals.empty())
    throw InvalidInputError(
        "no closed new-business deals in " + options.schema +
        ".icp_deals: the ICP analysis needs won and lost deals (check var icp_new_business_pipeline)");
  IcpReport report = AnalyzeIcp(deals, companies, options);
  if (write) WriteIcpReport(wh, options.schema, report);
  return report;
}

}  // namespace revlens::insights
