// Batch-update answers are untrusted input: 200, 207 with per-input errors, and bodies that are not answers at
// all (which the client retries).
#include "deliver/batch_update.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "hubspot/client.hpp"

namespace revlens::deliver {
namespace {

std::vector<BatchInput> Inputs(std::initializer_list<int64_t> ids) {
  std::vector<BatchInput> out;
  for (int64_t id : ids) out.push_back({id, {{"revlens_score", "50"}}});
  return out;
}

const InputFailure* Failure(const BatchOutcome& o, int64_t id) {
  for (const auto& f : o.failed) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

TEST(BatchUpdate, BodyIsHubSpotsShape) {
  const auto body = nlohmann::json::parse(BatchUpdateBody({{7, {{"revlens_score", "50"}, {"revlens_tier", ""}}}}));
  ASSERT_EQ(body["inputs"].size(), 1u);
  EXPECT_EQ(body["inputs"][0]["id"], "7");
  EXPECT_EQ(body["inputs"][0]["properties"]["revlens_score"], "50");
  EXPECT_EQ(body["inputs"][0]["properties"]["revlens_tier"], "");
}

TEST(BatchUpdate, AllAcceptedWithoutErrors) {
  // A merged record answers under its surviving id: without errors every input counts as written.
  const auto o = ParseBatchUpdateResponse(
      R"({"status":"COMPLETE","results":[{"id":"1","properties":{}},{"id":"99","properties":{}}],)"
      R"("startedAt":"2026-06-30T00:00:00Z","completedAt":"2026-06-30T00:00:00Z"})",
      Inputs({1, 2}));
  EXPECT_EQ(o.accepted, (std::vector<int64_t>{1, 2}));
  EXPECT_TRUE(o.failed.empty());
}

TEST(BatchUpdate, MultiStatusErrorsAreAttributedByIds) {
  const auto o = ParseBatchUpdateResponse(
      R"({"status":"COMPLETE","results":[{"id":"1"}],"numErrors":2,"errors":[)"
      R"({"status":"error","category":"OBJECT_NOT_FOUND","message":"Could not update some CONTACT objects","context":{"ids":["2"]}},)"
      R"({"status":"error","category":"INTERNAL_ERROR","message":"retry them","context":{"ids":["3",4]}}]})",
      Inputs({1, 2, 3, 4}));
  EXPECT_EQ(o.accepted, (std::vector<int64_t>{1}));
  ASSERT_EQ(o.failed.size(), 3u);
  EXPECT_EQ(Failure(o, 2)->kind, QuarantineKind::kNotFound);
  EXPECT_NE(Failure(o, 2)->reason.find("OBJECT_NOT_FOUND"), std::string::npos);
  EXPECT_EQ(Failure(o, 3)->kind, QuarantineKind::kTransient);
  EXPECT_EQ(Failure(o, 4)->kind, QuarantineKind::kTransient);
  EXPECT_EQ(Failure(o, 4)->http_status, 207);
}

TEST(BatchUpdate, ErrorsWithoutIdsFailWhatIsMissingFromResults) {
  const auto o = ParseBatchUpdateResponse(
      R"({"results":[{"id":"1"}],"errors":[{"status":"error","category":"VALIDATION_ERROR","message":"bad"}]})",
      Inputs({1, 2}));
  EXPECT_EQ(o.accepted, (std::vector<int64_t>{1}));
  ASSERT_EQ(o.failed.size(), 1u);
  EXPECT_EQ(o.failed[0].id, 2);
  EXPECT_EQ(o.failed[0].kind, QuarantineKind::kInvalid);
}

TEST(BatchUpdate, MalformedAnswersAreRetriedNotTrusted) {
  for (const std::string body :
       {"", "{", "[]", R"({"results":{}})", R"({"status":"COMPLETE"})", R"({"results":[42]})",
        R"({"results":[{"properties":{}}]})", R"({"results":[],"errors":[7]})", "<html>502 Bad Gateway</html>"}) {
    EXPECT_THROW(ParseBatchUpdateResponse(body, Inputs({1})), hubspot::MalformedResponseError) << body;
  }
}

}  // namespace
}  // namespace revlens::deliver
