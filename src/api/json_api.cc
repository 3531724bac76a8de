#include "api/json_api.h"

#include <fmt/format.h>

#include <charconv>

#include "api/error_response.h"

namespace scim::api {

http::Response JsonOk(std::string body, int status) {
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = std::move(body);
  return response;
}

http::Response NoContent(int status) {
  http::Response response;
  response.status = status;
  return response;
}

http::Response MethodNotAllowed(std::string_view allowed) {
  http::Response response =
      ErrorResponse({core::ErrorType::kMethodNotAllowed, "Allowed here: " + std::string(allowed)});
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (slash != 0) segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

core::Result<int64_t> IntegerParam(std::string_view name, std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return core::Fail(core::ErrorType::kBadRequest,
                      fmt::format("'{}' must be an integer from {} to {}, not '{}'", name, min, max,
                                  text.substr(0, 64)));
  }
  return value;
}

std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t semicolon = header.find(';');
    std::string_view pair = header.substr(0, semicolon);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (semicolon == std::string_view::npos) break;
    header.remove_prefix(semicolon + 1);
  }
  return {};
}

}  // namespace scim::api
