// An HTTP/1.1 server (Boost.Beast inside server.cc only) that knows nothing of SCIM.
// It reads requests with limits and deadlines, hands each to the application's Handler, writes the
// response, keeps connections alive, logs one access entry per request, and shuts down gracefully.
//
// Threading: `io_threads` threads run the event loop. The Handler is called on an I/O thread and
// may answer at once or later from any thread through the Responder (e.g. after a database
// writer committed); the connection waits for that answer before reading the next request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scim::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;   // "GET", "POST", ...
  std::string target;   // as sent: path and query
  std::string path;     // percent-decoded path, without the query
  std::string query;    // raw query string after '?', not decoded
  Headers headers;
  std::string body;
  std::string remote_address;

  // Case-insensitive header lookup; empty when absent.
  std::string_view Header(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Filled by the application for the access log (never secrets): e.g. the tenant and credential id.
  std::string log_tenant;
  std::string log_credential;
  std::string log_error;  // e.g. the SCIM scimType or a short reason
};

// Called exactly once per request with the response to send. Thread-safe; may be called from any
// thread. Calling it after the server stopped is harmless.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

// What the server needs from the application when it must answer by itself (body too large,
// malformed request, timeout, unavailable during shutdown): a response body in the app's format.
using ErrorResponder = std::function<Response(int status, std::string_view detail)>;

struct AccessLogEntry {
  std::string remote_address;
  std::string method;
  std::string path;        // without the query (queries may carry secrets in other apps)
  int status = 0;
  size_t request_bytes = 0;
  size_t response_bytes = 0;
  double duration_ms = 0;
  std::string user_agent;
  std::string tenant;
  std::string credential;
  std::string error;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: pick a free port (see Server::port())
  int io_threads = 2;
  size_t body_limit = 1024 * 1024;              // larger: 413 through ErrorResponder
  size_t header_limit = 16 * 1024;
  std::chrono::seconds header_timeout{10};      // to receive a complete request head
  std::chrono::seconds body_timeout{30};        // to receive the body
  std::chrono::seconds idle_timeout{60};        // keep-alive idle connections close after this
  std::chrono::seconds shutdown_grace{20};      // in-flight requests get this long on Stop()
  std::function<void(const AccessLogEntry&)> access_log;  // may be empty
  ErrorResponder error_responder;               // required
};

class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens. Returns an empty string on success, else why it failed
  // ("127.0.0.1:8080: Address already in use").
  std::string Listen();
  // The bound port (useful when options.port was 0). Valid after a successful Listen().
  uint16_t port() const;

  // Runs the event loop on io_threads threads (the caller's included) until Stop() completes.
  // Installs SIGINT/SIGTERM handlers that call Stop() when `handle_signals` is true.
  void Run(bool handle_signals = true);

  // Graceful stop, callable from any thread: stop accepting, let in-flight requests finish (up to
  // shutdown_grace), close idle connections, then make Run() return.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scim::http
