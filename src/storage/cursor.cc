#include "storage/cursor.h"

#include <fmt/format.h>

#include "core/encoding.h"
#include "core/json.h"

namespace scim::storage {

using core::Json;

uint64_t QueryFingerprint(const std::vector<ListScope>& scopes, const ListRequest& request) {
  std::string text;
  for (const auto& scope : scopes) text += KindName(scope.kind) + std::string(",");
  text += "|";
  if (request.filter) text += core::ToString(*request.filter);
  text += "|";
  if (request.sort) text += core::ToLower(request.sort->path.ToString()) + (request.sort->descending ? " desc" : " asc");
  return core::Fingerprint64(text);
}

std::string EncodeCursor(const PageCursor& cursor, uint64_t fingerprint) {
  Json value = std::visit(
      [](const auto& v) -> Json {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::nullptr_t>) return nullptr;
        else return v;
      },
      cursor.sort_value);
  Json doc = {{"q", fmt::format("{:016x}", fingerprint)},
              {"d", cursor.backward ? "p" : "n"},
              {"s", cursor.seq},
              {"k", std::move(value)}};
  return core::Base64UrlEncode(core::DumpJson(doc));
}

core::Result<PageCursor> DecodeCursor(std::string_view text, uint64_t fingerprint) {
  auto invalid = [](std::string_view why) {
    return core::Fail(core::ErrorType::kInvalidCursor,
                      fmt::format("The cursor {}; start again with cursor= (empty) for the first page", why));
  };
  auto bytes = core::Base64UrlDecode(text);
  if (!bytes) return invalid("is not one this server issued");
  auto doc = core::ParseJson(*bytes);
  if (!doc || !doc->is_object()) return invalid("is not one this server issued");
  const Json* q = core::FindMember(*doc, "q");
  const Json* d = core::FindMember(*doc, "d");
  const Json* s = core::FindMember(*doc, "s");
  const Json* k = core::FindMember(*doc, "k");
  if (!q || !q->is_string() || !d || !d->is_string() || !s || !s->is_number_integer() || !k) {
    return invalid("is not one this server issued");
  }
  if (q->get<std::string>() != fmt::format("{:016x}", fingerprint)) {
    return invalid("belongs to a query with another filter or sortBy");
  }
  PageCursor cursor;
  cursor.backward = d->get<std::string>() == "p";
  cursor.seq = s->get<int64_t>();
  if (k->is_string()) cursor.sort_value = k->get<std::string>();
  else if (k->is_number_integer()) cursor.sort_value = k->get<int64_t>();
  else if (k->is_number()) cursor.sort_value = k->get<double>();
  else if (k->is_null()) cursor.sort_value = nullptr;
  else return invalid("is not one this server issued");
  return cursor;
}

}  // namespace scim::storage
