// store/registry.cpp — <data_dir>/registry.db: project root -> index database.
#include "store/registry.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <iterator>
#include <system_error>
#include <utility>

#include "core/hash.h"
#include "core/log.h"
#include "core/paths.h"
#include "store/sqlite_util.h"

namespace cci::store {

using detail::Db;
using detail::ResetGuard;
using detail::Stmt;

namespace {

namespace fs = std::filesystem;

constexpr int kRegistrySchemaVersion = 2;

// Forward migrations: kRegistryMigrations[v] takes a registry at user_version v to v + 1 (0 is a
// new file). Each runs in its own transaction, so an interrupted upgrade leaves a usable version.
constexpr std::string_view kRegistryMigrations[] = {
    R"sql(
CREATE TABLE IF NOT EXISTS projects(
  root       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  db_path    TEXT NOT NULL,
  indexed_at INTEGER NOT NULL,
  files      INTEGER NOT NULL,
  symbols    INTEGER NOT NULL
);
PRAGMA user_version = 1;
)sql",
    // v2: per-project watch setting (`cci watch on|off`); existing projects are watched.
    R"sql(
ALTER TABLE projects ADD COLUMN watch INTEGER NOT NULL DEFAULT 1;
PRAGMA user_version = 2;
)sql",
};
static_assert(std::size(kRegistryMigrations) == kRegistrySchemaVersion);

#define CCI_PROJECT_COLUMNS "root, name, db_path, indexed_at, files, symbols, watch"

ProjectRecord read_project(const Stmt& st) {
  ProjectRecord p;
  p.root = std::string(st.column_text(0));
  p.name = std::string(st.column_text(1));
  p.db_path = std::string(st.column_text(2));
  p.indexed_at = st.column_int(3);
  p.files = static_cast<std::uint64_t>(st.column_int(4));
  p.symbols = static_cast<std::uint64_t>(st.column_int(5));
  p.watch = st.column_int(6) != 0;
  return p;
}

// True when `path` lies strictly inside `dir` (both absolute and lexically normal).
bool strictly_inside(const fs::path& path, const fs::path& dir) {
  const fs::path rel = path.lexically_relative(dir);
  return !rel.empty() && rel != "." && is_safe_relative(rel.generic_string());
}

// Brings the registry up to kRegistrySchemaVersion. The version is re-read inside each write
// transaction: another process may have migrated (part of) the way since open() looked.
Status migrate(Db& db) {
  while (true) {
    if (auto st = db.exec("BEGIN IMMEDIATE"); !st) return st;
    auto version = db.query_int("PRAGMA user_version");
    if (!version) {
      (void)db.exec("ROLLBACK");
      return std::unexpected(version.error());
    }
    if (*version >= kRegistrySchemaVersion) return db.exec("COMMIT");
    if (*version < 0) {
      (void)db.exec("ROLLBACK");
      return make_error(ErrorCode::Corrupt, fmt::format("registry {} has schema version {}", db.path(), *version));
    }
    if (auto st = db.exec(kRegistryMigrations[*version]); !st) {
      (void)db.exec("ROLLBACK");
      return st;
    }
    if (auto st = db.exec("COMMIT"); !st) {
      (void)db.exec("ROLLBACK");
      return st;
    }
  }
}

}  // namespace

struct Registry::Impl {
  Db db;
  fs::path data_dir;
  fs::path projects_dir;

  Result<std::optional<ProjectRecord>> find_exact(const std::string& root) {
    auto st = Stmt::prepare(db, "SELECT " CCI_PROJECT_COLUMNS " FROM projects WHERE root = ?1");
    if (!st) return std::unexpected(st.error());
    st->bind_text(1, root);
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<ProjectRecord>{};
    return std::optional<ProjectRecord>(read_project(*st));
  }
};

Registry::Registry(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::open(const fs::path& data_dir) {
  auto impl = std::make_unique<Impl>();
  impl->data_dir = canonical_root(data_dir);
  impl->projects_dir = impl->data_dir / "projects";
  std::error_code ec;
  fs::create_directories(impl->projects_dir, ec);
  if (ec) {
    return make_error(ErrorCode::IoError,
                      fmt::format("cannot create data directory {}: {}", impl->projects_dir.string(), ec.message()));
  }
  const fs::path db_path = impl->data_dir / "registry.db";
  if (auto st = impl->db.open(db_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE); !st)
    return std::unexpected(st.error());
  sqlite3_busy_timeout(impl->db.handle(), 5000);
  auto version = impl->db.query_int("PRAGMA user_version");
  if (!version) {
    Error err = version.error();
    if (err.code == ErrorCode::Corrupt)
      err.message = fmt::format("{} is not a valid registry database: {}", db_path.string(), err.message);
    return std::unexpected(std::move(err));
  }
  if (*version > kRegistrySchemaVersion) {
    return make_error(ErrorCode::Unsupported,
                      fmt::format("registry {} has schema version {}, newer than this cci (version {})",
                                  db_path.string(), *version, kRegistrySchemaVersion));
  }
  if (auto st = impl->db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"); !st)
    return std::unexpected(st.error());
  if (*version < kRegistrySchemaVersion) {
    if (auto st = migrate(impl->db); !st) return std::unexpected(st.error());
  }
  return std::unique_ptr<Registry>(new Registry(std::move(impl)));
}

fs::path Registry::db_path_for(const fs::path& root) const {
  const std::string canonical = canonical_root(root).string();
  return impl_->projects_dir / hex64(hash64(canonical)) / "index.db";
}

Status Registry::upsert(const ProjectRecord& project) {
  if (project.root.empty()) return make_error(ErrorCode::InvalidArgument, "registry: project root is empty");
  const fs::path root = canonical_root(project.root);
  const std::string root_text = root.string();
  const std::string name = project.name.empty() ? root.filename().string() : project.name;
  const std::string db_path = project.db_path.empty() ? db_path_for(root).string() : project.db_path;
  auto st = Stmt::prepare(impl_->db,
                          "INSERT INTO projects(" CCI_PROJECT_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                          "ON CONFLICT(root) DO UPDATE SET name = excluded.name, db_path = excluded.db_path, "
                          "indexed_at = excluded.indexed_at, files = excluded.files, symbols = excluded.symbols");
  if (!st) return std::unexpected(st.error());
  st->bind_text(1, root_text);
  st->bind_text(2, name);
  st->bind_text(3, db_path);
  st->bind(4, project.indexed_at);
  st->bind(5, static_cast<std::int64_t>(project.files));
  st->bind(6, static_cast<std::int64_t>(project.symbols));
  st->bind(7, std::int64_t{project.watch ? 1 : 0});  // used only when the project is new
  return st->run();
}

Status Registry::set_watch(const fs::path& root, bool watch) {
  const std::string root_text = canonical_root(root).string();
  auto st = Stmt::prepare(impl_->db, "UPDATE projects SET watch = ?1 WHERE root = ?2");
  if (!st) return std::unexpected(st.error());
  st->bind(1, std::int64_t{watch ? 1 : 0});
  st->bind_text(2, root_text);
  if (auto done = st->run(); !done) return done;
  if (sqlite3_changes(impl_->db.handle()) == 0)
    return make_error(ErrorCode::NotFound, fmt::format("not an indexed project: {}", root_text));
  return {};
}

Result<std::vector<ProjectRecord>> Registry::list() {
  auto st = Stmt::prepare(impl_->db, "SELECT " CCI_PROJECT_COLUMNS " FROM projects ORDER BY root");
  if (!st) return std::unexpected(st.error());
  std::vector<ProjectRecord> out;
  while (true) {
    auto row = st->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_project(*st));
  }
  return out;
}

Result<std::optional<ProjectRecord>> Registry::find(const fs::path& root) {
  return impl_->find_exact(canonical_root(root).string());
}

Result<std::optional<ProjectRecord>> Registry::find_enclosing(const fs::path& dir) {
  fs::path current = canonical_root(dir);
  while (true) {
    auto found = impl_->find_exact(current.string());
    if (!found || found->has_value()) return found;
    fs::path parent = current.parent_path();
    if (parent == current || parent.empty()) return std::optional<ProjectRecord>{};
    current = std::move(parent);
  }
}

Status Registry::remove(const fs::path& root) {
  const std::string root_text = canonical_root(root).string();
  auto existing = impl_->find_exact(root_text);
  if (!existing) return std::unexpected(existing.error());

  // The directory to delete: the registered database's, else the default one for this root.
  fs::path index_dir = existing->has_value() ? fs::path((*existing)->db_path).parent_path()
                                             : db_path_for(root).parent_path();
  index_dir = canonical_root(index_dir);
  std::error_code ec;
  const bool dir_exists = fs::exists(index_dir, ec);
  if (!existing->has_value() && !dir_exists) {
    return make_error(ErrorCode::NotFound, fmt::format("no project registered at {}", root_text));
  }

  if (existing->has_value()) {
    auto st = Stmt::prepare(impl_->db, "DELETE FROM projects WHERE root = ?1");
    if (!st) return std::unexpected(st.error());
    st->bind_text(1, root_text);
    if (auto done = st->run(); !done) return done;
  }

  if (dir_exists) {
    // Never delete outside <data_dir>/projects, whatever db_path the registry row claims.
    if (!strictly_inside(index_dir, impl_->projects_dir)) {
      log::warn("registry: not deleting {}: outside {}", index_dir.string(), impl_->projects_dir.string());
      return {};
    }
    fs::remove_all(index_dir, ec);
    if (ec) {
      return make_error(ErrorCode::IoError,
                        fmt::format("cannot delete index directory {}: {}", index_dir.string(), ec.message()));
    }
  }
  return {};
}

}  // namespace cci::store
