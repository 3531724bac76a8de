// Store helpers shared by every backend.
#include "storage/store.h"

#include <future>

namespace scim::storage {

const char* KindName(Kind kind) { return kind == Kind::kUser ? "User" : "Group"; }

Result<void> Store::WriteSync(WriteFn fn) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  Write(std::move(fn), [&promise](Result<void> result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace scim::storage
