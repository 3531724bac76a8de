// The change feed's long poll: a request waits, without holding a thread, until its tenant has an
// event after its cursor or its deadline passes. One thread watches every waiting tenant's newest
// event: at once when this process wrote events (Notify), and every poll interval otherwise, for
// events another process or instance wrote.
//
// Thread-safe. Callbacks run on the waiter's thread (or the caller's, from Stop): keep them short.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/store.h"

namespace scim::events {

class FeedWaiter {
 public:
  // Called exactly once: when the tenant may have events after the cursor, at the deadline, or
  // when the waiter stops. The caller then reads the feed as usual.
  using Callback = std::function<void()>;

  explicit FeedWaiter(storage::Store& store, std::chrono::milliseconds poll_interval = std::chrono::milliseconds(250));
  ~FeedWaiter();  // Stop()
  FeedWaiter(const FeedWaiter&) = delete;
  FeedWaiter& operator=(const FeedWaiter&) = delete;

  void Wait(storage::TenantId tenant, int64_t after, std::chrono::steady_clock::time_point deadline, Callback done);
  // Events were committed in this process: check the waiting tenants now.
  void Notify();
  // Answers every waiter and ends the thread. Idempotent.
  void Stop();

 private:
  struct Waiter {
    int64_t after;
    std::chrono::steady_clock::time_point deadline;
    Callback done;
  };
  void Loop();

  // Constant after construction.
  storage::Store& store_;
  const std::chrono::milliseconds poll_interval_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int64_t, std::vector<Waiter>> waiting_;  // by tenant id; guarded by mu_
  bool notified_ = false;                            // guarded by mu_
  bool stopping_ = false;                            // guarded by mu_
  std::thread thread_;
};

}  // namespace scim::events
