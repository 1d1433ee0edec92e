#include "deliver/batch_update.hpp"

#include <simdjson.h>

#include <charconv>
#include <unordered_map>
#include <unordered_set>

#include "core/json_writer.hpp"
#include "deliver/properties.hpp"
#include "hubspot/client.hpp"

namespace revlens::deliver {
namespace {

namespace dom = simdjson::dom;

[[noreturn]] void Malformed(const std::string& what) {
  throw hubspot::MalformedResponseError("malformed batch update response: " + what);
}

std::optional<int64_t> ParseId(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// An id given as a JSON string or integer.
std::optional<int64_t> ElementId(dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS) return ParseId(s);
  int64_t i = 0;
  if (e.get_int64().get(i) == simdjson::SUCCESS) return i;
  return std::nullopt;
}

// Categories that another attempt with the same values cannot fix.
QuarantineKind KindOfCategory(std::string_view category) {
  if (category == "OBJECT_NOT_FOUND") return QuarantineKind::kNotFound;
  if (category == "VALIDATION_ERROR" || category == "CONFLICT" || category.starts_with("INVALID")) {
    return QuarantineKind::kInvalid;
  }
  return QuarantineKind::kTransient;
}

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (s.size() > 400) s = s.substr(0, 400) + "...";
  return s;
}

// How one status for the whole batch is handled.
enum class WholeBatch { kSplit, kTransient, kFatal };

WholeBatch Classify(int status) {
  if (status == 401 || status == 403 || status == 429) return WholeBatch::kFatal;
  if (status == 400 || status == 404 || status == 409 || status == 422) return WholeBatch::kSplit;
  return WholeBatch::kTransient;  // 5xx after retries, 423 Locked, a malformed 2xx, anything unexpected
}

void Merge(BatchOutcome& into, BatchOutcome&& from) {
  into.accepted.insert(into.accepted.end(), from.accepted.begin(), from.accepted.end());
  for (auto& f : from.failed) into.failed.push_back(std::move(f));
  into.requests += from.requests;
}

}  // namespace

std::string BatchUpdateBody(const std::vector<BatchInput>& inputs) {
  std::string out;
  out.reserve(inputs.size() * 256);
  JsonWriter w(out);
  w.BeginObject();
  w.Key("inputs");
  w.BeginArray();
  for (const auto& in : inputs) {
    w.BeginObject();
    w.Key("id");
    w.String(std::to_string(in.id));
    w.Key("properties");
    w.BeginObject();
    for (const auto& [name, value] : in.properties) {
      w.Key(name);
      w.String(value);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return out;
}

BatchOutcome ParseBatchUpdateResponse(std::string_view body, const std::vector<BatchInput>& inputs) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parser.parse(body.data(), body.size()).get(doc); err != simdjson::SUCCESS) {
    Malformed(std::string("not JSON (") + simdjson::error_message(err) + ")");
  }
  dom::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) Malformed("expected a JSON object");
  dom::array results;
  if (root["results"].get_array().get(results) != simdjson::SUCCESS) Malformed("no results array");
  std::unordered_set<int64_t> result_ids;
  for (dom::element r : results) {
    dom::object o;
    if (r.get_object().get(o) != simdjson::SUCCESS) Malformed("a result is not an object");
    dom::element id;
    if (o["id"].get(id) != simdjson::SUCCESS) Malformed("a result has no id");
    if (auto v = ElementId(id)) result_ids.insert(*v);
  }

  BatchOutcome out;
  dom::array errors;
  if (root["errors"].get_array().get(errors) != simdjson::SUCCESS || errors.size() == 0) {
    for (const auto& in : inputs) out.accepted.push_back(in.id);
    return out;
  }
  std::unordered_map<int64_t, InputFailure> failed;
  bool unattributed = false;
  InputFailure general;
  for (dom::element e : errors) {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) Malformed("an error is not an object");
    std::string_view category, message;
    if (o["category"].get_string().get(category) != simdjson::SUCCESS) category = {};
    if (o["message"].get_string().get(message) != simdjson::SUCCESS) message = {};
    InputFailure f;
    f.kind = KindOfCategory(category);
    f.http_status = 207;
    f.reason = OneLine(std::string(category.empty() ? "ERROR" : category) + ": " + std::string(message));
    dom::array ids;
    if (o["context"]["ids"].get_array().get(ids) == simdjson::SUCCESS && ids.size() > 0) {
      for (dom::element id : ids) {
        if (auto v = ElementId(id)) {
          f.id = *v;
          failed.emplace(*v, f);
        }
      }
    } else {
      unattributed = true;
      general = f;
    }
  }
  for (const auto& in : inputs) {
    if (auto it = failed.find(in.id); it != failed.end()) {
      out.failed.push_back(it->second);
    } else if (unattributed && !result_ids.count(in.id)) {
      InputFailure f = general;
      f.id = in.id;
      out.failed.push_back(std::move(f));
    } else {
      out.accepted.push_back(in.id);
    }
  }
  return out;
}

BatchOutcome SendBatchUpdate(hubspot::Client& client, const std::string& object_type,
                             const std::vector<BatchInput>& inputs, const std::set<std::string>& allowed) {
  BatchOutcome out;
  if (inputs.empty()) return out;
  if (inputs.size() > kMaxBatchInputs) {
    throw InvalidInputError("a batch update takes at most " + std::to_string(kMaxBatchInputs) + " inputs, got " +
                            std::to_string(inputs.size()));
  }
  // The last guard of "never write outside the revlens group": only properties set up in it go out.
  for (const auto& in : inputs) {
    for (const auto& [name, value] : in.properties) {
      if (!allowed.count(name)) {
        throw ConfigError("refusing to write " + object_type + " property '" + name +
                          "': it is not one of the revlens properties set up in the '" + std::string(kGroupName) +
                          "' group");
      }
    }
  }
  const std::string path = "/crm/v3/objects/" + hubspot::UrlEncode(object_type) + "/batch/update";
  const std::string body = BatchUpdateBody(inputs);
  auto all_failed = [&](QuarantineKind kind, int status, const std::string& reason) {
    for (const auto& in : inputs) out.failed.push_back({in.id, kind, status, OneLine(reason)});
  };
  ++out.requests;
  try {
    client.Post(path, body, hubspot::RequestKind::kStandard, [&](const hubspot::Response& r) {
      BatchOutcome parsed = ParseBatchUpdateResponse(r.body, inputs);
      out.accepted = std::move(parsed.accepted);
      out.failed = std::move(parsed.failed);
    });
  } catch (const HubSpotApiError& e) {
    out.accepted.clear();
    out.failed.clear();
    switch (Classify(e.Status())) {
      case WholeBatch::kFatal:
        throw;
      case WholeBatch::kTransient:
        all_failed(QuarantineKind::kTransient, e.Status(), e.what());
        return out;
      case WholeBatch::kSplit:
        break;
    }
    if (inputs.size() == 1) {
      all_failed(e.Status() == 404 ? QuarantineKind::kNotFound : QuarantineKind::kInvalid, e.Status(), e.what());
      return out;
    }
    // HubSpot refuses the whole batch for one bad input and does not always say which: halve until it does.
    const auto mid = inputs.begin() + static_cast<std::ptrdiff_t>(inputs.size() / 2);
    Merge(out, SendBatchUpdate(client, object_type, std::vector<BatchInput>(inputs.begin(), mid), allowed));
    Merge(out, SendBatchUpdate(client, object_type, std::vector<BatchInput>(mid, inputs.end()), allowed));
  } catch (const IOError& e) {
    out.accepted.clear();
    out.failed.clear();
    all_failed(QuarantineKind::kTransient, 0, e.what());
  }
  return out;
}

}  // namespace revlens::deliver
