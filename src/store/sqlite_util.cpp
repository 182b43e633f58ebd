// store/sqlite_util.cpp — RAII wrappers over sqlite3 / sqlite3_stmt and error mapping.
#include "store/sqlite_util.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

namespace cci::store::detail {

ErrorCode error_code_for(int sqlite_rc) {
  switch (sqlite_rc & 0xff) {
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
      return ErrorCode::Corrupt;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:
      return ErrorCode::IoError;
    case SQLITE_INTERRUPT:
      return ErrorCode::Cancelled;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return ErrorCode::InvalidArgument;
    default:
      return ErrorCode::Internal;
  }
}

Db::~Db() { close(); }

Status Db::open(const std::filesystem::path& path, int flags) {
  close();
  path_ = path.string();
  int rc = sqlite3_open_v2(path_.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error err = db_ != nullptr ? error(rc, "cannot open database")
                               : Error{error_code_for(rc), fmt::format("cannot open database {}: {}", path_,
                                                                       sqlite3_errstr(rc))};
    close();
    return std::unexpected(std::move(err));
  }
  sqlite3_extended_result_codes(db_, 1);
  return {};
}

void Db::close() {
  if (db_ != nullptr) {
    // close_v2 defers the close until outstanding statements are finalized instead of failing.
    sqlite3_close_v2(db_);
    db_ = nullptr;
  }
}

Status Db::exec(std::string_view sql) {
  std::string owned(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return make_error(error_code_for(rc), fmt::format("{} ({}): {}", owned.substr(0, 60), path_, text));
  }
  return {};
}

Result<std::int64_t> Db::query_int(std::string_view sql) {
  auto stmt = Stmt::prepare(*this, sql);
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t value = *row ? stmt->column_int(0) : 0;
  stmt->reset();
  return value;
}

Error Db::error(int rc, std::string_view what) const {
  const char* message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Error{error_code_for(rc), fmt::format("{} ({}): {}", what, path_, message)};
}

bool Db::in_transaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }

Stmt::~Stmt() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Stmt::Stmt(Stmt&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), stmt_(std::exchange(other.stmt_, nullptr)) {}

Stmt& Stmt::operator=(Stmt&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = std::exchange(other.db_, nullptr);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Result<Stmt> Stmt::prepare(Db& db, std::string_view sql) {
  Stmt stmt;
  stmt.db_ = &db;
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt.stmt_, nullptr);
  if (rc != SQLITE_OK) {
    return std::unexpected(db.error(rc, fmt::format("cannot prepare `{}`", sql.substr(0, 80))));
  }
  return stmt;
}

void Stmt::bind(int index, std::int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
void Stmt::bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
void Stmt::bind_text(int index, std::string_view value) {
  // A non-null pointer even for "" so the column stores '' and not NULL.
  sqlite3_bind_text(stmt_, index, value.empty() ? "" : value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}
void Stmt::bind_blob(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.empty() ? "" : value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}
void Stmt::bind_null(int index) { sqlite3_bind_null(stmt_, index); }

Result<bool> Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error err = db_->error(rc, fmt::format("`{}` failed", std::string_view(sqlite3_sql(stmt_)).substr(0, 80)));
  sqlite3_reset(stmt_);
  return std::unexpected(std::move(err));
}

Status Stmt::run() {
  while (true) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
  }
  reset();
  return {};
}

void Stmt::reset() {
  if (stmt_ != nullptr) sqlite3_reset(stmt_);
}

std::int64_t Stmt::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
double Stmt::column_double(int index) const { return sqlite3_column_double(stmt_, index); }

std::string_view Stmt::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

std::string_view Stmt::column_blob(int index) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, index))};
}

bool Stmt::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }

}  // namespace cci::store::detail
