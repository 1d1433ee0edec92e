#pragma once
/// Real-time lead scoring for `revlens serve`: the current lead model (the latest trained run in model_runs) scores
/// one contact as HubSpot has it now. The feature row starts from the contact's row of the last build
/// (`lead_features`: history such as first touch and product usage, which no single API read gives) when there is
/// one, and overlays what the live record says (title, source, country, phone, web and email counts, company,
/// custom properties the model uses). A contact created since the last build starts from an empty history (no
/// touches, no usage), which is what it has.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "insights/scoring.hpp"
#include "warehouse/warehouse.hpp"

namespace revlens::insights {
struct LeadData;
}

namespace revlens::serve {

/// `seniority` of lead_features.sql from a job title (mirrors its CASE expression; a test holds the two equal on
/// every title of a built portal). Empty for an empty title.
std::string TitleSeniority(std::string_view jobtitle);
/// `job_function` of lead_features.sql from a job title (mirrors its CASE expression). Empty for an empty title.
std::string TitleJobFunction(std::string_view jobtitle);

/// `company_segment` of lead_features.sql for a company from its HubSpot industry and employee count: the
/// industry normalized and mapped by the icp_industry_synonyms model (`synonyms`: normalized spelling -> HubSpot
/// value), by the companies mart's employee band ("computer software, 201-1000 employees"). Empty when either is
/// missing. Mirrors the SQL (a test holds the two equal on every company of a built portal).
std::string CompanySegment(std::string_view industry, std::optional<double> employees,
                           const std::map<std::string, std::string>& synonyms);

/// A contact as read from HubSpot now.
struct LiveContact {
  int64_t id = 0;
  std::map<std::string, std::string> properties;
  std::optional<int64_t> company_id;                      ///< primary associated company
  std::map<std::string, std::string> company_properties;  ///< when the company is not in the last build
};

/// One contact's score, ready to write: property name -> value (HubSpot's string form).
struct LiveScore {
  int64_t contact_id = 0;
  insights::LeadScore score;
  bool shadow = false;  ///< written to the hidden shadow properties (model without proven lift, or A/B holdout)
  std::map<std::string, std::string> properties;
};

/// The model and the last build's rows, loaded once and refreshed by the server.
class LiveScorer {
 public:
  /// Load the latest trained lead model and the last build's lead features from `schema`. Without a trained
  /// model, HasModel() is false (and Reason() says why).
  static std::shared_ptr<const LiveScorer> Load(warehouse::Warehouse& wh, const std::string& schema);
  ~LiveScorer();
  LiveScorer(const LiveScorer&) = delete;
  LiveScorer& operator=(const LiveScorer&) = delete;

  bool HasModel() const { return model_ != nullptr; }
  const std::string& Reason() const { return reason_; }
  const std::string& ModelVersion() const { return model_version_; }
  /// HubSpot contact properties to read for scoring (standard ones, the custom ones the model uses, and the
  /// revlens_* score properties, to send only what changed).
  std::vector<std::string> ContactProperties() const;
  /// Company properties to read when the company is not in the last build.
  std::vector<std::string> CompanyProperties() const;
  /// Whether the last build knows `company_id`.
  bool KnowsCompany(int64_t company_id) const { return companies_.count(company_id) != 0; }
  /// Score the contacts as of `now_ms`. Requires HasModel().
  std::vector<LiveScore> Score(const std::vector<LiveContact>& contacts, int64_t now_ms) const;

 private:
  LiveScorer();
  std::shared_ptr<const insights::LeadModel> model_;
  std::string model_version_, reason_;
  std::unique_ptr<insights::LeadData> baseline_;
  std::unordered_map<int64_t, size_t> rows_;              ///< contact id -> baseline row
  std::unordered_map<int64_t, size_t> companies_;         ///< company id -> a baseline row carrying it
  std::map<std::string, std::string> industry_synonyms_;  ///< icp_industry_synonyms, for companies not in the build
};

}  // namespace revlens::serve
