#include "deliver/slack.hpp"

#include "deliver/alerts.hpp"
#include "hubspot/pacer.hpp"

namespace revlens::deliver {

std::string EscapeMrkdwn(std::string_view text) {
  // Slack's formatting guide: only these three characters are control characters in mrkdwn text.
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Truncate(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";  // U+2026
  if (max_bytes < kEllipsis.size()) return std::string();
  size_t cut = max_bytes - kEllipsis.size();
  // Back up to the start of a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  // An escape such as "&amp;" cut in half would render as text: drop a dangling '&...'.
  const size_t amp = out.rfind('&');
  if (amp != std::string::npos && out.find(';', amp) == std::string::npos && out.size() - amp < 6) out.resize(amp);
  out += kEllipsis;
  return out;
}

nlohmann::json HeaderBlock(std::string_view text) {
  return {{"type", "header"},
          {"text", {{"type", "plain_text"}, {"text", Truncate(text, kSlackHeaderMax)}, {"emoji", true}}}};
}

nlohmann::json SectionBlock(std::string_view mrkdwn) {
  return {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", Truncate(mrkdwn, kSlackSectionTextMax)}}}};
}

nlohmann::json FieldsBlock(const std::vector<std::string>& fields) {
  nlohmann::json arr = nlohmann::json::array();
  for (size_t i = 0; i < fields.size() && i < kSlackMaxFields; ++i) {
    arr.push_back({{"type", "mrkdwn"}, {"text", Truncate(fields[i], kSlackFieldMax)}});
  }
  return {{"type", "section"}, {"fields", arr}};
}

nlohmann::json ContextBlock(const std::vector<std::string>& elements) {
  nlohmann::json arr = nlohmann::json::array();
  for (size_t i = 0; i < elements.size() && i < kSlackContextMax; ++i) {
    arr.push_back({{"type", "mrkdwn"}, {"text", Truncate(elements[i], kSlackSectionTextMax)}});
  }
  return {{"type", "context"}, {"elements", arr}};
}

nlohmann::json BuildRuleMessage(std::string_view heading, const std::vector<const Alert*>& alerts, size_t max_items,
                                std::string_view rule, std::string_view run_id) {
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back(HeaderBlock(heading));
  // Header + items (each with at most one fields block) + "more" + context must stay within 50 blocks.
  const size_t shown = std::min({alerts.size(), std::max<size_t>(1, max_items), (kSlackMaxBlocks - 3) / 2});
  std::string fallback = EscapeMrkdwn(heading);
  for (size_t i = 0; i < shown; ++i) {
    const Alert& a = *alerts[i];
    blocks.push_back(
        SectionBlock("*" + EscapeMrkdwn(a.title) + "*" + (a.text.empty() ? "" : "\n" + EscapeMrkdwn(a.text))));
    if (!a.fields.empty()) {
      std::vector<std::string> fields;
      for (const auto& f : a.fields) fields.push_back(EscapeMrkdwn(f));
      blocks.push_back(FieldsBlock(fields));
    }
    if (i < 3) fallback += "\n- " + EscapeMrkdwn(a.title);  // `text` is mrkdwn too
  }
  if (alerts.size() > shown) {
    const size_t more = alerts.size() - shown;
    blocks.push_back(ContextBlock({"…and " + std::to_string(more) + " more (every one is in the `alerts` table)"}));
    fallback += "\n…and " + std::to_string(alerts.size() - std::min<size_t>(3, shown)) + " more";
  } else if (shown > 3) {
    fallback += "\n…and " + std::to_string(shown - 3) + " more";
  }
  blocks.push_back(ContextBlock({"revlens · rule `" + std::string(rule) + "` · run `" + EscapeMrkdwn(run_id) + "`"}));
  return {{"text", Truncate(fallback, kSlackFallbackMax)}, {"blocks", blocks}};
}

std::vector<std::string> ValidateBlockKit(const nlohmann::json& payload) {
  std::vector<std::string> problems;
  auto text_object = [&](const nlohmann::json& t, const std::string& where, size_t max, bool plain_only) {
    if (!t.is_object() || !t.contains("type") || !t.contains("text") || !t["text"].is_string()) {
      problems.push_back(where + ": not a text object");
      return;
    }
    const std::string type = t["type"].is_string() ? t["type"].get<std::string>() : "";
    if (type != "plain_text" && (plain_only || type != "mrkdwn")) problems.push_back(where + ": bad type " + type);
    const size_t len = t["text"].get<std::string>().size();
    if (len == 0) problems.push_back(where + ": empty text");
    if (len > max) problems.push_back(where + ": " + std::to_string(len) + " > " + std::to_string(max));
  };
  if (!payload.is_object()) return {"payload is not an object"};
  if (payload.contains("text") && (!payload["text"].is_string() || payload["text"].get<std::string>().empty()))
    problems.push_back("text: not a non-empty string");
  if (!payload.contains("blocks") || !payload["blocks"].is_array() || payload["blocks"].empty())
    return {"blocks: missing or empty"};
  const auto& blocks = payload["blocks"];
  if (blocks.size() > kSlackMaxBlocks) problems.push_back("blocks: more than 50");
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& b = blocks[i];
    const std::string where = "blocks[" + std::to_string(i) + "]";
    const std::string type =
        b.is_object() && b.contains("type") && b["type"].is_string() ? b["type"].get<std::string>() : "";
    if (type == "header") {
      text_object(b.value("text", nlohmann::json()), where + ".text", kSlackHeaderMax, true);
    } else if (type == "section") {
      const bool has_text = b.contains("text"), has_fields = b.contains("fields");
      if (!has_text && !has_fields) problems.push_back(where + ": section without text or fields");
      if (has_text) text_object(b["text"], where + ".text", kSlackSectionTextMax, false);
      if (has_fields) {
        if (!b["fields"].is_array() || b["fields"].empty() || b["fields"].size() > kSlackMaxFields)
          problems.push_back(where + ".fields: 1 to 10 items");
        else
          for (size_t f = 0; f < b["fields"].size(); ++f)
            text_object(b["fields"][f], where + ".fields[" + std::to_string(f) + "]", kSlackFieldMax, false);
      }
    } else if (type == "context") {
      if (!b.contains("elements") || !b["elements"].is_array() || b["elements"].empty() ||
          b["elements"].size() > kSlackContextMax) {
        problems.push_back(where + ".elements: 1 to 10 items");
      } else {
        for (size_t e = 0; e < b["elements"].size(); ++e)
          text_object(b["elements"][e], where + ".elements[" + std::to_string(e) + "]", kSlackSectionTextMax, false);
      }
    } else if (type != "divider") {
      problems.push_back(where + ": unknown block type '" + type + "'");
    }
  }
  return problems;
}

SlackSender::SlackSender(std::string url, RetryPolicy policy, std::chrono::milliseconds interval)
    : url_(std::move(url)), destination_(RedactUrl(url_)), policy_(policy) {
  hubspot::PacerOptions p;
  p.initial_max = 1;  // one message per interval
  p.interval_ms = std::max<int64_t>(1, interval.count());
  p.margin_ms = 0;
  p.search_per_second = 0;
  pacer_ = std::make_unique<hubspot::Pacer>(p);
}

SlackSender::~SlackSender() = default;

PostOutcome SlackSender::Post(const nlohmann::json& payload) {
  const std::string body = payload.dump();
  return PostWithRetries(url_, body, nullptr, policy_, "Slack webhook " + destination_,
                         [this] { pacer_->Acquire(hubspot::RequestKind::kStandard); });
}

}  // namespace revlens::deliver
