#include "core/time_util.hpp"

#include <gtest/gtest.h>

#include "core/json_writer.hpp"

namespace revlens {
namespace {

TEST(TimeUtil, FormatsIsoWithMillis) {
  EXPECT_EQ(FormatIsoMillis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoMillis(1732133529236), "2024-11-20T20:12:09.236Z");
  EXPECT_EQ(FormatIsoMillis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatDate(1732133529236), "2024-11-20");
}

TEST(TimeUtil, ParsesIsoDatesAndEpochMillis) {
  EXPECT_EQ(ParseTimestampMillis("2024-11-20T20:12:09.236Z"), 1732133529236);
  EXPECT_EQ(ParseTimestampMillis("2024-11-20T20:12:09Z"), 1732133529000);
  EXPECT_EQ(ParseTimestampMillis("2024-11-20T22:12:09.236+02:00"), 1732133529236);
  EXPECT_EQ(ParseTimestampMillis("2024-11-20"), 1732060800000);
  EXPECT_EQ(ParseTimestampMillis("1732133529236"), 1732133529236);
  EXPECT_FALSE(ParseTimestampMillis("").has_value());
  EXPECT_FALSE(ParseTimestampMillis("2024-13-01").has_value());
  EXPECT_FALSE(ParseTimestampMillis("yesterday").has_value());
  EXPECT_FALSE(ParseTimestampMillis("2024-11-20T20:12:09Zjunk").has_value());
}

TEST(TimeUtil, RoundTrips) {
  for (int64_t t : {int64_t{0}, int64_t{951782400000}, int64_t{1700000000123}, int64_t{4102444799999}}) {
    EXPECT_EQ(ParseTimestampMillis(FormatIsoMillis(t)), t);
  }
}

TEST(JsonWriter, EscapesAndSeparates) {
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.String("x\"y\\z\n\x01");
  w.Key("b");
  w.BeginArray();
  w.Int(1);
  w.Bool(false);
  w.Null();
  w.EndArray();
  w.Key("c");
  w.BeginObject();
  w.EndObject();
  w.EndObject();
  EXPECT_EQ(out, R"({"a":"x\"y\\z\n\u0001","b":[1,false,null],"c":{}})");
}

}  // namespace
}  // namespace revlens
