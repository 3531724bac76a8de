// The HTTP layer's own wire code (src/http/wire.h), which Beast's parser hands every request to and
// which writes every response head: splitting and percent-decoding the request-target, and writing
// a head from the application's headers. Input: the request-target, then header name/value pairs,
// each field ended by a 0xFF byte (a byte no valid header or target holds).
// Invariants checked: a decoded path never holds NUL; the query is the raw text after the first
// '?'; a response head is the status line, header lines "Name: value" with no CR or LF of their
// own, and one empty line at the end (no response splitting, whatever the application passed);
// exactly one Content-Length unless the status has no body.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/wire.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "%s: %.*s\n", what, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void CheckHead(const std::string& head, bool has_body) {
  if (head.rfind("HTTP/1.1 ", 0) != 0) Fail("head does not start with the status line", head);
  if (head.size() < 4 || head.compare(head.size() - 4, 4, "\r\n\r\n") != 0) Fail("head does not end with CRLFCRLF", head);
  int content_lengths = 0;
  size_t start = head.find("\r\n") + 2;
  while (start < head.size() - 2) {
    size_t end = head.find("\r\n", start);
    std::string_view line(head.data() + start, end - start);
    if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos) {
      Fail("a header line holds CR or LF", head);
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) Fail("a header line without a name", head);
    if (scim::http::wire::IEquals(line.substr(0, colon), "Content-Length")) ++content_lengths;
    start = end + 2;
  }
  if (content_lengths != (has_body ? 1 : 0)) Fail("Content-Length count", head);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scim::http;
  std::vector<std::string> fields(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0xFF) fields.emplace_back();
    else fields.back().push_back(static_cast<char>(data[i]));
  }

  std::string path, query;
  const std::string& target = fields[0];
  if (wire::SplitTarget(target, &path, &query)) {
    if (path.find('\0') != std::string::npos) Fail("decoded path holds NUL", target);
    size_t mark = target.find('?');
    if (query != (mark == std::string::npos ? std::string() : target.substr(mark + 1))) Fail("query", target);
  }
  std::string decoded;
  if (wire::PercentDecode(target, &decoded) && decoded.find('\0') != std::string::npos) Fail("decoded NUL", target);

  Headers headers;
  for (size_t i = 1; i + 1 < fields.size(); i += 2) headers.emplace_back(fields[i], fields[i + 1]);
  (void)wire::HeadersRequestClose(headers);
  int status = 100 + static_cast<int>(size % 500);
  for (auto connection : {wire::ConnectionHeader::kNone, wire::ConnectionHeader::kClose}) {
    wire::ResponseHead head;
    head.status = status;
    head.reason = "Reason";
    head.headers = &headers;
    head.content_length = size;
    head.connection = connection;
    head.date = "Sun, 06 Nov 1994 08:49:37 GMT";
    std::string out;
    wire::AppendResponseHead(head, &out);
    CheckHead(out, !wire::StatusHasNoBody(status));
  }
  return 0;
}
