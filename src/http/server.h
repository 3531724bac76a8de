// An HTTP/1.1 server (Boost.Beast inside server.cc only) that knows nothing of SCIM.
// It reads requests with limits and deadlines, hands each to the application's Handler, writes the
// response, keeps connections alive, logs one access entry per request, and shuts down gracefully.
// With a certificate and key it speaks HTTPS (TLS 1.2 and 1.3, OpenSSL) instead of plain HTTP.
// Its limits, timeouts and certificate can be changed while it runs (Reconfigure).
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
  std::string path;     // percent-decoded path, without the query ("/a%20b" -> "/a b"; a
                        // malformed escape or "%00" is answered 400 by the server)
  std::string query;    // raw query string after '?', not decoded
  Headers headers;
  std::string body;
  std::string remote_address;  // "127.0.0.1"

  // Case-insensitive header lookup (the first match); empty when absent.
  std::string_view Header(std::string_view name) const;
};

// The server writes the framing itself: Content-Length (from body), Date and Connection. The
// application's headers of those names (and Transfer-Encoding, Keep-Alive) are dropped, as is any
// header with CR/LF/NUL in its value. `Connection: close` among them closes the connection after
// this response. For HEAD the body is not sent but its size is the Content-Length; 204 and 304
// get neither. A status outside 200..599 is replaced by 500.
struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // Filled by the application for the access log (never secrets): e.g. the tenant and credential id.
  std::string log_tenant;
  std::string log_credential;
  std::string log_note;   // something the operator should see that is not an error (skipped input)
  std::string log_client; // who the application says the client is (e.g. the identity provider)
  std::string log_error;  // e.g. the SCIM scimType or a short reason
};

// Called exactly once per request with the response to send. Thread-safe; may be called from any
// thread, also after the connection closed or the server stopped or was destroyed (the response is
// then dropped). Only the first call counts; later calls are ignored. Destroying every copy without
// calling it is a bug in the application: the server then answers 500 itself rather than leave the
// connection hanging. A Handler that holds it longer than ServerOptions::handler_timeout gets 503.
using Responder = std::function<void(Response)>;
using Handler = std::function<void(Request, Responder)>;

// The Handler gets the request by value and answers through the Responder. It runs on an I/O
// thread, so it must not block for long (hand slow work to another thread and answer from there).
// If it throws, the server logs the exception to stderr and answers 500 (unless it answered).
//
// What the server needs from the application when it must answer by itself (400 malformed request,
// 408 timeout, 413 body too large, 431 head too large, 500 handler failure, 503 handler timeout):
// a response in the app's format. Called on an I/O thread; if it throws, a text/plain body is sent.
using ErrorResponder = std::function<Response(int status, std::string_view detail)>;

// One per answered request, given to ServerOptions::access_log on an I/O thread once the
// response was written (or failed to be: then `error` says so). Requests the server answers itself
// (400, 408, 413, 431, 503) are logged too; connections closed while idle are not.
struct AccessLogEntry {
  std::string remote_address;
  std::string method;
  std::string path;        // decoded, without the query (queries may carry secrets); raw when
                           // it could not be decoded
  int status = 0;
  size_t request_bytes = 0;
  size_t response_bytes = 0;
  double duration_ms = 0;  // from the request's first byte to the response written
  std::string user_agent;
  std::string tenant;
  std::string credential;
  std::string error;
  std::string note;
  std::string client;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: pick a free port (see Server::port())
  int io_threads = 2;
  size_t body_limit = 1024 * 1024;              // larger: 413 through ErrorResponder
  size_t header_limit = 16 * 1024;             // request line + headers; larger: 431
  // Deadlines; each one that passes closes the connection. A request that timed out half-read
  // is answered 408 first; a connection idle between requests is closed silently.
  std::chrono::seconds header_timeout{10};      // head complete within this of its first byte
                                                // (a new connection: of accept)
  std::chrono::seconds body_timeout{30};        // to receive the body; also to write a response
  std::chrono::seconds idle_timeout{60};        // keep-alive idle connections close after this
  std::chrono::seconds handler_timeout{60};     // Responder not called by then: 503, close
  std::chrono::seconds shutdown_grace{20};      // in-flight requests get this long on Stop()
  // Open connections at once. A connection beyond it is answered 503 (with Retry-After: 1) and
  // closed without being read; past kMaxRejecting such answers in progress, it is closed at once.
  size_t max_connections = 10000;
  // HTTPS: PEM files of the certificate chain (leaf first) and of its private key. Both empty: plain
  // HTTP. Read by Listen() and again by Reconfigure().
  std::string tls_cert_file;
  std::string tls_key_file;
  std::function<void(const AccessLogEntry&)> access_log;  // may be empty
  // Called once when a graceful stop begins (on an I/O thread), so that requests the application
  // holds on purpose (long polls) can be answered now rather than at the end of the grace period.
  std::function<void()> on_stop;                // may be empty
  ErrorResponder error_responder;               // required
};

// Thread-safety: Listen() and Run() are called once each, from one thread; Stop() and port() from
// any thread. Destroy the Server only after Run() returned (or if it never ran); Responders the
// application still holds stay safe to call.
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
  // Installs SIGINT/SIGTERM handlers that call Stop() when `handle_signals` is true (the default
  // dispositions are restored when Run() returns).
  void Run(bool handle_signals = true);

  // From any thread, also while running: takes the limits, timeouts, max_connections and TLS files
  // of `updated` (its other fields are ignored) for requests that start from now on, and re-reads
  // the certificate and key (also when their names did not change) for connections accepted from
  // now on. Returns an empty string, or why nothing changed (an unreadable or mismatched key, or
  // switching between HTTP and HTTPS, which needs a new Server).
  std::string Reconfigure(const ServerOptions& updated);

  // Graceful stop, callable from any thread, idempotent, also before Run(): stop accepting, close
  // idle connections at once, let in-flight requests finish and answer them with
  // `Connection: close`; after shutdown_grace close whatever is left; then Run() returns.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scim::http
