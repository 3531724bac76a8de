#include "core/json.h"

#include <algorithm>
#include <charconv>
#include <vector>

namespace scim::core {

namespace {

// The deepest nesting of arrays and objects in `text` (strings skipped). Copying and comparing a
// parsed document recurses, so hostile nesting must be refused before parsing.
size_t NestingDepth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

Result<Json> ParseJson(std::string_view text, size_t max_depth) {
  max_depth = std::min(max_depth, kMaxJsonDepth);
  if (NestingDepth(text) > max_depth) {
    return Fail(ErrorType::kInvalidSyntax,
                "Request body is nested deeper than the limit of " + std::to_string(max_depth) + " levels");
  }
  // Keys already seen in each object being parsed: a key twice in one object is refused, since
  // which value would win is a guess (nlohmann keeps the last).
  std::vector<std::vector<std::string>> open_objects;
  std::string duplicate;
  auto find_duplicates = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start: open_objects.emplace_back(); break;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        break;
      case Json::parse_event_t::key: {
        if (open_objects.empty() || !parsed.is_string()) break;
        auto& keys = open_objects.back();
        const std::string& key = parsed.get_ref<const std::string&>();
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
          keys.push_back(key);
        } else if (duplicate.empty()) {
          duplicate = key;
        }
        break;
      }
      default: break;
    }
    return true;
  };
  try {
    Json parsed = Json::parse(text.begin(), text.end(), find_duplicates);
    if (!duplicate.empty()) {
      std::string shown = duplicate.size() > 64 ? duplicate.substr(0, 64) + "…" : duplicate;
      return Fail(ErrorType::kInvalidSyntax, "Request body is not valid JSON for SCIM: the key " +
                                                 DumpJson(Json(shown)) + " appears twice in one object");
    }
    return parsed;
  } catch (const Json::exception& e) {
    // Every nlohmann exception, not only parse_error: a number beyond a double ("1e999") throws
    // out_of_range, and one escaping here would end the process (found by tests/fuzz).
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...".
    std::string what = e.what();
    auto pos = what.find("] ");
    return Fail(ErrorType::kInvalidSyntax,
                "Request body is not valid JSON: " + (pos == std::string::npos ? what : what.substr(pos + 2)));
  }
}

std::string DumpJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

namespace {
// ASCII folding without the locale lookup std::tolower does: this sits on every attribute lookup.
constexpr char FoldAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }
}  // namespace

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (FoldAscii(a[i]) != FoldAscii(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = FoldAscii(c);
  return out;
}

const Json* FindMember(const Json& object, std::string_view name) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (IEquals(it.key(), name)) return &it.value();
  }
  return nullptr;
}

Json* FindMember(Json& object, std::string_view name) {
  return const_cast<Json*>(FindMember(static_cast<const Json&>(object), name));
}

size_t EraseMember(Json& object, std::string_view name) {
  if (!object.is_object()) return 0;
  size_t removed = 0;
  for (auto it = object.begin(); it != object.end();) {
    if (IEquals(it.key(), name)) {
      it = object.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

std::optional<Json> NumberFromText(const Json& value, bool integer_only) {
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  const char* end = text.data() + text.size();
  int64_t integer = 0;
  if (auto [ptr, ec] = std::from_chars(text.data(), end, integer); ec == std::errc() && ptr == end && !text.empty()) {
    return Json(integer);
  }
  if (integer_only) return std::nullopt;
  double decimal = 0;
  if (auto [ptr, ec] = std::from_chars(text.data(), end, decimal); ec == std::errc() && ptr == end && !text.empty()) {
    return Json(decimal);
  }
  return std::nullopt;
}

namespace {

// The UTF-8 sequence at text[i] (RFC 3629, Unicode Table 3-7: no overlongs, no surrogates, nothing
// above U+10FFFF): its length when well-formed, else the length of its maximal subpart (the lead
// byte and the continuation bytes that were still valid), which one U+FFFD replaces.
struct Utf8Sequence {
  size_t length;
  bool valid;
};

Utf8Sequence ScanUtf8(std::string_view text, size_t i) {
  if (static_cast<unsigned char>(text[i]) < 0x80) return {1, true};
  unsigned char lead = static_cast<unsigned char>(text[i]);
  size_t needed = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the first continuation byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    needed = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    needed = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    needed = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  size_t k = 1;
  for (; k <= needed && i + k < text.size(); ++k) {
    unsigned char c = static_cast<unsigned char>(text[i + k]);
    bool ok = k == 1 ? (c >= low && c <= high) : (c >= 0x80 && c <= 0xBF);
    if (!ok) break;
  }
  return {k, k == needed + 1};
}

}  // namespace

size_t WellFormedUtf8Length(std::string_view text, size_t i) {
  Utf8Sequence sequence = ScanUtf8(text, i);
  return sequence.valid ? sequence.length : 0;
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      Utf8Sequence sequence = ScanUtf8(text, i);
      if (sequence.valid) {
        out.append(text, i, sequence.length);
      } else {
        out += "\xef\xbf\xbd";  // U+FFFD, as nlohmann's replace handler writes it
      }
      i += sequence.length;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

}  // namespace scim::core
