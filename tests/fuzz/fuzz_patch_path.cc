// PATCH path parser: ParsePatchPath must never crash; a parsed value filter must render.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "core/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto path = scim::core::ParsePatchPath(text);
  if (!path) {
    if (path.error().type != scim::core::ErrorType::kInvalidPath) {
      std::fprintf(stderr, "ParsePatchPath failed with an error other than kInvalidPath: %s\n",
                   path.error().detail.c_str());
      std::abort();
    }
    return 0;
  }
  (void)path->attr.ToString();
  if (path->value_filter) (void)scim::core::ToString(*path->value_filter);
  return 0;
}
