// The host API (/api/v1/...): what the vendor's own app calls, with a host API key (never a SCIM
// token). Today: the change feed of a tenant.
//
//   GET /api/v1/tenants/{tenant}/events?after=CURSOR&limit=N&wait=SECONDS
//     {"events":[...],"next_cursor":"..."}: the tenant's events after CURSOR (default: from the
//     first), oldest first, at most N (default 100, at most 1000). With wait (1..30) and nothing
//     new, the request is held until an event arrives or the wait is over (long poll). Resume
//     with after=next_cursor: nothing is missed or seen twice.
//
// Errors use the SCIM error body (status, detail) so one parser reads both APIs. A key scoped to
// another tenant gets the same 404 as a tenant that does not exist.
#pragma once

#include <memory>

#include "http/server.h"
#include "storage/store.h"

namespace scim::events {
class FeedWaiter;
}

namespace scim::api {

class HostApi {
 public:
  HostApi(storage::Store& store, events::FeedWaiter& feed_waiter);
  ~HostApi();

  // Whether `path` is the host API's (starts with /api/v1/).
  static bool Owns(std::string_view path);
  // An http::Handler: runs on an I/O thread; a long poll answers later from the waiter's thread.
  void Handle(http::Request request, http::Responder respond);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scim::api
