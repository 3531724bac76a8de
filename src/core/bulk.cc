#include "core/bulk.h"

#include <cctype>
#include <string_view>

namespace scim::core {
namespace {

constexpr std::string_view kPrefix = "bulkId:";

// The <id> of a "bulkId:<id>" string, or nullopt.
std::optional<std::string> ReferenceIn(std::string_view text) {
  if (text.size() <= kPrefix.size() || text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  return std::string(text.substr(kPrefix.size()));
}

void CollectReferences(const Json& value, std::set<std::string>& out, int depth = 0) {
  if (depth > static_cast<int>(kMaxJsonDepth)) return;
  if (value.is_string()) {
    if (auto ref = ReferenceIn(value.get_ref<const std::string&>())) out.insert(std::move(*ref));
  } else if (value.is_array() || value.is_object()) {
    for (const auto& element : value) CollectReferences(element, out, depth + 1);
  }
}

Error OperationError(ErrorType type, size_t index, std::string_view what) {
  return Error{type, "Operations[" + std::to_string(index) + "]: " + std::string(what)};
}

}  // namespace

Result<BulkRequest> ParseBulkRequest(const Json& body, size_t max_operations) {
  if (!body.is_object()) return Fail(ErrorType::kInvalidSyntax, "A BulkRequest is a JSON object");
  const Json* schemas = FindMember(body, "schemas");
  bool has_schema = false;
  if (schemas && schemas->is_array()) {
    for (const auto& s : *schemas) has_schema = has_schema || (s.is_string() && IEquals(s.get<std::string>(), kBulkRequestSchema));
  }
  if (!has_schema) {
    return Fail(ErrorType::kInvalidSyntax, "'schemas' must contain \"" + std::string(kBulkRequestSchema) + "\"");
  }
  BulkRequest request;
  if (const Json* fail = FindMember(body, "failOnErrors"); fail && !fail->is_null()) {
    if (!fail->is_number_integer() || fail->get<int64_t>() < 1) {
      return Fail(ErrorType::kInvalidValue, "'failOnErrors' must be a positive integer");
    }
    request.fail_on_errors = fail->get<int64_t>();
  }
  const Json* operations = FindMember(body, "Operations");
  if (!operations || !operations->is_array() || operations->empty()) {
    return Fail(ErrorType::kInvalidSyntax, "'Operations' must be a non-empty array");
  }
  if (operations->size() > max_operations) {
    return Fail(ErrorType::kPayloadTooLarge, "The request has " + std::to_string(operations->size()) +
                                                 " operations; this server accepts at most " +
                                                 std::to_string(max_operations) + " (maxOperations)");
  }
  std::set<std::string> bulk_ids;
  for (size_t i = 0; i < operations->size(); ++i) {
    const Json& op = (*operations)[i];
    if (!op.is_object()) return std::unexpected(OperationError(ErrorType::kInvalidSyntax, i, "must be an object"));
    BulkOperation parsed;
    const Json* method = FindMember(op, "method");
    if (!method || !method->is_string()) {
      return std::unexpected(OperationError(ErrorType::kInvalidValue, i, "needs a 'method' (POST, PUT, PATCH or DELETE)"));
    }
    for (char c : method->get<std::string>()) parsed.method.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (parsed.method != "POST" && parsed.method != "PUT" && parsed.method != "PATCH" && parsed.method != "DELETE") {
      return std::unexpected(OperationError(ErrorType::kInvalidValue, i,
                                            "method '" + method->get<std::string>() + "' is not POST, PUT, PATCH or DELETE"));
    }
    const Json* path = FindMember(op, "path");
    if (!path || !path->is_string() || path->get<std::string>().empty() || path->get<std::string>().front() != '/') {
      return std::unexpected(OperationError(ErrorType::kInvalidValue, i, "needs a 'path' such as \"/Users\" or \"/Groups/{id}\""));
    }
    parsed.path = path->get<std::string>();
    if (const Json* bulk_id = FindMember(op, "bulkId"); bulk_id && !bulk_id->is_null()) {
      if (!bulk_id->is_string() || bulk_id->get<std::string>().empty() ||
          bulk_id->get<std::string>().find_first_of(" \t\r\n") != std::string::npos) {
        return std::unexpected(OperationError(ErrorType::kInvalidValue, i, "'bulkId' must be a string without spaces"));
      }
      if (!bulk_ids.insert(bulk_id->get<std::string>()).second) {
        return std::unexpected(OperationError(ErrorType::kInvalidValue, i,
                                              "bulkId '" + bulk_id->get<std::string>() + "' is used twice"));
      }
      parsed.bulk_id = bulk_id->get<std::string>();
    }
    if (const Json* version = FindMember(op, "version"); version && version->is_string()) {
      parsed.version = version->get<std::string>();
    }
    const Json* data = FindMember(op, "data");
    if (parsed.method != "DELETE") {
      if (!data || !data->is_object()) {
        return std::unexpected(OperationError(ErrorType::kInvalidValue, i, parsed.method + " needs 'data' (an object)"));
      }
      parsed.data = *data;
      CollectReferences(*data, parsed.references);
    }
    if (auto ref = ReferenceIn(parsed.path.substr(parsed.path.rfind('/') + 1))) parsed.references.insert(*ref);
    if (parsed.bulk_id && parsed.references.count(*parsed.bulk_id)) {
      return std::unexpected(OperationError(ErrorType::kInvalidValue, i, "refers to its own bulkId"));
    }
    request.operations.push_back(std::move(parsed));
  }
  for (size_t i = 0; i < request.operations.size(); ++i) {
    for (const auto& ref : request.operations[i].references) {
      if (!bulk_ids.count(ref)) {
        return std::unexpected(OperationError(ErrorType::kInvalidValue, i,
                                              "refers to bulkId '" + ref + "', which no operation has"));
      }
    }
  }
  return request;
}

std::string ResolveBulkReference(const std::string& text, const std::map<std::string, std::string>& created_ids) {
  auto ref = ReferenceIn(text);
  if (!ref) return text;
  auto it = created_ids.find(*ref);
  return it == created_ids.end() ? text : it->second;
}

void ResolveBulkReferences(Json& value, const std::map<std::string, std::string>& created_ids) {
  if (value.is_string()) {
    value = ResolveBulkReference(value.get<std::string>(), created_ids);
  } else if (value.is_array() || value.is_object()) {
    for (auto& element : value) ResolveBulkReferences(element, created_ids);
  }
}

}  // namespace scim::core
