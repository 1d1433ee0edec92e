#pragma once
/// Shared pieces of the emulator's route handlers: HubSpot-shaped errors, query parameters,
/// record serialization, and the context every route family registers against.
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_writer.hpp"
#include "emulator/store.hpp"

namespace revlens::emulator {

class EmulatorServer;

/// What a route family needs: the server (portal, limiter, faults, webhooks) and the router.
struct RouteContext {
  EmulatorServer& server;
  httplib::Server& http;
};

/// Register each route family (one file each).
void RegisterObjectRoutes(RouteContext& ctx);       ///< routes_objects.cpp: CRUD + batch
void RegisterSearchRoutes(RouteContext& ctx);       ///< routes_search.cpp
void RegisterAssociationRoutes(RouteContext& ctx);  ///< routes_associations.cpp: v4 (+ v3 expansion helpers)
void RegisterMetadataRoutes(RouteContext& ctx);     ///< routes_metadata.cpp: properties, groups, pipelines, owners
void RegisterWebhookRoutes(RouteContext& ctx);      ///< webhooks.cpp: subscriptions and settings

/// A random UUID v4 string for `correlationId`.
std::string NewCorrelationId();

/// Send `{"status":"error","message",...,"correlationId","category","errors","context"}`.
void SendError(httplib::Response& res, int status, std::string_view category, std::string_view message,
               nlohmann::json errors = nlohmann::json::array(), nlohmann::json context = nlohmann::json::object());
/// Send a JSON body with `status`.
void SendJson(httplib::Response& res, int status, std::string body);
inline void SendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  SendJson(res, status, body.dump());
}

/// Array query parameter, accepting both `?p=a&p=b` and `?p=a,b`; empty items dropped.
std::vector<std::string> MultiParam(const httplib::Request& req, const char* name);
/// Boolean query parameter, case-insensitive (`true`, `True`); nullopt when absent; throws
/// BadRequest when not a boolean.
std::optional<bool> BoolParam(const httplib::Request& req, const char* name);
/// Integer query parameter; nullopt when absent; throws BadRequest when not an integer.
std::optional<int64_t> IntParam(const httplib::Request& req, const char* name);

/// Thrown by handlers for a 4xx; turned into HubSpot's error body by the server's exception handler.
struct BadRequest {
  int status = 400;
  std::string category = "VALIDATION_ERROR";
  std::string message;
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json context = nlohmann::json::object();
};

/// Resolve the `{objectType}` path segment or throw BadRequest (400, unknown object type).
ObjectType RequireObjectType(std::string_view text);
/// Parse a JSON request body or throw BadRequest (400 with the parse error).
nlohmann::json ParseBody(const httplib::Request& req);

/// What to include when serializing a record.
struct RecordView {
  std::vector<uint16_t> props;          ///< property indices (all of them are emitted; unset as null)
  std::vector<std::string> unknown_props;  ///< requested names the type lacks: ignored, as HubSpot does
  std::vector<uint16_t> history_props;  ///< propertiesWithHistory
  std::vector<ObjectType> associations; ///< `associations` expansion (v3 shape)
};
/// Build a view from requested property names (empty = the type's defaults).
RecordView MakeRecordView(const ObjectTable& table, const std::vector<std::string>& properties,
                          const std::vector<std::string>& properties_with_history,
                          const std::vector<ObjectType>& associations = {});
/// Write one record in HubSpot's SimplePublicObject(WithAssociations) shape.
void WriteRecord(JsonWriter& w, const Portal& portal, const ObjectTable& table, const Record& r, const RecordView& view);

}  // namespace revlens::emulator
