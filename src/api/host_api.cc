#include "api/host_api.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>

#include "api/error_response.h"
#include "api/json_api.h"
#include "api/query.h"
#include "api/scim_api.h"
#include "auth/api_key.h"
#include "auth/crypto.h"
#include "core/json.h"
#include "core/time.h"
#include "core/tenant_settings.h"
#include "directory/directory_view.h"
#include "directory/tenant_schemas.h"
#include "events/feed_waiter.h"
#include "events/webhooks.h"

namespace scim::api {
namespace {

using core::ErrorType;
using core::Result;

constexpr std::string_view kPrefix = "/api/v1/";
constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;
constexpr int64_t kMaxWaitSeconds = 30;

using core::Json;

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

Json WebhookJson(const storage::WebhookRecord& webhook) {
  Json types = Json::array();
  for (const auto& t : webhook.event_types) types.push_back(t);
  Json json = {{"id", webhook.id}, {"url", webhook.url}, {"events", types}, {"created", webhook.created}};
  if (webhook.previous_secret_until) json["previous_secret_signs_until"] = *webhook.previous_secret_until;
  return json;
}

Json DeliveryJson(const storage::DeliveryRecord& d) {
  Json json = {{"id", d.id},
               {"webhook", d.webhook_id},
               {"event", {{"id", d.event_id}, {"type", d.event_type}, {"cursor", std::to_string(d.event_seq)}}},
               {"state", storage::DeliveryStateName(d.state)},
               {"attempts", d.attempts}};
  if (d.state == storage::DeliveryState::kPending) {
    json["next_attempt"] = core::FormatRfc3339(std::chrono::system_clock::time_point(std::chrono::milliseconds(d.next_attempt_ms)));
  }
  json["last_status"] = d.last_status ? Json(*d.last_status) : Json(nullptr);
  json["last_error"] = d.last_error;
  json["last_attempt"] = d.last_attempt ? Json(*d.last_attempt) : Json(nullptr);
  json["delivered"] = d.delivered ? Json(*d.delivered) : Json(nullptr);
  return json;
}

// resource=ID, status=404 | 4xx | 5xx | error (>= 400), since=, until= (RFC 3339 UTC), q=TEXT,
// before=SEQ (paging), limit=N.
Result<storage::JournalQuery> ParseJournalQuery(std::string_view text) {
  auto pairs = ParseQuery(text);
  if (!pairs) return std::unexpected(pairs.error());
  storage::JournalQuery query;
  for (const auto& [name, value] : *pairs) {
    if (name == "resource") {
      query.resource_id = value;
    } else if (name == "status") {
      if (value == "error") {
        query.status_min = 400;
      } else if (value.size() == 3 && value[1] == 'x' && value[2] == 'x' && value[0] >= '1' && value[0] <= '5') {
        query.status_min = (value[0] - '0') * 100;
        query.status_max = query.status_min.value() + 99;
      } else {
        auto status = IntegerParam("status", value, 100, 599);
        if (!status) return core::Fail(ErrorType::kBadRequest, "'status' is a status (404), a class (4xx) or 'error'");
        query.status_min = query.status_max = *status;
      }
    } else if (name == "since" || name == "until") {
      if (!core::IsUtcTimestamp(value)) {
        return core::Fail(ErrorType::kBadRequest,
                          "'" + name + "' is a UTC time such as 2026-12-02T10:00:00Z, not '" + value.substr(0, 64) + "'");
      }
      (name == "since" ? query.since : query.until) = value;
    } else if (name == "q") {
      query.text = value;
    } else if (name == "before") {
      auto before = IntegerParam("before", value, 1, INT64_MAX);
      if (!before) return std::unexpected(before.error());
      query.before_seq = *before;
    } else if (name == "limit") {
      auto limit = IntegerParam("limit", value, 1, kMaxLimit);
      if (!limit) return std::unexpected(limit.error());
      query.limit = *limit;
    } else {
      return core::Fail(ErrorType::kBadRequest, "Unknown parameter '" + name.substr(0, 64) +
                                                    "'; the journal takes resource, status, since, until, q, before "
                                                    "and limit");
    }
  }
  return query;
}

Json JournalEntryJson(const storage::JournalEntry& e) {
  Json json = {{"seq", std::to_string(e.seq)},
               {"time", e.time},
               {"credential", e.credential},
               {"idp", e.idp},
               {"method", e.method},
               {"path", e.path},
               {"query", e.query},
               {"status", e.status},
               {"duration_ms", e.duration_ms}};
  if (!e.scim_type.empty()) json["scimType"] = e.scim_type;
  if (!e.detail.empty()) json["detail"] = e.detail;
  if (e.resource_id) json["resource"] = {{"type", e.resource_type.value_or("")}, {"id", *e.resource_id}};
  json["events"] = e.events;
  if (!e.note.empty()) json["note"] = e.note;
  // The body as it was sent (secrets redacted), as JSON when it still parses (it may be cut).
  if (auto body = core::ParseJson(e.request_body); body && !e.request_body.empty()) {
    json["request"] = std::move(*body);
  } else if (!e.request_body.empty()) {
    json["request"] = e.request_body;
  }
  return json;
}

Result<int64_t> DeliveryId(const std::string& text) {
  auto id = IntegerParam("delivery id", text, 1, INT64_MAX);
  if (!id) return core::Fail(ErrorType::kNotFound, "No delivery '" + text.substr(0, 64) + "'");
  return id;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct HostApi::Impl {
  storage::Store& store;
  events::FeedWaiter& feed_waiter;
  std::function<void()> deliveries_queued;
  directory::RegistryCache registries;

  Impl(storage::Store& s, events::FeedWaiter& f, std::shared_ptr<const core::SchemaRegistry> registry,
       std::function<void()> queued)
      : store(s), feed_waiter(f), deliveries_queued(std::move(queued)), registries(std::move(registry)) {}

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
    const storage::Tenant& t = **tenant;
    const std::string& method = request.method;
    bool get = method == "GET" || method == "HEAD";
    std::vector<std::string> rest(segments.begin() + 2, segments.end());
    if (rest.size() == 1 && rest[0] == "events") {
      if (!get) return respond(MethodNotAllowed("GET"));
      return Feed(t.id, request.query, std::move(respond));
    }
    if (!rest.empty() && rest[0] == "webhooks") {
      if (rest.size() == 1) {
        if (get) return respond(ListWebhooks(t));
        if (method == "POST") return respond(AddWebhook(t, request.body));
        return respond(MethodNotAllowed("GET, POST"));
      }
      if (rest.size() == 2) {
        if (get) return respond(GetWebhook(t, rest[1]));
        if (method == "DELETE") return respond(RemoveWebhook(t, rest[1]));
        return respond(MethodNotAllowed("GET, DELETE"));
      }
      if (rest.size() == 3 && rest[2] == "rotate") {
        if (method != "POST") return respond(MethodNotAllowed("POST"));
        return respond(RotateWebhook(t, rest[1]));
      }
    }
    if (rest.size() == 1 && rest[0] == "journal") {
      if (!get) return respond(MethodNotAllowed("GET"));
      return respond(ReadJournal(t, request.query));
    }
    if (!rest.empty() && rest[0] == "deliveries") {
      if (rest.size() == 1) {
        if (!get) return respond(MethodNotAllowed("GET"));
        return respond(ListDeliveries(t, request.query));
      }
      if (rest.size() == 2) {
        if (!get) return respond(MethodNotAllowed("GET"));
        return respond(GetDelivery(t, rest[1]));
      }
      if (rest.size() == 3 && rest[2] == "redeliver") {
        if (method != "POST") return respond(MethodNotAllowed("POST"));
        return respond(Redeliver(t, rest[1]));
      }
    }
    if (!rest.empty() && (rest[0] == "users" || rest[0] == "orgchart" || rest[0] == "departments")) {
      if (!get) return respond(MethodNotAllowed("GET"));
      return respond(Directory(t, rest, request.query));
    }
    reply_error({ErrorType::kNotFound, "No such endpoint: " + request.path});
  }

  // ---- the directory (directory/directory_view.h) --------------------------------------------

  http::Response Directory(const storage::Tenant& tenant, const std::vector<std::string>& rest,
                           std::string_view query) {
    auto settings = core::ParseTenantSettings(tenant.settings);
    if (!settings) return ErrorResponse({ErrorType::kInternal, "Unreadable tenant settings: " + settings.error().detail});
    auto registry = registries.For(store, tenant.id, settings->schema_revision);
    if (!registry) return ErrorResponse(registry.error());
    directory::DirectoryView view(store, tenant.id, *settings, *registry);
    Result<Json> answer = core::Fail(ErrorType::kNotFound, "No such endpoint");
    if (rest[0] == "users" && rest.size() == 1) {
      auto params = ParseListParams(query, kDefaultLimit, kMaxLimit);
      if (!params) return ErrorResponse(params.error());
      if (params->sort_by || !params->attributes.empty() || !params->excluded_attributes.empty()) {
        return ErrorResponse({ErrorType::kBadRequest, "The directory's users take filter, startIndex, count and cursor"});
      }
      answer = view.Users({params->filter.value_or(""), params->start_index, params->count, params->cursor});
    } else if (rest[0] == "users" && rest.size() == 2) {
      answer = view.User(rest[1]);
    } else if (rest[0] == "orgchart" && rest.size() == 1) {
      answer = view.OrgChart();
    } else if (rest[0] == "departments" && rest.size() == 1) {
      answer = view.Departments();
    } else if (rest[0] == "departments" && rest.size() == 2) {
      answer = view.Department(rest[1]);
    }
    if (!answer) return ErrorResponse(answer.error());
    return JsonOk(core::DumpJson(*answer));
  }

  // ---- webhooks --------------------------------------------------------------------------------

  http::Response ListWebhooks(const storage::Tenant& tenant) {
    auto webhooks = store.ListWebhooks(tenant.id);
    if (!webhooks) return ErrorResponse(webhooks.error());
    Json list = Json::array();
    for (const auto& w : *webhooks) list.push_back(WebhookJson(w));
    return JsonOk(core::DumpJson(Json{{"webhooks", list}}));
  }

  Result<storage::WebhookRecord> FindWebhook(const storage::Tenant& tenant, const std::string& id) {
    auto webhooks = store.ListWebhooks(tenant.id);
    if (!webhooks) return std::unexpected(webhooks.error());
    for (auto& w : *webhooks) {
      if (w.id == id) return std::move(w);
    }
    return core::Fail(ErrorType::kNotFound, "No webhook '" + id.substr(0, 64) + "' in tenant '" + tenant.name + "'");
  }

  http::Response GetWebhook(const storage::Tenant& tenant, const std::string& id) {
    auto webhook = FindWebhook(tenant, id);
    if (!webhook) return ErrorResponse(webhook.error());
    auto stats = store.GetWebhookStats(tenant.id, id);
    if (!stats) return ErrorResponse(stats.error());
    Json json = WebhookJson(*webhook);
    if (*stats) {
      json["deliveries"] = {{"pending", (*stats)->pending}, {"delivered", (*stats)->delivered}, {"dead", (*stats)->dead}};
      json["events_behind"] = (*stats)->events_behind;
    }
    return JsonOk(core::DumpJson(json));
  }

  http::Response AddWebhook(const storage::Tenant& tenant, std::string_view body) {
    auto json = core::ParseJson(body);
    if (!json) return ErrorResponse(json.error());
    if (!json->is_object()) return ErrorResponse({ErrorType::kInvalidSyntax, R"(Send {"url": "...", "events": [...]})"});
    std::string url;
    std::vector<std::string> types;
    for (auto it = json->begin(); it != json->end(); ++it) {
      if (it.key() == "url" && it->is_string()) {
        url = it->get<std::string>();
      } else if (it.key() == "events" && it->is_array()) {
        for (const auto& type : *it) {
          if (!type.is_string()) return ErrorResponse({ErrorType::kInvalidValue, "'events' lists event type names"});
          types.push_back(type.get<std::string>());
        }
      } else {
        return ErrorResponse({ErrorType::kInvalidValue, "Unexpected member '" + it.key().substr(0, 64) +
                                                            "'; a webhook has a string 'url' and an array 'events'"});
      }
    }
    if (url.empty()) return ErrorResponse({ErrorType::kInvalidValue, "'url' is required"});
    auto webhook = events::NewWebhook(tenant, url, types, NowRfc3339());
    if (!webhook) return ErrorResponse(webhook.error());
    auto r = store.WriteSync([&](storage::WriteTxn& txn) { return txn.InsertWebhook(*webhook); });
    if (!r) return ErrorResponse(r.error());
    Json created = WebhookJson(*webhook);
    created["secret"] = webhook->secret;  // shown this once
    return JsonOk(core::DumpJson(created), 201);
  }

  // Runs a change that says whether the webhook or delivery existed; `missing` when it did not.
  Result<void> Change(const std::function<Result<bool>(storage::WriteTxn&)>& change, const core::Error& missing) {
    bool found = false;
    auto r = store.WriteSync([&](storage::WriteTxn& txn) -> Result<void> {
      auto done = change(txn);
      if (!done) return std::unexpected(done.error());
      found = *done;
      return {};
    });
    if (!r) return r;
    if (!found) return std::unexpected(missing);
    return {};
  }

  http::Response RemoveWebhook(const storage::Tenant& tenant, const std::string& id) {
    auto r = Change([&](storage::WriteTxn& txn) { return txn.DeleteWebhook(tenant.id, id); },
                    {ErrorType::kNotFound, "No webhook '" + id.substr(0, 64) + "' in tenant '" + tenant.name + "'"});
    if (!r) return ErrorResponse(r.error());
    return NoContent(204);
  }

  http::Response RotateWebhook(const storage::Tenant& tenant, const std::string& id) {
    std::string secret = auth::NewWebhookSecret();
    std::string until = core::FormatRfc3339(std::chrono::system_clock::now() +
                                            std::chrono::hours(events::kSecretOverlapHours));
    auto r = Change([&](storage::WriteTxn& txn) { return txn.RotateWebhookSecret(tenant.id, id, secret, until); },
                    {ErrorType::kNotFound, "No webhook '" + id.substr(0, 64) + "' in tenant '" + tenant.name + "'"});
    if (!r) return ErrorResponse(r.error());
    return JsonOk(core::DumpJson(Json{{"id", id}, {"secret", secret}, {"previous_secret_signs_until", until}}));
  }

  // ---- the provisioning journal ---------------------------------------------------------------

  http::Response ReadJournal(const storage::Tenant& tenant, std::string_view query_text) {
    auto query = ParseJournalQuery(query_text);
    if (!query) return ErrorResponse(query.error());
    auto entries = store.ReadJournal(tenant.id, *query);
    if (!entries) return ErrorResponse(entries.error());
    Json list = Json::array();
    for (const auto& e : *entries) list.push_back(JournalEntryJson(e));
    Json body = {{"entries", list}};
    // Older entries follow when the page is full: ask again with before=next_before.
    if (static_cast<int64_t>(entries->size()) == query->limit && !entries->empty()) {
      body["next_before"] = std::to_string(entries->back().seq);
    }
    return JsonOk(core::DumpJson(body));
  }

  // ---- deliveries ------------------------------------------------------------------------------

  http::Response ListDeliveries(const storage::Tenant& tenant, std::string_view query) {
    auto pairs = ParseQuery(query);
    if (!pairs) return ErrorResponse(pairs.error());
    std::optional<std::string> webhook;
    std::optional<storage::DeliveryState> state;
    int64_t limit = kDefaultLimit;
    for (const auto& [name, value] : *pairs) {
      if (name == "webhook") {
        webhook = value;
      } else if (name == "state") {
        state = storage::ParseDeliveryState(value);
        if (!state) return ErrorResponse({ErrorType::kBadRequest, "'state' is pending, delivered or dead"});
      } else if (name == "limit") {
        auto parsed = IntegerParam("limit", value, 1, kMaxLimit);
        if (!parsed) return ErrorResponse(parsed.error());
        limit = *parsed;
      } else {
        return ErrorResponse({ErrorType::kBadRequest, "Unknown parameter '" + name.substr(0, 64) +
                                                          "'; deliveries take webhook, state and limit"});
      }
    }
    auto deliveries = store.ListDeliveries(tenant.id, webhook, state, limit);
    if (!deliveries) return ErrorResponse(deliveries.error());
    Json list = Json::array();
    for (const auto& d : *deliveries) list.push_back(DeliveryJson(d));
    return JsonOk(core::DumpJson(Json{{"deliveries", list}}));
  }

  http::Response GetDelivery(const storage::Tenant& tenant, const std::string& id_text) {
    auto id = DeliveryId(id_text);
    if (!id) return ErrorResponse(id.error());
    auto attempts = store.DeliveryAttempts(tenant.id, *id);
    if (!attempts) return ErrorResponse(attempts.error());
    auto delivery = store.FindDelivery(tenant.id, *id);
    if (!delivery) return ErrorResponse(delivery.error());
    if (!*delivery) return ErrorResponse({ErrorType::kNotFound, "No delivery '" + id_text.substr(0, 64) + "'"});
    Json json = DeliveryJson(**delivery);
    Json log = Json::array();
    for (const auto& a : *attempts) {
      log.push_back({{"time", a.time},
                     {"status", a.status ? Json(a.status) : Json(nullptr)},
                     {"error", a.error},
                     {"duration_ms", a.duration_ms},
                     {"response", a.response}});
    }
    json["log"] = std::move(log);
    return JsonOk(core::DumpJson(json));
  }

  http::Response Redeliver(const storage::Tenant& tenant, const std::string& id_text) {
    auto id = DeliveryId(id_text);
    if (!id) return ErrorResponse(id.error());
    int64_t now_ms = NowMs();
    auto r = Change([&](storage::WriteTxn& txn) { return txn.Redeliver(tenant.id, *id, now_ms); },
                    {ErrorType::kNotFound, "No delivery '" + id_text.substr(0, 64) + "'"});
    if (!r) return ErrorResponse(r.error());
    if (deliveries_queued) deliveries_queued();
    return NoContent(202);
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

HostApi::HostApi(storage::Store& store, events::FeedWaiter& feed_waiter,
                 std::shared_ptr<const core::SchemaRegistry> registry, std::function<void()> deliveries_queued)
    : impl_(std::make_unique<Impl>(store, feed_waiter, std::move(registry), std::move(deliveries_queued))) {}
HostApi::~HostApi() = default;

bool HostApi::Owns(std::string_view path) { return path.substr(0, kPrefix.size()) == kPrefix; }

void HostApi::Handle(http::Request request, http::Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

}  // namespace scim::api
