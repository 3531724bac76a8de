// Filter parser: ParseFilter must never crash, and what it parses must round-trip through
// ToString (src/core/filter.h: "ParseFilter(ToString(f)) renders the same text again").
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/filter.h"
#include "core/quirks.h"

namespace {

void CheckRoundTrip(std::string_view text, scim::core::QuirkLog* quirks) {
  auto filter = scim::core::ParseFilter(text, quirks);
  if (!filter) {
    if (filter.error().type != scim::core::ErrorType::kInvalidFilter) {
      std::fprintf(stderr, "ParseFilter failed with an error other than kInvalidFilter: %s\n",
                   filter.error().detail.c_str());
      std::abort();
    }
    return;
  }
  const std::string rendered = scim::core::ToString(*filter);
  auto again = scim::core::ParseFilter(rendered);  // canonical text needs no quirk
  if (!again) {
    std::fprintf(stderr, "ToString output does not re-parse.\n  rendered: %s\n  error: %s\n", rendered.c_str(),
                 again.error().detail.c_str());
    std::abort();
  }
  const std::string rendered_again = scim::core::ToString(*again);
  if (rendered_again != rendered) {
    std::fprintf(stderr, "ToString is not stable.\n  first:  %s\n  second: %s\n", rendered.c_str(),
                 rendered_again.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckRoundTrip(text, nullptr);
  scim::core::QuirkLog lenient(true);
  CheckRoundTrip(text, &lenient);
  scim::core::QuirkLog strict(false);
  CheckRoundTrip(text, &strict);
  (void)scim::core::ParseAttrPath(text);
  return 0;
}
