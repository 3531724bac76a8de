// Query-string parsing for list requests.
#include "api/query.h"

#include <gtest/gtest.h>

namespace scim::api {
namespace {

TEST(PercentDecode, DecodesAndRejectsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("userName%20eq%20%22a%40b%22", true), "userName eq \"a@b\"");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("%e2%9c%93", true), "\xe2\x9c\x93");
  EXPECT_FALSE(PercentDecode("%", true));
  EXPECT_FALSE(PercentDecode("%2", true));
  EXPECT_FALSE(PercentDecode("%zz", true));
}

TEST(ParseListParams, OktaConnectionTest) {
  auto p = ParseListParams("filter=userName%20eq%20%22probe%40x%22&startIndex=1&count=1", 100, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->filter, "userName eq \"probe@x\"");
  EXPECT_EQ(p->start_index, 1);
  EXPECT_EQ(p->count, 1);
}

TEST(ParseListParams, ClampsPerRfc7644) {
  auto p = ParseListParams("startIndex=0&count=-5", 100, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->start_index, 1);
  EXPECT_EQ(p->count, 0);
  p = ParseListParams("COUNT=5000", 100, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->count, 1000);
  p = ParseListParams("", 100, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->count, 100);
  EXPECT_FALSE(p->filter);
}

TEST(ParseListParams, RejectsNonIntegers) {
  for (const char* q : {"count=abc", "startIndex=1.5", "count=", "count=%"}) {
    auto p = ParseListParams(q, 100, 1000);
    ASSERT_FALSE(p) << q;
    EXPECT_EQ(p.error().type, core::ErrorType::kBadRequest) << q;
  }
}

TEST(ParseListParams, AttributeLists) {
  auto p = ParseListParams("excludedAttributes=members&attributes=userName,%20name.givenName", 100, 1000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->excluded_attributes, std::vector<std::string>{"members"});
  EXPECT_EQ(p->attributes, (std::vector<std::string>{"userName", "name.givenName"}));
}

}  // namespace
}  // namespace scim::api
