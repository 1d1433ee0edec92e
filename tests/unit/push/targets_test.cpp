// The push configuration: the property catalog, the targets, value formatting, and the checks that keep
// revlens inside its own property group.
#include "deliver/targets.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "deliver/plan.hpp"

namespace revlens::deliver {
namespace {

using warehouse::Value;

const FieldMapping& Field(const PushTarget& t, const std::string& column) {
  for (const auto& f : t.fields) {
    if (f.column == column) return f;
  }
  throw std::runtime_error("no field " + column);
}

TEST(PushConfig, DefaultCatalogAndTargetsAreValid) {
  const PropertyCatalog catalog = DefaultCatalog();
  EXPECT_NO_THROW(ValidateCatalog(catalog));
  EXPECT_NO_THROW(ValidateTargets(DefaultTargets(), catalog));
  // The contact properties the issue names, with hidden shadow twins.
  for (const char* name : {"revlens_score", "revlens_tier", "revlens_fit", "revlens_engagement", "revlens_reasons",
                           "revlens_model_version", "revlens_scored_at"}) {
    const PropertySpec* p = catalog.Find("contacts", name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_FALSE(p->hidden) << name;
    const std::string shadow = "revlens_shadow_" + std::string(name).substr(8);
    const PropertySpec* s = catalog.Find("contacts", shadow);
    ASSERT_NE(s, nullptr) << shadow;
    EXPECT_TRUE(s->hidden) << shadow;
    EXPECT_EQ(s->type, p->type) << shadow;
  }
  ASSERT_NE(catalog.Find("companies", "revlens_icp_fit"), nullptr);
  EXPECT_EQ(catalog.Find("contacts", "revlens_tier")->options, (std::vector<std::string>{"A", "B", "C", "D"}));
}

TEST(PushConfig, RefusesMappingsOutsideTheRevlensGroup) {
  const PropertyCatalog catalog = DefaultCatalog();
  auto targets = DefaultTargets();
  targets[0].fields[0].property = "email";  // a HubSpot property: never written
  try {
    ValidateTargets(targets, catalog);
    FAIL() << "a mapping onto 'email' was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("never writes outside its own group"), std::string::npos) << e.what();
  }
  targets = DefaultTargets();
  targets[0].fields[1].shadow_property = "hs_lead_status";
  EXPECT_THROW(ValidateTargets(targets, catalog), ConfigError);
  targets = DefaultTargets();
  targets[1].fields[0].property = "revlens_score";  // a contact property, not a company one
  EXPECT_THROW(ValidateTargets(targets, catalog), ConfigError);
  // Two mappings onto one property.
  targets = DefaultTargets();
  targets[0].fields[2].property = "revlens_score";
  EXPECT_THROW(ValidateTargets(targets, catalog), ConfigError);
  // Identifiers are plain names (they are spliced into SQL).
  targets = DefaultTargets();
  targets[0].table = "lead_scores; drop table x";
  EXPECT_THROW(ValidateTargets(targets, catalog), ConfigError);
}

TEST(PushConfig, CatalogHoldsOnlyRevlensNames) {
  PropertyCatalog catalog = DefaultCatalog();
  catalog.by_type["contacts"].push_back(PropertySpec{"lifecyclestage", "Lifecycle", "string", "text", "", {}, false});
  EXPECT_THROW(ValidateCatalog(catalog), ConfigError);
  catalog = DefaultCatalog();
  catalog.by_type["deals"].push_back(PropertySpec{"revlens_deal_risk", "risk", "enumeration", "select", "", {}, false});
  EXPECT_THROW(ValidateCatalog(catalog), ConfigError);  // an enumeration needs options
  catalog = DefaultCatalog();
  catalog.by_type["deals"].push_back(PropertySpec{"revlens_x", "x", "number", "text", "", {}, false});
  EXPECT_THROW(ValidateCatalog(catalog), ConfigError);  // not a valid type/fieldType pair
}

TEST(PushConfig, FormatsValuesAsHubSpotStoresThem) {
  const auto targets = DefaultTargets();
  const PushTarget& t = targets[0];
  EXPECT_EQ(FormatValue(Field(t, "likelihood"), Value{73.44}), "73.4");
  EXPECT_EQ(FormatValue(Field(t, "likelihood"), Value{73.96}), "74");
  EXPECT_EQ(FormatValue(Field(t, "likelihood"), Value{-0.02}), "0");
  EXPECT_EQ(FormatValue(Field(t, "likelihood"), Value{int64_t{12}}), "12");
  EXPECT_EQ(FormatValue(Field(t, "likelihood"), Value{std::nan("")}), "");
  EXPECT_EQ(FormatValue(Field(t, "fit"), Value{12.4}), "12");
  EXPECT_EQ(FormatValue(Field(t, "fit"), Value{std::string("7.5")}), "8");
  FieldMapping one = Field(t, "fit");
  one.decimals = 1;
  EXPECT_EQ(FormatValue(one, Value{12.04}), "12");
  EXPECT_EQ(FormatValue(one, Value{12.06}), "12.1");
  EXPECT_EQ(FormatValue(one, Value{std::string("7.25")}), "7.3");
  EXPECT_EQ(FormatValue(Field(t, "fit"), Value{}), "");
  EXPECT_THROW(FormatValue(Field(t, "fit"), Value{std::string("high")}), InvalidInputError);
  EXPECT_EQ(FormatValue(Field(t, "tier"), Value{std::string("A")}), "A");
  EXPECT_EQ(FormatValue(Field(t, "scored_at"), Value{warehouse::Timestamp{1782777600123456}}),
            "2026-06-30T00:00:00.123Z");
  EXPECT_EQ(FormatValue(Field(t, "scored_at"), Value{std::string("2026-06-30 08:00:00")}), "2026-06-30T08:00:00.000Z");
  EXPECT_THROW(FormatValue(Field(t, "scored_at"), Value{std::string("yesterday")}), InvalidInputError);
  EXPECT_EQ(FormatValue(Field(t, "reasons"),
                        Value{std::string(R"j(["200-1,000 employees (+)","no reply in 30 days (-)"])j")}),
            "200-1,000 employees (+)\nno reply in 30 days (-)");
  EXPECT_EQ(FormatValue(Field(t, "reasons"), Value{std::string("plain text")}), "plain text");
  // HubSpot keeps at most 65,536 characters of a string property; the cut never splits a UTF-8 character.
  std::string longtext(65535, 'x');
  longtext += "\xc3\xa9\xc3\xa9";
  const std::string cut = FormatValue(Field(t, "reasons"), Value{longtext});
  EXPECT_EQ(cut.size(), 65535u);
}

TEST(PushConfig, ManagedPropertiesListVisibleThenShadow) {
  const auto props = ManagedProperties(DefaultTargets()[0]);
  ASSERT_EQ(props.size(), 14u);
  EXPECT_EQ(props.front(), "revlens_score");
  EXPECT_EQ(props[7], "revlens_shadow_score");
  EXPECT_EQ(ManagedProperties(DefaultTargets()[1]).size(), 3u);
  EXPECT_EQ(ManagedProperties(DefaultTargets()[3]),
            (std::vector<std::string>{"revlens_win_probability", "revlens_deal_risk", "revlens_predicted_at"}));
}

}  // namespace
}  // namespace revlens::deliver
