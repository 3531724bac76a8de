// scimd-store-write-bench: durable user creates per second through Store::Write, for choosing how a
// backend commits (docs/decisions/0009). CLIENTS threads each create users one after another
// (WriteSync: the next starts when the previous is durable), as that many concurrent requests would.
//
// Usage: scimd-store-write-bench STORAGE CLIENTS SECONDS [WRITERS BATCH]
//   STORAGE: a postgres:// URL (an empty database, or one this tool filled before) or a directory
//   for an SQLite file. WRITERS and BATCH: PostgresOptions::writers and ::max_batch.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/postgres/postgres_store.h"
#include "storage/sqlite/sqlite_store.h"

using namespace scim;

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s STORAGE CLIENTS SECONDS [WRITERS BATCH]\n", argv[0]);
    return 2;
  }
  std::string target = argv[1];
  int clients = std::atoi(argv[2]);
  int seconds = std::atoi(argv[3]);
  storage::PostgresOptions options{.url = target};
  if (argc >= 6) {
    options.writers = static_cast<size_t>(std::atoi(argv[4]));
    options.max_batch = static_cast<size_t>(std::atoi(argv[5]));
  }
  core::Result<std::unique_ptr<storage::Store>> store =
      storage::IsPostgresUrl(target) ? storage::OpenPostgresStore(options)
                                     : (std::filesystem::create_directories(target),
                                        storage::OpenSqliteStore(target + "/scimd.db"));
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().detail.c_str());
    return 1;
  }
  std::string tenant_name = "bench" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  storage::TenantId tenant;
  auto created = (*store)->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
    auto t = txn.CreateTenant(tenant_name, "2026-01-01T00:00:00.000Z");
    if (!t) return std::unexpected(t.error());
    tenant = t->id;
    return {};
  });
  if (!created) {
    std::fprintf(stderr, "tenant: %s\n", created.error().detail.c_str());
    return 1;
  }

  std::atomic<bool> stop{false};
  std::atomic<int64_t> done{0}, failed{0};
  std::vector<std::thread> threads;
  auto start = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int64_t i = 0; !stop; ++i) {
        storage::ResourceRow row;
        row.id = "u-" + std::to_string(c) + "-" + std::to_string(i);
        row.user_name = row.id + "@example.com";
        row.body = R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":")" + *row.user_name +
                   R"(","active":true,"name":{"givenName":"Bench","familyName":"User"},"emails":[{"value":")" +
                   *row.user_name + R"(","type":"work","primary":true}],"title":"Engineer"})";
        row.emails = {*row.user_name};
        row.created = row.last_modified = "2026-01-01T00:00:00.000Z";
        storage::EventRow event{"evt-" + row.id, "user.created", row.created, storage::Kind::kUser, row.id, "{}"};
        auto r = (*store)->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
          if (auto inserted = txn.Insert(tenant, storage::Kind::kUser, row); !inserted) return inserted;
          return txn.AppendEvent(tenant, event);  // as every SCIM create does (the outbox)
        });
        (r ? done : failed)++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s clients=%d writers=%zu batch=%zu: %.0f creates/s (%lld ok, %lld failed, %.1f s)\n",
              storage::IsPostgresUrl(target) ? "postgres" : "sqlite", clients, options.writers, options.max_batch,
              static_cast<double>(done) / elapsed, static_cast<long long>(done.load()),
              static_cast<long long>(failed.load()), elapsed);
  return failed == 0 ? 0 : 1;
}
