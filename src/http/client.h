// An outbound HTTP/1.1 client (Boost.Asio/Beast and OpenSSL inside client.cc only) that knows
// nothing of SCIM: one request per call on a fresh connection, plain http or https, with a deadline
// on the whole exchange and limits on what it reads back. Made for the webhook delivery worker,
// which sends from threads of its own and must never hang on a slow or hostile receiver.
//
// Threading: Fetch() blocks its caller and shares no state between calls, so any number of
// threads may call it at once. It never throws: every failure comes back as a readable string.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "http/server.h"  // Headers

namespace scim::http {

struct ClientOptions {
  // Limit on the TCP connect alone (all the host's addresses together); counts towards
  // total_timeout too.
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{10000};   // whole exchange: resolve, connect, TLS, write, read
  size_t max_response_body = 64 * 1024;             // a longer body is truncated (not an error); body_truncated=true
  std::string ca_file;                              // https: extra PEM CA bundle to trust; empty: the system's default paths
  bool verify_tls = true;                           // https: verify the peer certificate chain and host name
};

struct ClientRequest {
  std::string method = "POST";
  std::string url;          // http://host[:port]/path?query or https://...
  // As given; the client adds Host, Content-Length, Connection: close and User-Agent if absent
  // (Content-Length is left out for an empty body unless the method is POST, PUT or PATCH). A
  // header name that is not a token, a value holding CR, LF or NUL, a Transfer-Encoding header or
  // a Content-Length other than the body's size make the request fail before anything is sent.
  Headers headers;
  std::string body;
};

struct ClientResponse {
  int status = 0;           // the final status (interim 1xx responses are skipped)
  Headers headers;          // as received, in order
  std::string body;         // at most ClientOptions::max_response_body bytes (nothing for HEAD)
  bool body_truncated = false;
};

// Sends one request on a fresh connection and reads the response. Blocking; thread-safe (no shared
// state between calls). Errors (as a human-readable string, e.g. "connect 127.0.0.1:9: Connection refused",
// "timed out after 10000 ms", "invalid URL 'ftp://x': only http and https are supported",
// "TLS handshake: certificate verify failed"): never throws.
//
// Any status, 4xx and 5xx included, is a response, not an error. The response header may be up to
// 16 KiB; a larger one is an error. The connection is closed once the response was read (or the
// body limit reached). Timeout errors say what was going on ("timed out after 300 ms (waiting for
// the response)"); a connect that exceeds connect_timeout reads "connect HOST:PORT: timed out
// after 5000 ms". Host names are resolved with getaddrinfo on a helper thread so that a hanging
// DNS lookup cannot hold the caller past its deadline.
std::expected<ClientResponse, std::string> Fetch(const ClientRequest& request, const ClientOptions& options = {});

// Splits a URL into scheme ("http"/"https"), host, port (default 80/443) and target ("/" when empty).
// The scheme is returned in lower case; an IPv6 literal's brackets are removed ("[::1]" -> "::1");
// a fragment ("#...") is dropped from the target and a bare query gets the "/" path ("/?x=1").
// Fails (with "invalid URL '<url>': <why>") on another scheme, user information ("user@host"), an
// empty host, a host with characters outside letters, digits, ".-_~", a port that is not 1..65535,
// and on a space, control or non-ASCII byte anywhere.
struct Url { std::string scheme, host; uint16_t port = 0; std::string target; };
std::expected<Url, std::string> ParseUrl(std::string_view url);

}  // namespace scim::http
