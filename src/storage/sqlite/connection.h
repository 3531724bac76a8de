// A thin RAII layer over the SQLite C API: a connection with a prepared-statement cache, and a
// statement handle that resets itself when it goes out of scope. SQLite errors become core::Error.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <optional>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "storage/sql_filter.h"

namespace scim::storage::sqlite {

using core::Result;

class Statement {
 public:
  // `owned`: finalize on destruction (an uncached statement); otherwise reset for reuse.
  explicit Statement(sqlite3_stmt* stmt, bool owned = false) : stmt_(stmt), owned_(owned) {}
  Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)), owned_(other.owned_) {}
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& BindNull(int index);
  Statement& Bind(int index, const std::optional<std::string>& text);
  Statement& Bind(int index, const SqlParam& param);

  // Steps once. true: a row is available; false: done. Errors carry sqlite's message; a unique
  // constraint violation is kConflict (callers refine it), a busy database kUnavailable.
  Result<bool> Step();
  // Steps to completion (for statements without result rows).
  Result<void> Run();

  std::string Text(int column) const;
  std::optional<std::string> OptionalText(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  bool IsNull(int column) const;
  // The column's value with its storage class (NULL, INTEGER, REAL, TEXT; a BLOB reads as TEXT).
  SqlParam Value(int column) const;

 private:
  sqlite3_stmt* stmt_;
  bool owned_;
};

class Connection {
 public:
  // Opens `path`. read_only connections never write. Errors: kUnavailable.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only);
  ~Connection();

  // A cached prepared statement for `sql` (the text is the cache key). Errors: kInternal (bad SQL).
  Result<Statement> Prepare(const std::string& sql);
  // Runs one or more statements without parameters.
  Result<void> Exec(const char* sql);
  int64_t LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
  // The raw handle, for SQLite APIs this class does not wrap (the backup API).
  sqlite3* handle() const { return db_; }
  int Changes() const { return sqlite3_changes(db_); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// Maps an sqlite result code to a core::Error.
core::Error SqliteError(int code, const char* message);

}  // namespace scim::storage::sqlite
