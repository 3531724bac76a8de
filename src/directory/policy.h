// A tenant's rules for who may be provisioned (docs/directory.md): checks on a user document about
// to be written. Pure.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace scim::directory {

// Every email of the user (`emails[].value`, and `userName` when it is an address) must be in one of
// `domains` or below it (acme.com allows eu.acme.com); empty `domains` allows any.
// Errors: kInvalidValue naming the address and the allowed domains.
core::Result<void> CheckEmailDomains(const core::Json& user, const std::vector<std::string>& domains);

}  // namespace scim::directory
