// The provisioning journal's writer: every SCIM request of a tenant becomes a JournalEntry, kept
// for the retention period, so an operator can answer "user X never arrived" (docs/journal.md).
//
// Requests must not wait for their journal entry, and one write transaction per GET would double
// the writer's work: Record() only queues the entry, and a thread writes everything queued every
// flush interval in one transaction. So the last interval's entries (100 ms by default) can be
// lost in a crash; the changes themselves and their events never are (they commit with the
// request). The same thread deletes entries older than the retention, a batch at a time.
//
// Thread-safe. Record() never blocks on I/O; when the queue is full (the database is stuck), new
// entries are dropped and counted, and the count is reported on stderr once the writes resume.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "storage/store.h"

namespace scim::api {

struct JournalOptions {
  bool enabled = true;
  // Successful reads (GET, HEAD, .search answered 2xx/3xx) too; refused ones are always kept.
  bool successful_reads = true;
  int64_t retention_days = 30;
  std::chrono::milliseconds flush_interval{100};
  size_t max_queued = 100'000;
  size_t max_body_bytes = 16 * 1024;  // request bodies are cut to this
};

class Journal {
 public:
  Journal(storage::Store& store, JournalOptions options);
  ~Journal();  // Stop()
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const JournalOptions& options() const { return options_; }
  void Record(storage::JournalEntry entry);
  // Writes what is queued and ends the thread. Idempotent.
  void Stop();

 private:
  void Loop();
  void Flush(std::vector<storage::JournalEntry>& batch);
  void Purge();

  // Constant after construction.
  storage::Store& store_;
  const JournalOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<storage::JournalEntry> queued_;  // guarded by mu_
  size_t dropped_ = 0;                          // guarded by mu_
  bool stopping_ = false;                       // guarded by mu_
  std::thread thread_;
};

}  // namespace scim::api
