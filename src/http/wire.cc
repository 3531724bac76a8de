// Wire-format helpers of the HTTP server (see wire.h).
#include "http/wire.h"

#include <charconv>
#include <cstring>

namespace scim::http::wire {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}


// Header names the server writes itself; the application's copies are dropped.
bool IsFramingHeader(std::string_view name) {
  return IEquals(name, "content-length") || IEquals(name, "transfer-encoding") ||
         IEquals(name, "connection") || IEquals(name, "keep-alive") || IEquals(name, "date");
}

void AppendDecimal(std::size_t value, std::string* out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;  // 24 digits always suffice for size_t
  out->append(buf, end);
}

}  // namespace

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsSafeHeaderValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

bool PercentDecode(std::string_view in, std::string* out) {
  // A raw NUL is refused like an escaped one. Beast's parser does not let one into a
  // request-target, but this function must not depend on that (found by fuzz_http_wire).
  if (in.find('\0') != std::string_view::npos) return false;
  std::size_t first = in.find('%');
  if (first == std::string_view::npos) {  // the common case: nothing to decode
    out->assign(in);
    return true;
  }
  out->clear();
  out->reserve(in.size());
  out->append(in.substr(0, first));
  for (std::size_t i = first; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;  // fewer than two digits left
    int hi = HexValue(in[i + 1]);
    int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return false;
    out->push_back(c);
    i += 2;
  }
  return true;
}

bool SplitTarget(std::string_view target, std::string* path, std::string* query) {
  std::string_view rest = target;
  if (rest == "*") {
    path->assign("*");
    query->clear();
    return true;
  }
  if (rest.empty() || rest.front() != '/') {
    // absolute-form: scheme "://" authority [path]. Only http(s); the authority is dropped.
    std::size_t scheme_end = rest.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string_view scheme = rest.substr(0, scheme_end);
    if (!IEquals(scheme, "http") && !IEquals(scheme, "https")) return false;
    rest.remove_prefix(scheme_end + 3);
    std::size_t path_start = rest.find_first_of("/?");
    if (rest.empty() || path_start == 0) return false;  // no authority
    if (path_start == std::string_view::npos) {
      rest = "/";
    } else if (rest[path_start] == '?') {  // "http://host?x": the path is "/"
      query->assign(rest.substr(path_start + 1));
      path->assign("/");
      return true;
    } else {
      rest.remove_prefix(path_start);
    }
  }
  std::size_t q = rest.find('?');
  if (q == std::string_view::npos) {
    query->clear();
  } else {
    query->assign(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }
  return PercentDecode(rest, path);
}

std::string_view FormatHttpDate(std::time_t t, char (&buf)[kHttpDateSize]) {
  static constexpr char kDays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char kMonths[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  auto two = [](char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  // Built by hand: strftime's %a and %b follow the locale, HTTP wants English.
  std::memcpy(buf, kDays[tm.tm_wday], 3);
  buf[3] = ',';
  buf[4] = ' ';
  two(buf + 5, tm.tm_mday);
  buf[7] = ' ';
  std::memcpy(buf + 8, kMonths[tm.tm_mon], 3);
  buf[11] = ' ';
  int year = tm.tm_year + 1900;
  two(buf + 12, (year / 100) % 100);
  two(buf + 14, year % 100);
  buf[16] = ' ';
  two(buf + 17, tm.tm_hour);
  buf[19] = ':';
  two(buf + 20, tm.tm_min);
  buf[22] = ':';
  two(buf + 23, tm.tm_sec);
  std::memcpy(buf + 25, " GMT", 4);
  return std::string_view(buf, kHttpDateSize);
}

bool StatusHasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

bool HeadersRequestClose(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (IEquals(name, "connection") && IEquals(value, "close")) return true;
  }
  return false;
}

void AppendResponseHead(const ResponseHead& head, std::string* out) {
  out->append("HTTP/1.1 ");
  AppendDecimal(static_cast<std::size_t>(head.status), out);
  out->push_back(' ');
  out->append(head.reason);
  out->append("\r\n");
  if (head.headers != nullptr) {
    for (const auto& [name, value] : *head.headers) {
      if (!IsToken(name) || !IsSafeHeaderValue(value) || IsFramingHeader(name)) continue;
      out->append(name);
      out->append(": ");
      out->append(value);
      out->append("\r\n");
    }
  }
  if (!head.date.empty()) {
    out->append("Date: ");
    out->append(head.date);
    out->append("\r\n");
  }
  if (!StatusHasNoBody(head.status)) {
    out->append("Content-Length: ");
    AppendDecimal(head.content_length, out);
    out->append("\r\n");
  }
  switch (head.connection) {
    case ConnectionHeader::kNone:
      break;
    case ConnectionHeader::kKeepAlive:
      out->append("Connection: keep-alive\r\n");
      break;
    case ConnectionHeader::kClose:
      out->append("Connection: close\r\n");
      break;
  }
  out->append("\r\n");
}

}  // namespace scim::http::wire
