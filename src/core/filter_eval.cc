// The in-memory filter evaluator: Matches(filter, resource) over a JSON document. Used by the
// memory store and for PATCH value filters; its semantics are the reference the SQL translation
// follows.

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/filter.h"

namespace scim::core {
namespace {

constexpr std::string_view kCoreSchemaPrefix = "urn:ietf:params:scim:schemas:core:";

char FoldChar(char c, bool exact) {
  if (exact || c < 'A' || c > 'Z') return c;
  return static_cast<char>(c - 'A' + 'a');
}

bool SameChars(std::string_view a, std::string_view b, bool exact) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (FoldChar(a[i], exact) != FoldChar(b[i], exact)) return false;
  }
  return true;
}

bool StartsWithI(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && SameChars(text.substr(0, prefix.size()), prefix, false);
}

bool Contains(std::string_view haystack, std::string_view needle, bool exact) {
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (SameChars(haystack.substr(i, needle.size()), needle, exact)) return true;
  }
  return false;
}

// <0, 0, >0 like strcmp, comparing bytes as unsigned after optional ASCII case folding.
int CompareStrings(std::string_view a, std::string_view b, bool exact) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    auto x = static_cast<unsigned char>(FoldChar(a[i], exact));
    auto y = static_cast<unsigned char>(FoldChar(b[i], exact));
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

// <0, 0, >0 for two JSON numbers; exact for integers of either signedness.
int CompareNumbers(const Json& a, const Json& b) {
  if (a.is_number_float() || b.is_number_float()) {
    double x = a.get<double>();
    double y = b.get<double>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  bool a_big = a.is_number_unsigned() && a.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  bool b_big = b.is_number_unsigned() && b.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX);
  if (a_big || b_big) {
    if (!(a_big && b_big)) return a_big ? 1 : -1;
    uint64_t x = a.get<uint64_t>();
    uint64_t y = b.get<uint64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  int64_t x = a.get<int64_t>();
  int64_t y = b.get<int64_t>();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool OrderHolds(CompareOp op, int order) {
  switch (op) {
    case CompareOp::kEq: return order == 0;
    case CompareOp::kGt: return order > 0;
    case CompareOp::kGe: return order >= 0;
    case CompareOp::kLt: return order < 0;
    case CompareOp::kLe: return order <= 0;
    default: return false;
  }
}

// A boolean, or the strings "true"/"false" in any case (Entra sends "True" and filters on it).
std::optional<bool> AsBoolean(const Json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    if (SameChars(text, "true", false)) return true;
    if (SameChars(text, "false", false)) return false;
  }
  return std::nullopt;
}

// Present in the sense of `pr`: not null, not "", not an empty array or object.
bool HasContent(const Json& value) {
  if (value.is_null()) return false;
  if (value.is_string()) return !value.get_ref<const std::string&>().empty();
  if (value.is_array() || value.is_object()) return !value.empty();
  return true;
}

// For `pr` on a whole attribute: a multi-valued or complex value counts when one of its elements or
// members has content (one level down, never deeper).
bool IsPresent(const Json& value) {
  if (value.is_array() || value.is_object()) {
    return std::any_of(value.begin(), value.end(), [](const Json& element) { return HasContent(element); });
  }
  return HasContent(value);
}

// The JSON value `path` names in `resource` (ignoring path.sub), or nullptr. A non-core URN selects
// the extension object stored under that URN; a core URN means the top level.
const Json* FindAttribute(const Json& resource, const AttrPath& path) {
  const Json* base = &resource;
  if (!path.urn.empty() && !StartsWithI(path.urn, kCoreSchemaPrefix)) {
    base = FindMember(resource, path.urn);
    if (base == nullptr) return nullptr;
  }
  return FindMember(*base, path.name);
}

// Calls fn(value, via_element_value) for each scalar the path names below `attribute` until fn
// returns true; returns whether it did. Without a sub-attribute, an element of a complex
// multi-valued attribute stands for its "value" (via_element_value is then true).
template <class Fn>
bool AnyCandidate(const Json& attribute, std::string_view sub, Fn&& fn) {
  auto each_of = [&fn](const Json& value, bool via_value) {
    if (!value.is_array()) return fn(value, via_value);
    for (const Json& element : value) {
      if (fn(element, via_value)) return true;
    }
    return false;
  };
  if (!sub.empty()) {
    if (attribute.is_object()) {
      const Json* value = FindMember(attribute, sub);
      return value != nullptr && each_of(*value, false);
    }
    if (attribute.is_array()) {
      for (const Json& element : attribute) {
        const Json* value = FindMember(element, sub);
        if (value != nullptr && each_of(*value, false)) return true;
      }
    }
    return false;
  }
  if (attribute.is_array()) {
    for (const Json& element : attribute) {
      if (element.is_object()) {
        const Json* value = FindMember(element, "value");
        if (value != nullptr && fn(*value, true)) return true;
      } else if (fn(element, false)) {
        return true;
      }
    }
    return false;
  }
  return fn(attribute, false);
}

class Evaluator {
 public:
  explicit Evaluator(const CaseExactFn& case_exact) : case_exact_(case_exact) {}

  // `outer` is the path of the enclosing value filter while evaluating its inner filter against one
  // element, else nullptr.
  bool Eval(const Filter* filter, const Json& resource, const AttrPath* outer) {
    if (filter == nullptr) return false;  // only a hand-built tree can have holes
    return std::visit([&](const auto& node) { return EvalNode(node, resource, outer); }, filter->node);
  }

 private:
  bool EvalNode(const Compare& node, const Json& resource, const AttrPath* outer);
  bool EvalNode(const Present& node, const Json& resource, const AttrPath* outer);
  bool EvalNode(const Logical& node, const Json& resource, const AttrPath* outer);
  bool EvalNode(const Not& node, const Json& resource, const AttrPath* outer);
  bool EvalNode(const ValuePath& node, const Json& resource, const AttrPath* outer);

  // Whether some value the path names satisfies `op` (never kNe) against node.value.
  bool AnyMatch(const Compare& node, CompareOp op, const Json& resource, const AttrPath* outer);
  // Whether one scalar `value` satisfies `op` (never kNe) against node.value (not null).
  bool CompareOne(const Json& value, const Compare& node, CompareOp op, const AttrPath* outer, bool via_value);
  bool IsCaseExact(const AttrPath& path, const AttrPath* outer, bool via_value);

  const CaseExactFn& case_exact_;
  // case_exact answers for this evaluation, keyed by the path object inside the tree; a value filter
  // asks again for every element otherwise.
  struct CacheEntry {
    const AttrPath* path;
    bool via_value;
    bool exact;
  };
  std::array<CacheEntry, 8> cache_{};
  size_t cache_size_ = 0;
};

bool Evaluator::IsCaseExact(const AttrPath& path, const AttrPath* outer, bool via_value) {
  if (!case_exact_) return false;
  for (size_t i = 0; i < cache_size_; ++i) {
    if (cache_[i].path == &path && cache_[i].via_value == via_value) return cache_[i].exact;
  }
  bool exact;
  if (outer != nullptr) {
    exact = case_exact_(AttrPath{outer->urn, outer->name, path.name});
  } else if (via_value) {
    exact = case_exact_(AttrPath{path.urn, path.name, "value"});
  } else {
    exact = case_exact_(path);
  }
  if (cache_size_ < cache_.size()) cache_[cache_size_++] = {&path, via_value, exact};
  return exact;
}

bool Evaluator::CompareOne(const Json& value, const Compare& node, CompareOp op, const AttrPath* outer,
                           bool via_value) {
  const Json& literal = node.value;
  if (value.is_null() || literal.is_null()) return false;
  if (literal.is_boolean() || (value.is_boolean() && literal.is_string())) {
    if (op != CompareOp::kEq) return false;
    auto a = AsBoolean(value);
    auto b = AsBoolean(literal);
    return a && b && *a == *b;
  }
  if (literal.is_number()) {
    return value.is_number() && OrderHolds(op, CompareNumbers(value, literal));
  }
  if (!literal.is_string() || !value.is_string()) return false;
  std::string_view a = value.get_ref<const std::string&>();
  std::string_view b = literal.get_ref<const std::string&>();
  bool exact = IsCaseExact(node.path, outer, via_value);
  switch (op) {
    case CompareOp::kCo: return Contains(a, b, exact);
    case CompareOp::kSw: return a.size() >= b.size() && SameChars(a.substr(0, b.size()), b, exact);
    case CompareOp::kEw: return a.size() >= b.size() && SameChars(a.substr(a.size() - b.size()), b, exact);
    case CompareOp::kEq: return SameChars(a, b, exact);
    default: return OrderHolds(op, CompareStrings(a, b, exact));
  }
}

bool Evaluator::EvalNode(const Compare& node, const Json& resource, const AttrPath* outer) {
  // ne is "not equal": true when no value equals the literal, also when the attribute is absent.
  if (node.op == CompareOp::kNe) return !AnyMatch(node, CompareOp::kEq, resource, outer);
  return AnyMatch(node, node.op, resource, outer);
}

bool Evaluator::AnyMatch(const Compare& node, CompareOp op, const Json& resource, const AttrPath* outer) {
  const Json* attribute = FindAttribute(resource, node.path);
  if (node.value.is_null()) {
    // `eq null`: true when the attribute is absent or holds nothing but nulls.
    if (op != CompareOp::kEq) return false;
    if (attribute == nullptr) return true;
    return !AnyCandidate(*attribute, node.path.sub, [](const Json& value, bool) { return !value.is_null(); });
  }
  if (attribute == nullptr) return false;
  return AnyCandidate(*attribute, node.path.sub, [&](const Json& value, bool via_value) {
    return CompareOne(value, node, op, outer, via_value);
  });
}

bool Evaluator::EvalNode(const Present& node, const Json& resource, const AttrPath*) {
  const Json* attribute = FindAttribute(resource, node.path);
  if (attribute == nullptr) return false;
  if (node.path.sub.empty()) return IsPresent(*attribute);
  return AnyCandidate(*attribute, node.path.sub, [](const Json& value, bool) { return HasContent(value); });
}

bool Evaluator::EvalNode(const Logical& node, const Json& resource, const AttrPath* outer) {
  bool lhs = Eval(node.lhs.get(), resource, outer);
  if (node.op == LogicalOp::kAnd) return lhs && Eval(node.rhs.get(), resource, outer);
  return lhs || Eval(node.rhs.get(), resource, outer);
}

bool Evaluator::EvalNode(const Not& node, const Json& resource, const AttrPath* outer) {
  return !Eval(node.inner.get(), resource, outer);
}

bool Evaluator::EvalNode(const ValuePath& node, const Json& resource, const AttrPath*) {
  const Json* attribute = FindAttribute(resource, node.path);
  if (attribute == nullptr) return false;
  if (attribute->is_object()) return Eval(node.inner.get(), *attribute, &node.path);
  if (!attribute->is_array()) return false;
  for (const Json& element : *attribute) {
    if (element.is_object() && Eval(node.inner.get(), element, &node.path)) return true;
  }
  return false;
}

}  // namespace

bool Matches(const Filter& filter, const Json& resource, const CaseExactFn& case_exact) {
  Evaluator evaluator(case_exact);
  return evaluator.Eval(&filter, resource, nullptr);
}

}  // namespace scim::core
