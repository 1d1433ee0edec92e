#include "emulator/store.hpp"

#include <gtest/gtest.h>

#include <span>
#include <vector>

#include "core/errors.hpp"
#include "core/time_util.hpp"

namespace revlens::emulator {
namespace {

constexpr int64_t kT0 = 1700000000000;

TEST(ObjectTypes, ParseNamesSingularsAndTypeIds) {
  EXPECT_EQ(ParseObjectType("contacts"), ObjectType::kContacts);
  EXPECT_EQ(ParseObjectType("Contact"), ObjectType::kContacts);
  EXPECT_EQ(ParseObjectType("0-3"), ObjectType::kDeals);
  EXPECT_EQ(ParseObjectType("0-48"), ObjectType::kCalls);
  EXPECT_EQ(ParseObjectType("0-27"), ObjectType::kTasks);
  EXPECT_FALSE(ParseObjectType("tickets").has_value());
  EXPECT_FALSE(ParseObjectType("0-99").has_value());
  EXPECT_EQ(ObjectTypeId(ObjectType::kMeetings), "0-47");
  EXPECT_TRUE(IsEngagement(ObjectType::kNotes));
  EXPECT_FALSE(IsEngagement(ObjectType::kDeals));
}

TEST(ObjectTable, CreateSetsManagedPropertiesAndHistory) {
  Portal portal;
  InstallDefaultSchema(portal, kT0);
  auto& contacts = portal.Table(ObjectType::kContacts);
  Record& r = contacts.Create({{"email", "a@x.example"}, {"lifecyclestage", "lead"}}, kT0);
  EXPECT_EQ(r.id, 1);
  EXPECT_EQ(*r.Get(*contacts.Props().Find("hs_object_id")), "1");
  EXPECT_EQ(*r.Get(*contacts.Props().Find("createdate")), FormatIsoMillis(kT0));
  EXPECT_EQ(*r.Get(*contacts.Props().Find("lastmodifieddate")), FormatIsoMillis(kT0));

  contacts.Write(r, "lifecyclestage", "customer", kT0 + 1000);
  const uint16_t lc = *contacts.Props().Find("lifecyclestage");
  EXPECT_EQ(*r.Get(lc), "customer");
  EXPECT_EQ(r.updated_ms, kT0 + 1000);
  EXPECT_EQ(*r.Get(*contacts.Props().Find("lastmodifieddate")), FormatIsoMillis(kT0 + 1000));
  std::vector<std::string> values;
  for (const auto& h : r.history)
    if (h.prop == lc) values.push_back(h.value);
  EXPECT_EQ(values, (std::vector<std::string>{"lead", "customer"}));

  // Writing the same value again changes nothing.
  contacts.Write(r, "lifecyclestage", "customer", kT0 + 2000);
  EXPECT_EQ(r.updated_ms, kT0 + 1000);
}

TEST(ObjectTable, DealStageWritesEnteredAndExitedDates) {
  Portal portal;
  InstallDefaultSchema(portal, kT0);
  auto& deals = portal.Table(ObjectType::kDeals);
  Record& d = deals.Create({{"dealstage", "appointmentscheduled"}}, kT0);
  deals.Write(d, "dealstage", "closedwon", kT0 + 5000);
  EXPECT_EQ(*d.Get(*deals.Props().Find("hs_date_entered_appointmentscheduled")), FormatIsoMillis(kT0));
  EXPECT_EQ(*d.Get(*deals.Props().Find("hs_date_exited_appointmentscheduled")), FormatIsoMillis(kT0 + 5000));
  EXPECT_EQ(*d.Get(*deals.Props().Find("hs_date_entered_closedwon")), FormatIsoMillis(kT0 + 5000));
  EXPECT_EQ(deals.Props().Def(*deals.Props().Find("hs_date_entered_closedwon")).type, "datetime");
}

TEST(ObjectTable, IdsGrowAndLowerBoundPages) {
  ObjectTable t(ObjectType::kCompanies);
  for (int i = 0; i < 10; ++i) t.Append(Record{});
  EXPECT_EQ(t.Records().back().id, 10);
  EXPECT_EQ(t.LowerBound(5), 4u);
  EXPECT_EQ(t.LowerBound(11), 10u);
  EXPECT_NE(t.Find(7), nullptr);
  EXPECT_EQ(t.Find(70), nullptr);
  Record r;
  r.id = 3;  // out of order: clamped after the last id
  EXPECT_EQ(t.Append(std::move(r)).id, 11);
}

TEST(Record, SetRawKeepsPropertiesSortedAndRemovesEmpty) {
  Record r;
  r.SetRaw(5, "e");
  r.SetRaw(1, "a");
  r.SetRaw(3, "c");
  ASSERT_EQ(r.props.size(), 3u);
  EXPECT_EQ(r.props[0].first, 1);
  EXPECT_EQ(r.props[2].first, 5);
  r.SetRaw(3, "");
  EXPECT_FALSE(r.Get(3).has_value());
  EXPECT_EQ(r.props.size(), 2u);
}

TEST(PropertyValues, BuilderSortsLaterValueWinsAndSetRepacks) {
  PropertyValuesBuilder b;
  b.Add(7, "seven");
  b.Add(2, "two");
  b.Add(7, "SEVEN");  // a later value for the same property replaces the earlier one
  b.Add(4, "");       // empty values are kept by the builder
  PropertyValues v = b.Build();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], (PropertyValues::value_type{2, "two"}));
  EXPECT_EQ(v[1], (PropertyValues::value_type{4, ""}));
  EXPECT_EQ(v[2], (PropertyValues::value_type{7, "SEVEN"}));
  EXPECT_FALSE(v.Get(3).has_value());
  EXPECT_TRUE(b.empty());  // Build starts over

  v.Set(2, "TWO");          // same length: in place
  v.Set(7, "a longer seven");  // repack
  v.Set(1, "one");          // insert in front
  v.Set(4, "");             // remove
  std::vector<PropertyValues::value_type> all(v.begin(), v.end());
  EXPECT_EQ(all, (std::vector<PropertyValues::value_type>{{1, "one"}, {2, "TWO"}, {7, "a longer seven"}}));
  // A value that points into the buffer itself survives the repack.
  v.Set(9, *v.Get(7));
  EXPECT_EQ(*v.Get(9), "a longer seven");
  v.Set(1, "");
  v.Set(2, "");
  v.Set(7, "");
  v.Set(9, "");
  EXPECT_TRUE(v.empty());
  EXPECT_EQ(v.ByteSize(), 0u);
}

TEST(PropertyValues, ArenaBackedValuesCopyIntoTheirOwnBuffer) {
  ValueArena arena;
  PropertyValuesBuilder b;
  b.Add(1, "from the arena");
  PropertyValues borrowed = b.Build(&arena);
  EXPECT_TRUE(borrowed.Borrowed());
  EXPECT_GE(arena.Capacity(), borrowed.ByteSize());
  PropertyValues copy = borrowed;
  EXPECT_FALSE(copy.Borrowed());
  EXPECT_EQ(*copy.Get(1), "from the arena");
  borrowed.Set(1, "changed, and longer");  // a change gets its own buffer
  EXPECT_FALSE(borrowed.Borrowed());
  EXPECT_EQ(*copy.Get(1), "from the arena");
  // Appending a record whose values live in some arena gives them their own buffer.
  ObjectTable t(ObjectType::kNotes);
  Record r;
  b.Add(1, "note");
  r.props = b.Build(&arena);
  EXPECT_FALSE(t.Append(std::move(r)).props.Borrowed());
}

TEST(ObjectTable, AppendRangeAndFindWithUnevenIds) {
  ObjectTable t(ObjectType::kContacts);
  auto slots = t.AppendRange(1000, 1051, 50);
  ASSERT_EQ(slots.size(), 1000u);
  EXPECT_EQ(slots.back().id, 1051 + 999 * 50);
  EXPECT_EQ(t.NextId(), 1051 + 999 * 50 + 1);
  for (int64_t k : {0, 1, 500, 999}) {
    ASSERT_NE(t.Find(1051 + k * 50), nullptr);
    EXPECT_EQ(t.Find(1051 + k * 50)->id, 1051 + k * 50);
  }
  EXPECT_EQ(t.Find(1052), nullptr);
  EXPECT_EQ(t.Find(1), nullptr);
  // Uneven ids after the range still resolve (the guess misses, the search finds them).
  Record r;
  r.id = 10'000'000;
  t.Append(std::move(r));
  EXPECT_NE(t.Find(10'000'000), nullptr);
  EXPECT_NE(t.Find(1051 + 998 * 50), nullptr);
  EXPECT_EQ(t.LowerBound(1051 + 999 * 50 + 1), 1000u);
}

TEST(Associations, DefaultTypeIdsFollowHubSpot) {
  using T = ObjectType;
  EXPECT_EQ(DefaultAssociationTypeId(T::kContacts, T::kCompanies), 279);
  EXPECT_EQ(DefaultAssociationTypeId(T::kCompanies, T::kContacts), 280);
  EXPECT_EQ(DefaultAssociationTypeId(T::kDeals, T::kContacts), 3);
  EXPECT_EQ(DefaultAssociationTypeId(T::kContacts, T::kDeals), 4);
  EXPECT_EQ(DefaultAssociationTypeId(T::kDeals, T::kCompanies), 341);
  EXPECT_EQ(DefaultAssociationTypeId(T::kCompanies, T::kDeals), 342);
  EXPECT_EQ(DefaultAssociationTypeId(T::kContacts, T::kCalls), 193);
  EXPECT_EQ(DefaultAssociationTypeId(T::kCalls, T::kContacts), 194);
  EXPECT_EQ(DefaultAssociationTypeId(T::kCompanies, T::kTasks), 191);
  EXPECT_EQ(DefaultAssociationTypeId(T::kNotes, T::kDeals), 214);
  EXPECT_EQ(AssociationTypeName(T::kDeals, T::kContacts), "deal_to_contact");
}

TEST(Associations, AssociateStoresBothDirectionsWithoutDuplicates) {
  Portal portal;
  portal.Associate(ObjectType::kContacts, 1, ObjectType::kCompanies, 9);
  portal.Associate(ObjectType::kContacts, 1, ObjectType::kCompanies, 9);
  const auto fwd = portal.Assoc(ObjectType::kContacts, ObjectType::kCompanies).From(1);
  ASSERT_EQ(fwd.size(), 1u);
  EXPECT_EQ(fwd[0].to_id, 9);
  EXPECT_EQ(fwd[0].type_id, 279);
  const auto back = portal.Assoc(ObjectType::kCompanies, ObjectType::kContacts).From(9);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].type_id, 280);
  auto& table = portal.Assoc(ObjectType::kContacts, ObjectType::kCompanies);
  EXPECT_EQ(table.Remove(1, 9), 1u);
  EXPECT_TRUE(table.From(1).empty());
  EXPECT_EQ(table.EdgeCount(), 0u);
}

std::vector<int64_t> Targets(std::span<const AssociationEdge> edges) {
  std::vector<int64_t> out;
  for (const auto& e : edges) out.push_back(e.to_id);
  return out;
}

TEST(Associations, BulkKeepsOrderPerSourceDropsRepeatsAndTakesLaterChanges) {
  AssociationTable t;
  t.Add(50, {7, 1, 0});
  // Sources out of order, 50 already has an edge, (20 -> 3, type 1) given twice.
  t.AddBulk({{30, {1, 1, 0}}, {20, {3, 1, 0}}, {50, {8, 1, 0}}, {20, {2, 1, 0}}, {20, {3, 1, 0}}, {20, {3, 2, 0}},
             {30, {9, 1, 0}}});
  EXPECT_EQ(t.EdgeCount(), 7u);
  EXPECT_EQ(Targets(t.From(20)), (std::vector<int64_t>{3, 2, 3}));  // 3 again with another type id
  EXPECT_EQ(Targets(t.From(30)), (std::vector<int64_t>{1, 9}));
  EXPECT_EQ(Targets(t.From(50)), (std::vector<int64_t>{7, 8}));   // the existing edge first
  EXPECT_TRUE(t.From(40).empty());

  // Changes after a bulk load override the packed edges of their source only.
  EXPECT_FALSE(t.Add(30, {9, 1, 0}));
  EXPECT_TRUE(t.Add(30, {4, 1, 0}));
  EXPECT_EQ(t.Remove(20, 3), 2u);
  EXPECT_EQ(t.Remove(50, 7), 1u);
  EXPECT_EQ(t.Remove(50, 8), 1u);  // emptied: hides its packed edges
  EXPECT_TRUE(t.Add(10, {5, 1, 0}));
  EXPECT_EQ(t.EdgeCount(), 5u);
  std::vector<std::pair<int64_t, std::vector<int64_t>>> seen;
  t.ForEach([&](int64_t from, std::span<const AssociationEdge> edges) { seen.emplace_back(from, Targets(edges)); });
  EXPECT_EQ(seen, (std::vector<std::pair<int64_t, std::vector<int64_t>>>{{10, {5}}, {20, {2}}, {30, {1, 9, 4}}}));

  // A second bulk load keeps everything there is, in order.
  t.AddBulk({{30, {6, 1, 0}}});
  EXPECT_EQ(Targets(t.From(30)), (std::vector<int64_t>{1, 9, 4, 6}));
  EXPECT_EQ(t.EdgeCount(), 6u);
}

TEST(Associations, LoadGroupedChecksTheArrays) {
  AssociationTable t;
  t.LoadGrouped({2, 5}, {1, 3}, {{10, 1, 0}, {11, 1, 0}, {12, 1, 0}});
  EXPECT_EQ(Targets(t.From(5)), (std::vector<int64_t>{11, 12}));
  EXPECT_EQ(t.EdgeCount(), 3u);
  EXPECT_THROW(t.LoadGrouped({5, 2}, {1, 3}, {{10, 1, 0}, {11, 1, 0}, {12, 1, 0}}), InvalidInputError);
  EXPECT_THROW(t.LoadGrouped({2, 5}, {1, 1}, {{10, 1, 0}}), InvalidInputError);
  EXPECT_THROW(t.LoadGrouped({2}, {2}, {{10, 1, 0}}), InvalidInputError);
}

TEST(Schema, DefaultsIncludePipelineAndStageDates) {
  Portal portal;
  InstallDefaultSchema(portal, kT0);
  ASSERT_EQ(portal.deal_pipelines.size(), 1u);
  const auto& stages = portal.deal_pipelines[0].stages;
  ASSERT_EQ(stages.size(), 7u);
  EXPECT_TRUE(stages[5].is_closed);
  EXPECT_DOUBLE_EQ(stages[0].probability, 0.2);
  const auto& deals = portal.Table(ObjectType::kDeals).Props();
  EXPECT_TRUE(deals.Find("hs_date_entered_contractsent").has_value());
  EXPECT_TRUE(deals.Find("hs_date_exited_closedlost").has_value());
  EXPECT_EQ(deals.Def(*deals.Find("amount")).type, "number");
  for (auto t : kAllObjectTypes) {
    for (const auto& name : DefaultReturnedProperties(t)) {
      EXPECT_TRUE(portal.Table(t).Props().Find(name).has_value()) << ObjectTypeName(t) << "." << name;
    }
  }
}

}  // namespace
}  // namespace revlens::emulator
