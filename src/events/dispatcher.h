// Webhook delivery: the worker that sends each tenant's events to its webhooks, signed, at least
// once, in order per resource, with retries, backoff and dead letters. It runs inside scimd and
// keeps all of its state in the store, so a restart (or kill -9) loses nothing: a delivery that
// was in flight is simply sent again.
//
// How it works. One coordinating thread, woken by Notify() (events committed, or a delivery
// finished) and at least every poll interval:
//   1. fan-out: for each webhook of a tenant whose notifications are active, the tenant's events
//      after the webhook's cursor become pending deliveries (Store::FanOut);
//   2. the due deliveries (Store::DueDeliveries: per webhook and resource only the oldest pending
//      one, so order holds across retries) go to a pool of sender threads;
//   3. a sender signs the event, POSTs it (http::Fetch, with a deadline), and hands the attempt's
//      record to the store's writer without waiting (records of several senders share a commit):
//      2xx delivers it; anything else schedules a retry after an exponential, jittered delay, or
//      dead-letters it after max_attempts. The delivery counts as in flight until its record
//      committed, so its resource's next event waits for that. An operator can queue any delivery
//      again (Redeliver).
//
// A paused tenant's events are neither fanned out nor sent; they flow, in order, once it is
// active again.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"
#include "storage/store.h"

namespace scim::events {

struct DispatcherOptions {
  int senders = 4;  // deliveries in flight at once
  http::ClientOptions client;
  int64_t max_attempts = 12;                         // then the delivery is a dead letter
  std::chrono::milliseconds retry_base{10'000};      // delay before the 2nd attempt (then doubling)
  std::chrono::milliseconds retry_max{3'600'000};    // no delay is longer
  std::chrono::milliseconds poll_interval{250};      // for events written by another process
  int64_t fan_out_batch = 500;
};

class Dispatcher {
 public:
  Dispatcher(storage::Store& store, DispatcherOptions options);
  ~Dispatcher();  // Stop()
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts the coordinator and the senders. Call once.
  void Start();
  // Events were committed (or a delivery was queued again): look now rather than at the next poll.
  void Notify();
  // Stops taking new deliveries, lets the ones in flight finish (each is bounded by the client's
  // total_timeout) and their records commit, and joins every thread. Idempotent. The store must
  // outlive this call.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The signature header value for `body` sent at `timestamp` (Unix seconds):
// "t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under each secret>".
// A receiver recomputes the HMAC with its secret and accepts when any v1 matches (two are sent
// while a secret rotation overlaps) and the timestamp is recent.
std::string SignatureHeader(int64_t timestamp, std::string_view body, const std::vector<std::string>& secrets);

// The delay before attempt `attempt` + 1 after `attempt` failed ones (attempt >= 1):
// base * 2^(attempt-1), capped at `max`, then scaled into [1/2, 1] of itself by `jitter`
// (a number in [0, 1)), so that many failures at once do not retry in step.
std::chrono::milliseconds RetryDelay(int64_t attempt, std::chrono::milliseconds base, std::chrono::milliseconds max,
                                     double jitter);

}  // namespace scim::events
