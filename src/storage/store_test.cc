// The Store contract, one suite run against every engine: SQLite (a database file in a temporary
// directory) and PostgreSQL (a fresh database per test on the server SCIMD_TEST_POSTGRES names,
// e.g. the throwaway cluster tools/pg-test-cluster starts; tools/test sets it). Without that URL the
// PostgreSQL instances are skipped, except in CI (CI=true), where that is a failure.
#include "storage/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "core/encoding.h"
#include "core/filter.h"
#include "core/json.h"
#include "core/schema.h"
#include "storage/postgres/connection.h"
#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace scim::storage {
namespace {

using core::MemberOp;

enum class Engine { kSqlite, kPostgres };

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "Sqlite" : "Postgres";
}
void PrintTo(Engine engine, std::ostream* os) { *os << (engine == Engine::kSqlite ? "SQLite" : "PostgreSQL"); }

// `url` with its database name replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?');
  std::string base = url.substr(0, path == std::string::npos ? (query == std::string::npos ? url.size() : query) : path);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + database + rest;
}

class StoreTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    std::string test_name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    if (GetParam() == Engine::kPostgres) {
      const char* server = std::getenv("SCIMD_TEST_POSTGRES");
      if (!server || !*server) {
        const char* ci = std::getenv("CI");
        if (ci && std::string(ci) == "true") {
          FAIL() << "SCIMD_TEST_POSTGRES is not set: CI runs the store suite against PostgreSQL (tools/test starts "
                    "a cluster with tools/pg-test-cluster)";
        }
        GTEST_SKIP() << "SCIMD_TEST_POSTGRES is not set (tools/pg-test-cluster start prints a URL for it)";
      }
      server_url_ = server;
      database_ = "scimd_test_" + std::to_string(::getpid()) + "_" +
                  std::to_string(core::Fingerprint64(test_name) % 1000000007);
      auto admin = postgres::Connection::Open(server_url_);
      ASSERT_TRUE(admin) << admin.error().detail;
      (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
      auto created = (*admin)->Exec("CREATE DATABASE " + database_);
      ASSERT_TRUE(created) << created.error().detail;
      url_ = WithDatabase(server_url_, database_);
    } else {
      dir_ = std::filesystem::temp_directory_path() /
             ("scimd-store-" + std::to_string(::getpid()) + "-" + std::to_string(core::Fingerprint64(test_name)));
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
    }
    auto store = Open();
    ASSERT_TRUE(store) << store.error().detail;
    store_ = std::move(*store);
    auto registry = core::SchemaRegistry::LoadDefault();
    ASSERT_TRUE(registry) << registry.error().detail;
    registry_ = *registry;
    tenant_ = MakeTenant("acme");
    other_ = MakeTenant("globex");
  }

  void TearDown() override {
    store_.reset();
    if (!database_.empty()) {
      if (auto admin = postgres::Connection::Open(server_url_)) {
        (void)(*admin)->Exec("DROP DATABASE IF EXISTS " + database_ + " WITH (FORCE)");
      }
    }
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Another store on the same database: what a second scimd instance (or the CLI) would open.
  Result<std::unique_ptr<Store>> Open() {
    if (GetParam() == Engine::kPostgres) return OpenPostgresStore(PostgresOptions{.url = url_});
    return OpenSqliteStore((dir_ / "scimd.db").string());
  }

  void SimulateNewerSchema() {
    if (GetParam() == Engine::kPostgres) {
      auto db = postgres::Connection::Open(url_);
      ASSERT_TRUE(db) << db.error().detail;
      ASSERT_TRUE((*db)->Exec("UPDATE scimd_schema SET version = 999"));
      return;
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "scimd.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 999", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }

  // How each engine's plan says "reads every row" and "sorts the rows".
  const char* FullScanMarker() const { return GetParam() == Engine::kPostgres ? "Seq Scan on resources" : "SCAN r\n"; }
  const char* SortMarker() const { return GetParam() == Engine::kPostgres ? "Sort" : "TEMP B-TREE"; }

  TenantId MakeTenant(const std::string& name) {
    TenantId id;
    auto r = store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
      auto t = txn.CreateTenant(name, "2026-01-01T00:00:00.000Z");
      if (!t) return std::unexpected(t.error());
      id = t->id;
      return {};
    });
    EXPECT_TRUE(r) << r.error().detail;
    return id;
  }

  static ResourceRow User(const std::string& id, const std::string& user_name, const std::string& email = "") {
    ResourceRow row;
    row.id = id;
    row.user_name = user_name;
    row.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" + user_name +
               R"(","active":true,"title":"Engineer")" +
               (email.empty() ? "" : R"(,"emails":[{"value":")" + email + R"(","type":"work"}])") + "}";
    if (!email.empty()) row.emails.push_back(email);
    row.created = row.last_modified = "2026-01-01T00:00:00.000Z";
    return row;
  }

  static ResourceRow Group(const std::string& id, const std::string& name) {
    ResourceRow row;
    row.id = id;
    row.display_name = name;
    row.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":")" + name + "\"}";
    row.created = row.last_modified = "2026-01-01T00:00:00.000Z";
    return row;
  }

  Result<void> Insert(TenantId tenant, Kind kind, const ResourceRow& row) {
    return store_->WriteSync([&](WriteTxn& txn) { return txn.Insert(tenant, kind, row); });
  }

  Result<MemberChangeResult> Members(const std::string& group, std::vector<MemberOp> ops, bool reject = false) {
    MemberChangeResult out;
    auto r = store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
      auto m = txn.ApplyMemberOps(tenant_, group, ops, reject);
      if (!m) return std::unexpected(m.error());
      out = *m;
      return {};
    });
    if (!r) return std::unexpected(r.error());
    return out;
  }

  std::vector<std::string> MemberIds(const std::string& group) {
    auto rows = store_->Members(tenant_, group);
    EXPECT_TRUE(rows);
    std::vector<std::string> ids;
    for (const auto& m : *rows) ids.push_back(m.value);
    return ids;
  }

  ListScope Scope(Kind kind) const {
    return ListScope{kind, registry_->FindResourceType(kind == Kind::kUser ? "User" : "Group")};
  }

  std::vector<std::string> ListIds(Kind kind, const std::string& filter_text, int64_t start = 1, int64_t count = 100,
                                   int64_t* total = nullptr) {
    std::optional<core::Filter> filter;
    if (!filter_text.empty()) {
      auto parsed = core::ParseFilter(filter_text);
      EXPECT_TRUE(parsed) << filter_text << ": " << parsed.error().detail;
      filter = std::move(*parsed);
    }
    ListRequest request{.filter = filter ? &*filter : nullptr, .start_index = start, .count = count};
    auto page = store_->List(tenant_, {Scope(kind)}, *registry_, request);
    EXPECT_TRUE(page) << filter_text << ": " << page.error().detail;
    if (!page) return {};
    if (total) *total = page->total;
    std::vector<std::string> ids;
    for (const auto& r : page->resources) ids.push_back(r.id);
    return ids;
  }

  std::filesystem::path dir_;   // SQLite
  std::string server_url_;      // PostgreSQL: the server
  std::string database_;        //   this test's database on it
  std::string url_;             //   and its URL
  std::unique_ptr<Store> store_;
  std::shared_ptr<const core::SchemaRegistry> registry_;
  TenantId tenant_, other_;
};

TEST_P(StoreTest, TenantNamesAreUniqueCaseInsensitively) {
  auto r = store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto t = txn.CreateTenant("ACME", "now");
    if (!t) return std::unexpected(t.error());
    return {};
  });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().type, core::ErrorType::kConflict);
  auto found = store_->FindTenant("Acme");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->name, "acme");
}

TEST_P(StoreTest, UserNameIsUniquePerTenantCaseInsensitively) {
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("u1", "Ada@Example.com")));
  auto dup = Insert(tenant_, Kind::kUser, User("u2", "ada@example.COM"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().type, core::ErrorType::kUniqueness);
  EXPECT_TRUE(Insert(other_, Kind::kUser, User("u3", "ada@example.com"))) << "another tenant may reuse it";
}

TEST_P(StoreTest, FailedJobInABatchDoesNotUndoOthers) {
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("u1", "taken")));
  std::vector<std::future<Result<void>>> results;
  std::vector<std::promise<Result<void>>> promises(20);
  for (int i = 0; i < 20; ++i) {
    results.push_back(promises[i].get_future());
    auto row = User("b" + std::to_string(i), i == 10 ? "taken" : "batch" + std::to_string(i));
    store_->Write([this, row](WriteTxn& txn) { return txn.Insert(tenant_, Kind::kUser, row); },
                  [&promises, i](Result<void> r) { promises[i].set_value(std::move(r)); });
  }
  for (int i = 0; i < 20; ++i) {
    auto r = results[i].get();
    EXPECT_EQ(static_cast<bool>(r), i != 10) << i;
  }
  int64_t total = 0;
  ListIds(Kind::kUser, "", 1, 100, &total);
  EXPECT_EQ(total, 20);  // u1 + 19 batch users
}

TEST_P(StoreTest, MembershipIsSetAlgebra) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("u" + std::to_string(i), "n" + std::to_string(i))));
  ASSERT_TRUE(Insert(tenant_, Kind::kGroup, Group("g", "Eng")));
  ASSERT_TRUE(Insert(other_, Kind::kUser, User("foreign", "f")));

  auto added = Members("g", {MemberOp{MemberOp::Kind::kAdd, {{"u0", ""}, {"u1", ""}, {"nope", ""}, {"foreign", ""}}, nullptr}});
  ASSERT_TRUE(added);
  EXPECT_TRUE(added->changed);
  EXPECT_EQ(added->unknown_members, (std::vector<std::string>{"nope", "foreign"}));
  EXPECT_EQ(MemberIds("g"), (std::vector<std::string>{"u0", "u1"}));

  ASSERT_EQ(added->added.size(), 2u);
  EXPECT_EQ(added->added[0].value, "u0");
  EXPECT_EQ(added->added[1].kind, Kind::kUser);

  auto again = Members("g", {MemberOp{MemberOp::Kind::kAdd, {{"u0", ""}}, nullptr}});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->changed) << "adding a present member changes nothing";
  EXPECT_TRUE(again->added.empty());

  auto replaced = Members("g", {MemberOp{MemberOp::Kind::kReplaceAll, {{"u1", ""}, {"u2", ""}, {"u3", ""}}, nullptr},
                                MemberOp{MemberOp::Kind::kRemove, {{"u3", ""}}, nullptr}});
  ASSERT_TRUE(replaced);
  EXPECT_EQ(MemberIds("g"), (std::vector<std::string>{"u1", "u2"}));
  // What actually happened, in order: u0 out, u2 and u3 in, u3 out again.
  ASSERT_EQ(replaced->added.size(), 2u);
  EXPECT_EQ(replaced->added[0].value, "u2");
  EXPECT_EQ(replaced->added[1].value, "u3");
  ASSERT_EQ(replaced->removed.size(), 2u);
  EXPECT_EQ(replaced->removed[0].value, "u0");
  EXPECT_EQ(replaced->removed[1].value, "u3");

  auto filter = core::ParseFilter(R"(value eq "u1")");
  ASSERT_TRUE(filter);
  ASSERT_TRUE(Members("g", {MemberOp{MemberOp::Kind::kRemoveWhere, {}, std::make_shared<core::Filter>(std::move(*filter))}}));
  EXPECT_EQ(MemberIds("g"), (std::vector<std::string>{"u2"}));

  ASSERT_TRUE(Members("g", {MemberOp{MemberOp::Kind::kReplaceAll, {}, nullptr}}));
  EXPECT_TRUE(MemberIds("g").empty());

  auto rejected = Members("g", {MemberOp{MemberOp::Kind::kAdd, {{"u0", ""}, {"nope", ""}}, nullptr}}, /*reject=*/true);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().type, core::ErrorType::kInvalidValue);
  EXPECT_TRUE(MemberIds("g").empty()) << "a rejected request writes nothing";
}

TEST_P(StoreTest, GroupsOfEachAnswersAPageInOneQueryInTheSameOrder) {
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(Insert(tenant_, Kind::kUser, User(id, std::string("n") + id)));
  ASSERT_TRUE(Insert(tenant_, Kind::kGroup, Group("g1", "Beta")));
  ASSERT_TRUE(Insert(tenant_, Kind::kGroup, Group("g2", "Alpha")));
  ASSERT_TRUE(Members("g1", {MemberOp{MemberOp::Kind::kAdd, {{"a", ""}}, nullptr}}));
  ASSERT_TRUE(Members("g2", {MemberOp{MemberOp::Kind::kAdd, {{"a", ""}, {"b", ""}}, nullptr}}));
  auto each = store_->GroupsOfEach(tenant_, {"c", "a", "b", "nobody"});
  ASSERT_TRUE(each) << each.error().detail;
  ASSERT_EQ(each->size(), 4u);
  auto ids = [](const std::vector<GroupRef>& groups) {
    std::vector<std::string> out;
    for (const auto& g : groups) out.push_back(g.value + "/" + g.display);
    return out;
  };
  EXPECT_TRUE((*each)[0].empty());
  EXPECT_EQ(ids((*each)[1]), (std::vector<std::string>{"g2/Alpha", "g1/Beta"}));  // as GroupsOf orders them
  EXPECT_EQ(ids((*each)[2]), (std::vector<std::string>{"g2/Alpha"}));
  EXPECT_TRUE((*each)[3].empty());
  EXPECT_EQ(ids((*each)[1]), ids(*store_->GroupsOf(tenant_, "a")));
  auto other = store_->GroupsOfEach(other_, {"a"});
  ASSERT_TRUE(other);
  EXPECT_TRUE((*other)[0].empty()) << "another tenant sees none of them";
  EXPECT_TRUE(store_->GroupsOfEach(tenant_, {})->empty());
}

TEST_P(StoreTest, DeletingAUserRemovesItFromGroupsAndBumpsThem) {
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("u0", "n0")));
  ASSERT_TRUE(Insert(tenant_, Kind::kGroup, Group("g", "Eng")));
  ASSERT_TRUE(Members("g", {MemberOp{MemberOp::Kind::kAdd, {{"u0", ""}}, nullptr}}));
  auto groups = store_->GroupsOf(tenant_, "u0");
  ASSERT_TRUE(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ(groups->front().display, "Eng");
  auto r = store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto d = txn.Delete(tenant_, Kind::kUser, "u0", "2026-02-02T00:00:00.000Z");
    if (!d) return std::unexpected(d.error());
    EXPECT_TRUE(d->found);
    EXPECT_EQ(d->left_groups, std::vector<std::string>{"g"});
    return {};
  });
  ASSERT_TRUE(r);
  EXPECT_TRUE(MemberIds("g").empty());
  auto g = store_->Get(tenant_, Kind::kGroup, "g");
  ASSERT_TRUE(g && *g);
  EXPECT_EQ((*g)->version, 2);
  EXPECT_EQ((*g)->last_modified, "2026-02-02T00:00:00.000Z");
}

TEST_P(StoreTest, FiltersRunInSql) {
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("a", "ada@example.com", "ada@work.example")));
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("b", "bob@example.com", "bob@work.example")));
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("c", "carol@other.org")));
  ASSERT_TRUE(Insert(other_, Kind::kUser, User("x", "ada@example.com")));
  ASSERT_TRUE(Insert(tenant_, Kind::kGroup, Group("g", "Engineering")));
  ASSERT_TRUE(Members("g", {MemberOp{MemberOp::Kind::kAdd, {{"b", ""}}, nullptr}}));

  using V = std::vector<std::string>;
  EXPECT_EQ(ListIds(Kind::kUser, R"(userName eq "ADA@example.com")"), V{"a"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(id eq "a")"), V{"a"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(id eq "A")"), V{}) << "id is caseExact";
  EXPECT_EQ(ListIds(Kind::kUser, R"(emails.value eq "BOB@work.example")"), V{"b"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(emails[type eq "work" and value co "@work"])"), (V{"a", "b"}));
  EXPECT_EQ(ListIds(Kind::kUser, R"(userName sw "a" or userName ew ".org")"), (V{"a", "c"}));
  EXPECT_EQ(ListIds(Kind::kUser, R"(not (userName co "example"))"), V{"c"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(emails pr)"), (V{"a", "b"}));
  EXPECT_EQ(ListIds(Kind::kUser, R"(not (emails pr))"), V{"c"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(active eq true and title eq "engineer")"), (V{"a", "b", "c"}));
  EXPECT_EQ(ListIds(Kind::kUser, R"(active eq "True")"), (V{"a", "b", "c"})) << "Entra sends booleans as strings";
  EXPECT_EQ(ListIds(Kind::kUser, R"(groups.value eq "g")"), V{"b"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(meta.lastModified gt "2025-12-31T00:00:00Z")"), (V{"a", "b", "c"}));
  EXPECT_EQ(ListIds(Kind::kGroup, R"(displayName eq "engineering")"), V{"g"});
  EXPECT_EQ(ListIds(Kind::kGroup, R"(members[value eq "b"])"), V{"g"});
  EXPECT_EQ(ListIds(Kind::kGroup, R"(members.value eq "a")"), V{});
  // ne on a multi-valued attribute: no element equals (so also true without any element).
  EXPECT_EQ(ListIds(Kind::kUser, R"(emails.type ne "work")"), V{"c"});
  EXPECT_EQ(ListIds(Kind::kUser, R"(emails.value ne "ada@work.example")"), (V{"b", "c"}));

  auto filter = core::ParseFilter(R"(nosuchattr eq "x")");
  ASSERT_TRUE(filter);
  ListRequest request{.filter = &*filter, .start_index = 1, .count = 10};
  auto page = store_->List(tenant_, {Scope(Kind::kUser)}, *registry_, request);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().type, core::ErrorType::kInvalidFilter);
}

TEST_P(StoreTest, PagesAreStableAndCounted) {
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("u" + std::to_string(i), "n" + std::to_string(i))));
  std::vector<std::string> all;
  for (int start = 1; start <= 7; start += 3) {
    int64_t total = 0;
    auto page = ListIds(Kind::kUser, "", start, 3, &total);
    EXPECT_EQ(total, 7);
    all.insert(all.end(), page.begin(), page.end());
  }
  EXPECT_EQ(all, (std::vector<std::string>{"u0", "u1", "u2", "u3", "u4", "u5", "u6"}));
  int64_t total = 0;
  EXPECT_TRUE(ListIds(Kind::kUser, "", 50, 3, &total).empty());
  EXPECT_EQ(total, 7);
}

// The hot lookups stay index-backed however large the directory grows (DESIGN.md §2): pinned by
// the query plan of the exact page query List runs, not by timing.
TEST_P(StoreTest, HotFiltersUseTheirIndex) {
  if (GetParam() == Engine::kPostgres) {
    // PostgreSQL plans by statistics: give it a directory of some size, as in production, so that
    // the plan shows which index serves each filter rather than the cheapest way to read nothing.
    ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
      for (int i = 0; i < 3000; ++i) {
        std::string n = std::to_string(i);
        auto row = User("seed" + n, "seed" + n + "@example.com", "seed" + n + "@work.example");
        row.external_id = "ext" + n;
        row.last_modified = "2025-0" + std::to_string(1 + i % 9) + "-01T00:00:00.000Z";
        if (auto r = txn.Insert(tenant_, Kind::kUser, row); !r) return r;
        if (auto r = txn.Insert(tenant_, Kind::kGroup, Group("group" + n, "Group " + n)); !r) return r;
      }
      return {};
    }));
    auto db = postgres::Connection::Open(url_);
    ASSERT_TRUE(db) << db.error().detail;
    ASSERT_TRUE((*db)->Exec("ANALYZE"));
  }
  const std::pair<const char*, const char*> cases[] = {
      {R"(userName eq "Ada@Example.com")", "resources_user_name"},
      {R"(externalId eq "00u123")", "resources_external_id"},
      {R"(id eq "2819c223-7f76-453a-919d-413861904646")", "resources_id"},
      {R"(emails.value eq "ada@example.com")", "resource_emails_value"},
      {R"(emails[type eq "work"].value eq "ada@example.com")", "resource_emails_value"},  // Entra's lookup
      {R"(meta.lastModified gt "2026-01-01T00:00:00Z")", "resources_last_modified"},
  };
  for (const auto& [text, index] : cases) {
    auto filter = core::ParseFilter(text);
    ASSERT_TRUE(filter) << text;
    ListRequest request{.filter = &*filter, .start_index = 1, .count = 1};
    auto plan = store_->ExplainList(tenant_, {Scope(Kind::kUser)}, *registry_, request);
    ASSERT_TRUE(plan) << plan.error().detail;
    EXPECT_NE(plan->find(index), std::string::npos) << text << " ->\n" << *plan;
    EXPECT_EQ(plan->find(FullScanMarker()), std::string::npos) << text << " scans every row:\n" << *plan;
  }
  // A page in creation order, by index or by cursor, walks the index: no sort of the whole tenant.
  for (std::optional<std::string> cursor : {std::optional<std::string>(), std::optional<std::string>("")}) {
    ListRequest page{.start_index = 9000, .count = 100, .cursor = cursor};
    auto plan = store_->ExplainList(tenant_, {Scope(Kind::kUser)}, *registry_, page);
    ASSERT_TRUE(plan) << plan.error().detail;
    EXPECT_EQ(plan->find(SortMarker()), std::string::npos) << *plan;
    // SQLite walks (tenant_id, kind, seq); PostgreSQL that index or the primary key on seq.
    EXPECT_NE(plan->find(GetParam() == Engine::kPostgres ? "Index Scan" : "resources_tenant_kind"), std::string::npos)
        << *plan;
  }
  auto group_filter = core::ParseFilter(R"(displayName eq "Engineering")");
  ASSERT_TRUE(group_filter);
  ListRequest request{.filter = &*group_filter, .start_index = 1, .count = 1};
  auto plan = store_->ExplainList(tenant_, {Scope(Kind::kGroup)}, *registry_, request);
  ASSERT_TRUE(plan);
  // PostgreSQL has a unique index on group names (resources_group_name); SQLite checks them on its
  // one writer, through resources_display_name.
  EXPECT_NE(plan->find(GetParam() == Engine::kPostgres ? "resources_group_name" : "resources_display_name"),
            std::string::npos)
      << *plan;
}

TEST_P(StoreTest, CursorPagesWalkEveryRowOnceInBothDirections) {
  // Titles with gaps (no title) and ties, so the keyset crosses null/non-null and equal keys.
  const char* titles[] = {"b", nullptr, "a", "b", nullptr, "c", "a"};
  for (int i = 0; i < 7; ++i) {
    ResourceRow row = User("u" + std::to_string(i), "n" + std::to_string(i));
    row.body = R"({"schemas":[],"userName":"n)" + std::to_string(i) + "\"" +
               (titles[i] ? std::string(R"(,"title":")") + titles[i] + "\"" : "") + "}";
    ASSERT_TRUE(Insert(tenant_, Kind::kUser, row));
  }
  for (bool descending : {false, true}) {
    ListRequest request{.sort = SortSpec{core::AttrPath{"", "title", ""}, descending}, .count = 7};
    std::vector<std::string> expected;
    auto all = store_->List(tenant_, {Scope(Kind::kUser)}, *registry_, request);
    ASSERT_TRUE(all) << all.error().detail;
    for (const auto& r : all->resources) expected.push_back(r.id);
    ASSERT_EQ(expected.size(), 7u);
    EXPECT_EQ(expected, descending ? (std::vector<std::string>{"u4", "u1", "u5", "u3", "u0", "u6", "u2"})
                                   : (std::vector<std::string>{"u2", "u6", "u0", "u3", "u5", "u1", "u4"}));
    request.count = 2;
    request.cursor = "";
    std::vector<std::string> forward;
    std::optional<std::string> last_previous;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = store_->List(tenant_, {Scope(Kind::kUser)}, *registry_, request);
      ASSERT_TRUE(page) << page.error().detail;
      EXPECT_EQ(page->total, 7);
      for (const auto& r : page->resources) forward.push_back(r.id);
      last_previous = page->previous_cursor;
      if (!page->next_cursor) break;
      request.cursor = *page->next_cursor;
    }
    EXPECT_EQ(forward, expected);
    // Back from the last page to the first.
    std::vector<std::string> backward(expected.end() - 1, expected.end());  // the last page holds one row
    request.cursor = last_previous;
    while (request.cursor) {
      auto page = store_->List(tenant_, {Scope(Kind::kUser)}, *registry_, request);
      ASSERT_TRUE(page) << page.error().detail;
      std::vector<std::string> ids;
      for (const auto& r : page->resources) ids.push_back(r.id);
      backward.insert(backward.begin(), ids.begin(), ids.end());
      request.cursor = page->previous_cursor;
    }
    EXPECT_EQ(backward, expected);
  }
  ListRequest tampered{.count = 2, .cursor = "eyJ4Ijp0cnVlfQ"};
  auto page = store_->List(tenant_, {Scope(Kind::kUser)}, *registry_, tampered);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().type, core::ErrorType::kInvalidCursor);
}

TEST_P(StoreTest, EventsAreReadInCommitOrderPerTenantAndRolledBackOnesNeverAppear) {
  auto append = [&](TenantId tenant, const std::string& id, bool fail_after) {
    return store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
      EventRow event{id, "user.created", "2026-01-01T00:00:00.000Z", Kind::kUser, "u-" + id,
                     R"({"id":")" + id + R"(","type":"user.created"})"};
      if (auto r = txn.AppendEvent(tenant, event); !r) return r;
      if (fail_after) return core::Fail(core::ErrorType::kConflict, "the change failed after its event was written");
      return {};
    });
  };
  ASSERT_TRUE(append(tenant_, "e1", false));
  ASSERT_TRUE(append(other_, "x1", false));
  ASSERT_FALSE(append(tenant_, "lost", true));
  ASSERT_TRUE(append(tenant_, "e2", false));

  auto events = store_->EventsAfter(tenant_, 0, 10);
  ASSERT_TRUE(events) << events.error().detail;
  ASSERT_EQ(events->size(), 2u) << "the other tenant's event and the rolled-back one are not in the feed";
  EXPECT_EQ((*events)[0].id, "e1");
  EXPECT_EQ((*events)[1].id, "e2");
  EXPECT_LT((*events)[0].seq, (*events)[1].seq);
  EXPECT_EQ(EventJson((*events)[0]),
            R"({"cursor":")" + std::to_string((*events)[0].seq) + R"(","id":"e1","type":"user.created"})");

  auto rest = store_->EventsAfter(tenant_, (*events)[0].seq, 10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().id, "e2");
  auto last = store_->LastEventSeq(tenant_);
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, (*events)[1].seq);
  auto none = store_->LastEventSeq(MakeTenant("empty"));
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
}

TEST_P(StoreTest, WebhooksFanOutTheirTypesAndOnlyTheOldestPendingDeliveryOfAResourceIsDue) {
  auto append = [&](const std::string& id, const std::string& type, const std::string& resource) {
    ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) {
      return txn.AppendEvent(tenant_, {id, type, "2026-01-01T00:00:00.000Z", Kind::kUser, resource, "{}"});
    }));
  };
  append("before", "user.created", "u0");  // written before the webhook: not delivered to it
  WebhookRecord all{"wh_all", tenant_, "", "http://127.0.0.1:9/a", "s1", {}, {}, {}, "2026-01-01T00:00:00.000Z"};
  WebhookRecord some{"wh_some", tenant_, "", "http://127.0.0.1:9/b", "s2", {}, {}, {"user.deleted"}, ""};
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertWebhook(all); }));
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertWebhook(some); }));
  append("e1", "user.created", "u1");
  append("e2", "user.updated", "u1");
  append("e3", "user.created", "u2");
  append("e4", "user.deleted", "u1");

  auto fan_out = [&](const std::string& webhook, int64_t limit) {
    int64_t n = -1;
    EXPECT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
      auto r = txn.FanOut(webhook, 1000, limit);
      if (!r) return std::unexpected(r.error());
      n = *r;
      return {};
    }));
    return n;
  };
  EXPECT_EQ(fan_out("wh_all", 3), 3);
  EXPECT_EQ(fan_out("wh_all", 3), 1);
  EXPECT_EQ(fan_out("wh_all", 3), 0);
  EXPECT_EQ(fan_out("wh_some", 10), 4);

  auto due = store_->DueDeliveries(1000, {}, 10);
  ASSERT_TRUE(due) << due.error().detail;
  std::vector<std::string> due_events;
  for (const auto& d : *due) due_events.push_back(d.webhook.id + ":" + d.event.id);
  // u1's later events wait behind e1; wh_some takes user.deleted only.
  EXPECT_EQ(due_events, (std::vector<std::string>{"wh_all:e1", "wh_all:e3", "wh_some:e4"}));
  EXPECT_TRUE(store_->DueDeliveries(999, {}, 10)->empty()) << "not due before next_attempt_ms";
  EXPECT_TRUE(store_->DueDeliveries(1000, {tenant_}, 10)->empty()) << "a paused tenant has nothing due";

  // Delivering e1 makes e2 due; a failed attempt keeps it pending until its next time.
  const DeliveryRecord e1 = (*due)[0].delivery;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) {
    return txn.RecordAttempt({e1.id, "2026-01-01T00:00:01.000Z", 200, "", 12.5, "ok"},
                             {DeliveryState::kDelivered, 1, e1.next_attempt_ms});
  }));
  due = store_->DueDeliveries(1000, {}, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->front().event.id, "e2");
  const DeliveryRecord e2 = due->front().delivery;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) {
    return txn.RecordAttempt({e2.id, "2026-01-01T00:00:02.000Z", 0, "connection refused", 1.0, ""},
                             {DeliveryState::kPending, 1, 5000});
  }));
  due = store_->DueDeliveries(1000, {}, 10);
  ASSERT_TRUE(due);
  for (const auto& d : *due) EXPECT_NE(d.event.id, "e2");
  EXPECT_EQ(store_->DueDeliveries(5000, {}, 10)->front().event.id, "e2");

  auto found = store_->FindDelivery(tenant_, e2.id);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->attempts, 1);
  EXPECT_EQ((*found)->last_error, "connection refused");
  EXPECT_FALSE((*found)->last_status) << "no HTTP response";
  auto log = store_->DeliveryAttempts(tenant_, e1.id);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 1u);
  EXPECT_EQ(log->front().status, 200);
  EXPECT_DOUBLE_EQ(log->front().duration_ms, 12.5);
  EXPECT_TRUE(store_->DeliveryAttempts(other_, e1.id)->empty()) << "another tenant sees no log";
  EXPECT_FALSE(*store_->FindDelivery(other_, e1.id));

  auto delivered = store_->ListDeliveries(tenant_, std::string("wh_all"), DeliveryState::kDelivered, 10);
  ASSERT_TRUE(delivered);
  ASSERT_EQ(delivered->size(), 1u);
  EXPECT_EQ(delivered->front().delivered, "2026-01-01T00:00:01.000Z");

  bool removed = false;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.DeleteWebhook(tenant_, "wh_all");
    if (!r) return std::unexpected(r.error());
    removed = *r;
    return {};
  }));
  EXPECT_TRUE(removed);
  EXPECT_TRUE(store_->ListDeliveries(tenant_, std::string("wh_all"), std::nullopt, 10)->empty());
  EXPECT_EQ(store_->ListWebhooks(tenant_)->size(), 1u);
}

TEST_P(StoreTest, ApiKeysAreFoundByHashAndRevoked) {
  ApiKeyRecord all{"key_all", std::nullopt, "", "ops", "2026-01-01T00:00:00.000Z", std::nullopt, std::nullopt};
  ApiKeyRecord one{"key_one", tenant_, "", "app", "2026-01-01T00:00:01.000Z", std::nullopt, std::nullopt};
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertApiKey(all, "hash-all"); }));
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertApiKey(one, "hash-one"); }));
  auto found = store_->FindApiKeyByHash("hash-one");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, "key_one");
  ASSERT_TRUE((*found)->tenant);
  EXPECT_EQ((*found)->tenant->value, tenant_.value);
  EXPECT_EQ((*found)->tenant_name, "acme");
  auto global = store_->FindApiKeyByHash("hash-all");
  ASSERT_TRUE(global && *global);
  EXPECT_FALSE((*global)->tenant);
  EXPECT_FALSE(*store_->FindApiKeyByHash("nope"));

  bool revoked = false;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.RevokeApiKey("key_one", "2026-01-02T00:00:00.000Z");
    if (!r) return std::unexpected(r.error());
    revoked = *r;
    return {};
  }));
  EXPECT_TRUE(revoked);
  EXPECT_TRUE((*store_->FindApiKeyByHash("hash-one"))->revoked);
  auto keys = store_->ListApiKeys();
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 2u);
}

TEST_P(StoreTest, OAuthTokensBelongToTheirClientAndExpiredOnesArePurged) {
  OAuthClientRecord client;
  client.id = "scimdc_1";
  client.tenant = tenant_;
  client.secret_hash = "secret-hash";
  client.redirect_uris = {"https://a.example/cb", "https://b.example/cb"};
  client.okta_app = "acme";
  client.created = "2026-01-01T00:00:00.000Z";
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertOAuthClient(client); }));
  auto found = store_->FindOAuthClient("scimdc_1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->tenant->value, tenant_.value);
  EXPECT_EQ((*found)->redirect_uris, client.redirect_uris);
  EXPECT_EQ((*found)->okta_app, "acme");
  EXPECT_EQ((*found)->secret_hash, "secret-hash");

  auto token = [&](std::string id, std::string created, std::string expires) {
    OAuthTokenRecord t;
    t.id = std::move(id);
    t.kind = "access";
    t.client_id = "scimdc_1";
    t.tenant = tenant_;
    t.family = t.id;
    t.created = std::move(created);
    t.expires = std::move(expires);
    return t;
  };
  auto old = token("oat_old", "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z");
  auto fresh = token("oat_new", "2026-01-02T00:00:00.000Z", "2026-01-02T01:00:00.000Z");
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertOAuthToken(old, "h-old"); }));
  auto read = store_->FindOAuthTokenByHash("h-old");
  ASSERT_TRUE(read && *read);
  EXPECT_EQ((*read)->client_id, "scimdc_1");
  EXPECT_EQ((*read)->expires, "2026-01-01T01:00:00.000Z");
  EXPECT_FALSE((*read)->tenant_name.empty());
  // Issuing a token after the old one expired purges it.
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertOAuthToken(fresh, "h-new"); }));
  EXPECT_FALSE(*store_->FindOAuthTokenByHash("h-old"));
  EXPECT_TRUE(*store_->FindOAuthTokenByHash("h-new"));
  // Deleting the client deletes its tokens.
  bool deleted = false;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.DeleteOAuthClient("scimdc_1");
    if (!r) return std::unexpected(r.error());
    deleted = *r;
    return {};
  }));
  EXPECT_TRUE(deleted);
  EXPECT_FALSE(*store_->FindOAuthTokenByHash("h-new"));
  EXPECT_TRUE(store_->ListOAuthClients()->empty());
}

TEST_P(StoreTest, ReopenRefusesANewerSchema) {
  store_.reset();
  {
    auto store = Open();
    ASSERT_TRUE(store) << store.error().detail;
  }
  SimulateNewerSchema();  // a database written by a future scimd
  auto store = Open();
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().detail.find("newer scimd"), std::string::npos) << store.error().detail;
}

TEST_P(StoreTest, ReadersAndTheWriterRunConcurrently) {
  std::atomic<bool> done{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done) {
      auto page = ListIds(Kind::kUser, R"(userName sw "c")");
      (void)page;
      ++reads;
    }
  });
  std::vector<std::promise<Result<void>>> promises(200);
  for (int i = 0; i < 200; ++i) {
    auto row = User("c" + std::to_string(i), "c" + std::to_string(i));
    store_->Write([this, row](WriteTxn& txn) { return txn.Insert(tenant_, Kind::kUser, row); },
                  [&promises, i](Result<void> r) { promises[i].set_value(std::move(r)); });
  }
  for (auto& p : promises) EXPECT_TRUE(p.get_future().get());
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  int64_t total = 0;
  ListIds(Kind::kUser, "", 1, 1, &total);
  EXPECT_EQ(total, 200);
}

// Several writers on two stores (two scimd instances on one database) create the same userName in
// different cases at once: the database's unique index lets exactly one through.
TEST_P(StoreTest, ConcurrentCreatesOfOneUserNameHaveExactlyOneWinner) {
  auto second = Open();
  ASSERT_TRUE(second) << second.error().detail;
  constexpr int kThreads = 8;
  for (int round = 0; round < 5; ++round) {
    std::string name = "race" + std::to_string(round) + "@example.com";
    std::vector<Result<void>> results(kThreads);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&, i] {
        Store& store = i % 2 ? **second : *store_;
        std::string spelled = name;
        if (i % 3 == 1) spelled[0] = static_cast<char>(std::toupper(spelled[0]));
        ResourceRow row = User("r" + std::to_string(round) + "-" + std::to_string(i), spelled);
        ++ready;
        while (ready < kThreads) std::this_thread::yield();
        results[i] = store.WriteSync([&](WriteTxn& txn) { return txn.Insert(tenant_, Kind::kUser, row); });
      });
    }
    for (auto& t : threads) t.join();
    int winners = 0;
    for (const auto& r : results) {
      if (r) {
        ++winners;
      } else {
        EXPECT_EQ(r.error().type, core::ErrorType::kUniqueness) << r.error().detail;
      }
    }
    EXPECT_EQ(winners, 1) << name;
    EXPECT_EQ(ListIds(Kind::kUser, "userName eq \"" + name + "\"").size(), 1u);
  }
}

// Read-modify-write of one resource from many writers on two stores never loses an update: each
// write reads the row's version inside its transaction and writes version + 1.
TEST_P(StoreTest, ConcurrentReadModifyWritesOfOneResourceLoseNothing) {
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("counter", "counter")));
  auto second = Open();
  ASSERT_TRUE(second) << second.error().detail;
  constexpr int kThreads = 6, kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      Store& store = i % 2 ? **second : *store_;
      for (int n = 0; n < kEach; ++n) {
        auto r = store.WriteSync([&](WriteTxn& txn) -> Result<void> {
          auto current = txn.Get(tenant_, Kind::kUser, "counter");
          if (!current) return std::unexpected(current.error());
          if (!*current) return core::Fail(core::ErrorType::kNotFound, "counter");
          ResourceRow row = User("counter", "counter");
          row.version = (*current)->version + 1;
          return txn.Update(tenant_, Kind::kUser, row);
        });
        if (!r) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  auto counter = store_->Get(tenant_, Kind::kUser, "counter");
  ASSERT_TRUE(counter && *counter);
  EXPECT_EQ((*counter)->version, 1 + kThreads * kEach);
}

// The server drops every connection (what a restart does to them): the store notices, connects
// afresh, and the reads and writes that follow succeed.
TEST_P(StoreTest, ConnectionsLostToAServerRestartAreReplaced) {
  if (GetParam() != Engine::kPostgres) GTEST_SKIP() << "SQLite has no server";
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("before", "before")));
  ASSERT_TRUE(store_->Get(tenant_, Kind::kUser, "before"));  // a pooled read connection exists
  auto admin = postgres::Connection::Open(server_url_);
  ASSERT_TRUE(admin) << admin.error().detail;
  auto killed = (*admin)->Run(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ?1 AND pid <> pg_backend_pid()",
      {postgres::Text(database_)});
  ASSERT_TRUE(killed) << killed.error().detail;
  EXPECT_GE(killed->Int(0, 0), 2) << "a reader and a writer were connected";
  auto read = store_->Get(tenant_, Kind::kUser, "before");
  ASSERT_TRUE(read) << read.error().detail;
  EXPECT_TRUE(*read);
  auto written = Insert(tenant_, Kind::kUser, User("after", "after"));
  EXPECT_TRUE(written) << written.error().detail;
  EXPECT_EQ(ListIds(Kind::kUser, "").size(), 2u);
}

// A change-feed reader that resumes after the last seq it saw misses nothing, however many writers
// on however many instances append events at once, and whatever some of them roll back.
TEST_P(StoreTest, AFeedReaderFollowingConcurrentWritersMissesNoEvent) {
  auto second = Open();
  ASSERT_TRUE(second) << second.error().detail;
  constexpr int kThreads = 6, kEach = 25;
  std::atomic<bool> writing{true};
  std::vector<int64_t> seen;
  std::thread reader([&] {
    int64_t after = 0;
    while (true) {
      bool last_pass = !writing;
      auto events = store_->EventsAfter(tenant_, after, 1000);
      ASSERT_TRUE(events) << events.error().detail;
      for (const auto& e : *events) {
        seen.push_back(e.seq);
        after = e.seq;
      }
      if (last_pass && events->empty()) return;
    }
  });
  std::vector<std::thread> writers;
  std::atomic<int64_t> committed{0};
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      Store& store = t % 2 ? **second : *store_;
      for (int i = 0; i < kEach; ++i) {
        std::string id = "e" + std::to_string(t) + "-" + std::to_string(i);
        bool fail = i % 5 == 4;  // rolled back after appending: must never be seen
        auto r = store.WriteSync([&](WriteTxn& txn) -> Result<void> {
          if (auto a = txn.AppendEvent(tenant_, EventRow{id, "user.created", "now", Kind::kUser, id, "{}"}); !a) {
            return a;
          }
          if (fail) return core::Fail(core::ErrorType::kConflict, "rolled back on purpose");
          return {};
        });
        EXPECT_EQ(static_cast<bool>(r), !fail) << (r ? "" : r.error().detail);
        if (r) ++committed;
      }
    });
  }
  for (auto& w : writers) w.join();
  writing = false;
  reader.join();
  EXPECT_EQ(static_cast<int64_t>(seen.size()), committed.load());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  auto all = store_->EventsAfter(tenant_, 0, 100000);
  ASSERT_TRUE(all);
  EXPECT_EQ(static_cast<int64_t>(all->size()), committed.load());
}

// Admin accounts: names unique in any case, credentials found by hash with their account, a new
// password ends the sessions, invitations are used once.
TEST_P(StoreTest, AdminAccountsCredentialsAndInvitesKeepTheirRules) {
  AdminAccount op{"adm_1", "Root", "operator", std::nullopt, "", "hash1", "2026-01-01T00:00:00.000Z"};
  AdminAccount admin{"adm_2", "acme-admin", "tenant_admin", tenant_, "", "hash2", "2026-01-01T00:00:01.000Z"};
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    if (auto r = txn.InsertAdminAccount(op); !r) return r;
    return txn.InsertAdminAccount(admin);
  }));
  auto taken = store_->WriteSync([&](WriteTxn& txn) {
    return txn.InsertAdminAccount({"adm_3", "ROOT", "operator", std::nullopt, "", "h", "2026-01-02T00:00:00.000Z"});
  });
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().type, core::ErrorType::kUniqueness);
  auto found = store_->FindAdminAccount("root");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->id, "adm_1");
  EXPECT_FALSE((*found)->tenant);
  auto admins = store_->ListAdminAccounts(tenant_);
  ASSERT_TRUE(admins);
  ASSERT_EQ(admins->size(), 1u);
  EXPECT_EQ(admins->front().tenant_name, "acme");
  EXPECT_EQ(store_->ListAdminAccounts(std::nullopt)->size(), 2u);

  AdminCredential session{"ses_1", "session", "adm_2", "", "csrf1", "2026-01-01T00:00:00.000Z",
                          "2026-01-02T00:00:00.000Z", std::nullopt, std::nullopt};
  AdminCredential key{"akey_1", "key", "adm_2", "ci", "", "2026-01-01T00:00:00.000Z", std::nullopt, std::nullopt,
                      std::nullopt};
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    if (auto r = txn.InsertAdminCredential(session, "h-ses"); !r) return r;
    return txn.InsertAdminCredential(key, "h-key");
  }));
  auto match = store_->FindAdminCredentialByHash("h-ses");
  ASSERT_TRUE(match && *match);
  EXPECT_EQ((*match)->credential.csrf, "csrf1");
  EXPECT_EQ((*match)->account.name, "acme-admin");
  EXPECT_EQ((*match)->account.tenant_name, "acme");
  auto keys = store_->ListAdminKeys("adm_2");
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ(keys->front().label, "ci");

  bool changed = false;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.SetAdminPassword("adm_2", "hash2b", "2026-01-01T12:00:00.000Z");
    if (!r) return std::unexpected(r.error());
    changed = *r;
    return {};
  }));
  EXPECT_TRUE(changed);
  EXPECT_EQ((*store_->FindAdminCredentialByHash("h-ses"))->credential.revoked, "2026-01-01T12:00:00.000Z")
      << "a new password ends the sessions";
  EXPECT_FALSE((*store_->FindAdminCredentialByHash("h-key"))->credential.revoked) << "keys stay";

  AdminInvite invite{"inv_1", tenant_, "", "Root", "2026-01-01T00:00:00.000Z", "2026-01-08T00:00:00.000Z",
                     std::nullopt};
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) { return txn.InsertAdminInvite(invite, "h-inv"); }));
  std::vector<std::optional<AdminInvite>> uses(2);
  for (auto& use : uses) {
    ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
      auto r = txn.ConsumeAdminInvite("h-inv", "2026-01-02T00:00:00.000Z");
      if (!r) return std::unexpected(r.error());
      use = *r;
      return {};
    }));
  }
  ASSERT_TRUE(uses[0] && uses[1]);
  EXPECT_FALSE(uses[0]->used) << "the first use sees it unused";
  EXPECT_EQ(uses[0]->tenant_name, "acme");
  EXPECT_EQ(uses[1]->used, "2026-01-02T00:00:00.000Z") << "the second sees it used";

  bool deleted = false;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.DeleteAdminAccount("adm_2");
    if (!r) return std::unexpected(r.error());
    deleted = *r;
    return {};
  }));
  EXPECT_TRUE(deleted);
  EXPECT_FALSE(*store_->FindAdminCredentialByHash("h-key")) << "its credentials go with it";
}

// Values far longer than any index entry may be (PostgreSQL's B-tree holds about 2.7 kB) are
// stored, found and kept unique like short ones.
TEST_P(StoreTest, LongValuesAreStoredFoundAndUnique) {
  std::string long_name(6000, 'a');
  long_name += "@example.com";
  ResourceRow user = User("long", long_name, "x" + std::string(5000, 'm') + "@example.com");
  user.external_id = std::string(4000, 'e');
  user.display_name = std::string(5000, 'd');
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, user));
  ASSERT_TRUE(Insert(tenant_, Kind::kGroup, Group("longgroup", std::string(7000, 'G'))));

  std::string upper = long_name;
  upper[0] = 'A';
  auto dup = Insert(tenant_, Kind::kUser, User("long2", upper));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().type, core::ErrorType::kUniqueness);
  auto dup_group = Insert(tenant_, Kind::kGroup, Group("longgroup2", std::string(7000, 'g')));
  ASSERT_FALSE(dup_group);
  EXPECT_EQ(dup_group.error().type, core::ErrorType::kUniqueness);

  using V = std::vector<std::string>;
  EXPECT_EQ(ListIds(Kind::kUser, "userName eq \"" + upper + "\""), V{"long"});
  EXPECT_EQ(ListIds(Kind::kUser, "externalId eq \"" + *user.external_id + "\""), V{"long"});
  EXPECT_EQ(ListIds(Kind::kUser, "emails.value eq \"X" + std::string(5000, 'm') + "@EXAMPLE.com\""), V{"long"});
  EXPECT_EQ(ListIds(Kind::kGroup, "displayName eq \"" + std::string(7000, 'g') + "\""), V{"longgroup"});
}

// Tenant schemas: stored per tenant, the revision counts every bump and survives a settings change,
// and what a resource holds unmapped is kept beside it and goes with it.
TEST_P(StoreTest, TenantSchemasRevisionsAndUnmappedParts) {
  ASSERT_TRUE(Insert(tenant_, Kind::kUser, User("u1", "ada")));
  auto second = Open();
  ASSERT_TRUE(second) << second.error().detail;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    if (auto r = txn.PutTenantSchema(tenant_, {"urn:acme:1.0:User", R"({"id":"urn:acme:1.0:User"})", "t1"}); !r) {
      return r;
    }
    return txn.PutTenantSchema(tenant_, {"urn:acme:1.0:User", R"({"id":"urn:acme:1.0:User","v":2})", "t2"});
  }));
  auto schemas = store_->TenantSchemas(tenant_);
  ASSERT_TRUE(schemas);
  ASSERT_EQ(schemas->size(), 1u);
  EXPECT_EQ(schemas->front().updated, "t2");
  EXPECT_TRUE(store_->TenantSchemas(other_)->empty());

  // Bumps from two stores at once all count.
  std::vector<std::thread> bumps;
  for (int i = 0; i < 6; ++i) {
    bumps.emplace_back([&, i] {
      Store& store = i % 2 ? **second : *store_;
      EXPECT_TRUE(store.WriteSync([&](WriteTxn& txn) { return txn.BumpSchemaRevision(tenant_); }));
    });
  }
  for (auto& t : bumps) t.join();
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.SetTenantSettings("acme", R"({"profile":"okta"})");
    if (!r) return std::unexpected(r.error());
    return {};
  }));
  auto tenant = store_->FindTenant("acme");
  ASSERT_TRUE(tenant && *tenant);
  auto settings = core::ParseJson((*tenant)->settings);
  ASSERT_TRUE(settings);
  EXPECT_EQ((*settings)["schema_revision"], 6) << (*tenant)->settings;
  EXPECT_EQ((*settings)["profile"], "okta");

  ASSERT_TRUE(store_->WriteSync(
      [&](WriteTxn& txn) { return txn.SetUnmapped(tenant_, Kind::kUser, "u1", std::string(R"({"shoeSize":42})")); }));
  EXPECT_EQ(store_->GetUnmapped(tenant_, Kind::kUser, "u1")->value_or(""), R"({"shoeSize":42})");
  EXPECT_EQ(store_->UnmappedOf(tenant_, 10)->size(), 1u);
  std::vector<std::pair<StoredResource, std::optional<std::string>>> page;
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto r = txn.ResourcesAfter(tenant_, Kind::kUser, "", 10);
    if (!r) return std::unexpected(r.error());
    page = *r;
    return txn.RewriteBody(tenant_, Kind::kUser, "u1", R"({"userName":"ada","rewritten":true})", 7);
  }));
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page.front().second.value_or(""), R"({"shoeSize":42})");
  auto rewritten = store_->Get(tenant_, Kind::kUser, "u1");
  ASSERT_TRUE(rewritten && *rewritten);
  EXPECT_EQ((*rewritten)->version, 7);
  EXPECT_EQ(ListIds(Kind::kUser, "userName eq \"ada\""), std::vector<std::string>{"u1"}) << "indexed columns kept";
  ASSERT_TRUE(store_->WriteSync([&](WriteTxn& txn) -> Result<void> {
    auto d = txn.Delete(tenant_, Kind::kUser, "u1", "now");
    if (!d) return std::unexpected(d.error());
    return {};
  }));
  EXPECT_TRUE(store_->UnmappedOf(tenant_, 10)->empty()) << "the unmapped part goes with its resource";
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreTest, ::testing::Values(Engine::kSqlite, Engine::kPostgres), EngineName);

}  // namespace
}  // namespace scim::storage
