// The long-poll waiter against a real SQLite store in a temporary directory.
#include "events/feed_waiter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>

#include "storage/sqlite/sqlite_store.h"

namespace scim::events {
namespace {

using namespace std::chrono_literals;

class FeedWaiterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("scimd-feed-" + std::to_string(::getpid()) + "-" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = storage::OpenSqliteStore((dir_ / "scimd.db").string());
    ASSERT_TRUE(store) << store.error().detail;
    store_ = std::move(*store);
    ASSERT_TRUE(store_->WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
      auto t = txn.CreateTenant("acme", "2026-01-01T00:00:00.000Z");
      if (!t) return std::unexpected(t.error());
      tenant_ = t->id;
      return {};
    }));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Append() {
    ASSERT_TRUE(store_->WriteSync([&](storage::WriteTxn& txn) {
      return txn.AppendEvent(tenant_, {"evt_1", "user.created", "2026-01-01T00:00:00.000Z", storage::Kind::kUser, "u",
                                       R"({"id":"evt_1"})"});
    }));
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
  storage::TenantId tenant_;
};

TEST_F(FeedWaiterTest, NotifyWakesAWaiterWhoseTenantHasNews) {
  FeedWaiter waiter(*store_, /*poll_interval=*/10s);  // only Notify can wake it in time
  std::promise<void> woke;
  waiter.Wait(tenant_, 0, std::chrono::steady_clock::now() + 30s, [&] { woke.set_value(); });
  auto future = woke.get_future();
  EXPECT_EQ(future.wait_for(200ms), std::future_status::timeout) << "nothing new yet";
  Append();
  waiter.Notify();
  EXPECT_EQ(future.wait_for(5s), std::future_status::ready);
}

TEST_F(FeedWaiterTest, PollingFindsEventsWrittenElsewhere) {
  FeedWaiter waiter(*store_, /*poll_interval=*/20ms);
  std::promise<void> woke;
  waiter.Wait(tenant_, 0, std::chrono::steady_clock::now() + 30s, [&] { woke.set_value(); });
  Append();  // no Notify: as if another process wrote it
  EXPECT_EQ(woke.get_future().wait_for(5s), std::future_status::ready);
}

TEST_F(FeedWaiterTest, AWaiterBehindTheCursorIsNotWokenByOldEvents) {
  Append();
  FeedWaiter waiter(*store_, /*poll_interval=*/20ms);
  std::atomic<int> calls{0};
  auto last = store_->LastEventSeq(tenant_);
  ASSERT_TRUE(last);
  waiter.Wait(tenant_, *last, std::chrono::steady_clock::now() + 300ms, [&] { ++calls; });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(calls.load(), 0) << "the only event is at the cursor, not after it";
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(calls.load(), 1) << "the deadline answers it once";
}

TEST_F(FeedWaiterTest, StopAnswersEveryWaiterAndLaterWaitsAtOnce) {
  FeedWaiter waiter(*store_, /*poll_interval=*/10s);
  std::atomic<int> calls{0};
  for (int i = 0; i < 3; ++i) waiter.Wait(tenant_, 0, std::chrono::steady_clock::now() + 60s, [&] { ++calls; });
  waiter.Stop();
  EXPECT_EQ(calls.load(), 3);
  waiter.Wait(tenant_, 0, std::chrono::steady_clock::now() + 60s, [&] { ++calls; });
  EXPECT_EQ(calls.load(), 4);
  waiter.Stop();  // idempotent
}

}  // namespace
}  // namespace scim::events
