#include "directory/policy.h"

namespace scim::directory {
namespace {

bool InDomains(const std::string& address, const std::vector<std::string>& domains) {
  size_t at = address.rfind('@');
  if (at == std::string::npos) return false;
  std::string domain = core::ToLower(address.substr(at + 1));
  for (const std::string& allowed : domains) {
    if (domain == allowed) return true;
    if (domain.size() > allowed.size() && domain.ends_with("." + allowed)) return true;
  }
  return false;
}

}  // namespace

core::Result<void> CheckEmailDomains(const core::Json& user, const std::vector<std::string>& domains) {
  if (domains.empty() || !user.is_object()) return {};
  std::vector<std::string> addresses;
  if (auto name = user.find("userName"); name != user.end() && name->is_string()) {
    const std::string& text = name->get_ref<const std::string&>();
    if (text.find('@') != std::string::npos) addresses.push_back(text);
  }
  if (auto emails = user.find("emails"); emails != user.end() && emails->is_array()) {
    for (const core::Json& email : *emails) {
      if (email.is_object() && email.contains("value") && email["value"].is_string()) {
        addresses.push_back(email["value"].get<std::string>());
      }
    }
  }
  for (const std::string& address : addresses) {
    if (InDomains(address, domains)) continue;
    std::string allowed;
    for (const std::string& domain : domains) allowed += (allowed.empty() ? "" : ", ") + domain;
    return core::Fail(core::ErrorType::kInvalidValue,
                      "'" + address + "' is not in this tenant's email domains (" + allowed +
                          "); the vendor's operator sets them with: scimd tenant set TENANT email_domains ...");
  }
  return {};
}

}  // namespace scim::directory
