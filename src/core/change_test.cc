#include "core/change.h"

#include <gtest/gtest.h>

namespace scim::core {
namespace {

Json J(const char* text) { return Json::parse(text); }

constexpr const char* kEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

TEST(DiffResources, ReportsChangedAddedAndRemovedAttributesWithPreviousValues) {
  Json before = J(R"({"schemas":["a"],"userName":"ada","title":"Engineer","nickName":"A","active":true})");
  Json after = J(R"({"schemas":["a","b"],"userName":"ada","title":"Manager","active":true,"displayName":"Ada L"})");
  auto changes = DiffResources(before, after);
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].attribute, "title");
  EXPECT_EQ(changes[0].previous, "Engineer");
  EXPECT_EQ(changes[0].value, "Manager");
  EXPECT_EQ(changes[1].attribute, "nickName");
  EXPECT_EQ(changes[1].previous, "A");
  EXPECT_TRUE(changes[1].value.is_null());
  EXPECT_EQ(changes[2].attribute, "displayName");
  EXPECT_TRUE(changes[2].previous.is_null());
  EXPECT_EQ(changes[2].value, "Ada L");
}

TEST(DiffResources, IdenticalDocumentsHaveNoChanges) {
  Json doc = J(R"({"schemas":["a"],"userName":"ada","emails":[{"value":"a@x","primary":true}]})");
  EXPECT_TRUE(DiffResources(doc, doc).empty());
}

TEST(DiffResources, ComplexAndMultiValuedAttributesCompareAsWholes) {
  Json before = J(R"({"name":{"givenName":"Ada","familyName":"L"},"emails":[{"value":"a@x"}]})");
  Json after = J(R"({"name":{"givenName":"Ada","familyName":"Lovelace"},"emails":[{"value":"a@x"}]})");
  auto changes = DiffResources(before, after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].attribute, "name");
  EXPECT_EQ(changes[0].previous["familyName"], "L");
}

TEST(DiffResources, ExtensionAttributesAreNamedByTheirFullPath) {
  Json before = Json::object();
  before[kEnterprise] = {{"department", "R&D"}, {"costCenter", "1"}};
  Json after = Json::object();
  after[kEnterprise] = {{"department", "Sales"}, {"costCenter", "1"}, {"division", "EMEA"}};
  auto changes = DiffResources(before, after);
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].attribute, std::string(kEnterprise) + ":department");
  EXPECT_EQ(changes[0].previous, "R&D");
  EXPECT_EQ(changes[1].attribute, std::string(kEnterprise) + ":division");

  // The whole extension appearing or going away reports each of its attributes.
  auto added = DiffResources(Json::object(), after);
  EXPECT_EQ(added.size(), 3u);
  auto removed = DiffResources(before, Json::object());
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_TRUE(removed[0].value.is_null());
}

TEST(ClassifyUserUpdate, ActiveTransitionsAreNamedByWhatHappened) {
  struct Case {
    const char* before;
    const char* after;
    EventType expected;
  } cases[] = {
      {R"({"active":true})", R"({"active":false})", EventType::kUserDeactivated},
      {R"({})", R"({"active":false})", EventType::kUserDeactivated},  // absent means active
      {R"({"active":false})", R"({"active":true})", EventType::kUserReactivated},
      {R"({"active":false})", R"({})", EventType::kUserReactivated},
      {R"({"active":true,"title":"a"})", R"({"active":true,"title":"b"})", EventType::kUserUpdated},
      {R"({})", R"({"active":true})", EventType::kUserUpdated},  // absent to true: no transition
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyUserUpdate(DiffResources(J(c.before), J(c.after))), c.expected) << c.before << " -> " << c.after;
  }
}

TEST(ClassifyGroupUpdate, DisplayNameChangeIsARename) {
  EXPECT_EQ(ClassifyGroupUpdate(DiffResources(J(R"({"displayName":"a"})"), J(R"({"displayName":"b"})"))),
            EventType::kGroupRenamed);
  EXPECT_EQ(ClassifyGroupUpdate(DiffResources(J(R"({"displayName":"a"})"), J(R"({"displayName":"a","externalId":"x"})"))),
            EventType::kGroupUpdated);
}

TEST(EventTypes, NamesRoundTrip) {
  for (EventType type : AllEventTypes()) {
    auto parsed = ParseEventType(EventTypeName(type));
    ASSERT_TRUE(parsed) << EventTypeName(type);
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_FALSE(ParseEventType("user.exploded"));
  EXPECT_FALSE(ParseEventType("User.Created"));
  EXPECT_NE(EventTypeNames().find("group.member_removed"), std::string::npos);
}

TEST(ChangesToJson, SecretChangesCarryNoValues) {
  std::vector<AttributeChange> changes = {{"password", "old", "new", /*secret=*/true}, {"title", "a", "b"}};
  Json json = ChangesToJson(changes);
  EXPECT_EQ(json[0], J(R"({"attribute":"password"})"));
  EXPECT_EQ(json[1], J(R"({"attribute":"title","previous":"a","value":"b"})"));
}

}  // namespace
}  // namespace scim::core
