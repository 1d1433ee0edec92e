#pragma once
/// Names and engagement text for the synthetic portal: competitor mentions by name, alias,
/// misspelling or casing, and trap words that contain a competitor's name but are no mention.
#include <string>
#include <string_view>
#include <vector>

#include "emulator/generator/rng.hpp"

namespace revlens::emulator::gen {

/// A fictional competitor and how reps write its name.
struct Competitor {
  std::string name;
  std::vector<std::string> aliases, misspellings, casings;
  std::vector<std::string> traps;  ///< words that contain the name or an alias but are not mentions
  double odds_multiplier = 1.0;    ///< planted effect on a deal's win odds when involved
  double share = 0.0;              ///< share of competitive deals where it is the competitor
  double cycle_multiplier = 1.15;  ///< cycle length factor when involved
};
/// The competitors, in a fixed order (their index is the competitor id in the generator).
const std::vector<Competitor>& Competitors();

/// How a mention is spelled.
enum class MentionForm : uint8_t { kCanonical, kAlias, kMisspelling, kCasing };
std::string_view MentionFormName(MentionForm f);
/// Draw a surface form of competitor `c` (canonical 50%, alias 20%, misspelling 15%, casing 15%).
std::string MentionSurface(Rng& rng, size_t c, MentionForm& form);

/// What an engagement's text is about.
struct TextContext {
  std::string_view contact_first;  ///< may be empty
  std::string_view company;        ///< may be empty
  std::string_view rep_first;
  int stage = -1;                  ///< deal stage index the activity belongs to, -1 = none
  const std::string* mention = nullptr;  ///< a competitor surface form to mention, or nullptr
  bool trap = false;               ///< include a trap word (e.g. "database" next to competitor "Base")
};

std::string CallBody(Rng& rng, const TextContext& c);
std::string EmailSubject(Rng& rng, const TextContext& c);
std::string EmailText(Rng& rng, const TextContext& c, bool incoming);
std::string NoteBody(Rng& rng, const TextContext& c);
std::string MeetingTitle(Rng& rng, const TextContext& c);
std::string MeetingBody(Rng& rng, const TextContext& c);
std::string TaskSubject(Rng& rng, const TextContext& c);

/// Name lists.
const std::vector<std::string_view>& FirstNames();
const std::vector<std::string_view>& LastNames();
/// A company name from three word lists (the caller makes it unique).
std::string CompanyName(Rng& rng, size_t industry);

}  // namespace revlens::emulator::gen
