// revlens enrich --push: provider values into HubSpot's own properties, never over a person's value.
#include "enrich/hubspot_push.hpp"
#include "core/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "deliver/batch_update.hpp"
#include "deliver/push_state.hpp"
#include "hubspot/client.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::enrich {
namespace {

using nlohmann::json;
using warehouse::Warehouse;

/// A whole decimal number (`1200`, `-3.5`, `+7`, `1e6`), nothing else around it; no inf or nan.
std::optional<double> StrictNumber(std::string_view s) {
  s = TrimSpace(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double d = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

/// `1200`, `1250000.5`: whole numbers without a fraction, others in the shortest fixed notation (no exponent).
std::string PlainNumber(double d) {
  if (std::floor(d) == d && std::fabs(d) < 9e15) return std::to_string(static_cast<int64_t>(d));
  char buf[400];
  const auto [p, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buf, p) : std::to_string(d);
}

/// An option's spelling with case, spaces and punctuation ignored: `Computer Software` and `COMPUTER_SOFTWARE`
/// both give `COMPUTER_SOFTWARE`.
std::string OptionKey(std::string_view s) {
  std::string out;
  bool gap = false;
  for (unsigned char c : s) {
    if (std::isalnum(c)) {
      if (gap && !out.empty()) out += '_';
      out += static_cast<char>(std::toupper(c));
      gap = false;
    } else {
      gap = true;
    }
  }
  return out;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

/// The option value `item` stands for: the value itself, then the value or label with case ignored, then with
/// spaces and punctuation ignored.
std::optional<std::string> MatchOption(const PropertyDefinition& def, std::string_view item) {
  for (const auto& [value, label] : def.options)
    if (value == item) return value;
  for (const auto& [value, label] : def.options)
    if (EqualsIgnoringCase(value, item) || EqualsIgnoringCase(label, item)) return value;
  const std::string key = OptionKey(item);
  if (key.empty()) return std::nullopt;
  for (const auto& [value, label] : def.options)
    if (OptionKey(value) == key || OptionKey(label) == key) return value;
  return std::nullopt;
}

/// A property definition from HubSpot's property JSON (the API's, or the `options` column the sync keeps).
PropertyDefinition DefinitionOf(const json& p) {
  PropertyDefinition d;
  d.name = p.value("name", std::string());
  d.type = p.value("type", std::string());
  d.field_type = p.value("fieldType", std::string());
  if (auto it = p.find("options"); it != p.end() && it->is_array()) {
    for (const auto& o : *it) {
      if (o.is_object() && o.contains("value") && o["value"].is_string())
        d.options.emplace_back(o["value"].get<std::string>(), o.value("label", std::string()));
    }
  }
  bool read_only_value = false;
  if (auto m = p.find("modificationMetadata"); m != p.end() && m->is_object())
    read_only_value = m->value("readOnlyValue", false);
  d.read_only = p.value("calculated", false) || read_only_value;
  return d;
}

/// Property definitions of `names` on `object_type`: from HubSpot when there is a client (what it accepts now),
/// else from the `properties` table of the last sync. A name missing from the map does not exist.
std::map<std::string, PropertyDefinition> LoadDefinitions(Warehouse& wh, hubspot::Client* client,
                                                          const std::string& schema, const std::string& object_type,
                                                          const std::vector<std::string>& names, int64_t& requests) {
  std::map<std::string, PropertyDefinition> out;
  if (names.empty()) return out;
  if (client != nullptr) {
    json body{{"archived", false}, {"inputs", json::array()}};
    for (const auto& n : names) body["inputs"].push_back({{"name", n}});
    json answer;
    ++requests;
    client->Post("/crm/v3/properties/" + hubspot::UrlEncode(object_type) + "/batch/read", body.dump(),
                 hubspot::RequestKind::kStandard, [&answer](const hubspot::Response& r) {
                   answer = json::parse(r.body, nullptr, false);
                   if (answer.is_discarded() || !answer.is_object())
                     throw hubspot::MalformedResponseError("property batch read: the answer is not a JSON object");
                 });
    for (const auto& p : answer.value("results", json::array())) {
      if (!p.is_object()) continue;
      PropertyDefinition d = DefinitionOf(p);
      if (!d.name.empty()) out[d.name] = std::move(d);
    }
    return out;
  }
  if (!wh.TableExists(schema, "properties")) return out;
  std::string in;
  for (const auto& n : names) in += (in.empty() ? "" : ", ") + Warehouse::QuoteLiteral(n);
  const auto rs = wh.Query("select name, type, field_type, cast(options as varchar), calculated from " +
                           Warehouse::QualifiedName(schema, "properties") +
                           " where object_type = " + Warehouse::QuoteLiteral(object_type) +
                           " and is_deleted is not true and name in (" + in + ")");
  for (const auto& row : rs.rows) {
    auto text = [&](size_t i) { return warehouse::IsNull(row[i]) ? std::string() : warehouse::AsString(row[i]); };
    json p{{"name", text(0)}, {"type", text(1)}, {"fieldType", text(2)}};
    p["options"] = json::parse(text(3).empty() ? "[]" : text(3), nullptr, false);
    p["calculated"] = !warehouse::IsNull(row[4]) && warehouse::AsBool(row[4]);
    PropertyDefinition d = DefinitionOf(p);
    out[d.name] = std::move(d);
  }
  return out;
}

/// The latest provider value of one record and property, the warehouse copy and what revlens wrote last.
struct ProviderValue {
  int64_t id = 0;
  std::string property, raw, hubspot_copy, last_pushed;
  bool has_state = false;  ///< the push state has a row (SaveValues replaces it)
  std::string value;       ///< formatted for HubSpot
};

/// The latest value per live record and property (the models' pick: newest received, then request id), beside
/// the record's value of that property in the warehouse copy.
std::vector<ProviderValue> ReadProviderValues(Warehouse& wh, const std::string& s, const std::string& object_type) {
  const std::string results = Warehouse::QualifiedName(s, "enrichment_results");
  const std::string live =
      "e.object_type = " + Warehouse::QuoteLiteral(object_type) + " and e.value is not null and trim(e.value) <> ''";
  const auto props =
      wh.Query("select distinct e.property from " + results + " as e where " + live + " order by e.property");
  std::set<std::string> columns;
  for (const auto& c : wh.Columns(s, object_type)) columns.insert(c.name);
  std::string copy;
  for (const auto& row : props.rows) {
    const std::string prop = warehouse::AsString(row[0]);
    const std::string col = sync::PropertyColumn(prop);
    if (!columns.count(col))
      continue;  // never synced: HubSpot has no such property (the definitions say so) or it is new
    copy += " when " + Warehouse::QuoteLiteral(prop) + " then cast(c." + Warehouse::QuoteIdent(col) + " as varchar)";
  }
  copy = copy.empty() ? "cast(null as varchar)" : "case l.property" + copy + " end";
  const auto rs = wh.Query(
      "select l.record_id, l.property, l.value, " + copy +
      " from (select e.record_id, e.property, e.value, row_number() over (partition by e.record_id, e.property "
      "order by e.received_at desc, e.request_id desc) as rn from " +
      results + " as e where " + live + ") as l join " + Warehouse::QualifiedName(s, object_type) +
      " as c on c.id = l.record_id where l.rn = 1 and c.is_deleted is not true order by l.record_id, l.property");
  std::vector<ProviderValue> out;
  out.reserve(rs.RowCount());
  for (const auto& row : rs.rows) {
    ProviderValue v;
    v.id = warehouse::AsInt64(row[0]);
    v.property = warehouse::AsString(row[1]);
    v.raw = warehouse::AsString(row[2]);
    if (!warehouse::IsNull(row[3])) v.hubspot_copy = std::string(TrimSpace(warehouse::AsString(row[3])));
    out.push_back(std::move(v));
  }
  return out;
}

/// HubSpot's current values of `properties` for `ids` (at most 100): id -> property -> value ("" for null).
/// Ids HubSpot does not return are not in the map (deleted, or merged into another record).
std::unordered_map<int64_t, std::map<std::string, std::string>> ReadHubSpotValues(
    hubspot::Client& client, const std::string& object_type, const std::vector<int64_t>& ids,
    const std::set<std::string>& properties) {
  json body{{"properties", json::array()}, {"inputs", json::array()}};
  for (const auto& p : properties) body["properties"].push_back(p);
  for (int64_t id : ids) body["inputs"].push_back({{"id", std::to_string(id)}});
  std::unordered_map<int64_t, std::map<std::string, std::string>> out;
  client.Post("/crm/v3/objects/" + hubspot::UrlEncode(object_type) + "/batch/read", body.dump(),
              hubspot::RequestKind::kStandard, [&out](const hubspot::Response& r) {
                const json answer = json::parse(r.body, nullptr, false);
                if (answer.is_discarded() || !answer.is_object() || !answer.contains("results"))
                  throw hubspot::MalformedResponseError("batch read: the answer has no results");
                out.clear();
                for (const auto& rec : answer["results"]) {
                  if (!rec.is_object() || !rec.contains("id")) continue;
                  const json& idj = rec["id"];
                  int64_t id = 0;
                  if (idj.is_string()) {
                    const std::string t = idj.get<std::string>();
                    if (std::from_chars(t.data(), t.data() + t.size(), id).ec != std::errc()) continue;
                  } else if (idj.is_number_integer()) {
                    id = idj.get<int64_t>();
                  } else {
                    continue;
                  }
                  auto& props = out[id];
                  const json values = rec.value("properties", json::object());
                  for (const auto& [k, v] : values.items())
                    props[k] = v.is_string() ? std::string(TrimSpace(v.get<std::string>())) : "";
                }
              });
  return out;
}

std::string PayloadOf(const std::vector<ProviderValue*>& values) {
  json j = json::object();
  for (const auto* v : values) j[v->property] = v->value;
  return j.dump();
}

std::string Singular(const std::string& object_type) {
  return object_type == "companies" ? "company" : object_type == "contacts" ? "contact" : object_type;
}

/// Push one object type.
void PushObjectType(Warehouse& wh, hubspot::Client* client, const EnrichPushOptions& o, const std::string& type,
                    deliver::PushStateStore& store, EnrichPushSummary& sum, EnrichPushObject& out) {
  std::vector<ProviderValue> values = ReadProviderValues(wh, o.schema, type);
  out.values = static_cast<int64_t>(values.size());
  if (values.empty()) return;
  std::vector<std::string> props;
  for (const auto& v : values) props.push_back(v.property);
  std::sort(props.begin(), props.end());
  props.erase(std::unique(props.begin(), props.end()), props.end());
  std::map<std::string, size_t> prop_index;
  for (size_t i = 0; i < props.size(); ++i) prop_index[props[i]] = i;
  const deliver::StateMap state = store.LoadValues(type, props);
  const deliver::QuarantineMap quarantine = store.LoadQuarantine(type);
  const auto defs = LoadDefinitions(wh, client, o.schema, type, props, out.read_requests);

  // 1. Judge each value on the warehouse copy and the push state.
  std::map<std::string, int64_t> missing_prop, read_only_prop;
  std::map<std::string, std::pair<int64_t, std::string>> invalid_prop;  // count, first example
  std::map<int64_t, std::vector<ProviderValue*>> by_record;
  for (auto& v : values) {
    if (auto it = state.find(v.id); it != state.end()) {
      v.last_pushed = it->second[prop_index.at(v.property)];
      v.has_state = !v.last_pushed.empty();
    }
    // A value in HubSpot that revlens did not write is a person's (or another integration's): never touched.
    if (!v.hubspot_copy.empty() && !(v.has_state && SameHubSpotValue(v.hubspot_copy, v.last_pushed))) {
      ++out.kept_hubspot;
      continue;
    }
    const auto def = defs.find(v.property);
    if (def == defs.end() || def->second.read_only) {
      ++out.skipped_property;
      ++(def == defs.end() ? missing_prop : read_only_prop)[v.property];
      continue;
    }
    const FormattedValue f = FormatForHubSpot(def->second, v.raw);
    if (!f.ok) {
      ++out.invalid;
      auto& [n, example] = invalid_prop[v.property];
      if (n++ == 0) example = f.reason + " (" + Singular(type) + " " + std::to_string(v.id) + ")";
      continue;
    }
    v.value = f.value;
    if (v.has_state && SameHubSpotValue(v.value, v.last_pushed)) {
      ++out.unchanged;
      continue;
    }
    by_record[v.id].push_back(&v);
  }
  for (const auto& [prop, n] : missing_prop)
    sum.warnings.push_back(type + " property '" + prop + "' does not exist in HubSpot: " + std::to_string(n) +
                           " provider values not sent (create it, or map the provider's field onto another)");
  for (const auto& [prop, n] : read_only_prop)
    sum.warnings.push_back(type + " property '" + prop + "' is read-only in HubSpot: " + std::to_string(n) +
                           " provider values not sent");
  for (const auto& [prop, e] : invalid_prop)
    sum.warnings.push_back(std::to_string(e.first) + " " + type + " " + prop + " value(s) not sent: " + e.second);

  // 2. Records quarantined before: not found ones wait for --retry-quarantined, invalid ones for new values.
  for (auto it = by_record.begin(); it != by_record.end();) {
    const auto q = quarantine.find(it->first);
    const bool skip =
        q != quarantine.end() && !o.retry_quarantined &&
        (q->second.kind == deliver::QuarantineKind::kNotFound ||
         (q->second.kind == deliver::QuarantineKind::kInvalid && q->second.properties == PayloadOf(it->second)));
    if (skip) {
      out.skipped_quarantined += static_cast<int64_t>(it->second.size());
      it = by_record.erase(it);
    } else {
      ++it;
    }
  }

  // 3. Re-read the candidates from HubSpot: drop what someone filled since the sync.
  std::vector<int64_t> ids;
  for (const auto& [id, vs] : by_record) ids.push_back(id);
  if (client != nullptr) {
    sum.reread = true;
    for (size_t i = 0; i < ids.size(); i += deliver::kMaxBatchInputs) {
      const std::vector<int64_t> chunk(
          ids.begin() + static_cast<std::ptrdiff_t>(i),
          ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), i + deliver::kMaxBatchInputs)));
      std::set<std::string> wanted;
      for (int64_t id : chunk)
        for (const auto* v : by_record[id]) wanted.insert(v->property);
      ++out.read_requests;
      const auto now_in_hubspot = ReadHubSpotValues(*client, type, chunk, wanted);
      for (int64_t id : chunk) {
        auto& vs = by_record[id];
        const auto rec = now_in_hubspot.find(id);
        if (rec == now_in_hubspot.end()) {
          out.skipped_not_found += static_cast<int64_t>(vs.size());
          vs.clear();
          continue;
        }
        std::erase_if(vs, [&](ProviderValue* v) {
          const auto p = rec->second.find(v->property);
          const std::string now = p == rec->second.end() ? "" : p->second;
          if (now.empty() || (v->has_state && SameHubSpotValue(now, v->last_pushed))) {
            v->hubspot_copy = now;
            return false;
          }
          ++(SameHubSpotValue(now, v->value) ? out.unchanged : out.skipped_filled);
          return true;
        });
      }
    }
  }
  std::erase_if(by_record, [](const auto& kv) { return kv.second.empty(); });

  // 4. What goes out.
  std::vector<deliver::BatchInput> pending;
  std::unordered_map<int64_t, std::string> payload;
  std::set<std::string> allowed;
  for (const auto& [id, vs] : by_record) {
    deliver::BatchInput in;
    in.id = id;
    for (const auto* v : vs) {
      in.properties.emplace_back(v->property, v->value);
      allowed.insert(v->property);
      ++out.to_send;
      if (out.sample.size() < o.sample_size) out.sample.push_back({id, v->property, v->hubspot_copy, v->value});
    }
    payload[id] = PayloadOf(vs);
    pending.push_back(std::move(in));
  }
  out.records = static_cast<int64_t>(pending.size());
  if (o.dry_run) {
    for (const auto& [id, vs] : by_record)
      for (const auto* v : vs) ++out.by_property[v->property];
    return;
  }
  if (pending.empty()) return;
  if (o.progress)
    o.progress("push: " + std::to_string(out.to_send) + " " + type + " values for " + std::to_string(out.records) +
               " records to write");

  // 5. Batch updates: accepted values recorded batch by batch, transient failures retried, the rest quarantined.
  const int64_t now_ms = NowMillis();
  const auto now = warehouse::TimestampFromMillis(now_ms);
  std::vector<deliver::QuarantineEntry> quarantined;
  std::vector<int64_t> cleared;
  auto quarantine_one = [&](const deliver::InputFailure& f) {
    deliver::QuarantineEntry e;
    e.object_type = type;
    e.object_id = f.id;
    e.target = "enrichment";
    e.kind = f.kind;
    e.http_status = f.http_status;
    e.reason = f.reason;
    e.properties = payload[f.id];
    e.first_failed_at = e.last_failed_at = now;
    e.push_id = sum.push_id;
    if (auto q = quarantine.find(f.id); q != quarantine.end()) {
      e.attempts = q->second.attempts + 1;
      if (q->second.first_failed_at.micros != 0) e.first_failed_at = q->second.first_failed_at;
    }
    ++(f.kind == deliver::QuarantineKind::kNotFound  ? out.quarantined_not_found
       : f.kind == deliver::QuarantineKind::kInvalid ? out.quarantined_invalid
                                                     : out.quarantined_transient);
    quarantined.push_back(std::move(e));
  };
  const size_t batch_size = std::clamp<size_t>(o.batch_size, 1, deliver::kMaxBatchInputs);
  try {
    for (int round = 0; !pending.empty(); ++round) {
      if (round > 0) {
        out.retried_inputs += static_cast<int64_t>(pending.size());
        std::this_thread::sleep_for(o.round_backoff * round);
      }
      std::unordered_map<int64_t, const deliver::BatchInput*> input_of;
      for (const auto& in : pending) input_of.emplace(in.id, &in);
      std::vector<deliver::BatchInput> again;
      for (size_t i = 0; i < pending.size(); i += batch_size) {
        const std::vector<deliver::BatchInput> batch(
            pending.begin() + static_cast<std::ptrdiff_t>(i),
            pending.begin() + static_cast<std::ptrdiff_t>(std::min(pending.size(), i + batch_size)));
        deliver::BatchOutcome r = deliver::SendBatchUpdate(*client, type, batch, allowed);
        out.update_requests += r.requests;
        std::vector<deliver::PushedValue> accepted;
        for (int64_t id : r.accepted) {
          for (const auto* v : by_record.at(id)) {
            accepted.push_back({id, v->property, v->value, v->has_state});
            ++out.by_property[v->property];
            ++out.written;
          }
          ++out.written_records;
          if (quarantine.count(id)) cleared.push_back(id);
        }
        store.SaveValues(type, accepted, now, sum.push_id);  // only what HubSpot accepted, as soon as it did
        for (auto& f : r.failed) {
          if (f.kind == deliver::QuarantineKind::kTransient && round < o.retry_rounds)
            again.push_back(*input_of.at(f.id));
          else
            quarantine_one(f);
        }
      }
      pending = std::move(again);
    }
  } catch (...) {
    // A fatal answer (token refused, daily limit): what was accepted is recorded already; keep the failures too.
    store.SaveQuarantine(quarantined);
    store.ClearQuarantine(type, cleared);
    throw;
  }
  store.SaveQuarantine(quarantined);
  store.ClearQuarantine(type, cleared);
}

}  // namespace

bool SameHubSpotValue(const std::string& a, const std::string& b) {
  const auto ta = TrimSpace(a), tb = TrimSpace(b);
  if (ta == tb) return true;
  const auto na = StrictNumber(ta), nb = StrictNumber(tb);
  if (!na || !nb) return false;
  return std::fabs(*na - *nb) <= 1e-9 * std::max(1.0, std::fabs(*na));
}

FormattedValue FormatForHubSpot(const PropertyDefinition& def, const std::string& raw) {
  FormattedValue f;
  const std::string text(TrimSpace(raw));
  if (text.empty()) {
    f.reason = "empty value";
    return f;
  }
  if (def.type == "number") {
    const auto d = StrictNumber(text);
    if (!d) {
      f.reason = "'" + text + "' is not a number";
      return f;
    }
    f.value = PlainNumber(*d);
  } else if (def.type == "enumeration" && !def.options.empty()) {
    // A checkbox holds several options separated by ';'; select, radio and the rest hold one.
    std::string_view rest = text;
    while (true) {
      const size_t semi = def.field_type == "checkbox" ? rest.find(';') : std::string_view::npos;
      const std::string_view item = TrimSpace(rest.substr(0, semi));
      if (!item.empty()) {
        const auto match = MatchOption(def, item);
        if (!match) {
          f.value.clear();
          f.reason = "'" + std::string(item) + "' is not one of the " + std::to_string(def.options.size()) +
                     " options of " + def.name;
          return f;
        }
        f.value += (f.value.empty() ? "" : ";") + *match;
      }
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  } else if (def.type == "bool") {
    const std::string key = OptionKey(text);
    if (key == "TRUE" || key == "YES" || key == "1")
      f.value = "true";
    else if (key == "FALSE" || key == "NO" || key == "0")
      f.value = "false";
    else {
      f.reason = "'" + text + "' is not true or false";
      return f;
    }
  } else {
    f.value = text;
  }
  f.ok = !f.value.empty();
  if (!f.ok) f.reason = "empty value";
  return f;
}

int64_t EnrichPushSummary::Written() const {
  int64_t n = 0;
  for (const auto& o : objects) n += dry_run ? o.to_send : o.written;
  return n;
}

EnrichPushSummary RunEnrichPush(Warehouse& wh, hubspot::Client* client, const EnrichPushOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  EnrichPushSummary sum;
  sum.dry_run = o.dry_run;
  sum.push_id = o.push_id.empty() ? "enrich-push-" + FormatIsoMillis(NowMillis()) : o.push_id;
  if (!o.dry_run && client == nullptr)
    throw ConfigError("revlens enrich --push needs a HubSpot token (HUBSPOT_ACCESS_TOKEN) unless it is a dry run");
  if (!wh.TableExists(o.schema, "enrichment_results"))
    throw ConfigError("no enrichment_results in schema " + o.schema +
                      ": run `revlens sync` and `revlens enrich` first");
  deliver::PushStateStore store(wh, o.schema, kPushStateTable, kPushQuarantineTable);
  if (!o.dry_run) store.EnsureTables();
  const auto types = wh.Query("select distinct object_type from " +
                              Warehouse::QualifiedName(o.schema, "enrichment_results") + " order by object_type");
  for (const auto& row : types.rows) {
    const std::string type = warehouse::AsString(row[0]);
    if ((type != "companies" && type != "contacts") || !wh.TableExists(o.schema, type)) continue;
    EnrichPushObject out;
    out.object_type = type;
    PushObjectType(wh, client, o, type, store, sum, out);
    sum.objects.push_back(std::move(out));
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

std::string EnrichPushSummary::ToJson() const {
  json objs = json::array();
  for (const auto& o : objects) {
    json sample = json::array();
    for (const auto& s : o.sample)
      sample.push_back(
          {{"id", std::to_string(s.id)}, {"property", s.property}, {"old", s.old_value}, {"new", s.new_value}});
    objs.push_back({{"object_type", o.object_type},
                    {"values", o.values},
                    {"kept_hubspot", o.kept_hubspot},
                    {"unchanged", o.unchanged},
                    {"invalid", o.invalid},
                    {"skipped_property", o.skipped_property},
                    {"skipped_quarantined", o.skipped_quarantined},
                    {"skipped_filled_since_sync", o.skipped_filled},
                    {"skipped_not_found", o.skipped_not_found},
                    {"to_send", o.to_send},
                    {"records", o.records},
                    {"written", o.written},
                    {"written_records", o.written_records},
                    {"quarantined_invalid", o.quarantined_invalid},
                    {"quarantined_not_found", o.quarantined_not_found},
                    {"quarantined_transient", o.quarantined_transient},
                    {"read_requests", o.read_requests},
                    {"update_requests", o.update_requests},
                    {"retried_inputs", o.retried_inputs},
                    {"by_property", o.by_property},
                    {"sample", sample}});
  }
  return json{{"push_id", push_id}, {"dry_run", dry_run},   {"reread", reread},
              {"objects", objs},    {"warnings", warnings}, {"seconds", seconds}}
      .dump();
}

std::vector<std::string> EnrichPushSummary::TextLines() const {
  std::vector<std::string> out;
  if (objects.empty()) out.push_back("push to HubSpot: no provider values to push");
  for (const auto& o : objects) {
    std::string l = "push to HubSpot, " + o.object_type + ": " + std::to_string(dry_run ? o.to_send : o.written) +
                    (dry_run ? " values would be written to " : " values written to ") +
                    std::to_string(dry_run ? o.records : o.written_records) + " records";
    if (!o.by_property.empty()) {
      std::string by;
      for (const auto& [p, n] : o.by_property) by += (by.empty() ? "" : ", ") + p + " " + std::to_string(n);
      l += " (" + by + ")";
    }
    if (!dry_run) l += " in " + std::to_string(o.update_requests) + " batch updates";
    out.push_back(l);
    out.push_back("  left alone: " + std::to_string(o.kept_hubspot) + " HubSpot values revlens did not write, " +
                  std::to_string(o.skipped_filled) + " skipped: filled in HubSpot since sync, " +
                  std::to_string(o.unchanged) + " unchanged");
    if (o.invalid + o.skipped_property + o.skipped_quarantined + o.skipped_not_found > 0)
      out.push_back("  not sent: " + std::to_string(o.invalid) + " invalid for the property, " +
                    std::to_string(o.skipped_property) + " for a missing or read-only property, " +
                    std::to_string(o.skipped_quarantined) + " quarantined before, " +
                    std::to_string(o.skipped_not_found) + " records gone from HubSpot");
    if (o.quarantined_invalid + o.quarantined_not_found + o.quarantined_transient > 0)
      out.push_back("  quarantined (" + std::string(kPushQuarantineTable) + "): " +
                    std::to_string(o.quarantined_invalid) + " refused, " + std::to_string(o.quarantined_not_found) +
                    " not found, " + std::to_string(o.quarantined_transient) + " still failing (sent again next time)");
    for (const auto& s : o.sample)
      out.push_back("    " + Singular(o.object_type) + " " + std::to_string(s.id) + ": " + s.property + " " +
                    (s.old_value.empty() ? "(empty)" : "'" + s.old_value + "'") + " -> '" + s.new_value + "'");
  }
  if (dry_run && !reread && !objects.empty())
    out.push_back("  (no HubSpot token: judged on the last sync alone, HubSpot not re-read)");
  for (const auto& w : warnings) out.push_back("  warning: " + w);
  return out;
}

}  // namespace revlens::enrich
