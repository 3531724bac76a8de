// The request-path parsers above the Beast layer (src/api/query.h): the input is a query string
// (PercentDecode both ways, ParseQuery, ParseListParams) and, when it is JSON, a SearchRequest body
// (ParseSearchRequest). Nothing may crash; the parsed parameters must respect the documented bounds.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "api/query.h"
#include "core/json.h"

namespace {

void CheckBounds(const scim::api::ListParams& params, int64_t max_count, const char* from) {
  if (params.start_index < 1 || params.count < 0 || params.count > max_count) {
    std::fprintf(stderr, "%s: startIndex %lld / count %lld out of bounds (max %lld)\n", from,
                 static_cast<long long>(params.start_index), static_cast<long long>(params.count),
                 static_cast<long long>(max_count));
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scim;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)api::PercentDecode(text, true);
  (void)api::PercentDecode(text, false);
  (void)api::ParseQuery(text);
  (void)api::SplitAttributeList(text);
  constexpr int64_t kDefault = 100, kMax = 200;
  if (auto params = api::ParseListParams(text, kDefault, kMax)) CheckBounds(*params, kMax, "ParseListParams");
  if (auto body = core::ParseJson(text)) {
    if (auto params = api::ParseSearchRequest(*body, kDefault, kMax)) CheckBounds(*params, kMax, "ParseSearchRequest");
  }
  return 0;
}
