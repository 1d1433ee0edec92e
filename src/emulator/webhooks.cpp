#include "emulator/webhooks.hpp"

#include <curl/curl.h>
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>

#include "core/curl.hpp"
#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "emulator/http_util.hpp"
#include "emulator/server.hpp"
#include "hubspot/signature.hpp"

namespace revlens::emulator {
namespace {

using Clock = std::chrono::steady_clock;

// HubSpot sends "under 100 notifications" per request ([WH]).
constexpr size_t kMaxBatch = 100;
// How long the first queued event waits for company before a partial batch goes out: writes
// arriving together (a batch create) then share a POST, as HubSpot's do.
constexpr auto kBatchLinger = std::chrono::milliseconds(100);
// A receiver slower than this has failed ([WH]: "a response slower than 5 s").
constexpr long kRequestTimeoutMs = 5000;
constexpr int kMaxWorkers = 64;
constexpr size_t kMaxRetries = 10;
// Ten retries growing from a minute to seven hours, about 24 h in all, like HubSpot's schedule
// ("up to 10 retries spread over 24 hours"); HubSpot randomises its delays, the emulator does not
// so that runs repeat.
const std::vector<int> kDefaultRetryDelaysMs = {60'000,    180'000,    600'000,    1'800'000,  3'600'000,
                                                7'200'000, 10'800'000, 14'400'000, 21'600'000, 25'200'000};
constexpr size_t kMaxSubscriptions = 1000;

using CurlHeaders = curl::Slist;
using curl::Append;

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) {
  return size * nmemb;
}

int AbortOnStop(void* flag, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(flag)->load() ? 1 : 0;
}

// POST one signed batch. True on a 2xx within the time limit; false on anything else.
bool PostBatch(CURL* curl, const std::string& url, const std::string& body, const std::string& secret,
               const std::atomic<bool>& abort) {
  const int64_t ts = NowMillis();
  CurlHeaders headers;
  Append(headers, "Content-Type: application/json");
  Append(headers, "User-Agent: HubSpot Connect 2.0 (http://dev.hubspot.com/) - revlens emulator");
  // CRM object webhooks carry v1; v3 is added alongside, signed over the target URL exactly as
  // configured in the app settings.
  Append(headers, "X-HubSpot-Signature: " + hubspot::SignatureV1(secret, body));
  Append(headers, "X-HubSpot-Signature-Version: v1");
  Append(headers, "X-HubSpot-Signature-v3: " + hubspot::SignatureV3(secret, "POST", url, body, ts));
  Append(headers, "X-HubSpot-Request-Timestamp: " + std::to_string(ts));

  curl_easy_reset(curl);  // keeps the connection cache: keep-alive across batches
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kRequestTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kRequestTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &DiscardBody);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &AbortOnStop);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&abort));
  if (curl_easy_perform(curl) != CURLE_OK) return false;
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  return status >= 200 && status < 300;
}

// `contact.creation` -> ("contact", "creation").
std::pair<std::string_view, std::string_view> SplitEventType(std::string_view event_type) {
  const size_t dot = event_type.find('.');
  if (dot == std::string_view::npos) return {event_type, {}};
  return {event_type.substr(0, dot), event_type.substr(dot + 1)};
}

bool Matches(const WebhookSubscription& s, ObjectType type, std::string_view kind, std::string_view property) {
  if (!s.active) return false;
  const auto [prefix, suffix] = SplitEventType(s.event_type);
  if (suffix != kind) return false;
  if (prefix == "object") {
    // Generic subscriptions name the type by id; ParseObjectType accepts `0-48` and names alike.
    const auto sub_type = ParseObjectType(s.object_type_id);
    if (!sub_type || *sub_type != type) return false;
  } else if (prefix != ObjectTypeSingular(type)) {
    return false;
  }
  return kind != "propertyChange" || s.property_name.empty() || s.property_name == property;
}

}  // namespace

WebhookDispatcher::WebhookDispatcher(Portal& portal, std::string client_secret)
    : portal_(portal), client_secret_(std::move(client_secret)), retry_delays_ms_(kDefaultRetryDelaysMs) {
  curl::GlobalInit();
}

WebhookDispatcher::~WebhookDispatcher() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    stats_.dropped += queue_.size();
    for (const auto& r : retries_) stats_.dropped += r.events.size();
    queue_.clear();
    retries_.clear();
  }
  abort_ = true;
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void WebhookDispatcher::Publish(ObjectType type, std::string_view kind, int64_t object_id, std::string property_name,
                                std::string property_value, nlohmann::json extra) {
  if (portal_.webhook_target_url.empty() || portal_.subscriptions.empty()) return;
  const int64_t now_ms = NowMillis();
  // Converted once: an event per matching subscription copies these JSON values.
  const nlohmann::json name_json(std::move(property_name)), value_json(std::move(property_value));
  const auto& name = name_json.get_ref<const std::string&>();
  std::vector<nlohmann::json> events;
  for (const auto& s : portal_.subscriptions) {
    if (!Matches(s, type, kind, name)) continue;
    nlohmann::json e = {{"subscriptionId", s.id},
                        {"portalId", portal_.portal_id},
                        {"appId", portal_.app_id},
                        {"occurredAt", now_ms},
                        {"subscriptionType", s.event_type},
                        {"attemptNumber", 0},
                        {"objectId", object_id},
                        {"changeSource", "API"}};
    if (kind == "propertyChange") {
      e["propertyName"] = name_json;
      e["propertyValue"] = value_json;
    }
    if (SplitEventType(s.event_type).first == "object") e["objectTypeId"] = std::string(ObjectTypeId(type));
    if (extra.is_object()) {
      for (auto it = extra.begin(); it != extra.end(); ++it) e[it.key()] = it.value();
    }
    events.push_back(std::move(e));
  }
  if (events.empty()) return;

  std::lock_guard lock(mu_);
  if (stopping_) return;
  target_url_ = portal_.webhook_target_url;
  max_workers_ = std::clamp(portal_.max_concurrent_webhook_requests, 1, kMaxWorkers);
  while (static_cast<int>(workers_.size()) < max_workers_) workers_.emplace_back([this] { Worker(); });
  if (queue_.empty()) first_queued_ = Clock::now();
  for (auto& e : events) {
    e["eventId"] = next_event_id_++;
    queue_.push_back(std::move(e));
    ++stats_.events_published;
    // Wake a worker when a linger period starts and whenever a full batch is ready.
    if (queue_.size() == 1 || queue_.size() % kMaxBatch == 0) cv_.notify_one();
  }
}

bool WebhookDispatcher::TakeWork(Pending& out, Clock::time_point now) {
  if (in_flight_ >= max_workers_) return false;
  // Retries that are due go first, earliest first.
  auto due = retries_.end();
  for (auto it = retries_.begin(); it != retries_.end(); ++it) {
    if (it->due <= now && (due == retries_.end() || it->due < due->due)) due = it;
  }
  if (due != retries_.end()) {
    out = std::move(*due);
    retries_.erase(due);
    return true;
  }
  if (queue_.size() >= kMaxBatch || (!queue_.empty() && now >= first_queued_ + kBatchLinger)) {
    const size_t n = std::min(kMaxBatch, queue_.size());
    out = Pending{};
    out.events.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      out.events.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    out.url = target_url_;
    return true;
  }
  return false;
}

void WebhookDispatcher::Worker() {
  curl::Easy curl(curl_easy_init());  // null when libcurl cannot make one: every post then fails and is retried
  for (;;) {
    Pending batch;
    {
      std::unique_lock lock(mu_);
      for (;;) {
        if (stopping_) return;
        if (TakeWork(batch, Clock::now())) break;
        std::optional<Clock::time_point> wake;
        if (in_flight_ < max_workers_) {
          for (const auto& r : retries_) wake = wake ? std::min(*wake, r.due) : r.due;
          if (!queue_.empty())
            wake = wake ? std::min(*wake, first_queued_ + kBatchLinger) : first_queued_ + kBatchLinger;
        }
        if (wake) {
          cv_.wait_until(lock, *wake);
        } else {
          cv_.wait(lock);
        }
      }
      ++in_flight_;
      ++stats_.attempts;
    }

    bool ok = false;
    if (curl) {
      try {
        ok = PostBatch(curl.get(), batch.url, nlohmann::json(batch.events).dump(), client_secret_, abort_);
      } catch (const std::exception&) {
        ok = false;  // counted as a failed attempt below, like a refused connection
      }
    }

    std::lock_guard lock(mu_);
    --in_flight_;
    ++batch.attempts;
    if (ok) {
      ++stats_.batches_delivered;
    } else {
      ++stats_.failures;
      const size_t retry = static_cast<size_t>(batch.attempts) - 1;
      if (!stopping_ && retry < retry_delays_ms_.size()) {
        batch.due = Clock::now() + std::chrono::milliseconds(retry_delays_ms_[retry]);
        for (auto& e : batch.events) e["attemptNumber"] = batch.attempts;
        retries_.push_back(std::move(batch));
      } else {
        stats_.dropped += batch.events.size();
      }
    }
    cv_.notify_all();
    idle_cv_.notify_all();
  }
}

bool WebhookDispatcher::Flush(int timeout_ms) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return queue_.empty() && retries_.empty() && in_flight_ == 0; });
}

WebhookStats WebhookDispatcher::Stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void WebhookDispatcher::SetRetryDelays(std::vector<int> delays_ms) {
  if (delays_ms.size() > kMaxRetries) delays_ms.resize(kMaxRetries);
  for (auto& d : delays_ms) d = std::max(0, d);
  std::lock_guard lock(mu_);
  retry_delays_ms_ = std::move(delays_ms);
}

// ---------------------------------------------------------------------------------------------
// Webhooks v3 management API: /webhooks/v3/{appId}/subscriptions and /settings. Field names as
// HubSpot's official Node client (codegen/webhooks/models) sends and reads them.
namespace {

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

// Handlers report 4xx by throwing BadRequest; answer it here so the routes behave the same with
// or without the server's exception handler.
httplib::Server::Handler Guarded(Handler h) {
  return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
    try {
      h(req, res);
    } catch (const BadRequest& b) {
      SendError(res, b.status, b.category, b.message, b.errors, b.context);
    }
  };
}

std::optional<int64_t> ParseId(const std::string& text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

void RequireApp(const Portal& portal, const httplib::Request& req) {
  const auto app = ParseId(req.matches[1]);
  if (!app || *app != portal.app_id) {
    throw BadRequest{404, "OBJECT_NOT_FOUND", "App " + std::string(req.matches[1]) + " does not exist"};
  }
}

nlohmann::json SubscriptionJson(const WebhookSubscription& s) {
  nlohmann::json j = {{"id", std::to_string(s.id)},
                      {"eventType", s.event_type},
                      {"active", s.active},
                      {"createdAt", FormatIsoMillis(s.created_ms)},
                      {"updatedAt", FormatIsoMillis(s.updated_ms)}};
  if (!s.property_name.empty()) j["propertyName"] = s.property_name;
  if (!s.object_type_id.empty()) j["objectTypeId"] = s.object_type_id;
  return j;
}

WebhookSubscription* FindSubscription(Portal& portal, int64_t id) {
  for (auto& s : portal.subscriptions) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

WebhookSubscription& RequireSubscription(Portal& portal, const std::string& id_text) {
  const auto id = ParseId(id_text);
  WebhookSubscription* s = id ? FindSubscription(portal, *id) : nullptr;
  if (s == nullptr) throw BadRequest{404, "OBJECT_NOT_FOUND", "Subscription " + id_text + " does not exist"};
  return *s;
}

bool IsOneOf(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// Validate a create request into a subscription (id and timestamps left to the caller).
WebhookSubscription ParseCreate(const nlohmann::json& body) {
  if (!body.is_object()) throw BadRequest{400, "VALIDATION_ERROR", "The request body must be a JSON object"};
  WebhookSubscription s;
  const auto et = body.find("eventType");
  if (et == body.end() || !et->is_string()) {
    throw BadRequest{400, "VALIDATION_ERROR", "eventType is required, e.g. contact.creation"};
  }
  s.event_type = et->get<std::string>();
  const auto [prefix, suffix] = SplitEventType(s.event_type);
  // HubSpot's object families plus the emulator's engagement names (call.creation, ...).
  const bool known_prefix = IsOneOf(prefix, {"contact", "company", "deal", "ticket", "product", "line_item",
                                             "conversation", "object", "call", "email", "meeting", "note", "task"});
  const bool known_suffix = IsOneOf(suffix, {"creation", "deletion", "propertyChange", "associationChange", "merge",
                                             "restore", "privacyDeletion", "newMessage"});
  if (!known_prefix || !known_suffix) {
    throw BadRequest{400, "VALIDATION_ERROR",
                     "Unknown eventType '" + s.event_type +
                         "': use <contact|company|deal|object>.<creation|deletion|"
                         "propertyChange|associationChange|merge|restore>"};
  }
  if (prefix == "object") {
    const auto ot = body.find("objectTypeId");
    if (ot == body.end() || !ot->is_string() || !ParseObjectType(ot->get<std::string>())) {
      throw BadRequest{400, "VALIDATION_ERROR",
                       "objectTypeId is required for " + s.event_type + " and must name an object type, e.g. 0-48"};
    }
    s.object_type_id = std::string(ObjectTypeId(*ParseObjectType(ot->get<std::string>())));
  }
  if (suffix == "propertyChange") {
    const auto pn = body.find("propertyName");
    if (pn == body.end() || !pn->is_string() || pn->get<std::string>().empty()) {
      throw BadRequest{400, "VALIDATION_ERROR", "propertyName is required for " + s.event_type + " subscriptions"};
    }
    s.property_name = pn->get<std::string>();
  }
  // The Node client documents `active` as defaulting to false.
  s.active = false;
  if (const auto a = body.find("active"); a != body.end()) {
    if (!a->is_boolean()) throw BadRequest{400, "VALIDATION_ERROR", "active must be true or false"};
    s.active = a->get<bool>();
  }
  return s;
}

nlohmann::json SettingsJson(const Portal& portal) {
  return {{"targetUrl", portal.webhook_target_url},
          {"throttling",
           {{"maxConcurrentRequests", portal.max_concurrent_webhook_requests},
            {"period", portal.webhook_throttling_period}}},
          {"createdAt", FormatIsoMillis(portal.webhook_settings_created_ms)},
          {"updatedAt", FormatIsoMillis(portal.webhook_settings_updated_ms)}};
}

}  // namespace

void RegisterWebhookRoutes(httplib::Server& http, Portal& portal) {
  Portal* p = &portal;
  const std::string base = R"(/webhooks/v3/(\d+))";

  http.Get(base + "/subscriptions", Guarded([p](const httplib::Request& req, httplib::Response& res) {
             RequireApp(*p, req);
             std::shared_lock lock(p->mutex);
             nlohmann::json results = nlohmann::json::array();
             for (const auto& s : p->subscriptions) results.push_back(SubscriptionJson(s));
             SendJson(res, 200, nlohmann::json{{"results", std::move(results)}});
           }));

  http.Post(base + "/subscriptions", Guarded([p](const httplib::Request& req, httplib::Response& res) {
              RequireApp(*p, req);
              WebhookSubscription s = ParseCreate(ParseBody(req));
              std::unique_lock lock(p->mutex);
              if (p->subscriptions.size() >= kMaxSubscriptions) {
                throw BadRequest{400, "VALIDATION_ERROR", "An app can have at most 1000 subscriptions"};
              }
              int64_t max_id = 0;
              for (const auto& o : p->subscriptions) max_id = std::max(max_id, o.id);
              s.id = max_id + 1;
              s.created_ms = s.updated_ms = NowMillis();
              p->subscriptions.push_back(s);
              SendJson(res, 201, SubscriptionJson(s));
            }));

  http.Post(base + "/subscriptions/batch/update", Guarded([p](const httplib::Request& req, httplib::Response& res) {
              RequireApp(*p, req);
              const nlohmann::json body = ParseBody(req);
              const auto inputs = body.is_object() ? body.find("inputs") : body.end();
              if (inputs == body.end() || !inputs->is_array()) {
                throw BadRequest{400, "VALIDATION_ERROR", "inputs is required: [{\"id\": 1, \"active\": true}, ...]"};
              }
              for (const auto& in : *inputs) {
                if (!in.is_object() || !in.contains("id") || !in.contains("active") || !in["active"].is_boolean() ||
                    !(in["id"].is_number_integer() || in["id"].is_string())) {
                  throw BadRequest{400, "VALIDATION_ERROR", "Each input needs an integer id and a boolean active"};
                }
              }
              const std::string started = FormatIsoMillis(NowMillis());
              std::unique_lock lock(p->mutex);
              nlohmann::json results = nlohmann::json::array(), errors = nlohmann::json::array();
              const int64_t now = NowMillis();
              for (const auto& in : *inputs) {
                const std::string id_text =
                    in["id"].is_string() ? in["id"].get<std::string>() : std::to_string(in["id"].get<int64_t>());
                const auto id = ParseId(id_text);
                WebhookSubscription* s = id ? FindSubscription(*p, *id) : nullptr;
                if (s == nullptr) {
                  errors.push_back({{"status", "error"},
                                    {"category", "OBJECT_NOT_FOUND"},
                                    {"message", "Subscription " + id_text + " does not exist"},
                                    {"context", {{"ids", {id_text}}}},
                                    {"errors", nlohmann::json::array()},
                                    {"links", nlohmann::json::object()}});
                  continue;
                }
                s->active = in["active"].get<bool>();
                s->updated_ms = now;
                results.push_back(SubscriptionJson(*s));
              }
              nlohmann::json out = {{"status", "COMPLETE"},
                                    {"results", std::move(results)},
                                    {"startedAt", started},
                                    {"completedAt", FormatIsoMillis(NowMillis())}};
              const bool partial = !errors.empty();
              if (partial) {
                out["numErrors"] = errors.size();
                out["errors"] = std::move(errors);
              }
              SendJson(res, partial ? 207 : 200, out);
            }));

  const std::string one = base + R"(/subscriptions/([^/]+))";
  http.Get(one, Guarded([p](const httplib::Request& req, httplib::Response& res) {
             RequireApp(*p, req);
             std::shared_lock lock(p->mutex);
             SendJson(res, 200, SubscriptionJson(RequireSubscription(*p, req.matches[2])));
           }));

  http.Patch(one, Guarded([p](const httplib::Request& req, httplib::Response& res) {
               RequireApp(*p, req);
               const nlohmann::json body = ParseBody(req);
               if (!body.is_object())
                 throw BadRequest{400, "VALIDATION_ERROR", "The request body must be a JSON object"};
               const auto a = body.find("active");
               if (a != body.end() && !a->is_boolean()) {
                 throw BadRequest{400, "VALIDATION_ERROR", "active must be true or false"};
               }
               std::unique_lock lock(p->mutex);
               WebhookSubscription& s = RequireSubscription(*p, req.matches[2]);
               if (a != body.end()) s.active = a->get<bool>();
               s.updated_ms = NowMillis();
               SendJson(res, 200, SubscriptionJson(s));
             }));

  http.Delete(one, Guarded([p](const httplib::Request& req, httplib::Response& res) {
                RequireApp(*p, req);
                std::unique_lock lock(p->mutex);
                const WebhookSubscription& s = RequireSubscription(*p, req.matches[2]);
                const int64_t id = s.id;
                std::erase_if(p->subscriptions, [id](const WebhookSubscription& o) { return o.id == id; });
                res.status = 204;
              }));

  http.Get(base + "/settings", Guarded([p](const httplib::Request& req, httplib::Response& res) {
             RequireApp(*p, req);
             std::shared_lock lock(p->mutex);
             if (p->webhook_target_url.empty()) {
               throw BadRequest{404, "OBJECT_NOT_FOUND", "No webhook settings for app " + std::to_string(p->app_id)};
             }
             SendJson(res, 200, SettingsJson(*p));
           }));

  http.Put(base + "/settings", Guarded([p](const httplib::Request& req, httplib::Response& res) {
             RequireApp(*p, req);
             const nlohmann::json body = ParseBody(req);
             if (!body.is_object()) throw BadRequest{400, "VALIDATION_ERROR", "The request body must be a JSON object"};
             const auto url = body.find("targetUrl");
             if (url == body.end() || !url->is_string() ||
                 !(url->get<std::string>().starts_with("http://") || url->get<std::string>().starts_with("https://"))) {
               throw BadRequest{400, "VALIDATION_ERROR", "targetUrl is required and must be an http(s) URL"};
             }
             int max_concurrent = -1;
             std::string period;
             if (const auto t = body.find("throttling"); t != body.end()) {
               if (!t->is_object()) throw BadRequest{400, "VALIDATION_ERROR", "throttling must be an object"};
               if (const auto m = t->find("maxConcurrentRequests"); m != t->end()) {
                 if (!m->is_number_integer() || m->get<int64_t>() < 1 || m->get<int64_t>() > 100) {
                   throw BadRequest{400, "VALIDATION_ERROR",
                                    "throttling.maxConcurrentRequests must be an integer from 1 to 100"};
                 }
                 max_concurrent = m->get<int>();
               }
               if (const auto per = t->find("period"); per != t->end()) {
                 if (!per->is_string() || !IsOneOf(per->get<std::string>(), {"SECONDLY", "ROLLING_MINUTE"})) {
                   throw BadRequest{400, "VALIDATION_ERROR", "throttling.period must be SECONDLY or ROLLING_MINUTE"};
                 }
                 period = per->get<std::string>();
               }
             }
             std::unique_lock lock(p->mutex);
             const int64_t now = NowMillis();
             if (p->webhook_target_url.empty() || p->webhook_settings_created_ms == 0) {
               p->webhook_settings_created_ms = now;
             }
             p->webhook_settings_updated_ms = now;
             p->webhook_target_url = url->get<std::string>();
             if (max_concurrent > 0) p->max_concurrent_webhook_requests = max_concurrent;
             if (!period.empty()) p->webhook_throttling_period = period;
             SendJson(res, 200, SettingsJson(*p));
           }));

  http.Delete(base + "/settings", Guarded([p](const httplib::Request& req, httplib::Response& res) {
                RequireApp(*p, req);
                std::unique_lock lock(p->mutex);
                p->webhook_target_url.clear();
                p->webhook_settings_created_ms = p->webhook_settings_updated_ms = 0;
                res.status = 204;
              }));
}

void RegisterWebhookRoutes(RouteContext& ctx) {
  RegisterWebhookRoutes(ctx.http, ctx.server.GetPortal());
}

}  // namespace revlens::emulator
