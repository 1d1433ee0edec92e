// HubSpot CSV exports of a portal, as HubSpot's UI writes them ("Export all properties on records"): the
// fixture `revlens import` is tested against. What makes them HubSpot's and not a table dump:
//   - the header is property LABELS; the record id is `Record ID`; owners are `Contact owner`/`Deal owner`/...;
//   - enumeration values print as their option labels (`;`-joined for checkboxes), deal stages and pipelines as
//     their labels, owners as "First Last";
//   - datetimes print as wall-clock `YYYY-MM-DD HH:MM` in the portal's time zone (seconds dropped);
//   - associations are `Associated <Type> IDs` columns (`;`-separated ids), plus the older name column
//     `Associated Company` on contacts;
//   - deal stage dates are `Date entered "<stage> (<pipeline>)"` / `Date exited "..."` columns;
//   - RFC 4180 quoting only where a field needs it; only live (not archived) records, ids ascending.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "core/time_zone.hpp"
#include "emulator/generator/generator.hpp"

namespace revlens::emulator {
namespace {

namespace fs = std::filesystem;

void AppendField(std::string& out, std::string_view v) {
  const bool quote =
      v.find_first_of(",\"\r\n") != std::string_view::npos || (!v.empty() && (v.front() == ' ' || v.back() == ' '));
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void AppendRow(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    AppendField(out, fields[i]);
  }
  out += '\n';
}

std::string TwoDigits(unsigned v) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%02u", v % 100);
  return buf;
}

/// ISO text or epoch ms -> `YYYY-MM-DD HH:MM` in `tz`.
std::string LocalMinute(std::string_view value, const TimeZone& tz) {
  auto ms = ParseTimestampMillis(value);
  if (!ms) return std::string(value);
  const int64_t local = tz.ToLocal(FloorDiv(*ms, 1000));
  const int64_t days = FloorDiv(local, 86400), secs = local - days * 86400;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, y, m, d);
  return std::to_string(y) + "-" + TwoDigits(m) + "-" + TwoDigits(d) + " " +
         TwoDigits(static_cast<unsigned>(secs / 3600)) + ":" + TwoDigits(static_cast<unsigned>(secs % 3600 / 60));
}

std::vector<std::string_view> Split(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(';', start);
    if (end == std::string_view::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

struct AssocColumn {
  std::string header;
  ObjectType target;
  bool names = false;  ///< print names (the older `Associated Company` form) instead of ids
};

void WriteOne(const Portal& portal, ObjectType type, const TimeZone& tz, const fs::path& file) {
  const auto& table = portal.Table(type);
  const auto& props = table.Props();
  std::vector<uint16_t> cols;
  for (uint16_t i = 0; i < props.Size(); ++i) {
    const auto& d = props.Def(i);
    if (d.archived || d.hidden || d.name == "hs_object_id") continue;
    cols.push_back(i);
  }
  std::vector<AssocColumn> assoc;
  switch (type) {
    case ObjectType::kContacts:
      assoc = {{"Associated Company", ObjectType::kCompanies, true},
               {"Associated Company IDs", ObjectType::kCompanies},
               {"Associated Deal IDs", ObjectType::kDeals}};
      break;
    case ObjectType::kCompanies:
      assoc = {{"Associated Contact IDs", ObjectType::kContacts}, {"Associated Deal IDs", ObjectType::kDeals}};
      break;
    default:
      assoc = {{"Associated Contact IDs", ObjectType::kContacts}, {"Associated Company IDs", ObjectType::kCompanies}};
  }
  const char* owner_label = type == ObjectType::kContacts    ? "Contact owner"
                            : type == ObjectType::kCompanies ? "Company owner"
                                                             : "Deal owner";
  // Stage-date columns are labelled from the pipelines as they are now (a relabelled stage relabels them).
  std::map<std::string, std::string> stage_date_labels;
  for (const auto& p : portal.deal_pipelines) {
    for (const auto& s : p.stages) {
      stage_date_labels["hs_date_entered_" + s.id] = "Date entered \"" + s.label + " (" + p.label + ")\"";
      stage_date_labels["hs_date_exited_" + s.id] = "Date exited \"" + s.label + " (" + p.label + ")\"";
    }
  }
  std::vector<std::string> header = {"Record ID"};
  for (auto i : cols) {
    const auto& d = props.Def(i);
    auto stage = type == ObjectType::kDeals ? stage_date_labels.find(d.name) : stage_date_labels.end();
    header.push_back(d.name == "hubspot_owner_id"       ? owner_label
                     : stage != stage_date_labels.end() ? stage->second
                                                        : d.label);
  }
  for (const auto& a : assoc) header.push_back(a.header);

  std::map<std::string, std::string, std::less<>> owner_names;
  for (const auto& o : portal.owners) owner_names[std::to_string(o.id)] = o.first_name + " " + o.last_name;
  std::map<std::string, std::string, std::less<>> pipeline_labels;
  std::map<std::pair<std::string, std::string>, std::string> stage_labels;
  for (const auto& p : portal.deal_pipelines) {
    pipeline_labels[p.id] = p.label;
    for (const auto& s : p.stages) stage_labels[{p.id, s.id}] = s.label;
  }
  const auto name_prop = portal.Table(ObjectType::kCompanies).Props().Find("name");
  const auto pipeline_prop = props.Find("pipeline");

  std::string out;
  AppendRow(out, header);
  std::vector<std::string> row;
  for (const auto& r : table.Records()) {
    if (r.archived) continue;
    row.assign(1, std::to_string(r.id));
    const auto pipeline = pipeline_prop ? r.Get(*pipeline_prop) : std::nullopt;
    for (auto i : cols) {
      const auto& d = props.Def(i);
      const auto v = r.Get(i);
      if (!v || v->empty()) {
        row.emplace_back();
        continue;
      }
      if (d.type == "datetime") {
        row.push_back(LocalMinute(*v, tz));
      } else if (d.name == "hubspot_owner_id") {
        auto it = owner_names.find(*v);
        row.push_back(it == owner_names.end() ? std::string(*v) : it->second);
      } else if (d.name == "pipeline" && type == ObjectType::kDeals) {
        auto it = pipeline_labels.find(*v);
        row.push_back(it == pipeline_labels.end() ? std::string(*v) : it->second);
      } else if (d.name == "dealstage" && type == ObjectType::kDeals) {
        auto it = stage_labels.find({std::string(pipeline ? *pipeline : "default"), std::string(*v)});
        row.push_back(it == stage_labels.end() ? std::string(*v) : it->second);
      } else if (d.type == "enumeration" && !d.options.empty()) {
        std::string printed;
        for (auto part : Split(*v)) {
          std::string label(part);
          for (const auto& o : d.options)
            if (o.value == part) label = o.label;
          if (!printed.empty()) printed += ';';
          printed += label;
        }
        row.push_back(std::move(printed));
      } else {
        row.emplace_back(*v);
      }
    }
    for (const auto& a : assoc) {
      std::string cell;
      if (const auto edges = portal.Assoc(type, a.target).From(r.id); !edges.empty()) {
        std::vector<int64_t> ids;
        for (const auto& e : edges) {
          const Record* t = portal.Table(a.target).Find(e.to_id);
          if (t && !t->archived) ids.push_back(e.to_id);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        for (int64_t id : ids) {
          if (!cell.empty()) cell += ';';
          if (a.names) {
            const auto n = name_prop ? portal.Table(a.target).Find(id)->Get(*name_prop) : std::nullopt;
            if (n) cell += *n;
            else cell += std::to_string(id);
          } else {
            cell += std::to_string(id);
          }
        }
      }
      row.push_back(std::move(cell));
    }
    AppendRow(out, row);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(file.c_str(), "wb"), &std::fclose);
  if (!f) throw IOError("cannot write " + file.string());
  if (std::fwrite(out.data(), 1, out.size(), f.get()) != out.size()) throw IOError("short write to " + file.string());
}

}  // namespace

void WriteHubSpotExports(const Portal& portal, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IOError("cannot create " + dir + ": " + ec.message());
  const TimeZone tz = TimeZone::Load(portal.time_zone);
  WriteOne(portal, ObjectType::kContacts, tz, fs::path(dir) / "contacts.csv");
  WriteOne(portal, ObjectType::kCompanies, tz, fs::path(dir) / "companies.csv");
  WriteOne(portal, ObjectType::kDeals, tz, fs::path(dir) / "deals.csv");
}

}  // namespace revlens::emulator
