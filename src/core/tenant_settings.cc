#include "core/tenant_settings.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string>

#include "core/json.h"
#include "core/time.h"

namespace scim::core {
namespace {

constexpr std::array<std::pair<IdpProfile, std::string_view>, 7> kProfiles = {{
    {IdpProfile::kAuto, "auto"},
    {IdpProfile::kGeneric, "generic"},
    {IdpProfile::kOkta, "okta"},
    {IdpProfile::kEntra, "entra"},
    {IdpProfile::kOneLogin, "onelogin"},
    {IdpProfile::kJumpCloud, "jumpcloud"},
    {IdpProfile::kPing, "ping"},
}};

std::string ProfileNames() {
  std::string names;
  for (const auto& [profile, name] : kProfiles) names += (names.empty() ? "" : ", ") + std::string(name);
  return names;
}

std::unexpected<Error> Invalid(std::string_view key, std::string_view value, std::string_view allowed) {
  return Fail(ErrorType::kInvalidValue,
              "setting '" + std::string(key) + "' cannot be '" + std::string(value) + "'; use one of: " + std::string(allowed));
}

}  // namespace

std::string_view ToString(IdpProfile profile) {
  for (const auto& [p, name] : kProfiles) {
    if (p == profile) return name;
  }
  return "generic";
}

Result<void> SetTenantSetting(TenantSettings& settings, std::string_view key, std::string_view value) {
  if (key == "profile") {
    for (const auto& [profile, name] : kProfiles) {
      if (IEquals(value, name)) {
        settings.profile = profile;
        return {};
      }
    }
    return Invalid(key, value, ProfileNames());
  }
  if (key == "compatibility") {
    if (IEquals(value, "lenient")) settings.compatibility = Compatibility::kLenient;
    else if (IEquals(value, "strict")) settings.compatibility = Compatibility::kStrict;
    else return Invalid(key, value, "lenient, strict");
    return {};
  }
  if (key == "unknown_members") {
    if (IEquals(value, "server")) settings.reject_unknown_members.reset();
    else if (IEquals(value, "skip")) settings.reject_unknown_members = false;
    else if (IEquals(value, "reject")) settings.reject_unknown_members = true;
    else return Invalid(key, value, "server, skip, reject");
    return {};
  }
  if (key == "passwords") {
    if (IEquals(value, "server")) settings.store_passwords.reset();
    else if (IEquals(value, "ignore")) settings.store_passwords = false;
    else if (IEquals(value, "store")) settings.store_passwords = true;
    else return Invalid(key, value, "server, ignore, store");
    return {};
  }
  if (key == "notifications") {
    if (IEquals(value, "active")) settings.notifications_paused = false;
    else if (IEquals(value, "paused")) settings.notifications_paused = true;
    else return Invalid(key, value, "active, paused");
    return {};
  }
  if (key == "initial_sync") {
    if (IEquals(value, "on") || IEquals(value, "off")) settings.initial_sync = ToLower(value);
    else if (IsUtcTimestamp(value)) settings.initial_sync = std::string(value);
    else return Invalid(key, value, "on, off, or the UTC time the window ends (2026-12-31T18:00:00Z)");
    return {};
  }
  if (key == "rate_limit") {
    int64_t rate = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), rate);
    if (IEquals(value, "server")) settings.rate_limit.reset();
    else if (IEquals(value, "off")) settings.rate_limit = 0;
    else if (ec == std::errc() && end == value.data() + value.size() && rate >= kMinTenantRateLimit &&
             rate <= kMaxTenantRateLimit) settings.rate_limit = rate;
    else return Invalid(key, value, "server, off, or requests a second from " + std::to_string(kMinTenantRateLimit) +
                                        " to " + std::to_string(kMaxTenantRateLimit));
    return {};
  }
  if (key == "auth_scheme") {
    bool printable = !value.empty() && value.size() <= 40;
    for (char c : value) printable = printable && c >= 0x20 && c < 0x7f;
    if (IEquals(value, "any") || IEquals(value, "bearer")) settings.auth_scheme = ToLower(value);
    else if (printable && value.find("scimd_") == std::string_view::npos) settings.auth_scheme = std::string(value);
    else return Invalid(key, value, "any, bearer, or the text before the token (e.g. 'Token token=')");
    return {};
  }
  if (key == "unknown_attributes") {
    if (IEquals(value, "reject")) settings.keep_unknown_attributes = false;
    else if (IEquals(value, "keep")) settings.keep_unknown_attributes = true;
    else return Invalid(key, value, "reject, keep");
    return {};
  }
  if (key == "account_linking") {
    if (IEquals(value, "off")) settings.link_accounts = false;
    else if (IEquals(value, "on")) settings.link_accounts = true;
    else return Invalid(key, value, "off, on");
    return {};
  }
  if (key == "trust_idp_emails") {
    if (IEquals(value, "false")) settings.trust_idp_emails = false;
    else if (IEquals(value, "true")) settings.trust_idp_emails = true;
    else return Invalid(key, value, "false, true");
    return {};
  }
  if (key == "deprovision_limit") {
    int64_t percent = 0;
    std::string_view number = value.ends_with("%") ? value.substr(0, value.size() - 1) : value;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), percent);
    if (IEquals(value, "off")) settings.deprovision_limit_percent = 0;
    else if (ec == std::errc() && end == number.data() + number.size() && percent >= 1 && percent <= 100) {
      settings.deprovision_limit_percent = percent;
    } else {
      return Invalid(key, value, "off, or a share of the tenant's users from 1% to 100%");
    }
    return {};
  }
  if (key == "deprovision_window_minutes") {
    int64_t minutes = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), minutes);
    if (ec != std::errc() || end != value.data() + value.size() || minutes < 1 || minutes > 10080) {
      return Invalid(key, value, "a number of minutes from 1 to 10080");
    }
    settings.deprovision_window_minutes = minutes;
    return {};
  }
  if (key == "okta_roles") {
    if (IEquals(value, "on")) settings.okta_roles = true;
    else if (IEquals(value, "off")) settings.okta_roles = false;
    else return Invalid(key, value, "on, off");
    return {};
  }
  if (key == "delete_mode") {
    if (IEquals(value, "hard")) settings.soft_delete = false;
    else if (IEquals(value, "soft")) settings.soft_delete = true;
    else return Invalid(key, value, "hard, soft");
    return {};
  }
  if (key == "delete_retention_days") {
    int64_t days = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), days);
    if (ec != std::errc() || end != value.data() + value.size() || days < 1 || days > 3650) {
      return Invalid(key, value, "a number of days from 1 to 3650");
    }
    settings.delete_retention_days = days;
    return {};
  }
  if (key == "dry_run") {
    if (IEquals(value, "true")) settings.dry_run = true;
    else if (IEquals(value, "false")) settings.dry_run = false;
    else return Invalid(key, value, "true, false");
    return {};
  }
  if (key == "email_domains") {
    std::vector<std::string> domains;
    if (!IEquals(value, "any")) {
      std::string_view rest = value;
      while (true) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        bool valid = !item.empty() && item.size() <= 253 && item.find('.') != std::string_view::npos &&
                     item.front() != '.' && item.back() != '.';
        for (char c : item) valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.');
        if (!valid) return Invalid(key, value, "any, or a comma-separated list of domains (acme.com,acme.co.uk)");
        domains.push_back(ToLower(item));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
    settings.email_domains = std::move(domains);
    return {};
  }
  if (key == "groups_as_departments") {
    if (IEquals(value, "true")) settings.groups_as_departments = true;
    else if (IEquals(value, "false")) settings.groups_as_departments = false;
    else return Invalid(key, value, "true, false");
    return {};
  }
  if (key == "manager_match") {
    constexpr std::array<std::string_view, 4> kKeys = {"id", "userName", "email", "externalId"};
    std::vector<std::string> order;
    std::string_view rest = value;
    while (!rest.empty() || order.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      auto known = std::find_if(kKeys.begin(), kKeys.end(), [&](std::string_view k) { return IEquals(k, item); });
      if (known == kKeys.end() || std::find(order.begin(), order.end(), *known) != order.end()) {
        return Invalid(key, value, "a comma-separated order of id, userName, email, externalId (each at most once)");
      }
      order.emplace_back(*known);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    settings.manager_match = std::move(order);
    return {};
  }
  return Fail(ErrorType::kInvalidValue,
              "unknown setting '" + std::string(key) +
                  "'; the settings are: profile, compatibility, unknown_members, passwords, notifications, "
                  "initial_sync, rate_limit, auth_scheme, unknown_attributes, manager_match, groups_as_departments, "
                  "email_domains, dry_run, delete_mode, delete_retention_days, okta_roles, deprovision_limit, "
                  "deprovision_window_minutes, account_linking, trust_idp_emails");
}

bool TenantSettings::InInitialSync(std::string_view now) const {
  if (initial_sync == "off") return false;
  if (initial_sync == "on") return true;
  // Both are RFC 3339 UTC; compared to the second, where text order is time order.
  return now.substr(0, 19) < std::string_view(initial_sync).substr(0, 19);
}

namespace {
// "a,b,c".
std::string CommaList(const std::vector<std::string>& order) {
  std::string text;
  for (const std::string& key : order) text += (text.empty() ? "" : ",") + key;
  return text;
}
}  // namespace

std::vector<std::pair<std::string, std::string>> DescribeTenantSettings(const TenantSettings& settings) {
  std::string unknown = !settings.reject_unknown_members ? "server" : *settings.reject_unknown_members ? "reject" : "skip";
  return {{"profile", std::string(ToString(settings.profile))},
          {"compatibility", settings.compatibility == Compatibility::kStrict ? "strict" : "lenient"},
          {"unknown_members", unknown},
          {"passwords", !settings.store_passwords ? "server" : *settings.store_passwords ? "store" : "ignore"},
          {"notifications", settings.notifications_paused ? "paused" : "active"},
          {"initial_sync", settings.initial_sync},
          {"rate_limit", !settings.rate_limit ? "server" : *settings.rate_limit == 0 ? "off" : std::to_string(*settings.rate_limit)},
          {"auth_scheme", settings.auth_scheme},
          {"unknown_attributes", settings.keep_unknown_attributes ? "keep" : "reject"},
          {"manager_match", CommaList(settings.manager_match)},
          {"groups_as_departments", settings.groups_as_departments ? "true" : "false"},
          {"email_domains", settings.email_domains.empty() ? "any" : CommaList(settings.email_domains)},
          {"dry_run", settings.dry_run ? "true" : "false"},
          {"delete_mode", settings.soft_delete ? "soft" : "hard"},
          {"delete_retention_days", std::to_string(settings.delete_retention_days)},
          {"okta_roles", settings.okta_roles ? "on" : "off"},
          {"deprovision_limit",
           settings.deprovision_limit_percent == 0 ? "off" : std::to_string(settings.deprovision_limit_percent) + "%"},
          {"deprovision_window_minutes", std::to_string(settings.deprovision_window_minutes)},
          {"account_linking", settings.link_accounts ? "on" : "off"},
          {"trust_idp_emails", settings.trust_idp_emails ? "true" : "false"}};
}

Result<TenantSettings> ParseTenantSettings(std::string_view json_text) {
  TenantSettings settings;
  // Most tenants keep the defaults, stored as "{}"; this runs on every authenticated request.
  if (json_text.empty() || json_text == "{}") return settings;
  auto json = ParseJson(json_text);
  if (!json || !json->is_object()) return Fail(ErrorType::kInvalidValue, "tenant settings are not a JSON object");
  for (auto it = json->begin(); it != json->end(); ++it) {
    if (it.key() == kSchemaRevisionKey) {  // written by the store, not by SetTenantSetting
      if (!it->is_number_integer()) return Fail(ErrorType::kInvalidValue, "tenant schema_revision is not an integer");
      settings.schema_revision = it->get<int64_t>();
      continue;
    }
    if (!it->is_string()) return Fail(ErrorType::kInvalidValue, "tenant setting '" + it.key() + "' is not a string");
    if (auto r = SetTenantSetting(settings, it.key(), it->get<std::string>()); !r) return std::unexpected(r.error());
  }
  return settings;
}

std::string DumpTenantSettings(const TenantSettings& settings) {
  Json json = Json::object();
  TenantSettings defaults;
  for (const auto& [key, value] : DescribeTenantSettings(settings)) json[key] = value;
  // Only what differs from the defaults is stored, so a later default change reaches old tenants.
  for (const auto& [key, value] : DescribeTenantSettings(defaults)) {
    if (json[key] == value) json.erase(key);
  }
  return DumpJson(json);
}

IdpProfile IdentifyClient(IdpProfile configured, std::string_view user_agent, const QuirkLog& quirks) {
  if (configured != IdpProfile::kAuto) return configured;
  const std::string agent = ToLower(user_agent);
  auto says = [&](std::string_view product) { return agent.find(product) != std::string::npos; };
  if (says("okta")) return IdpProfile::kOkta;
  if (says("onelogin")) return IdpProfile::kOneLogin;
  if (says("jumpcloud")) return IdpProfile::kJumpCloud;
  if (says("ping")) return IdpProfile::kPing;
  if (says("azure") || says("microsoft") || quirks.Used(Quirk::kCapitalisedOp)) return IdpProfile::kEntra;
  return IdpProfile::kGeneric;
}

namespace {
// The endpoints a shared base URL serves (RFC 7644 §3.2): a tenant with one of these names would be
// unreachable by path.
constexpr std::array<std::string_view, 9> kScimEndpoints = {
    "Users", "Groups", "Schemas", "ResourceTypes", "ServiceProviderConfig", "Bulk", "Me", ".search", "Roles"};
}  // namespace

bool IsReservedTenantName(std::string_view name) {
  for (std::string_view endpoint : kScimEndpoints) {
    if (IEquals(name, endpoint)) return true;
  }
  return false;
}

Result<void> ValidateTenantName(std::string_view name) {
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorType::kInvalidValue, "invalid tenant name '" + std::string(name) + "': " + std::string(why));
  };
  if (name.empty() || name.size() > 63) return invalid("it must be 1 to 63 characters long");
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front())) return invalid("it must start with a letter or a digit");
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return invalid("use only letters, digits, '-', '_' and '.'");
  }
  if (IsReservedTenantName(name)) return invalid("it is the name of a SCIM endpoint");
  return {};
}

}  // namespace scim::core
