#include "api/oauth_api.h"

#include <optional>
#include <utility>
#include <vector>

#include "api/query.h"
#include "api/scim_api.h"
#include "auth/authenticator.h"
#include "auth/crypto.h"
#include "auth/oauth.h"
#include "core/json.h"

namespace scim::api {
namespace {

constexpr std::string_view kTokenPath = "/oauth/token";
constexpr std::string_view kMetadataPath = "/.well-known/oauth-authorization-server";
constexpr std::string_view kScope = "scim";

http::Response Json(int status, const core::Json& body) {
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = core::DumpJson(body);
  return response;
}

// RFC 6749 §5.1: token responses and their errors are never cached.
http::Response NoStore(http::Response response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Pragma", "no-cache");
  return response;
}

// RFC 6749 §5.2.
http::Response OAuthError(int status, std::string_view error, std::string_view description) {
  http::Response response = NoStore(Json(status, {{"error", error}, {"error_description", description}}));
  if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"scimd\"");
  response.log_error = std::string(error);
  return response;
}

// The form's parameters; each may appear once (RFC 6749 §3.2). nullopt when the body is not a
// well-formed form or repeats a parameter, with `why` set.
std::optional<std::vector<std::pair<std::string, std::string>>> ParseForm(std::string_view body, std::string* why) {
  auto params = ParseQuery(body);
  if (!params) {
    *why = params.error().detail;
    return std::nullopt;
  }
  for (size_t i = 0; i < params->size(); ++i) {
    for (size_t j = i + 1; j < params->size(); ++j) {
      if ((*params)[i].first == (*params)[j].first) {
        *why = "the parameter '" + (*params)[i].first + "' appears more than once";
        return std::nullopt;
      }
    }
  }
  return std::move(*params);
}

std::string_view Param(const std::vector<std::pair<std::string, std::string>>& params, std::string_view name) {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace

struct OAuthApi::Impl {
  storage::Store& store;
  OAuthOptions options;
  auth::FailureThrottle throttle;

  Impl(storage::Store& s, OAuthOptions o) : store(s), options(std::move(o)), throttle(options.throttle) {}

  std::string Origin(const http::Request& request) const {
    if (!options.public_base_url.empty()) return options.public_base_url;
    std::string_view host = request.Header("Host");
    return options.scheme + "://" + std::string(host.empty() ? "localhost" : host);
  }

  void Handle(http::Request request, http::Responder respond) {
    if (request.path == kMetadataPath) {
      if (request.method != "GET" && request.method != "HEAD") {
        return respond(OAuthError(405, "invalid_request", "use GET"));
      }
      std::string origin = Origin(request);
      return respond(Json(200, {{"issuer", origin},
                                {"token_endpoint", origin + std::string(kTokenPath)},
                                {"grant_types_supported", {"client_credentials"}},
                                {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
                                {"response_types_supported", core::Json::array()},
                                {"scopes_supported", {kScope}}}));
    }
    if (request.method != "POST") {
      http::Response response = OAuthError(405, "invalid_request", "the token endpoint takes POST only");
      response.headers.emplace_back("Allow", "POST");
      return respond(std::move(response));
    }
    Token(std::move(request), std::move(respond));
  }

  void Token(http::Request request, http::Responder respond) {
    std::string content_type = core::ToLower(request.Header("Content-Type"));
    if (!content_type.starts_with("application/x-www-form-urlencoded")) {
      return respond(OAuthError(400, "invalid_request",
                                "send the parameters as application/x-www-form-urlencoded (RFC 6749 §4.4.2)"));
    }
    std::string why;
    auto form = ParseForm(request.body, &why);
    if (!form) return respond(OAuthError(400, "invalid_request", why));

    // Client authentication: HTTP Basic or the form, not both (RFC 6749 §2.3).
    std::string client_id(Param(*form, "client_id"));
    std::string client_secret(Param(*form, "client_secret"));
    std::string_view authorization = request.Header("Authorization");
    if (!authorization.empty()) {
      auto basic = auth::ParseBasic(authorization);
      if (!basic) return respond(OAuthError(401, "invalid_client", "expected Authorization: Basic"));
      if (!client_secret.empty()) {
        return respond(OAuthError(400, "invalid_request", "authenticate the client one way only: Basic or the form"));
      }
      // RFC 6749 §2.3.1: both are form-urlencoded before Basic encodes them.
      auto id = PercentDecode(basic->first, true);
      auto secret = PercentDecode(basic->second, true);
      if (!id || !secret) return respond(OAuthError(401, "invalid_client", "malformed client credentials"));
      if (!client_id.empty() && client_id != *id) {
        return respond(OAuthError(400, "invalid_request", "client_id differs from the authenticated client"));
      }
      client_id = std::move(*id);
      client_secret = std::move(*secret);
    }
    if (client_id.empty() || client_secret.empty()) {
      return respond(OAuthError(401, "invalid_client",
                                "client authentication required: HTTP Basic, or client_id and client_secret"));
    }

    std::string throttle_key = request.remote_address + "|oauth|" + client_id;
    auto now = std::chrono::steady_clock::now();
    if (int seconds = throttle.LockedFor(throttle_key, now); seconds > 0) {
      http::Response response = OAuthError(429, "temporarily_unavailable",
                                           "too many failed client authentications from this address; try again in " +
                                               std::to_string(seconds) + " seconds");
      response.headers.emplace_back("Retry-After", std::to_string(seconds));
      return respond(std::move(response));
    }
    auto client = auth::AuthenticateClient(store, client_id, client_secret);
    if (!client) {
      if (client.error().type != core::ErrorType::kUnauthorized) {
        return respond(OAuthError(503, "temporarily_unavailable", client.error().detail));
      }
      throttle.RecordFailure(throttle_key, now);
      return respond(OAuthError(401, "invalid_client", client.error().detail));
    }

    std::string_view grant_type = Param(*form, "grant_type");
    if (grant_type.empty()) return respond(OAuthError(400, "invalid_request", "grant_type is missing"));
    if (grant_type != "client_credentials") {
      return respond(OAuthError(400, "unsupported_grant_type",
                                "this server grants client_credentials; '" + std::string(grant_type) + "' is not supported"));
    }
    if (!client->tenant) {
      return respond(OAuthError(400, "unauthorized_client",
                                "a shared client has no tenant of its own, so it cannot use client_credentials"));
    }
    auth::IssuedToken issued = auth::NewAccessToken(*client, *client->tenant, client->tenant_name,
                                                    options.access_token_lifetime, std::chrono::system_clock::now());
    std::string hash = auth::HashTokenSecret(issued.secret);
    core::Json body = {{"access_token", issued.secret},
                       {"token_type", "Bearer"},
                       {"expires_in", issued.expires_in},
                       {"scope", kScope}};
    http::Response success = NoStore(Json(200, body));
    success.log_tenant = client->tenant_name;
    success.log_credential = "oauth:" + client->id;
    store.Write([record = issued.record, hash](storage::WriteTxn& txn) { return txn.InsertOAuthToken(record, hash); },
                [respond = std::move(respond), success = std::move(success)](core::Result<void> written) mutable {
                  if (!written) {
                    return respond(OAuthError(503, "temporarily_unavailable", "the token could not be stored"));
                  }
                  respond(std::move(success));
                });
  }
};

OAuthApi::OAuthApi(storage::Store& store, OAuthOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

OAuthApi::~OAuthApi() = default;

bool OAuthApi::Owns(std::string_view path) { return path == kTokenPath || path == kMetadataPath; }

void OAuthApi::Handle(http::Request request, http::Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

}  // namespace scim::api
