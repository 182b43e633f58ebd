// watch/freshness.cpp — the FreshnessService: turns the Watcher's batches into incremental index
// updates on one background thread and keeps each watched project's freshness (see freshness.h).
//
// Locking: one mutex guards the project table. It is never held while indexing or while calling
// the Watcher (the Watcher calls back into us from its own thread, possibly under its own lock,
// so holding ours across a Watcher call could deadlock). Every Watcher add()/remove() runs on the
// update thread, in order, so a quick off/on of a project can never leave the watch removed.
//
// A watch that failed (the root was deleted, moved or unmounted) is placed again by the rescan
// its failure triggers; one that cannot be placed is retried every reconcile_interval. Before
// any whole-project pass the registry is asked whether the project still exists there: an index
// deleted by hand is rebuilt, a project removed with `cci remove` is forgotten, not re-created.
#include "watch/freshness.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <system_error>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/log.h"
#include "core/paths.h"
#include "store/registry.h"

namespace cci::watch {
namespace {

// An update decodes thousands of stored extractions on a large project and frees them at once.
// When the binary links mimalloc (the cci executable does), ask it to hand those pages back now
// instead of keeping them cached: the daemon stays small between updates. Weak, so tests that
// use the system allocator link without it.
extern "C" void mi_collect(bool force) __attribute__((weak));

void return_freed_memory() {
  if (mi_collect != nullptr) mi_collect(true);
}

}  // namespace


namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::string_view to_string(ProjectWatchState state) {
  switch (state) {
    case ProjectWatchState::Off: return "off";
    case ProjectWatchState::Reconciling: return "reconciling";
    case ProjectWatchState::Watching: return "watching";
    case ProjectWatchState::Degraded: return "degraded";
    case ProjectWatchState::Failed: return "failed";
  }
  return "unknown";
}

namespace {

// One project as the service sees it. A project turned off (or unwatched) is never turned back
// on: a new Project replaces it, so an update still running for the old one can tell it was
// superseded and discards its outcome.
struct Project {
  fs::path root;
  bool enabled = false;        // false: cached "off" (not registered or `cci watch off`)
  ProjectWatchState state = ProjectWatchState::Off;
  bool needs_start = false;    // watcher->add() and the start-up reconcile pass are still to run
  SteadyClock::time_point retry_start_at{};  // a watch that could not be placed: when to try again
  std::set<std::string> pending;
  bool rescan = false;
  std::string rescan_reason;
  bool held = false;           // the last run failed: wait for the next batch before retrying
  bool updating = false;
  std::size_t running_paths = 0;
  SteadyClock::time_point last_activity{};  // the last batch or committed run: "quiet since"
  bool exact_due = false;      // ranks are approximate and the project is small enough to recompute
  std::uint64_t updates_applied = 0;
  std::int64_t last_update_unix_ms = 0;
  double last_update_ms = 0;
  bool graph_exact = true;
  std::string detail;

  bool has_work() const { return enabled && !held && (needs_start || rescan || !pending.empty()); }
  // Nothing will run for this project without a new change (a held failure counts as idle).
  bool idle() const { return !updating && (!enabled || held || (!needs_start && !rescan && pending.empty())); }
};

enum class JobKind { Start, Reconcile, Update, Exact };

struct Job {
  std::shared_ptr<Project> project;
  JobKind kind = JobKind::Update;
  std::vector<std::string> paths;
  bool rescan = false;
  std::string rescan_reason;
};

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string_view kind_name(JobKind kind) {
  switch (kind) {
    case JobKind::Update: return "update";
    case JobKind::Exact: return "exact";
    case JobKind::Start:
    case JobKind::Reconcile: return "reconcile";
  }
  return "update";
}

}  // namespace

struct FreshnessService::Impl {
  FreshnessOptions options;
  index::IndexOptions index_options;
  std::unique_ptr<Watcher> watcher;

  mutable std::mutex mutex;
  std::condition_variable work_cv;          // the update thread waits here
  mutable std::condition_variable idle_cv;  // wait_idle() waits here
  std::map<std::string, std::shared_ptr<Project>> projects;  // by canonical root
  std::deque<fs::path> removals;            // watches to remove, on the update thread
  std::string last_served;                  // round-robin cursor
  bool stopping = false;
  std::atomic<bool> cancel{false};
  std::thread thread;

  // --- called with `mutex` held ---------------------------------------------------------------

  std::shared_ptr<Project> find_locked(const std::string& root) const {
    auto it = projects.find(root);
    return it == projects.end() ? nullptr : it->second;
  }

  // Replaces whatever is known about `root` with an enabled project whose watch is still to start.
  void enable_locked(const fs::path& root) {
    auto project = std::make_shared<Project>();
    project->root = root;
    project->enabled = true;
    project->state = ProjectWatchState::Reconciling;
    project->needs_start = true;
    if (auto old = find_locked(root.string())) old->enabled = false;
    projects[root.string()] = std::move(project);
    work_cv.notify_one();
  }

  // Forgets `root` (or caches it as off when `keep_off`), queueing its watch's removal.
  void disable_locked(const fs::path& root, bool keep_off) {
    auto old = find_locked(root.string());
    if (old && old->enabled) {
      old->enabled = false;
      removals.push_back(root);
      work_cv.notify_one();
    }
    if (keep_off) {
      auto off = std::make_shared<Project>();
      off->root = root;
      projects[root.string()] = std::move(off);
    } else {
      projects.erase(root.string());
    }
    idle_cv.notify_all();
  }

  // The next job, round-robin over projects with work; an exact recompute only once nothing else
  // is waiting. Sets `wake_at` to when an exact recompute becomes due, if one is waiting.
  std::optional<Job> next_job_locked(std::optional<SteadyClock::time_point>& wake_at) {
    wake_at.reset();
    if (projects.empty()) return std::nullopt;
    const auto now = SteadyClock::now();
    auto wake_by = [&](SteadyClock::time_point t) {
      if (!wake_at || t < *wake_at) wake_at = t;
    };
    for (auto& [key, project] : projects) {
      // A watch that could not be placed: nothing else would ever try again.
      if (!project->enabled || !project->held || !project->needs_start || project->updating) continue;
      if (project->retry_start_at <= now) {
        project->held = false;
      } else {
        wake_by(project->retry_start_at);
      }
    }
    auto start = projects.upper_bound(last_served);
    std::shared_ptr<Project> chosen;
    for (std::size_t i = 0; i < projects.size() && !chosen; ++i, ++start) {
      if (start == projects.end()) start = projects.begin();
      if (start->second->has_work()) chosen = start->second;
    }
    if (chosen) {
      last_served = chosen->root.string();
      Job job;
      job.project = chosen;
      if (chosen->needs_start) {
        job.kind = JobKind::Start;
        chosen->needs_start = false;
      } else if (chosen->rescan) {
        job.kind = JobKind::Reconcile;
        chosen->state = ProjectWatchState::Reconciling;
      } else {
        job.kind = JobKind::Update;
      }
      // The whole pending set at once: several batches that arrived during the previous run
      // (a branch switch) become one update. A reconcile covers them too.
      job.paths.assign(chosen->pending.begin(), chosen->pending.end());
      chosen->pending.clear();
      job.rescan = std::exchange(chosen->rescan, false);
      job.rescan_reason = std::exchange(chosen->rescan_reason, {});
      chosen->updating = true;
      chosen->running_paths = job.paths.size();
      return job;
    }
    for (auto& [root, project] : projects) {
      if (!project->enabled || !project->exact_due || project->held) continue;
      const auto due = project->last_activity + options.exact_after_idle;
      if (due <= now) {
        project->exact_due = false;
        project->updating = true;
        return Job{.project = project, .kind = JobKind::Exact};
      }
      wake_by(due);
    }
    return std::nullopt;
  }

  // --- update thread --------------------------------------------------------------------------

  void run_loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      if (!removals.empty()) {
        const fs::path root = std::move(removals.front());
        removals.pop_front();
        lock.unlock();
        watcher->remove(root);
        lock.lock();
        continue;
      }
      std::optional<SteadyClock::time_point> wake_at;
      std::optional<Job> job = next_job_locked(wake_at);
      if (!job) {
        if (wake_at) {
          work_cv.wait_until(lock, *wake_at);
        } else {
          work_cv.wait(lock);
        }
        continue;
      }
      lock.unlock();
      run_job(*job);
      lock.lock();
    }
  }

  // An indexer call, with any exception it lets out (a corrupt meta value, bad_alloc) turned into
  // an error: it must not end the update thread, and with it the process.
  template <class Run>
  static Result<index::IndexReport> run_indexer(std::string_view what, Run&& run) {
    try {
      return run();
    } catch (const std::exception& e) {
      return make_error(ErrorCode::Internal, fmt::format("{} failed: {}", what, e.what()));
    }
  }

  // Whether `root` is still registered. A whole-project pass creates the index and registers the
  // project, so it must not run for a project removed from the registry meanwhile.
  Result<bool> still_registered(const fs::path& root) const {
    auto registry = store::Registry::open(options.data_dir.empty() ? cci::data_dir() : options.data_dir);
    if (!registry) return std::unexpected(registry.error());
    auto record = (*registry)->find(root);
    if (!record) return std::unexpected(record.error());
    return record->has_value();
  }

  void run_job(Job& job) {
    Project& project = *job.project;
    const fs::path& root = project.root;
    if (job.kind == JobKind::Reconcile) {
      // A rescan after the watch failed (root deleted, moved, unmounted): place it again first.
      if (const auto watch = watcher->status(root); !watch || watch->state == WatchState::Failed) {
        job.kind = JobKind::Start;
      }
    }
    if (job.kind == JobKind::Start) {
      // Placing the watches first means a change made during the reconcile pass is still seen.
      const Status added = watcher->add(root);
      std::unique_lock lock(mutex);
      if (!project.enabled) {
        // Turned off while the watches were being placed; its removal is queued behind this job.
        finish_locked(project);
        return;
      }
      if (!added) {
        const bool retry = project.retry_start_at != SteadyClock::time_point{};  // failed before: warned already
        project.state = ProjectWatchState::Failed;
        project.detail = added.error().describe();
        project.held = true;
        project.needs_start = true;  // the whole start (watch + reconcile) runs again, which covers job.paths
        project.retry_start_at = SteadyClock::now() + options.watch.reconcile_interval;
        if (retry) {
          log::debug("watch: {}: still cannot watch: {}", root.string(), project.detail);
        } else {
          log::warn("watch: {}: cannot watch: {}; retrying every {}s", root.string(), project.detail,
                    options.watch.reconcile_interval.count());
        }
        finish_locked(project);
        return;
      }
      project.retry_start_at = {};
    }

    const auto started = SteadyClock::now();
    JobKind ran = job.kind;
    // nullopt: the project is no longer registered, so no pass ran.
    // Reconcile passes scan the whole tree but apply what they find like a watcher batch (no
    // whole-graph pass on a kernel-sized project); only the exact pass re-resolves everything.
    auto whole_project_pass = [&]() -> std::optional<Result<index::IndexReport>> {
      auto registered = still_registered(root);
      if (!registered) return Result<index::IndexReport>(std::unexpected(registered.error()));
      if (!*registered) return std::nullopt;
      index::IndexOptions pass_options = index_options;
      pass_options.delta_reconcile = job.kind != JobKind::Exact;
      return run_indexer("index_project", [&] { return index::index_project(root, pass_options); });
    };
    std::optional<Result<index::IndexReport>> ran_outcome;
    if (job.kind == JobKind::Update) {
      ran_outcome = run_indexer("update_paths", [&] { return index::update_paths(root, job.paths, index_options); });
      if (!*ran_outcome && ran_outcome->error().code == ErrorCode::NotFound) {
        // The index is gone (deleted by hand, or `cci remove`): rebuild it from the tree, unless
        // the project is no longer registered.
        log::info("watch: {}: no index to update ({}); reconciling", root.string(), ran_outcome->error().message);
        ran = JobKind::Reconcile;
        ran_outcome = whole_project_pass();
      }
    } else {
      if (job.rescan && !job.rescan_reason.empty())
        log::info("watch: {}: reconciling: {}", root.string(), job.rescan_reason);
      ran_outcome = whole_project_pass();
    }
    if (!ran_outcome) {
      std::unique_lock lock(mutex);
      finish_locked(project);
      if (project.enabled) {
        log::info("watch: {}: no longer a registered project; no longer watched", root.string());
        disable_locked(root, /*keep_off=*/false);  // a later watch_project() reads the registry afresh
      }
      return;
    }
    Result<index::IndexReport> outcome = std::move(*ran_outcome);
    const double elapsed_ms =
        std::chrono::duration<double, std::milli>(SteadyClock::now() - started).count();

    if (!outcome && outcome.error().code == ErrorCode::Cancelled && cancel.load()) {
      std::unique_lock lock(mutex);
      finish_locked(project);
      return;  // shutting down: the run rolled back, nothing to record
    }

    {
      std::unique_lock lock(mutex);
      if (!project.enabled) {
        finish_locked(project);
        return;  // unwatched or turned off meanwhile: nobody asks about this project any more
      }
      if (outcome) {
        ++project.updates_applied;
        project.last_update_ms = elapsed_ms;
        project.last_update_unix_ms = unix_ms_now();
        project.graph_exact = outcome->graph_exact;
        // An exact run that still reports approximate ranks is not retried in a loop.
        project.exact_due =
            ran != JobKind::Exact && !outcome->graph_exact && outcome->symbols <= options.exact_max_symbols;
        project.last_activity = SteadyClock::now();
        project.state = ProjectWatchState::Watching;
        project.detail.clear();
        project.held = false;
      } else {
        project.state = ProjectWatchState::Failed;
        project.detail = outcome.error().describe();
        project.held = true;
        // Nothing is lost: the paths (or the reconcile) run again with the next batch.
        project.pending.insert(job.paths.begin(), job.paths.end());
        if (job.kind == JobKind::Start || job.kind == JobKind::Reconcile || job.rescan) project.rescan = true;
        if (job.kind == JobKind::Exact) project.exact_due = true;
      }
      finish_locked(project);
    }

    if (outcome) {
      const auto& report = *outcome;
      switch (ran) {
        case JobKind::Update:
          log::debug("watch: {}: applied {} paths in {:.0f} ms (generation {})", root.string(), job.paths.size(),
                    elapsed_ms, report.generation);
          break;
        case JobKind::Exact:
          log::info("watch: {}: exact ranks recomputed in {:.0f} ms (generation {})", root.string(), elapsed_ms,
                    report.generation);
          break;
        case JobKind::Start:
        case JobKind::Reconcile:
          log::info("watch: {}: reconciled ({} parsed, {} removed) in {:.0f} ms (generation {})", root.string(),
                    report.files_parsed, report.files_removed, elapsed_ms, report.generation);
          break;
      }
    } else {
      log::warn("watch: {}: {} failed: {}", root.string(), kind_name(ran), outcome.error().describe());
    }
    if (options.on_update) options.on_update(root, outcome, kind_name(ran));
    return_freed_memory();
  }

  void finish_locked(Project& project) {
    project.updating = false;
    project.running_paths = 0;
    idle_cv.notify_all();
  }

  // --- watcher thread -------------------------------------------------------------------------

  void on_batch(ChangeBatch batch) {
    std::lock_guard lock(mutex);
    idle_cv.notify_all();
    auto project = find_locked(batch.root.string());
    if (!project || !project->enabled) return;
    project->last_activity = SteadyClock::now();
    project->held = false;
    for (auto& path : batch.paths) project->pending.insert(std::move(path));
    if (batch.rescan) {
      project->rescan = true;
      project->rescan_reason = std::move(batch.rescan_reason);
    }
    work_cv.notify_one();
  }

  // --- callers' threads -----------------------------------------------------------------------

  // Whether the registry says `root` should be watched. A registry error counts as "not now".
  bool watch_enabled_in_registry(const fs::path& root) const {
    auto registry = store::Registry::open(options.data_dir.empty() ? cci::data_dir() : options.data_dir);
    if (!registry) {
      log::warn("watch: {}: cannot read the registry: {}", root.string(), registry.error().describe());
      return false;
    }
    auto record = (*registry)->find(root);
    if (!record) {
      log::warn("watch: {}: cannot read the registry: {}", root.string(), record.error().describe());
      return false;
    }
    return record->has_value() && (*record)->watch;
  }
};

FreshnessService::FreshnessService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<FreshnessService>> FreshnessService::create(FreshnessOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->index_options.data_dir = impl->options.data_dir;
  impl->index_options.workers = impl->options.index_workers;
  impl->index_options.exact_graph_max_symbols = impl->options.exact_graph_max_symbols;
  impl->index_options.scan = impl->options.watch.scan;  // the watcher and the index agree on what is ignored
  impl->index_options.cancel = &impl->cancel;
  Impl* raw = impl.get();
  auto watcher = Watcher::create([raw](ChangeBatch batch) { raw->on_batch(std::move(batch)); }, impl->options.watch);
  if (!watcher) return std::unexpected(watcher.error());
  impl->watcher = std::move(*watcher);
  try {
    impl->thread = std::thread([raw] { raw->run_loop(); });
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::Internal, fmt::format("cannot start the freshness update thread: {}", e.what()));
  }
  return std::unique_ptr<FreshnessService>(new FreshnessService(std::move(impl)));
}

FreshnessService::~FreshnessService() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->cancel.store(true);
    impl_->work_cv.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->watcher.reset();  // no callback runs after this, so Impl may go
}

void FreshnessService::watch_project(const fs::path& root) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->projects.contains(root.string())) return;  // the common case: one map lookup
  }
  const fs::path canonical = canonical_root(root);
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->projects.contains(canonical.string())) return;
  }
  const bool enabled = impl_->watch_enabled_in_registry(canonical);
  std::lock_guard lock(impl_->mutex);
  if (impl_->projects.contains(canonical.string())) return;  // another caller won the race
  if (enabled) {
    impl_->enable_locked(canonical);
  } else {
    auto off = std::make_shared<Project>();
    off->root = canonical;
    impl_->projects.emplace(canonical.string(), std::move(off));
  }
}

void FreshnessService::refresh_setting(const fs::path& root) {
  const fs::path canonical = canonical_root(root);
  const bool enabled = impl_->watch_enabled_in_registry(canonical);
  std::lock_guard lock(impl_->mutex);
  auto project = impl_->find_locked(canonical.string());
  if (enabled) {
    if (project && project->enabled) {
      // Already on; a watch that could not be placed gets another try.
      if (project->state == ProjectWatchState::Failed && project->needs_start) {
        project->held = false;
        impl_->work_cv.notify_one();
      }
      return;
    }
    impl_->enable_locked(canonical);
  } else {
    impl_->disable_locked(canonical, /*keep_off=*/true);
  }
}

void FreshnessService::unwatch_project(const fs::path& root) {
  const fs::path canonical = canonical_root(root);
  std::lock_guard lock(impl_->mutex);
  impl_->disable_locked(canonical, /*keep_off=*/false);
}

std::optional<ProjectFreshness> FreshnessService::status(const fs::path& root) const {
  fs::path key = root;
  std::shared_ptr<Project> project;
  {
    std::lock_guard lock(impl_->mutex);
    project = impl_->find_locked(key.string());
  }
  if (!project) {
    key = canonical_root(root);
    std::lock_guard lock(impl_->mutex);
    project = impl_->find_locked(key.string());
  }
  if (!project) return std::nullopt;
  // The watcher is asked without our lock held (it calls back into us under its own).
  const std::optional<WatchStatus> watch = impl_->watcher->status(project->root);

  std::lock_guard lock(impl_->mutex);
  ProjectFreshness out;
  out.state = project->enabled ? project->state : ProjectWatchState::Off;
  out.pending_paths = project->pending.size() + project->running_paths;
  out.updating = project->updating;
  out.updates_applied = project->updates_applied;
  out.last_update_unix_ms = project->last_update_unix_ms;
  out.last_update_ms = project->last_update_ms;
  out.graph_exact = project->graph_exact;
  out.detail = project->detail;
  if (project->enabled && watch) {
    out.watched_directories = watch->directories;
    out.pending_paths += watch->pending_paths;  // seen by the watcher, not yet delivered
    if (out.state == ProjectWatchState::Watching && watch->state != WatchState::Watching) {
      out.state = watch->state == WatchState::Degraded ? ProjectWatchState::Degraded : ProjectWatchState::Failed;
      out.detail = watch->detail;
    }
  }
  return out;
}

std::vector<fs::path> FreshnessService::watched_roots() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<fs::path> out;
  for (const auto& [key, project] : impl_->projects)
    if (project->enabled) out.push_back(project->root);
  return out;
}

bool FreshnessService::wait_idle(const fs::path& root, std::chrono::milliseconds timeout) const {
  const auto deadline = SteadyClock::now() + timeout;
  const fs::path canonical = canonical_root(root);
  while (true) {
    // Changes the watcher has seen but not yet delivered count as pending too. Its status is
    // read without our lock; the watcher publishes a delivered batch's paths as no longer
    // pending only after on_batch() put them in the project, so none slips between the two reads.
    const std::optional<WatchStatus> watch = impl_->watcher->status(canonical);
    std::unique_lock lock(impl_->mutex);
    auto project = impl_->find_locked(canonical.string());
    if (!project || !project->enabled) return true;
    const bool watcher_quiet = !watch || watch->pending_paths == 0;
    if (project->idle() && watcher_quiet) return true;
    const auto now = SteadyClock::now();
    if (now >= deadline) return false;
    // Our own work signals idle_cv; the watcher's debounce does not, so re-check it periodically.
    const auto slice = watcher_quiet ? deadline : std::min(deadline, now + std::chrono::milliseconds(20));
    impl_->idle_cv.wait_until(lock, slice);
  }
}

}  // namespace cci::watch
