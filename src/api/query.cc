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

namespace {

// Applies one named parameter (names case-insensitive; unknown names are ignored, as RFC 7644
// lets a provider do). `integer` parses a number parameter from its text.
template <class IntegerFn>
core::Result<void> SetParam(ListParams& out, std::string_view name, const std::string& value, int64_t max_count,
                            bool& has_start_index, IntegerFn integer) {
  if (core::IEquals(name, "filter")) {
    out.filter = value;
  } else if (core::IEquals(name, "sortBy")) {
    if (!value.empty()) out.sort_by = value;
  } else if (core::IEquals(name, "sortOrder")) {
    if (core::IEquals(value, "descending")) {
      out.descending = true;
    } else if (core::IEquals(value, "ascending") || value.empty()) {
      out.descending = false;
    } else {
      return core::Fail(core::ErrorType::kInvalidValue,
                        "sortOrder must be 'ascending' or 'descending', got '" + value + "'");
    }
  } else if (core::IEquals(name, "startIndex")) {
    auto n = integer(name, value);
    if (!n) return std::unexpected(n.error());
    out.start_index = *n < 1 ? 1 : *n;
    has_start_index = true;
  } else if (core::IEquals(name, "count")) {
    auto n = integer(name, value);
    if (!n) return std::unexpected(n.error());
    out.count = *n < 0 ? 0 : (*n > max_count ? max_count : *n);
  } else if (core::IEquals(name, "cursor")) {
    out.cursor = value;
  } else if (core::IEquals(name, "attributes")) {
    out.attributes = SplitAttributeList(value);
  } else if (core::IEquals(name, "excludedAttributes")) {
    out.excluded_attributes = SplitAttributeList(value);
  }
  return {};
}

core::Result<ListParams> Finish(ListParams out, bool has_start_index) {
  if (out.cursor && has_start_index) {
    return core::Fail(core::ErrorType::kInvalidValue,
                      "Use either startIndex (index paging) or cursor (cursor paging, RFC 9865), not both");
  }
  return out;
}

}  // namespace

core::Result<ListParams> ParseListParams(std::string_view query, int64_t default_count, int64_t max_count) {
  auto params = ParseQuery(query);
  if (!params) return std::unexpected(params.error());
  ListParams out;
  out.count = default_count;
  bool has_start_index = false;
  for (const auto& [name, value] : *params) {
    if (auto r = SetParam(out, name, value, max_count, has_start_index, ParseInteger); !r) {
      return std::unexpected(r.error());
    }
  }
  return Finish(std::move(out), has_start_index);
}

core::Result<ListParams> ParseSearchRequest(const core::Json& body, int64_t default_count, int64_t max_count) {
  if (!body.is_object()) return core::Fail(core::ErrorType::kInvalidSyntax, "A SearchRequest is a JSON object");
  ListParams out;
  out.count = default_count;
  bool has_start_index = false;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& name = it.key();
    const core::Json& value = *it;
    if (core::IEquals(name, "schemas")) continue;
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_number_integer()) {
      text = std::to_string(value.get<int64_t>());
    } else if (value.is_array() && (core::IEquals(name, "attributes") || core::IEquals(name, "excludedAttributes"))) {
      for (const auto& item : value) {
        if (!item.is_string()) {
          return core::Fail(core::ErrorType::kInvalidValue, "'" + name + "' must be an array of attribute names");
        }
        text += (text.empty() ? "" : ",") + item.get<std::string>();
      }
    } else if (value.is_null()) {
      continue;
    } else {
      return core::Fail(core::ErrorType::kInvalidValue, "SearchRequest member '" + name + "' has the wrong type");
    }
    if (auto r = SetParam(out, name, text, max_count, has_start_index, ParseInteger); !r) {
      return std::unexpected(r.error());
    }
  }
  return Finish(std::move(out), has_start_index);
}

}  // namespace scim::api
