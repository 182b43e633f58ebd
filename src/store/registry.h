// store/registry.h — the list of indexed projects in the data directory (registry.db).
//
// Maps a project root (canonical absolute path) to its index database under
// <data_dir>/projects/<id>/index.db. Used to find the project that contains a directory
// (walking up), and by `cci projects`.
//
// Thread safety: one Registry per thread; SQLite serialises writers across processes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace cci::store {

struct ProjectRecord {
  std::string root;      // canonical absolute path
  std::string name;      // basename of root
  std::string db_path;   // absolute path of index.db
  std::int64_t indexed_at = 0;  // unix seconds of the last completed index, 0 = never
  std::uint64_t files = 0;
  std::uint64_t symbols = 0;
  bool watch = true;     // the daemon keeps this project current (`cci watch on|off`); upsert() keeps it
};

class Registry {
 public:
  // Opens (creating if needed) <data_dir>/registry.db.
  static Result<std::unique_ptr<Registry>> open(const std::filesystem::path& data_dir);
  ~Registry();

  // The database path a root uses (whether or not it is registered yet).
  std::filesystem::path db_path_for(const std::filesystem::path& root) const;

  // Inserts or updates a project; an existing project's `watch` setting is kept.
  Status upsert(const ProjectRecord& project);
  // NotFound if `root` is not registered.
  Status set_watch(const std::filesystem::path& root, bool watch);
  Result<std::vector<ProjectRecord>> list();
  Result<std::optional<ProjectRecord>> find(const std::filesystem::path& root);
  // The registered project whose root is `dir` or its nearest ancestor.
  Result<std::optional<ProjectRecord>> find_enclosing(const std::filesystem::path& dir);
  // Removes the registration and deletes the project's index directory.
  Status remove(const std::filesystem::path& root);

 private:
  struct Impl;
  explicit Registry(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cci::store
