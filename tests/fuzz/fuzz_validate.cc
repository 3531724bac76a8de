// JSON -> resource validation: ParseJson, then NormalizeResource for User and Group, every
// WriteContext, with no quirk log, a lenient one and a strict one. Nothing may crash, and a
// normalized document must normalize again (kReplace) to the same document.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/json.h"
#include "core/quirks.h"
#include "core/schema.h"
#include "core/validate.h"

namespace {

const scim::core::SchemaRegistry& Registry() {
  static const std::shared_ptr<const scim::core::SchemaRegistry> registry = [] {
    auto loaded = scim::core::SchemaRegistry::LoadDefault();
    if (!loaded) {
      std::fprintf(stderr, "LoadDefault failed: %s\n", loaded.error().detail.c_str());
      std::abort();
    }
    return *loaded;
  }();
  return *registry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace scim::core;
  auto json = ParseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!json) return 0;
  (void)DumpJson(*json);
  const SchemaRegistry& registry = Registry();
  for (const char* type_id : {"User", "Group"}) {
    const ResourceType* type = registry.FindResourceType(type_id);
    if (type == nullptr) std::abort();
    for (WriteContext context : {WriteContext::kCreate, WriteContext::kReplace, WriteContext::kPatchResult}) {
      for (int mode = 0; mode < 3; ++mode) {
        QuirkLog log(mode != 2);
        auto normalized = NormalizeResource(*json, *type, registry, context, mode == 0 ? nullptr : &log);
        if (!normalized) continue;
        (void)DumpJson(normalized->resource);
        (void)log.Summary();
        // The canonical document is itself a valid body: normalizing it again must succeed, unchanged.
        auto again = NormalizeResource(normalized->resource, *type, registry, WriteContext::kReplace);
        if (!again) {
          std::fprintf(stderr, "%s: a normalized document does not normalize again: %s\n  document: %s\n",
                       type_id, again.error().detail.c_str(), DumpJson(normalized->resource).c_str());
          std::abort();
        }
        if (again->resource != normalized->resource) {
          std::fprintf(stderr, "%s: NormalizeResource is not idempotent\n  first:  %s\n  second: %s\n", type_id,
                       DumpJson(normalized->resource).c_str(), DumpJson(again->resource).c_str());
          std::abort();
        }
      }
    }
  }
  return 0;
}
