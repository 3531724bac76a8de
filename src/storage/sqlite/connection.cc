#include "storage/sqlite/connection.h"

#include <string>

namespace scim::storage::sqlite {

core::Error SqliteError(int code, const char* message) {
  std::string detail = std::string("SQLite: ") + (message ? message : sqlite3_errstr(code));
  switch (code & 0xff) {
    case SQLITE_CONSTRAINT: return {core::ErrorType::kConflict, detail};
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return {core::ErrorType::kUnavailable, "The database is busy; retry shortly"};
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: return {core::ErrorType::kUnavailable, detail};
    default: return {core::ErrorType::kInternal, detail};
  }
}

Statement::~Statement() {
  if (stmt_ && owned_) {
    sqlite3_finalize(stmt_);
  } else if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}
Statement& Statement::Bind(int index, const std::optional<std::string>& text) {
  return text ? Bind(index, std::string_view(*text)) : BindNull(index);
}
Statement& Statement::Bind(int index, const SqlParam& param) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          BindNull(index);
        } else if constexpr (std::is_same_v<T, std::string>) {
          Bind(index, std::string_view(v));
        } else {
          Bind(index, v);
        }
      },
      param);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return std::unexpected(SqliteError(rc, sqlite3_errmsg(sqlite3_db_handle(stmt_))));
}

Result<void> Statement::Run() {
  while (true) {
    auto row = Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (!text) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}
std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}
double Statement::Double(int column) const { return sqlite3_column_double(stmt_, column); }

int64_t Statement::Int(int column) const { return sqlite3_column_int64(stmt_, column); }
bool Statement::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

SqlParam Statement::Value(int column) const {
  switch (sqlite3_column_type(stmt_, column)) {
    case SQLITE_NULL: return nullptr;
    case SQLITE_INTEGER: return Int(column);
    case SQLITE_FLOAT: return sqlite3_column_double(stmt_, column);
    default: return Text(column);
  }
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return core::Fail(core::ErrorType::kUnavailable, "Cannot open database " + path + ": " + message);
  }
  std::unique_ptr<Connection> connection(new Connection(db));
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  // Large mmap: filters at 1M rows stayed near their 10k cost with it (DESIGN.md §2).
  auto pragmas = connection->Exec(
      "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY;");
  if (!pragmas) return std::unexpected(pragmas.error());
  return connection;
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Result<Statement> Connection::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return Statement(it->second);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) {
    return core::Fail(core::ErrorType::kInternal, std::string("SQLite prepare: ") + sqlite3_errmsg(db_));
  }
  // Filter-generated SQL varies; keep the cache bounded. Statements in use must stay valid, so
  // past the bound new statements are simply not cached.
  if (cache_.size() >= 512) return Statement(stmt, /*owned=*/true);
  cache_.emplace(sql, stmt);
  return Statement(stmt);
}

Result<void> Connection::Exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    core::Error error = SqliteError(rc, message);
    sqlite3_free(message);
    return std::unexpected(error);
  }
  return {};
}

}  // namespace scim::storage::sqlite
