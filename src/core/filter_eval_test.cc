// Tests of the in-memory filter evaluator (Matches): one row per filter and user, over two small
// users — an RFC 7643 style one and one shaped like Entra's traffic ("True" strings, upper-case keys).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/filter.h"

namespace scim::core {
namespace {

const Json& Barbara() {
  static const Json user = Json::parse(R"({
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "bjensen",
    "userName": "bjensen@example.com",
    "name": {"familyName": "Jensen", "givenName": "Barbara", "middleName": null},
    "displayName": "Babs Jensen",
    "title": "",
    "nickName": null,
    "active": true,
    "loginCount": 42,
    "score": 4.5,
    "emails": [
      {"value": "bjensen@example.com", "type": "work", "primary": true},
      {"value": "babs@jensen.org", "type": "home"}
    ],
    "phoneNumbers": [],
    "addresses": [{"type": "work", "locality": "Hollywood", "postalCode": "91608"}],
    "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
      "department": "Tour Operations",
      "employeeNumber": "701984",
      "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
    }
  })");
  return user;
}

const Json& Alice() {
  static const Json user = Json::parse(R"({
    "id": "ABC-def",
    "UserName": "Alice",
    "active": "True",
    "emails": [{"value": "alice@x.com", "type": "work", "primary": "True"}],
    "roles": ["admin", "Dev"],
    "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"Department": "Sales"}
  })");
  return user;
}

// The schema's answer in miniature: only `id` is caseExact.
bool IdIsCaseExact(const AttrPath& path) { return path.sub.empty() && IEquals(path.name, "id"); }

enum class User { kBarbara, kAlice };

struct EvalCase {
  std::string filter;
  User user;
  bool expected;
};

TEST(FilterEval, Table) {
  const std::string en = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  const std::string core = "urn:ietf:params:scim:schemas:core:2.0:User";
  const auto B = User::kBarbara;
  const auto A = User::kAlice;
  const EvalCase cases[] = {
      // eq on strings: case-insensitive unless the attribute is caseExact; names any case.
      {R"(userName eq "bjensen@example.com")", B, true},
      {R"(userName eq "BJENSEN@Example.com")", B, true},
      {R"(USERNAME Eq "bjensen@example.com")", B, true},
      {R"(userName eq "bjensen")", B, false},
      {R"(userName eq "alice")", A, true},
      {R"(id eq "2819c223-7f76-453a-919d-413861904646")", B, true},
      {R"(id eq "2819C223-7F76-453A-919D-413861904646")", B, false},
      {R"(id sw "2819c223")", B, true},
      {R"(id co "7F76")", B, false},
      {R"(id eq "abc-def")", A, false},
      {R"(id eq "ABC-def")", A, true},
      // ne: not equal, also when absent or null.
      {R"(userName ne "x")", B, true},
      {R"(userName ne "BJENSEN@example.com")", B, false},
      {R"(nickName ne "x")", B, true},
      {R"(missing ne "x")", B, true},
      {R"(id ne "2819C223-7F76-453A-919D-413861904646")", B, true},
      // co, sw, ew.
      {R"(name.familyName co "ENS")", B, true},
      {R"(name.familyName co "")", B, true},
      {R"(name.familyName sw "jen")", B, true},
      {R"(name.familyName sw "Jensen2")", B, false},
      {R"(name.familyName ew "SEN")", B, true},
      {R"(name.familyName ew "Jen")", B, false},
      {R"(name.familyName co "x")", B, false},
      {R"(missing co "")", B, false},
      {R"(nickName sw "")", B, false},
      // Ordering on strings is lexicographic: ISO dateTimes compare correctly.
      {R"(meta.lastModified gt "2011-05-13T04:42:34Z")", B, false},
      {R"(meta.lastModified ge "2011-05-13T04:42:34Z")", B, true},
      {R"(meta.lastModified gt "2011-01-01T00:00:00Z")", B, true},
      {R"(meta.lastModified lt "2012-01-01T00:00:00Z")", B, true},
      {R"(meta.lastModified le "2011-05-13T04:42:34Z")", B, true},
      {R"(meta.lastModified lt "2011-05-13T04:42:34Z")", B, false},
      {R"(meta.created lt "2011-01-01" and meta.lastModified gt "2011-05-13T00:00:00Z")", B, true},
      {R"(userName gt "A")", B, true},
      {R"(userName lt "BZ")", B, true},
      {R"(missing lt "z")", B, false},
      // Numbers.
      {"loginCount eq 42", B, true},
      {"loginCount eq 42.0", B, true},
      {"loginCount gt 41.5", B, true},
      {"loginCount lt 42", B, false},
      {"loginCount le 42", B, true},
      {"loginCount ge 43", B, false},
      {"loginCount ne 42", B, false},
      {"loginCount gt -1", B, true},
      {"score eq 4.5", B, true},
      {"score gt 4", B, true},
      {"score lt 4.25e0", B, false},
      {R"(loginCount eq "42")", B, false},
      {R"(loginCount co "4")", B, false},
      {"userName gt 1", B, false},
      // Booleans, and "True"/"False" strings on either side (Entra).
      {"active eq true", B, true},
      {"active eq TRUE", B, true},
      {"active eq false", B, false},
      {"active ne false", B, true},
      {"active gt false", B, false},
      {"active co true", B, false},
      {R"(active eq "true")", B, true},
      {R"(active eq "False")", B, false},
      {"active eq true", A, true},
      {"active eq false", A, false},
      {"active ne true", A, false},
      {"emails[primary eq true]", A, true},
      {R"(emails[primary EQ "True"])", A, true},
      {R"(emails[primary eq "true"])", B, true},
      {"emails[primary eq false]", B, false},
      {"loginCount eq true", B, false},
      // null.
      {"nickName eq null", B, true},
      {"missing eq null", B, true},
      {"userName eq null", B, false},
      {"userName ne null", B, true},
      {"nickName ne null", B, false},
      {"userName gt null", B, false},
      {"name.middleName eq null", B, true},
      // pr.
      {"userName pr", B, true},
      {"title pr", B, false},
      {"nickName pr", B, false},
      {"missing pr", B, false},
      {"active pr", B, true},
      {"loginCount pr", B, true},
      {"emails pr", B, true},
      {"phoneNumbers pr", B, false},
      {"name pr", B, true},
      {"name.familyName pr", B, true},
      {"name.middleName pr", B, false},
      {"emails.type pr", B, true},
      {"addresses.region pr", B, false},
      {"meta.lastModified pr", B, true},
      {en + ":manager pr", B, true},
      {en + ":manager.value pr", B, true},
      {en + ":costCenter pr", B, false},
      // Multi-valued: any element; a complex element without a sub-attribute stands for its value.
      {R"(emails eq "babs@jensen.org")", B, true},
      {R"(emails co "@JENSEN")", B, true},
      {R"(emails co "@nowhere")", B, false},
      {R"(emails sw "bjensen")", B, true},
      {R"(emails.type eq "home")", B, true},
      {R"(emails.value ew ".org")", B, true},
      {R"(emails.type ne "work")", B, false},
      {R"(emails.type ne "other")", B, true},
      {R"(emails.type eq "work" and emails.value ew ".org")", B, true},
      {R"(schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")", B, true},
      {R"(roles eq "dev")", A, true},
      {R"(roles co "min")", A, true},
      {R"(phoneNumbers eq "x")", B, false},
      // Value filters: one element must satisfy the whole inner filter.
      {R"(emails[type eq "work" and value co "@example.com"])", B, true},
      {R"(emails[type eq "home" and value co "@example.com"])", B, false},
      {R"(emails[type eq "work"])", B, true},
      {R"(emails[TYPE eq "WORK"])", B, true},
      {R"(emails[not (type eq "work")])", B, true},
      {R"(emails[type eq "work" or type eq "home"])", B, true},
      {R"(emails[type eq "other"])", B, false},
      {R"(emails[value pr and primary pr])", B, true},
      {R"(emails[display pr])", B, false},
      {R"(addresses[type eq "work" and locality eq "Hollywood"])", B, true},
      {R"(phoneNumbers[type eq "work"])", B, false},
      {R"(missing[type eq "work"])", B, false},
      {R"(userName[value eq "x"])", B, false},
      {R"(name[givenName eq "barbara"])", B, true},
      {R"(name[givenName eq "barbara" and familyName sw "X"])", B, false},
      {R"(userType eq "Employee" and emails[type eq "work"])", B, false},
      {R"(active eq true and emails[type eq "work"])", B, true},
      // Entra's valuePath.sub form.
      {R"(emails[type eq "work"].value eq "bjensen@example.com")", B, true},
      {R"(emails[type eq "home"].value eq "bjensen@example.com")", B, false},
      {R"(emails[type eq "work"].value eq "alice@x.com")", A, true},
      // URNs: extensions live under their URN key (any case); core URNs mean the top level;
      // unqualified names are not looked up in extensions.
      {en + R"(:department eq "Tour Operations")", B, true},
      {en + R"(:department eq "tour operations")", B, true},
      {"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:DEPARTMENT eq \"Tour Operations\"", B, true},
      {en + R"(:department eq "Sales")", A, true},
      {en + R"(:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d")", B, true},
      {en + R"(:manager.displayName sw "John")", B, true},
      {en + R"(:manager[displayName ew "smith"])", B, true},
      {en + R"(:manager eq "26118915-6090-4610-87e4-49d8ca9f808d")", B, false},
      {en + R"(:employeeNumber eq "701984")", B, true},
      {en + R"(:department eq "x")", A, false},
      {R"(department eq "Tour Operations")", B, false},
      {R"(urn:example:other:2.0:User:department eq "Tour Operations")", B, false},
      {core + R"(:userName eq "bjensen@example.com")", B, true},
      {core + R"(:name.familyName eq "Jensen")", B, true},
      {"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq \"Babs Jensen\"", B, true},
      // Logic: precedence not > and > or, grouping, short-circuit results.
      {R"(userName eq "x" or active eq true)", B, true},
      {R"(userName eq "x" and active eq true)", B, false},
      {R"(not (active eq true))", B, false},
      {R"(not (userName eq "x"))", B, true},
      {R"(active eq true or userName eq "nobody" and displayName eq "nobody")", B, true},
      {R"(displayName eq "nobody" and userName eq "nobody" or active eq true)", B, true},
      {R"((active eq true or userName eq "nobody") and displayName eq "nobody")", B, false},
      {R"(not (title pr) and not (nickName pr))", B, true},
      {R"(userType eq "Employee" and (emails co "example.com" or emails.value co "example.org"))", B, false},
      {R"(userName sw "b" and (emails co "example.com" or emails.value co "example.org"))", B, true},
  };
  for (const EvalCase& c : cases) {
    SCOPED_TRACE(c.filter);
    auto filter = ParseFilter(c.filter);
    ASSERT_TRUE(filter.has_value()) << filter.error().detail;
    const Json& user = c.user == User::kBarbara ? Barbara() : Alice();
    EXPECT_EQ(Matches(*filter, user, IdIsCaseExact), c.expected);
  }
}

TEST(FilterEval, WithoutCaseExactEverythingIsInsensitive) {
  const EvalCase cases[] = {
      {R"(id eq "2819C223-7F76-453A-919D-413861904646")", User::kBarbara, true},
      {R"(id co "7F76")", User::kBarbara, true},
      {R"(id eq "abc-DEF")", User::kAlice, true},
      {R"(userName eq "ALICE")", User::kAlice, true},
  };
  for (const EvalCase& c : cases) {
    SCOPED_TRACE(c.filter);
    auto filter = ParseFilter(c.filter);
    ASSERT_TRUE(filter.has_value()) << filter.error().detail;
    EXPECT_EQ(Matches(*filter, c.user == User::kBarbara ? Barbara() : Alice()), c.expected);
    EXPECT_EQ(Matches(*filter, c.user == User::kBarbara ? Barbara() : Alice(), CaseExactFn()), c.expected);
  }
}

struct CaseExactPathCase {
  std::string filter;
  std::vector<std::string> asked;  // AttrPath::ToString of each path case_exact was asked about
  bool expected;                   // with every attribute caseExact
};

TEST(FilterEval, CaseExactIsAskedAboutTheFullPath) {
  const std::string en = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
  const CaseExactPathCase cases[] = {
      {R"(userName eq "BJENSEN@example.com")", {"userName"}, false},
      {R"(emails[value eq "BABS@jensen.org"])", {"emails.value"}, false},
      {R"(emails[value eq "babs@jensen.org"])", {"emails.value"}, true},
      {R"(emails co "@JENSEN")", {"emails.value"}, false},
      {R"(emails.type eq "home")", {"emails.type"}, true},
      {en + R"(:manager[displayName eq "John Smith"])", {en + ":manager.displayName"}, true},
      {en + R"(:department sw "tour")", {en + ":department"}, false},
      // Once per path per call, however many elements are compared.
      {R"(emails[type eq "x" or type eq "y"])", {"emails.type", "emails.type"}, false},
      // Not asked when no string is compared.
      {"active eq true", {}, true},
      {"missing eq \"x\"", {}, false},
      {"emails pr", {}, true},
  };
  for (const CaseExactPathCase& c : cases) {
    SCOPED_TRACE(c.filter);
    auto filter = ParseFilter(c.filter);
    ASSERT_TRUE(filter.has_value()) << filter.error().detail;
    std::vector<std::string> asked;
    CaseExactFn record = [&asked](const AttrPath& path) {
      asked.push_back(path.ToString());
      return true;
    };
    EXPECT_EQ(Matches(*filter, Barbara(), record), c.expected);
    EXPECT_EQ(asked, c.asked);
  }
}

TEST(FilterEval, OddDocumentsAndTrees) {
  auto filter = ParseFilter(R"(userName eq "x" or emails[type pr] or a.b pr)");
  ASSERT_TRUE(filter.has_value());
  for (const char* doc : {"null", "[]", "\"x\"", "42", "{}", R"({"emails": "x", "a": [1, [2], null]})",
                          R"({"emails": [1, null, [], {"type": null}], "userName": ["y", {"value": 1}]})"}) {
    SCOPED_TRACE(doc);
    EXPECT_FALSE(Matches(*filter, Json::parse(doc)));
  }
  EXPECT_TRUE(Matches(*filter, Json::parse(R"({"a": [{"b": 1}]})")));
  EXPECT_TRUE(Matches(*filter, Json::parse(R"({"a": {"b": [null, "x"]}})")));

  // Hand-built trees with holes neither crash nor match.
  Filter holes{Logical{LogicalOp::kOr, nullptr, std::make_unique<Filter>(Filter{Not{nullptr}})}};
  EXPECT_TRUE(Matches(holes, Json::object()));
  EXPECT_EQ(ToString(holes), " or not ()");
  Filter empty_value_path{ValuePath{AttrPath{"", "emails", ""}, nullptr}};
  EXPECT_FALSE(Matches(empty_value_path, Barbara()));
}

}  // namespace
}  // namespace scim::core
