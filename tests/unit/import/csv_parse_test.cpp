// CSV parsing, export detection and time zones: the parts of `revlens import` that need no warehouse.
#include <gtest/gtest.h>

#include <random>

#include "core/errors.hpp"
#include "core/time_util.hpp"
#include "core/time_zone.hpp"
#include "sync/csv_import.hpp"

namespace revlens::sync {
namespace {

TEST(ParseCsv, QuotedCommasNewlinesQuotesBomAndCrlf) {
  const std::string text =
      "\xEF\xBB\xBFRecord ID,Name,Description\r\n"
      "1,\"Acme, Inc.\",\"Says \"\"hi\"\"\r\nand more\"\r\n"
      "\r\n"
      "2,Plain,\r\n"
      "3,\"\",\"trailing\"";
  const CsvFile f = ParseCsv(text);
  ASSERT_EQ(f.header, (std::vector<std::string>{"Record ID", "Name", "Description"}));
  ASSERT_EQ(f.records.size(), 3u);
  EXPECT_EQ(f.records[0].fields, (std::vector<std::string>{"1", "Acme, Inc.", "Says \"hi\"\r\nand more"}));
  EXPECT_EQ(f.records[0].line, 2u);
  EXPECT_EQ(f.records[1].fields, (std::vector<std::string>{"2", "Plain", ""}));
  EXPECT_EQ(f.records[1].line, 5u) << "the embedded line break and the blank line both count";
  EXPECT_EQ(f.records[2].fields, (std::vector<std::string>{"3", "", "trailing"}));
  for (const auto& r : f.records) EXPECT_TRUE(r.error.empty());
}

TEST(ParseCsv, UnterminatedQuoteIsAnErrorOnItsRecord) {
  const CsvFile f = ParseCsv("Record ID,Name\n1,ok\n2,\"never closed\n3,x\n");
  ASSERT_EQ(f.records.size(), 2u);
  EXPECT_TRUE(f.records[0].error.empty());
  EXPECT_EQ(f.records[1].line, 3u);
  EXPECT_EQ(f.records[1].error, "unterminated quoted field");
}

TEST(ParseCsv, EveryFieldQuotedAsSomeExportersWrite) {
  const CsvFile f = ParseCsv("\"Record ID\",\"Deal Name\"\n\"7\",\"Big \"\"one\"\"\"\n");
  ASSERT_EQ(f.records.size(), 1u);
  EXPECT_EQ(f.header[1], "Deal Name");
  EXPECT_EQ(f.records[0].fields, (std::vector<std::string>{"7", "Big \"one\""}));
}

TEST(ParseCsv, RandomFieldsRoundTripThroughQuotingAndGarbageNeverCrashes) {
  std::mt19937 rng(20240301);
  const std::string alphabet = "ab ,\"\r\n;\xC3\xA9x";
  for (int iter = 0; iter < 300; ++iter) {
    std::vector<std::vector<std::string>> table(1 + rng() % 5, std::vector<std::string>(1 + iter % 4));
    std::string text;
    for (auto& row : table) {
      for (size_t i = 0; i < row.size(); ++i) {
        for (size_t n = rng() % 8; n > 0; --n) row[i] += alphabet[rng() % alphabet.size()];
        if (i) text += ',';
        text += '"';
        for (char c : row[i]) text += c == '"' ? std::string("\"\"") : std::string(1, c);
        text += '"';
      }
      text += iter % 2 ? "\r\n" : "\n";
    }
    const CsvFile f = ParseCsv(text);
    ASSERT_EQ(f.header, table[0]) << iter;
    ASSERT_EQ(f.records.size(), table.size() - 1) << iter;
    for (size_t r = 1; r < table.size(); ++r) ASSERT_EQ(f.records[r - 1].fields, table[r]) << iter;
    // Any prefix of valid CSV, and random bytes, parse without crashing.
    (void)ParseCsv(std::string_view(text).substr(0, rng() % (text.size() + 1)));
    std::string junk(rng() % 64, '\0');
    for (auto& c : junk) c = alphabet[rng() % alphabet.size()];
    (void)ParseCsv(junk);
  }
}

TEST(DetectExportType, FromCharacteristicColumns) {
  EXPECT_EQ(DetectExportType({"Record ID", "First Name", "Last Name", "Email", "Company Name", "Lifecycle Stage"}),
            "contacts");
  EXPECT_EQ(DetectExportType({"Record ID", "Company name", "Company Domain Name", "Industry", "Company owner"}),
            "companies");
  EXPECT_EQ(DetectExportType({"Record ID", "Deal Name", "Deal Stage", "Pipeline", "Amount", "Close Date",
                              "Date entered \"Closed Won (Sales Pipeline)\""}),
            "deals");
  EXPECT_EQ(DetectExportType({"Record ID", "Email", "Company Name"}), "contacts");
  EXPECT_EQ(DetectExportType({"Contact ID", "Foo"}), "contacts") << "older exports name the id column by type";
  EXPECT_FALSE(DetectExportType({"event_date", "user_id", "email"}).has_value());
  EXPECT_FALSE(DetectExportType({"Record ID", "Foo", "Bar"}).has_value());
}

TEST(TimeZone, NewYorkOffsetsAcrossDaylightSaving) {
  const TimeZone ny = TimeZone::Load("America/New_York");
  const int64_t winter = *ParseTimestampMillis("2024-01-15T12:00:00Z") / 1000;
  const int64_t summer = *ParseTimestampMillis("2024-07-15T12:00:00Z") / 1000;
  EXPECT_EQ(ny.OffsetAt(winter), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(summer), -4 * 3600);
  EXPECT_EQ(ny.ToUtc(ny.ToLocal(winter)), winter);
  EXPECT_EQ(ny.ToUtc(ny.ToLocal(summer)), summer);
  // 2024-11-03 01:30 happens twice (EDT then EST): the first occurrence, 05:30 UTC.
  const int64_t ambiguous_local = *ParseTimestampMillis("2024-11-03T01:30:00Z") / 1000;
  EXPECT_EQ(ny.ToUtc(ambiguous_local), *ParseTimestampMillis("2024-11-03T05:30:00Z") / 1000);
  // 2024-03-10 02:30 does not exist: read with the offset before the jump (EST), 07:30 UTC = 03:30 EDT.
  const int64_t gap_local = *ParseTimestampMillis("2024-03-10T02:30:00Z") / 1000;
  EXPECT_EQ(ny.ToUtc(gap_local), *ParseTimestampMillis("2024-03-10T07:30:00Z") / 1000);
}

TEST(TimeZone, FixedOffsetsUtcAndUnknownNames) {
  EXPECT_EQ(TimeZone::Load("UTC").OffsetAt(0), 0);
  EXPECT_EQ(TimeZone::Load("+05:30").OffsetAt(0), 5 * 3600 + 30 * 60);
  EXPECT_EQ(TimeZone::Load("UTC-3").OffsetAt(0), -3 * 3600);
  EXPECT_EQ(TimeZone::Load("-0800").ToUtc(0), 8 * 3600);
  EXPECT_THROW(TimeZone::Load("Mars/Olympus_Mons"), ConfigError);
  EXPECT_THROW(TimeZone::Load("../../etc/passwd"), ConfigError);
}

}  // namespace
}  // namespace revlens::sync
