#include "api/oauth_api.h"

#include <optional>
#include <utility>
#include <vector>

#include "api/json_api.h"
#include "api/query.h"
#include "api/scim_api.h"
#include "auth/authenticator.h"
#include "auth/crypto.h"
#include "auth/oauth.h"
#include "core/encoding.h"
#include "core/json.h"
#include "core/time.h"

namespace scim::api {
namespace {

constexpr std::string_view kTokenPath = "/oauth/token";
constexpr std::string_view kAuthorizePath = "/oauth/authorize";
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

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// application/x-www-form-urlencoded, for the parameters of a redirect.
std::string FormEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// The origin (scheme://host[:port]) of an absolute URI, for a Content-Security-Policy source.
std::string_view OriginOf(std::string_view uri) {
  size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return {};
  size_t end = uri.find_first_of("/?#", scheme_end + 3);
  return uri.substr(0, end);
}

// An HTML page of the authorize flow: no script at all, never framed, never cached, no referrer.
// The forms post to this server; `redirect_origin` may also receive a form's redirect (Chrome
// applies form-action to the redirect that answers a form).
http::Response Page(int status, std::string_view title, std::string_view body, std::string_view redirect_origin = {}) {
  http::Response response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Pragma", "no-cache");
  std::string csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'";
  if (!redirect_origin.empty()) csp += " " + std::string(redirect_origin);
  csp += "; frame-ancestors 'none'; base-uri 'none'";
  response.headers.emplace_back("Content-Security-Policy", csp);
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.body = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>" +
                  EscapeHtml(title) +
                  "</title><style>body{font:16px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;"
                  "color:#1a1a1a}h1{font-size:1.3rem}label{display:block;margin:.8rem 0 .2rem}input[type=text],"
                  "input[type=password]{width:100%;padding:.5rem;box-sizing:border-box}button{margin:1rem .5rem 0 0;"
                  "padding:.5rem 1.2rem}.error{color:#b00020}</style></head><body><h1>" +
                  EscapeHtml(title) + "</h1>\n" + std::string(body) + "\n</body></html>\n";
  return response;
}

http::Response Redirect(const std::string& uri, const std::vector<std::pair<std::string, std::string>>& params) {
  std::string location = uri;
  char separator = uri.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    location += separator;
    location += name + "=" + FormEncode(value);
    separator = '&';
  }
  http::Response response;
  response.status = 302;
  response.headers.emplace_back("Location", location);
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

// The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3).
struct AuthorizeRequest {
  std::string response_type, client_id, redirect_uri, scope, state, code_challenge, code_challenge_method;

  static AuthorizeRequest From(const std::vector<std::pair<std::string, std::string>>& params) {
    auto get = [&](std::string_view name) { return std::string(Param(params, name)); };
    return {get("response_type"), get("client_id"),      get("redirect_uri"),         get("scope"),
            get("state"),         get("code_challenge"), get("code_challenge_method")};
  }
  std::vector<std::pair<std::string, std::string>> Fields() const {
    return {{"response_type", response_type}, {"client_id", client_id},
            {"redirect_uri", redirect_uri},   {"scope", scope},
            {"state", state},                 {"code_challenge", code_challenge},
            {"code_challenge_method", code_challenge_method}};
  }
  std::string HiddenFields() const {
    std::string html;
    for (const auto& [name, value] : Fields()) {
      html += "<input type=\"hidden\" name=\"" + name + "\" value=\"" + EscapeHtml(value) + "\">";
    }
    return html;
  }
};

// An audit entry of the authorization server (docs/audit.md).
storage::AuditEntry Audit(std::string actor, std::string source, std::string action, std::string tenant_name,
                          std::string target, const core::Json& detail) {
  return {0, core::FormatRfc3339(std::chrono::system_clock::now()), std::move(actor), std::move(source),
          std::move(action), std::move(tenant_name), std::move(target), core::DumpJson(detail)};
}

constexpr std::string_view kCsrfCookie = "scimd_oauth_csrf";
constexpr auto kCodeLifetime = std::chrono::seconds(60);
constexpr auto kConsentLifetime = std::chrono::minutes(10);

}  // namespace

struct OAuthApi::Impl {
  storage::Store& store;
  OAuthOptions options;
  auth::FailureThrottle throttle;        // client authentication at the token endpoint
  auth::FailureThrottle login_throttle;  // the authorize page's login form
  // Signs the CSRF tokens and consent tickets of the authorize pages. Per process: a restart (or
  // another instance) turns a form being filled in into "start again".
  const std::string signing_key = auth::RandomHex(32);

  Impl(storage::Store& s, OAuthOptions o)
      : store(s), options(std::move(o)), throttle(options.throttle), login_throttle(options.throttle) {}

  std::string Sign(std::string_view purpose, std::string_view message) const {
    return auth::HmacSha256Hex(signing_key, std::string(purpose) + '\n' + std::string(message));
  }

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
                                {"authorization_endpoint", origin + std::string(kAuthorizePath)},
                                {"token_endpoint", origin + std::string(kTokenPath)},
                                {"grant_types_supported", {"authorization_code", "refresh_token", "client_credentials"}},
                                {"response_types_supported", {"code"}},
                                {"code_challenge_methods_supported", {"S256"}},
                                {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
                                {"scopes_supported", {kScope, "offline_access"}}}));
    }
    if (request.path == kAuthorizePath) return Authorize(std::move(request), std::move(respond));
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
    if (grant_type == "authorization_code" || grant_type == "refresh_token") {
      return Exchange(*client, grant_type == "authorization_code", *form, request.remote_address, std::move(respond));
    }
    if (grant_type != "client_credentials") {
      return respond(OAuthError(400, "unsupported_grant_type",
                                "'" + std::string(grant_type) +
                                    "' is not supported (authorization_code, refresh_token, client_credentials)"));
    }
    if (!client->tenant) {
      return respond(OAuthError(400, "unauthorized_client",
                                "a shared client has no tenant of its own, so it cannot use client_credentials"));
    }
    auto outcome = std::make_shared<Grant>();
    outcome->tenant_name = client->tenant_name;
    auto issued_at = std::chrono::system_clock::now();
    store.Write(
        [this, client = *client, source = request.remote_address, issued_at, outcome](storage::WriteTxn& txn) {
          return IssueTokens(txn, client, *client.tenant, client.tenant_name, "", false, "client_credentials", source,
                             issued_at, *outcome);
        },
        Answer(outcome, client->id, std::move(respond)));
  }

  // What a grant's transaction decided: the token response, or a refusal that commits anyway (a
  // spent code's revocation must stay).
  struct Grant {
    std::optional<http::Response> refusal;
    core::Json body;
    std::string tenant_name;
  };

  // Stores a new access token of `client` for `tenant` (and a refresh token of the same family when
  // `with_refresh`) with its audit entry, and puts the RFC 6749 §5.1 response body in `grant`.
  // `family` empty: the access token starts a family of its own. Runs on the writer.
  core::Result<void> IssueTokens(storage::WriteTxn& txn, const storage::OAuthClientRecord& client,
                                 storage::TenantId tenant, const std::string& tenant_name, const std::string& family,
                                 bool with_refresh, const std::string& grant_type, const std::string& source,
                                 std::chrono::system_clock::time_point now, Grant& grant) const {
    auth::IssuedToken access = auth::NewAccessToken(client, tenant, "", options.access_token_lifetime, now, family);
    if (auto r = txn.InsertOAuthToken(access.record, auth::HashTokenSecret(access.secret)); !r) return r;
    if (auto r = txn.AppendAudit(Audit("oauth:" + client.id, source, "oauth.token", tenant_name, access.record.id,
                                       {{"grant_type", grant_type}, {"refresh_token", with_refresh}}));
        !r) {
      return r;
    }
    grant.body = {{"access_token", access.secret},
                  {"token_type", "Bearer"},
                  {"expires_in", access.expires_in},
                  {"scope", with_refresh ? "scim offline_access" : "scim"}};
    if (with_refresh) {
      auth::IssuedToken refresh =
          auth::NewRefreshToken(client.id, tenant, options.refresh_token_lifetime, now, access.record.family);
      if (auto r = txn.InsertOAuthToken(refresh.record, auth::HashTokenSecret(refresh.secret)); !r) return r;
      grant.body["refresh_token"] = refresh.secret;
    }
    return {};
  }

  // The completion of a grant's write: the token response, its refusal, or 503 when the write failed.
  static storage::WriteDone Answer(std::shared_ptr<Grant> grant, std::string client_id, http::Responder respond) {
    return [grant, client_id = std::move(client_id), respond = std::move(respond)](core::Result<void> written) mutable {
      if (!written) return respond(OAuthError(503, "temporarily_unavailable", "the grant could not be stored"));
      if (grant->refusal) return respond(std::move(*grant->refusal));
      http::Response response = NoStore(Json(200, grant->body));
      response.log_tenant = grant->tenant_name;
      response.log_credential = "oauth:" + client_id;
      respond(std::move(response));
    };
  }

  // ---- authorization_code and refresh_token ---------------------------------------------------

  // Exchanges a code (RFC 6749 §4.1.3, RFC 7636 §4.6) or a refresh token (§6, rotated: the old one
  // is spent) for new tokens, in one transaction. A code or refresh token presented a second time
  // revokes every token of its grant (§4.1.2, §10.4): one of the two presenters is not the client.
  void Exchange(const storage::OAuthClientRecord& client, bool code_grant,
                const std::vector<std::pair<std::string, std::string>>& form, const std::string& source,
                http::Responder respond) {
    std::string presented(Param(form, code_grant ? "code" : "refresh_token"));
    if (presented.empty()) {
      return respond(OAuthError(400, "invalid_request", code_grant ? "code is missing" : "refresh_token is missing"));
    }
    auto outcome = std::make_shared<Grant>();
    auto refuse = [outcome](std::string_view description) {
      outcome->refusal = OAuthError(400, "invalid_grant", description);
      return core::Result<void>();
    };
    auto now = std::chrono::system_clock::now();
    std::string now_text = core::FormatRfc3339(now);
    std::string actor = "oauth:" + client.id;
    std::string grant_type = code_grant ? "authorization_code" : "refresh_token";
    // A spent code or refresh token presented again: the grant is revoked, and that is audited.
    auto revoke = [=](storage::WriteTxn& txn, const std::string& family, const std::string& tenant_name,
                      std::string_view description) -> core::Result<void> {
      if (auto r = txn.RevokeOAuthFamily(family, now_text); !r) return r;
      if (auto r = txn.AppendAudit(Audit(actor, source, "oauth.grant_revoked", tenant_name, family,
                                         {{"grant_type", grant_type}, {"reason", "reused"}}));
          !r) {
        return r;
      }
      return refuse(description);
    };
    std::string hash = auth::HashTokenSecret(presented);
    std::string redirect_uri(Param(form, "redirect_uri"));
    std::string verifier(Param(form, "code_verifier"));
    auto issue = [=, this](storage::WriteTxn& txn, storage::TenantId tenant, const std::string& tenant_name,
                           const std::string& family, bool with_refresh) {
      return IssueTokens(txn, client, tenant, tenant_name, family, with_refresh, grant_type, source, now, *outcome);
    };
    store.Write(
        [=](storage::WriteTxn& txn) -> core::Result<void> {
          if (code_grant) {
            auto found = txn.ConsumeOAuthCode(hash, now_text);
            if (!found) return std::unexpected(found.error());
            if (!*found || (*found)->expires <= now_text) return refuse("the code is unknown or has expired");
            const storage::OAuthCodeRecord& code = **found;
            if (code.used) {
              return revoke(txn, code.family, code.tenant_name,
                            "the code was used already; the tokens issued with it are revoked");
            }
            if (code.client_id != client.id) return refuse("the code was issued to another client");
            if (code.redirect_uri != redirect_uri) return refuse("redirect_uri is not the authorization request's");
            if (!code.code_challenge.empty() && !auth::PkceMatches(verifier, code.code_challenge)) {
              return refuse(verifier.empty() ? "code_verifier is missing (the request had a code_challenge)"
                                             : "code_verifier does not match the code_challenge");
            }
            outcome->tenant_name = code.tenant_name;
            return issue(txn, code.tenant, code.tenant_name, code.family, auth::ScopeHas(code.scope, "offline_access"));
          }
          auto found = txn.ConsumeOAuthRefreshToken(hash, now_text);
          if (!found) return std::unexpected(found.error());
          if (!*found || (*found)->revoked || (*found)->expires <= now_text) {
            return refuse("the refresh token is unknown, revoked or expired");
          }
          const storage::OAuthTokenRecord& token = **found;
          if (token.used) {
            return revoke(txn, token.family, token.tenant_name,
                          "the refresh token was used already; every token of its grant is revoked");
          }
          if (token.client_id != client.id) return refuse("the refresh token was issued to another client");
          outcome->tenant_name = token.tenant_name;
          return issue(txn, token.tenant, token.tenant_name, token.family, true);
        },
        Answer(outcome, client.id, std::move(respond)));
  }

  // ---- the authorize page (RFC 6749 §4.1.1-4.1.2) -----------------------------------------------

  // GET shows the login form; POST step=login checks the tenant's SCIM login (scimd login set) and
  // shows the consent form; POST step=consent redirects to the client with a code, or with
  // access_denied. Problems with the client or its redirect URI are shown here and never redirected
  // (that would make this an open redirector); the others go back to the client as RFC 6749 §4.1.2.1.
  void Authorize(http::Request request, http::Responder respond) {
    std::vector<std::pair<std::string, std::string>> params;
    std::string why;
    if (request.method == "GET" || request.method == "HEAD") {
      auto parsed = ParseForm(request.query, &why);
      if (!parsed) return respond(Page(400, "Cannot sign in", "<p class=\"error\">" + EscapeHtml(why) + "</p>"));
      params = std::move(*parsed);
    } else if (request.method == "POST") {
      if (!core::ToLower(request.Header("Content-Type")).starts_with("application/x-www-form-urlencoded")) {
        return respond(Page(400, "Cannot sign in", "<p class=\"error\">Unexpected form encoding.</p>"));
      }
      auto parsed = ParseForm(request.body, &why);
      if (!parsed) return respond(Page(400, "Cannot sign in", "<p class=\"error\">" + EscapeHtml(why) + "</p>"));
      params = std::move(*parsed);
    } else {
      http::Response response = Page(405, "Cannot sign in", "<p class=\"error\">Use GET or POST.</p>");
      response.headers.emplace_back("Allow", "GET, POST");
      return respond(std::move(response));
    }

    std::string step(Param(params, "step"));
    AuthorizeRequest authorize = AuthorizeRequest::From(params);
    std::optional<Consent> consented;  // from a valid consent ticket
    std::string nonce(CookieValue(request.Header("Cookie"), kCsrfCookie));
    if (request.method == "POST") {
      // CSRF: the form carries a signature of the nonce in this browser's cookie.
      if (nonce.empty() || !auth::ConstantTimeEquals(Sign("csrf", nonce), Param(params, "csrf"))) {
        return respond(Page(400, "This form has expired",
                            "<p class=\"error\">The sign-in form was not sent from this page, or has expired. Start "
                            "again from your identity provider.</p>"));
      }
      if (step == "consent") {
        auto ticket = ReadConsentTicket(Param(params, "ticket"), nonce);
        if (!ticket) {
          return respond(Page(400, "This form has expired",
                              "<p class=\"error\">The approval has expired. Start again from your identity "
                              "provider.</p>"));
        }
        authorize = ticket->first;
        consented = ticket->second;
      }
    }

    auto client = store.FindOAuthClient(authorize.client_id);
    if (!client) return respond(Page(503, "Cannot sign in", "<p class=\"error\">Try again shortly.</p>"));
    if (!*client) {
      return respond(Page(400, "Cannot sign in", "<p class=\"error\">Unknown client_id. Check the client id your "
                                                 "identity provider was given.</p>"));
    }
    if (authorize.redirect_uri.empty() && (*client)->redirect_uris.size() == 1 && (*client)->okta_app.empty()) {
      authorize.redirect_uri = (*client)->redirect_uris.front();  // RFC 6749 §3.1.2.3: the only one
    }
    if (!auth::RedirectUriAllowed(**client, authorize.redirect_uri)) {
      return respond(Page(400, "Cannot sign in",
                          "<p class=\"error\">The redirect_uri is not registered for this client.</p>"));
    }
    auto back = [&](std::string_view error, std::string_view description) {
      return respond(Redirect(authorize.redirect_uri,
                              {{"error", std::string(error)}, {"error_description", std::string(description)},
                               {"state", authorize.state}}));
    };
    if (authorize.response_type != "code") {
      return back("unsupported_response_type", "response_type must be code");
    }
    if (!authorize.code_challenge.empty() || !authorize.code_challenge_method.empty()) {
      if (authorize.code_challenge_method != "S256") {
        return back("invalid_request", "code_challenge_method must be S256");
      }
      if (!auth::IsS256Challenge(authorize.code_challenge)) {
        return back("invalid_request", "code_challenge must be 43 base64url characters");
      }
    }

    if (consented) {
      bool allowed = Param(params, "decision") == "allow";
      storage::AuditEntry audit =
          Audit("login:" + consented->username, request.remote_address, allowed ? "oauth.authorize" : "oauth.deny",
                consented->tenant_name, (*client)->id, {{"redirect_uri", authorize.redirect_uri}, {"scope", authorize.scope}});
      if (allowed) return IssueCode(**client, authorize, consented->tenant, std::move(audit), std::move(respond));
      http::Response denied =
          Redirect(authorize.redirect_uri, {{"error", "access_denied"},
                                            {"error_description", "the administrator did not allow access"},
                                            {"state", authorize.state}});
      return store.Write([audit](storage::WriteTxn& txn) { return txn.AppendAudit(audit); },
                         [respond = std::move(respond), denied = std::move(denied)](core::Result<void>) mutable {
                           respond(std::move(denied));  // the answer does not depend on the audit
                         });
    }
    bool secure = options.scheme == "https" || options.public_base_url.starts_with("https://");
    if (nonce.empty() || nonce.size() != 32) nonce = auth::RandomHex(16);
    std::string cookie = std::string(kCsrfCookie) + "=" + nonce + "; Path=/oauth; HttpOnly; SameSite=Lax" +
                         (secure ? "; Secure" : "");
    if (step != "login") {  // GET: the login form
      http::Response page = LoginPage(authorize, nonce, {});
      page.headers.emplace_back("Set-Cookie", cookie);
      return respond(std::move(page));
    }

    std::string throttle_key = request.remote_address + "|oauth-login";
    auto now = std::chrono::steady_clock::now();
    if (int seconds = login_throttle.LockedFor(throttle_key, now); seconds > 0) {
      http::Response page = LoginPage(authorize, nonce,
                                      "Too many failed sign-in attempts. Try again in " +
                                          std::to_string((seconds + 59) / 60) + " minute(s).");
      page.status = 429;
      page.headers.emplace_back("Retry-After", std::to_string(seconds));
      return respond(std::move(page));
    }
    std::string username(Param(params, "username"));
    std::string password(Param(params, "password"));
    auto login = username.empty() || username.size() > 256 ? core::Result<std::optional<storage::LoginRecord>>()
                                                            : store.FindLogin(username);
    if (!login) return respond(Page(503, "Cannot sign in", "<p class=\"error\">Try again shortly.</p>"));
    // The same answer for an unknown username, a wrong password and another tenant's login.
    bool matches = auth::PasswordMatches(*login, password);
    if (!matches || ((*client)->tenant && (*client)->tenant->value != (*login)->tenant.value)) {
      login_throttle.RecordFailure(throttle_key, now);
      http::Response page = LoginPage(authorize, nonce, "The username or password is not valid.");
      page.log_error = "login refused";
      return respond(std::move(page));
    }
    respond(ConsentPage(**client, authorize, nonce, (*login)->tenant, (*login)->tenant_name, (*login)->username));
  }

  http::Response LoginPage(const AuthorizeRequest& authorize, const std::string& nonce, std::string_view error) const {
    std::string body;
    if (!error.empty()) body += "<p class=\"error\" role=\"alert\">" + EscapeHtml(error) + "</p>";
    body += "<p>Sign in with your organisation's SCIM login to connect your identity provider.</p>"
            "<form method=\"post\" action=\"" + std::string(kAuthorizePath) + "\">" +
            authorize.HiddenFields() + "<input type=\"hidden\" name=\"step\" value=\"login\">" +
            "<input type=\"hidden\" name=\"csrf\" value=\"" + Sign("csrf", nonce) + "\">" +
            "<label for=\"username\">Username</label><input type=\"text\" id=\"username\" name=\"username\" "
            "autocomplete=\"username\" required autofocus>"
            "<label for=\"password\">Password</label><input type=\"password\" id=\"password\" name=\"password\" "
            "autocomplete=\"current-password\" required>"
            "<button type=\"submit\">Sign in</button></form>";
    return Page(200, "Sign in to scimd", body);
  }

  // The consent form carries a ticket: the request and the tenant the login chose, signed together
  // with this browser's CSRF nonce and valid for kConsentLifetime.
  http::Response ConsentPage(const storage::OAuthClientRecord& client, const AuthorizeRequest& authorize,
                             const std::string& nonce, storage::TenantId tenant, const std::string& tenant_name,
                             const std::string& username) const {
    core::Json payload = core::Json::object();
    for (const auto& [name, value] : authorize.Fields()) payload[name] = value;
    payload["tenant"] = tenant.value;
    payload["tenant_name"] = tenant_name;
    payload["username"] = username;
    payload["expires"] = std::chrono::duration_cast<std::chrono::seconds>(
                             (std::chrono::system_clock::now() + kConsentLifetime).time_since_epoch())
                             .count();
    std::string encoded = core::Base64UrlEncode(core::DumpJson(payload));
    std::string ticket = encoded + "." + Sign("consent", encoded + "." + nonce);
    std::string who = client.okta_app.empty() ? "The application with client id " + client.id
                                              : "Okta (app " + client.okta_app + ")";
    bool offline = auth::ScopeHas(authorize.scope, "offline_access");
    std::string body =
        "<p>" + EscapeHtml(who) + " asks to create, update, deactivate and delete the users and groups of <strong>" +
        EscapeHtml(tenant_name) + "</strong> through SCIM" +
        (offline ? ", and to keep that access until you revoke it." : ".") + "</p>" +
        "<p>It will be sent back to <code>" + EscapeHtml(OriginOf(authorize.redirect_uri)) + "</code>.</p>" +
        "<form method=\"post\" action=\"" + std::string(kAuthorizePath) + "\">" +
        "<input type=\"hidden\" name=\"step\" value=\"consent\">" + "<input type=\"hidden\" name=\"csrf\" value=\"" +
        Sign("csrf", nonce) + "\">" + "<input type=\"hidden\" name=\"ticket\" value=\"" + EscapeHtml(ticket) + "\">" +
        "<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>"
        "<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>";
    return Page(200, "Allow access to " + tenant_name + "?", body, OriginOf(authorize.redirect_uri));
  }

  struct Consent {
    storage::TenantId tenant;
    std::string tenant_name;
    std::string username;
  };

  std::optional<std::pair<AuthorizeRequest, Consent>> ReadConsentTicket(
      std::string_view ticket, const std::string& nonce) const {
    size_t dot = ticket.rfind('.');
    if (dot == std::string_view::npos) return std::nullopt;
    std::string_view encoded = ticket.substr(0, dot);
    if (!auth::ConstantTimeEquals(Sign("consent", std::string(encoded) + "." + nonce), ticket.substr(dot + 1))) {
      return std::nullopt;
    }
    auto text = core::Base64UrlDecode(encoded);
    if (!text) return std::nullopt;
    auto payload = core::ParseJson(*text);
    if (!payload || !payload->is_object()) return std::nullopt;
    auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    if (payload->value("expires", int64_t{0}) < now.count()) return std::nullopt;
    std::vector<std::pair<std::string, std::string>> fields;
    for (const auto& [name, value] : AuthorizeRequest().Fields()) fields.emplace_back(name, payload->value(name, ""));
    return std::pair{AuthorizeRequest::From(fields),
                     Consent{storage::TenantId{payload->value("tenant", int64_t{0})},
                             payload->value("tenant_name", std::string()), payload->value("username", std::string())}};
  }

  void IssueCode(const storage::OAuthClientRecord& client, const AuthorizeRequest& authorize, storage::TenantId tenant,
                 storage::AuditEntry audit, http::Responder respond) {
    auth::IssuedCode code = auth::NewAuthorizationCode(client, tenant, authorize.redirect_uri,
                                                       authorize.code_challenge, authorize.scope, kCodeLifetime,
                                                       std::chrono::system_clock::now());
    std::string hash = auth::HashTokenSecret(code.secret);
    http::Response redirect = Redirect(authorize.redirect_uri, {{"code", code.secret}, {"state", authorize.state}});
    store.Write([record = code.record, hash, audit = std::move(audit)](storage::WriteTxn& txn) -> core::Result<void> {
                  if (auto inserted = txn.InsertOAuthCode(record, hash); !inserted) return inserted;
                  return txn.AppendAudit(audit);
                },
                [respond = std::move(respond), redirect = std::move(redirect)](core::Result<void> written) mutable {
                  if (!written) {
                    return respond(Page(503, "Cannot sign in", "<p class=\"error\">Try again shortly.</p>"));
                  }
                  respond(std::move(redirect));
                });
  }
};

OAuthApi::OAuthApi(storage::Store& store, OAuthOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

OAuthApi::~OAuthApi() = default;

bool OAuthApi::Owns(std::string_view path) {
  return path == kTokenPath || path == kAuthorizePath || path == kMetadataPath;
}

void OAuthApi::Handle(http::Request request, http::Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

}  // namespace scim::api
