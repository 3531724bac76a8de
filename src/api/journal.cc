#include "api/journal.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/time.h"

namespace scim::api {
namespace {

constexpr auto kPurgeEvery = std::chrono::minutes(10);
constexpr int64_t kPurgeBatch = 10'000;

}  // namespace

Journal::Journal(storage::Store& store, JournalOptions options) : store_(store), options_(std::move(options)) {
  if (options_.enabled) thread_ = std::thread([this] { Loop(); });
}

Journal::~Journal() { Stop(); }

void Journal::Record(storage::JournalEntry entry) {
  if (!options_.enabled) return;
  std::lock_guard lock(mu_);
  if (stopping_) return;
  if (queued_.size() >= options_.max_queued) {
    ++dropped_;
    return;
  }
  queued_.push_back(std::move(entry));
}

void Journal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Journal::Loop() {
  auto next_purge = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait_for(lock, options_.flush_interval, [&] { return stopping_; });
    std::vector<storage::JournalEntry> batch;
    batch.swap(queued_);
    size_t dropped = std::exchange(dropped_, 0);
    bool stop = stopping_;
    lock.unlock();
    if (dropped > 0) {
      std::fputs(fmt::format("scimd: journal: {} entries dropped while the database was not keeping up\n", dropped)
                     .c_str(),
                 stderr);
    }
    Flush(batch);
    if (std::chrono::steady_clock::now() >= next_purge) {
      Purge();
      next_purge = std::chrono::steady_clock::now() + kPurgeEvery;
    }
    if (stop) return;
    lock.lock();
  }
}

void Journal::Flush(std::vector<storage::JournalEntry>& batch) {
  if (batch.empty()) return;
  auto r = store_.WriteSync([&](storage::WriteTxn& txn) { return txn.AppendJournal(batch); });
  if (!r) std::fputs(fmt::format("scimd: journal: {} entries not written: {}\n", batch.size(), r.error().detail).c_str(), stderr);
}

void Journal::Purge() {
  std::string before = core::FormatRfc3339(std::chrono::system_clock::now() -
                                           std::chrono::hours(24) * options_.retention_days);
  while (true) {
    int64_t deleted = 0;
    auto r = store_.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
      auto n = txn.PurgeJournal(before, kPurgeBatch);
      if (!n) return std::unexpected(n.error());
      deleted = *n;
      return {};
    });
    if (!r) {
      std::fputs(fmt::format("scimd: journal: purging old entries: {}\n", r.error().detail).c_str(), stderr);
      return;
    }
    if (deleted < kPurgeBatch) break;
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
  // Tombstones past their tenant's retention go on the same schedule.
  std::string now = core::FormatRfc3339(std::chrono::system_clock::now());
  while (true) {
    int64_t deleted = 0;
    auto r = store_.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
      auto n = txn.PurgeTombstones(now, kPurgeBatch);
      if (!n) return std::unexpected(n.error());
      deleted = *n;
      return {};
    });
    if (!r) {
      std::fputs(fmt::format("scimd: purging tombstones: {}\n", r.error().detail).c_str(), stderr);
      return;
    }
    if (deleted < kPurgeBatch) return;
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
}

}  // namespace scim::api
