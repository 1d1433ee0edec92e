// HubSpot pages are untrusted input: malformed pages throw MalformedResponseError (the client retries them),
// malformed records become quarantine rows, and nothing crashes.
#include "sync/page_parse.hpp"

#include <gtest/gtest.h>

#include <random>

#include "hubspot/client.hpp"
#include "sync/raw_layout.hpp"

namespace revlens::sync {
namespace {

TypePlan DealPlan() {
  TypePlan p;
  p.type = "deals";
  p.shape.columns = ObjectFixedColumns();
  p.shape.columns.push_back({"amount", warehouse::ColumnType::kDouble});
  p.shape.columns.push_back({"closedate", warehouse::ColumnType::kTimestamp});
  p.shape.property_names = {"amount", "closedate"};
  p.column_of = {{"amount", 7}, {"closedate", 8}};
  p.history = {"dealstage"};
  return p;
}

PageInfo Parse(const std::string& body, RowBatch& out, bool history = false) {
  return ParseObjectPage(body, DealPlan(), history, nullptr, warehouse::Timestamp{0}, "run", out);
}

TEST(PageParse, ReadsRecordsPagingAndHistory) {
  RowBatch out;
  const auto info = Parse(
      R"({"results":[{"id":"12","properties":{"amount":"1500.5","closedate":"2026-01-02T03:04:05.000Z","x":"y"},)"
      R"("propertiesWithHistory":{"dealstage":[{"value":"won","timestamp":"2026-01-01T00:00:00Z","sourceType":"CRM_UI"}]},)"
      R"("createdAt":"2025-01-01T00:00:00Z","updatedAt":"2026-01-03T00:00:00.000Z","archived":false}],)"
      R"("paging":{"next":{"after":"13"}}})",
      out, true);
  EXPECT_EQ(info.next_after, "13");
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(out.objects[0][0]), 12);
  EXPECT_DOUBLE_EQ(std::get<double>(out.objects[0][7]), 1500.5);
  EXPECT_TRUE(std::holds_alternative<warehouse::Timestamp>(out.objects[0][8]));
  ASSERT_EQ(out.history.size(), 1u);
  EXPECT_EQ(std::get<std::string>(out.history[0][3]), "won");
  EXPECT_TRUE(out.quarantine.empty());
}

TEST(PageParse, BadRecordsAreQuarantinedNotLoaded) {
  RowBatch out;
  Parse(R"({"results":[)"
        R"({"id":"1","properties":{"amount":"lots"},"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z"},)"
        R"({"properties":{},"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z"},)"
        R"({"id":"3","properties":{}},)"
        R"(42,)"
        R"({"id":"5","properties":{"amount":"7"},"createdAt":"2025-01-01T00:00:00Z","updatedAt":"2025-01-01T00:00:00Z"}]})",
        out);
  ASSERT_EQ(out.objects.size(), 1u);
  EXPECT_EQ(std::get<int64_t>(out.objects[0][0]), 5);
  ASSERT_EQ(out.quarantine.size(), 4u);
  EXPECT_NE(std::get<std::string>(out.quarantine[0][2]).find("amount"), std::string::npos);
  EXPECT_NE(std::get<std::string>(out.quarantine[1][2]).find("id"), std::string::npos);
}

TEST(PageParse, MalformedPagesThrowForRetry) {
  for (const std::string body : {"", "{", "[]", "{\"results\":{}}", "{\"paging\":{}}", "<html>502</html>",
                                 R"({"results":[{"id":"1","properties":{"amount":"1"},"createdAt":"2025-01-01T0)"}) {
    RowBatch out;
    EXPECT_THROW(Parse(body, out), hubspot::MalformedResponseError) << body;
  }
  RowBatch out;
  std::vector<AssociationFollowUp> more;
  EXPECT_THROW(ParseAssociationPage(R"({"results":[{"from":{}}]})", "deals", "contacts", {}, out, more),
               hubspot::MalformedResponseError);
}

TEST(PageParse, AssociationPagesCarryTypesLabelsAndPaging) {
  RowBatch out;
  std::vector<AssociationFollowUp> more;
  ParseAssociationPage(
      R"({"status":"COMPLETE","results":[{"from":{"id":"7"},"to":[{"toObjectId":9,"associationTypes":[)"
      R"({"category":"HUBSPOT_DEFINED","typeId":3,"label":null},{"category":"USER_DEFINED","typeId":1001,"label":"Champion"}]}],)"
      R"("paging":{"next":{"after":"9"}}}],"errors":[{"status":"error","category":"OBJECT_NOT_FOUND"}]})",
      "deals", "contacts", {}, out, more);
  ASSERT_EQ(out.associations.size(), 2u);
  EXPECT_TRUE(warehouse::IsNull(out.associations[0][6]));
  EXPECT_EQ(std::get<std::string>(out.associations[1][6]), "Champion");
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].id, 7);
  EXPECT_EQ(more[0].after, "9");
}

// Random mutations of a valid page: every outcome is rows, quarantine rows or MalformedResponseError.
TEST(PageParse, MutatedPagesNeverCrash) {
  const std::string good =
      R"({"results":[{"id":"12","properties":{"amount":"1500.5","closedate":"1767322800000"},)"
      R"("createdAt":"2025-01-01T00:00:00Z","updatedAt":"2026-01-03T00:00:00.000Z","archived":true,)"
      R"("archivedAt":"2026-01-04T00:00:00Z"}],"paging":{"next":{"after":"13"}}})";
  std::mt19937 rng(5);
  for (int i = 0; i < 3000; ++i) {
    std::string body = good;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t pos = rng() % body.size();
      switch (rng() % 3) {
        case 0: body[pos] = static_cast<char>(rng() % 128); break;
        case 1: body.erase(pos, 1 + rng() % 8); break;
        default: body.insert(pos, 1, "{}[]\",:0a"[rng() % 9]); break;
      }
      if (body.empty()) body = "x";
    }
    RowBatch out;
    try {
      Parse(body, out, true);
    } catch (const hubspot::MalformedResponseError&) {
    }
    for (const auto& row : out.objects) ASSERT_EQ(row.size(), DealPlan().shape.columns.size());
  }
}

}  // namespace
}  // namespace revlens::sync
