#include "events/dispatcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "auth/crypto.h"
#include "core/tenant_settings.h"
#include "core/time.h"

namespace scim::events {
namespace {

using Clock = std::chrono::system_clock;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
}

// How much of a receiver's answer the delivery log keeps.
constexpr size_t kLoggedResponseBytes = 1024;

double Jitter() {
  thread_local std::minstd_rand engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

void LogError(const std::string& what) {
  std::string line = "scimd: webhook dispatcher: " + what + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace

std::string SignatureHeader(int64_t timestamp, std::string_view body, const std::vector<std::string>& secrets) {
  std::string signed_payload = std::to_string(timestamp) + "." + std::string(body);
  std::string header = "t=" + std::to_string(timestamp);
  for (const auto& secret : secrets) header += ",v1=" + auth::HmacSha256Hex(secret, signed_payload);
  return header;
}

std::chrono::milliseconds RetryDelay(int64_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds max,
                                     double jitter) {
  int64_t delay = base.count();
  for (int64_t i = 1; i < attempt && delay < max.count(); ++i) delay *= 2;
  delay = std::min(delay, max.count());
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(delay / 2 + static_cast<int64_t>(static_cast<double>(delay / 2) * jitter));
}

struct Dispatcher::Impl {
  // Constant after construction.
  storage::Store& store;
  const DispatcherOptions options;

  std::mutex mu;
  std::condition_variable wake;      // the coordinator: notified or stopping
  std::condition_variable work;      // the senders: a job or stopping
  bool notified = false;             // guarded by mu
  bool stopping = false;             // guarded by mu
  bool started = false;              // guarded by mu
  std::deque<storage::DueDelivery> jobs;  // guarded by mu
  std::set<int64_t> in_flight;       // delivery ids queued, being sent or being recorded; guarded by mu
  int64_t recording = 0;             // attempts handed to the store's writer, not yet committed; guarded by mu
  std::condition_variable recorded;  // `recording` went down
  // A round reads the due deliveries outside the lock, so it may read one as pending whose attempt
  // was recorded (and which left in_flight) meanwhile; sending it again would repeat it, maybe
  // after its resource's next event. Each recorded delivery keeps the count of records at its
  // commit here until every later round's read is sure to see the commit.
  uint64_t records_done = 0;                  // guarded by mu
  std::map<int64_t, uint64_t> recently_recorded;  // delivery id -> records_done after it; guarded by mu
  std::thread coordinator;
  std::vector<std::thread> senders;

  Impl(storage::Store& s, DispatcherOptions o) : store(s), options(std::move(o)) {}

  void Coordinate() {
    std::unique_lock lock(mu);
    while (!stopping) {
      wake.wait_for(lock, options.poll_interval, [&] { return stopping || notified; });
      if (stopping) return;
      notified = false;
      lock.unlock();
      Tick();
      lock.lock();
    }
  }

  // One round: fan new events out into deliveries, then hand the due ones to the senders.
  void Tick() {
    auto webhooks = store.ListWebhooks(std::nullopt);
    if (!webhooks) return LogError("listing webhooks: " + webhooks.error().detail);
    if (webhooks->empty()) return;
    auto paused = PausedTenants();
    if (!paused) return LogError("reading tenant settings: " + paused.error().detail);

    int64_t now_ms = NowMs();
    std::map<int64_t, int64_t> newest;  // tenant -> newest event seq
    for (const auto& webhook : *webhooks) {
      if (std::find(paused->begin(), paused->end(), webhook.tenant) != paused->end()) continue;
      auto [it, fresh] = newest.try_emplace(webhook.tenant.value, 0);
      if (fresh) {
        auto last = store.LastEventSeq(webhook.tenant);
        if (!last) return LogError("reading the outbox: " + last.error().detail);
        it->second = *last;
      }
      if (it->second <= webhook.cursor) continue;
      int64_t looked_at = 0;
      auto fanned = store.WriteSync([&](storage::WriteTxn& txn) -> core::Result<void> {
        auto n = txn.FanOut(webhook.id, now_ms, options.fan_out_batch);
        if (!n) return std::unexpected(n.error());
        looked_at = *n;
        return {};
      });
      if (!fanned) return LogError("queueing deliveries for " + webhook.id + ": " + fanned.error().detail);
      if (looked_at >= options.fan_out_batch) {  // more to fan out: come back at once
        std::lock_guard lock(mu);
        notified = true;
      }
    }

    // Room for a delivery per sender being sent, and more being recorded or waiting.
    size_t capacity = static_cast<size_t>(std::max(1, options.senders)) * 4;
    size_t busy = 0;
    uint64_t read_after = 0;  // records committed before the read below: it sees them
    {
      std::lock_guard lock(mu);
      busy = in_flight.size();
      read_after = records_done;
    }
    if (busy >= capacity) return;
    auto due = store.DueDeliveries(now_ms, *paused, static_cast<int64_t>(capacity + busy));
    if (!due) return LogError("reading due deliveries: " + due.error().detail);
    std::lock_guard lock(mu);
    for (auto& delivery : *due) {
      if (in_flight.size() >= capacity) break;
      auto recent = recently_recorded.find(delivery.delivery.id);
      if (recent != recently_recorded.end() && recent->second > read_after) continue;  // read before its record
      if (!in_flight.insert(delivery.delivery.id).second) continue;  // already queued or being sent
      jobs.push_back(std::move(delivery));
    }
    // Records this read saw need no remembering: later reads see them too.
    std::erase_if(recently_recorded, [&](const auto& entry) { return entry.second <= read_after; });
    work.notify_all();
  }

  core::Result<std::vector<storage::TenantId>> PausedTenants() {
    auto tenants = store.ListTenants();
    if (!tenants) return std::unexpected(tenants.error());
    std::vector<storage::TenantId> paused;
    for (const auto& tenant : *tenants) {
      auto settings = core::ParseTenantSettings(tenant.settings);
      if (settings && settings->notifications_paused) paused.push_back(tenant.id);
    }
    return paused;
  }

  void Send() {
    while (true) {
      storage::DueDelivery job;
      {
        std::unique_lock lock(mu);
        work.wait(lock, [&] { return stopping || !jobs.empty(); });
        if (stopping) return;  // queued jobs stay pending in the store and are sent after a restart
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      Deliver(job);
    }
  }

  // Called once an attempt's record committed (or failed to): the delivery leaves in_flight, and
  // the next event of the same resource may be due now.
  void Recorded(int64_t delivery_id) {
    // Notified under the lock: once Stop() sees `recording` at 0 it may destroy this object, so the
    // writer must be done with the condition variables before it lets go of the mutex.
    std::lock_guard lock(mu);
    in_flight.erase(delivery_id);
    --recording;
    recently_recorded[delivery_id] = ++records_done;
    notified = true;
    wake.notify_one();
    recorded.notify_all();
  }

  void Deliver(const storage::DueDelivery& job) {
    const auto& delivery = job.delivery;
    const auto& webhook = job.webhook;
    std::string body = storage::EventJson(job.event);
    auto now = Clock::now();
    std::string now_text = core::FormatRfc3339(now);
    std::vector<std::string> secrets = {webhook.secret};
    if (webhook.previous_secret && webhook.previous_secret_until && now_text < *webhook.previous_secret_until) {
      secrets.push_back(*webhook.previous_secret);
    }
    int64_t attempt_number = delivery.attempts + 1;

    http::ClientRequest request;
    request.method = "POST";
    request.url = webhook.url;
    request.headers = {
        {"Content-Type", "application/json"},
        {"User-Agent", "scimd-webhooks/0.1"},
        {"Scimd-Signature",
         SignatureHeader(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count(), body, secrets)},
        {"Scimd-Event-Id", job.event.id},
        {"Scimd-Event-Type", job.event.type},
        {"Scimd-Delivery-Id", std::to_string(delivery.id)},
        {"Scimd-Delivery-Attempt", std::to_string(attempt_number)},
    };
    request.body = std::move(body);

    auto started = std::chrono::steady_clock::now();
    auto response = http::Fetch(request, options.client);
    double duration_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

    storage::DeliveryAttempt attempt{delivery.id, now_text, 0, "", duration_ms, ""};
    bool delivered = false;
    if (response) {
      attempt.status = response->status;
      attempt.response = response->body.substr(0, kLoggedResponseBytes);
      delivered = response->status >= 200 && response->status < 300;
      if (!delivered) attempt.error = fmt::format("the receiver answered {}", response->status);
    } else {
      attempt.error = response.error();
    }
    storage::DeliveryOutcome outcome;
    outcome.attempts = attempt_number;
    outcome.next_attempt_ms = delivery.next_attempt_ms;
    if (delivered) {
      outcome.state = storage::DeliveryState::kDelivered;
    } else if (attempt_number >= options.max_attempts) {
      outcome.state = storage::DeliveryState::kDead;
    } else {
      outcome.state = storage::DeliveryState::kPending;
      outcome.next_attempt_ms = NowMs() + RetryDelay(attempt_number, options.retry_base, options.retry_max, Jitter()).count();
    }
    // Recorded without waiting, so that this sender takes the next delivery while the writer
    // commits (attempts of several senders then share a commit). The delivery stays in in_flight
    // until the commit, so the next event of its resource is not sent before this one is recorded.
    {
      std::lock_guard lock(mu);
      ++recording;
    }
    int64_t id = delivery.id;
    store.Write([attempt, outcome](storage::WriteTxn& txn) { return txn.RecordAttempt(attempt, outcome); },
                [this, id](core::Result<void> result) {
                  if (!result) LogError(fmt::format("recording delivery {}: {}", id, result.error().detail));
                  Recorded(id);
                });
  }
};

Dispatcher::Dispatcher(storage::Store& store, DispatcherOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopping) return;
  impl_->started = true;
  impl_->coordinator = std::thread([impl = impl_.get()] { impl->Coordinate(); });
  for (int i = 0; i < std::max(1, impl_->options.senders); ++i) {
    impl_->senders.emplace_back([impl = impl_.get()] { impl->Send(); });
  }
}

void Dispatcher::Notify() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->notified = true;
  }
  impl_->wake.notify_one();
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->work.notify_all();
  if (impl_->coordinator.joinable()) impl_->coordinator.join();
  for (auto& sender : impl_->senders) {
    if (sender.joinable()) sender.join();
  }
  // The writer still runs the last records' completions, which touch this object.
  std::unique_lock lock(impl_->mu);
  impl_->recorded.wait(lock, [&] { return impl_->recording == 0; });
}

}  // namespace scim::events
