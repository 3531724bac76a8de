// Running a SCIM BulkRequest (RFC 7644 §3.7): its operations go one after another through the
// ordinary endpoints (same validation, same transactions, same errors), each in its own
// transaction, in request order except that an operation waits for the operations whose bulkId
// it refers to. The result is a BulkResponse with one entry per operation that ran.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/bulk.h"
#include "http/server.h"

namespace scim::api {

// One operation as a request to the endpoints. `path` is relative to the base URL with every
// bulkId reference resolved ("/Groups/2819c223-…"); `body` is empty for DELETE.
struct BulkDispatch {
  std::string method;
  std::string path;
  std::string body;
  std::optional<std::string> if_match;
};
// Runs one operation and calls `done` with its response exactly once, on any thread.
using BulkDispatcher = std::function<void(BulkDispatch, std::function<void(http::Response)> done)>;

// Runs `request` and calls `done` once with the BulkResponse body. Operations whose bulkId
// references cannot be satisfied (the referenced operation failed, or the references form a
// cycle) fail with 409 without running. With failOnErrors = N, nothing runs after the N-th error.
// `done` and `dispatch` may be called from any thread; at most one operation runs at a time.
// `base_url` (".../scim/v2/{tenant}") makes each operation's `location`.
void RunBulk(core::BulkRequest request, std::string base_url, BulkDispatcher dispatch,
             std::function<void(std::string body)> done);

}  // namespace scim::api
