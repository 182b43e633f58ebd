// store/sqlite_util.h — a thin RAII layer over the SQLite C API used by the store module only.
//
// Keeps sqlite3.h out of every header (the handles are forward-declared) and turns SQLite result
// codes into cci::Error with the database path and sqlite3_errmsg in the message.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cci::store::detail {

// Maps a SQLite primary result code to the cci error vocabulary.
ErrorCode error_code_for(int sqlite_rc);

// One connection. Not thread-safe (opened with SQLITE_OPEN_NOMUTEX): one per thread.
class Db {
 public:
  Db() = default;
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // flags are SQLITE_OPEN_* bits; the path is kept for error messages.
  Status open(const std::filesystem::path& path, int flags);
  void close();

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

  // Runs one or more statements that return no rows we need.
  Status exec(std::string_view sql);
  // Runs a query whose first column of the first row is an integer (pragmas, counts).
  Result<std::int64_t> query_int(std::string_view sql);

  // An Error for the last failure on this connection: "<what> (<path>): <errmsg>".
  Error error(int rc, std::string_view what) const;
  bool in_transaction() const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

// A prepared statement. step() returns true for a row, false when done; reset() after use.
class Stmt {
 public:
  Stmt() = default;
  ~Stmt();
  Stmt(Stmt&& other) noexcept;
  Stmt& operator=(Stmt&& other) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  static Result<Stmt> prepare(Db& db, std::string_view sql);
  bool valid() const { return stmt_ != nullptr; }

  // Bind indices are 1-based as in SQLite. Text/blob binds are SQLITE_STATIC: the caller keeps
  // the bytes alive until the statement is reset, which every call site here does.
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind_text(int index, std::string_view value);
  void bind_blob(int index, std::string_view value);
  void bind_null(int index);

  Result<bool> step();
  // Steps to completion, ignoring rows (INSERT/UPDATE/DELETE), then resets.
  Status run();
  void reset();

  std::int64_t column_int(int index) const;
  double column_double(int index) const;
  std::string_view column_text(int index) const;
  std::string_view column_blob(int index) const;
  bool column_is_null(int index) const;

 private:
  Db* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement on scope exit so an early return never leaves it mid-step
// (which would pin a read snapshot or hold the bound SQLITE_STATIC pointers).
class ResetGuard {
 public:
  explicit ResetGuard(Stmt& stmt) : stmt_(stmt) {}
  ~ResetGuard() { stmt_.reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Stmt& stmt_;
};

}  // namespace cci::store::detail
