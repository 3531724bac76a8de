#include "api/host_api.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "api/error_response.h"
#include "api/query.h"
#include "api/scim_api.h"
#include "auth/api_key.h"
#include "core/json.h"
#include "events/feed_waiter.h"

namespace scim::api {
namespace {

using core::ErrorType;
using core::Result;

constexpr std::string_view kPrefix = "/api/v1/";
constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;
constexpr int64_t kMaxWaitSeconds = 30;

http::Response JsonOk(std::string body) {
  http::Response response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", "application/json");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.body = std::move(body);
  return response;
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> segments;
  while (!path.empty()) {
    size_t slash = path.find('/');
    if (slash != 0) segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

Result<int64_t> IntegerParam(std::string_view name, std::string_view text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return core::Fail(ErrorType::kBadRequest,
                      fmt::format("'{}' must be an integer from {} to {}, not '{}'", name, min, max, text));
  }
  return value;
}

struct FeedQuery {
  int64_t after = 0;
  int64_t limit = kDefaultLimit;
  int64_t wait_seconds = 0;
};

Result<FeedQuery> ParseFeedQuery(std::string_view query) {
  auto pairs = ParseQuery(query);
  if (!pairs) return std::unexpected(pairs.error());
  FeedQuery feed;
  for (const auto& [name, value] : *pairs) {
    Result<int64_t> parsed;
    if (name == "after") {
      // The cursor is the text of an event's "cursor"; empty means from the first event.
      if (value.empty()) continue;
      parsed = IntegerParam("after", value, 0, INT64_MAX);
      if (!parsed) return core::Fail(ErrorType::kBadRequest, "'after' must be a cursor this feed returned, not '" +
                                                                  value.substr(0, 64) + "'");
      feed.after = *parsed;
    } else if (name == "limit") {
      parsed = IntegerParam("limit", value, 1, kMaxLimit);
      if (!parsed) return std::unexpected(parsed.error());
      feed.limit = *parsed;
    } else if (name == "wait") {
      parsed = IntegerParam("wait", value, 0, kMaxWaitSeconds);
      if (!parsed) return std::unexpected(parsed.error());
      feed.wait_seconds = *parsed;
    } else {
      return core::Fail(ErrorType::kBadRequest, "Unknown parameter '" + name.substr(0, 64) +
                                                    "'; the feed takes after, limit and wait");
    }
  }
  return feed;
}

}  // namespace

struct HostApi::Impl {
  storage::Store& store;
  events::FeedWaiter& feed_waiter;

  void Handle(http::Request request, http::Responder respond) {
    auto reply_error = [&](const core::Error& error) {
      http::Response response = ErrorResponse(error);
      respond(std::move(response));
    };
    auto key = auth::AuthenticateApiKey(store, request.Header("Authorization"), NowRfc3339());
    if (!key) return reply_error(key.error());

    auto segments = Segments(request.path.substr(kPrefix.size()));
    if (segments.size() < 2 || segments[0] != "tenants") {
      return reply_error({ErrorType::kNotFound, "No such endpoint: " + request.path +
                                                    " (the host API lives under /api/v1/tenants/{tenant}/)"});
    }
    auto tenant = store.FindTenant(segments[1]);
    if (!tenant) return reply_error(tenant.error());
    if (!*tenant || !auth::ApiKeyCovers(*key, (*tenant)->id)) {
      return reply_error({ErrorType::kNotFound, "No tenant '" + segments[1].substr(0, 64) + "' for this API key"});
    }
    if (segments.size() == 3 && segments[2] == "events") {
      if (request.method != "GET" && request.method != "HEAD") {
        http::Response response = ErrorResponse({ErrorType::kMethodNotAllowed, "The feed is read with GET"});
        response.headers.emplace_back("Allow", "GET");
        return respond(std::move(response));
      }
      return Feed((*tenant)->id, request.query, std::move(respond));
    }
    reply_error({ErrorType::kNotFound, "No such endpoint: " + request.path});
  }

  void Feed(storage::TenantId tenant, std::string_view query, http::Responder respond) {
    auto feed = ParseFeedQuery(query);
    if (!feed) return respond(ErrorResponse(feed.error()));
    auto page = store.EventsAfter(tenant, feed->after, feed->limit);
    if (!page) return respond(ErrorResponse(page.error()));
    if (!page->empty() || feed->wait_seconds == 0) return respond(JsonOk(Render(*page, feed->after)));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(feed->wait_seconds);
    feed_waiter.Wait(tenant, feed->after, deadline, [this, tenant, feed = *feed, respond = std::move(respond)] {
      auto later = store.EventsAfter(tenant, feed.after, feed.limit);
      if (!later) return respond(ErrorResponse(later.error()));
      respond(JsonOk(Render(*later, feed.after)));
    });
  }

  static std::string Render(const std::vector<storage::StoredEvent>& events, int64_t after) {
    std::string body = "{\"events\":[";
    for (size_t i = 0; i < events.size(); ++i) {
      if (i) body += ',';
      body += storage::EventJson(events[i]);
    }
    int64_t next = events.empty() ? after : events.back().seq;
    body += fmt::format("],\"next_cursor\":\"{}\"}}", next);
    return body;
  }
};

HostApi::HostApi(storage::Store& store, events::FeedWaiter& feed_waiter)
    : impl_(std::make_unique<Impl>(Impl{store, feed_waiter})) {}
HostApi::~HostApi() = default;

bool HostApi::Owns(std::string_view path) { return path.substr(0, kPrefix.size()) == kPrefix; }

void HostApi::Handle(http::Request request, http::Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

}  // namespace scim::api
