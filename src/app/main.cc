// scimd: a multi-tenant SCIM 2.0 server. This file only parses the command line (CLI11) and
// dispatches to the commands in commands.h.
#include <CLI/CLI.hpp>

#include "app/commands.h"

namespace {

using scim::app::CommonFlags;

void AddCommonFlags(CLI::App* command, CommonFlags& flags) {
  command->add_option("--config", flags.config_file, "TOML configuration file (keys: see docs/configuration.md)")
      ->check(CLI::ExistingFile);
  command->add_option("--data", flags.data_dir, "Data directory holding scimd.db (default ./scimd-data, SCIMD_DATA)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"scimd: a multi-tenant SCIM 2.0 provisioning server"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scimd 0.1.0");

  scim::app::ServeFlags serve_flags;
  auto* serve = app.add_subcommand("serve", "Run the SCIM server (creates the data directory and a demo tenant on first start)");
  AddCommonFlags(serve, serve_flags.common);
  serve->add_option("--listen", serve_flags.listen, "HOST:PORT to listen on (default 127.0.0.1:8080, SCIMD_LISTEN)");

  CommonFlags flags;
  std::string name;
  std::string tenant;
  std::string token_id;
  std::string label;
  std::optional<int> expires_days;

  auto* tenant_cmd = app.add_subcommand("tenant", "Create, list, show, configure and delete tenants");
  tenant_cmd->require_subcommand(1);
  auto* tenant_create = tenant_cmd->add_subcommand("create", "Create a tenant (then: scimd token issue NAME)");
  tenant_create->add_option("NAME", name, "Tenant name: letters, digits, '-', '_', '.'")->required();
  AddCommonFlags(tenant_create, flags);
  auto* tenant_list = tenant_cmd->add_subcommand("list", "List tenants");
  AddCommonFlags(tenant_list, flags);
  auto* tenant_delete = tenant_cmd->add_subcommand("delete", "Delete a tenant with all its users, groups and tokens");
  tenant_delete->add_option("NAME", name, "Tenant name")->required();
  AddCommonFlags(tenant_delete, flags);

  std::string setting_key;
  std::string setting_value;
  auto* tenant_show = tenant_cmd->add_subcommand("show", "Show a tenant and its settings");
  tenant_show->add_option("NAME", name, "Tenant name")->required();
  AddCommonFlags(tenant_show, flags);
  auto* tenant_set = tenant_cmd->add_subcommand(
      "set", "Change a tenant setting: profile (auto, generic, okta, entra, onelogin, jumpcloud, ping), "
             "compatibility (lenient, strict), unknown_members (server, skip, reject), passwords (server, ignore, "
             "store), notifications (active, paused), initial_sync (on, off, or the UTC time it ends)");
  tenant_set->add_option("NAME", name, "Tenant name")->required();
  tenant_set->add_option("KEY", setting_key,
                         "profile, compatibility, unknown_members, passwords, notifications or initial_sync")
      ->required();
  tenant_set->add_option("VALUE", setting_value, "The new value")->required();
  AddCommonFlags(tenant_set, flags);

  auto* token_cmd = app.add_subcommand("token", "Issue, list and revoke a tenant's bearer tokens");
  token_cmd->require_subcommand(1);
  auto* token_issue = token_cmd->add_subcommand("issue", "Issue a token; it is printed once, alone on the last line");
  token_issue->add_option("TENANT", tenant, "Tenant name")->required();
  token_issue->add_option("--expires", expires_days, "Expire after this many days (default: never)");
  token_issue->add_option("--label", label, "A note to tell tokens apart (e.g. 'okta-prod')");
  AddCommonFlags(token_issue, flags);
  auto* token_list = token_cmd->add_subcommand("list", "List a tenant's tokens (never their secrets)");
  token_list->add_option("TENANT", tenant, "Tenant name")->required();
  AddCommonFlags(token_list, flags);
  int overlap_hours = 24;
  std::optional<std::string> rotate_label;
  auto* token_rotate = token_cmd->add_subcommand(
      "rotate", "Issue a new token (printed alone on the last line); the old one keeps working for --overlap hours");
  token_rotate->add_option("TENANT", tenant, "Tenant name")->required();
  token_rotate->add_option("TOKEN_ID", token_id, "The token to replace, as shown by 'token list' (tok_...)")->required();
  token_rotate->add_option("--overlap", overlap_hours, "Hours the old token keeps working (default 24; 0: stops now)");
  token_rotate->add_option("--label", rotate_label, "The new token's label (default: the old one's)");
  AddCommonFlags(token_rotate, flags);
  auto* token_revoke = token_cmd->add_subcommand("revoke", "Revoke a token; the next request using it is refused");
  token_revoke->add_option("TENANT", tenant, "Tenant name")->required();
  token_revoke->add_option("TOKEN_ID", token_id, "The token's id as shown by 'token list' (tok_...)")->required();
  AddCommonFlags(token_revoke, flags);

  std::string username;
  auto* login_cmd = app.add_subcommand("login", "A tenant's SCIM username and password (HTTP Basic)");
  login_cmd->require_subcommand(1);
  auto* login_set = login_cmd->add_subcommand(
      "set", "Set the tenant's SCIM username; the password (12+ characters) is read from standard input");
  login_set->add_option("TENANT", tenant, "Tenant name")->required();
  login_set->add_option("USERNAME", username, "The SCIM username the IdP's admin types in")->required();
  AddCommonFlags(login_set, flags);
  auto* login_show = login_cmd->add_subcommand("show", "Show the tenant's SCIM username (never the password)");
  login_show->add_option("TENANT", tenant, "Tenant name")->required();
  AddCommonFlags(login_show, flags);
  auto* login_remove = login_cmd->add_subcommand("remove", "Remove the tenant's SCIM login");
  login_remove->add_option("TENANT", tenant, "Tenant name")->required();
  AddCommonFlags(login_remove, flags);

  std::optional<std::string> key_tenant;
  std::string key_id;
  auto* apikey_cmd = app.add_subcommand("apikey", "Issue, list and revoke host API keys (the app's key for /api/v1)");
  apikey_cmd->require_subcommand(1);
  auto* apikey_issue = apikey_cmd->add_subcommand("issue", "Issue a key; it is printed once, alone on the last line");
  apikey_issue->add_option("--tenant", key_tenant, "Limit the key to one tenant (default: every tenant)");
  apikey_issue->add_option("--label", label, "A note to tell keys apart (e.g. 'billing-app')");
  AddCommonFlags(apikey_issue, flags);
  auto* apikey_list = apikey_cmd->add_subcommand("list", "List host API keys (never their secrets)");
  AddCommonFlags(apikey_list, flags);
  auto* apikey_revoke = apikey_cmd->add_subcommand("revoke", "Revoke a key; the next request using it is refused");
  apikey_revoke->add_option("KEY_ID", key_id, "The key's id as shown by 'apikey list' (key_...)")->required();
  AddCommonFlags(apikey_revoke, flags);

  scim::app::OAuthClientFlags oauth_client;
  std::string client_id;
  auto* oauth_cmd = app.add_subcommand("oauth", "Manage the OAuth 2 authorization server's clients");
  oauth_cmd->require_subcommand(1);
  auto* oauth_client_cmd = oauth_cmd->add_subcommand("client", "Create, list and delete OAuth clients");
  oauth_client_cmd->require_subcommand(1);
  auto* oauth_create = oauth_client_cmd->add_subcommand(
      "create", "Create a client; prints client_id=... and client_secret=... (shown once) as the last two lines");
  oauth_create->add_option("--tenant", oauth_client.tenant, "The tenant whose client this is (Entra: one per customer)");
  oauth_create->add_flag("--shared", oauth_client.shared,
                         "One client for every tenant; the login on the authorize page picks the tenant (Okta OIN)");
  oauth_create->add_option("--redirect-uri", oauth_client.redirect_uris,
                           "An allowed redirect URI, matched exactly (repeat for more)");
  oauth_create->add_option("--okta-callbacks", oauth_client.okta_app,
                           "Allow Okta's callback URLs for this OIN app name on all of Okta's hosts");
  AddCommonFlags(oauth_create, flags);
  auto* oauth_list = oauth_client_cmd->add_subcommand("list", "List clients (never their secrets)");
  AddCommonFlags(oauth_list, flags);
  auto* oauth_delete = oauth_client_cmd->add_subcommand("delete", "Delete a client and every token issued to it");
  oauth_delete->add_option("CLIENT_ID", client_id, "The client's id (scimdc_...)")->required();
  AddCommonFlags(oauth_delete, flags);

  std::optional<std::string> audit_tenant;
  int64_t audit_limit = 100;
  auto* audit_cmd = app.add_subcommand("audit", "Show the audit log of credential and admin actions, newest first");
  audit_cmd->add_option("--tenant", audit_tenant, "Only this tenant's entries");
  audit_cmd->add_option("--limit", audit_limit, "At most this many entries (default 100)");
  AddCommonFlags(audit_cmd, flags);

  std::optional<std::string> after;
  auto* events_cmd = app.add_subcommand("events", "Read a tenant's change events");
  events_cmd->require_subcommand(1);
  auto* events_tail = events_cmd->add_subcommand(
      "tail", "Print the tenant's events, one JSON object a line, then follow new ones until interrupted");
  events_tail->add_option("TENANT", tenant, "Tenant name")->required();
  events_tail->add_option("--after", after, "Start after this cursor (an event's \"cursor\"; default: the first)");
  AddCommonFlags(events_tail, flags);

  std::string url;
  std::string event_types;
  std::string webhook_id;
  std::optional<std::string> webhook_filter;
  std::optional<std::string> state;
  int64_t limit = 50;
  int64_t delivery_id = 0;
  auto* webhook_cmd = app.add_subcommand("webhook", "Add, list, remove webhooks and read their delivery log");
  webhook_cmd->require_subcommand(1);
  auto* webhook_add = webhook_cmd->add_subcommand(
      "add", "Add a webhook; its signing secret is printed once, alone on the last line");
  webhook_add->add_option("TENANT", tenant, "Tenant name")->required();
  webhook_add->add_option("URL", url, "Where to POST events (https://... ; http:// for local receivers)")->required();
  webhook_add->add_option("--events", event_types, "Only these types, comma-separated (default: every type)");
  AddCommonFlags(webhook_add, flags);
  auto* webhook_list = webhook_cmd->add_subcommand("list", "List a tenant's webhooks (never their secrets)");
  webhook_list->add_option("TENANT", tenant, "Tenant name")->required();
  AddCommonFlags(webhook_list, flags);
  auto* webhook_remove = webhook_cmd->add_subcommand("remove", "Remove a webhook with its pending deliveries");
  webhook_remove->add_option("TENANT", tenant, "Tenant name")->required();
  webhook_remove->add_option("ID", webhook_id, "The webhook's id (wh_...)")->required();
  AddCommonFlags(webhook_remove, flags);
  auto* webhook_rotate = webhook_cmd->add_subcommand(
      "rotate", "Give a webhook a new signing secret (printed alone on the last line); the old one signs for 24 h more");
  webhook_rotate->add_option("TENANT", tenant, "Tenant name")->required();
  webhook_rotate->add_option("ID", webhook_id, "The webhook's id (wh_...)")->required();
  AddCommonFlags(webhook_rotate, flags);
  auto* webhook_deliveries = webhook_cmd->add_subcommand("deliveries", "The delivery log, newest first");
  webhook_deliveries->add_option("TENANT", tenant, "Tenant name")->required();
  webhook_deliveries->add_option("--webhook", webhook_filter, "Only this webhook's deliveries");
  webhook_deliveries->add_option("--state", state, "Only pending, delivered or dead ones");
  webhook_deliveries->add_option("--limit", limit, "At most this many (default 50)")->check(CLI::Range(1, 100000));
  AddCommonFlags(webhook_deliveries, flags);
  auto* webhook_redeliver = webhook_cmd->add_subcommand(
      "redeliver", "Queue a delivery again (a dead letter, or one to resend) with a fresh count of attempts");
  webhook_redeliver->add_option("TENANT", tenant, "Tenant name")->required();
  webhook_redeliver->add_option("DELIVERY_ID", delivery_id, "The delivery's id as 'webhook deliveries' shows it")
      ->required();
  AddCommonFlags(webhook_redeliver, flags);

  scim::app::JournalFlags journal_flags;
  auto* journal_cmd = app.add_subcommand("journal", "A tenant's provisioning journal: every SCIM request, newest first");
  journal_cmd->add_option("TENANT", tenant, "Tenant name")->required();
  journal_cmd->add_flag("--errors", journal_flags.errors_only, "Only requests answered with an error (4xx, 5xx)");
  journal_cmd->add_option("--resource", journal_flags.resource, "Only requests about this user or group id");
  journal_cmd->add_option("--grep", journal_flags.text, "Only requests whose path, query or body contain this text");
  journal_cmd->add_option("--limit", journal_flags.limit, "At most this many (default 50)")->check(CLI::Range(1, 100000));
  AddCommonFlags(journal_cmd, flags);

  std::string schema_file;
  std::string schema_urn;
  auto* schema_cmd = app.add_subcommand("schema", "A tenant's own schemas: extensions and extra core attributes");
  schema_cmd->require_subcommand(1);
  auto* schema_apply = schema_cmd->add_subcommand(
      "apply", "Add or replace schemas from FILE (an RFC 7643 Schema resource or a JSON array of them)");
  schema_apply->add_option("TENANT", tenant, "The tenant")->required();
  schema_apply->add_option("FILE", schema_file, "The JSON file")->required();
  AddCommonFlags(schema_apply, flags);
  auto* schema_list = schema_cmd->add_subcommand("list", "List the schemas a tenant declared");
  schema_list->add_option("TENANT", tenant, "The tenant")->required();
  AddCommonFlags(schema_list, flags);
  auto* schema_remove = schema_cmd->add_subcommand(
      "remove", "Remove a tenant's schema (a core URN: every attribute the tenant added to it); values stay, hidden");
  schema_remove->add_option("TENANT", tenant, "The tenant")->required();
  schema_remove->add_option("URN", schema_urn, "The schema's id")->required();
  AddCommonFlags(schema_remove, flags);
  auto* schema_unmapped = schema_cmd->add_subcommand(
      "unmapped", "Attributes the tenant's resources hold that no schema declares (kept or hidden), by count");
  schema_unmapped->add_option("TENANT", tenant, "The tenant")->required();
  AddCommonFlags(schema_unmapped, flags);

  std::string operator_name;
  std::string operator_label;
  auto* operator_cmd = app.add_subcommand("operator", "Admin API operators: accounts that manage every tenant");
  operator_cmd->require_subcommand(1);
  auto* operator_create =
      operator_cmd->add_subcommand("create", "Create an operator; the password is read from standard input");
  operator_create->add_option("NAME", operator_name, "Account name: letters, digits, '.', '_', '-', '@'")->required();
  AddCommonFlags(operator_create, flags);
  auto* operator_list = operator_cmd->add_subcommand("list", "List the admin accounts (operators and tenant admins)");
  AddCommonFlags(operator_list, flags);
  auto* operator_delete = operator_cmd->add_subcommand("delete", "Delete an operator with its sessions and keys");
  operator_delete->add_option("NAME", operator_name, "The operator's name")->required();
  AddCommonFlags(operator_delete, flags);
  auto* operator_password = operator_cmd->add_subcommand(
      "password", "Set an operator's password (from standard input); its sessions end");
  operator_password->add_option("NAME", operator_name, "The operator's name")->required();
  AddCommonFlags(operator_password, flags);
  auto* operator_key = operator_cmd->add_subcommand(
      "key", "Issue an admin API key for an operator; it is printed once, alone on the last line");
  operator_key->add_option("NAME", operator_name, "The operator's name")->required();
  operator_key->add_option("--label", operator_label, "A note to tell keys apart (e.g. 'terraform')");
  AddCommonFlags(operator_key, flags);

  std::string file;
  bool force = false;
  auto* backup_cmd = app.add_subcommand("backup", "Copy the database into FILE, consistently, while the server runs");
  backup_cmd->add_option("FILE", file, "The backup file to write (must not exist)")->required();
  AddCommonFlags(backup_cmd, flags);
  auto* restore_cmd = app.add_subcommand(
      "restore", "Replace the database with a backup (also while the server runs: it answers from it next)");
  restore_cmd->add_option("FILE", file, "A file written by 'scimd backup'")->required();
  restore_cmd->add_flag("--force", force, "Replace a database that holds users or groups");
  AddCommonFlags(restore_cmd, flags);

  auto* migrate_cmd = app.add_subcommand(
      "migrate", "Bring the database's schema up to date (serve does it at start; refuses a newer schema)");
  AddCommonFlags(migrate_cmd, flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a hint
    return scim::app::kExitUsage;
  }

  if (serve->parsed()) return scim::app::Serve(serve_flags);
  if (migrate_cmd->parsed()) return scim::app::Migrate(flags);
  if (tenant_create->parsed()) return scim::app::TenantCreate(flags, name);
  if (tenant_list->parsed()) return scim::app::TenantList(flags);
  if (tenant_delete->parsed()) return scim::app::TenantDelete(flags, name);
  if (tenant_show->parsed()) return scim::app::TenantShow(flags, name);
  if (tenant_set->parsed()) return scim::app::TenantSet(flags, name, setting_key, setting_value);
  if (token_issue->parsed()) return scim::app::TokenIssue(flags, tenant, expires_days, label);
  if (token_rotate->parsed()) return scim::app::TokenRotate(flags, tenant, token_id, overlap_hours, rotate_label);
  if (token_list->parsed()) return scim::app::TokenList(flags, tenant);
  if (token_revoke->parsed()) return scim::app::TokenRevoke(flags, tenant, token_id);
  if (login_set->parsed()) return scim::app::LoginSet(flags, tenant, username);
  if (login_show->parsed()) return scim::app::LoginShow(flags, tenant);
  if (login_remove->parsed()) return scim::app::LoginRemove(flags, tenant);
  if (audit_cmd->parsed()) return scim::app::AuditShow(flags, audit_tenant, audit_limit);
  if (oauth_create->parsed()) return scim::app::OAuthClientCreate(flags, oauth_client);
  if (oauth_list->parsed()) return scim::app::OAuthClientList(flags);
  if (oauth_delete->parsed()) return scim::app::OAuthClientDelete(flags, client_id);
  if (apikey_issue->parsed()) return scim::app::ApiKeyIssue(flags, key_tenant, label);
  if (apikey_list->parsed()) return scim::app::ApiKeyList(flags);
  if (apikey_revoke->parsed()) return scim::app::ApiKeyRevoke(flags, key_id);
  if (webhook_add->parsed()) return scim::app::WebhookAdd(flags, tenant, url, event_types);
  if (webhook_list->parsed()) return scim::app::WebhookList(flags, tenant);
  if (webhook_remove->parsed()) return scim::app::WebhookRemove(flags, tenant, webhook_id);
  if (webhook_rotate->parsed()) return scim::app::WebhookRotate(flags, tenant, webhook_id);
  if (webhook_deliveries->parsed()) return scim::app::WebhookDeliveries(flags, tenant, webhook_filter, state, limit);
  if (webhook_redeliver->parsed()) return scim::app::WebhookRedeliver(flags, tenant, delivery_id);
  if (schema_apply->parsed()) return scim::app::SchemaApply(flags, tenant, schema_file);
  if (schema_list->parsed()) return scim::app::SchemaList(flags, tenant);
  if (schema_remove->parsed()) return scim::app::SchemaRemove(flags, tenant, schema_urn);
  if (schema_unmapped->parsed()) return scim::app::SchemaUnmapped(flags, tenant);
  if (operator_create->parsed()) return scim::app::OperatorCreate(flags, operator_name);
  if (operator_list->parsed()) return scim::app::OperatorList(flags);
  if (operator_delete->parsed()) return scim::app::OperatorDelete(flags, operator_name);
  if (operator_password->parsed()) return scim::app::OperatorPassword(flags, operator_name);
  if (operator_key->parsed()) return scim::app::OperatorKey(flags, operator_name, operator_label);
  if (backup_cmd->parsed()) return scim::app::Backup(flags, file);
  if (restore_cmd->parsed()) return scim::app::Restore(flags, file, force);
  if (journal_cmd->parsed()) return scim::app::JournalShow(flags, tenant, journal_flags);
  if (events_tail->parsed()) return scim::app::EventsTail(flags, tenant, after);
  return scim::app::kExitUsage;
}
