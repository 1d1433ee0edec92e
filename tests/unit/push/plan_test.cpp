// The change plan: routing (visible, shadow, holdout, unusable), only what changed, companions, quarantine
// skips and local refusals. Pure: no HubSpot, no warehouse.
#include "deliver/plan.hpp"

#include <gtest/gtest.h>

#include <map>

namespace revlens::deliver {
namespace {

using warehouse::Timestamp;
using warehouse::Value;

const int64_t kScoredAt = 1782777600LL * 1'000'000;  // 2026-06-30T00:00:00Z in microseconds

// A lead_scores row: likelihood, tier, fit, engagement, reasons, model_version, scored_at.
SourceRow Row(int64_t id, double likelihood, const std::string& tier, bool usable = true, bool holdout = false,
              int64_t scored_at = kScoredAt) {
  SourceRow r;
  r.id = id;
  r.values = {Value{likelihood},
              Value{tier},
              Value{40.0},
              Value{12.5},
              Value{std::string("why")},
              Value{std::string("v1")},
              Value{Timestamp{scored_at}}};
  r.usable = usable;
  r.holdout = holdout;
  return r;
}

// What a plan sends for one record: property -> value.
std::map<std::string, std::string> Sent(const TargetPlan& plan, int64_t id) {
  std::map<std::string, std::string> out;
  for (const auto& c : plan.changes) {
    if (c.id != id) continue;
    for (const auto& p : c.changes) out[p.property] = p.new_value;
  }
  return out;
}

// The state after HubSpot accepted everything in `plan` on top of `state`.
StateMap Apply(const PushTarget& t, StateMap state, const TargetPlan& plan) {
  const auto props = ManagedProperties(t);
  for (const auto& c : plan.changes) {
    auto& values = state[c.id];
    values.resize(props.size());
    for (const auto& p : c.changes) {
      for (size_t i = 0; i < props.size(); ++i) {
        if (props[i] == p.property) values[i] = p.new_value;
      }
    }
  }
  return state;
}

class PlanTest : public ::testing::Test {
 protected:
  PushTarget t_ = DefaultTargets()[0];
  PropertyCatalog catalog_ = DefaultCatalog();
  TargetPlan Plan(const std::vector<SourceRow>& rows, const StateMap& state = {}, const QuarantineMap& q = {},
                  PlanOptions o = {}) {
    return PlanTarget(t_, catalog_, rows, state, q, o);
  }
};

TEST_F(PlanTest, FirstPushSendsVisibleValuesOnly) {
  const auto plan = Plan({Row(1, 81.2, "A"), Row(2, 12.0, "D")});
  ASSERT_EQ(plan.changes.size(), 2u);
  const auto sent = Sent(plan, 1);
  EXPECT_EQ(sent.at("revlens_score"), "81.2");
  EXPECT_EQ(sent.at("revlens_tier"), "A");
  EXPECT_EQ(sent.at("revlens_fit"), "40");
  EXPECT_EQ(sent.at("revlens_engagement"), "13");
  EXPECT_EQ(sent.at("revlens_scored_at"), "2026-06-30T00:00:00.000Z");
  EXPECT_EQ(sent.size(), 7u);  // no shadow property is touched
  EXPECT_EQ(plan.values, 14);
  EXPECT_EQ(plan.visible, 2);
}

TEST_F(PlanTest, SecondPushSendsNothingAndOnlyChangesLater) {
  std::vector<SourceRow> rows = {Row(1, 81.2, "A"), Row(2, 12.0, "D"), Row(3, 55.0, "B")};
  const auto first = Plan(rows);
  const StateMap state = Apply(t_, {}, first);
  const auto second = Plan(rows, state);
  EXPECT_TRUE(second.changes.empty());
  EXPECT_EQ(second.unchanged, 3);
  // A re-score that moves one score by less than the rounding, and a new day's timestamp everywhere: nothing.
  rows[0] = Row(1, 81.23, "A", true, false, kScoredAt + 86'400'000'000LL);
  rows[1] = Row(2, 12.0, "D", true, false, kScoredAt + 86'400'000'000LL);
  EXPECT_TRUE(Plan(rows, state).changes.empty()) << "a timestamp alone (a companion) must not count as a change";
  // A real change: the score and the companion timestamp go, nothing else.
  rows[2] = Row(3, 71.0, "B", true, false, kScoredAt + 86'400'000'000LL);
  const auto third = Plan(rows, state);
  ASSERT_EQ(third.changes.size(), 1u);
  const auto sent = Sent(third, 3);
  EXPECT_EQ(sent, (std::map<std::string, std::string>{{"revlens_score", "71"},
                                                      {"revlens_scored_at", "2026-07-01T00:00:00.000Z"}}));
  EXPECT_EQ(third.changes[0].changes[0].old_value, "55");
}

TEST_F(PlanTest, HoldoutGetsNoVisibleScoreAndLosesAnOldOne) {
  // Contact 5 had a visible score from an earlier push and is now in the holdout.
  const auto first = Plan({Row(5, 60.0, "B")});
  const StateMap state = Apply(t_, {}, first);
  const auto plan = Plan({Row(5, 62.0, "B", true, true), Row(6, 30.0, "C", true, true)}, state);
  EXPECT_EQ(plan.holdout, 2);
  EXPECT_EQ(plan.hidden, 2);
  const auto five = Sent(plan, 5);
  EXPECT_EQ(five.at("revlens_score"), "");  // cleared
  EXPECT_EQ(five.at("revlens_tier"), "");
  EXPECT_EQ(five.at("revlens_shadow_score"), "62");
  const auto six = Sent(plan, 6);
  EXPECT_EQ(six.count("revlens_score"), 0u) << "nothing to clear on a record never shown a score";
  EXPECT_EQ(six.at("revlens_shadow_tier"), "C");
  for (const auto& [name, value] : six) EXPECT_TRUE(name.starts_with("revlens_shadow_")) << name;
}

TEST_F(PlanTest, UnusableModelGoesToShadowUnlessForced) {
  const auto shadow = Plan({Row(1, 70.0, "A", /*usable=*/false)});
  EXPECT_EQ(shadow.unusable, 1);
  const auto sent = Sent(shadow, 1);
  EXPECT_EQ(sent.count("revlens_score"), 0u);
  EXPECT_EQ(sent.at("revlens_shadow_score"), "70");
  PlanOptions force;
  force.force = true;
  EXPECT_EQ(Sent(Plan({Row(1, 70.0, "A", false)}, {}, {}, force), 1).at("revlens_score"), "70");
  // Forcing never overrides the holdout.
  EXPECT_EQ(Sent(Plan({Row(1, 70.0, "A", false, true)}, {}, {}, force), 1).count("revlens_score"), 0u);
  // Scored in shadow mode (`revlens score --shadow`): hidden unless forced.
  SourceRow shadow_row = Row(1, 70.0, "A");
  shadow_row.shadow = true;
  EXPECT_EQ(Sent(Plan({shadow_row}), 1).count("revlens_score"), 0u);
  EXPECT_EQ(Sent(Plan({shadow_row}), 1).at("revlens_shadow_score"), "70");
  EXPECT_EQ(Sent(Plan({shadow_row}, {}, {}, force), 1).at("revlens_score"), "70");
  PlanOptions shadow_mode;
  shadow_mode.shadow = true;
  const auto s = Sent(Plan({Row(1, 70.0, "A")}, {}, {}, shadow_mode), 1);
  EXPECT_EQ(s.count("revlens_score"), 0u);
  EXPECT_EQ(s.at("revlens_shadow_score"), "70");
}

TEST_F(PlanTest, FullRefreshResendsEverything) {
  const std::vector<SourceRow> rows = {Row(1, 81.2, "A")};
  const StateMap state = Apply(t_, {}, Plan(rows));
  PlanOptions o;
  o.full_refresh = true;
  const auto plan = Plan(rows, state, {}, o);
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].changes.size(), 7u);
}

TEST_F(PlanTest, ValuesHubSpotWouldRefuseAreHeldBack) {
  const auto plan = Plan({Row(1, 50.0, "E"), Row(2, 50.0, "A")});
  ASSERT_EQ(plan.invalid.size(), 1u);
  EXPECT_EQ(plan.invalid[0].id, 1);
  EXPECT_NE(plan.invalid[0].reason.find("'E' is not one of revlens_tier's options"), std::string::npos)
      << plan.invalid[0].reason;
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].id, 2);
}

TEST_F(PlanTest, QuarantinedRecordsAreSkippedUntilSomethingChanges) {
  const auto first = Plan({Row(1, 50.0, "B"), Row(2, 40.0, "C")});
  QuarantineMap q;
  q[1].kind = QuarantineKind::kNotFound;
  q[2].kind = QuarantineKind::kInvalid;
  q[2].properties = first.changes[1].payload;
  auto plan = Plan({Row(1, 50.0, "B"), Row(2, 40.0, "C")}, {}, q);
  EXPECT_TRUE(plan.changes.empty());
  EXPECT_EQ(plan.skipped_quarantined, 2);
  // New values for the invalid one: worth another try; the missing record stays skipped.
  plan = Plan({Row(1, 51.0, "B"), Row(2, 45.0, "C")}, {}, q);
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].id, 2);
  // A transient one is always retried; --retry-quarantined retries everything.
  q[1].kind = QuarantineKind::kTransient;
  EXPECT_EQ(Plan({Row(1, 50.0, "B")}, {}, q).changes.size(), 1u);
  q[1].kind = QuarantineKind::kNotFound;
  PlanOptions retry;
  retry.retry_quarantined = true;
  EXPECT_EQ(Plan({Row(1, 50.0, "B")}, {}, q, retry).changes.size(), 1u);
}

}  // namespace
}  // namespace revlens::deliver
