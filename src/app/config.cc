#include "app/config.h"

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <functional>
#include <toml++/toml.h>
#include <vector>

#include "core/json.h"
#include "core/tenant_settings.h"

namespace scim::app {
namespace {

using core::ErrorType;
using core::Fail;

// One setting: its key in TOML (the environment variable is SCIMD_ + the key in upper case), how
// to store a value given as text (environment) or as TOML, and its current value as text.
struct Setting {
  const char* key;
  std::function<core::Result<void>(Config&, std::string_view text)> from_text;
  std::function<core::Result<void>(Config&, const toml::node&)> from_toml;
  std::function<std::string(const Config&)> to_text;
};

// The environment variable of a setting: SCIMD_ + the key in upper case.
std::string EnvironmentName(std::string_view key) {
  std::string name = "SCIMD_";
  for (char c : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

core::Result<int64_t> ParseInt(std::string_view text, std::string_view where) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Fail(ErrorType::kInvalidValue, std::string(where) + ": expected an integer, got '" + std::string(text) + "'");
  }
  return value;
}

core::Result<bool> ParseBool(std::string_view text, std::string_view where) {
  if (core::IEquals(text, "true") || text == "1" || core::IEquals(text, "yes")) return true;
  if (core::IEquals(text, "false") || text == "0" || core::IEquals(text, "no")) return false;
  return Fail(ErrorType::kInvalidValue, std::string(where) + ": expected true or false, got '" + std::string(text) + "'");
}

template <class T>
Setting StringSetting(const char* key, T Config::*field) {
  return Setting{
      key, [field](Config& c, std::string_view text) -> core::Result<void> {
        c.*field = std::string(text);
        return {};
      },
      [field, key](Config& c, const toml::node& node) -> core::Result<void> {
        auto value = node.value<std::string>();
        if (!value) return Fail(ErrorType::kInvalidValue, std::string(key) + ": expected a string");
        c.*field = *value;
        return {};
      },
      [field](const Config& c) { return std::string(c.*field); }};
}

template <class T>
Setting IntSetting(const char* key, T Config::*field, int64_t min, int64_t max) {
  auto check = [key, min, max](int64_t v) -> core::Result<T> {
    if (v < min || v > max) {
      return Fail(ErrorType::kInvalidValue,
                  std::string(key) + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return static_cast<T>(v);
  };
  return Setting{key,
                 [field, key, check](Config& c, std::string_view text) -> core::Result<void> {
                   auto v = ParseInt(text, EnvironmentName(key));
                   if (!v) return std::unexpected(v.error());
                   auto checked = check(*v);
                   if (!checked) return std::unexpected(checked.error());
                   c.*field = *checked;
                   return {};
                 },
                 [field, key, check](Config& c, const toml::node& node) -> core::Result<void> {
                   auto v = node.value<int64_t>();
                   if (!v) return Fail(ErrorType::kInvalidValue, std::string(key) + ": expected an integer");
                   auto checked = check(*v);
                   if (!checked) return std::unexpected(checked.error());
                   c.*field = *checked;
                   return {};
                 },
                 [field](const Config& c) { return std::to_string(c.*field); }};
}

Setting BoolSetting(const char* key, bool Config::*field) {
  return Setting{key,
                 [field, key](Config& c, std::string_view text) -> core::Result<void> {
                   auto v = ParseBool(text, EnvironmentName(key));
                   if (!v) return std::unexpected(v.error());
                   c.*field = *v;
                   return {};
                 },
                 [field, key](Config& c, const toml::node& node) -> core::Result<void> {
                   auto v = node.value<bool>();
                   if (!v) return Fail(ErrorType::kInvalidValue, std::string(key) + ": expected true or false");
                   c.*field = *v;
                   return {};
                 },
                 [field](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> settings = {
      StringSetting("listen", &Config::listen),
      StringSetting("data", &Config::data_dir),
      StringSetting("storage", &Config::storage),
      IntSetting("io_threads", &Config::io_threads, 0, 256),
      IntSetting("max_body_bytes", &Config::max_body_bytes, 1024, int64_t{256} * 1024 * 1024),
      IntSetting("max_header_bytes", &Config::max_header_bytes, 1024, 1024 * 1024),
      IntSetting("header_timeout_seconds", &Config::header_timeout_seconds, 1, 600),
      IntSetting("body_timeout_seconds", &Config::body_timeout_seconds, 1, 3600),
      IntSetting("idle_timeout_seconds", &Config::idle_timeout_seconds, 1, 3600),
      IntSetting("handler_timeout_seconds", &Config::handler_timeout_seconds, 1, 3600),
      IntSetting("max_connections", &Config::max_connections, 1, 1000000),
      StringSetting("tls_cert_file", &Config::tls_cert_file),
      StringSetting("tls_key_file", &Config::tls_key_file),
      StringSetting("public_url", &Config::public_url),
      StringSetting("tenant_domain", &Config::tenant_domain),
      BoolSetting("reject_unknown_members", &Config::reject_unknown_members),
      StringSetting("passwords", &Config::passwords),
      IntSetting("default_page_size", &Config::default_page_size, 1, 10000),
      IntSetting("max_page_size", &Config::max_page_size, 1, 10000),
      IntSetting("bulk_max_operations", &Config::bulk_max_operations, 1, 100000),
      IntSetting("rate_limit_tenant", &Config::rate_limit_tenant, 0, core::kMaxTenantRateLimit),
      IntSetting("rate_limit_credential", &Config::rate_limit_credential, 0, 1000000),
      IntSetting("rate_limit_server", &Config::rate_limit_server, 0, 10000000),
      IntSetting("auth_max_failures", &Config::auth_max_failures, 0, 1000),
      IntSetting("auth_lockout_seconds", &Config::auth_lockout_seconds, 1, 86400),
      IntSetting("oauth_access_token_seconds", &Config::oauth_access_token_seconds, 1, 86400),
      IntSetting("oauth_refresh_token_days", &Config::oauth_refresh_token_days, 1, 3650),
      IntSetting("max_json_depth", &Config::max_json_depth, 8, core::kMaxJsonDepth),
      IntSetting("max_filter_length", &Config::max_filter_length, 256, core::kMaxFilterLength),
      IntSetting("max_filter_depth", &Config::max_filter_depth, 4, core::kMaxFilterDepth),
      IntSetting("max_patch_operations", &Config::max_patch_operations, 1, core::kMaxPatchOperations),
      IntSetting("max_attribute_values", &Config::max_attribute_values, 10, core::kMaxAttributeValues),
      BoolSetting("access_log", &Config::access_log),
      IntSetting("shutdown_grace_seconds", &Config::shutdown_grace_seconds, 0, 3600),
      IntSetting("drain_seconds", &Config::drain_seconds, 0, 600),
      IntSetting("webhook_senders", &Config::webhook_senders, 1, 64),
      IntSetting("webhook_timeout_ms", &Config::webhook_timeout_ms, 100, 120000),
      IntSetting("webhook_max_attempts", &Config::webhook_max_attempts, 1, 100),
      IntSetting("webhook_retry_base_ms", &Config::webhook_retry_base_ms, 10, int64_t{24} * 3600 * 1000),
      IntSetting("webhook_retry_max_ms", &Config::webhook_retry_max_ms, 10, int64_t{7} * 24 * 3600 * 1000),
      StringSetting("webhook_ca_file", &Config::webhook_ca_file),
      BoolSetting("journal", &Config::journal),
      BoolSetting("journal_reads", &Config::journal_reads),
      IntSetting("journal_retention_days", &Config::journal_retention_days, 1, 3650),
  };
  return settings;
}

}  // namespace

core::Result<Config> LoadConfig(const std::optional<std::string>& file) {
  Config config;
  if (file) {
    toml::table table;
    try {
      table = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      const auto& where = e.source().begin;
      return Fail(ErrorType::kInvalidValue, *file + ":" + std::to_string(where.line) + ":" +
                                                std::to_string(where.column) + ": " + std::string(e.description()));
    }
    for (const auto& [key, node] : table) {
      const Setting* setting = nullptr;
      for (const auto& s : Settings()) {
        if (key.str() == s.key) setting = &s;
      }
      if (!setting) {
        std::string known;
        for (const auto& s : Settings()) known += std::string(known.empty() ? "" : ", ") + s.key;
        return Fail(ErrorType::kInvalidValue,
                    *file + ": unknown key '" + std::string(key.str()) + "' (known keys: " + known + ")");
      }
      if (auto r = setting->from_toml(config, node); !r) {
        return Fail(ErrorType::kInvalidValue, *file + ": " + r.error().detail);
      }
    }
  }
  for (const auto& s : Settings()) {
    std::string name = EnvironmentName(s.key);
    if (const char* value = std::getenv(name.c_str()); value && *value) {
      if (auto r = s.from_text(config, value); !r) return std::unexpected(r.error());
    }
  }
  if (config.default_page_size > config.max_page_size) config.default_page_size = config.max_page_size;
  if (config.passwords != "ignore" && config.passwords != "store") {
    return Fail(ErrorType::kInvalidValue, "passwords: expected \"ignore\" or \"store\", got '" + config.passwords + "'");
  }
  for (auto [key, value] : {std::pair{"rate_limit_tenant", config.rate_limit_tenant},
                            std::pair{"rate_limit_server", config.rate_limit_server}}) {
    if (value != 0 && value < core::kMinTenantRateLimit) {
      return Fail(ErrorType::kInvalidValue, std::string(key) + ": must be 0 (no limit) or at least " +
                                                std::to_string(core::kMinTenantRateLimit) +
                                                " requests a second (every tenant is guaranteed that many)");
    }
  }
  for (char c : config.tenant_domain) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') {
      return Fail(ErrorType::kInvalidValue, "tenant_domain: expected a DNS name such as scim.example.com, got '" +
                                                config.tenant_domain + "'");
    }
  }
  if (!config.storage.empty() && config.storage != "sqlite" && !config.storage.starts_with("postgres://") &&
      !config.storage.starts_with("postgresql://")) {
    return Fail(ErrorType::kInvalidValue,
                "storage: expected \"sqlite\" or a PostgreSQL URL such as postgres://scimd@db.example.com:5432/scimd");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return Fail(ErrorType::kInvalidValue, "tls_cert_file and tls_key_file go together: set both for HTTPS, or neither");
  }
  return config;
}

std::vector<std::string> ChangedKeys(const Config& before, const Config& after) {
  std::vector<std::string> keys;
  for (const auto& s : Settings()) {
    if (s.to_text(before) != s.to_text(after)) keys.emplace_back(s.key);
  }
  return keys;
}

void CopySetting(std::string_view key, const Config& from, Config& to) {
  for (const auto& s : Settings()) {
    if (key == s.key) (void)s.from_text(to, s.to_text(from));  // a value from a Config is valid
  }
}

core::Result<std::pair<std::string, uint16_t>> SplitListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return Fail(ErrorType::kInvalidValue, "listen address '" + listen + "' must be HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  auto port = ParseInt(std::string_view(listen).substr(colon + 1), "listen port");
  if (!port || *port < 0 || *port > 65535) {
    return Fail(ErrorType::kInvalidValue, "listen address '" + listen + "': the port must be 0-65535");
  }
  return std::pair{host, static_cast<uint16_t>(*port)};
}

std::string DatabasePath(const Config& config) { return config.data_dir + "/scimd.db"; }

}  // namespace scim::app
