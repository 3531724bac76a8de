// Vocabulary shared by validation, PATCH and storage for parts of a resource that are not stored
// in its JSON document: group membership lives in its own table (set algebra, never a
// read-modify-write of a JSON array), and a user's `groups` is computed from that table.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace scim::core {

struct Filter;

// Multi-valued attributes held as rows outside the resource document, per resource type.
// Group.members is the only one today.
inline constexpr std::string_view kMembersAttr = "members";

struct Member {
  std::string value;  // the member's SCIM id
  std::string type;   // "User" or "Group"; empty when the client did not say
  bool operator==(const Member&) const = default;
};

// One change to a group's membership, applied in order inside the request's transaction.
struct MemberOp {
  enum class Kind {
    kAdd,         // add `members` (already present: no-op)
    kRemove,      // remove `members` by value (absent: no-op)
    kRemoveWhere, // remove members matching `where` (a filter over {value, type, display})
    kRemoveAll,   // remove every member
    kReplaceAll,  // the membership becomes exactly `members`
  };
  Kind kind;
  std::vector<Member> members;
  std::shared_ptr<const Filter> where;
};

}  // namespace scim::core
