// mcp/project_service.h — which indexed project a tool call is about, and read-only connections
// to its index.
//
// A call names a directory (its `project_path` argument, else the session's default); the
// service walks up to the registered root enclosing it. Index connections are cached per
// (thread, project) because an IndexStore is a single SQLite connection and the server's worker
// threads are long-lived; a cached connection is reopened when the database file was replaced
// (a full re-index renames a new file over index.db, and an open connection would keep reading
// the old, unlinked inode forever). Paths that tool arguments or resource URIs name are checked
// to stay inside the project root.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/index_store.h"
#include "store/registry.h"

namespace cci::mcp {

// One cached connection group, for manage_cache.
struct ConnectionInfo {
  std::string root;
  std::string db_path;
  std::size_t connections = 0;  // threads holding an open connection to this index
  std::uint64_t database_bytes = 0;
};

// A connection together with the identity of the database file it reads (see open_identified).
struct OpenIndex {
  std::shared_ptr<store::IndexStore> store;
  dev_t device = 0;
  ino_t inode = 0;
};

class ProjectService {
 public:
  // `data_dir` empty = cci::data_dir(). `max_connections` bounds the cache across all threads.
  explicit ProjectService(std::filesystem::path data_dir, std::size_t max_connections = 64);
  ~ProjectService();
  ProjectService(const ProjectService&) = delete;
  ProjectService& operator=(const ProjectService&) = delete;

  const std::filesystem::path& data_dir() const { return data_dir_; }

  // The registered project whose root is `start` or its nearest ancestor. NotIndexed (with the
  // message that tells an agent what to call) when there is none.
  Result<store::ProjectRecord> resolve(const std::filesystem::path& start);

  // This thread's read-only connection to the project's index; opened on first use, reopened
  // when index.db is a different file than when it was opened. The shared_ptr keeps it alive
  // for the caller even if the cache is cleared meanwhile.
  Result<std::shared_ptr<store::IndexStore>> open(const store::ProjectRecord& project);
  // The same, plus the device/inode of the file that connection reads: what a result computed
  // through it belongs to (a full re-index replaces the file, so the identity changes).
  Result<OpenIndex> open_identified(const store::ProjectRecord& project);

  Result<std::vector<store::ProjectRecord>> list_projects();

  // `path` (relative to the root, or absolute) as a '/'-separated path relative to the root.
  // ErrorCode::Refused "path is outside the project root" when it escapes the root.
  static Result<std::string> relative_path(const store::ProjectRecord& project, std::string_view path);

  std::vector<ConnectionInfo> connections() const;
  // How many distinct indexes have a cached connection (connections().size() without the stats).
  std::size_t open_indexes() const;
  // Drops every cached connection (those in use close when their call finishes); returns how many.
  std::size_t close_all();

  // The project most recently resolved by any call: the context for prompt-argument completion,
  // which the protocol gives no session or project.
  std::optional<store::ProjectRecord> last_project() const;

 private:
  struct Entry {
    std::shared_ptr<store::IndexStore> store;
    std::string root;
    std::string db_path;
    dev_t device = 0;
    ino_t inode = 0;
    std::uint64_t last_used = 0;
  };
  using Key = std::pair<std::thread::id, std::string>;  // (thread, db path)

  std::filesystem::path data_dir_;
  std::size_t max_connections_;
  // registry.db and its WAL as last seen: while neither changed, resolutions are served from
  // resolved_ instead of opening the registry on every tool call.
  struct RegistryStamp {
    std::int64_t db_mtime_ns = -1, db_size = -1, wal_mtime_ns = -1, wal_size = -1;
    bool operator==(const RegistryStamp&) const = default;
  };
  RegistryStamp registry_stamp() const;

  mutable std::mutex mutex_;
  RegistryStamp resolved_stamp_;                                 // guarded by mutex_
  std::map<std::string, store::ProjectRecord> resolved_;         // canonical dir -> project, guarded by mutex_
  std::map<Key, Entry> cache_;
  std::uint64_t tick_ = 0;
  std::optional<store::ProjectRecord> last_project_;
};

}  // namespace cci::mcp
