#include "emulator/store.hpp"

#include <gtest/gtest.h>

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
  EXPECT_EQ(r.Get(3), nullptr);
  EXPECT_EQ(r.props.size(), 2u);
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
  const auto* fwd = portal.Assoc(ObjectType::kContacts, ObjectType::kCompanies).From(1);
  ASSERT_NE(fwd, nullptr);
  ASSERT_EQ(fwd->size(), 1u);
  EXPECT_EQ((*fwd)[0].to_id, 9);
  EXPECT_EQ((*fwd)[0].type_id, 279);
  const auto* back = portal.Assoc(ObjectType::kCompanies, ObjectType::kContacts).From(9);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ((*back)[0].type_id, 280);
  auto& table = portal.Assoc(ObjectType::kContacts, ObjectType::kCompanies);
  EXPECT_EQ(table.Remove(1, 9), 1u);
  EXPECT_EQ(table.From(1), nullptr);
  EXPECT_EQ(table.EdgeCount(), 0u);
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
