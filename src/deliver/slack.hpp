#pragma once
/// Slack incoming webhooks: Block Kit payloads as Slack documents them (a `blocks` array of `header`, `section`
/// and `context` blocks, plus a top-level `text` used for notifications), a check of the limits revlens relies on,
/// and a sender that paces posts to one webhook (Slack allows about one message per second per webhook; the
/// pacer is hubspot::Pacer with a one-request window) and retries 429 (Retry-After) and 5xx.
///
/// Limits (Slack's Block Kit reference): at most 50 blocks per message; header text plain_text of at most 150
/// characters; section text at most 3,000 characters; at most 10 section fields of at most 2,000 characters;
/// context at most 10 elements. Text is cut on a UTF-8 boundary by bytes, which never exceeds the character limit.
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "deliver/http_post.hpp"

namespace revlens::hubspot {
class Pacer;
}

namespace revlens::deliver {

struct Alert;

inline constexpr size_t kSlackMaxBlocks = 50;
inline constexpr size_t kSlackHeaderMax = 150;
inline constexpr size_t kSlackSectionTextMax = 3000;
inline constexpr size_t kSlackFieldMax = 2000;
inline constexpr size_t kSlackMaxFields = 10;
inline constexpr size_t kSlackContextMax = 10;
/// The top-level `text` (notification fallback); Slack truncates long messages, keep it short.
inline constexpr size_t kSlackFallbackMax = 3000;

/// Escape `&`, `<` and `>` so data from HubSpot cannot form links or mentions (`<!channel>`) in mrkdwn.
std::string EscapeMrkdwn(std::string_view text);
/// Cut `text` to at most `max_bytes` bytes on a UTF-8 boundary, ending with "…" when cut.
std::string Truncate(std::string_view text, size_t max_bytes);

/// A `header` block (plain_text, emoji on).
nlohmann::json HeaderBlock(std::string_view text);
/// A `section` block with mrkdwn text.
nlohmann::json SectionBlock(std::string_view mrkdwn);
/// A `section` block of mrkdwn fields (two columns), at most 10.
nlohmann::json FieldsBlock(const std::vector<std::string>& fields);
/// A `context` block of mrkdwn elements, at most 10.
nlohmann::json ContextBlock(const std::vector<std::string>& elements);

/// One message for alerts of one rule: a header (`heading`), one section per alert up to `max_items`, then
/// "…and N more" and a context line naming the rule and the run. `alerts` must not be empty.
nlohmann::json BuildRuleMessage(std::string_view heading, const std::vector<const Alert*>& alerts, size_t max_items,
                                std::string_view rule, std::string_view run_id);

/// The problems of a payload against the limits above (empty = valid): blocks array present and not empty, known
/// block types, text object types, lengths and counts.
std::vector<std::string> ValidateBlockKit(const nlohmann::json& payload);

/// Posts to one incoming webhook, paced and retried. Not thread-safe.
class SlackSender {
 public:
  /// `url` is a secret: it never appears in messages (see Destination()).
  SlackSender(std::string url, RetryPolicy policy, std::chrono::milliseconds interval);
  ~SlackSender();
  SlackSender(const SlackSender&) = delete;
  SlackSender& operator=(const SlackSender&) = delete;

  /// POST the payload; every attempt waits for the pacer.
  PostOutcome Post(const nlohmann::json& payload);
  /// The redacted URL, for messages and the alerts table.
  const std::string& Destination() const { return destination_; }

 private:
  std::string url_;
  std::string destination_;
  RetryPolicy policy_;
  std::unique_ptr<hubspot::Pacer> pacer_;
};

}  // namespace revlens::deliver
