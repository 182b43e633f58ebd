// watch/freshness.h — keeps every served project's index current and says how current it is.
//
// The FreshnessService owns one Watcher. A project is watched from the first time it is served
// (watch_project(), idempotent) unless watching is turned off for it in the registry
// (`cci watch off`). Watching starts with a reconcile pass (index::index_project, incremental:
// size + mtime, then content hash) that runs while queries keep being answered from the
// previous index; then every debounced batch of changed paths is applied with
// index::update_paths (only those files re-read, re-parsed when their hash changed, their edges
// re-resolved). A rescan batch (lost events, ignore rules changed, watch limit) runs a reconcile
// pass instead. Updates run on one background thread, one project at a time, so a branch switch
// that touches thousands of files becomes one update. When an update leaves ranks approximate
// (index::IndexReport::graph_exact == false) and the project has at most
// `exact_max_symbols` symbols, an exact recompute (index_project) runs once the project has
// been quiet for `exact_after_idle`.
//
// Readers never wait: every update is one SQLite transaction, so a query sees the previous
// complete index until the update commits, and results are cached by generation.
//
// Thread safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "index/indexer.h"
#include "watch/watcher.h"

namespace cci::watch {

struct FreshnessOptions {
  std::filesystem::path data_dir;                 // empty = cci::data_dir()
  WatchOptions watch;
  std::size_t index_workers = 0;                  // parser threads per update; 0 = default
  std::chrono::milliseconds exact_after_idle{2000};
  std::size_t exact_max_symbols = 1'000'000;      // larger projects keep approximate ranks until `cci index`
  // Projects up to this size are re-resolved and re-ranked whole on every update (exact at once);
  // see index::IndexOptions::exact_graph_max_symbols.
  std::size_t exact_graph_max_symbols = index::IndexOptions{}.exact_graph_max_symbols;
  // Called on the update thread after each committed update or failure (logging, metrics).
  std::function<void(const std::filesystem::path& root, const Result<index::IndexReport>& outcome,
                     std::string_view kind)> on_update;  // kind: "update", "reconcile", "exact"
};

enum class ProjectWatchState : std::uint8_t {
  Off,          // watching disabled for this project (`cci watch off`) or no service
  Reconciling,  // the start-up (or rescan) reconcile pass is running; answers come from the previous index
  Watching,     // inotify watches in place, index current up to the pending changes
  Degraded,     // watch limit reached: periodic reconciliation instead of events
  Failed,       // the last update failed (see last_error); retried on the next change
};
std::string_view to_string(ProjectWatchState state);  // "off", "reconciling", "watching", "degraded", "failed"

struct ProjectFreshness {
  ProjectWatchState state = ProjectWatchState::Off;
  std::size_t pending_paths = 0;       // changed on disk, not yet in the index (waiting or being applied)
  bool updating = false;               // an update of this project is running now
  std::uint64_t updates_applied = 0;   // batches committed since the project was first watched
  std::int64_t last_update_unix_ms = 0;
  double last_update_ms = 0;           // duration of the last committed update
  std::size_t watched_directories = 0;
  bool graph_exact = true;             // false: ranks approximate since the watcher's first update
  std::string detail;                  // degraded reason or last error
};

class FreshnessService {
 public:
  static Result<std::unique_ptr<FreshnessService>> create(FreshnessOptions options);
  ~FreshnessService();  // stops watching; an update in progress is finished or rolled back first
  FreshnessService(const FreshnessService&) = delete;
  FreshnessService& operator=(const FreshnessService&) = delete;

  // Starts watching an indexed project (canonical root) unless it is turned off in the registry.
  // Cheap when already watched: every tool call may call it.
  void watch_project(const std::filesystem::path& root);
  // Re-reads the registry's watch setting for `root` (after `cci watch on|off`), starting or
  // stopping its watch.
  void refresh_setting(const std::filesystem::path& root);
  void unwatch_project(const std::filesystem::path& root);

  std::optional<ProjectFreshness> status(const std::filesystem::path& root) const;
  std::vector<std::filesystem::path> watched_roots() const;

  // Blocks until `root` has no pending or running update, or the timeout passes; true if idle.
  bool wait_idle(const std::filesystem::path& root, std::chrono::milliseconds timeout) const;

 private:
  struct Impl;
  explicit FreshnessService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cci::watch
