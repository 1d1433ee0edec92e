#include "deliver/plan.hpp"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

namespace revlens::deliver {
namespace {

using warehouse::Warehouse;

std::optional<int64_t> IdOf(const warehouse::Value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) {
    if (*d == static_cast<double>(static_cast<int64_t>(*d))) return static_cast<int64_t>(*d);
    return std::nullopt;
  }
  if (const auto* s = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && p == s->data() + s->size()) return out;
  }
  return std::nullopt;
}

std::string Payload(const std::vector<PropertyChange>& changes) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& c : changes) j[c.property] = c.new_value;
  return j.dump();
}

}  // namespace

std::vector<std::string> ManagedProperties(const PushTarget& target) {
  std::vector<std::string> out;
  for (const auto& f : target.fields) out.push_back(f.property);
  for (const auto& f : target.fields) {
    if (!f.shadow_property.empty()) out.push_back(f.shadow_property);
  }
  return out;
}

std::optional<std::vector<SourceRow>> ReadSource(Warehouse& wh, const std::string& schema, const PushTarget& target) {
  if (!wh.TableExists(schema, target.table)) return std::nullopt;
  const auto columns = wh.Columns(schema, target.table);
  auto require = [&](const std::string& name) {
    const bool found =
        std::any_of(columns.begin(), columns.end(), [&](const warehouse::Column& c) { return c.name == name; });
    if (!found) {
      throw ConfigError("table " + schema + "." + target.table + " has no column '" + name + "' (push target '" +
                        target.name + "'): is it the table the product writes?");
    }
  };
  require(target.id_column);
  for (const std::string* c : {&target.order_column, &target.usable_column, &target.holdout_column}) {
    if (!c->empty()) require(*c);
  }
  const bool has_shadow = !target.shadow_column.empty() &&
                          std::any_of(columns.begin(), columns.end(),
                                      [&](const warehouse::Column& c) { return c.name == target.shadow_column; });
  for (const auto& f : target.fields) require(f.column);

  const std::string id = Warehouse::QuoteIdent(target.id_column);
  std::string inner = "SELECT " + id + " AS id_";
  for (size_t i = 0; i < target.fields.size(); ++i) {
    inner += ", " + Warehouse::QuoteIdent(target.fields[i].column) + " AS c" + std::to_string(i) + "_";
  }
  inner += target.usable_column.empty() ? ", TRUE AS usable_"
                                        : ", " + Warehouse::QuoteIdent(target.usable_column) + " AS usable_";
  inner += has_shadow ? ", " + Warehouse::QuoteIdent(target.shadow_column) + " AS shadow_" : ", FALSE AS shadow_";
  inner += target.holdout_column.empty()
               ? ", FALSE AS holdout_"
               : ", CASE WHEN " + Warehouse::QuoteIdent(target.holdout_column) + " = " +
                     Warehouse::QuoteLiteral(target.holdout_value) + " THEN TRUE ELSE FALSE END AS holdout_";
  // The latest row per record wins (a product may append a run per day).
  inner +=
      ", ROW_NUMBER() OVER (PARTITION BY " + id +
      (target.order_column.empty() ? std::string()
                                   : " ORDER BY " + Warehouse::QuoteIdent(target.order_column) + " DESC NULLS LAST") +
      ") AS rn_ FROM " + Warehouse::QualifiedName(schema, target.table) + " WHERE " + id + " IS NOT NULL";
  std::string sql = "SELECT id_";
  for (size_t i = 0; i < target.fields.size(); ++i) sql += ", c" + std::to_string(i) + "_";
  sql += ", usable_, shadow_, holdout_ FROM (" + inner + ") latest_ WHERE rn_ = 1 ORDER BY id_";

  auto rs = wh.Query(sql);
  std::vector<SourceRow> out;
  out.reserve(rs.rows.size());
  const size_t n = target.fields.size();
  for (auto& row : rs.rows) {
    const auto rid = IdOf(row[0]);
    if (!rid) {
      throw ConfigError("table " + schema + "." + target.table + ": " + target.id_column + " value " +
                        warehouse::ToString(row[0]) + " is not a HubSpot record id");
    }
    SourceRow r;
    r.id = *rid;
    r.values.assign(std::make_move_iterator(row.begin() + 1), std::make_move_iterator(row.begin() + 1 + n));
    const auto& usable = row[1 + n];
    r.usable = !warehouse::IsNull(usable) && warehouse::AsBool(usable);
    const auto& shadow = row[2 + n];
    r.shadow = !warehouse::IsNull(shadow) && warehouse::AsBool(shadow);
    const auto& holdout = row[3 + n];
    r.holdout = !warehouse::IsNull(holdout) && warehouse::AsBool(holdout);
    out.push_back(std::move(r));
  }
  return out;
}

TargetPlan PlanTarget(const PushTarget& target, const PropertyCatalog& catalog, const std::vector<SourceRow>& rows,
                      const StateMap& state, const QuarantineMap& quarantine, const PlanOptions& options) {
  const std::vector<std::string> props = ManagedProperties(target);
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < props.size(); ++i) index.emplace(props[i], i);
  std::vector<bool> companion(props.size(), false);
  std::vector<const PropertySpec*> specs(props.size(), nullptr);
  for (const auto& f : target.fields) {
    companion[index.at(f.property)] = f.companion;
    specs[index.at(f.property)] = catalog.Find(target.object_type, f.property);
    if (!f.shadow_property.empty()) {
      companion[index.at(f.shadow_property)] = f.companion;
      specs[index.at(f.shadow_property)] = catalog.Find(target.object_type, f.shadow_property);
    }
  }

  TargetPlan plan;
  std::vector<std::optional<std::string>> desired(props.size());
  for (const auto& row : rows) {
    ++plan.rows;
    plan.holdout += row.holdout;
    plan.unusable += !row.usable;
    plan.shadow += row.shadow;
    const bool visible = !options.shadow && ((row.usable && !row.shadow) || options.force) && !row.holdout;
    (visible ? plan.visible : plan.hidden) += 1;

    std::fill(desired.begin(), desired.end(), std::nullopt);
    std::string invalid;
    for (size_t i = 0; i < target.fields.size(); ++i) {
      const FieldMapping& f = target.fields[i];
      std::string value;
      try {
        value = FormatValue(f, row.values[i]);
      } catch (const InvalidInputError& e) {
        if (invalid.empty()) invalid = "column " + f.column + ": " + e.what();
      }
      const size_t vis = index.at(f.property);
      if (!value.empty() && invalid.empty() && specs[vis] != nullptr && specs[vis]->type == "enumeration" &&
          std::find(specs[vis]->options.begin(), specs[vis]->options.end(), value) == specs[vis]->options.end()) {
        std::string allowed;
        for (const auto& o : specs[vis]->options) allowed += (allowed.empty() ? "" : ", ") + o;
        invalid =
            "column " + f.column + ": '" + value + "' is not one of " + f.property + "'s options (" + allowed + ")";
      }
      if (visible) {
        desired[vis] = value;
      } else {
        if (!f.shadow_property.empty()) desired[index.at(f.shadow_property)] = value;
        if (row.holdout) desired[vis] = std::string();  // the holdout sees no score, not even an old one
      }
    }

    const auto st = state.find(row.id);
    const std::vector<std::string>* old = st == state.end() ? nullptr : &st->second;
    RecordChange change;
    change.id = row.id;
    change.visible = visible;
    bool primary = false;
    for (size_t p = 0; p < props.size(); ++p) {
      if (!desired[p]) continue;
      const std::string& before = old != nullptr && p < old->size() ? (*old)[p] : std::string();
      if (!options.full_refresh && *desired[p] == before) continue;
      primary = primary || !companion[p];
      change.changes.push_back({props[p], before, *desired[p]});
    }
    if (!primary) {
      ++plan.unchanged;
      continue;
    }
    change.payload = Payload(change.changes);
    if (auto q = quarantine.find(row.id); q != quarantine.end() && !options.retry_quarantined) {
      if (q->second.kind == QuarantineKind::kNotFound ||
          (q->second.kind == QuarantineKind::kInvalid && q->second.properties == change.payload)) {
        ++plan.skipped_quarantined;
        continue;
      }
    }
    if (!invalid.empty()) {
      plan.invalid.push_back({row.id, invalid, change.payload});
      continue;
    }
    plan.values += static_cast<int64_t>(change.changes.size());
    plan.changes.push_back(std::move(change));
  }

  if (target.clear_missing) {
    std::unordered_set<int64_t> present;
    for (const auto& row : rows) present.insert(row.id);
    std::vector<std::pair<int64_t, const std::vector<std::string>*>> gone;
    for (const auto& [id, values] : state)
      if (!present.count(id)) gone.emplace_back(id, &values);
    std::sort(gone.begin(), gone.end());
    for (const auto& [id, values] : gone) {
      const std::vector<std::string>& old = *values;
      RecordChange change;
      change.id = id;
      bool primary = false;
      for (size_t p = 0; p < props.size() && p < old.size(); ++p) {
        if (old[p].empty()) continue;
        primary = primary || !companion[p];
        change.changes.push_back({props[p], old[p], std::string()});
      }
      if (!primary) continue;
      change.payload = Payload(change.changes);
      if (auto q = quarantine.find(id);
          q != quarantine.end() && !options.retry_quarantined && q->second.kind == QuarantineKind::kNotFound) {
        ++plan.skipped_quarantined;
        continue;
      }
      ++plan.cleared;
      plan.values += static_cast<int64_t>(change.changes.size());
      plan.changes.push_back(std::move(change));
    }
  }
  return plan;
}

}  // namespace revlens::deliver
