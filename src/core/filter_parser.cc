// The SCIM filter and attribute-path grammar (RFC 7644 §3.4.2.2, §3.5.2): a small lexer and a
// recursive-descent parser over the input string_view, and the canonical renderer (ToString).
// Recursion happens only at '(' and '[', so its depth is bounded by the depth limit (at most
// kMaxFilterDepth); and/or chains are loops.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/filter.h"

namespace scim::core {

std::string AttrPath::ToString() const {
  std::string out;
  out.reserve(urn.size() + name.size() + sub.size() + 2);
  if (!urn.empty()) {
    out += urn;
    out += ':';
  }
  out += name;
  if (!sub.empty()) {
    out += '.';
    out += sub;
  }
  return out;
}

namespace {

struct OpName {
  std::string_view name;
  CompareOp op;
};

constexpr OpName kCompareOps[] = {
    {"eq", CompareOp::kEq}, {"ne", CompareOp::kNe}, {"co", CompareOp::kCo},
    {"sw", CompareOp::kSw}, {"ew", CompareOp::kEw}, {"gt", CompareOp::kGt},
    {"ge", CompareOp::kGe}, {"lt", CompareOp::kLt}, {"le", CompareOp::kLe},
};

constexpr std::string_view kExpectedOperator =
    "a comparison operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)";
constexpr std::string_view kExpectedValue = "a value (a quoted string, a number, true, false or null)";
constexpr std::string_view kExpectedExpression = "an attribute path, '(' or 'not'";
constexpr size_t kMaxQuotedFound = 40;  // how much of an offending token an error message repeats

// ASCII case-insensitive equality, inline: this runs for every word of every filter.
bool SameNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::optional<CompareOp> LookupCompareOp(std::string_view word) {
  if (word.size() != 2) return std::nullopt;
  for (const OpName& entry : kCompareOps) {
    if (SameNoCase(word, entry.name)) return entry.op;
  }
  return std::nullopt;
}

std::string_view CompareOpName(CompareOp op) {
  for (const OpName& entry : kCompareOps) {
    if (entry.op == op) return entry.name;
  }
  return "eq";
}

bool IsOperatorWord(std::string_view word) {
  return SameNoCase(word, "pr") || LookupCompareOp(word).has_value();
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '-' || c == '_'; }
// Characters that end a word: whitespace and the characters that are tokens of their own.
bool IsDelimiter(char c) { return IsSpace(c) || c == '(' || c == ')' || c == '[' || c == ']' || c == '"'; }

bool StartsWithI(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && SameNoCase(text.substr(0, prefix.size()), prefix);
}

std::string_view TrimSpace(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

enum class TokenKind { kEnd, kWord, kString, kUnterminatedString, kLParen, kRParen, kLBracket, kRBracket };

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // as written; strings keep their quotes
  size_t pos = 0;         // 0-based offset into the input
  size_t end() const { return pos + text.size(); }
};

// Appends the UTF-8 encoding of `code_point` (<= 0x10FFFF) to `out`.
void AppendUtf8(uint32_t code_point, std::string& out) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

std::optional<uint32_t> ParseHex4(std::string_view text) {
  if (text.size() < 4) return std::nullopt;
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    char c = text[i];
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    value = value * 16 + digit;
  }
  return value;
}

// True when `word` is a JSON number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?.
// Sets `integral` when it has neither fraction nor exponent.
bool IsJsonNumber(std::string_view word, bool& integral) {
  size_t i = 0;
  if (i < word.size() && word[i] == '-') ++i;
  if (i >= word.size() || !IsDigit(word[i])) return false;
  if (word[i] == '0') {
    ++i;
  } else {
    while (i < word.size() && IsDigit(word[i])) ++i;
  }
  integral = true;
  if (i < word.size() && word[i] == '.') {
    integral = false;
    ++i;
    if (i >= word.size() || !IsDigit(word[i])) return false;
    while (i < word.size() && IsDigit(word[i])) ++i;
  }
  if (i < word.size() && (word[i] == 'e' || word[i] == 'E')) {
    integral = false;
    ++i;
    if (i < word.size() && (word[i] == '+' || word[i] == '-')) ++i;
    if (i >= word.size() || !IsDigit(word[i])) return false;
    while (i < word.size() && IsDigit(word[i])) ++i;
  }
  return i == word.size();
}

enum class Mode { kFilter, kPath };

// One parse of one input. Positions in errors are 1-based offsets into the whole input, so an error
// inside the brackets of a PATCH path points into the path as sent.
class Parser {
 public:
  Parser(std::string_view text, Mode mode, QuirkLog* quirks = nullptr, const DocumentLimits& limits = {})
      : text_(text),
        mode_(mode),
        quirks_(quirks),
        max_length_(std::min(limits.filter_length, kMaxFilterLength)),
        max_depth_(std::min(limits.filter_depth, kMaxFilterDepth)) {}

  Result<Filter> ParseWholeFilter();
  Result<AttrPath> ParseWholeAttrPath();
  Result<PatchPath> ParseWholePatchPath();

 private:
  // Every parse function below returns its node or the first error; `depth` counts the '(' and '['
  // enclosing the current position, `bracket` is the token of the enclosing '[' (kind kEnd if none).
  Result<Filter> ParseOr(int depth, const Token& bracket);
  Result<Filter> ParseAnd(int depth, const Token& bracket);
  Result<Filter> ParseUnary(int depth, const Token& bracket);
  Result<Filter> ParseGroup(int depth, const Token& bracket);
  Result<Filter> ParseAttrExpression(int depth, const Token& bracket);
  // After "attrPath" (and after "valuePath.sub" in the Entra form): "pr" or "op value".
  Result<Filter> ParseComparison(AttrPath path, const Token& path_token);
  // The "[" valFilter "]" part; the next token must be the '['.
  Result<Filter> ParseBracketFilter(int depth, const AttrPath& path, const Token& path_token);
  Result<Json> ParseValue(const Token& op_token);
  // An attrPath from one word; inside '[...]' only a plain sub-attribute name is allowed.
  Result<AttrPath> ParsePathWord(const Token& word, bool in_bracket);
  Result<std::string> DecodeString(const Token& token);

  // The next token, without consuming it.
  Token Peek() const {
    if (lookahead_pos_ != pos_) {
      lookahead_ = Lex(pos_);
      lookahead_pos_ = pos_;
    }
    return lookahead_;
  }
  Token Lex(size_t pos) const;
  Token Next() {
    Token token = Peek();
    pos_ = token.end();
    return token;
  }
  bool AtKeyword(std::string_view keyword) const {
    Token token = Peek();
    return token.kind == TokenKind::kWord && SameNoCase(token.text, keyword);
  }

  std::unexpected<Error> ErrorAt(size_t pos, std::string_view message) const;
  std::unexpected<Error> PathTooLong() const {
    return ErrorAt(max_length_, "the path is longer than the limit of " + std::to_string(max_length_) + " characters");
  }
  std::unexpected<Error> TooDeep(const Token& open) const {
    return ErrorAt(open.pos, "the filter is nested deeper than the limit of " + std::to_string(max_depth_) +
                                 " levels of parentheses and brackets");
  }
  // "expected <what>, found <token>"; an unterminated string is reported as such wherever it shows up.
  std::unexpected<Error> Unexpected(const Token& found, std::string_view what) const;
  std::string Describe(const Token& token) const;

  std::string_view text_;
  Mode mode_;
  QuirkLog* quirks_;  // may be null
  const size_t max_length_;  // of the whole text
  const int max_depth_;      // '(' and '[' around any point
  size_t pos_ = 0;  // offset of the first unconsumed character
  // The token at lookahead_pos_, so that peeking twice lexes once.
  mutable Token lookahead_;
  mutable size_t lookahead_pos_ = std::string_view::npos;
};

Token Parser::Lex(size_t pos) const {
  size_t i = pos;
  while (i < text_.size() && IsSpace(text_[i])) ++i;
  Token token;
  token.pos = i;
  if (i >= text_.size()) return token;
  char c = text_[i];
  switch (c) {
    case '(':
      token.kind = TokenKind::kLParen;
      token.text = text_.substr(i, 1);
      return token;
    case ')':
      token.kind = TokenKind::kRParen;
      token.text = text_.substr(i, 1);
      return token;
    case '[':
      token.kind = TokenKind::kLBracket;
      token.text = text_.substr(i, 1);
      return token;
    case ']':
      token.kind = TokenKind::kRBracket;
      token.text = text_.substr(i, 1);
      return token;
    case '"': {
      size_t j = i + 1;
      while (j < text_.size() && text_[j] != '"') j += text_[j] == '\\' ? size_t{2} : size_t{1};
      if (j >= text_.size()) {
        token.kind = TokenKind::kUnterminatedString;
        token.text = text_.substr(i);
        return token;
      }
      token.kind = TokenKind::kString;
      token.text = text_.substr(i, j + 1 - i);
      return token;
    }
    default: {
      size_t j = i;
      while (j < text_.size() && !IsDelimiter(text_[j])) ++j;
      token.kind = TokenKind::kWord;
      token.text = text_.substr(i, j - i);
      return token;
    }
  }
}

std::unexpected<Error> Parser::ErrorAt(size_t pos, std::string_view message) const {
  std::string detail;
  if (mode_ == Mode::kFilter) {
    detail = "Invalid filter at character ";
  } else {
    detail = "Invalid path '";
    detail += text_.substr(0, std::min(text_.size(), max_length_));
    detail += "' at character ";
  }
  detail += std::to_string(pos + 1);
  detail += ": ";
  detail += message;
  return Fail(mode_ == Mode::kFilter ? ErrorType::kInvalidFilter : ErrorType::kInvalidPath, std::move(detail));
}

std::string Parser::Describe(const Token& token) const {
  if (token.kind == TokenKind::kEnd) return mode_ == Mode::kFilter ? "the end of the filter" : "the end of the path";
  std::string out = "'";
  if (token.text.size() > kMaxQuotedFound) {
    out += token.text.substr(0, kMaxQuotedFound);
    out += "...";
  } else {
    out += token.text;
  }
  out += "'";
  return out;
}

std::unexpected<Error> Parser::Unexpected(const Token& found, std::string_view what) const {
  if (found.kind == TokenKind::kUnterminatedString) {
    return ErrorAt(found.pos, "unterminated string (no closing '\"')");
  }
  std::string message = "expected ";
  message += what;
  message += ", found ";
  message += Describe(found);
  return ErrorAt(found.pos, message);
}

Result<Filter> Parser::ParseWholeFilter() {
  if (text_.size() > max_length_) {
    return ErrorAt(max_length_, "the filter is longer than the limit of " + std::to_string(max_length_) +
                                    " characters");
  }
  if (TrimSpace(text_).empty()) return ErrorAt(0, "the filter is empty");
  Token no_bracket;
  auto filter = ParseOr(0, no_bracket);
  if (!filter) return filter;
  Token rest = Peek();
  switch (rest.kind) {
    case TokenKind::kEnd:
      return filter;
    case TokenKind::kRParen:
      return ErrorAt(rest.pos, "unbalanced parentheses: ')' without a matching '('");
    case TokenKind::kRBracket:
      return ErrorAt(rest.pos, "unbalanced brackets: ']' without a matching '['");
    default:
      return Unexpected(rest, "'and', 'or' or the end of the filter");
  }
}

Result<Filter> Parser::ParseOr(int depth, const Token& bracket) {
  auto lhs = ParseAnd(depth, bracket);
  if (!lhs) return lhs;
  while (AtKeyword("or")) {
    Next();
    auto rhs = ParseAnd(depth, bracket);
    if (!rhs) return rhs;
    Filter combined{Logical{LogicalOp::kOr, std::make_unique<Filter>(std::move(*lhs)),
                            std::make_unique<Filter>(std::move(*rhs))}};
    *lhs = std::move(combined);
  }
  return lhs;
}

Result<Filter> Parser::ParseAnd(int depth, const Token& bracket) {
  auto lhs = ParseUnary(depth, bracket);
  if (!lhs) return lhs;
  while (AtKeyword("and")) {
    Next();
    auto rhs = ParseUnary(depth, bracket);
    if (!rhs) return rhs;
    Filter combined{Logical{LogicalOp::kAnd, std::make_unique<Filter>(std::move(*lhs)),
                            std::make_unique<Filter>(std::move(*rhs))}};
    *lhs = std::move(combined);
  }
  return lhs;
}

Result<Filter> Parser::ParseUnary(int depth, const Token& bracket) {
  Token token = Peek();
  if (token.kind == TokenKind::kLParen) return ParseGroup(depth, bracket);
  if (token.kind != TokenKind::kWord) return Unexpected(token, kExpectedExpression);
  if (SameNoCase(token.text, "not")) {
    size_t saved = pos_;
    Next();
    Token after = Peek();
    if (after.kind == TokenKind::kLParen) {
      auto inner = ParseGroup(depth, bracket);
      if (!inner) return inner;
      return Filter{Not{std::make_unique<Filter>(std::move(*inner))}};
    }
    // "not pr", "not eq 1": an attribute that happens to be called "not".
    if (after.kind != TokenKind::kWord || !IsOperatorWord(after.text)) {
      return Unexpected(after, "'(' after 'not'");
    }
    pos_ = saved;
  }
  return ParseAttrExpression(depth, bracket);
}

Result<Filter> Parser::ParseGroup(int depth, const Token& bracket) {
  Token open = Next();  // the '('
  if (depth + 1 > max_depth_) return TooDeep(open);
  auto inner = ParseOr(depth + 1, bracket);
  if (!inner) return inner;
  Token close = Peek();
  if (close.kind != TokenKind::kRParen) {
    return Unexpected(close, "')' to close the '(' at character " + std::to_string(open.pos + 1));
  }
  Next();
  return inner;
}

Result<Filter> Parser::ParseAttrExpression(int depth, const Token& bracket) {
  Token word = Next();
  bool in_bracket = bracket.kind != TokenKind::kEnd;
  auto path = ParsePathWord(word, in_bracket);
  if (!path) return std::unexpected(std::move(path.error()));
  Token next = Peek();
  if (next.kind != TokenKind::kLBracket) return ParseComparison(std::move(*path), word);
  if (in_bracket) {
    return ErrorAt(next.pos, "value filters cannot be nested: '[' inside the '[' at character " +
                                 std::to_string(bracket.pos + 1));
  }

  auto inner = ParseBracketFilter(depth, *path, word);
  if (!inner) return inner;
  // Entra's form `emails[type eq "work"].value eq "x"` is not in the RFC grammar; it means
  // emails[type eq "work" and value eq "x"], and that is how it is kept.
  Token dotted = Peek();
  if (dotted.kind == TokenKind::kWord && dotted.pos == pos_ && dotted.text.front() == '.') {
    if (!AllowQuirk(quirks_, Quirk::kFilterValuePathSub, text_)) {
      return ErrorAt(dotted.pos, "a value filter is not followed by '.sub' in RFC 7644; write the comparison inside "
                                 "the brackets, e.g. emails[type eq \"work\" and value eq \"x\"]");
    }
    Next();
    std::string_view sub = dotted.text.substr(1);
    if (sub.empty()) return ErrorAt(dotted.pos + 1, "expected a sub-attribute name after '.'");
    Token sub_token{TokenKind::kWord, sub, dotted.pos + 1};
    auto sub_path = ParsePathWord(sub_token, /*in_bracket=*/true);
    if (!sub_path) return std::unexpected(std::move(sub_path.error()));
    auto comparison = ParseComparison(std::move(*sub_path), sub_token);
    if (!comparison) return comparison;
    Filter both{Logical{LogicalOp::kAnd, std::make_unique<Filter>(std::move(*inner)),
                        std::make_unique<Filter>(std::move(*comparison))}};
    *inner = std::move(both);
  }
  return Filter{ValuePath{std::move(*path), std::make_unique<Filter>(std::move(*inner))}};
}

Result<Filter> Parser::ParseComparison(AttrPath path, const Token& path_token) {
  Token op_token = Peek();
  if (op_token.kind == TokenKind::kWord) {
    if (SameNoCase(op_token.text, "pr")) {
      Next();
      return Filter{Present{std::move(path)}};
    }
    if (auto op = LookupCompareOp(op_token.text)) {
      Next();
      auto value = ParseValue(op_token);
      if (!value) return std::unexpected(std::move(value.error()));
      return Filter{Compare{std::move(path), *op, std::move(*value)}};
    }
  }
  std::string what(kExpectedOperator);
  what += " after '";
  what += path_token.text;
  what += "'";
  return Unexpected(op_token, what);
}

Result<Filter> Parser::ParseBracketFilter(int depth, const AttrPath& path, const Token& path_token) {
  Token open = Next();  // the '['
  if (depth + 1 > max_depth_) return TooDeep(open);
  if (!path.sub.empty()) {
    return ErrorAt(open.pos, "a value filter '[...]' applies to a multi-valued attribute, not to the "
                             "sub-attribute '" + std::string(path_token.text) + "'");
  }
  auto inner = ParseOr(depth + 1, open);
  if (!inner) return inner;
  Token close = Peek();
  if (close.kind != TokenKind::kRBracket) {
    return Unexpected(close, "']' to close the '[' at character " + std::to_string(open.pos + 1));
  }
  Next();
  return inner;
}

Result<Json> Parser::ParseValue(const Token& op_token) {
  Token token = Peek();
  std::string what(kExpectedValue);
  what += " after '";
  what += op_token.text;
  what += "'";
  if (token.kind == TokenKind::kString) {
    auto decoded = DecodeString(token);
    if (!decoded) return std::unexpected(std::move(decoded.error()));
    Next();
    return Json(std::move(*decoded));
  }
  if (token.kind != TokenKind::kWord) return Unexpected(token, what);
  std::string_view word = token.text;
  if (SameNoCase(word, "true")) {
    Next();
    return Json(true);
  }
  if (SameNoCase(word, "false")) {
    Next();
    return Json(false);
  }
  if (SameNoCase(word, "null")) {
    Next();
    return Json(nullptr);
  }
  bool integral = false;
  if (!IsJsonNumber(word, integral)) return Unexpected(token, what);
  const char* first = word.data();
  const char* last = word.data() + word.size();
  if (integral) {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(first, last, value);
    if (ec == std::errc() && ptr == last) {
      Next();
      return Json(value);
    }
    // Too large for int64: keep it as a double, as JSON parsers do.
  }
  double value = 0;
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (ec != std::errc() || ptr != last) {
    return ErrorAt(token.pos, "the number '" + std::string(word) + "' is out of range");
  }
  Next();
  return Json(value);
}

Result<std::string> Parser::DecodeString(const Token& token) {
  std::string_view body = token.text.substr(1, token.text.size() - 2);
  size_t base = token.pos + 1;
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      // As in JSON: control characters must be escaped and the text must be UTF-8, so that
      // ToString renders the value back in as many characters as it came.
      if (static_cast<unsigned char>(c) < 0x20) {
        return ErrorAt(base + i, "a control character in a string must be written as an escape (\\u00XX)");
      }
      size_t length = WellFormedUtf8Length(body, i);
      if (length == 0) return ErrorAt(base + i, "the string is not valid UTF-8");
      out.append(body, i, length);
      i += length - 1;
      continue;
    }
    size_t escape_pos = base + i;
    char e = body[i + 1];  // the lexer guarantees a character after every backslash
    ++i;
    switch (e) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        auto unit = ParseHex4(body.substr(i + 1));
        if (!unit) return ErrorAt(escape_pos, "expected four hexadecimal digits after '\\u'");
        i += 4;
        uint32_t code_point = *unit;
        if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
          return ErrorAt(escape_pos, "invalid '\\u' escape: a low surrogate without a high surrogate");
        }
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {
          std::optional<uint32_t> low;
          if (i + 2 < body.size() && body[i + 1] == '\\' && body[i + 2] == 'u') low = ParseHex4(body.substr(i + 3));
          if (!low || *low < 0xDC00 || *low > 0xDFFF) {
            return ErrorAt(escape_pos, "invalid '\\u' escape: a high surrogate must be followed by a low surrogate");
          }
          i += 6;
          code_point = 0x10000 + ((code_point - 0xD800) << 10) + (*low - 0xDC00);
        }
        AppendUtf8(code_point, out);
        break;
      }
      default:
        return ErrorAt(escape_pos, "invalid escape '\\" + std::string(1, e) +
                                       "' in string (expected \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX)");
    }
  }
  return out;
}

// Validates an ATTRNAME (ALPHA *(ALPHA / DIGIT / "-" / "_"), or "$ref") starting at offset `pos`.
std::optional<std::pair<size_t, std::string>> CheckName(std::string_view name, size_t pos, std::string_view what) {
  if (name.empty()) return std::pair{pos, "expected " + std::string(what)};
  if (SameNoCase(name, "$ref")) return std::nullopt;
  if (!IsAlpha(name.front())) {
    return std::pair{pos, "expected " + std::string(what) + " (a letter first), found '" + std::string(name) + "'"};
  }
  for (size_t i = 1; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      return std::pair{pos + i, "invalid character '" + std::string(1, name[i]) + "' in attribute name '" +
                                    std::string(name) + "'"};
    }
  }
  return std::nullopt;
}

Result<AttrPath> Parser::ParsePathWord(const Token& word, bool in_bracket) {
  std::string_view text = word.text;
  size_t pos = word.pos;
  AttrPath path;
  std::string_view rest = text;
  size_t rest_pos = pos;
  if (StartsWithI(text, "urn:")) {
    size_t colon = text.rfind(':');
    if (colon <= 4) {
      return ErrorAt(pos, "expected a schema URN, ':' and an attribute name, found '" + std::string(text) + "'");
    }
    if (in_bracket) {
      return ErrorAt(pos, "a path inside '[...]' names a sub-attribute and cannot start with a schema URN");
    }
    path.urn = text.substr(0, colon);
    rest = text.substr(colon + 1);
    rest_pos = pos + colon + 1;
    if (rest.empty()) {
      return ErrorAt(rest_pos, "expected an attribute name after the schema URN '" + path.urn + "'");
    }
  } else if (size_t colon = text.find(':'); colon != std::string_view::npos) {
    return ErrorAt(pos + colon, "unexpected ':' in attribute path '" + std::string(text) +
                                    "' (a fully qualified path starts with 'urn:')");
  }
  size_t dot = rest.find('.');
  std::string_view name = rest.substr(0, dot);
  if (name.empty()) return ErrorAt(rest_pos, "expected an attribute name, found '" + std::string(text) + "'");
  if (auto bad = CheckName(name, rest_pos, "an attribute name")) return ErrorAt(bad->first, bad->second);
  path.name = name;
  if (dot != std::string_view::npos) {
    if (in_bracket) {
      return ErrorAt(rest_pos + dot, "a path inside '[...]' must be a plain sub-attribute name, found '" +
                                         std::string(text) + "'");
    }
    std::string_view sub = rest.substr(dot + 1);
    if (auto bad = CheckName(sub, rest_pos + dot + 1, "a sub-attribute name after '.'")) {
      return ErrorAt(bad->first, bad->second);
    }
    path.sub = sub;
  }
  return path;
}

Result<AttrPath> Parser::ParseWholeAttrPath() {
  if (text_.size() > max_length_) return PathTooLong();
  Token word = Peek();
  if (word.kind != TokenKind::kWord) return Unexpected(word, "an attribute path");
  Next();
  auto path = ParsePathWord(word, /*in_bracket=*/false);
  if (!path) return path;
  Token rest = Peek();
  if (rest.kind != TokenKind::kEnd) return Unexpected(rest, "the end of the path");
  return path;
}

Result<PatchPath> Parser::ParseWholePatchPath() {
  if (text_.size() > max_length_) return PathTooLong();
  Token word = Peek();
  if (word.kind != TokenKind::kWord) return Unexpected(word, "an attribute path");
  Next();
  auto attr = ParsePathWord(word, /*in_bracket=*/false);
  if (!attr) return std::unexpected(std::move(attr.error()));
  PatchPath result;
  result.attr = std::move(*attr);
  Token next = Peek();
  if (next.kind == TokenKind::kLBracket) {
    auto filter = ParseBracketFilter(0, result.attr, word);
    if (!filter) return std::unexpected(std::move(filter.error()));
    result.value_filter = std::make_shared<const Filter>(std::move(*filter));
    next = Peek();
    if (next.kind == TokenKind::kWord && next.pos == pos_ && next.text.front() == '.') {
      Next();
      Token sub_token{TokenKind::kWord, next.text.substr(1), next.pos + 1};
      if (auto bad = CheckName(sub_token.text, sub_token.pos, "a sub-attribute name after '.'")) {
        return ErrorAt(bad->first, bad->second);
      }
      result.sub_after_filter = sub_token.text;
      next = Peek();
    }
  }
  if (next.kind != TokenKind::kEnd) {
    return Unexpected(next, result.value_filter ? "'.' and a sub-attribute name, or the end of the path"
                                                : "'[' or the end of the path");
  }
  return result;
}

// Canonical rendering. Binding strength: or 1, and 2, everything else 3. A child is parenthesised
// when it binds more loosely than its parent, or equally on the right (which keeps the tree shape
// of `a or (b or c)`).
int Strength(const Filter& filter) {
  if (const auto* logical = std::get_if<Logical>(&filter.node)) return logical->op == LogicalOp::kOr ? 1 : 2;
  return 3;
}

void Render(const Filter* filter, std::string& out);

void RenderChild(const Filter* child, int parent_strength, bool right, std::string& out) {
  int strength = child ? Strength(*child) : 3;
  bool parens = strength < parent_strength || (right && strength == parent_strength);
  if (parens) out += '(';
  Render(child, out);
  if (parens) out += ')';
}

void Render(const Filter* filter, std::string& out) {
  if (filter == nullptr) return;  // only a hand-built tree can have holes
  std::visit(
      [&out](const auto& node) {
        using T = std::decay_t<decltype(node)>;
        if constexpr (std::is_same_v<T, Compare>) {
          out += node.path.ToString();
          out += ' ';
          out += CompareOpName(node.op);
          out += ' ';
          out += DumpJson(node.value);
        } else if constexpr (std::is_same_v<T, Present>) {
          out += node.path.ToString();
          out += " pr";
        } else if constexpr (std::is_same_v<T, Logical>) {
          int strength = node.op == LogicalOp::kOr ? 1 : 2;
          RenderChild(node.lhs.get(), strength, false, out);
          out += node.op == LogicalOp::kOr ? " or " : " and ";
          RenderChild(node.rhs.get(), strength, true, out);
        } else if constexpr (std::is_same_v<T, Not>) {
          out += "not (";
          Render(node.inner.get(), out);
          out += ')';
        } else if constexpr (std::is_same_v<T, ValuePath>) {
          out += node.path.ToString();
          out += '[';
          Render(node.inner.get(), out);
          out += ']';
        }
      },
      filter->node);
}

}  // namespace

Result<Filter> ParseFilter(std::string_view text, QuirkLog* quirks, const DocumentLimits& limits) {
  return Parser(text, Mode::kFilter, quirks, limits).ParseWholeFilter();
}

Result<AttrPath> ParseAttrPath(std::string_view text) { return Parser(text, Mode::kPath).ParseWholeAttrPath(); }

Result<PatchPath> ParsePatchPath(std::string_view text, const DocumentLimits& limits) {
  return Parser(text, Mode::kPath, nullptr, limits).ParseWholePatchPath();
}

std::string ToString(const Filter& filter) {
  std::string out;
  Render(&filter, out);
  return out;
}

}  // namespace scim::core
