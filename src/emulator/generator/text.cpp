// Engagement text and names. Templates are plain strings with {c} (contact), {co} (company),
// {r} (rep) and {x} (competitor surface form) slots, expanded by one pass over the template.
#include "emulator/generator/text.hpp"

#include <array>

namespace revlens::emulator::gen {
namespace {

template <size_t N>
std::string_view PickOne(Rng& rng, const std::array<std::string_view, N>& a) {
  return a[static_cast<size_t>(rng.Int(0, static_cast<int64_t>(N) - 1))];
}

std::string Expand(std::string_view tpl, const TextContext& c) {
  std::string out;
  out.reserve(tpl.size() + 32);
  for (size_t i = 0; i < tpl.size(); ++i) {
    if (tpl[i] == '{') {
      const size_t end = tpl.find('}', i);
      const std::string_view key = tpl.substr(i + 1, end - i - 1);
      if (key == "c") out += c.contact_first.empty() ? std::string_view("the team") : c.contact_first;
      else if (key == "co") out += c.company.empty() ? std::string_view("their team") : c.company;
      else if (key == "r") out += c.rep_first;
      else if (key == "x" && c.mention != nullptr) out += *c.mention;
      i = end;
    } else {
      out += tpl[i];
    }
  }
  return out;
}

constexpr std::array<std::string_view, 10> kMentionSentences = {
    " They are also evaluating {x}.",
    " Currently on {x}, contract renews next quarter.",
    " {x} quoted them about 20% less.",
    " Main concern: switching cost from {x}.",
    " {c} said {x} is pushing hard on price.",
    " Competing with {x} on this one.",
    " They ran a pilot with {x} last year and were not impressed.",
    " Procurement wants a side-by-side with {x}.",
    " {x} demoed to them last week.",
    " Heard {x} offered a free first year.",
};
// Trap phrases: they contain a competitor's name or alias as part of another word.
constexpr std::array<std::string_view, 10> kTrapSentences = {
    " Their database team needs to sign off.",
    " We agreed on baseline metrics for the pilot.",
    " They are based in the same city as our office.",
    " Sent the PDF of the security review.",
    " {c} updated the forecast sheet for their board.",
    " Quota planning is on their agenda this month.",
    " Their codebase is mostly Python.",
    " They want a stacked report of pipeline by region.",
    " The quotable customer story went over well.",
    " Migration is UPDATE-heavy, flagged for the solutions engineer.",
};

constexpr std::array<std::string_view, 12> kCallBodies = {
    "Spoke with {c} about their reporting workflow. Interested in pipeline dashboards.",
    "Discovery call with {c} at {co}. Pain: manual spreadsheets for forecasting.",
    "{c} walked me through their current process; 3 teams involved.",
    "Follow-up call. {c} needs pricing for 25 seats.",
    "Quick check-in, {c} is reviewing with their VP this week.",
    "Talked timeline: they want to go live before the end of the quarter.",
    "Call with {c}: security questionnaire is the blocker.",
    "Reviewed the proposal with {c}. Legal review next.",
    "{c} asked about SSO and the API limits.",
    "Connected with {c}. Not a priority until next year.",
    "Demo recap with {c}, good engagement from the ops lead.",
    "Negotiation call, {c} asked for a multi-year discount.",
};
constexpr std::array<std::string_view, 10> kNoteBodies = {
    "Account research: {co} is hiring SDRs and expanding to EMEA.",
    "{c} prefers email over calls. Decision expected in 3-4 weeks.",
    "Champion is {c}. Economic buyer not yet identified.",
    "Budget approved for H2 per {c}.",
    "Met {c} at the webinar; follow up with the ROI calculator.",
    "Internal: {r} to loop in solutions engineering.",
    "{co} uses spreadsheets for renewals today.",
    "Next steps: send case study, schedule technical review.",
    "{c} moved to a new role; new contact to be identified.",
    "Pricing sensitivity high; consider annual prepay incentive.",
};
constexpr std::array<std::string_view, 10> kEmailSubjects = {
    "Following up", "Quick question about {co}", "Proposal for {co}", "Next steps",
    "Re: pricing", "Intro: revenue analytics for {co}", "Security review documents", "Checking in",
    "Re: demo recording", "Contract draft",
};
constexpr std::array<std::string_view, 8> kEmailTexts = {
    "Hi {c}, thanks for your time today. As promised, here are the next steps.",
    "Hi {c}, following up on my last note. Would Thursday work for a quick call?",
    "Hi {c}, attached is the proposal we discussed. Happy to walk through it.",
    "Hi {c}, sharing the recording of the demo and a short summary.",
    "Hi {c}, checking in to see if you had a chance to review with your team.",
    "Hi {c}, here is the security documentation your IT team asked for.",
    "Hi {c}, the contract draft is attached; let me know about redlines.",
    "Hi {c}, I saw {co} is growing the sales team, thought this might help.",
};
constexpr std::array<std::string_view, 6> kIncomingTexts = {
    "Hi {r}, thanks for the info. Let me discuss internally and come back to you.",
    "Hi {r}, can we push our call to next week?",
    "Hi {r}, what would pricing look like for our team?",
    "Hi {r}, looping in our ops lead who will run the evaluation.",
    "Hi {r}, not the right time for us, please reach out next quarter.",
    "Hi {r}, we reviewed the proposal and have a few questions.",
};
constexpr std::array<std::string_view, 8> kMeetingTitles = {
    "Discovery call", "Product demo", "Technical deep dive", "Pricing review",
    "Intro meeting with {co}", "Security review", "Executive alignment", "Kickoff planning",
};
constexpr std::array<std::string_view, 5> kMeetingBodies = {
    "Agenda: current process, goals, timeline.", "Demo of dashboards and forecasting.",
    "Walk through integration and data model.", "Review commercial terms.", "Align on success criteria.",
};
constexpr std::array<std::string_view, 8> kTaskSubjects = {
    "Follow up with {c}", "Send proposal to {co}", "Call {c} back", "Prepare demo for {co}",
    "Send case study", "Check in after trial", "Update deal notes", "Book technical review",
};

std::string WithExtras(Rng& rng, std::string body, const TextContext& c) {
  if (c.trap) body += Expand(PickOne(rng, kTrapSentences), c);
  if (c.mention != nullptr) body += Expand(PickOne(rng, kMentionSentences), c);
  return body;
}

}  // namespace

const std::vector<Competitor>& Competitors() {
  static const std::vector<Competitor> comps = {
      {"Base", {"Base CRM", "BaseHQ"}, {"Basecrm", "Base-CRM"}, {"BASE", "base crm"},
       {"database", "baseline", "based", "codebase"}, 1.35, 0.25, 1.05},
      {"Forecastly", {"Forecastly.io", "FCly"}, {"Forcastly", "Forecastley", "Forecasly"}, {"forecastly", "FORECASTLY"},
       {"forecast"}, 0.45, 0.25, 1.25},
      {"PipeDrift", {"Pipe Drift", "PD"}, {"Pipedrfit", "Pipdrift"}, {"pipedrift", "PIPEDRIFT"}, {"PDF", "UPDATE", "updated"},
       0.8, 0.2, 1.15},
      {"Quotably", {"Quotably CPQ"}, {"Qoutably", "Quoteably"}, {"quotably", "QUOTABLY"}, {"quotable", "Quota"}, 1.0,
       0.15, 1.1},
      {"Stackwise", {"Stack Wise", "StackwiseAI"}, {"Stakwise", "Stackwse"}, {"stackwise", "STACKWISE"}, {"stacked"},
       0.6, 0.15, 1.2},
  };
  return comps;
}

std::string_view MentionFormName(MentionForm f) {
  switch (f) {
    case MentionForm::kAlias: return "alias";
    case MentionForm::kMisspelling: return "misspelling";
    case MentionForm::kCasing: return "casing";
    default: return "canonical";
  }
}

std::string MentionSurface(Rng& rng, size_t c, MentionForm& form) {
  const auto& comp = Competitors()[c];
  const double u = rng.Uniform();
  auto pick = [&](const std::vector<std::string>& v) { return v[static_cast<size_t>(rng.Int(0, static_cast<int64_t>(v.size()) - 1))]; };
  if (u < 0.5) { form = MentionForm::kCanonical; return comp.name; }
  if (u < 0.7) { form = MentionForm::kAlias; return pick(comp.aliases); }
  if (u < 0.85) { form = MentionForm::kMisspelling; return pick(comp.misspellings); }
  form = MentionForm::kCasing;
  return pick(comp.casings);
}

std::string CallBody(Rng& rng, const TextContext& c) { return WithExtras(rng, Expand(PickOne(rng, kCallBodies), c), c); }
std::string EmailSubject(Rng& rng, const TextContext& c) { return Expand(PickOne(rng, kEmailSubjects), c); }
std::string EmailText(Rng& rng, const TextContext& c, bool incoming) {
  return WithExtras(rng, Expand(incoming ? PickOne(rng, kIncomingTexts) : PickOne(rng, kEmailTexts), c), c);
}
std::string NoteBody(Rng& rng, const TextContext& c) { return WithExtras(rng, Expand(PickOne(rng, kNoteBodies), c), c); }
std::string MeetingTitle(Rng& rng, const TextContext& c) { return Expand(PickOne(rng, kMeetingTitles), c); }
std::string MeetingBody(Rng& rng, const TextContext& c) {
  return WithExtras(rng, Expand(PickOne(rng, kMeetingBodies), c), c);
}
std::string TaskSubject(Rng& rng, const TextContext& c) { return Expand(PickOne(rng, kTaskSubjects), c); }

const std::vector<std::string_view>& FirstNames() {
  static const std::vector<std::string_view> v = {
      "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
      "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chris", "Karen", "Daniel", "Lisa",
      "Matthew", "Nancy", "Anthony", "Sandra", "Mark", "Ashley", "Steven", "Emily", "Andrew", "Michelle", "Paul",
      "Amanda", "Joshua", "Melissa", "Kevin", "Stephanie", "Brian", "Rebecca", "Priya", "Raj", "Wei", "Mei", "Hiroshi",
      "Yuki", "Carlos", "Sofia", "Lucas", "Camille", "Jonas", "Lena", "Oliver", "Emma", "Noah", "Mia", "Liam",
      "Olivia", "Aisha", "Omar", "Fatima", "Ahmed", "Ingrid", "Lars", "Chloe", "Mateo", "Valentina", "Arjun", "Ananya",
      "Sean", "Niamh", "Pierre", "Amélie", "José", "Zoë", "Bjorn", "Sven", "Anna", "Marco", "Giulia"};
  return v;
}
const std::vector<std::string_view>& LastNames() {
  static const std::vector<std::string_view> v = {
      "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
      "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
      "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
      "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
      "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Patel", "Shah", "Kumar", "Chen", "Wang", "Li", "Zhang",
      "Kim", "Park", "Tanaka", "Sato", "Müller", "Schmidt", "Schneider", "Fischer", "Dubois", "Laurent", "Rossi",
      "Russo", "Jansen", "de Vries", "O'Brien", "Murphy", "Kelly", "Andersson", "Johansson", "Nowak", "Kowalski",
      "Silva", "Santos", "Costa"};
  return v;
}

std::string CompanyName(Rng& rng, size_t industry) {
  static constexpr std::array<std::string_view, 40> kFirst = {
      "Blue", "North", "Bright", "Summit", "Cedar", "Silver", "Harbor", "Granite", "Crimson", "Maple", "Atlas",
      "Nova", "Iron", "Golden", "Vertex", "Pioneer", "Lumen", "Quantum", "Sterling", "Evergreen", "Falcon", "Orbit",
      "Prairie", "Redwood", "Coastal", "Beacon", "Keystone", "Horizon", "Apex", "Willow", "Copper", "Aurora",
      "Meridian", "Riverside", "Stone", "Clear", "Swift", "True", "Open", "Bold"};
  static constexpr std::array<std::string_view, 30> kSecond = {
      "path", "field", "point", "bridge", "wave", "peak", "line", "gate", "stone", "light", "works", "forge", "leaf",
      "mark", "view", "crest", "spring", "shore", "wind", "rock", "haven", "tree", "star", "brook", "hill", "port",
      "core", "loop", "grid", "dale"};
  static constexpr std::array<std::array<std::string_view, 4>, 12> kByIndustry = {{
      {"Software", "Labs", "Cloud", "Apps"},
      {"Systems", "Technologies", "IT", "Consulting"},
      {"Capital", "Financial", "Partners", "Payments"},
      {"Health", "Medical", "Care", "Clinics"},
      {"Media", "Marketing", "Creative", "Agency"},
      {"Retail", "Goods", "Outfitters", "Market"},
      {"Learning", "Academy", "Education", "Schools"},
      {"Manufacturing", "Industries", "Engineering", "Machines"},
      {"Logistics", "Freight", "Supply", "Shipping"},
      {"Properties", "Realty", "Estates", "Homes"},
      {"Insurance", "Assurance", "Mutual", "Underwriters"},
      {"Foundation", "Alliance", "Trust", "Society"},
  }};
  std::string s(kFirst[static_cast<size_t>(rng.Int(0, kFirst.size() - 1))]);
  s += kSecond[static_cast<size_t>(rng.Int(0, kSecond.size() - 1))];
  s += ' ';
  s += kByIndustry[industry % kByIndustry.size()][static_cast<size_t>(rng.Int(0, 3))];
  return s;
}

}  // namespace revlens::emulator::gen
