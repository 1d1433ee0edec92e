// The synthetic B2B portal. Outcomes are drawn from the explicit model in model.hpp; the truth
// written out is what the generator used (true probabilities, planted effects), never re-measured.
//
// Shape of the model:
//   contact  q_opp  = sigmoid(a + segment + seniority + function + source + import + visits + forms
//                             + product usage + slow response + latent intent)   (a calibrated to the deal count)
//   deal     p_win  = sigmoid(b + segment + seniority + rep skill + competitor + early meeting + stack + referral)
//            won    = every stage passed, stage k passed with p_win^(w_k / sum w)  => P(won) = p_win exactly
//   contact  p_convert_90d = q_opp * E[p_win * P(response + delay + won cycle <= 90 days)]
//            (expectation over the competitor and early-meeting draws; timing integrated numerically)
#include "emulator/generator/generator.hpp"

#include <algorithm>
#include <cstring>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <numeric>
#include <span>
#include <thread>
#include <unordered_set>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/generator/model.hpp"
#include "emulator/generator/rng.hpp"
#include "emulator/generator/text.hpp"

namespace revlens::emulator {
namespace {

using namespace gen;
using nlohmann::json;

constexpr int64_t kHour = 3600000, kDay = 86400000;
constexpr int64_t kWindowDays = 1095;

enum Tag : uint64_t { kTagCompany = 1, kTagContact, kTagOutcome, kTagUsage, kTagDeal, kTagEngage, kTagOwner, kTagMisc,
                      kTagRecord, kTagMultiThread };

struct Counts {
  int64_t contacts, companies, deals, engagements;
};

Counts CountsFor(const GeneratorOptions& o) {
  Counts c{};
  if (o.size == "small") c = {2000, 250, 150, 10000};
  else if (o.size == "demo") c = {20000, 2000, 1500, 100000};
  else if (o.size == "large") c = {200000, 20000, 15000, 1000000};
  else throw ConfigError("unknown --size '" + o.size + "': use small, demo or large");
  // An explicit contact count scales the others unless they are given too.
  if (o.contacts >= 0 && o.contacts != c.contacts) {
    const double f = static_cast<double>(o.contacts) / static_cast<double>(c.contacts);
    c = {o.contacts, std::max<int64_t>(1, std::llround(c.companies * f)), std::llround(c.deals * f),
         std::llround(c.engagements * f)};
  }
  if (o.companies >= 0) c.companies = std::max<int64_t>(1, o.companies);
  if (o.deals >= 0) c.deals = o.deals;
  if (o.engagements >= 0) c.engagements = o.engagements;
  if (c.contacts < 10) throw ConfigError("--contacts must be at least 10");
  if (c.contacts > 5000000) throw ConfigError("--contacts is capped at 5,000,000");
  return c;
}

struct OwnerGen {
  int64_t id = 0;
  int role = 0;  // 0 SDR, 1 AE, 2 AM
  int region = 0;
  int64_t start_ms = 0, end_ms = INT64_MAX;
  double skill = 0, diligence = 0.5, speed_h = 4;
  bool optimistic = false;
  std::string first, last;
};

struct CompanyGen {
  int64_t id = 0, created_ms = INT64_MAX;
  size_t industry = 0;
  int64_t employees = 0, revenue = 0;
  int band = 0, country = 0, city = 0, segment = -1, variant = -1, motion = 0, type = 0, owner = -1;
  uint32_t tech = 0;
  bool gap_industry = false, gap_employees = false, gap_revenue = false;
  bool outlier_employees = false, outlier_revenue = false;
  bool archived = false;
  int64_t archived_ms = 0;
  int n_contacts = 0, n_deals = 0;
  int64_t first_win_ms = 0, first_deal_ms = 0;
  int64_t seats = 1;
  std::string name, domain;
};

struct ContactGen {
  int64_t id = 0, created_ms = 0;
  int company = -1;
  int first = 0, last = 0, seniority = 0, function = 0, source = 0;
  bool imported = false;
  double intent = 0;
  int64_t visits = 0, pageviews = 0, forms = 0, opens = 0, clicks = 0;
  bool bot = false;
  bool product_user = false;
  int usage_days14 = 0;
  int owner = -1, ae = -1;
  double response_h = -1;  // < 0: not an inbound lead
  double q_opp = 0, p_convert = 0, lp_opp = 0;
  bool opp = false, converted = false;
  int deal = -1;
  int dup_of = -1;
  bool merged = false, archived = false, mention = false;
  int64_t merged_ms = 0, archived_ms = 0;
  int country = 0, city = 0;
  int mention_comp = -1;
  float filler_weight = 0;
  std::string email;
  bool Model() const { return dup_of < 0; }
  bool Live() const { return !archived && !merged; }
};

struct DealGen {
  int64_t id = 0;
  int kind = 0;  // 0 new business, 1 renewal, 2 expansion
  int contact = -1, company = -1, owner = -1, parent = -1;
  int64_t create_ms = 0, close_ms = 0;
  bool won = false;
  double p_win = 0;
  std::array<int64_t, 7> enter{};  // stage entry times (0 = not entered); last two are won/lost
  std::array<double, 5> conv{};    // per open stage conversion probability used
  int first_stage = 0, last_open = 0;
  int competitor = -1;
  bool comp_recorded = false, early_meeting = false, has_contact = true, archived = false, pulled = false;
  int64_t archived_ms = 0;
  int mentions = 0;
  double amount = 0;
  bool amount_missing = false, amount_outlier = false;
  int64_t early_meeting_ms = 0;
  double cycle_days = 0;
  bool multi_thread_eligible = false, multi_threaded = false;  ///< decided in Engagements (MultiThreadPlans)
};

struct EngPlan {
  int64_t ts = 0;
  uint8_t type = 0;  // index into kEngTypes
  uint8_t kind = 0;  // 0 filler, 1 first touch, 2 stage activity, 3 early meeting, 4 deal mention, 5 contact mention,
                     // 6 multi-threading touch
  int8_t stage = -1;
  bool incoming = false;
  int owner = -1, contact = -1, company = -1, deal = -1, comp = -1;
};
/// The generating thread's cap on worker threads (GeneratorOptions::threads; 0 = every core). Thread-local so
/// that portals generated at once on different threads keep their own setting.
thread_local size_t generator_thread_cap = 0;

/// Threads ParallelFor uses for `n` items.
size_t WorkerCount(size_t n) {
  const size_t cores = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16);
  return std::max<size_t>(1, std::min<size_t>(n, generator_thread_cap ? generator_thread_cap : cores));
}

/// Run `f(i, worker)` for i = 0 ... n - 1 on WorkerCount(n) threads; every index exactly once, in
/// no set order; `worker` (< WorkerCount(n)) names the thread, for per-thread scratch state.
void ParallelFor(size_t n, const std::function<void(size_t, size_t)>& f) {
  const size_t threads = WorkerCount(n);
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i) f(i, 0);
    return;
  }
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex error_mutex;
  auto work = [&](size_t worker) {
    for (size_t i = next++; i < n; i = next++) {
      try {
        f(i, worker);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!error) error = std::current_exception();
        next = n;
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  if (error) std::rethrow_exception(error);
}

/// A competitor mention planted in an engagement's text (written to the truth).
struct Mention {
  uint8_t type;
  int64_t id, deal_id, contact_id;
  int comp;
  std::string surface;
  MentionForm form;
};

/// Associations collected while records are made and loaded in bulk at the end, both directions
/// with the default type ids, in the order Portal::Associate would have added them.
class AssocBuffer {
 public:
  void Add(ObjectType a, int64_t a_id, ObjectType b, int64_t b_id) { lists_[Key(a, b)].emplace_back(a_id, b_id); }
  /// Append `other`'s edges after this buffer's.
  void Append(AssocBuffer&& other) {
    for (size_t k = 0; k < lists_.size(); ++k) {
      auto& from = other.lists_[k];
      if (lists_[k].empty()) lists_[k] = std::move(from);
      else lists_[k].insert(lists_[k].end(), from.begin(), from.end());
      std::vector<std::pair<int64_t, int64_t>>().swap(from);
    }
  }
  /// Load every edge into `portal` (one table per thread at a time) and empty the buffer. A table
  /// fed from both directions gets its forward edges first.
  void Flush(Portal& portal) {
    std::vector<std::pair<ObjectType, ObjectType>> tables;
    for (auto a : kAllObjectTypes)
      for (auto b : kAllObjectTypes)
        if (!lists_[Key(a, b)].empty() || !lists_[Key(b, a)].empty()) tables.emplace_back(a, b);
    ParallelFor(tables.size(), [&](size_t k, size_t) {
      const auto [a, b] = tables[k];
      const auto& fwd = lists_[Key(a, b)];
      const auto& rev = lists_[Key(b, a)];
      const int32_t type_id = DefaultAssociationTypeId(a, b);
      std::vector<BulkEdge> edges;
      edges.reserve(fwd.size() + rev.size());
      for (const auto& [x, y] : fwd) edges.push_back(BulkEdge{x, AssociationEdge{y, type_id, 0}});
      for (const auto& [y, x] : rev) edges.push_back(BulkEdge{x, AssociationEdge{y, type_id, 0}});
      portal.Assoc(a, b).AddBulk(std::move(edges));
    });
    for (auto& list : lists_) std::vector<std::pair<int64_t, int64_t>>().swap(list);
  }

 private:
  static size_t Key(ObjectType a, ObjectType b) {
    return static_cast<size_t>(a) * kObjectTypeCount + static_cast<size_t>(b);
  }
  std::array<std::vector<std::pair<int64_t, int64_t>>, kObjectTypeCount * kObjectTypeCount> lists_;
};

/// The records an engagement is associated with (indexes into the generator's lists; -1 = none).
struct EngLinks {
  int32_t contact = -1, company = -1, deal = -1;
};
constexpr ObjectType kEngTypes[5] = {ObjectType::kCalls, ObjectType::kEmails, ObjectType::kMeetings, ObjectType::kNotes,
                                     ObjectType::kTasks};
enum : uint8_t { kCall = 0, kEmail = 1, kMeeting = 2, kNote = 3, kTask = 4 };

struct Country {
  std::string_view code, name;
  std::array<std::string_view, 3> variants;
  double weight;
  std::array<std::pair<std::string_view, std::string_view>, 4> cities;  // state, city
};
constexpr std::array<Country, 9> kCountries = {{
    {"US", "United States", {"USA", "US", "united states"}, 0.55,
     {{{"California", "San Francisco"}, {"New York", "New York"}, {"Texas", "Austin"}, {"Massachusetts", "Boston"}}}},
    {"GB", "United Kingdom", {"UK", "England", "Great Britain"}, 0.10,
     {{{"England", "London"}, {"England", "Manchester"}, {"Scotland", "Edinburgh"}, {"England", "Bristol"}}}},
    {"CA", "Canada", {"CA", "", ""}, 0.06,
     {{{"Ontario", "Toronto"}, {"British Columbia", "Vancouver"}, {"Quebec", "Montreal"}, {"Alberta", "Calgary"}}}},
    {"DE", "Germany", {"Deutschland", "DE", ""}, 0.07,
     {{{"Berlin", "Berlin"}, {"Bavaria", "Munich"}, {"Hamburg", "Hamburg"}, {"Hesse", "Frankfurt"}}}},
    {"FR", "France", {"FR", "", ""}, 0.04,
     {{{"Île-de-France", "Paris"}, {"Auvergne-Rhône-Alpes", "Lyon"}, {"Occitanie", "Toulouse"}, {"Île-de-France", "Paris"}}}},
    {"AU", "Australia", {"AU", "", ""}, 0.04,
     {{{"New South Wales", "Sydney"}, {"Victoria", "Melbourne"}, {"Queensland", "Brisbane"}, {"Victoria", "Melbourne"}}}},
    {"NL", "Netherlands", {"The Netherlands", "Holland", ""}, 0.03,
     {{{"North Holland", "Amsterdam"}, {"South Holland", "Rotterdam"}, {"Utrecht", "Utrecht"}, {"North Holland", "Haarlem"}}}},
    {"IN", "India", {"IN", "", ""}, 0.04,
     {{{"Karnataka", "Bengaluru"}, {"Maharashtra", "Mumbai"}, {"Telangana", "Hyderabad"}, {"Delhi", "New Delhi"}}}},
    {"SG", "Singapore", {"SG", "", ""}, 0.02,
     {{{"", "Singapore"}, {"", "Singapore"}, {"", "Singapore"}, {"", "Singapore"}}}},
}};

// HubSpot's default call dispositions (GUIDs as the API returns them).
constexpr std::array<std::string_view, 6> kDispositionIds = {
    "f240bbac-87c9-4f6e-bf70-924b57d47db7",  // Connected
    "73a0d17f-1163-4015-bdd5-ec830791da20",  // No answer
    "b2cf5968-551e-4856-9783-52b3da59a7d0",  // Left voicemail
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff",  // Left live message
    "9d9162e7-6cf3-4944-bf63-4dff82258764",  // Busy
    "17b47fee-58de-441e-a44c-c6300d46f273",  // Wrong number
};

// FormatIsoMillis without snprintf (it is called tens of millions of times at the largest sizes);
// the tests compare its output with FormatIsoMillis.
void IsoInto(char* b, int64_t ms) {
  int64_t z = ms / kDay - ((ms % kDay) < 0 ? 1 : 0);
  int64_t rem = ms - z * kDay;
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  auto put = [](char* at, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) at[i] = static_cast<char>('0' + v % 10);
  };
  put(b, y, 4);
  b[4] = '-';
  put(b + 5, m, 2);
  b[7] = '-';
  put(b + 8, d, 2);
  b[10] = 'T';
  put(b + 11, rem / 3600000, 2);
  rem %= 3600000;
  b[13] = ':';
  put(b + 14, rem / 60000, 2);
  rem %= 60000;
  b[16] = ':';
  put(b + 17, rem / 1000, 2);
  b[19] = '.';
  put(b + 20, rem % 1000, 3);
  b[23] = 'Z';
}
std::string Iso(int64_t ms) {
  std::string out(24, '0');
  IsoInto(out.data(), ms);
  return out;
}
/// Iso() into a caller's buffer (no allocation).
std::string_view IsoView(char (&buf)[24], int64_t ms) {
  IsoInto(buf, ms);
  return {buf, 24};
}
/// Decimal digits of `v` in a caller's buffer (no allocation).
std::string_view NumView(char (&buf)[24], int64_t v) {
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, static_cast<size_t>(r.ptr - buf)};
}

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

std::string Num(int64_t v) { return std::to_string(v); }
double Round6(double v) { return std::round(v * 1e6) / 1e6; }

/// Area under the ROC curve of scores against 0/1 labels (ties count half).
double Auc(std::vector<std::pair<double, bool>> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  double pos = 0, neg = 0, rank_sum = 0;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = i;
    while (j < v.size() && v[j].first == v[i].first) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2.0 + 1.0;
    for (size_t k = i; k < j; ++k) {
      if (v[k].second) { rank_sum += avg_rank; pos += 1; } else { neg += 1; }
    }
    i = j;
  }
  if (pos == 0 || neg == 0) return 0.5;
  return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
}

/// Positions of `v` ordered by `time_of` (ties keep their order), sorting (time, position) pairs
/// rather than chasing each comparison into the big records.
template <class T, class F>
std::vector<size_t> OrderByTime(const std::vector<T>& v, F time_of) {
  std::vector<std::pair<int64_t, size_t>> keys(v.size());
  for (size_t i = 0; i < v.size(); ++i) keys[i] = {time_of(v[i]), i};
  std::sort(keys.begin(), keys.end());
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < v.size(); ++i) order[i] = keys[i].second;
  return order;
}

class Generator {
 public:
  explicit Generator(const GeneratorOptions& o) : opt_(o), counts_(CountsFor(o)), eff_(o.effects) {
    if (o.anchor_date.empty()) {
      anchor_ms_ = NowMillis() / kDay * kDay;
    } else {
      auto t = ParseTimestampMillis(o.anchor_date);
      if (!t || o.anchor_date.size() != 10) throw ConfigError("--anchor-date must be YYYY-MM-DD, got '" + o.anchor_date + "'");
      anchor_ms_ = *t;
    }
    start_ms_ = anchor_ms_ - kWindowDays * kDay;
  }

  GeneratedPortal Run() {
    out_.portal = std::make_unique<Portal>();
    Schema();
    Owners();
    Companies();
    Contacts();
    ProductUsage();
    ContactModel();
    Renewals();
    FinalizeDeals();
    MaterializeCompanies();
    MaterializeContacts();
    MaterializeDeals();
    Engagements();
    assoc_.Flush(P());
    Truth();
    return std::move(out_);
  }

 private:
  Portal& P() { return *out_.portal; }
  double E(double v) const { return eff_ ? v : 0.0; }

  // A business-hours time (portal in America/New_York: 13:00-23:00 UTC) on the day of `day_ms`.
  int64_t BusinessTime(Rng& rng, int64_t day_ms) const {
    double h = rng.Normal(16.0, 2.5);
    h = std::clamp(h, 12.0, 23.5);
    return day_ms / kDay * kDay + static_cast<int64_t>(h * kHour) + rng.Int(0, 59999);
  }

  // ---------------------------------------------------------------- schema, pipelines, owners
  void Schema() {
    schema_ms_ = start_ms_ - 45 * kDay;
    InstallDefaultSchema(P(), schema_ms_);
    P().time_zone = "America/New_York";
    auto& company_props = P().Table(ObjectType::kCompanies).Props();
    // Industry labels admins added over the years (the mess enrichment and staging must clean).
    {
      auto idx = *company_props.Find("industry");
      auto& def = company_props.Def(idx);
      def.options.clear();
      int order = 0;
      for (const auto& ind : kIndustries) def.options.push_back({std::string(ind.label), std::string(ind.value), "", order++, false});
      for (const auto& ind : kIndustries)
        for (auto v : ind.variants)
          if (!v.empty()) def.options.push_back({std::string(v), std::string(v), "Added by an admin", order++, false});
    }
    auto custom = [&](ObjectType t, const char* name, const char* label, const char* type, const char* field,
                      std::vector<std::string> options) {
      PropertyDef d;
      d.name = name;
      d.label = label;
      d.type = type;
      d.field_type = field;
      d.group_name = t == ObjectType::kDeals ? "dealinformation" : "companyinformation";
      d.hubspot_defined = false;
      d.form_field = true;
      d.created_ms = d.updated_ms = schema_ms_ + 3 * kDay;
      int order = 0;
      for (auto& o : options) {
        std::string lbl = o;
        if (!lbl.empty()) lbl[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(lbl[0])));
        d.options.push_back({lbl, o, "", order++, false});
      }
      P().Table(t).Props().Put(std::move(d));
    };
    std::vector<std::string> tech;
    for (auto t : kTech) tech.emplace_back(t);
    custom(ObjectType::kCompanies, "tech_stack", "Tech stack", "enumeration", "checkbox", tech);
    custom(ObjectType::kCompanies, "signup_motion", "Signup motion", "enumeration", "select",
           {"freemium", "trial", "sales_led"});
    std::vector<std::string> comps;
    for (const auto& c : Competitors()) comps.push_back(c.name);
    comps.emplace_back("Other");
    custom(ObjectType::kDeals, "competitor", "Competitor", "enumeration", "select", comps);
    // Pipelines: HubSpot's default pipeline relabelled as new business, and a renewal/expansion one
    // with numeric ids as custom pipelines get them.
    auto& pls = P().deal_pipelines;
    pls.clear();
    Pipeline nb;
    nb.id = "default";
    nb.label = "New Business";
    nb.created_ms = nb.updated_ms = schema_ms_;
    const std::tuple<const char*, const char*, double, bool> nb_stages[] = {
        {"appointmentscheduled", "Discovery", 0.1, false},      {"qualifiedtobuy", "Qualified", 0.2, false},
        {"presentationscheduled", "Demo / Evaluation", 0.4, false}, {"decisionmakerboughtin", "Proposal", 0.6, false},
        {"contractsent", "Contract Sent", 0.8, false},          {"closedwon", "Closed Won", 1.0, true},
        {"closedlost", "Closed Lost", 0.0, true}};
    int order = 0;
    for (const auto& [id, label, prob, closed] : nb_stages)
      nb.stages.push_back(PipelineStage{id, label, order++, prob, closed, false, schema_ms_, schema_ms_});
    Pipeline rn;
    rn.id = "15439846";
    rn.label = "Renewal & Expansion";
    rn.display_order = 1;
    rn.created_ms = rn.updated_ms = schema_ms_ + 20 * kDay;
    const std::tuple<const char*, const char*, double, bool> rn_stages[] = {
        {"15439847", "Renewal Due", 0.6, false}, {"15439848", "Negotiation", 0.8, false},
        {"15439849", "Verbal Commit", 0.9, false}, {"15439850", "Closed Won (Renewed)", 1.0, true},
        {"15439851", "Closed Lost (Churned)", 0.0, true}};
    order = 0;
    for (const auto& [id, label, prob, closed] : rn_stages)
      rn.stages.push_back(PipelineStage{id, label, order++, prob, closed, false, rn.created_ms, rn.created_ms});
    pls.push_back(std::move(nb));
    pls.push_back(std::move(rn));
    RegisterPipelineStageProperties(P(), schema_ms_);
    P().teams = {{"4001", "Sales Development"}, {"4002", "Account Executives - Americas"},
                 {"4003", "Account Executives - EMEA"}, {"4004", "Account Management"}};
  }

  void Owners() {
    Rng rng(StreamSeed(opt_.seed, kTagOwner));
    const int n = static_cast<int>(std::clamp<int64_t>(counts_.contacts / 900, 6, 150));
    for (int i = 0; i < n; ++i) {
      OwnerGen o;
      o.id = 81000000 + 7919LL * (i + 1);
      o.role = i % 10 < 3 ? 0 : (i % 10 < 8 ? 1 : 2);
      if (i < 3) o.role = i;  // at least one of each role from the start
      o.region = rng.Bernoulli(0.3) ? 1 : 0;
      o.start_ms = (i < 3 || rng.Bernoulli(0.4)) ? start_ms_ - rng.Int(30, 400) * kDay
                                                  : start_ms_ + rng.Int(0, kWindowDays - 60) * kDay;
      if (i >= 3 && rng.Bernoulli(0.15)) {
        const int64_t end = std::max(o.start_ms, start_ms_) + rng.Int(180, 900) * kDay;
        if (end < anchor_ms_) o.end_ms = end;
      }
      o.skill = E(rng.Normal(0, 0.4));
      o.diligence = eff_ ? std::clamp(rng.Normal(0.5, 0.15), 0.15, 0.85) : 0.5;
      o.speed_h = eff_ ? rng.LogNormal(std::log(5.0), 0.9) : 5.0;
      o.optimistic = rng.Bernoulli(0.3);
      o.first = std::string(FirstNames()[static_cast<size_t>(rng.Int(0, FirstNames().size() - 1))]);
      o.last = std::string(LastNames()[static_cast<size_t>(rng.Int(0, LastNames().size() - 1))]);
      owner_ids_.push_back(Num(o.id));
      owners_.push_back(o);
      by_role_[o.role].push_back(i);
    }
    for (size_t i = 0; i < owners_.size(); ++i) {
      const auto& o = owners_[i];
      Owner w;
      w.id = o.id;
      w.user_id = 5100000 + static_cast<int64_t>(i) * 13;
      w.first_name = o.first;
      w.last_name = o.last;
      std::string local = o.first + "." + o.last;
      for (auto& ch : local) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::erase_if(local, [](char ch) { return ch == ' ' || ch == '\'' || static_cast<unsigned char>(ch) >= 0x80; });
      w.email = local + std::to_string(i) + "@revlens-demo.example";
      const char* team = o.role == 0 ? "4001" : (o.role == 2 ? "4004" : (o.region == 1 ? "4003" : "4002"));
      w.team_ids = {team};
      w.created_ms = o.start_ms;
      w.updated_ms = o.end_ms < anchor_ms_ ? o.end_ms : o.start_ms;
      w.archived = o.end_ms < anchor_ms_;
      P().owners.push_back(std::move(w));
    }
  }

  /// An owner of `role` active at `t` (falls back to any owner of the role, then any owner).
  int ActiveOwner(Rng& rng, int role, int64_t t) const {
    const auto& v = by_role_[role];
    for (int attempt = 0; attempt < 24 && !v.empty(); ++attempt) {
      const int i = v[static_cast<size_t>(rng.Int(0, static_cast<int64_t>(v.size()) - 1))];
      if (owners_[i].start_ms <= t && t < owners_[i].end_ms) return i;
    }
    for (int i : v)
      if (owners_[i].start_ms <= t && t < owners_[i].end_ms) return i;
    return v.empty() ? 0 : v.front();
  }

  // ---------------------------------------------------------------- companies and contacts
  void Companies() {
    const auto n = static_cast<size_t>(counts_.companies);
    companies_.resize(n);
    std::vector<double> ind_w;
    for (const auto& i : kIndustries) ind_w.push_back(i.weight);
    const auto ind_cum = Cumulative(ind_w);
    std::vector<double> ctry_w;
    for (const auto& c : kCountries) ctry_w.push_back(c.weight);
    const auto ctry_cum = Cumulative(ctry_w);
    for (size_t i = 0; i < n; ++i) {
      Rng rng(StreamSeed(opt_.seed, kTagCompany, i));
      auto& c = companies_[i];
      c.industry = rng.Pick(ind_cum);
      // Heavy tail: most companies are small, some are very large.
      const double emp = rng.Bernoulli(0.85) ? rng.LogNormal(std::log(28.0), 1.2) : rng.LogNormal(std::log(700.0), 1.4);
      c.employees = std::clamp<int64_t>(std::llround(emp), 1, 300000);
      c.band = BandOf(c.employees);
      c.revenue = std::llround(static_cast<double>(c.employees) * kIndustries[c.industry].revenue_per_employee *
                               rng.LogNormal(0, 0.5) / 1000.0) * 1000;
      c.country = static_cast<int>(rng.Pick(ctry_cum));
      c.city = static_cast<int>(rng.Int(0, 3));
      c.segment = SegmentOf(c.industry, c.band);
      if (!eff_) c.segment = -1;
      if (rng.Bernoulli(0.15)) {
        const auto& vars = kIndustries[c.industry].variants;
        const int k = static_cast<int>(rng.Int(0, 2));
        if (!vars[static_cast<size_t>(k)].empty()) c.variant = k;
      }
      for (size_t t = 0; t < kTech.size(); ++t) {
        const double rate = std::min(0.95, kTechRate[t] * (c.band >= 3 ? 1.4 : 1.0) * (c.industry == kSoftware ? 1.3 : 1.0));
        if (rng.Bernoulli(rate)) c.tech |= 1u << t;
      }
      const double u = rng.Uniform();
      c.motion = u < 0.3 ? 0 : (u < 0.45 ? 1 : 2);  // freemium, trial, sales-led
      c.type = static_cast<int>(rng.PickW({0.85, 0.05, 0.03, 0.02, 0.01, 0.04}));
      c.gap_industry = rng.Bernoulli(0.15);
      c.gap_employees = rng.Bernoulli(0.12);
      c.gap_revenue = rng.Bernoulli(0.18);
      c.outlier_employees = !c.gap_employees && rng.Bernoulli(0.003);
      c.outlier_revenue = !c.gap_revenue && rng.Bernoulli(0.003);
      c.seats = 1 + static_cast<int64_t>(std::pow(static_cast<double>(c.employees), 0.35) * rng.Uniform(0.5, 1.5));
      c.name = CompanyName(rng, c.industry);
    }
    // Unique names and fictional domains.
    std::unordered_set<std::string> names, domains;
    for (size_t i = 0; i < n; ++i) {
      auto& c = companies_[i];
      std::string base = c.name;
      for (int k = 2; !names.insert(c.name).second; ++k) c.name = base + " " + std::to_string(k);
      std::string d;
      for (char ch : c.name)
        if (std::isalnum(static_cast<unsigned char>(ch))) d += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const char* tld = (i % 7 == 3) ? ".test" : ".example";
      c.domain = d + tld;
      for (int k = 2; !domains.insert(c.domain).second; ++k) c.domain = d + std::to_string(k) + tld;
    }
  }

  void Contacts() {
    const auto n = static_cast<size_t>(counts_.contacts);
    // Day weights: growth, month seasonality, quiet weekends.
    std::vector<double> day_w(kWindowDays);
    for (int64_t d = 0; d < kWindowDays; ++d) {
      const int64_t ms = start_ms_ + d * kDay;
      const int64_t days = ms / kDay;
      const int64_t wd = (days + 4) % 7;  // 0 = Sunday
      const std::string date = FormatDate(ms);
      const int month = std::stoi(date.substr(5, 2));
      day_w[static_cast<size_t>(d)] = std::exp(E(kAnnualGrowth) * static_cast<double>(d) / 365.0) *
                                      (eff_ ? kMonthMultiplier[static_cast<size_t>(month - 1)] : 1.0) *
                                      ((wd == 0 || wd == 6) ? 0.3 : 1.0);
    }
    const auto day_cum = Cumulative(day_w);
    std::vector<double> co_w(companies_.size());
    for (size_t j = 0; j < companies_.size(); ++j)
      co_w[j] = std::pow(static_cast<double>(std::min<int64_t>(companies_[j].employees, 20000)), 0.45) *
                (companies_[j].segment >= 0 ? kSegments[static_cast<size_t>(companies_[j].segment)].activity_multiplier : 1.0);
    const auto co_cum = Cumulative(co_w);
    std::vector<double> sen_w(std::begin(kSeniorityWeight), std::end(kSeniorityWeight));
    std::vector<double> fn_w(std::begin(kFunctionWeight), std::end(kFunctionWeight));
    std::vector<double> src_w(std::begin(kSourceWeight), std::end(kSourceWeight));
    const auto sen_cum = Cumulative(sen_w), fn_cum = Cumulative(fn_w), src_cum = Cumulative(src_w);

    // Imports: a share of contacts arrive in bursts on a few days.
    Rng misc(StreamSeed(opt_.seed, kTagMisc));
    struct Batch { int64_t t; int64_t size; };
    std::vector<Batch> batches;
    int64_t import_total = static_cast<int64_t>(0.08 * static_cast<double>(n)), assigned = 0;
    while (assigned < import_total) {
      const int64_t day = static_cast<int64_t>(misc.Pick(day_cum));
      const int64_t size = std::min(import_total - assigned, std::max<int64_t>(20, std::llround(misc.LogNormal(std::log(250.0), 0.7))));
      batches.push_back({BusinessTime(misc, start_ms_ + day * kDay), size});
      assigned += size;
    }
    contacts_.reserve(n + n / 40 + 1);  // room for the duplicates below (2.5%), so they do not copy every contact
    contacts_.resize(n);
    // The first import_total contacts fill the batches in order: batch and position of each.
    std::vector<std::pair<uint32_t, int64_t>> import_slot;
    for (size_t b = 0; b < batches.size() && static_cast<int64_t>(import_slot.size()) < import_total; ++b)
      for (int64_t k = 0; k < batches[b].size && static_cast<int64_t>(import_slot.size()) < import_total; ++k)
        import_slot.emplace_back(static_cast<uint32_t>(b), k);
    // Each contact draws from its own stream, so blocks of them run on several threads.
    ParallelFor((n + kRecordBlock - 1) / kRecordBlock, [&](size_t block, size_t) {
      for (size_t i = block * kRecordBlock; i < std::min(n, (block + 1) * kRecordBlock); ++i) {
        Rng rng(StreamSeed(opt_.seed, kTagContact, i));
        auto& c = contacts_[i];
        if (i < import_slot.size()) {
          c.imported = true;
          c.created_ms = batches[import_slot[i].first].t + import_slot[i].second * 37 + rng.Int(0, 30);
        } else {
          c.created_ms = BusinessTime(rng, start_ms_ + static_cast<int64_t>(rng.Pick(day_cum)) * kDay);
        }
        c.company = rng.Bernoulli(c.imported ? 0.95 : 0.88) ? static_cast<int>(rng.Pick(co_cum)) : -1;
        c.first = static_cast<int>(rng.Int(0, FirstNames().size() - 1));
        c.last = static_cast<int>(rng.Int(0, LastNames().size() - 1));
        c.seniority = static_cast<int>(rng.Pick(sen_cum));
        c.function = static_cast<int>(rng.Pick(fn_cum));
        c.source = c.imported ? static_cast<int>(kOffline) : static_cast<int>(rng.Pick(src_cum));
        c.intent = rng.Normal();
        const int seg = c.company >= 0 ? companies_[static_cast<size_t>(c.company)].segment : -1;
        const double act = seg >= 0 ? kSegments[static_cast<size_t>(seg)].activity_multiplier : 1.0;
        const bool inbound = !c.imported && c.source != static_cast<int>(kOffline);
        c.visits = rng.Poisson(std::exp(0.9 + 0.6 * c.intent) * act) + (inbound ? 1 : 0);
        c.bot = rng.Bernoulli(0.001);
        if (c.bot) c.visits = c.visits * 50 + 300;
        c.pageviews = c.visits + rng.Poisson(static_cast<double>(c.visits) * 1.8);
        c.forms = (inbound && c.source != static_cast<int>(kEmailMarketing) ? 1 : 0) +
                  rng.Poisson(std::exp(-0.9 + 0.5 * c.intent) * act);
        c.opens = rng.Poisson(std::exp(1.1 + 0.4 * c.intent));
        c.clicks = rng.Poisson(static_cast<double>(c.opens) * 0.15 * std::exp(0.3 * c.intent));
        if (c.company < 0) {
          c.country = static_cast<int>(rng.Int(0, kCountries.size() - 1));
          c.city = static_cast<int>(rng.Int(0, 3));
        }
      }
    });
    // Duplicates: the same person entered again later (another email or casing); most get merged.
    const size_t n_dup = static_cast<size_t>(0.025 * static_cast<double>(n));
    for (size_t k = 0; k < n_dup; ++k) {
      const auto orig = static_cast<size_t>(misc.Int(0, static_cast<int64_t>(n) - 1));
      ContactGen d = contacts_[orig];
      d.dup_of = static_cast<int>(orig);
      d.created_ms = d.created_ms + static_cast<int64_t>(misc.Exponential(60.0) * kDay) + kHour;
      if (d.created_ms >= anchor_ms_) continue;
      d.imported = misc.Bernoulli(0.5);
      d.source = static_cast<int>(misc.Bernoulli(0.5) ? kOffline : 6);
      d.visits = misc.Poisson(1.0);
      d.pageviews = d.visits;
      d.forms = misc.Poisson(0.3);
      d.opens = d.clicks = 0;
      if (misc.Bernoulli(0.6)) {
        d.merged_ms = d.created_ms + static_cast<int64_t>(misc.Exponential(20.0) * kDay);
        d.merged = d.merged_ms < anchor_ms_;
      }
      contacts_.push_back(d);
    }
    // Company create dates follow their first contact; ids follow create order.
    Rng crng(StreamSeed(opt_.seed, kTagCompany, 0xC0FFEE));
    for (auto& c : contacts_) {
      if (c.company < 0) continue;
      auto& co = companies_[static_cast<size_t>(c.company)];
      co.created_ms = std::min(co.created_ms, c.created_ms - 1000);
    }
    for (auto& co : companies_) {
      if (co.created_ms == INT64_MAX) co.created_ms = BusinessTime(crng, start_ms_ + static_cast<int64_t>(crng.Pick(day_cum)) * kDay);
      else co.created_ms -= crng.Int(0, 3 * kDay);
    }
    {
      const std::vector<size_t> order = OrderByTime(companies_, [](const CompanyGen& c) { return c.created_ms; });
      std::vector<int> remap(companies_.size());
      std::vector<CompanyGen> sorted;
      sorted.reserve(companies_.size());
      for (size_t k = 0; k < order.size(); ++k) {
        remap[order[k]] = static_cast<int>(k);
        sorted.push_back(std::move(companies_[order[k]]));
        sorted.back().id = 5200000001LL + static_cast<int64_t>(k) * 3;
      }
      companies_ = std::move(sorted);
      for (auto& c : contacts_)
        if (c.company >= 0) c.company = remap[static_cast<size_t>(c.company)];
    }
    {
      const std::vector<size_t> order = OrderByTime(contacts_, [](const ContactGen& c) { return c.created_ms; });
      std::vector<int> remap(contacts_.size());
      std::vector<ContactGen> sorted;
      sorted.reserve(contacts_.size());
      AdviseHugePages(sorted.data(), sorted.capacity() * sizeof(ContactGen));
      for (size_t k = 0; k < order.size(); ++k) {
        remap[order[k]] = static_cast<int>(k);
        sorted.push_back(std::move(contacts_[order[k]]));
        sorted.back().id = 1051 + static_cast<int64_t>(k) * 50;
      }
      contacts_ = std::move(sorted);
      for (auto& c : contacts_)
        if (c.dup_of >= 0) c.dup_of = remap[static_cast<size_t>(c.dup_of)];
    }
    // Emails: unique, fictional domains. Each contact's draws come from its own stream (on several
    // threads); making them unique (a number appended on a clash) goes in contact order.
    struct EmailDraw {
      std::string local;
      std::string_view domain;
      bool upper = false;  ///< a duplicate typed with a capital first letter
    };
    std::vector<EmailDraw> draws(contacts_.size());
    ParallelFor((contacts_.size() + kRecordBlock - 1) / kRecordBlock, [&](size_t block, size_t) {
      for (size_t i = block * kRecordBlock; i < std::min(contacts_.size(), (block + 1) * kRecordBlock); ++i) {
        const auto& c = contacts_[i];
        auto& e = draws[i];
        Rng rng(StreamSeed(opt_.seed, kTagContact, 0x100000000ULL + i));
        const std::string first = Ascii(FirstNames()[static_cast<size_t>(c.first)]);
        const std::string last = Ascii(LastNames()[static_cast<size_t>(c.last)]);
        e.domain = c.company >= 0 ? std::string_view(companies_[static_cast<size_t>(c.company)].domain)
                                  : (rng.Bernoulli(0.5) ? "mail.example" : "inbox.test");
        e.local = c.company >= 0 ? (rng.Bernoulli(0.7) ? first + "." + last : first.substr(0, 1) + last)
                                 : first + "." + last + std::to_string(rng.Int(1, 99));
        if (c.dup_of >= 0 && rng.Bernoulli(0.5)) e.local = first + last.substr(0, 1);
        e.upper = c.dup_of >= 0 && rng.Bernoulli(0.3);
      }
    });
    ValueArena email_bytes;  // the set's keys, as first assigned (before any capital)
    std::unordered_set<std::string_view> emails;
    emails.reserve(contacts_.size() * 2);
    for (size_t i = 0; i < contacts_.size(); ++i) {
      auto& c = contacts_[i];
      const auto& e = draws[i];
      std::string email = e.local + "@" + std::string(e.domain);
      for (int k = 2; emails.count(email) != 0; ++k) email = e.local + std::to_string(k) + "@" + std::string(e.domain);
      char* key = email_bytes.Allocate(email.size());
      std::memcpy(key, email.data(), email.size());
      emails.emplace(key, email.size());
      if (e.upper) email[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(email[0])));
      c.email = std::move(email);
      if (c.company >= 0) companies_[static_cast<size_t>(c.company)].n_contacts++;
    }
    }

  static std::string Ascii(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
      const unsigned char ch = static_cast<unsigned char>(s[i]);
      if (ch == 0xC3 && i + 1 < s.size()) {
        const unsigned char n = static_cast<unsigned char>(s[++i]);
        out += (n == 0xBC) ? 'u' : (n == 0xA9 || n == 0xAB) ? 'e' : (n == 0xB6) ? 'o' : 'a';
      } else if (std::isalnum(ch)) {
        out += static_cast<char>(std::tolower(ch));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- product usage
  void ProductUsage() {
    // Blocks of contacts write their own part on several threads; the parts join in order.
    std::vector<std::string> parts((contacts_.size() + kRecordBlock - 1) / kRecordBlock);
    ParallelFor(parts.size(), [&](size_t block, size_t) {
      std::string& csv = parts[block];
      for (size_t i = block * kRecordBlock; i < std::min(contacts_.size(), (block + 1) * kRecordBlock); ++i) {
        auto& c = contacts_[i];
        if (!c.Model() || c.company < 0) continue;
        const auto& co = companies_[static_cast<size_t>(c.company)];
        if (co.motion == 2) continue;
        Rng rng(StreamSeed(opt_.seed, kTagUsage, i));
        if (!rng.Bernoulli(0.55)) continue;
        c.product_user = true;
        const int span = co.motion == 1 ? 30 : 90;
        const int64_t day0 = c.created_ms / kDay;
        for (int d = 0; d < span; ++d) {
          const int64_t day_ms = (day0 + d) * kDay;
          if (day_ms >= anchor_ms_) break;
          const double p = Sigmoid(-0.8 + 0.9 * c.intent + (co.motion == 1 ? 0.4 : 0.0)) * std::exp(-d / 40.0);
          if (!rng.Bernoulli(p)) continue;
          if (d < 14) ++c.usage_days14;
          const int64_t logins = 1 + rng.Poisson(0.8 + std::max(0.0, c.intent));
          const int64_t uses = rng.Poisson(std::exp(0.4 + 0.6 * c.intent));
          const int64_t seats = std::min<int64_t>(co.seats, 1 + d / 10);
          csv += FormatDate(day_ms);
          csv += ",u_";
          csv += Num(static_cast<int64_t>(SplitMix(static_cast<uint64_t>(c.id)) % 100000000ULL));
          csv += ',';
          csv += c.email;
          csv += ',';
          csv += co.domain;
          csv += ',';
          csv += Num(c.id);
          csv += ',';
          csv += Num(logins);
          csv += ',';
          csv += Num(uses);
          csv += ',';
          csv += Num(seats);
          csv += '\n';
        }
      }
    });
    std::string& csv = out_.product_usage_csv;
    csv = "event_date,user_id,email,account_domain,hubspot_contact_id,logins,key_feature_uses,seats\n";
    size_t bytes = csv.size();
    for (const auto& part : parts) bytes += part.size();
    csv.reserve(bytes);
    for (auto& part : parts) {
      csv += part;
      std::string().swap(part);
    }
  }

  // ---------------------------------------------------------------- the contact and deal model
  double SegWin(int seg) const { return seg >= 0 ? kSegments[static_cast<size_t>(seg)].win_log_odds : 0.0; }
  double SegCycle(int seg) const { return seg >= 0 ? kSegments[static_cast<size_t>(seg)].cycle_multiplier : 1.0; }
  double CompCycle(int comp) const { return (comp >= 0 && eff_) ? Competitors()[static_cast<size_t>(comp)].cycle_multiplier : 1.0; }
  double CompWin(int comp) const {
    return (comp >= 0 && eff_) ? std::log(Competitors()[static_cast<size_t>(comp)].odds_multiplier) : 0.0;
  }
  double CompProb(int comp) const {
    return comp < 0 ? 1.0 - kCompetitorInvolvement : kCompetitorInvolvement * Competitors()[static_cast<size_t>(comp)].share;
  }
  int Segment(const ContactGen& c) const { return c.company >= 0 ? companies_[static_cast<size_t>(c.company)].segment : -1; }

  /// P(delay + won cycle <= 90 - shift days), delay ~ Exp(12 d), cycle ~ lognormal(median, sigma).
  double Tau(int seg, int comp, double shift_days) {
    const int key = (seg + 1) * 16 + (comp + 1);
    auto it = tau_.find(key);
    if (it == tau_.end()) {
      const double median = kNbWonCycleDays * SegCycle(seg) * CompCycle(comp);
      std::vector<double> table(361);
      for (size_t s = 0; s < table.size(); ++s) {
        const double L = kConversionWindowDays - 0.25 * static_cast<double>(s);
        if (L <= 0) { table[s] = 0; continue; }
        const int steps = 400;
        const double h = L / steps;
        double acc = 0;
        for (int k = 0; k <= steps; ++k) {
          const double x = h * k;
          const double rest = L - x;
          const double f = (1.0 / kDealDelayMeanDays) * std::exp(-x / kDealDelayMeanDays) *
                           (rest <= 0 ? 0.0 : NormalCdf((std::log(rest) - std::log(median)) / kNbWonCycleSigma));
          acc += f * ((k == 0 || k == steps) ? 1 : (k % 2 == 1 ? 4 : 2));
        }
        table[s] = acc * h / 3.0;
      }
      it = tau_.emplace(key, std::move(table)).first;
    }
    const double pos = std::clamp(shift_days, 0.0, 90.0) / 0.25;
    const size_t lo = static_cast<size_t>(pos);
    if (lo >= 360) return it->second[360];
    const double frac = pos - static_cast<double>(lo);
    return it->second[lo] * (1 - frac) + it->second[lo + 1] * frac;
  }

  double WinBase(const ContactGen& c) const {
    const int seg = Segment(c);
    double lp = kWinIntercept + SegWin(seg) + E(kSeniorityWin[static_cast<size_t>(c.seniority)]) +
                owners_[static_cast<size_t>(c.ae)].skill;
    if (c.company >= 0 && (companies_[static_cast<size_t>(c.company)].tech & kModernStackMask)) lp += E(kWinModernStack);
    if (c.source == static_cast<int>(kReferrals)) lp += E(kWinReferral);
    return lp;
  }

  void ContactModel() {
    // Owners and response times, then the opportunity predictor (each contact on its own stream).
    ParallelFor((contacts_.size() + kRecordBlock - 1) / kRecordBlock, [&](size_t block, size_t) {
      for (size_t i = block * kRecordBlock; i < std::min(contacts_.size(), (block + 1) * kRecordBlock); ++i) {
        auto& c = contacts_[i];
        Rng rng(StreamSeed(opt_.seed, kTagOutcome, 0x200000000ULL + i));
        const bool inbound = !c.imported && c.source != static_cast<int>(kOffline);
        c.owner = ActiveOwner(rng, inbound ? 0 : 1, c.created_ms);
        c.ae = ActiveOwner(rng, 1, c.created_ms);
        if (inbound) c.response_h = owners_[static_cast<size_t>(c.owner)].speed_h * rng.LogNormal(0, 1.0);
        if (!c.Model()) continue;
        const int seg = Segment(c);
        double lp = (seg >= 0 ? kSegments[static_cast<size_t>(seg)].opp_log_odds : 0.0) +
                    E(kSeniorityOpp[static_cast<size_t>(c.seniority)]) + E(kFunctionOpp[static_cast<size_t>(c.function)]) +
                    E(kSourceOpp[static_cast<size_t>(c.source)]) + (c.imported ? E(kOppImport) : 0.0) +
                    E(kOppLog1pVisits) * (std::log1p(static_cast<double>(std::min<int64_t>(c.visits, 200))) - kOppVisitsCenter) +
                    E(kOppForms) * static_cast<double>(std::min<int64_t>(c.forms, kOppFormsCap)) +
                    E(kOppUsageDays14) * c.usage_days14 + E(kOppLatentIntent) * c.intent;
        if (inbound && c.response_h > kSlowResponseHours) lp += E(kSlowResponseOpp);
        c.lp_opp = lp;
      }
    });
    // Calibrate the intercept so the expected new-business deal count matches the target.
    const double nb_target = std::max(1.0, 0.8 * static_cast<double>(counts_.deals));
    auto expected = [&](double a) {
      double s = 0;
      for (const auto& c : contacts_)
        if (c.Model() && c.created_ms < anchor_ms_ - 20 * kDay) s += Sigmoid(a + c.lp_opp);
      return s;
    };
    double lo = -20, hi = 8;
    for (int it = 0; it < 40; ++it) {
      const double mid = (lo + hi) / 2;
      (expected(mid) < nb_target ? lo : hi) = mid;
    }
    opp_intercept_ = (lo + hi) / 2;

    for (size_t i = 0; i < contacts_.size(); ++i) {
      auto& c = contacts_[i];
      if (!c.Model()) continue;
      c.q_opp = Sigmoid(opp_intercept_ + c.lp_opp);
      const int seg = Segment(c);
      const double base = WinBase(c);
      const double dil = owners_[static_cast<size_t>(c.ae)].diligence;
      const double shift = c.response_h > 0 ? c.response_h / 24.0 : 0.0;
      double ew = 0;
      for (int comp = -1; comp < static_cast<int>(Competitors().size()); ++comp) {
        const double pw = dil * Sigmoid(base + CompWin(comp) + E(kWinEarlyMeeting)) + (1 - dil) * Sigmoid(base + CompWin(comp));
        ew += CompProb(comp) * pw * Tau(seg, comp, shift);
      }
      c.p_convert = c.q_opp * ew;

      Rng rng(StreamSeed(opt_.seed, kTagOutcome, i));
      c.opp = rng.Bernoulli(c.q_opp);
      if (c.opp) {
        DealGen d;
        d.kind = 0;
        d.contact = static_cast<int>(i);
        d.company = c.company;
        d.owner = c.ae;
        d.create_ms = c.created_ms + static_cast<int64_t>((shift + rng.Exponential(kDealDelayMeanDays)) * kDay);
        // Competitor and early meeting, with the probabilities the expectation above used.
        double u = rng.Uniform();
        d.competitor = -1;
        if (u >= CompProb(-1)) {
          u -= CompProb(-1);
          for (size_t k = 0; k < Competitors().size(); ++k) {
            d.competitor = static_cast<int>(k);
            if (u < CompProb(static_cast<int>(k))) break;
            u -= CompProb(static_cast<int>(k));
          }
        }
        d.early_meeting = rng.Bernoulli(dil);
        d.p_win = Sigmoid(base + CompWin(d.competitor) + (d.early_meeting ? E(kWinEarlyMeeting) : 0.0));
        d.first_stage = rng.Bernoulli(0.1) ? 1 : 0;
        const double won_cycle = rng.LogNormal(std::log(kNbWonCycleDays * SegCycle(seg) * CompCycle(d.competitor)), kNbWonCycleSigma);
        const double lost_cycle = rng.LogNormal(std::log(kNbLostCycleDays * SegCycle(seg) * CompCycle(d.competitor)), kNbLostCycleSigma);
        Walk(rng, d, kNbStageWeights.data(), 5, won_cycle, lost_cycle);
        c.converted = d.won && (d.close_ms - c.created_ms) <= static_cast<int64_t>(kConversionWindowDays * kDay);
        // Quarter-end pull: a won deal due in the first days of a quarter closes at the end of the
        // previous one (never across the contact's 90-day boundary, so p_convert_90d stays exact).
        if (d.won && eff_ && rng.Bernoulli(kQuarterPullProb)) {
          const int64_t qs = QuarterStart(d.close_ms);
          const int64_t boundary = c.created_ms + static_cast<int64_t>(kConversionWindowDays * kDay);
          const int64_t pulled = qs - rng.Int(kHour * 6, kDay * 2);
          if (d.close_ms - qs < static_cast<int64_t>(kQuarterPullWindowDays * kDay) && pulled > d.enter[4] + kHour &&
              pulled > d.create_ms && !(d.close_ms > boundary && pulled <= boundary)) {
            d.close_ms = pulled;
            d.enter[5] = pulled;
            d.pulled = true;
          }
        }
        d.cycle_days = static_cast<double>(d.close_ms - d.create_ms) / kDay;
        d.comp_recorded = d.competitor >= 0 && rng.Bernoulli(0.6);
        d.mentions = d.competitor >= 0 ? static_cast<int>(std::min<int64_t>(3, 1 + rng.Poisson(0.6))) : 0;
        d.has_contact = rng.Bernoulli(0.94);
        const auto& co = c.company >= 0 ? &companies_[static_cast<size_t>(c.company)] : nullptr;
        const double acv_med = (co ? kBandAcv[static_cast<size_t>(co->band)] : 5000.0) *
                               (seg >= 0 ? kSegments[static_cast<size_t>(seg)].acv_multiplier : 1.0);
        d.amount = RoundAmount(acv_med * rng.LogNormal(0, 0.45));
        d.amount_missing = rng.Bernoulli(0.07);
        d.amount_outlier = !d.amount_missing && rng.Bernoulli(0.003);
        if (d.early_meeting) {
          const int64_t limit = std::min<int64_t>(static_cast<int64_t>(kEarlyMeetingDays * kDay) - kHour, d.close_ms - d.create_ms - 1);
          d.early_meeting_ms = d.create_ms + static_cast<int64_t>(rng.Uniform() * static_cast<double>(std::max<int64_t>(limit, 1)));
        }
        c.deal = static_cast<int>(deals_.size());
        deals_.push_back(d);
      }
      if (!c.opp && rng.Bernoulli(0.015)) {
        c.mention = true;
        c.mention_comp = static_cast<int>(rng.Int(0, Competitors().size() - 1));
      }
    }
  }

  static double RoundAmount(double a) {
    if (a < 10000) return std::round(a / 100) * 100;
    return std::round(a / 500) * 500;
  }
  static int64_t QuarterStart(int64_t ms) {
    const std::string d = FormatDate(ms);
    const int y = std::stoi(d.substr(0, 4)), m = std::stoi(d.substr(5, 2));
    const unsigned qm = static_cast<unsigned>((m - 1) / 3 * 3 + 1);
    return DaysFromCivil(y, qm, 1) * kDay;
  }

  /// Stage walk: stage k (from first_stage) is passed with p_win^(w_k / sum w), so P(won) = p_win.
  void Walk(Rng& rng, DealGen& d, const double* w, int n_open, double won_cycle_days, double lost_cycle_days) {
    double total = 0;
    for (int k = d.first_stage; k < n_open; ++k) total += w[k];
    int lost_at = -1;
    for (int k = d.first_stage; k < n_open; ++k) {
      d.conv[static_cast<size_t>(k)] = std::pow(d.p_win, w[k] / total);
      if (lost_at < 0 && !rng.Bernoulli(d.conv[static_cast<size_t>(k)])) lost_at = k;
    }
    d.won = lost_at < 0;
    d.last_open = d.won ? n_open - 1 : lost_at;
    const double days = d.won ? won_cycle_days
                              : lost_cycle_days * (0.4 + 0.6 * static_cast<double>(lost_at - d.first_stage + 1) /
                                                             static_cast<double>(n_open - d.first_stage));
    const int64_t total_ms = std::max<int64_t>(kHour * 2, static_cast<int64_t>(days * kDay));
    const int segs = d.last_open - d.first_stage + 1;
    std::array<double, 6> g{};
    double gs = 0;
    for (int s = 0; s < segs; ++s) gs += (g[static_cast<size_t>(s)] = rng.LogNormal(0, 0.4));
    double acc = 0;
    for (int s = 0; s < segs; ++s) {
      d.enter[static_cast<size_t>(d.first_stage + s)] = d.create_ms + static_cast<int64_t>(acc / gs * static_cast<double>(total_ms));
      acc += g[static_cast<size_t>(s)];
    }
    d.close_ms = d.create_ms + total_ms;
    d.enter[static_cast<size_t>(d.won ? n_open : n_open + 1)] = d.close_ms;
  }

  void Renewals() {
    // Chains of renewals and occasional expansions after each win, in the renewal pipeline.
    const size_t nb = deals_.size();
    std::vector<int> queue;
    for (size_t i = 0; i < nb; ++i)
      if (deals_[i].won) queue.push_back(static_cast<int>(i));
    for (size_t qi = 0; qi < queue.size(); ++qi) {
      const int parent = queue[qi];
      Rng rng(StreamSeed(opt_.seed, kTagDeal, static_cast<uint64_t>(parent)));
      const DealGen p = deals_[static_cast<size_t>(parent)];
      if (p.kind == 2) continue;
      const int seg = p.company >= 0 ? companies_[static_cast<size_t>(p.company)].segment : -1;
      const bool icp = seg >= 0 && kSegments[static_cast<size_t>(seg)].icp;
      const bool busy = seg >= 0 && !kSegments[static_cast<size_t>(seg)].icp;
      for (int kind = 1; kind <= 2; ++kind) {
        DealGen d;
        d.kind = kind;
        d.parent = parent;
        d.company = p.company;
        d.contact = rng.Bernoulli(0.7) ? p.contact : -1;
        d.has_contact = d.contact >= 0;
        if (kind == 1) {
          d.create_ms = p.close_ms + 305 * kDay + rng.Int(-10 * kDay, 10 * kDay);
          d.p_win = Sigmoid(kRenewalIntercept + E(icp ? 0.5 : (busy ? -0.6 : 0.0)));
        } else {
          if (!rng.Bernoulli(icp && eff_ ? 0.45 : 0.3)) continue;
          d.create_ms = p.close_ms + rng.Int(60 * kDay, 300 * kDay);
          d.p_win = Sigmoid(kExpansionIntercept + E(icp ? 0.6 : 0.0));
        }
        if (d.create_ms >= anchor_ms_) continue;
        d.owner = ActiveOwner(rng, 2, d.create_ms);
        d.first_stage = 0;
        const double won_c = rng.LogNormal(std::log(kind == 1 ? 45.0 : 35.0), 0.35);
        const double lost_c = rng.LogNormal(std::log(50.0), 0.45);
        Walk(rng, d, kRenewalStageWeights.data(), 3, won_c, lost_c);
        d.cycle_days = static_cast<double>(d.close_ms - d.create_ms) / kDay;
        d.amount = RoundAmount(p.amount * (kind == 1 ? rng.Normal(1.05, 0.05) : rng.Uniform(0.2, 0.5)));
        d.amount_missing = rng.Bernoulli(0.03);
        deals_.push_back(d);
        if (d.won && kind == 1) queue.push_back(static_cast<int>(deals_.size() - 1));
        else if (d.won && kind == 2) queue.push_back(static_cast<int>(deals_.size() - 1));
      }
    }
  }

  void FinalizeDeals() {
    // Materialized deals: created before the anchor; ids in create order.
    std::vector<size_t> order;
    for (size_t i = 0; i < deals_.size(); ++i)
      if (deals_[i].create_ms < anchor_ms_) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return deals_[a].create_ms < deals_[b].create_ms; });
    std::vector<int> remap(deals_.size(), -1);
    std::vector<DealGen> sorted;
    for (size_t k = 0; k < order.size(); ++k) {
      remap[order[k]] = static_cast<int>(k);
      sorted.push_back(deals_[order[k]]);
      sorted.back().id = 9100000001LL + static_cast<int64_t>(k) * 7;
    }
    for (auto& d : sorted)
      if (d.parent >= 0) d.parent = remap[static_cast<size_t>(d.parent)];
    for (auto& c : contacts_)
      if (c.deal >= 0) c.deal = remap[static_cast<size_t>(c.deal)];
    deals_ = std::move(sorted);
    Rng rng(StreamSeed(opt_.seed, kTagMisc, 77));
    for (auto& d : deals_) {
      if (d.company >= 0) {
        auto& co = companies_[static_cast<size_t>(d.company)];
        co.n_deals++;
        if (co.first_deal_ms == 0 || d.create_ms < co.first_deal_ms) co.first_deal_ms = d.create_ms;
        if (d.won && d.close_ms < anchor_ms_ && (co.first_win_ms == 0 || d.close_ms < co.first_win_ms)) co.first_win_ms = d.close_ms;
      }
      // A few lost deals get deleted later.
      if (d.kind == 0 && !d.won && d.close_ms < anchor_ms_ && rng.Bernoulli(0.004)) {
        d.archived_ms = d.close_ms + rng.Int(10 * kDay, 200 * kDay);
        d.archived = d.archived_ms < anchor_ms_;
      }
    }
    // Archived contacts (never ones with deals or duplicates) and companies without contacts/deals.
    for (auto& c : contacts_) {
      if (!c.Model() || c.opp || c.created_ms > anchor_ms_ - 30 * kDay || !rng.Bernoulli(0.005)) continue;
      c.archived_ms = c.created_ms + rng.Int(kDay, anchor_ms_ - c.created_ms - 1);
      c.archived = true;
    }
    for (auto& co : companies_) {
      if (co.n_contacts == 0 && co.n_deals == 0 && co.created_ms < anchor_ms_ - 30 * kDay && rng.Bernoulli(0.1)) {
        co.archived = true;
        co.archived_ms = co.created_ms + rng.Int(kDay, anchor_ms_ - co.created_ms - 1);
      }
    }
    // Owners of companies.
    for (size_t j = 0; j < companies_.size(); ++j) {
      Rng r(StreamSeed(opt_.seed, kTagCompany, 0x300000000ULL + j));
      companies_[j].owner = ActiveOwner(r, 1, companies_[j].created_ms);
    }
  }

  // ---------------------------------------------------------------- records
  /// A record's property values as they are set; empty values leave the property unset.
  struct PropBuf {
    PropertyValuesBuilder v;
    void Set(uint16_t p, std::string_view s) {
      if (!s.empty()) v.Add(p, s);
    }
    /// Pack into `r`, borrowing from `arena` when given (it must live as long as the portal).
    void Into(Record& r, ValueArena* arena = nullptr) { r.props = v.Build(arena); }
  };

  /// Records per block when contacts and deals are written on several threads.
  static constexpr size_t kRecordBlock = 4096;

  uint16_t Pi(ObjectType t, std::string_view name) { return P().Table(t).Props().Intern(name); }

  const std::string& OwnerIdStr(int o) const { return owner_ids_[static_cast<size_t>(o)]; }

  void MaterializeCompanies() {
    auto& tbl = P().Table(ObjectType::kCompanies);
    tbl.Reserve(companies_.size());
    const ObjectType T = ObjectType::kCompanies;
    const uint16_t p_id = Pi(T, "hs_object_id"), p_cd = Pi(T, "createdate"), p_hcd = Pi(T, "hs_createdate"),
                   p_lm = Pi(T, "hs_lastmodifieddate"), p_name = Pi(T, "name"), p_domain = Pi(T, "domain"),
                   p_ind = Pi(T, "industry"), p_emp = Pi(T, "numberofemployees"), p_rev = Pi(T, "annualrevenue"),
                   p_country = Pi(T, "country"), p_state = Pi(T, "state"), p_city = Pi(T, "city"), p_type = Pi(T, "type"),
                   p_lc = Pi(T, "lifecyclestage"), p_owner = Pi(T, "hubspot_owner_id"), p_tech = Pi(T, "tech_stack"),
                   p_motion = Pi(T, "signup_motion");
    static constexpr std::array<std::string_view, 6> kTypes = {"PROSPECT", "PARTNER", "RESELLER", "VENDOR", "OTHER", ""};
    static constexpr std::array<std::string_view, 3> kMotions = {"freemium", "trial", "sales_led"};
    PropBuf b;
    for (size_t j = 0; j < companies_.size(); ++j) {
      auto& c = companies_[j];
      Rng rng(StreamSeed(opt_.seed, kTagRecord, 0x400000000ULL + j));
      Record r;
      r.id = c.id;
      r.created_ms = c.created_ms;
      int64_t updated = c.created_ms;
      if (c.first_deal_ms > 0) updated = std::max(updated, std::min(c.first_deal_ms, anchor_ms_ - 1));
      if (c.first_win_ms > 0) updated = std::max(updated, c.first_win_ms);
      if (c.archived) updated = std::max(updated, c.archived_ms);
      r.updated_ms = updated;
      r.archived = c.archived;
      r.archived_ms = c.archived_ms;
      b.Set(p_id, Num(c.id));
      b.Set(p_cd, Iso(c.created_ms));
      b.Set(p_hcd, Iso(c.created_ms));
      b.Set(p_lm, Iso(updated));
      b.Set(p_name, c.name);
      b.Set(p_domain, c.domain);
      const auto& ind = kIndustries[c.industry];
      if (!c.gap_industry) b.Set(p_ind, std::string(c.variant >= 0 ? ind.variants[static_cast<size_t>(c.variant)] : ind.value));
      if (!c.gap_employees) b.Set(p_emp, Num(c.outlier_employees ? c.employees * 1000 : c.employees));
      if (!c.gap_revenue) b.Set(p_rev, Num(c.outlier_revenue ? c.revenue * 1000 : c.revenue));
      const auto& ctry = kCountries[static_cast<size_t>(c.country)];
      std::string_view cname = ctry.name;
      if (rng.Bernoulli(0.15) && !ctry.variants[0].empty()) cname = ctry.variants[static_cast<size_t>(rng.Int(0, 2))];
      if (cname.empty()) cname = ctry.name;
      if (!rng.Bernoulli(0.05)) b.Set(p_country, std::string(cname));
      b.Set(p_state, std::string(ctry.cities[static_cast<size_t>(c.city)].first));
      b.Set(p_city, std::string(ctry.cities[static_cast<size_t>(c.city)].second));
      b.Set(p_type, std::string(kTypes[static_cast<size_t>(c.type)]));
      const char* lc = c.first_win_ms > 0 ? "customer" : (c.first_deal_ms > 0 ? "opportunity" : (c.n_contacts > 0 ? "lead" : ""));
      b.Set(p_lc, lc);
      b.Set(p_owner, OwnerIdStr(c.owner));
      std::string tech;
      for (size_t t = 0; t < kTech.size(); ++t) {
        if (!(c.tech & (1u << t))) continue;
        if (!tech.empty()) tech += ';';
        tech += kTech[t];
      }
      b.Set(p_tech, tech);
      if (c.motion != 2 || rng.Bernoulli(0.5)) b.Set(p_motion, std::string(kMotions[static_cast<size_t>(c.motion)]));
      b.Into(r);
      tbl.Append(std::move(r));
    }
  }

  static std::string JobTitle(Rng& rng, int sen, int fn) {
    static constexpr std::array<std::string_view, 8> kFn = {"Marketing", "Sales", "Revenue Operations", "Engineering",
                                                            "Finance",   "IT",    "People",             "Operations"};
    static constexpr std::array<std::string_view, 8> kChief = {"CMO", "Chief Revenue Officer", "COO", "CTO",
                                                               "CFO", "CIO",                   "CHRO", "CEO"};
    static constexpr std::array<std::array<std::string_view, 2>, 8> kIc = {{
        {"Marketing Specialist", "Growth Marketer"}, {"Account Executive", "Business Development Rep"},
        {"Revenue Operations Analyst", "Sales Ops Analyst"}, {"Software Engineer", "Data Engineer"},
        {"Financial Analyst", "Accountant"}, {"Systems Administrator", "IT Specialist"},
        {"Recruiter", "HR Generalist"}, {"Consultant", "Analyst"}}};
    const std::string f(kFn[static_cast<size_t>(fn)]);
    std::string t;
    switch (sen) {
      case 0: t = (fn == 7 && rng.Bernoulli(0.4)) ? "Co-Founder & CEO" : std::string(kChief[static_cast<size_t>(fn)]); break;
      case 1: t = rng.Bernoulli(0.5) ? "VP of " + f : "Vice President, " + f; break;
      case 2: t = rng.Bernoulli(0.5) ? "Director of " + f : "Head of " + f; break;
      case 3: t = rng.Bernoulli(0.7) ? f + " Manager" : "Senior " + f + " Manager"; break;
      case 4: t = std::string(kIc[static_cast<size_t>(fn)][static_cast<size_t>(rng.Int(0, 1))]); break;
      default: t = rng.Bernoulli(0.5) ? "Student" : "Intern"; break;
    }
    if (rng.Bernoulli(0.05))
      for (auto& ch : t) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return t;
  }

  void MaterializeContacts() {
    auto& tbl = P().Table(ObjectType::kContacts);
    tbl.Reserve(contacts_.size());
    const ObjectType T = ObjectType::kContacts;
    const uint16_t p_id = Pi(T, "hs_object_id"), p_cd = Pi(T, "createdate"), p_lm = Pi(T, "lastmodifieddate"),
                   p_hlm = Pi(T, "hs_lastmodifieddate"), p_email = Pi(T, "email"), p_first = Pi(T, "firstname"),
                   p_last = Pi(T, "lastname"), p_phone = Pi(T, "phone"), p_company = Pi(T, "company"),
                   p_title = Pi(T, "jobtitle"), p_country = Pi(T, "country"), p_state = Pi(T, "state"),
                   p_city = Pi(T, "city"), p_lc = Pi(T, "lifecyclestage"), p_ls = Pi(T, "hs_lead_status"),
                   p_acid = Pi(T, "associatedcompanyid"), p_src = Pi(T, "hs_analytics_source"),
                   p_visits = Pi(T, "hs_analytics_num_visits"), p_pv = Pi(T, "hs_analytics_num_page_views"),
                   p_forms = Pi(T, "num_conversion_events"), p_open = Pi(T, "hs_email_open"),
                   p_click = Pi(T, "hs_email_click"), p_owner = Pi(T, "hubspot_owner_id"),
                   p_merged = Pi(T, "hs_merged_object_ids");
    static constexpr std::array<std::string_view, 6> kStages = {"subscriber", "lead", "marketingqualifiedlead",
                                                                "salesqualifiedlead", "opportunity", "customer"};
    std::array<uint16_t, 7> p_lcdate{};
    for (size_t s = 0; s < kStages.size(); ++s) p_lcdate[s] = Pi(T, "hs_lifecyclestage_" + std::string(kStages[s]) + "_date");
    p_lcdate[6] = Pi(T, "hs_lifecyclestage_other_date");
    // Survivors of merges list the merged ids.
    std::map<int, std::string> merged_ids;
    std::map<int, int64_t> merged_at;
    for (const auto& c : contacts_)
      if (c.merged) {
        auto& s = merged_ids[c.dup_of];
        if (!s.empty()) s += ';';
        s += Num(c.id);
        merged_at[c.dup_of] = std::max(merged_at[c.dup_of], c.merged_ms);
      }
    // Contact ids are 1051 + 50 k in create order (Contacts()); blocks fill their own slots.
    const std::span<Record> slots = tbl.AppendRange(contacts_.size(), 1051, 50);
    std::vector<AssocBuffer> block_assoc((contacts_.size() + kRecordBlock - 1) / kRecordBlock);
    std::vector<ValueArena> arenas(WorkerCount(block_assoc.size()));
    ParallelFor(block_assoc.size(), [&](size_t block, size_t worker) {
      PropBuf b;
      for (size_t i = block * kRecordBlock; i < std::min(contacts_.size(), (block + 1) * kRecordBlock); ++i) {
        auto& c = contacts_[i];
        Rng rng(StreamSeed(opt_.seed, kTagRecord, i));
        Record& r = slots[i];
        r.created_ms = c.created_ms;
        // Lifecycle timeline.
        std::vector<std::pair<int, int64_t>> lc;
        const bool inbound = c.response_h >= 0;
        lc.emplace_back((c.source == static_cast<int>(kEmailMarketing) || rng.Bernoulli(0.08)) ? 0 : 1, c.created_ms);
        const DealGen* d = c.deal >= 0 ? &deals_[static_cast<size_t>(c.deal)] : nullptr;
        if (c.Model()) {
          if (c.forms >= 2 || c.visits >= 8 || d != nullptr) {
            int64_t t = c.created_ms + static_cast<int64_t>(rng.Exponential(5.0) * kDay);
            if (d != nullptr) t = std::min(t, d->create_ms - 2 * kHour);
            lc.emplace_back(2, t);
          }
          if (d != nullptr) {
            lc.emplace_back(3, d->create_ms - rng.Int(kHour, 3 * kDay));
            lc.emplace_back(4, d->create_ms);
            if (d->won) lc.emplace_back(5, d->close_ms);
          } else if (c.opp) {
            // Opportunity created after the anchor: nothing visible yet.
          } else if (rng.Bernoulli(0.04)) {
            lc.emplace_back(6, c.created_ms + static_cast<int64_t>(rng.Exponential(30.0) * kDay));
          }
        }
        int64_t last_ts = c.created_ms;
        int current = -1;
        for (auto& [stage, ts] : lc) {
          if (ts < last_ts) ts = last_ts + 1000;  // strictly later than the previous stage
          if (ts >= anchor_ms_) break;
          last_ts = ts;
          current = stage;
          const std::string iso = Iso(ts);
          const std::string_view name = stage == 6 ? std::string_view("other") : kStages[static_cast<size_t>(stage)];
          b.Set(p_lcdate[static_cast<size_t>(stage)], iso);
          r.history.push_back(HistoryEntry{p_lc, ts, std::string(name),
                                           stage <= 1 ? (c.imported ? "IMPORT" : "FORM") : (stage == 2 ? "AUTOMATION" : "CRM_UI")});
        }
        int64_t updated = last_ts;
        if (c.merged) {
          r.archived = true;
          r.archived_ms = c.merged_ms;
          r.merged_into = contacts_[static_cast<size_t>(c.dup_of)].id;
          updated = std::max(updated, c.merged_ms);
        }
        if (c.archived) {
          r.archived = true;
          r.archived_ms = c.archived_ms;
          updated = std::max(updated, c.archived_ms);
        }
        if (auto it = merged_ids.find(static_cast<int>(i)); it != merged_ids.end()) {
          b.Set(p_merged, it->second);
          updated = std::max(updated, merged_at[static_cast<int>(i)]);
        }
        r.updated_ms = updated;
        b.Set(p_id, Num(c.id));
        b.Set(p_cd, Iso(c.created_ms));
        b.Set(p_lm, Iso(updated));
        b.Set(p_hlm, Iso(updated));
        b.Set(p_email, c.email);
        b.Set(p_first, std::string(FirstNames()[static_cast<size_t>(c.first)]));
        if (!rng.Bernoulli(0.03)) b.Set(p_last, std::string(LastNames()[static_cast<size_t>(c.last)]));
        if (rng.Bernoulli(0.4)) b.Set(p_phone, "+1 555-01" + Num(10 + rng.Int(0, 89)));
        if (!rng.Bernoulli(0.03)) b.Set(p_title, JobTitle(rng, c.seniority, c.function));
        const CompanyGen* co = c.company >= 0 ? &companies_[static_cast<size_t>(c.company)] : nullptr;
        const int country = co ? co->country : c.country, city = co ? co->city : c.city;
        const auto& ctry = kCountries[static_cast<size_t>(country)];
        if (!rng.Bernoulli(0.2)) b.Set(p_country, std::string(rng.Bernoulli(0.2) && !ctry.variants[1].empty() ? ctry.variants[1] : ctry.name));
        if (!rng.Bernoulli(0.4)) {
          b.Set(p_state, std::string(ctry.cities[static_cast<size_t>(city)].first));
          b.Set(p_city, std::string(ctry.cities[static_cast<size_t>(city)].second));
        }
        if (co && !co->archived) {
          b.Set(p_company, co->name);
          if (c.Live()) b.Set(p_acid, Num(co->id));
        }
        if (current >= 0) b.Set(p_lc, std::string(current == 6 ? std::string_view("other") : kStages[static_cast<size_t>(current)]));
        if (current >= 0 && current <= 2 && rng.Bernoulli(0.6)) {
          static constexpr std::array<std::string_view, 6> kLs = {"NEW", "OPEN", "IN_PROGRESS", "ATTEMPTED_TO_CONTACT", "CONNECTED", "UNQUALIFIED"};
          b.Set(p_ls, std::string(kLs[static_cast<size_t>(rng.Int(0, 5))]));
        }
        b.Set(p_src, std::string(kSources[static_cast<size_t>(c.source)]));
        b.Set(p_visits, Num(c.visits));
        b.Set(p_pv, Num(c.pageviews));
        b.Set(p_forms, Num(c.forms));
        b.Set(p_open, Num(c.opens));
        b.Set(p_click, Num(c.clicks));
        b.Set(p_owner, OwnerIdStr(c.owner));
        (void)inbound;
        b.Into(r, &arenas[worker]);
        if (co && !co->archived && c.Live()) block_assoc[block].Add(ObjectType::kContacts, c.id, ObjectType::kCompanies, co->id);
        std::string().swap(c.email);  // not needed any more; matters at a million contacts
      }
    });
    for (auto& a : block_assoc) assoc_.Append(std::move(a));
    for (auto& a : arenas) P().values.Absorb(std::move(a));
  }

  void MaterializeDeals() {
    auto& tbl = P().Table(ObjectType::kDeals);
    tbl.Reserve(deals_.size());
    const ObjectType T = ObjectType::kDeals;
    const uint16_t p_id = Pi(T, "hs_object_id"), p_cd = Pi(T, "createdate"), p_hcd = Pi(T, "hs_createdate"),
                   p_lm = Pi(T, "hs_lastmodifieddate"), p_name = Pi(T, "dealname"), p_amount = Pi(T, "amount"),
                   p_stage = Pi(T, "dealstage"), p_pipe = Pi(T, "pipeline"), p_close = Pi(T, "closedate"),
                   p_type = Pi(T, "dealtype"), p_owner = Pi(T, "hubspot_owner_id"),
                   p_fc = Pi(T, "hs_manual_forecast_category"), p_lost = Pi(T, "closed_lost_reason"),
                   p_wonr = Pi(T, "closed_won_reason"), p_comp = Pi(T, "competitor"),
                   p_prob = Pi(T, "hs_deal_stage_probability"), p_isc = Pi(T, "hs_is_closed"),
                   p_iscw = Pi(T, "hs_is_closed_won");
    static constexpr std::array<std::string_view, 7> kLostReasons = {
        "Lost to competitor", "Price", "No decision", "Timing", "Missing feature: SSO", "Went dark", "budget cut"};
    // hs_date_entered_/exited_ per pipeline stage (registered with the schema).
    std::array<std::vector<std::pair<uint16_t, uint16_t>>, 2> p_stage_dates;
    for (size_t pi = 0; pi < 2; ++pi)
      for (const auto& st : P().deal_pipelines[pi].stages)
        p_stage_dates[pi].emplace_back(Pi(T, "hs_date_entered_" + st.id), Pi(T, "hs_date_exited_" + st.id));
    // Deal ids are 9100000001 + 7 k in create order (FinalizeDeals()); blocks fill their own slots.
    const std::span<Record> slots = tbl.AppendRange(deals_.size(), 9100000001LL, 7);
    std::vector<AssocBuffer> block_assoc((deals_.size() + kRecordBlock - 1) / kRecordBlock);
    std::vector<ValueArena> arenas(WorkerCount(block_assoc.size()));
    ParallelFor(block_assoc.size(), [&](size_t block, size_t worker) {
      PropBuf b;
      for (size_t k = block * kRecordBlock; k < std::min(deals_.size(), (block + 1) * kRecordBlock); ++k) {
        const auto& d = deals_[k];
        Rng rng(StreamSeed(opt_.seed, kTagRecord, 0x500000000ULL + k));
        const size_t pipe = d.kind == 0 ? 0 : 1;
        const Pipeline& pl = P().deal_pipelines[pipe];
        const int n_open = d.kind == 0 ? 5 : 3;
        Record& r = slots[k];
        r.created_ms = d.create_ms;
        std::vector<HistoryEntry> h;
        // Stages.
        int64_t last = d.create_ms;
        int cur = -1;
        const int n_st = n_open + 2;
        std::vector<std::pair<int, int64_t>> entered;
        for (int s = 0; s < n_st; ++s)
          if (d.enter[static_cast<size_t>(s)] > 0 && d.enter[static_cast<size_t>(s)] < anchor_ms_) entered.emplace_back(s, d.enter[static_cast<size_t>(s)]);
        std::sort(entered.begin(), entered.end(), [](const auto& a, const auto& b2) { return a.second < b2.second; });
        for (size_t e = 0; e < entered.size(); ++e) {
          const auto& st = pl.stages[static_cast<size_t>(entered[e].first)];
          h.push_back(HistoryEntry{p_stage, entered[e].second, st.id, "CRM_UI"});
          const auto [p_entered, p_exited] = p_stage_dates[pipe][static_cast<size_t>(entered[e].first)];
          b.Set(p_entered, Iso(entered[e].second));
          if (e + 1 < entered.size()) b.Set(p_exited, Iso(entered[e + 1].second));
          cur = entered[e].first;
          last = std::max(last, entered[e].second);
        }
        const bool closed = cur >= n_open;
        const auto& cst = pl.stages[static_cast<size_t>(cur)];
        // Amount (estimate, then the negotiated value once the proposal stage is reached).
        if (!d.amount_missing) {
          const double final_amount = d.amount_outlier ? (rng.Bernoulli(0.5) ? d.amount * 1000 : 1.0) : d.amount;
          const double first = RoundAmount(d.amount * rng.Uniform(0.7, 1.3));
          h.push_back(HistoryEntry{p_amount, d.create_ms, Num(static_cast<int64_t>(first)), "CRM_UI"});
          std::string fv = Num(static_cast<int64_t>(final_amount));
          const int rev_stage = d.kind == 0 ? 3 : 1;
          const int64_t rev_t = d.enter[static_cast<size_t>(rev_stage)];
          if (rev_t > 0 && rev_t < anchor_ms_ && fv != h.back().value) {
            h.push_back(HistoryEntry{p_amount, rev_t, fv, "CRM_UI"});
            b.Set(p_amount, fv);
          } else {
            b.Set(p_amount, h.back().value);
          }
        }
        // Close date: the rep's estimate, pushed when it slips, the actual date once closed.
        {
          int64_t est = d.create_ms + static_cast<int64_t>(rng.LogNormal(std::log(35.0), 0.3) * kDay);
          h.push_back(HistoryEntry{p_close, d.create_ms, Iso(est), "CRM_UI"});
          while (est < d.close_ms) {
            const int64_t push_t = est + rng.Int(kDay, 7 * kDay);
            if (push_t >= d.close_ms || push_t >= anchor_ms_) break;
            est = push_t + static_cast<int64_t>(rng.LogNormal(std::log(21.0), 0.4) * kDay);
            h.push_back(HistoryEntry{p_close, push_t, Iso(est), "CRM_UI"});
          }
          if (closed) h.push_back(HistoryEntry{p_close, d.close_ms, Iso(d.close_ms), "CRM_UI"});
          b.Set(p_close, h.back().value);
        }
        // Owner, reassigned when the rep leaves or territories change.
        {
          int owner = d.owner;
          h.push_back(HistoryEntry{p_owner, d.create_ms, OwnerIdStr(owner), "CRM_UI"});
          const int64_t end = std::min(d.close_ms, anchor_ms_);
          const int64_t leave = owners_[static_cast<size_t>(owner)].end_ms;
          int64_t change = 0;
          if (leave < end && leave > d.create_ms) change = leave;
          else if (rng.Bernoulli(0.05) && end - d.create_ms > 2 * kDay) change = d.create_ms + rng.Int(kDay, end - d.create_ms - kDay);
          if (change > 0) {
            const int next = ActiveOwner(rng, owners_[static_cast<size_t>(owner)].role, change);
            if (next != owner) {
              owner = next;
              h.push_back(HistoryEntry{p_owner, change, OwnerIdStr(owner), "CRM_UI"});
            }
          }
          b.Set(p_owner, OwnerIdStr(owner));
        }
        // Forecast category follows the stage (optimistic reps commit earlier).
        {
          const bool opt = owners_[static_cast<size_t>(d.owner)].optimistic;
          std::string prev;
          for (const auto& [s, ts] : entered) {
            std::string fc;
            if (s == n_open) fc = "CLOSED";
            else if (s == n_open + 1) fc = "OMIT";
            else if (d.kind == 0) fc = s >= (opt ? 3 : 4) ? "COMMIT" : (s >= 2 ? "BEST_CASE" : "PIPELINE");
            else fc = s >= 2 ? "COMMIT" : (s == 1 ? "BEST_CASE" : "PIPELINE");
            if (fc != prev) h.push_back(HistoryEntry{p_fc, ts, fc, "CRM_UI"});
            prev = fc;
          }
          b.Set(p_fc, prev);
        }
        std::stable_sort(h.begin(), h.end(), [](const HistoryEntry& a, const HistoryEntry& b2) { return a.timestamp_ms < b2.timestamp_ms; });
        for (const auto& e : h) last = std::max(last, e.timestamp_ms);
        if (d.archived) last = std::max(last, d.archived_ms);
        r.history = std::move(h);
        r.updated_ms = last;
        r.archived = d.archived;
        r.archived_ms = d.archived_ms;
        const CompanyGen* co = d.company >= 0 ? &companies_[static_cast<size_t>(d.company)] : nullptr;
        const ContactGen* ct = d.contact >= 0 ? &contacts_[static_cast<size_t>(d.contact)] : nullptr;
        std::string name = co ? co->name : (ct ? std::string(FirstNames()[static_cast<size_t>(ct->first)]) + " " +
                                                     std::string(LastNames()[static_cast<size_t>(ct->last)])
                                               : std::string("Unknown"));
        name += d.kind == 0 ? " - New Business" : (d.kind == 1 ? " - Renewal " + FormatDate(d.close_ms).substr(0, 4) : " - Expansion");
        b.Set(p_id, Num(d.id));
        b.Set(p_cd, Iso(d.create_ms));
        b.Set(p_hcd, Iso(d.create_ms));
        b.Set(p_lm, Iso(last));
        b.Set(p_name, name);
        b.Set(p_stage, cst.id);
        b.Set(p_pipe, pl.id);
        b.Set(p_type, d.kind == 0 ? "newbusiness" : "existingbusiness");
        if (closed && !d.won) {
          if (!rng.Bernoulli(0.2)) b.Set(p_lost, std::string(d.competitor >= 0 && rng.Bernoulli(0.5) ? kLostReasons[0] : kLostReasons[static_cast<size_t>(rng.Int(1, 6))]));
        }
        if (closed && d.won && rng.Bernoulli(0.3)) b.Set(p_wonr, rng.Bernoulli(0.5) ? "Best fit for reporting needs" : "Price / value");
        if (d.comp_recorded) b.Set(p_comp, Competitors()[static_cast<size_t>(d.competitor)].name);
        char prob[16];
        std::snprintf(prob, sizeof prob, "%.1f", cst.probability);
        b.Set(p_prob, prob);
        b.Set(p_isc, closed ? "true" : "false");
        b.Set(p_iscw, closed && d.won ? "true" : "false");
        b.Into(r, &arenas[worker]);
        if (!d.archived) {
          if (co && !co->archived) block_assoc[block].Add(ObjectType::kDeals, d.id, ObjectType::kCompanies, co->id);
          if (ct && d.has_contact && ct->Live()) block_assoc[block].Add(ObjectType::kDeals, d.id, ObjectType::kContacts, ct->id);
        }
      }
    });
    for (auto& a : block_assoc) assoc_.Append(std::move(a));
    for (auto& a : arenas) P().values.Absorb(std::move(a));
  }

  // ---------------------------------------------------------------- engagements
  bool DealLive(int deal) const { return deal >= 0 && !deals_[static_cast<size_t>(deal)].archived; }

  std::vector<EngPlan> DealPlans(size_t k) {
    std::vector<EngPlan> out;
    const auto& d = deals_[k];
    Rng rng(StreamSeed(opt_.seed, kTagEngage, 0x600000000ULL + k));
    const int n_open = d.kind == 0 ? 5 : 3;
    const int ct = (d.contact >= 0 && d.has_contact) ? d.contact : -1;
    auto base = [&](int64_t ts, uint8_t type, uint8_t kind) {
      EngPlan p;
      p.ts = ts;
      p.type = type;
      p.kind = kind;
      p.owner = d.owner;
      p.contact = ct;
      p.company = d.company;
      p.deal = static_cast<int>(k);
      return p;
    };
    const int64_t meeting_free_until = (d.kind == 0 && !d.early_meeting) ? d.create_ms + static_cast<int64_t>(kEarlyMeetingDays * kDay) : 0;
    for (int s = d.first_stage; s <= d.last_open && s < n_open; ++s) {
      const int64_t enter = d.enter[static_cast<size_t>(s)];
      const int64_t next = s < d.last_open ? d.enter[static_cast<size_t>(s + 1)] : d.close_ms;
      int64_t ts = enter + static_cast<int64_t>(rng.Uniform(0.05, 0.9) * static_cast<double>(std::max<int64_t>(next - enter, 1)));
      static constexpr uint8_t kStageType[5] = {kCall, kEmail, kMeeting, kCall, kEmail};
      uint8_t type = d.kind == 0 ? kStageType[s] : static_cast<uint8_t>(s == 1 ? kCall : kEmail);
      if (type == kMeeting && ts < meeting_free_until) type = kCall;
      EngPlan p = base(ts, type, 2);
      p.stage = static_cast<int8_t>(s);
      out.push_back(p);
    }
    if (d.early_meeting) {
      EngPlan p = base(d.early_meeting_ms, kMeeting, 3);
      out.push_back(p);
    }
    for (int m = 0; m < d.mentions; ++m) {
      const int64_t ts = d.create_ms + static_cast<int64_t>(rng.Uniform(0.02, 0.98) * static_cast<double>(d.close_ms - d.create_ms));
      static constexpr uint8_t kMentionType[3] = {kNote, kCall, kEmail};
      EngPlan p = base(ts, kMentionType[rng.Int(0, 2)], 4);
      p.comp = d.competitor;
      out.push_back(p);
    }
    std::erase_if(out, [&](const EngPlan& p) { return p.ts >= anchor_ms_; });
    return out;
  }

  /// Property indexes of engagement records, looked up once before the writers start.
  struct EngProps {
    std::array<std::array<uint16_t, 5>, 5> common{};  ///< per type: id, created, modified, timestamp, owner
    uint16_t call_disposition = 0, call_direction = 0, call_status = 0, call_duration = 0, call_body = 0;
    uint16_t email_direction = 0, email_status = 0, email_subject = 0, email_text = 0;
    uint16_t meeting_title = 0, meeting_start = 0, meeting_end = 0, meeting_outcome = 0, meeting_body = 0;
    uint16_t note_body = 0;
    uint16_t task_subject = 0, task_status = 0, task_priority = 0, task_type = 0;
  };

  /// What emitting a run of engagements produces besides the records themselves; one per block
  /// of contacts, merged in block order so the result does not depend on the thread count.
  struct EmitSink {
    PropBuf buf;
    ValueArena* arena = nullptr;  ///< where the records' values go (the thread's)
    std::vector<Mention> mentions;
    int64_t first_touches = 0, early_meetings = 0;
  };

  /// Contacts per block of engagement emission (the unit the threads share out).
  static constexpr size_t kEngBlock = 1024;

  /// The multi-threading touches and the streams they draw from (one per multi-threaded deal).
  struct MultiThreadTouches {
    std::vector<EngPlan> plans;     ///< by deal, in emission order
    std::vector<size_t> stream_of;  ///< plans[j] goes on drawing from streams[stream_of[j]]
    std::vector<Rng> streams;
  };

  /// A call, email or meeting on a deal: what activity analysis reads of a deal's first window.
  struct WindowTouch {
    int64_t ts = 0;
    uint8_t type = 0;
    bool incoming = false;
  };

  /// Whether the longest stretch without a touch in [start, end) is over `gap_ms` (activity's cadence gap).
  static bool LongestGapOver(std::vector<int64_t> times, int64_t start, int64_t end, int64_t gap_ms) {
    std::sort(times.begin(), times.end());
    int64_t prev = start, longest = 0;
    for (const int64_t t : times) {
      longest = std::max(longest, t - prev);
      prev = std::max(prev, t);
    }
    return std::max(longest, end - prev) > gap_ms;
  }

  /// Choose the multi-threaded deals and plan their touches. A live deal is eligible when its company has enough
  /// other live contacts that existed (and had their first touch) before the deal was created: one when the deal
  /// has a live contact, two when it has none, so that two distinct contacts can be engaged. Eligibility comes
  /// before and apart from the outcome; the choice then depends on the outcome only (kMultiThreadIfWon / IfLost,
  /// the average for open deals and with effects off), drawn from the deal's own stream, and no other draw moves.
  /// The touches (calls when the deal's window is call-led, else outgoing emails, so the call-led pattern never
  /// changes; by the deal owner) go minutes after one of the deal's touches in the window (at the same moment if
  /// that would change the cadence-gap pattern), or in its first 6 days when it has none; the deal's own contact
  /// gets one too when it has no touch in the window.
  MultiThreadTouches MultiThreadPlans(const std::vector<EngPlan>& loose) {
    MultiThreadTouches out;
    const int64_t window = static_cast<int64_t>(kMultiThreadWindowDays * kDay);
    const double average = 0.5 * (kMultiThreadIfWon + kMultiThreadIfLost);
    const double if_won = eff_ ? kMultiThreadIfWon : average, if_lost = eff_ ? kMultiThreadIfLost : average;
    // Live model contacts of each company in create order (contacts_ is in create order).
    std::vector<std::vector<int>> by_company(companies_.size());
    for (size_t i = 0; i < contacts_.size(); ++i) {
      const auto& c = contacts_[i];
      if (c.company >= 0 && c.Model() && c.Live()) by_company[static_cast<size_t>(c.company)].push_back(static_cast<int>(i));
    }
    std::vector<std::vector<WindowTouch>> loose_touches(deals_.size());  // deals without a live contact
    for (const auto& p : loose)
      if (p.deal >= 0 && p.type <= kMeeting) loose_touches[static_cast<size_t>(p.deal)].push_back({p.ts, p.type, p.incoming});
    std::vector<EngPlan> scratch;
    std::vector<WindowTouch> touches;
    std::vector<int> others;
    for (size_t k = 0; k < deals_.size(); ++k) {
      auto& d = deals_[k];
      Rng rng(StreamSeed(opt_.seed, kTagMultiThread, k));
      const double u = rng.Uniform();
      if (!DealLive(static_cast<int>(k)) || d.company < 0 || companies_[static_cast<size_t>(d.company)].archived) continue;
      const int primary = (d.contact >= 0 && d.has_contact && contacts_[static_cast<size_t>(d.contact)].Live()) ? d.contact : -1;
      others.clear();
      for (const int i : by_company[static_cast<size_t>(d.company)]) {
        const auto& c = contacts_[static_cast<size_t>(i)];
        if (c.created_ms >= d.create_ms) break;
        if (i == primary) continue;
        if (c.response_h >= 0 && c.created_ms + static_cast<int64_t>(c.response_h * kHour) >= d.create_ms) continue;
        others.push_back(i);
      }
      const size_t needed = primary >= 0 ? 1 : 2;
      d.multi_thread_eligible = others.size() >= needed;
      const double rate = d.close_ms >= anchor_ms_ ? average : (d.won ? if_won : if_lost);
      if (!d.multi_thread_eligible || u >= rate) continue;
      d.multi_threaded = true;
      const int64_t end = std::min({d.create_ms + window, d.close_ms, anchor_ms_});
      touches.clear();
      if (primary >= 0) {
        Rng contact_rng(StreamSeed(opt_.seed, kTagEngage, static_cast<uint64_t>(primary)));
        PlanContact(static_cast<size_t>(primary), contact_rng, scratch);
        for (const auto& p : scratch)
          if (p.deal == static_cast<int>(k) && p.type <= kMeeting) touches.push_back({p.ts, p.type, p.incoming});
      } else {
        touches = loose_touches[k];
      }
      std::erase_if(touches, [&](const WindowTouch& t) { return t.ts < d.create_ms || t.ts >= end; });
      int64_t calls = 0, emails_out = 0;
      std::vector<int64_t> times;
      for (const auto& t : touches) {
        calls += t.type == kCall;
        emails_out += t.type == kEmail && !t.incoming;
        times.push_back(t.ts);
      }
      int64_t ts = 0;
      if (touches.empty()) {
        ts = d.create_ms + static_cast<int64_t>(rng.Uniform() * static_cast<double>(std::min<int64_t>(6 * kDay, end - d.create_ms)));
      } else {
        ts = touches[static_cast<size_t>(rng.Int(0, static_cast<int64_t>(touches.size()) - 1))].ts;
        const int64_t later = ts + rng.Int(60000, 15 * 60000);
        const int64_t gap_end = std::min(d.create_ms + window, anchor_ms_);
        const bool gap = LongestGapOver(times, d.create_ms, gap_end, 7 * kDay);
        times.push_back(later);
        if (later < end && LongestGapOver(times, d.create_ms, gap_end, 7 * kDay) == gap) ts = later;
      }
      EngPlan p;
      p.ts = ts;
      p.type = calls > emails_out ? kCall : kEmail;
      p.kind = 6;
      p.owner = d.owner;
      p.company = d.company;
      p.deal = static_cast<int>(k);
      auto add = [&](int contact) {
        p.contact = contact;
        out.plans.push_back(p);
        out.stream_of.push_back(out.streams.size());
      };
      if (primary >= 0 && touches.empty()) add(primary);
      for (size_t n = 0; n < needed; ++n) {
        const auto pick = static_cast<size_t>(rng.Int(0, static_cast<int64_t>(others.size()) - 1));
        add(others[pick]);
        others.erase(others.begin() + static_cast<std::ptrdiff_t>(pick));
      }
      out.streams.push_back(rng);
    }
    return out;
  }

  void Engagements() {
    // Required engagements: per deal (stage activities, early meetings, competitor mentions) and
    // each inbound contact's first touch; fillers make up the rest of the target count.
    by_contact_deal_.assign(contacts_.size(), {});
    std::vector<EngPlan> loose;
    int64_t required = 0;
    for (size_t k = 0; k < deals_.size(); ++k) {
      auto plans = DealPlans(k);
      required += static_cast<int64_t>(plans.size());
      const int ct = plans.empty() ? -1 : plans.front().contact;
      if (ct >= 0 && contacts_[static_cast<size_t>(ct)].Live()) {
        auto& v = by_contact_deal_[static_cast<size_t>(ct)];
        v.insert(v.end(), plans.begin(), plans.end());
      } else {
        for (auto& p : plans) p.contact = -1;
        loose.insert(loose.end(), plans.begin(), plans.end());
      }
    }
    double wsum = 0;
    for (size_t i = 0; i < contacts_.size(); ++i) {
      auto& c = contacts_[i];
      if (!c.Live()) continue;
      if (c.response_h >= 0 && c.created_ms + static_cast<int64_t>(c.response_h * kHour) < anchor_ms_) ++required;
      const auto [s, e] = FillerWindow(c);
      if (e <= s) continue;
      Rng rng(StreamSeed(opt_.seed, kTagEngage, 0x700000000ULL + i));
      const int seg = Segment(c);
      const double act = seg >= 0 ? kSegments[static_cast<size_t>(seg)].activity_multiplier : 1.0;
      const double days = static_cast<double>(e - s) / kDay;
      c.filler_weight = static_cast<float>(std::min(1.0, days / 30.0) * (0.4 + std::exp(0.6 * c.intent)) *
                                           (c.deal >= 0 ? 3.0 : 1.0) * act * rng.LogNormal(0, 0.6));
      wsum += c.filler_weight;
    }
    const int64_t fillers = std::max<int64_t>(0, counts_.engagements - required);
    // Fillers per contact: each live contact's share of the running total (sequential and cheap).
    fillers_.assign(contacts_.size(), 0);
    {
      double cum = 0;
      int64_t given = 0;
      for (size_t i = 0; i < contacts_.size(); ++i) {
        if (!contacts_[i].Live()) continue;
        cum += contacts_[i].filler_weight;
        const int64_t upto = wsum > 0 ? std::llround(cum / wsum * static_cast<double>(fillers)) : 0;
        fillers_[i] = upto - given;
        given = upto;
      }
    }
    // Loose plans (deals without a live contact) come after every contact's, from their own stream.
    std::stable_sort(loose.begin(), loose.end(), [](const EngPlan& a, const EngPlan& b) { return a.ts < b.ts; });
    std::erase_if(loose, [&](EngPlan& p) {
      if (!DealLive(p.deal)) p.deal = -1;
      if (p.company >= 0 && companies_[static_cast<size_t>(p.company)].archived) p.company = -1;
      return p.deal < 0 && p.company < 0;
    });
    // Multi-threading touches come last, from their own streams: every other engagement keeps its id and text.
    const MultiThreadTouches threads = MultiThreadPlans(loose);

    InternEngagementProps();
    // Ids are handed out in emission order (contacts in order, each contact's plans by time, then
    // the loose ones, then the multi-threading touches): count each block's records per type first,
    // then every block writes its own slots, so the portal is the same whatever the thread count.
    const size_t n_blocks = (contacts_.size() + kEngBlock - 1) / kEngBlock;
    std::vector<std::array<int64_t, 5>> block_counts(n_blocks + 2);
    ParallelFor(n_blocks, [&](size_t b, size_t) {
      std::vector<EngPlan> plans;
      std::array<int64_t, 5> n{};
      for (size_t i = b * kEngBlock; i < std::min(contacts_.size(), (b + 1) * kEngBlock); ++i) {
        if (!contacts_[i].Live()) continue;
        Rng rng(StreamSeed(opt_.seed, kTagEngage, i));
        PlanContact(i, rng, plans);
        for (const auto& p : plans) ++n[p.type];
      }
      block_counts[b] = n;
    });
    for (const auto& p : loose) ++block_counts[n_blocks][p.type];
    for (const auto& p : threads.plans) ++block_counts[n_blocks + 1][p.type];
    static constexpr std::array<int64_t, 5> kFirstId = {31000000001LL, 32000000001LL, 33000000001LL, 34000000001LL,
                                                        35000000001LL};
    std::array<std::span<Record>, 5> slots;
    for (size_t t = 0; t < 5; ++t) {
      int64_t total = 0;
      for (const auto& n : block_counts) total += n[t];
      slots[t] = P().Table(kEngTypes[t]).AppendRange(static_cast<size_t>(total), kFirstId[t]);
    }
    // Block b starts at the sum of the earlier blocks' counts.
    std::vector<std::array<size_t, 5>> block_start(n_blocks + 2);
    {
      std::array<size_t, 5> at{};
      for (size_t b = 0; b < block_counts.size(); ++b) {
        block_start[b] = at;
        for (size_t t = 0; t < 5; ++t) at[t] += static_cast<size_t>(block_counts[b][t]);
      }
    }
    std::array<std::vector<EngLinks>, 5> links;
    for (size_t t = 0; t < 5; ++t) links[t].resize(slots[t].size());
    std::vector<EmitSink> sinks(n_blocks + 2);
    std::vector<ValueArena> arenas(WorkerCount(n_blocks));
    ParallelFor(n_blocks, [&](size_t b, size_t worker) {
      std::vector<EngPlan> plans;
      std::array<size_t, 5> at = block_start[b];
      EmitSink& sink = sinks[b];
      sink.arena = &arenas[worker];
      for (size_t i = b * kEngBlock; i < std::min(contacts_.size(), (b + 1) * kEngBlock); ++i) {
        if (!contacts_[i].Live()) continue;
        Rng rng(StreamSeed(opt_.seed, kTagEngage, i));
        PlanContact(i, rng, plans);
        for (const auto& p : plans) {
          const size_t k = at[p.type]++;
          Emit(rng, p, slots[p.type][k], links[p.type][k], sink);
        }
      }
    });
    {
      Rng rng(StreamSeed(opt_.seed, kTagEngage, 0x800000000ULL));
      std::array<size_t, 5> at = block_start[n_blocks];
      sinks[n_blocks].arena = &arenas[0];
      for (const auto& p : loose) {
        const size_t k = at[p.type]++;
        Emit(rng, p, slots[p.type][k], links[p.type][k], sinks[n_blocks]);
      }
    }
    {
      std::array<size_t, 5> at = block_start[n_blocks + 1];
      sinks[n_blocks + 1].arena = &arenas[0];
      std::vector<Rng> streams = threads.streams;  // each deal's stream goes on from where its planning left it
      for (size_t j = 0; j < threads.plans.size(); ++j) {
        const EngPlan& p = threads.plans[j];
        const size_t k = at[p.type]++;
        Emit(streams[threads.stream_of[j]], p, slots[p.type][k], links[p.type][k], sinks[n_blocks + 1]);
      }
      multi_thread_touches_ = static_cast<int64_t>(threads.plans.size());
    }
    for (auto& a : arenas) P().values.Absorb(std::move(a));
    EngagementAssociations(slots, links);
    for (auto& sink : sinks) {
      for (auto& m : sink.mentions) mentions_.push_back(std::move(m));
      first_touches_ += sink.first_touches;
      early_meetings_ += sink.early_meetings;
    }
    sinks.clear();
    std::vector<std::vector<EngPlan>>().swap(by_contact_deal_);
    std::vector<int64_t>().swap(fillers_);
  }

  /// Associations from engagements to contacts, companies and deals in the portal: both
  /// directions per engagement type, built straight into each table's grouped arrays. Edges of one
  /// source keep emission order (ids ascend in emission order), as Portal::Associate would have.
  void EngagementAssociations(const std::array<std::span<Record>, 5>& slots,
                              const std::array<std::vector<EngLinks>, 5>& links) {
    static constexpr ObjectType kTargets[3] = {ObjectType::kContacts, ObjectType::kCompanies, ObjectType::kDeals};
    auto target_of = [](const EngLinks& l, size_t x) { return x == 0 ? l.contact : (x == 1 ? l.company : l.deal); };
    auto target_id = [&](size_t x, int i) {
      const auto k = static_cast<size_t>(i);
      return x == 0 ? contacts_[k].id : (x == 1 ? companies_[k].id : deals_[k].id);
    };
    const std::array<size_t, 3> population = {contacts_.size(), companies_.size(), deals_.size()};
    // 5 engagement types x 3 targets x 2 directions, each its own table.
    ParallelFor(30, [&](size_t task, size_t) {
      const size_t t = task / 6, x = task / 2 % 3;
      const bool reverse = task % 2 == 1;
      const ObjectType T = kEngTypes[t], X = kTargets[x];
      const auto& lk = links[t];
      const int64_t first_id = slots[t].empty() ? 0 : slots[t].front().id;  // ids are consecutive (AppendRange)
      std::vector<int64_t> ids;
      std::vector<uint32_t> ends;
      std::vector<AssociationEdge> edges;
      if (!reverse) {
        const int32_t type_id = DefaultAssociationTypeId(T, X);
        size_t n = 0;
        for (const auto& l : lk) n += target_of(l, x) >= 0 ? 1 : 0;
        ids.reserve(n);
        ends.reserve(n);
        edges.reserve(n);
        for (size_t s = 0; s < lk.size(); ++s) {
          const int i = target_of(lk[s], x);
          if (i < 0) continue;
          ids.push_back(first_id + static_cast<int64_t>(s));
          edges.push_back(AssociationEdge{target_id(x, i), type_id, 0});
          ends.push_back(static_cast<uint32_t>(edges.size()));
        }
        P().Assoc(T, X).LoadGrouped(std::move(ids), std::move(ends), std::move(edges));
        return;
      }
      // Counting sort by target (targets ascend by index), engagements in id order within each.
      const int32_t type_id = DefaultAssociationTypeId(X, T);
      std::vector<uint32_t> at(population[x] + 1, 0);
      for (const auto& l : lk)
        if (const int i = target_of(l, x); i >= 0) ++at[static_cast<size_t>(i) + 1];
      for (size_t i = 0; i < population[x]; ++i) {
        if (at[i + 1] == 0) continue;
        ids.push_back(target_id(x, static_cast<int>(i)));
        ends.push_back((ends.empty() ? 0 : ends.back()) + at[i + 1]);
      }
      for (size_t i = 1; i <= population[x]; ++i) at[i] += at[i - 1];
      edges.resize(at[population[x]]);
      for (size_t s = 0; s < lk.size(); ++s)
        if (const int i = target_of(lk[s], x); i >= 0)
          edges[at[static_cast<size_t>(i)]++] = AssociationEdge{first_id + static_cast<int64_t>(s), type_id, 0};
      P().Assoc(X, T).LoadGrouped(std::move(ids), std::move(ends), std::move(edges));
    });
  }

  /// Contact `i`'s engagements in emission order (by time): its first touch, its fillers and its
  /// deal's plans. Draws from `rng` exactly as emission expects (planning first, then Emit).
  void PlanContact(size_t i, Rng& rng, std::vector<EngPlan>& plans) const {
    plans.clear();
    const auto& c = contacts_[i];
    const int company = (c.company >= 0 && !companies_[static_cast<size_t>(c.company)].archived) ? c.company : -1;
    if (c.response_h >= 0) {
      const int64_t ts = c.created_ms + static_cast<int64_t>(c.response_h * kHour);
      if (ts < anchor_ms_) {
        EngPlan p;
        p.ts = ts;
        p.type = rng.Bernoulli(0.5) ? kCall : kEmail;
        p.kind = 1;
        p.owner = c.owner;
        p.contact = static_cast<int>(i);
        p.company = company;
        plans.push_back(p);
      }
    }
    const int64_t n = fillers_[i];
    const auto [s, e] = FillerWindow(c);
    const DealGen* d = c.deal >= 0 ? &deals_[static_cast<size_t>(c.deal)] : nullptr;
    const int64_t meeting_free_from = (d && d->kind == 0 && !d->early_meeting) ? d->create_ms : INT64_MAX;
    const int64_t meeting_free_to = meeting_free_from == INT64_MAX ? 0 : meeting_free_from + static_cast<int64_t>(kEarlyMeetingDays * kDay);
    for (int64_t f = 0; f < n; ++f) {
      EngPlan p;
      p.ts = s + static_cast<int64_t>(rng.Uniform() * static_cast<double>(e - s));
      static constexpr double kTypeW[6] = {0.22, 0.23, 0.15, 0.13, 0.15, 0.12};  // call, email out, meeting, note, task, email in
      const size_t ty = rng.PickW(kTypeW);
      p.type = ty == 5 ? static_cast<uint8_t>(kEmail) : static_cast<uint8_t>(ty);
      p.incoming = ty == 5;
      p.owner = c.owner;
      p.contact = static_cast<int>(i);
      p.company = company;
      if (d && DealLive(c.deal) && d->has_contact && p.ts >= d->create_ms && p.ts <= d->close_ms) {
        p.deal = c.deal;
        p.owner = d->owner;
      }
      if (p.type == kMeeting && p.ts >= meeting_free_from && p.ts < meeting_free_to) p.type = kCall;
      if (f == 0 && c.mention) {
        p.type = kNote;
        p.kind = 5;
        p.comp = c.mention_comp;
      }
      plans.push_back(p);
    }
    for (EngPlan p : by_contact_deal_[i]) {
      if (!DealLive(p.deal)) p.deal = -1;
      plans.push_back(p);
    }
    std::stable_sort(plans.begin(), plans.end(), [](const EngPlan& a, const EngPlan& b) { return a.ts < b.ts; });
  }

  std::pair<int64_t, int64_t> FillerWindow(const ContactGen& c) const {
    const int64_t s = c.created_ms + (c.response_h >= 0 ? static_cast<int64_t>(c.response_h * kHour) + 1000 : 0);
    int64_t e = c.created_ms + 120 * kDay;
    if (c.deal >= 0) e = std::max(e, deals_[static_cast<size_t>(c.deal)].close_ms + 30 * kDay);
    e = std::min(e, anchor_ms_ - 1);
    return {s, e};
  }

  void InternEngagementProps() {
    for (size_t t = 0; t < 5; ++t) {
      auto& props = P().Table(kEngTypes[t]).Props();
      size_t k = 0;
      for (const char* n : {"hs_object_id", "hs_createdate", "hs_lastmodifieddate", "hs_timestamp", "hubspot_owner_id"})
        ep_.common[t][k++] = props.Intern(n);
    }
    auto in = [&](uint8_t type, const char* name) { return P().Table(kEngTypes[type]).Props().Intern(name); };
    ep_.call_disposition = in(kCall, "hs_call_disposition");
    ep_.call_direction = in(kCall, "hs_call_direction");
    ep_.call_status = in(kCall, "hs_call_status");
    ep_.call_duration = in(kCall, "hs_call_duration");
    ep_.call_body = in(kCall, "hs_call_body");
    ep_.email_direction = in(kEmail, "hs_email_direction");
    ep_.email_status = in(kEmail, "hs_email_status");
    ep_.email_subject = in(kEmail, "hs_email_subject");
    ep_.email_text = in(kEmail, "hs_email_text");
    ep_.meeting_title = in(kMeeting, "hs_meeting_title");
    ep_.meeting_start = in(kMeeting, "hs_meeting_start_time");
    ep_.meeting_end = in(kMeeting, "hs_meeting_end_time");
    ep_.meeting_outcome = in(kMeeting, "hs_meeting_outcome");
    ep_.meeting_body = in(kMeeting, "hs_meeting_body");
    ep_.note_body = in(kNote, "hs_note_body");
    ep_.task_subject = in(kTask, "hs_task_subject");
    ep_.task_status = in(kTask, "hs_task_status");
    ep_.task_priority = in(kTask, "hs_task_priority");
    ep_.task_type = in(kTask, "hs_task_type");
  }

  /// Fill engagement record `r` (its id already set) from plan `p`. Reads the generator's state
  /// only, so blocks of contacts can be emitted on several threads.
  void Emit(Rng& rng, const EngPlan& p, Record& r, EngLinks& links, EmitSink& sink) const {
    const int64_t logged = std::min(anchor_ms_ - 1, p.ts + rng.Int(0, 2 * kHour));
    r.created_ms = r.updated_ms = std::max(p.ts, logged);
    const ContactGen* c = p.contact >= 0 ? &contacts_[static_cast<size_t>(p.contact)] : nullptr;
    const CompanyGen* co = p.company >= 0 ? &companies_[static_cast<size_t>(p.company)] : nullptr;
    std::string mention;
    MentionForm form = MentionForm::kCanonical;
    if (p.comp >= 0) mention = MentionSurface(rng, static_cast<size_t>(p.comp), form);
    TextContext tc;
    if (c) tc.contact_first = FirstNames()[static_cast<size_t>(c->first)];
    if (co) tc.company = co->name;
    tc.rep_first = owners_[static_cast<size_t>(p.owner)].first;
    tc.stage = p.stage;
    tc.mention = p.comp >= 0 ? &mention : nullptr;
    tc.trap = rng.Bernoulli(0.12);
    PropBuf& b = sink.buf;
    const auto& ep = ep_.common[p.type];
    char num[24];
    b.Set(ep[0], NumView(num, r.id));
    char created[24], ts[24];
    b.Set(ep[1], IsoView(created, r.created_ms));
    b.Set(ep[2], IsoView(created, r.created_ms));
    b.Set(ep[3], IsoView(ts, p.ts));
    b.Set(ep[4], owner_ids_[static_cast<size_t>(p.owner)]);
    switch (p.type) {
      case kCall: {
        const bool connected = p.kind >= 2 || rng.Bernoulli(0.55);
        const size_t disp = connected ? 0 : static_cast<size_t>(rng.Int(1, 5));
        b.Set(ep_.call_disposition, kDispositionIds[disp]);
        b.Set(ep_.call_direction, rng.Bernoulli(0.85) ? "OUTBOUND" : "INBOUND");
        b.Set(ep_.call_status, "COMPLETED");
        b.Set(ep_.call_duration, NumView(num, connected ? static_cast<int64_t>(rng.LogNormal(std::log(600000.0), 0.6)) : rng.Int(0, 40000)));
        if (connected || p.comp >= 0) b.Set(ep_.call_body, CallBody(rng, tc));
        break;
      }
      case kEmail: {
        b.Set(ep_.email_direction, p.incoming ? "INCOMING_EMAIL" : "EMAIL");
        b.Set(ep_.email_status, "SENT");
        b.Set(ep_.email_subject, EmailSubject(rng, tc));
        b.Set(ep_.email_text, EmailText(rng, tc, p.incoming));
        break;
      }
      case kMeeting: {
        const bool past_due = p.ts < anchor_ms_;
        std::string_view outcome = (p.kind == 3 || p.kind == 2) ? "COMPLETED"
                                   : (rng.Bernoulli(0.8) ? "COMPLETED" : (rng.Bernoulli(0.5) ? "NO_SHOW" : "RESCHEDULED"));
        if (!past_due) outcome = "SCHEDULED";
        b.Set(ep_.meeting_title, MeetingTitle(rng, tc));
        b.Set(ep_.meeting_start, IsoView(ts, p.ts));
        char end[24];
        b.Set(ep_.meeting_end, IsoView(end, p.ts + (rng.Bernoulli(0.5) ? 30 : 60) * 60000));
        b.Set(ep_.meeting_outcome, outcome);
        if (p.comp >= 0 || rng.Bernoulli(0.3)) b.Set(ep_.meeting_body, MeetingBody(rng, tc));
        break;
      }
      case kNote: b.Set(ep_.note_body, NoteBody(rng, tc)); break;
      default: {
        b.Set(ep_.task_subject, TaskSubject(rng, tc));
        b.Set(ep_.task_status, p.ts < anchor_ms_ - 7 * kDay || rng.Bernoulli(0.5) ? "COMPLETED" : "NOT_STARTED");
        static constexpr std::array<std::string_view, 3> kPri = {"LOW", "MEDIUM", "HIGH"};
        static constexpr std::array<std::string_view, 3> kTy = {"EMAIL", "CALL", "TODO"};
        b.Set(ep_.task_priority, kPri[static_cast<size_t>(rng.Int(0, 2))]);
        b.Set(ep_.task_type, kTy[static_cast<size_t>(rng.Int(0, 2))]);
        break;
      }
    }
    b.Into(r, sink.arena);
    const int64_t id = r.id;
    links = EngLinks{c ? p.contact : -1, co ? p.company : -1, p.deal};
    if (p.comp >= 0) {
      sink.mentions.push_back({p.type, id, p.deal >= 0 ? deals_[static_cast<size_t>(p.deal)].id : 0, c ? c->id : 0, p.comp,
                               std::move(mention), form});
    }
    if (p.kind == 1) ++sink.first_touches;
    if (p.kind == 3) ++sink.early_meetings;
  }

  // ---------------------------------------------------------------- truth
  void Truth() {
    json& t = out_.truth;
    t["format"] = "revlens-synthetic-truth/1";
    t["seed"] = opt_.seed;
    t["size"] = opt_.size;
    t["effects"] = eff_;
    t["anchor_date"] = FormatDate(anchor_ms_);
    t["anchor_ms"] = anchor_ms_;
    t["window_start"] = FormatDate(start_ms_);
    t["time_zone"] = P().time_zone;
    json counts = json::object();
    for (auto ty : kAllObjectTypes) counts[std::string(ObjectTypeName(ty))] = P().Table(ty).Records().size();
    counts["owners"] = P().owners.size();
    counts["engagements"] = P().Table(ObjectType::kCalls).Records().size() + P().Table(ObjectType::kEmails).Records().size() +
                            P().Table(ObjectType::kMeetings).Records().size() + P().Table(ObjectType::kNotes).Records().size() +
                            P().Table(ObjectType::kTasks).Records().size();
    counts["requested"] = {{"contacts", counts_.contacts}, {"companies", counts_.companies}, {"deals", counts_.deals},
                           {"engagements", counts_.engagements}};
    t["counts"] = counts;

    // Contacts: columnar arrays (one entry per model contact; duplicates are listed separately),
    // built on another thread while the rest of the truth is written (object keys are sorted, so
    // the order of assembly does not show).
    auto contact_part = std::async(std::launch::async, [&] {
      // Contacts: columnar arrays (one entry per model contact; duplicates are listed separately).
      json ids = json::array(), pconv = json::array(), conv = json::array(), popp = json::array(), opp = json::array(),
           matured = json::array(), archived = json::array(), company = json::array(), sen = json::array(),
           fn = json::array(), resp = json::array(), usage = json::array(), intent = json::array(), deal = json::array();
      for (json* a : {&ids, &pconv, &conv, &popp, &opp, &matured, &archived, &company, &sen, &fn, &resp, &usage, &intent, &deal})
        a->get_ref<json::array_t&>().reserve(contacts_.size());
      std::vector<std::pair<double, bool>> auc_in;
      double sum_p = 0, n_mat = 0, n_conv = 0;
      const int64_t mature_before = anchor_ms_ - static_cast<int64_t>(kConversionWindowDays * kDay);
      for (const auto& c : contacts_) {
        if (!c.Model()) continue;
        const bool m = c.created_ms <= mature_before;
        ids.push_back(c.id);
        pconv.push_back(Round6(c.p_convert));
        conv.push_back(c.converted);
        popp.push_back(Round6(c.q_opp));
        opp.push_back(c.opp);
        matured.push_back(m);
        archived.push_back(c.archived);
        company.push_back(c.company >= 0 ? companies_[static_cast<size_t>(c.company)].id : 0);
        sen.push_back(kSeniorities[static_cast<size_t>(c.seniority)]);
        fn.push_back(kFunctions[static_cast<size_t>(c.function)]);
        resp.push_back(c.response_h >= 0 ? Round6(c.response_h) : -1.0);
        usage.push_back(c.usage_days14);
        intent.push_back(Round6(c.intent));
        deal.push_back(c.deal >= 0 ? deals_[static_cast<size_t>(c.deal)].id : 0);
        if (m && !c.archived) {
          auc_in.emplace_back(c.p_convert, c.converted);
          sum_p += c.p_convert;
          n_conv += c.converted ? 1 : 0;
          n_mat += 1;
        }
      }
      json part = json::object();
      part["oracle_auc"] = Round6(Auc(auc_in));
      part["contact_conversion"] = {{"population", "model contacts created at least 90 days before the anchor, not archived"},
                                 {"contacts", n_mat},
                                 {"converted", n_conv},
                                 {"mean_p_convert_90d", n_mat > 0 ? Round6(sum_p / n_mat) : 0.0},
                                 {"empirical_rate", n_mat > 0 ? Round6(n_conv / n_mat) : 0.0}};
      part["contacts"] = {{"id", std::move(ids)}, {"p_convert_90d", std::move(pconv)}, {"converted", std::move(conv)},
                       {"p_opportunity", std::move(popp)}, {"opportunity", std::move(opp)}, {"matured", std::move(matured)},
                       {"archived", std::move(archived)}, {"company_id", std::move(company)}, {"seniority", std::move(sen)},
                       {"function", std::move(fn)}, {"first_response_hours", std::move(resp)},
                       {"usage_active_days_14", std::move(usage)}, {"latent_intent", std::move(intent)},
                       {"deal_id", std::move(deal)}};
      return part;
    });
    json dups = json::array();
    for (const auto& c : contacts_)
      if (!c.Model())
        dups.push_back({{"id", c.id}, {"original_id", contacts_[static_cast<size_t>(c.dup_of)].id}, {"merged", c.merged},
                        {"merged_at", c.merged ? Iso(c.merged_ms) : std::string()}});
    t["duplicates"] = std::move(dups);

    // The contact and deal models, as used.
    json cm;
    cm["formula"] =
        "p_convert_90d = p_opportunity * E[p_win * P(first_response + deal_delay + won_cycle <= 90 days)]; "
        "p_opportunity = sigmoid(intercept + sum of drivers)";
    cm["intercept"] = Round6(opp_intercept_);
    auto table = [&](auto names, const auto& vals) {
      json o = json::object();
      for (size_t i = 0; i < names.size(); ++i) o[std::string(names[i])] = E(vals[i]);
      return o;
    };
    cm["seniority"] = table(kSeniorities, kSeniorityOpp);
    cm["function"] = table(kFunctions, kFunctionOpp);
    cm["source"] = table(kSources, kSourceOpp);
    cm["imported"] = E(kOppImport);
    cm["log1p_visits"] = {{"coefficient", E(kOppLog1pVisits)}, {"center", kOppVisitsCenter}, {"cap", 200}};
    cm["form_submissions"] = {{"coefficient", E(kOppForms)}, {"cap", kOppFormsCap}};
    cm["usage_active_days_14"] = E(kOppUsageDays14);
    cm["latent_intent"] = E(kOppLatentIntent);
    cm["slow_first_response"] = {{"threshold_hours", kSlowResponseHours}, {"coefficient", E(kSlowResponseOpp)}};
    cm["deal_delay_mean_days"] = kDealDelayMeanDays;
    t["contact_model"] = cm;
    json dm;
    dm["formula"] = "p_win = sigmoid(intercept + segment + seniority + rep_skill + competitor + early_meeting + modern_stack + referral)";
    dm["intercept"] = kWinIntercept;
    dm["seniority"] = table(kSeniorities, kSeniorityWin);
    dm["early_meeting"] = E(kWinEarlyMeeting);
    dm["modern_stack"] = {{"technologies", {"snowflake", "segment"}}, {"coefficient", E(kWinModernStack)}};
    dm["referral"] = E(kWinReferral);
    dm["won_cycle"] = {{"median_days", kNbWonCycleDays}, {"sigma", kNbWonCycleSigma}};
    dm["lost_cycle"] = {{"median_days", kNbLostCycleDays}, {"sigma", kNbLostCycleSigma}};
    dm["renewal_intercept"] = kRenewalIntercept;
    dm["expansion_intercept"] = kExpansionIntercept;
    t["deal_model"] = dm;

    // Segments.
    std::vector<double> seg_pw(4, 0), seg_n(4, 0), seg_pc(4, 0), seg_nc(4, 0), seg_acv(4, 0), seg_cyc(4, 0), seg_won(4, 0),
        seg_closed(4, 0), seg_co(4, 0);
    double base_pw = 0, base_n = 0, base_pc = 0, base_nc = 0, base_acv = 0, base_cyc = 0, all_pc = 0, all_nc = 0;
    for (const auto& d : deals_) {
      if (d.kind != 0) continue;
      const int s = d.company >= 0 ? companies_[static_cast<size_t>(d.company)].segment : -1;
      if (s >= 0) {
        seg_pw[static_cast<size_t>(s)] += d.p_win; seg_n[static_cast<size_t>(s)] += 1; seg_acv[static_cast<size_t>(s)] += d.amount;
        seg_cyc[static_cast<size_t>(s)] += d.won ? d.cycle_days : 0;
        seg_won[static_cast<size_t>(s)] += d.won ? 1 : 0;
        if (d.close_ms < anchor_ms_) seg_closed[static_cast<size_t>(s)] += 1;
      } else {
        base_pw += d.p_win; base_n += 1; base_acv += d.amount; base_cyc += d.won ? d.cycle_days : 0;
      }
    }
    double base_won = 0;
    for (const auto& d : deals_)
      if (d.kind == 0 && (d.company < 0 || companies_[static_cast<size_t>(d.company)].segment < 0) && d.won) base_won += 1;
    for (const auto& c : contacts_) {
      if (!c.Model()) continue;
      const int s = Segment(c);
      all_pc += c.p_convert; all_nc += 1;
      if (s >= 0) { seg_pc[static_cast<size_t>(s)] += c.p_convert; seg_nc[static_cast<size_t>(s)] += 1; }
      else { base_pc += c.p_convert; base_nc += 1; }
    }
    for (const auto& co : companies_)
      if (co.segment >= 0) seg_co[static_cast<size_t>(co.segment)] += 1;
    auto div = [](double a, double b) { return b > 0 ? Round6(a / b) : 0.0; };
    json icp = json::array(), busy = json::array();
    if (eff_) {
      for (size_t s = 0; s < kSegments.size(); ++s) {
        const auto& sg = kSegments[s];
        json bands = json::array();
        for (size_t k = 0; k < 6; ++k)
          if (sg.bands[k]) bands.push_back(kBands[k]);
        json j = {{"name", sg.name},
                  {"industry", kIndustries[sg.industry].value},
                  {"size_bands", bands},
                  {"opportunity_log_odds", sg.opp_log_odds},
                  {"win_log_odds", sg.win_log_odds},
                  {"acv_multiplier", sg.acv_multiplier},
                  {"cycle_multiplier", sg.cycle_multiplier},
                  {"activity_multiplier", sg.activity_multiplier},
                  {"companies", seg_co[s]},
                  {"contacts", seg_nc[s]},
                  {"new_business_deals", seg_n[s]},
                  {"true_win_rate", div(seg_pw[s], seg_n[s])},
                  {"base_win_rate", div(base_pw, base_n)},
                  {"drawn_wins", seg_won[s]},
                  {"true_conversion_rate", div(seg_pc[s], seg_nc[s])},
                  {"base_conversion_rate", div(base_pc, base_nc)},
                  {"conversion_lift", div(div(seg_pc[s], seg_nc[s]), div(base_pc, base_nc))},
                  {"mean_amount", div(seg_acv[s], seg_n[s])},
                  {"base_mean_amount", div(base_acv, base_n)},
                  {"mean_won_cycle_days", div(seg_cyc[s], seg_won[s])},
                  {"base_mean_won_cycle_days", div(base_cyc, base_won)}};
        (sg.icp ? icp : busy).push_back(std::move(j));
      }
    }
    t["icp_segments"] = std::move(icp);
    t["busy_losing_segments"] = std::move(busy);
    t["overall_conversion_rate"] = div(all_pc, all_nc);
    t["size_bands"] = kBands;
    {
      json labels = json::object();
      for (const auto& ind : kIndustries) {
        labels[std::string(ind.value)] = ind.value;
        labels[std::string(ind.label)] = ind.value;
        for (auto v : ind.variants)
          if (!v.empty()) labels[std::string(v)] = ind.value;
      }
      t["industry_labels"] = std::move(labels);
    }

    // Companies (columnar) and firmographic gaps.
    json cid = json::array(), cind = json::array(), cemp = json::array(), crev = json::array(), cband = json::array(),
         cseg = json::array(), cmot = json::array(), carch = json::array();
    json gaps = json::array(), outl = json::array();
    static constexpr std::array<std::string_view, 3> kMotions = {"freemium", "trial", "sales_led"};
    for (const auto& co : companies_) {
      cid.push_back(co.id);
      cind.push_back(kIndustries[co.industry].value);
      cemp.push_back(co.employees);
      crev.push_back(co.revenue);
      cband.push_back(kBands[static_cast<size_t>(co.band)]);
      cseg.push_back(co.segment >= 0 ? kSegments[static_cast<size_t>(co.segment)].name : std::string_view());
      cmot.push_back(kMotions[static_cast<size_t>(co.motion)]);
      carch.push_back(co.archived);
      if (co.gap_industry || co.gap_employees || co.gap_revenue) {
        json blank = json::array();
        if (co.gap_industry) blank.push_back("industry");
        if (co.gap_employees) blank.push_back("numberofemployees");
        if (co.gap_revenue) blank.push_back("annualrevenue");
        gaps.push_back({{"company_id", co.id}, {"domain", co.domain}, {"industry", kIndustries[co.industry].value},
                        {"numberofemployees", co.employees}, {"annualrevenue", co.revenue}, {"blank", blank}});
      }
      if (co.outlier_employees || co.outlier_revenue)
        outl.push_back({{"company_id", co.id}, {"property", co.outlier_employees ? "numberofemployees" : "annualrevenue"},
                        {"true_value", co.outlier_employees ? co.employees : co.revenue}});
    }
    t["companies"] = {{"id", cid}, {"industry", cind}, {"numberofemployees", cemp}, {"annualrevenue", crev},
                      {"size_band", cband}, {"segment", cseg}, {"signup_motion", cmot}, {"archived", carch}};
    t["firmographic_gaps"] = std::move(gaps);

    // Deals.
    json deals = json::array(), amount_outliers = json::array();
    std::vector<std::pair<double, bool>> deal_auc;
    static constexpr std::array<std::string_view, 3> kKinds = {"new_business", "renewal", "expansion"};
    for (const auto& d : deals_) {
      const bool closed = d.close_ms < anchor_ms_;
      const int seg = d.company >= 0 ? companies_[static_cast<size_t>(d.company)].segment : -1;
      json j = {{"id", d.id},
                {"kind", kKinds[static_cast<size_t>(d.kind)]},
                {"pipeline", d.kind == 0 ? "default" : "15439846"},
                {"p_win", Round6(d.p_win)},
                {"won", d.won},
                {"closed_at_anchor", closed},
                {"create_date", Iso(d.create_ms)},
                {"close_date", Iso(d.close_ms)},
                {"cycle_days", Round6(d.cycle_days)},
                {"amount", d.amount},
                {"company_id", d.company >= 0 ? companies_[static_cast<size_t>(d.company)].id : 0},
                {"contact_id", d.contact >= 0 ? contacts_[static_cast<size_t>(d.contact)].id : 0},
                {"contact_associated", d.has_contact && d.contact >= 0},
                {"owner_id", owners_[static_cast<size_t>(d.owner)].id},
                {"segment", seg >= 0 ? kSegments[static_cast<size_t>(seg)].name : std::string_view()},
                {"competitor", d.competitor >= 0 ? Competitors()[static_cast<size_t>(d.competitor)].name : std::string()},
                {"competitor_recorded", d.comp_recorded},
                {"early_meeting", d.early_meeting},
                {"multi_thread_eligible", d.multi_thread_eligible},
                {"multi_threaded", d.multi_threaded},
                {"quarter_end_pull", d.pulled},
                {"archived", d.archived},
                {"lost_stage", d.won ? std::string() : P().deal_pipelines[d.kind == 0 ? 0 : 1].stages[static_cast<size_t>(d.last_open)].id}};
      deals.push_back(std::move(j));
      if (closed) deal_auc.emplace_back(d.p_win, d.won);
      if (d.amount_outlier) amount_outliers.push_back(d.id);
    }
    t["deals"] = std::move(deals);
    t["oracle_auc_deals"] = Round6(Auc(deal_auc));
    t["outliers"] = {{"companies", outl}, {"deal_amounts", amount_outliers}};

    // Stage conversion: expected pass rate per stage over the deals that reach it.
    json sc = json::array();
    for (int pl = 0; pl < 2; ++pl) {
      const int n_open = pl == 0 ? 5 : 3;
      std::vector<double> reach(static_cast<size_t>(n_open), 0), pass(static_cast<size_t>(n_open), 0);
      for (const auto& d : deals_) {
        if ((d.kind == 0) != (pl == 0)) continue;
        double r = 1;
        for (int k = d.first_stage; k < n_open; ++k) {
          reach[static_cast<size_t>(k)] += r;
          pass[static_cast<size_t>(k)] += r * d.conv[static_cast<size_t>(k)];
          r *= d.conv[static_cast<size_t>(k)];
        }
      }
      json stages = json::array();
      const auto& pipe = P().deal_pipelines[static_cast<size_t>(pl)];
      for (int k = 0; k < n_open; ++k)
        stages.push_back({{"stage", pipe.stages[static_cast<size_t>(k)].id},
                          {"label", pipe.stages[static_cast<size_t>(k)].label},
                          {"weight", pl == 0 ? kNbStageWeights[static_cast<size_t>(k)] : kRenewalStageWeights[static_cast<size_t>(k)]},
                          {"expected_conversion", div(pass[static_cast<size_t>(k)], reach[static_cast<size_t>(k)])}});
      sc.push_back({{"pipeline", pipe.id}, {"label", pipe.label},
                    {"rule", "stage k is passed with p_win^(weight_k / sum of weights from the deal's first stage)"},
                    {"stages", stages}});
    }
    t["stage_conversion"] = std::move(sc);
    t["seasonality"] = {{"contact_month_multipliers", eff_ ? json(kMonthMultiplier) : json(std::vector<double>(12, 1.0))},
                        {"weekend_multiplier", 0.3},
                        {"quarter_end_pull", {{"probability", E(kQuarterPullProb)}, {"window_days", kQuarterPullWindowDays}}}};
    t["growth"] = {{"annual_contact_growth_log", E(kAnnualGrowth)}};

    json reps = json::array();
    for (const auto& o : owners_)
      reps.push_back({{"owner_id", o.id}, {"role", o.role == 0 ? "sdr" : (o.role == 1 ? "ae" : "am")},
                      {"win_log_odds", Round6(o.skill)}, {"early_meeting_rate", Round6(o.diligence)},
                      {"median_response_hours", Round6(o.speed_h)}, {"start", Iso(o.start_ms)},
                      {"left", o.end_ms < anchor_ms_ ? Iso(o.end_ms) : std::string()}});
    // Multi-threading: what the odds ratio is among eligible deals, and what a crude 2x2 table of the closed deals
    // activity analysis reads (open at least 14 days) expects, ineligible deals sitting with those without it.
    const double mt_won = eff_ ? kMultiThreadIfWon : 0.5 * (kMultiThreadIfWon + kMultiThreadIfLost);
    const double mt_lost = eff_ ? kMultiThreadIfLost : mt_won;
    int64_t mt_eligible = 0, mt_deals = 0;
    double cell[2][2] = {{0, 0}, {0, 0}};  // [won][multi-threaded]: expected deals
    double analysed[2][2] = {{0, 0}, {0, 0}};  // [eligible][won]: deals
    for (const auto& d : deals_) {
      mt_eligible += d.multi_thread_eligible;
      mt_deals += d.multi_threaded;
      if (d.archived || d.close_ms >= anchor_ms_ || d.close_ms - d.create_ms < static_cast<int64_t>(kMultiThreadWindowDays * kDay))
        continue;
      const double rate = d.multi_thread_eligible ? (d.won ? mt_won : mt_lost) : 0.0;
      cell[d.won][1] += rate;
      cell[d.won][0] += 1 - rate;
      analysed[d.multi_thread_eligible][d.won] += 1;
    }
    const double crude_or = cell[1][0] * cell[0][1] > 0 ? cell[1][1] * cell[0][0] / (cell[1][0] * cell[0][1]) : 1.0;
    t["activity_effects"] = {
        {"multi_threaded",
         {{"window_days", kMultiThreadWindowDays},
          {"odds_multiplier", Round6(mt_won * (1 - mt_lost) / (mt_lost * (1 - mt_won)))},
          {"rate_if_won", mt_won},
          {"rate_if_lost", mt_lost},
          {"rate_if_open", 0.5 * (kMultiThreadIfWon + kMultiThreadIfLost)},
          {"applies_to", "live deals of every pipeline whose company has another live contact created (and first touched) "
                         "before the deal, two when the deal has no live contact"},
          {"definition", "2+ distinct contacts on calls, emails or meetings associated with the deal whose hs_timestamp is "
                         "within 14 days after the deal's createdate"},
          {"planting", "chosen after the outcome with probability rate_if_won (a) or rate_if_lost (b) (rate_if_open "
                       "for open deals), so among eligible deals the odds of winning given multi-threading are "
                       "odds_multiplier = a(1-b)/(b(1-a)) times higher in every segment, size and pipeline; the deal "
                       "gets a call or outgoing email by its owner with another contact of the company in the window "
                       "(and one with its own contact when that had no touch there). Ineligible deals never show the "
                       "pattern and count among those without it: that dilutes the contrast towards a/b, and as they "
                       "win at another rate (deals of contacts without a company have no segment or stack effect; "
                       "eligibility grows with the company's contact count, so with size band and busy segments) it "
                       "also confounds it, which the analysis's controls (size, segment, pipeline) absorb in part. "
                       "expected_crude_odds_ratio is the unadjusted contrast expected on the closed deals open at least "
                       "14 days (analysed_closed_deals)"},
          {"eligible_deals", mt_eligible},
          {"deals_with_multi_threading", mt_deals},
          {"engagements", multi_thread_touches_},
          {"expected_crude_odds_ratio", Round6(crude_or)},
          {"analysed_closed_deals",
           {{"eligible", analysed[1][0] + analysed[1][1]},
            {"ineligible", analysed[0][0] + analysed[0][1]},
            {"eligible_win_rate", div(analysed[1][1], analysed[1][0] + analysed[1][1])},
            {"ineligible_win_rate", div(analysed[0][1], analysed[0][0] + analysed[0][1])}}}}},
        {"early_meeting",
         {{"window_days", kEarlyMeetingDays},
          {"odds_multiplier", std::exp(E(kWinEarlyMeeting))},
          {"applies_to", "new-business deals"},
          {"definition", "a meeting associated with the deal whose hs_timestamp is within 14 days after the deal's createdate"},
          {"deals_with_early_meeting", early_meetings_}}},
        {"slow_first_response",
         {{"threshold_hours", kSlowResponseHours},
          {"opportunity_odds_multiplier", std::exp(E(kSlowResponseOpp))},
          {"applies_to", "inbound contacts (source not OFFLINE, not imported)"},
          {"definition", "hours from the contact's createdate to the first call or email (first engagement) on it"},
          {"first_touches", first_touches_}}},
        {"reps", reps}};

    // Competitors and mentions.
    json comps = json::array();
    for (size_t k = 0; k < Competitors().size(); ++k) {
      const auto& c = Competitors()[k];
      json deal_ids = json::array(), recorded = json::array();
      double pw = 0, n = 0;
      for (const auto& d : deals_)
        if (d.competitor == static_cast<int>(k)) {
          deal_ids.push_back(d.id);
          if (d.comp_recorded) recorded.push_back(d.id);
          if (d.kind == 0) { pw += d.p_win; n += 1; }
        }
      comps.push_back({{"name", c.name}, {"aliases", c.aliases}, {"misspellings", c.misspellings}, {"casings", c.casings},
                       {"traps", c.traps}, {"odds_multiplier", eff_ ? c.odds_multiplier : 1.0},
                       {"involvement_share", kCompetitorInvolvement * c.share}, {"win_rate", div(pw, n)},
                       {"deal_ids", deal_ids}, {"recorded_deal_ids", recorded}});
    }
    double nc_pw = 0, nc_n = 0;
    for (const auto& d : deals_)
      if (d.kind == 0 && d.competitor < 0) { nc_pw += d.p_win; nc_n += 1; }
    t["competitors"] = std::move(comps);
    t["no_competitor_win_rate"] = div(nc_pw, nc_n);
    json mt = json::array(), mid = json::array(), mdeal = json::array(), mcontact = json::array(), mcomp = json::array(),
         msurf = json::array(), mform = json::array();
    for (const auto& m : mentions_) {
      mt.push_back(ObjectTypeName(kEngTypes[m.type]));
      mid.push_back(m.id);
      mdeal.push_back(m.deal_id);
      mcontact.push_back(m.contact_id);
      mcomp.push_back(Competitors()[static_cast<size_t>(m.comp)].name);
      msurf.push_back(m.surface);
      mform.push_back(MentionFormName(m.form));
    }
    t["competitor_mentions"] = {{"object_type", mt}, {"engagement_id", mid}, {"deal_id", mdeal}, {"contact_id", mcontact},
                                {"competitor", mcomp}, {"surface", msurf}, {"form", mform}};
    t["product_usage"] = {{"file", "product_usage.csv"},
                          {"columns", {"event_date", "user_id", "email", "account_domain", "hubspot_contact_id", "logins",
                                       "key_feature_uses", "seats"}},
                          {"applies_to", "contacts of freemium (90 days) and trial (30 days) companies who signed up"},
                          {"driver", "usage_active_days_14: days with any event in the first 14 days after createdate"}};
    json part = contact_part.get();
    for (auto& [key, value] : part.items()) t[key] = std::move(value);
  }

  GeneratorOptions opt_;
  Counts counts_;
  bool eff_;
  int64_t anchor_ms_ = 0, start_ms_ = 0, schema_ms_ = 0;
  GeneratedPortal out_;
  std::vector<OwnerGen> owners_;
  std::array<std::vector<int>, 3> by_role_;
  std::vector<CompanyGen> companies_;
  std::vector<ContactGen> contacts_;
  std::vector<DealGen> deals_;
  std::map<int, std::vector<double>> tau_;
  double opp_intercept_ = 0;
  EngProps ep_;
  std::vector<std::string> owner_ids_;             ///< owners_[i].id as text
  std::vector<std::vector<EngPlan>> by_contact_deal_;  ///< deal plans per live contact (Engagements only)
  std::vector<int64_t> fillers_;                   ///< filler engagements per contact (Engagements only)
  AssocBuffer assoc_;
  std::vector<Mention> mentions_;
  int64_t first_touches_ = 0, early_meetings_ = 0, multi_thread_touches_ = 0;
};

}  // namespace

GeneratedPortal GeneratePortal(const GeneratorOptions& options) {
  if (options.threads < 0) throw ConfigError("generator threads must be 0 (every core) or more");
  struct CapGuard {
    size_t saved = generator_thread_cap;
    ~CapGuard() { generator_thread_cap = saved; }
  } guard;
  generator_thread_cap = static_cast<size_t>(options.threads);
  Generator g(options);
  return g.Run();
}

}  // namespace revlens::emulator
