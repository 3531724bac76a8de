// Wire-format helpers of the HTTP server: splitting and percent-decoding the request-target,
// writing a response head, HTTP dates. Pure functions without I/O or Boost, so server.cc is left
// with sockets and lifetimes and these are tested on their own (wire_test.cc). Internal to http/.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "http/server.h"

namespace scim::http::wire {

// ASCII case-insensitive equality (HTTP field names and tokens).
bool IEquals(std::string_view a, std::string_view b);

// An RFC 9110 §5.6.2 token (a method or a header name): one or more tchar.
bool IsToken(std::string_view s);
// A header value that cannot split a message: no CR, LF or NUL.
bool IsSafeHeaderValue(std::string_view s);

// Decodes %XX escapes into *out (replacing its contents). '+' stays '+': this is a path, not a
// form. Returns false on a malformed escape ("%4", "%zz") or a NUL, escaped ("%00") or raw, which
// no legitimate path needs and which would truncate C strings further down.
bool PercentDecode(std::string_view in, std::string* out);

// Splits a request-target into the percent-decoded path and the raw query (after the first '?').
// Accepts origin-form ("/a/b?x"), absolute-form ("http://host/a?x": the authority is dropped) and
// asterisk-form ("*"). Returns false for anything else or when the path fails PercentDecode.
bool SplitTarget(std::string_view target, std::string* path, std::string* query);

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate) for `t`, written into `buf`.
constexpr std::size_t kHttpDateSize = 29;
std::string_view FormatHttpDate(std::time_t t, char (&buf)[kHttpDateSize]);

// Whether a status code's response carries no content (1xx, 204, 304): such responses get neither
// a body nor a Content-Length.
bool StatusHasNoBody(int status);

// True when the application's headers ask to close the connection ("Connection: close").
bool HeadersRequestClose(const Headers& headers);

enum class ConnectionHeader { kNone, kKeepAlive, kClose };

struct ResponseHead {
  int status = 200;
  std::string_view reason;     // "OK"
  const Headers* headers = nullptr;  // the application's headers; may be null
  std::size_t content_length = 0;    // ignored when StatusHasNoBody(status)
  ConnectionHeader connection = ConnectionHeader::kNone;
  std::string_view date;       // empty: no Date header
};

// Appends "HTTP/1.1 <status> <reason>\r\n", the application's headers, Date, Content-Length,
// Connection and the final "\r\n" to *out. Framing is the server's job, so application headers
// named Content-Length, Transfer-Encoding, Connection, Keep-Alive or Date are dropped, and so is
// any header whose name is not a token or whose value holds CR, LF or NUL (no response splitting).
void AppendResponseHead(const ResponseHead& head, std::string* out);

}  // namespace scim::http::wire
