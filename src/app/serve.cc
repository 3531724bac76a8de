// `scimd serve`: open the data directory (creating it and a demo tenant on first start), then run
// the HTTP (or HTTPS) server until SIGTERM/SIGINT, finishing in-flight requests before exiting 0.
// SIGHUP re-reads the configuration file and the TLS certificate.
#include <fmt/format.h>

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string_view>
#include <thread>

#include "api/error_response.h"
#include "api/admin_api.h"
#include "api/host_api.h"
#include "api/journal.h"
#include "api/oauth_api.h"
#include "api/scim_api.h"
#include "app/commands.h"
#include "app/wiring.h"
#include "core/json.h"
#include "core/schema.h"
#include "core/tenant_settings.h"
#include "events/dispatcher.h"
#include "events/feed_waiter.h"
#include "http/server.h"

namespace scim::app {
namespace {

// One JSON object per line on stdout; never a secret (no query strings, no headers but User-Agent).
// Written as text, without a JSON document: this runs once per request.
void WriteAccessLog(const http::AccessLogEntry& e) {
  static std::mutex mu;
  std::string line;
  line.reserve(320);
  auto field = [&](std::string_view key, std::string_view value) {
    line += ",\"";
    line += key;
    line += "\":";
    core::AppendJsonString(line, value);
  };
  line += "{\"time\":";
  core::AppendJsonString(line, api::NowRfc3339());
  field("remote", e.remote_address);
  field("method", e.method);
  field("path", e.path);
  line += fmt::format(R"(,"status":{},"duration_ms":{},"request_bytes":{},"response_bytes":{})", e.status,
                      e.duration_ms, e.request_bytes, e.response_bytes);
  if (!e.tenant.empty()) field("tenant", e.tenant);
  if (!e.credential.empty()) field("credential", e.credential);
  if (!e.client.empty()) field("idp", e.client);
  if (!e.error.empty()) field("error", e.error);
  if (!e.note.empty()) field("note", e.note);
  if (!e.user_agent.empty()) field("user_agent", e.user_agent);
  line += "}\n";
  std::lock_guard lock(mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// What SIGHUP applies to the running server; a change to any other setting is reported as needing
// a restart. (max_body_bytes is not here: it is also advertised as Bulk's maxPayloadSize.)
constexpr std::string_view kReloadableKeys[] = {
    "max_header_bytes",     "header_timeout_seconds", "body_timeout_seconds", "idle_timeout_seconds",
    "handler_timeout_seconds", "shutdown_grace_seconds", "drain_seconds",     "max_connections",
    "tls_cert_file",        "tls_key_file"};

bool Reloadable(std::string_view key) {
  return std::find(std::begin(kReloadableKeys), std::end(kReloadableKeys), key) != std::end(kReloadableKeys);
}

// The HTTP server's options that come from the configuration; Serve adds the callbacks.
http::ServerOptions HttpOptions(const Config& config, const std::pair<std::string, uint16_t>& listen) {
  http::ServerOptions options;
  options.host = listen.first;
  options.port = listen.second;
  options.io_threads = config.io_threads > 0 ? config.io_threads
                                              : static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  options.body_limit = static_cast<size_t>(config.max_body_bytes);
  options.header_limit = static_cast<size_t>(config.max_header_bytes);
  options.header_timeout = std::chrono::seconds(config.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(config.body_timeout_seconds);
  options.idle_timeout = std::chrono::seconds(config.idle_timeout_seconds);
  options.handler_timeout = std::chrono::seconds(config.handler_timeout_seconds);
  options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
  options.max_connections = static_cast<size_t>(config.max_connections);
  options.tls_cert_file = config.tls_cert_file;
  options.tls_key_file = config.tls_key_file;
  return options;
}

// Descriptors kept for the database, the journal, webhook deliveries and the like, besides one per
// connection.
constexpr rlim_t kReservedDescriptors = 128;

// Raises the soft open-file limit towards the hard one so that max_connections can be reached (the
// usual soft limit, 1024, would make accept() fail long before the default 10,000). Warns when
// even the hard limit is too low.
void RaiseOpenFileLimit(int64_t max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  rlim_t wanted = static_cast<rlim_t>(max_connections) + kReservedDescriptors;
  if (limit.rlim_cur >= wanted) return;
  rlimit raised = limit;
  raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  if (limit.rlim_cur < wanted) {
    fmt::print(stderr,
               "scimd: warning: the open-file limit ({}) is below max_connections + {}; connections beyond about {} "
               "will wait in the listen queue (raise it with ulimit -n or LimitNOFILE=)\n",
               limit.rlim_cur, kReservedDescriptors,
               limit.rlim_cur > kReservedDescriptors ? limit.rlim_cur - kReservedDescriptors : 0);
  }
}

// SIGHUP: re-reads the configuration file (flags and environment as at start) and applies what it
// can to the running server, always re-reading the TLS certificate and key. An invalid file or
// certificate changes nothing. Reports on stdout (success) or stderr (failure).
void Reload(const ServeFlags& flags, http::Server& server, Config& running) {
  auto loaded = EffectiveConfig(flags.common, flags.listen);
  if (!loaded) {
    fmt::print(stderr, "scimd: reload failed, the running configuration stays: {}\n", loaded.error().detail);
    return;
  }
  Config applied = running;
  std::vector<std::string> changed = ChangedKeys(running, *loaded);
  for (const std::string& key : changed) {
    if (Reloadable(key)) CopySetting(key, *loaded, applied);
  }
  auto listen = SplitListen(applied.listen);  // unchanged: listen needs a restart
  if (!listen) return;
  if (std::string error = server.Reconfigure(HttpOptions(applied, *listen)); !error.empty()) {
    fmt::print(stderr, "scimd: reload failed, the running configuration stays: {}\n", error);
    return;
  }
  std::string applied_keys;
  std::string restart_keys;
  for (const std::string& key : changed) {
    std::string& list = Reloadable(key) ? applied_keys : restart_keys;
    list += (list.empty() ? "" : ", ") + key;
  }
  running = applied;
  fmt::print("scimd reloaded the configuration: {}{}{}\n", applied_keys.empty() ? "no change applied" : "applied " + applied_keys,
             running.tls_cert_file.empty() ? "" : "; TLS certificate re-read from " + running.tls_cert_file,
             restart_keys.empty() ? "" : "; needs a restart: " + restart_keys);
  std::fflush(stdout);
}

}  // namespace

int Serve(const ServeFlags& flags) {
  // SIGINT, SIGTERM and SIGHUP are taken by one thread of ours (below), so they are blocked here,
  // before any other thread starts and inherits the mask.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGINT);
  sigaddset(&shutdown_signals, SIGTERM);
  sigset_t handled_signals = shutdown_signals;
  sigaddset(&handled_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &handled_signals, nullptr);

  auto env = OpenEnvironment(flags.common, /*create_data_dir=*/true, flags.listen);
  if (!env) return env.error();
  const Config& config = env->config;  // as started; `running` below follows SIGHUP reloads
  Config running = config;
  auto listen = SplitListen(config.listen);
  if (!listen) {
    fmt::print(stderr, "scimd: error: {}\n", listen.error().detail);
    return kExitUsage;
  }
  auto registry = core::SchemaRegistry::LoadDefault();
  if (!registry) {
    fmt::print(stderr, "scimd: error: built-in schemas: {}\n", registry.error().detail);
    return kExitFailure;
  }

  std::optional<auth::IssuedBearerToken> demo_token;
  if (env->fresh) {
    auto tenant = auth::CreateTenant(*env->store, "demo", CliActor());
    if (!tenant) {
      fmt::print(stderr, "scimd: error: creating the demo tenant: {}\n", tenant.error().detail);
      return kExitFailure;
    }
    auto token = auth::IssueToken(*env->store, *tenant, "demo", std::nullopt, CliActor());
    if (!token) {
      fmt::print(stderr, "scimd: error: issuing the demo token: {}\n", token.error().detail);
      return kExitFailure;
    }
    demo_token = std::move(*token);
  }

  api::ApiOptions api_options;
  api_options.public_base_url = config.public_url;
  while (!api_options.public_base_url.empty() && api_options.public_base_url.back() == '/') {
    api_options.public_base_url.pop_back();
  }
  api_options.scheme = config.tls_cert_file.empty() ? "http" : "https";
  api_options.tenant_domain = config.tenant_domain;
  while (!api_options.tenant_domain.empty() && api_options.tenant_domain.front() == '.') {
    api_options.tenant_domain.erase(0, 1);  // ".scim.example.com" means the same
  }
  api_options.reject_unknown_members = config.reject_unknown_members;
  api_options.store_passwords = config.passwords == "store";
  api_options.default_page_size = config.default_page_size;
  api_options.max_page_size = config.max_page_size;
  api_options.bulk_max_operations = config.bulk_max_operations;
  api_options.bulk_max_payload_bytes = config.max_body_bytes;
  api_options.rate_limits.tenant_rate = static_cast<double>(config.rate_limit_tenant);
  api_options.rate_limits.credential_rate = static_cast<double>(config.rate_limit_credential);
  api_options.rate_limits.server_rate = static_cast<double>(config.rate_limit_server);
  api_options.rate_limits.tenant_floor = static_cast<double>(core::kMinTenantRateLimit);
  api_options.login_throttle.max_failures = static_cast<int>(config.auth_max_failures);
  api_options.login_throttle.window = std::chrono::seconds(config.auth_lockout_seconds);
  api_options.login_throttle.lockout = std::chrono::seconds(config.auth_lockout_seconds);
  api_options.limits.json_depth = static_cast<size_t>(config.max_json_depth);
  api_options.limits.filter_length = static_cast<size_t>(config.max_filter_length);
  api_options.limits.filter_depth = static_cast<int>(config.max_filter_depth);
  api_options.limits.patch_operations = static_cast<size_t>(config.max_patch_operations);
  api_options.limits.attribute_values = static_cast<size_t>(config.max_attribute_values);
  events::FeedWaiter feed_waiter(*env->store);
  events::DispatcherOptions delivery;
  delivery.senders = config.webhook_senders;
  delivery.client.total_timeout = std::chrono::milliseconds(config.webhook_timeout_ms);
  delivery.client.connect_timeout = std::min(delivery.client.connect_timeout, delivery.client.total_timeout);
  delivery.client.ca_file = config.webhook_ca_file;
  delivery.max_attempts = config.webhook_max_attempts;
  delivery.retry_base = std::chrono::milliseconds(config.webhook_retry_base_ms);
  delivery.retry_max = std::chrono::milliseconds(std::max(config.webhook_retry_max_ms, config.webhook_retry_base_ms));
  events::Dispatcher dispatcher(*env->store, delivery);
  api::JournalOptions journal_options;
  journal_options.enabled = config.journal;
  journal_options.successful_reads = config.journal_reads;
  journal_options.retention_days = config.journal_retention_days;
  api::Journal journal(*env->store, journal_options);
  api::ScimApi scim_api(
      *env->store, *registry, api_options,
      [&feed_waiter, &dispatcher] {
        feed_waiter.Notify();
        dispatcher.Notify();
      },
      &journal);
  api::HostApi host_api(*env->store, feed_waiter, *registry, [&dispatcher] { dispatcher.Notify(); });
  api::OAuthOptions oauth_options;
  oauth_options.public_base_url = api_options.public_base_url;
  oauth_options.scheme = api_options.scheme;
  oauth_options.access_token_lifetime = std::chrono::seconds(config.oauth_access_token_seconds);
  oauth_options.refresh_token_lifetime = std::chrono::hours(24 * config.oauth_refresh_token_days);
  oauth_options.throttle = api_options.login_throttle;
  api::OAuthApi oauth_api(*env->store, oauth_options);
  api::AdminApiOptions admin_options;
  admin_options.secure_cookies = api_options.scheme == "https";
  admin_options.throttle = api_options.login_throttle;
  admin_options.replay_held = [&scim_api](const storage::Tenant& tenant, const storage::HeldChange& change,
                                          std::function<void(http::Response)> done) {
    scim_api.ReplayHeld(tenant, change, std::move(done));
  };
  api::AdminApi admin_api(*env->store, admin_options);

  RaiseOpenFileLimit(config.max_connections);
  http::ServerOptions options = HttpOptions(config, *listen);
  options.error_responder = [](int status, std::string_view detail) {
    return api::ErrorResponseForStatus(status, detail);
  };
  if (config.access_log) options.access_log = WriteAccessLog;
  options.on_stop = [&feed_waiter] { feed_waiter.Stop(); };  // long polls answer now, not after the grace
  http::Server server(options, [&scim_api, &host_api, &oauth_api, &admin_api](http::Request request,
                                                                              http::Responder respond) {
    if (api::AdminApi::Owns(request.path)) return admin_api.Handle(std::move(request), std::move(respond));
    if (api::HostApi::Owns(request.path)) return host_api.Handle(std::move(request), std::move(respond));
    if (api::OAuthApi::Owns(request.path)) return oauth_api.Handle(std::move(request), std::move(respond));
    scim_api.Handle(std::move(request), std::move(respond));
  });
  if (std::string error = server.Listen(); !error.empty()) {
    fmt::print(stderr, "scimd: error: cannot listen on {}: {}\n", config.listen, error);
    return kExitFailure;
  }

  std::string host = listen->first.find(':') != std::string::npos ? "[" + listen->first + "]" : listen->first;
  std::string origin = api_options.public_base_url.empty() ? fmt::format("{}://{}:{}", api_options.scheme, host, server.port())
                                                           : api_options.public_base_url;
  if (demo_token) {
    fmt::print(
        "scimd: new data directory {}: created tenant 'demo'\n"
        "  SCIM base URL: {}/scim/v2/demo\n"
        "  Bearer token:  {}\n"
        "  (the token is shown once; issue more with: scimd token issue demo --data {})\n",
        config.data_dir, origin, demo_token->secret, config.data_dir);
  }
  fmt::print("scimd listening on {} (data: {}, SCIM base URLs: {}/scim/v2/{{tenant}})\n", origin, config.data_dir,
             origin);
  std::fflush(stdout);

  // Shutdown: the first SIGTERM/SIGINT makes /readyz answer 503 while everything else is still
  // served, for drain_seconds (so a load balancer stops routing here; a second signal cuts the wait
  // short), then the server stops: no new connections, in-flight requests finish, exit 0.
  // SIGHUP reloads (see Reload) on the same thread, which alone touches `running`.
  std::atomic<bool> exiting{false};
  std::thread signal_thread([&] {
    for (;;) {
      int signal_number = 0;
      if (sigwait(&handled_signals, &signal_number) != 0 || exiting) return;
      if (signal_number != SIGHUP) break;
      Reload(flags, server, running);
    }
    scim_api.SetReady(false);
    if (running.drain_seconds > 0) {
      fmt::print("scimd draining: /readyz answers 503 for {} s, then the server stops\n", running.drain_seconds);
      std::fflush(stdout);
      timespec drain{static_cast<time_t>(running.drain_seconds), 0};
      sigtimedwait(&shutdown_signals, nullptr, &drain);
    }
    server.Stop();
  });
  dispatcher.Start();
  server.Run(/*handle_signals=*/false);
  exiting = true;
  pthread_kill(signal_thread.native_handle(), SIGTERM);  // wakes it if Run ended some other way
  signal_thread.join();
  dispatcher.Stop();  // waits for deliveries in flight, at most webhook_timeout_ms
  journal.Stop();     // writes the entries still queued
  // A barrier: writes queued by requests the grace period cut off may still have completions to
  // run, and those refer to the APIs destroyed when this function returns.
  (void)env->store->WriteSync([](storage::WriteTxn&) -> core::Result<void> { return {}; });
  fmt::print("scimd stopped\n");
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace scim::app
