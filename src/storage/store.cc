// Store helpers shared by every backend.
#include "storage/store.h"

#include <future>
#include <string>

namespace scim::storage {

const char* KindName(Kind kind) { return kind == Kind::kUser ? "User" : "Group"; }

const char* DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending: return "pending";
    case DeliveryState::kDelivered: return "delivered";
    case DeliveryState::kDead: return "dead";
  }
  return "pending";
}

std::optional<DeliveryState> ParseDeliveryState(std::string_view name) {
  for (auto state : {DeliveryState::kPending, DeliveryState::kDelivered, DeliveryState::kDead}) {
    if (name == DeliveryStateName(state)) return state;
  }
  return std::nullopt;
}

std::string EventJson(const StoredEvent& event) {
  std::string text = "{\"cursor\":\"" + std::to_string(event.seq) + "\"";
  if (event.body.size() > 2) text += "," + event.body.substr(1);  // the body's members and its '}'
  else text += "}";
  return text;
}

Result<void> Store::WriteSync(WriteFn fn) {
  std::promise<Result<void>> promise;
  auto future = promise.get_future();
  Write(std::move(fn), [&promise](Result<void> result) { promise.set_value(std::move(result)); });
  return future.get();
}

}  // namespace scim::storage
