#include "core/redact.h"

namespace scim::core {
namespace {

// "password", "PASSWORD", "urn:…:User:password".
bool NamesPassword(std::string_view name) {
  size_t colon = name.rfind(':');
  if (colon != std::string_view::npos) name = name.substr(colon + 1);
  return IEquals(name, "password");
}

}  // namespace

void RedactSecrets(Json& document) {
  if (document.is_array()) {
    for (auto& element : document) RedactSecrets(element);
    return;
  }
  if (!document.is_object()) return;
  const Json* path = FindMember(document, "path");
  bool patches_password = path && path->is_string() && NamesPassword(path->get<std::string>());
  for (auto it = document.begin(); it != document.end(); ++it) {
    if (NamesPassword(it.key()) || (patches_password && IEquals(it.key(), "value"))) {
      *it = kRedacted;
    } else {
      RedactSecrets(*it);
    }
  }
}

std::string RedactedBody(std::string_view body, size_t max_bytes) {
  if (body.empty()) return {};
  auto document = ParseJson(body);
  if (!document) return "(not JSON, " + std::to_string(body.size()) + " bytes)";
  RedactSecrets(*document);
  std::string text = DumpJson(*document);
  if (text.size() <= max_bytes) return text;
  std::string suffix = "…(truncated, " + std::to_string(text.size()) + " bytes)";
  size_t keep = max_bytes > suffix.size() ? max_bytes - suffix.size() : 0;
  // Never cut a UTF-8 sequence in half.
  while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  return text.substr(0, keep) + suffix;
}

}  // namespace scim::core
