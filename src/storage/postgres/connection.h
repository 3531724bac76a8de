// A thin RAII layer over libpq: a connection that prepares each statement once (named, cached by
// its text and parameter types), typed text-format parameters, result rows read by column, and a
// small pool of connections. PostgreSQL errors become core::Error; a lost connection is
// kUnavailable and marks the connection broken, so the pool never hands it out again.
//
// SQL is written with ?1, ?2, ... as for SQLite (sql_filter and list_query emit it so); the
// connection renumbers it to $1, $2, ... when it prepares the statement.
//
// Threads: a Connection is used by one thread at a time (the pool's lease); the Pool is thread-safe.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "storage/sql_filter.h"

namespace scim::storage::postgres {

using core::Result;

// A parameter as libpq takes it: its text (nullopt: NULL) and the type PostgreSQL reads it as, so
// that `?2 IS NULL OR x = ?2` and `length(?3)` need no casts in the SQL.
struct PgParam {
  std::optional<std::string> text;
  Oid type = 0;
};
PgParam Int(int64_t value);
PgParam Real(double value);
PgParam Text(std::string_view value);
inline PgParam Text(const std::string& value) { return Text(std::string_view(value)); }
inline PgParam Text(const char* value) { return Text(std::string_view(value)); }
PgParam Text(const std::optional<std::string>& value);  // NULL when absent
PgParam OptionalInt(const std::optional<int64_t>& value);
PgParam FromSql(const SqlParam& value);  // a filter's or cursor's value (NULL reads as text)
using PgParams = std::vector<PgParam>;

// The rows of one statement.
class PgResult {
 public:
  explicit PgResult(PGresult* result) : result_(result, &PQclear) {}

  int Rows() const { return PQntuples(result_.get()); }
  // Rows the statement changed (INSERT, UPDATE, DELETE), from the command tag.
  int64_t Affected() const;

  std::string Text(int row, int column) const;
  std::optional<std::string> OptionalText(int row, int column) const;
  int64_t Int(int row, int column) const;
  double Double(int row, int column) const;
  bool IsNull(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
  // The value with a type fit for a cursor: integers, other numbers, text; NULL as nullptr.
  SqlParam Value(int row, int column) const;

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// One row of a PgResult, read with the same calls as an SQLite statement's current row.
class PgRow {
 public:
  PgRow(const PgResult& result, int row) : result_(result), row_(row) {}
  std::string Text(int column) const { return result_.Text(row_, column); }
  std::optional<std::string> OptionalText(int column) const { return result_.OptionalText(row_, column); }
  int64_t Int(int column) const { return result_.Int(row_, column); }
  double Double(int column) const { return result_.Double(row_, column); }
  bool IsNull(int column) const { return result_.IsNull(row_, column); }
  SqlParam Value(int column) const { return result_.Value(row_, column); }

 private:
  const PgResult& result_;
  int row_;
};

// `sql` with ?N placeholders (outside quotes) written as $N.
std::string ToPgPlaceholders(std::string_view sql);

class Connection {
 public:
  // Connects to `url` (a postgres:// URL or a libpq conninfo string).
  // Errors: kUnavailable when the server cannot be reached or refuses the login.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs `sql` (?N placeholders) as a prepared statement with `params`.
  // Errors: kConflict for a unique violation (constraint name in LastConstraint()), kUnavailable
  // when the connection is lost or the server shuts down (and Broken() is then true) or for a
  // deadlock / serialization failure (retry), kInternal otherwise (bad SQL: a bug).
  Result<PgResult> Run(const std::string& sql, const PgParams& params);
  // Runs one or more statements without parameters (BEGIN, COMMIT, migrations).
  Result<void> Exec(const std::string& sql);

  // The connection is gone (server restart, network): discard it.
  bool Broken() const { return PQstatus(conn_) == CONNECTION_BAD; }
  // The constraint the last failed statement violated ("" when none was named).
  const std::string& LastConstraint() const { return last_constraint_; }

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  core::Error ErrorOf(const PGresult* result);

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql + parameter types -> statement name
  std::string last_constraint_;
};

// Connections to one database, opened on demand up to `max_size`, reused while healthy. When one
// turns out broken, the idle ones are dropped too (after a server restart they all are), so the
// requests that follow connect afresh.
class Pool {
 public:
  Pool(std::string url, size_t max_size, std::chrono::milliseconds acquire_timeout);

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> connection, bool reused)
        : pool_(pool), connection_(std::move(connection)), reused_(reused) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    // Taken from the idle connections (it may have died while idle), not freshly opened.
    bool reused() const { return reused_; }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> connection_;
    bool reused_;
  };

  // An idle connection, or a new one while fewer than max_size are out, else waits for one.
  // Errors: kUnavailable when none frees up within the timeout or the server cannot be reached.
  Result<Lease> Acquire();

 private:
  void Release(std::unique_ptr<Connection> connection);

  // Constant after construction.
  const std::string url_;
  const size_t max_size_;
  const std::chrono::milliseconds acquire_timeout_;

  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  size_t open_ = 0;                                // guarded by mu_: idle + leased + being opened
};

}  // namespace scim::storage::postgres
