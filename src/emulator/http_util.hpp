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
  /// `"name":` for each of `props`, quoted once per view rather than once per record (filled by
  /// MakeRecordView; WriteRecord quotes the names itself when this does not match `props`).
  std::vector<std::string> prop_keys;
};
/// Build a view from requested property names (empty = the type's defaults).
RecordView MakeRecordView(const ObjectTable& table, const std::vector<std::string>& properties,
                          const std::vector<std::string>& properties_with_history,
                          const std::vector<ObjectType>& associations = {});
/// Write `"paging":{"next":{"after":…,"link":…}}` (HubSpot's cursor shape) as the next key;
/// an empty `link` is left out (search and v4 batch reads send none).
void WritePagingNext(JsonWriter& w, std::string_view after, std::string_view link);
/// Write one record in HubSpot's SimplePublicObject(WithAssociations) shape.
void WriteRecord(JsonWriter& w, const Portal& portal, const ObjectTable& table, const Record& r, const RecordView& view);

/// An association type id resolved from one object type: where it points and its inverse.
struct ResolvedAssociationType {
  ObjectType to = ObjectType::kContacts;
  int32_t type_id = 0;
  uint8_t category = 0;
  int32_t inverse_type_id = 0;  ///< the id of the same association seen from `to`
  std::string label;            ///< empty for HubSpot's unlabeled defaults
};
/// Resolve `type_id` from `from` (HubSpot defaults, the primary ids 1/2/5/6, user labels);
/// with `to` set, only types towards it. Nullopt when no such type exists. routes_associations.cpp.
std::optional<ResolvedAssociationType> ResolveAssociationType(const Portal& portal, ObjectType from, int32_t type_id,
                                                              std::optional<ObjectType> to = std::nullopt);
/// Associate both ways with `t` (from `from`) and publish associationChange events. The caller
/// holds Portal::mutex exclusively. Returns true when the edge is new. routes_associations.cpp.
bool AddAssociation(EmulatorServer& server, ObjectType from, int64_t from_id, int64_t to_id,
                    const ResolvedAssociationType& t);
/// Remove every association between the two records (both ways) and publish the events. The
/// caller holds Portal::mutex exclusively. Returns the number of edges removed from `from`.
size_t RemoveAssociations(EmulatorServer& server, ObjectType from, int64_t from_id, ObjectType to, int64_t to_id);

}  // namespace revlens::emulator
