#include "api/query.h"

#include <charconv>

#include "core/json.h"

namespace scim::api {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

core::Result<int64_t> ParseInteger(std::string_view name, std::string_view text) {
  text = Trim(text);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return core::Fail(core::ErrorType::kBadRequest,
                      "Query parameter '" + std::string(name) + "' must be an integer, got '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      int hi = HexValue(text[i + 1]);
      int lo = HexValue(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

core::Result<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_name = pair.substr(0, eq);
    std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    auto name = PercentDecode(raw_name, true);
    auto value = PercentDecode(raw_value, true);
    if (!name || !value) {
      return core::Fail(core::ErrorType::kBadRequest,
                        "Malformed percent-encoding in query parameter '" + std::string(raw_name) + "'");
    }
    params.emplace_back(std::move(*name), std::move(*value));
  }
  return params;
}

std::vector<std::string> SplitAttributeList(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = Trim(text.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

core::Result<ListParams> ParseListParams(std::string_view query, int64_t default_count, int64_t max_count) {
  auto params = ParseQuery(query);
  if (!params) return std::unexpected(params.error());
  ListParams out;
  out.count = default_count;
  for (const auto& [name, value] : *params) {
    if (core::IEquals(name, "filter")) {
      out.filter = value;
    } else if (core::IEquals(name, "startIndex")) {
      auto n = ParseInteger(name, value);
      if (!n) return std::unexpected(n.error());
      out.start_index = *n < 1 ? 1 : *n;
    } else if (core::IEquals(name, "count")) {
      auto n = ParseInteger(name, value);
      if (!n) return std::unexpected(n.error());
      out.count = *n < 0 ? 0 : (*n > max_count ? max_count : *n);
    } else if (core::IEquals(name, "attributes")) {
      out.attributes = SplitAttributeList(value);
    } else if (core::IEquals(name, "excludedAttributes")) {
      out.excluded_attributes = SplitAttributeList(value);
    }
    // sortBy/sortOrder: sorting is not offered yet (ServiceProviderConfig says so); RFC 7644
    // lets a provider that does not support it ignore them.
  }
  return out;
}

}  // namespace scim::api
