// watch/watcher.h — recursive inotify watching of project trees.
//
// One inotify instance and one thread serve every watched root. Directories are watched
// recursively; a directory created (or moved in) after watching began is watched and its
// contents reported, so files written into it before its watch existed are not missed. Ignore
// rules (scan::PathFilter) are applied before any work: ignored directories are never watched
// and events under them never reported. Events are debounced (a batch is delivered once the
// root has been quiet for `debounce`, or `max_delay` after its first event) and coalesced (one
// path once per batch, however many events). A queue overflow, a change to an ignore file, or a
// watch that cannot be placed (fs.inotify.max_user_watches exhausted) delivers a batch with
// `rescan = true`; in the last case the root is marked Degraded and a rescan batch is also
// delivered every `reconcile_interval` (periodic reconciliation), with one clear log line.
//
// Thread safety: all methods may be called from any thread. The callback runs on the watcher's
// thread and must not block for long (queue the work elsewhere); it must not call remove().
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
#include "scan/scanner.h"

namespace cci::watch {

struct WatchOptions {
  std::chrono::milliseconds debounce{30};        // quiet time before a batch is delivered
  std::chrono::milliseconds max_delay{500};      // ... but never later than this after its first event
  std::chrono::seconds reconcile_interval{60};   // rescan period for Degraded roots
  scan::ScanOptions scan;                        // ignore rules (extra_excludes etc.)
  std::size_t max_watches = 0;                   // 0 = the system limit; lower only in tests
};

struct ChangeBatch {
  std::filesystem::path root;       // canonical, as given to add()
  std::vector<std::string> paths;   // relative to root, '/'-separated, sorted, unique: files and
                                    // directories created, modified, deleted or moved (either end)
  bool rescan = false;              // events were lost or ignore rules changed: reconcile the whole tree
  std::string rescan_reason;        // "queue overflow", ".gitignore changed", "watch limit reached", ...
  std::size_t events = 0;           // raw inotify events coalesced into this batch
};

enum class WatchState : std::uint8_t { Watching, Degraded, Failed };
std::string_view to_string(WatchState state);  // "watching", "degraded", "failed"

struct WatchStatus {
  WatchState state = WatchState::Watching;
  std::size_t directories = 0;        // directories with a watch
  std::size_t pending_paths = 0;      // seen, not yet delivered
  std::string detail;                 // why Degraded/Failed
  std::int64_t last_event_unix_ms = 0;
  std::uint64_t batches_delivered = 0;
};

class Watcher {
 public:
  using Callback = std::function<void(ChangeBatch)>;

  // Starts the watcher thread. Fails only if inotify itself is unavailable.
  static Result<std::unique_ptr<Watcher>> create(Callback on_batch, WatchOptions options = {});
  ~Watcher();  // stops the thread; no callback runs after it returns
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Begins watching `root` recursively (idempotent). Returns once the initial watches are placed,
  // so any change made after add() returns is reported. Running out of watches is not an error:
  // the root becomes Degraded.
  Status add(const std::filesystem::path& root);
  void remove(const std::filesystem::path& root);
  std::optional<WatchStatus> status(const std::filesystem::path& root) const;
  std::vector<std::filesystem::path> roots() const;

 private:
  struct Impl;
  explicit Watcher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cci::watch
