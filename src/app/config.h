// scimd's settings: defaults, then a TOML file (--config), then SCIMD_* environment variables,
// then command-line flags; each later source overrides the earlier ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/limits.h"

namespace scim::app {

struct Config {
  std::string listen = "127.0.0.1:8080";  // listen = "HOST:PORT"            SCIMD_LISTEN
  std::string data_dir = "./scimd-data";   // data = "DIR"                    SCIMD_DATA
  // Where resources live: empty or "sqlite" for the SQLite file in `data` (the default), or a
  // PostgreSQL URL "postgres://user:password@host:5432/db" shared by every instance.   SCIMD_STORAGE
  std::string storage;
  int io_threads = 0;                      // io_threads (0: one per core)    SCIMD_IO_THREADS
  int64_t max_body_bytes = 1024 * 1024;    // max_body_bytes                  SCIMD_MAX_BODY_BYTES
  int64_t max_header_bytes = 16 * 1024;    // max_header_bytes (line + headers) SCIMD_MAX_HEADER_BYTES
  int64_t header_timeout_seconds = 10;     // header_timeout_seconds          SCIMD_HEADER_TIMEOUT_SECONDS
  int64_t body_timeout_seconds = 30;       // body_timeout_seconds            SCIMD_BODY_TIMEOUT_SECONDS
  int64_t idle_timeout_seconds = 60;       // idle_timeout_seconds            SCIMD_IDLE_TIMEOUT_SECONDS
  int64_t handler_timeout_seconds = 60;    // handler_timeout_seconds         SCIMD_HANDLER_TIMEOUT_SECONDS
  int64_t max_connections = 10000;         // max_connections (open at once)  SCIMD_MAX_CONNECTIONS
  std::string tls_cert_file;               // tls_cert_file (PEM chain; HTTPS) SCIMD_TLS_CERT_FILE
  std::string tls_key_file;                // tls_key_file (PEM private key)  SCIMD_TLS_KEY_FILE
  std::string public_url;                  // public_url = "https://scim.example.com"  SCIMD_PUBLIC_URL
  std::string tenant_domain;               // tenant_domain = "scim.example.com" ({tenant}.scim.example.com)
  bool reject_unknown_members = false;     // reject_unknown_members          SCIMD_REJECT_UNKNOWN_MEMBERS
  std::string passwords = "ignore";        // passwords = "ignore" | "store"  SCIMD_PASSWORDS
  int64_t default_page_size = 100;         // default_page_size               SCIMD_DEFAULT_PAGE_SIZE
  int64_t max_page_size = 1000;            // max_page_size                   SCIMD_MAX_PAGE_SIZE
  int64_t bulk_max_operations = 1000;      // bulk_max_operations             SCIMD_BULK_MAX_OPERATIONS
  // Rate limits in requests a second, 0: none (docs/limits.md).
  int64_t rate_limit_tenant = 1000;        // rate_limit_tenant (0 or >= 25)  SCIMD_RATE_LIMIT_TENANT
  int64_t rate_limit_credential = 0;       // rate_limit_credential           SCIMD_RATE_LIMIT_CREDENTIAL
  int64_t rate_limit_server = 0;           // rate_limit_server (0 or >= 25)  SCIMD_RATE_LIMIT_SERVER
  int64_t auth_max_failures = 10;          // auth_max_failures (0: no lockout) SCIMD_AUTH_MAX_FAILURES
  int64_t auth_lockout_seconds = 300;      // auth_lockout_seconds            SCIMD_AUTH_LOCKOUT_SECONDS
  int64_t oauth_access_token_seconds = 3600;  // oauth_access_token_seconds   SCIMD_OAUTH_ACCESS_TOKEN_SECONDS
  int64_t oauth_refresh_token_days = 90;   // oauth_refresh_token_days        SCIMD_OAUTH_REFRESH_TOKEN_DAYS
  // What a client's SCIM document may hold (docs/limits.md); each may be lowered from its ceiling.
  int64_t max_json_depth = core::kMaxJsonDepth;                // max_json_depth        SCIMD_MAX_JSON_DEPTH
  int64_t max_filter_length = core::kMaxFilterLength;          // max_filter_length     SCIMD_MAX_FILTER_LENGTH
  int64_t max_filter_depth = core::kMaxFilterDepth;            // max_filter_depth      SCIMD_MAX_FILTER_DEPTH
  int64_t max_patch_operations = core::kMaxPatchOperations;    // max_patch_operations  SCIMD_MAX_PATCH_OPERATIONS
  int64_t max_attribute_values = core::kMaxAttributeValues;    // max_attribute_values  SCIMD_MAX_ATTRIBUTE_VALUES
  bool access_log = true;                  // access_log                      SCIMD_ACCESS_LOG
  int64_t shutdown_grace_seconds = 20;     // shutdown_grace_seconds          SCIMD_SHUTDOWN_GRACE_SECONDS
  int64_t drain_seconds = 0;               // drain_seconds (readyz 503 first) SCIMD_DRAIN_SECONDS
  // Webhook delivery (docs/events.md).
  int webhook_senders = 4;                 // webhook_senders                 SCIMD_WEBHOOK_SENDERS
  int64_t webhook_timeout_ms = 10000;      // webhook_timeout_ms              SCIMD_WEBHOOK_TIMEOUT_MS
  int64_t webhook_max_attempts = 12;       // webhook_max_attempts            SCIMD_WEBHOOK_MAX_ATTEMPTS
  int64_t webhook_retry_base_ms = 10000;   // webhook_retry_base_ms           SCIMD_WEBHOOK_RETRY_BASE_MS
  int64_t webhook_retry_max_ms = 3600000;  // webhook_retry_max_ms            SCIMD_WEBHOOK_RETRY_MAX_MS
  std::string webhook_ca_file;             // webhook_ca_file (extra PEM CAs) SCIMD_WEBHOOK_CA_FILE
  // The provisioning journal (docs/journal.md).
  bool journal = true;                     // journal                         SCIMD_JOURNAL
  bool journal_reads = true;               // journal_reads (successful reads) SCIMD_JOURNAL_READS
  int64_t journal_retention_days = 30;     // journal_retention_days          SCIMD_JOURNAL_RETENTION_DAYS
};

// Reads `file` (when given) and the environment over the defaults.
// Errors: kInvalidValue naming the file, key or variable and what is expected; unknown keys are
// errors too (a typo must not be silently ignored).
core::Result<Config> LoadConfig(const std::optional<std::string>& file);

// The keys whose values differ between `before` and `after`, in the order of the settings table.
std::vector<std::string> ChangedKeys(const Config& before, const Config& after);

// Sets the setting `key` of `to` to its value in `from` (nothing for an unknown key).
void CopySetting(std::string_view key, const Config& from, Config& to);

// Splits "HOST:PORT" ("[::1]:8080" for IPv6). Errors: kInvalidValue.
core::Result<std::pair<std::string, uint16_t>> SplitListen(const std::string& listen);

// The database file inside the data directory.
std::string DatabasePath(const Config& config);

}  // namespace scim::app
