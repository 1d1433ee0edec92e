// POST /crm/v3/objects/{objectType}/search (hubspot-api-notes.md section 3). The engine lives in
// filter.cpp; this file reads the body, holds the portal lock and writes the page. The search
// rate limit is enforced in the server's pre-routing, not here.
#include <mutex>
#include <shared_mutex>

#include "core/json_writer.hpp"
#include "emulator/filter.hpp"
#include "emulator/http_util.hpp"
#include "emulator/server.hpp"

namespace revlens::emulator {

void RegisterSearchRoutes(RouteContext& ctx) {
  EmulatorServer& server = ctx.server;
  ctx.http.Post(R"(/crm/v3/objects/([^/]+)/search/?)", [&server](const httplib::Request& req, httplib::Response& res) {
    const ObjectType type = RequireObjectType(req.matches[1].str());
    const nlohmann::json body = ParseBody(req);
    const Portal& portal = server.GetPortal();
    std::string out;
    {
      std::shared_lock lock(portal.mutex);
      const ObjectTable& table = portal.Table(type);
      const SearchRequest search = ParseSearchRequest(body, table);
      const SearchPage page = RunSearch(search, portal, table);
      const RecordView view = MakeRecordView(table, search.properties, {});
      out.reserve(256 + page.results.size() * 96 * (view.props.size() + 1));
      JsonWriter w(out);
      w.BeginObject();
      w.Key("total");
      w.Int(page.total);
      w.Key("results");
      w.BeginArray();
      for (const Record* r : page.results) WriteRecord(w, portal, table, *r, view);
      w.EndArray();
      if (page.next_after) {
        WritePagingNext(w, std::to_string(*page.next_after), "");
      }
      w.EndObject();
    }
    SendJson(res, 200, std::move(out));
  });
}

}  // namespace revlens::emulator
