// mcp/project_service.cpp — project resolution, the per-(thread, project) connection cache and
// the path containment check.
#include "mcp/project_service.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "core/paths.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;

Error not_indexed(const std::string& path) {
  return Error{ErrorCode::NotIndexed,
               fmt::format("project {} is not indexed — call index_codebase with project_path={}", path, path)};
}

Error outside_root(std::string_view path) {
  return Error{ErrorCode::Refused, fmt::format("path is outside the project root: {}", path)};
}

}  // namespace

ProjectService::ProjectService(fs::path data_dir, std::size_t max_connections)
    : data_dir_(data_dir.empty() ? cci::data_dir() : std::move(data_dir)),
      max_connections_(std::max<std::size_t>(1, max_connections)) {}

ProjectService::~ProjectService() = default;

ProjectService::RegistryStamp ProjectService::registry_stamp() const {
  RegistryStamp stamp;
  struct ::stat st {};
  const fs::path db = data_dir_ / "registry.db";
  if (::stat(db.c_str(), &st) == 0) {
    stamp.db_mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    stamp.db_size = static_cast<std::int64_t>(st.st_size);
  }
  const fs::path wal = data_dir_ / "registry.db-wal";
  if (::stat(wal.c_str(), &st) == 0) {
    stamp.wal_mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    stamp.wal_size = static_cast<std::int64_t>(st.st_size);
  }
  return stamp;
}

Result<store::ProjectRecord> ProjectService::resolve(const fs::path& start) {
  const fs::path dir = canonical_root(start);
  // A warm tool call must not pay for opening the registry: every registration writes
  // registry.db or its WAL, so an unchanged pair of stats means an unchanged answer.
  const RegistryStamp stamp = registry_stamp();
  {
    std::lock_guard lock(mutex_);
    if (stamp == resolved_stamp_) {
      if (auto it = resolved_.find(dir.string()); it != resolved_.end()) {
        last_project_ = it->second;
        return it->second;
      }
    } else {
      resolved_.clear();
      resolved_stamp_ = stamp;
    }
  }
  auto registry = store::Registry::open(data_dir_);
  if (!registry) return std::unexpected(registry.error());
  auto found = (*registry)->find_enclosing(dir);
  if (!found) return std::unexpected(found.error());
  if (!*found) return std::unexpected(not_indexed(dir.string()));
  std::lock_guard lock(mutex_);
  last_project_ = **found;
  if (stamp == resolved_stamp_) resolved_.insert_or_assign(dir.string(), **found);
  return std::move(**found);
}

Result<std::shared_ptr<store::IndexStore>> ProjectService::open(const store::ProjectRecord& project) {
  auto opened = open_identified(project);
  if (!opened) return std::unexpected(opened.error());
  return std::move(opened->store);
}

Result<OpenIndex> ProjectService::open_identified(const store::ProjectRecord& project) {
  struct ::stat st{};
  if (::stat(project.db_path.c_str(), &st) != 0) return std::unexpected(not_indexed(project.root));
  const Key key{std::this_thread::get_id(), project.db_path};
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.device == st.st_dev && it->second.inode == st.st_ino) {
        it->second.last_used = ++tick_;
        return OpenIndex{it->second.store, st.st_dev, st.st_ino};
      }
      cache_.erase(it);  // replaced by a full re-index: the old connection reads a dead file
    }
  }
  // Opened outside the lock: SQLite may wait on a busy database, and other threads need the cache.
  auto opened = store::IndexStore::open(project.db_path, store::OpenMode::ReadOnly);
  if (!opened) {
    if (opened.error().code == ErrorCode::NotIndexed || opened.error().code == ErrorCode::NotFound)
      return std::unexpected(not_indexed(project.root));
    return std::unexpected(opened.error());
  }
  std::shared_ptr<store::IndexStore> db = std::move(*opened);
  std::lock_guard lock(mutex_);
  Entry entry{db, project.root, project.db_path, st.st_dev, st.st_ino, ++tick_};
  cache_.insert_or_assign(key, std::move(entry));
  while (cache_.size() > max_connections_) {
    auto oldest = std::min_element(cache_.begin(), cache_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    cache_.erase(oldest);  // a caller still using it holds its own reference
  }
  return OpenIndex{std::move(db), st.st_dev, st.st_ino};
}

Result<std::vector<store::ProjectRecord>> ProjectService::list_projects() {
  auto registry = store::Registry::open(data_dir_);
  if (!registry) return std::unexpected(registry.error());
  return (*registry)->list();
}

Result<std::string> ProjectService::relative_path(const store::ProjectRecord& project, std::string_view path) {
  if (path.empty()) return make_error(ErrorCode::InvalidArgument, "path is empty");
  const fs::path root(project.root);
  const fs::path given(path);
  std::string rel;
  if (given.is_absolute()) {
    // Lexically first, so files reached through a symlinked directory inside the root (which
    // the scanner follows) keep their indexed spelling; then with symlinks resolved, for roots
    // spelled differently (/tmp vs /private/tmp).
    rel = relative_to(root, given.lexically_normal());
    if (rel.empty()) rel = relative_to(root, canonical_root(given));
    if (rel.empty()) {
      if (given.lexically_normal() == root || canonical_root(given) == root) return std::string(".");
      return std::unexpected(outside_root(path));
    }
  } else {
    rel = given.lexically_normal().generic_string();
    while (rel.size() > 1 && rel.back() == '/') rel.pop_back();
    if (rel.empty() || rel == ".") return std::string(".");
    // Lexical only: what is served comes from the index, never from the disk behind a symlink.
    if (!is_safe_relative(rel)) return std::unexpected(outside_root(path));
  }
  if (rel.starts_with("./")) rel.erase(0, 2);
  return rel;
}

std::vector<ConnectionInfo> ProjectService::connections() const {
  std::map<std::string, ConnectionInfo> by_db;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, entry] : cache_) {
      ConnectionInfo& info = by_db[entry.db_path];
      info.root = entry.root;
      info.db_path = entry.db_path;
      ++info.connections;
    }
  }
  std::vector<ConnectionInfo> out;
  for (auto& [path, info] : by_db) {
    std::error_code ec;
    const auto bytes = fs::file_size(path, ec);
    info.database_bytes = ec ? 0 : bytes;
    out.push_back(std::move(info));
  }
  return out;
}

std::size_t ProjectService::open_indexes() const {
  std::set<std::string_view> distinct;
  std::lock_guard lock(mutex_);
  for (const auto& [key, entry] : cache_) distinct.insert(key.second);
  return distinct.size();
}

std::size_t ProjectService::close_all() {
  std::map<Key, Entry> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(cache_);
  }
  return dropped.size();  // closed here, outside the lock
}

std::optional<store::ProjectRecord> ProjectService::last_project() const {
  std::lock_guard lock(mutex_);
  return last_project_;
}

}  // namespace cci::mcp
