// The SCIM 2.0 HTTP API (RFC 7644) for every tenant: routing, authentication, /Users, /Groups and
// discovery, plus /healthz and /readyz. ScimApi::Handle is the http::Handler the app installs.
//
// URLs: /scim/v2/{tenant}/... (the tenant named in the path must be the credential's tenant) and
// the shared /scim/v2/... where the credential alone selects the tenant. Tenant names can never be
// an endpoint name (Users, Groups, ...), so the two never collide.
//
// Threads: Handle runs on an I/O thread. Reads are answered there; writes go to the Store's writer
// and are answered from its completion. Document work (parsing, PATCH, validation) happens before
// the write is queued; the transaction only re-checks the version it started from.
#pragma once

#include <chrono>
#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "api/rate_limiter.h"
#include "auth/authenticator.h"
#include "core/limits.h"
#include "core/schema.h"
#include "http/server.h"
#include "storage/store.h"

namespace scim::api {

class Journal;

struct ApiOptions {
  // Public origin used in meta.location and Location, e.g. "https://scim.example.com". Empty: taken
  // from the request's Host header with `scheme` (https when the server itself speaks TLS).
  std::string public_base_url;
  std::string scheme = "http";
  // When set ("scim.example.com"), a request to {tenant}.{tenant_domain} is for that tenant, as if
  // the path named it; its meta.location keeps that host.
  std::string tenant_domain;
  // Group members that name no resource: skipped and logged (default; a 400 would make Okta drop the
  // whole push for good) or rejected with 400 invalidValue.
  bool reject_unknown_members = false;
  // Passwords sent by the IdP: kept as an Argon2id hash (about 25 ms of CPU each) or dropped. Okta
  // sends a placeholder with every create, so the default drops them (decisions/0008); a tenant's
  // `passwords` setting overrides this.
  bool store_passwords = false;
  int64_t default_page_size = 100;
  int64_t max_page_size = 1000;
  // Bulk (RFC 7644 §3.7): operations per request; the payload limit is the HTTP body limit, which
  // the server enforces (413) before the API sees the request. Both are advertised.
  int64_t bulk_max_operations = 1000;
  int64_t bulk_max_payload_bytes = 1024 * 1024;
  // Requests a second per tenant, per credential and in all (429 beyond; rate_limiter.h), and the
  // lockout of clients whose credentials keep failing (failure_throttle.h).
  RateLimitOptions rate_limits;
  auth::FailureThrottleOptions login_throttle;
  // What a client's document may hold: applied to every request body (Bulk operations included),
  // filter and PATCH; never to documents read back from the store.
  core::DocumentLimits limits;
};

class ScimApi {
 public:
  // Every write also appends its change events to the store's outbox (docs/events.md);
  // `events_committed`, when given, is called (on the writer's thread; keep it short) after each
  // commit that wrote events, so feed readers and webhook delivery need not wait for their poll.
  // `journal`, when given, gets every request of a known tenant (docs/journal.md).
  ScimApi(storage::Store& store, std::shared_ptr<const core::SchemaRegistry> registry, ApiOptions options,
          std::function<void()> events_committed = {}, Journal* journal = nullptr);
  ~ScimApi();

  void Handle(http::Request request, http::Responder respond);

  // While not ready (draining before a shutdown), /readyz answers 503 so that a load balancer
  // stops sending new requests; everything else is served as usual. Thread-safe.
  void SetReady(bool ready);

  // Runs a deprovisioning request the circuit breaker held (directory/deprovision_guard.h) as the
  // tenant's IdP sent it, past the breaker, and hands its response to `done` (on the writer's or
  // the caller's thread). For the admin API's "apply".
  void ReplayHeld(const storage::Tenant& tenant, const storage::HeldChange& change,
                  std::function<void(http::Response)> done);

  // Tenant names that would collide with the shared base URL's endpoints.
  static bool IsReservedTenantName(std::string_view name);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Time as RFC 3339 UTC with milliseconds ("2026-11-22T07:34:06.123Z").
std::string FormatRfc3339(std::chrono::system_clock::time_point time);
std::string NowRfc3339();

}  // namespace scim::api
