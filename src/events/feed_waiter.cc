#include "events/feed_waiter.h"

#include <algorithm>
#include <cstdint>

namespace scim::events {

FeedWaiter::FeedWaiter(storage::Store& store, std::chrono::milliseconds poll_interval)
    : store_(store), poll_interval_(poll_interval) {
  thread_ = std::thread([this] { Loop(); });
}

FeedWaiter::~FeedWaiter() { Stop(); }

void FeedWaiter::Wait(storage::TenantId tenant, int64_t after, std::chrono::steady_clock::time_point deadline,
                      Callback done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      waiting_[tenant.value].push_back(Waiter{after, deadline, std::move(done)});
      cv_.notify_one();  // the deadline may be earlier than the loop's next wake-up
      return;
    }
  }
  done();
}

void FeedWaiter::Notify() {
  {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) return;
    notified_ = true;
  }
  cv_.notify_one();
}

void FeedWaiter::Stop() {
  std::vector<Callback> pending;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    for (auto& [tenant, waiters] : waiting_) {
      for (auto& w : waiters) pending.push_back(std::move(w.done));
    }
    waiting_.clear();
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
  for (auto& done : pending) done();
}

void FeedWaiter::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto next = std::chrono::steady_clock::now() + poll_interval_;
    for (const auto& [tenant, waiters] : waiting_) {
      for (const auto& w : waiters) next = std::min(next, w.deadline);
    }
    cv_.wait_until(lock, next, [&] { return stopping_ || notified_; });
    if (stopping_) return;
    notified_ = false;

    // Read the newest seq of each waiting tenant without holding the lock.
    std::vector<int64_t> tenants;
    for (const auto& [tenant, waiters] : waiting_) tenants.push_back(tenant);
    lock.unlock();
    std::map<int64_t, int64_t> newest;
    for (int64_t tenant : tenants) {
      auto last = store_.LastEventSeq(storage::TenantId{tenant});
      // An unreadable store answers the waiter now: its read of the feed will report the error.
      newest[tenant] = last ? *last : INT64_MAX;
    }
    lock.lock();

    std::vector<Callback> ready;
    auto now = std::chrono::steady_clock::now();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      auto seen = newest.find(it->first);
      auto& waiters = it->second;
      for (auto w = waiters.begin(); w != waiters.end();) {
        bool has_news = seen != newest.end() && seen->second > w->after;
        if (has_news || w->deadline <= now) {
          ready.push_back(std::move(w->done));
          w = waiters.erase(w);
        } else {
          ++w;
        }
      }
      it = waiters.empty() ? waiting_.erase(it) : std::next(it);
    }
    lock.unlock();
    for (auto& done : ready) done();
    lock.lock();
  }
}

}  // namespace scim::events
