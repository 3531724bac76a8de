// libpq wrapper. See connection.h.
#include "storage/postgres/connection.h"

#include <charconv>
#include <cstdlib>
#include <utility>

#include <fmt/format.h>

namespace scim::storage::postgres {
namespace {

using core::ErrorType;
using core::Fail;

// Type OIDs (pg_type.h is a server header; these never change).
constexpr Oid kInt2 = 21, kInt4 = 23, kInt8 = 20, kText = 25, kFloat4 = 700, kFloat8 = 701, kNumeric = 1700;

// How long a statement may wait for a lock or run before the server cancels it: a stuck writer
// must not hold a request (and its connection) for ever.
constexpr const char* kStatementTimeoutMs = "30000";

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

PgParam Int(int64_t value) { return PgParam{std::to_string(value), kInt8}; }
PgParam Real(double value) { return PgParam{fmt::format("{}", value), kFloat8}; }
PgParam Text(std::string_view value) { return PgParam{std::string(value), kText}; }
PgParam Text(const std::optional<std::string>& value) { return PgParam{value, kText}; }
PgParam OptionalInt(const std::optional<int64_t>& value) {
  return value ? Int(*value) : PgParam{std::nullopt, kInt8};
}
PgParam FromSql(const SqlParam& value) {
  return std::visit(
      [](const auto& v) -> PgParam {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) return PgParam{std::nullopt, kText};
        else if constexpr (std::is_same_v<T, int64_t>) return Int(v);
        else if constexpr (std::is_same_v<T, double>) return Real(v);
        else return Text(v);
      },
      value);
}

int64_t PgResult::Affected() const {
  const char* tuples = PQcmdTuples(result_.get());
  return tuples && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
}

std::string PgResult::Text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<size_t>(PQgetlength(result_.get(), row, column)));
}

std::optional<std::string> PgResult::OptionalText(int row, int column) const {
  if (IsNull(row, column)) return std::nullopt;
  return Text(row, column);
}

int64_t PgResult::Int(int row, int column) const {
  if (IsNull(row, column)) return 0;
  return std::strtoll(PQgetvalue(result_.get(), row, column), nullptr, 10);
}

double PgResult::Double(int row, int column) const {
  if (IsNull(row, column)) return 0;
  return std::strtod(PQgetvalue(result_.get(), row, column), nullptr);
}

SqlParam PgResult::Value(int row, int column) const {
  if (IsNull(row, column)) return nullptr;
  const char* text = PQgetvalue(result_.get(), row, column);
  switch (PQftype(result_.get(), column)) {
    case kInt2:
    case kInt4:
    case kInt8: return std::strtoll(text, nullptr, 10);
    case kNumeric: {
      // An integral numeric (a JSON integer) stays an integer, as SQLite's json_extract has it.
      int64_t integer = 0;
      std::string_view view(text);
      auto [end, ec] = std::from_chars(view.data(), view.data() + view.size(), integer);
      if (ec == std::errc() && end == view.data() + view.size()) return integer;
      return std::strtod(text, nullptr);
    }
    case kFloat4:
    case kFloat8: return std::strtod(text, nullptr);
    default: return Text(row, column);
  }
}

std::string ToPgPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;  // inside '...' or "..."
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (quote) {
      if (c == quote) quote = 0;  // a doubled quote closes and reopens: same result
      out.push_back(c);
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      out.push_back(c);
      continue;
    }
    if (c == '?' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out.push_back('$');
      continue;
    }
    out.push_back(c);
  }
  return out;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  // Defaults the URL may override: with expand_dbname, its settings replace the keywords before it.
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {"5", "scimd", url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) return Fail(ErrorType::kUnavailable, "PostgreSQL: out of memory while connecting");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = Trim(PQerrorMessage(conn));
    for (char& c : message) {
      if (c == '\n' || c == '\t') c = ' ';
    }
    PQfinish(conn);
    return Fail(ErrorType::kUnavailable, "Cannot connect to PostgreSQL: " + message);
  }
  std::unique_ptr<Connection> connection(new Connection(conn));
  // UTC for anything the server formats; a bound on every statement; no NOTICEs on stderr.
  if (auto r = connection->Exec(std::string("SET TIME ZONE 'UTC'; SET client_min_messages = warning; "
                                            "SET statement_timeout = ") +
                                kStatementTimeoutMs);
      !r) {
    return std::unexpected(r.error());
  }
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

core::Error Connection::ErrorOf(const PGresult* result) {
  last_constraint_.clear();
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = Trim(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_));
  if (message.empty()) message = Trim(PQerrorMessage(conn_));
  std::string code = state ? state : "";
  if (Broken() || code.starts_with("08") || code == "57P01" || code == "57P02" || code == "57P03" ||
      code.starts_with("53")) {
    return core::Error{ErrorType::kUnavailable, "The database is unavailable (" + message + "); retry"};
  }
  if (code == "40001" || code == "40P01" || code == "55P03" || code == "57014") {
    return core::Error{ErrorType::kUnavailable, "The database could not finish the change (" + message + "); retry"};
  }
  if (code == "23505") {
    const char* constraint = PQresultErrorField(result, PG_DIAG_CONSTRAINT_NAME);
    last_constraint_ = constraint ? constraint : "";
    return core::Error{ErrorType::kConflict, message};
  }
  return core::Error{ErrorType::kInternal, "PostgreSQL: " + message};
}

Result<PgResult> Connection::Run(const std::string& sql, const PgParams& params) {
  std::string key = sql;
  key.push_back('\0');
  for (const auto& p : params) key += std::to_string(p.type) + ",";
  auto it = prepared_.find(key);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    std::vector<Oid> types;
    for (const auto& p : params) types.push_back(p.type);
    std::string text = ToPgPlaceholders(sql);
    PGresult* raw = PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(types.size()), types.data());
    PgResult prepared(raw);
    if (!raw || PQresultStatus(raw) != PGRES_COMMAND_OK) return std::unexpected(ErrorOf(raw));
    it = prepared_.emplace(std::move(key), std::move(name)).first;
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.text ? p.text->c_str() : nullptr);
  PGresult* raw = PQexecPrepared(conn_, it->second.c_str(), static_cast<int>(values.size()), values.data(), nullptr,
                                 nullptr, /*resultFormat=*/0);
  PgResult result(raw);
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return std::unexpected(ErrorOf(raw));
  return result;
}

Result<void> Connection::Exec(const std::string& sql) {
  PGresult* raw = PQexec(conn_, sql.c_str());
  PgResult result(raw);
  ExecStatusType status = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return std::unexpected(ErrorOf(raw));
  return {};
}

Pool::Pool(std::string url, size_t max_size, std::chrono::milliseconds acquire_timeout)
    : url_(std::move(url)), max_size_(max_size), acquire_timeout_(acquire_timeout) {}

Pool::Lease::~Lease() {
  if (connection_) pool_->Release(std::move(connection_));
}

Result<Pool::Lease> Pool::Acquire() {
  {
    std::unique_lock lock(mu_);
    bool available = freed_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || open_ < max_size_; });
    if (!available) {
      return Fail(ErrorType::kUnavailable,
                  fmt::format("All {} database connections are busy; retry", max_size_));
    }
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection), /*reused=*/true);
    }
    ++open_;  // reserved while connecting, outside the lock
  }
  auto connection = Connection::Open(url_);
  if (!connection) {
    {
      std::lock_guard lock(mu_);
      --open_;
    }
    freed_.notify_one();
    // Requests see that the database is down, not where it is (the server's address is the
    // operator's business: scimd says it at start-up, where Open's own message is printed).
    return core::Fail(ErrorType::kUnavailable, "The database is unavailable (no connection could be opened); retry");
  }
  return Lease(this, std::move(*connection), /*reused=*/false);
}

void Pool::Release(std::unique_ptr<Connection> connection) {
  std::vector<std::unique_ptr<Connection>> dropped;  // closed outside the lock
  {
    std::lock_guard lock(mu_);
    if (connection->Broken()) {
      // The server went away: the idle connections are dead too. Later requests connect afresh.
      dropped = std::move(idle_);
      idle_.clear();
      open_ -= dropped.size() + 1;
      dropped.push_back(std::move(connection));
    } else {
      idle_.push_back(std::move(connection));
    }
  }
  freed_.notify_all();
}

}  // namespace scim::storage::postgres
