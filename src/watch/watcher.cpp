// watch/watcher.cpp — the recursive inotify watcher: one inotify instance, one thread, every root.
//
// The thread owns every piece of watch bookkeeping and the roots' PathFilters. Other threads talk
// to it through a command queue (add/remove, answered through a promise, so add() returns once
// the watches are placed and no callback for a root runs after remove() returns) and read a
// status snapshot it republishes after every step, so status() never waits for a long walk.
//
// A directory's watch is placed before it is listed, so a file created in between is listed,
// evented, or both (paths are coalesced). Moves are handled as delete + create: the moved-away
// subtree's watches are removed and the moved-in tree is walked afresh, which keeps every
// watch's path exact without pairing move cookies. Work that a burst would repeat (re-placing
// watches after ignore rules changed or events were lost) is deferred to the root's next batch,
// and happens before the batch is delivered, so the consumer's rescan starts after the watches
// it relies on are in place.
//
// .git is never walked, but .git/info/exclude holds ignore rules, so .git/info gets a watch of
// its own (not listed, nothing below it reported) and an edit of the file triggers a rescan
// like a .gitignore edit.
#include "watch/watcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <deque>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "core/log.h"
#include "core/paths.h"

namespace cci::watch {

std::string_view to_string(WatchState state) {
  switch (state) {
    case WatchState::Watching: return "watching";
    case WatchState::Degraded: return "degraded";
    case WatchState::Failed: return "failed";
  }
  return "unknown";
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// IN_DONT_FOLLOW: a directory replaced by a symlink between readdir and the watch is not
// followed. IN_EXCL_UNLINK: no events for files unlinked but still open.
constexpr std::string_view kGitInfoDir = ".git/info";

constexpr std::uint32_t kDirMask = IN_CREATE | IN_DELETE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_FROM | IN_MOVED_TO |
                                   IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK;

std::string_view base_name(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string errno_text(int err) { return std::strerror(err); }

// fs.inotify.max_user_watches, for the Degraded message; 0 when unreadable.
std::size_t system_watch_limit() {
  const int fd = ::open("/proc/sys/fs/inotify/max_user_watches", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf - 1);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  return n > 0 ? static_cast<std::size_t>(std::strtoull(buf, nullptr, 10)) : 0;
}

struct Root {
  fs::path path;  // canonical
  std::string abs;
  scan::PathFilter filter;
  WatchState state = WatchState::Watching;
  std::string detail;
  std::map<std::string, int> dirs;  // rel -> wd; ordered, so a subtree is one range

  // The batch being gathered.
  std::set<std::string> pending;
  bool rescan = false;
  std::string rescan_reason;
  std::size_t events = 0;
  std::optional<Clock::time_point> first_pending;
  Clock::time_point last_event;
  bool resync = false;  // re-place watches (ignore rules changed, events lost) before delivering

  std::int64_t last_event_unix_ms = 0;
  std::uint64_t batches = 0;
  Clock::time_point next_reconcile;  // while Degraded

  Root(fs::path p, scan::PathFilter f) : path(std::move(p)), abs(path.string()), filter(std::move(f)) {}

  std::string absolute(std::string_view rel) const { return rel.empty() ? abs : join_relative(abs, rel); }
};

// One directory watch seen from one root. The kernel gives one wd per inode, so overlapping
// roots (or a bind mount inside a root) share a wd.
struct Owner {
  Root* root = nullptr;
  std::string rel;
};

enum class Placed : std::uint8_t { Added, Existing, Duplicate, Failed, LimitReached };

struct Command {
  enum class Kind : std::uint8_t { Add, Remove } kind = Kind::Add;
  fs::path root;
  std::promise<Status> done;
};

}  // namespace

struct Watcher::Impl {
  Callback on_batch;
  WatchOptions options;
  int inotify_fd = -1;
  int wake_fd = -1;
  std::thread thread;
  std::atomic<bool> stopping{false};

  std::mutex command_mutex;
  std::deque<Command> commands;  // guarded by command_mutex
  bool thread_gone = false;      // guarded by command_mutex: no command will run any more

  mutable std::mutex status_mutex;
  std::map<fs::path, WatchStatus> published;  // guarded by status_mutex

  // Owned by the watcher thread (and by create() before it starts).
  std::map<fs::path, std::unique_ptr<Root>> roots;
  std::unordered_map<int, std::vector<Owner>> owners;  // wd -> the roots watching that directory
  std::vector<char> read_buffer = std::vector<char>(64 * 1024);
  std::size_t buffered = 0;  // bytes of an incomplete event kept from the previous read
  int last_watch_errno = 0;

  ~Impl() {
    if (inotify_fd >= 0) ::close(inotify_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  bool on_watcher_thread() const { return std::this_thread::get_id() == thread.get_id(); }

  void wake() const {
    const std::uint64_t one = 1;
    ssize_t n;
    do {
      n = ::write(wake_fd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
  }

  Status submit(Command::Kind kind, const fs::path& root) {
    if (on_watcher_thread()) return kind == Command::Kind::Add ? add_root(root) : remove_root(root);
    std::future<Status> done;
    {
      std::lock_guard lock(command_mutex);
      if (thread_gone) return make_error(ErrorCode::Internal, "the watcher thread has stopped");
      Command command{kind, root, {}};
      done = command.done.get_future();
      commands.push_back(std::move(command));
    }
    wake();
    return done.get();
  }

  // ---- the thread ----

  void run() {
    while (!stopping.load()) {
      pollfd fds[2] = {{inotify_fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};
      const int ready = ::poll(fds, 2, poll_timeout_ms(Clock::now()));
      if (ready < 0) {
        if (errno == EINTR) continue;
        log::error("watcher: poll failed: {}; file changes are no longer watched", errno_text(errno));
        break;
      }
      if ((fds[1].revents & POLLIN) != 0) {
        std::uint64_t count = 0;
        while (::read(wake_fd, &count, sizeof count) < 0 && errno == EINTR) {
        }
        run_commands();
      }
      if ((fds[0].revents & POLLIN) != 0) read_events();
      const auto now = Clock::now();
      schedule_reconciles(now);
      deliver_due(now);
    }
    std::deque<Command> left;
    {
      std::lock_guard lock(command_mutex);
      thread_gone = true;
      left.swap(commands);
    }
    for (auto& command : left) command.done.set_value(make_error(ErrorCode::Internal, "the watcher is stopping"));
  }

  int poll_timeout_ms(Clock::time_point now) const {
    std::optional<Clock::time_point> next;
    auto consider = [&](Clock::time_point t) {
      if (!next || t < *next) next = t;
    };
    for (const auto& [path, root] : roots) {
      if (root->first_pending) consider(deadline(*root));
      if (root->state == WatchState::Degraded) consider(root->next_reconcile);
    }
    if (!next) return -1;
    if (*next <= now) return 0;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*next - now).count();
    return static_cast<int>(std::min<std::int64_t>(wait, 60'000));
  }

  Clock::time_point deadline(const Root& root) const {
    return std::min(root.last_event + options.debounce, *root.first_pending + options.max_delay);
  }

  void run_commands() {
    for (;;) {
      Command command;
      {
        std::lock_guard lock(command_mutex);
        if (commands.empty()) return;
        command = std::move(commands.front());
        commands.pop_front();
      }
      Status status = command.kind == Command::Kind::Add ? add_root(command.root) : remove_root(command.root);
      command.done.set_value(std::move(status));
    }
  }

  Root* find_root(const fs::path& path) {
    if (auto it = roots.find(path); it != roots.end()) return it->second.get();
    if (auto it = roots.find(canonical_root(path)); it != roots.end()) return it->second.get();
    return nullptr;
  }

  Status add_root(const fs::path& path) {
    const fs::path canonical = canonical_root(path);
    if (Root* existing = find_root(canonical)) {
      if (existing->state != WatchState::Failed) return {};
      drop_root(*existing);  // deleted and perhaps recreated since: start over
    }
    auto filter = scan::PathFilter::create(canonical, options.scan);
    if (!filter) return std::unexpected(filter.error());
    Root& root = *roots.emplace(canonical, std::make_unique<Root>(canonical, std::move(*filter))).first->second;
    if (place_watches(root, "", false, nullptr) && root.dirs.contains("")) watch_git_info(root, nullptr);
    if (!root.dirs.contains("") && root.state != WatchState::Degraded) {
      const std::string why = errno_text(last_watch_errno);
      drop_root(root);
      publish();
      return make_error(ErrorCode::IoError, fmt::format("cannot watch {}: {}", canonical.string(), why));
    }
    publish();
    return {};
  }

  Status remove_root(const fs::path& path) {
    if (Root* root = find_root(path)) drop_root(*root);
    publish();
    return {};
  }

  void drop_root(Root& root) {
    remove_all_watches(root);
    const fs::path key = root.path;  // erase() destroys root, and root.path with it
    roots.erase(key);
  }

  // ---- watch bookkeeping ----

  // Places a watch on one directory of `root`.
  Placed add_watch(Root& root, const std::string& rel) {
    const auto known = root.dirs.find(rel);
    if (options.max_watches != 0 && known == root.dirs.end() && owners.size() >= options.max_watches) {
      last_watch_errno = ENOSPC;
      return Placed::LimitReached;
    }
    const int wd = ::inotify_add_watch(inotify_fd, root.absolute(rel).c_str(), kDirMask);
    if (wd < 0) {
      last_watch_errno = errno;
      if (last_watch_errno == ENOSPC) return Placed::LimitReached;
      if (last_watch_errno != ENOENT && last_watch_errno != ENOTDIR && last_watch_errno != ELOOP) {
        log::debug("watcher: cannot watch {}: {}", root.absolute(rel), errno_text(last_watch_errno));
      }
      return Placed::Failed;
    }
    // The directory at `rel` was replaced behind our back (events lost): its old watch is dead.
    if (known != root.dirs.end() && known->second != wd) drop_owner(root, rel, known->second, true);
    for (Owner& owner : owners[wd]) {
      if (owner.root != &root) continue;
      if (owner.rel == rel) return Placed::Existing;
      if (same_directory(root, owner.rel, rel)) return Placed::Duplicate;  // a bind mount: covered already
      // Moved from owner.rel to rel while events were lost: the watch follows the inode.
      root.dirs.erase(owner.rel);
      owner.rel = rel;
      root.dirs[rel] = wd;
      return Placed::Added;
    }
    owners[wd].push_back(Owner{&root, rel});
    root.dirs[rel] = wd;
    return Placed::Added;
  }

  static bool same_directory(const Root& root, const std::string& a, const std::string& b) {
    struct stat sa {};
    struct stat sb {};
    if (::lstat(root.absolute(a).c_str(), &sa) != 0 || ::lstat(root.absolute(b).c_str(), &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }

  // Forgets that `root` watches `rel` through `wd`; the kernel watch goes when no root uses it.
  void drop_owner(Root& root, const std::string& rel, int wd, bool remove_watch) {
    if (auto it = root.dirs.find(rel); it != root.dirs.end() && it->second == wd) root.dirs.erase(it);
    const auto it = owners.find(wd);
    if (it == owners.end()) return;
    auto& list = it->second;
    std::erase_if(list, [&](const Owner& o) { return o.root == &root && o.rel == rel; });
    if (!list.empty()) return;
    owners.erase(it);
    if (remove_watch) ::inotify_rm_watch(inotify_fd, wd);  // EINVAL if the kernel dropped it already
  }

  // `rel` was deleted or moved away: forget the watches of it and below (a moved directory's
  // watches would follow it and report wrong paths, so they are removed).
  void forget_subtree(Root& root, const std::string& rel, bool remove_watches) {
    std::vector<std::pair<std::string, int>> gone;
    if (auto it = root.dirs.find(rel); it != root.dirs.end()) gone.emplace_back(*it);
    const std::string prefix = rel + '/';
    for (auto it = root.dirs.lower_bound(prefix); it != root.dirs.end() && it->first.starts_with(prefix); ++it) {
      gone.emplace_back(*it);
    }
    for (const auto& [dir, wd] : gone) drop_owner(root, dir, wd, remove_watches);
    root.filter.forget_dir(rel);
  }

  void remove_all_watches(Root& root) {
    const std::vector<std::pair<std::string, int>> all(root.dirs.begin(), root.dirs.end());
    for (const auto& [dir, wd] : all) drop_owner(root, dir, wd, true);
  }

  // Watches `start` and every directory below it that the rules do not ignore. With `report`
  // (a directory that appeared after watching began) every file found is a change, since it may
  // have been written before its directory's watch existed. `seen` collects the watched
  // directories. False when the watch limit stopped the walk.
  bool place_watches(Root& root, const std::string& start, bool report, std::set<std::string>* seen) {
    std::vector<std::string> stack{start};
    while (!stack.empty()) {
      const std::string rel = std::move(stack.back());
      stack.pop_back();
      if (!rel.empty() && root.filter.ignored_dir(rel)) continue;
      switch (add_watch(root, rel)) {
        case Placed::LimitReached:
          degrade(root);
          return false;
        case Placed::Failed:
        case Placed::Duplicate:
          continue;
        case Placed::Added:
        case Placed::Existing:
          break;
      }
      if (seen != nullptr) seen->insert(rel);
      list_directory(root, rel, report, stack);
    }
    return true;
  }

  // The one directory inside .git with a watch (see the top of the file), when there is one.
  // False when the watch limit stopped it.
  bool watch_git_info(Root& root, std::set<std::string>* seen) {
    struct stat st {};
    const std::string dir(kGitInfoDir);
    if (::lstat(root.absolute(dir).c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return true;
    switch (add_watch(root, dir)) {
      case Placed::Added:
      case Placed::Existing:
        if (seen != nullptr) seen->insert(dir);
        return true;
      case Placed::LimitReached:
        degrade(root);
        return false;
      case Placed::Failed:
      case Placed::Duplicate:
        return true;
    }
    return true;
  }

  void list_directory(Root& root, const std::string& rel, bool report, std::vector<std::string>& subdirs) {
    const int fd = ::open(root.absolute(rel).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return;
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      ::close(fd);
      return;
    }
    while (const dirent* entry = ::readdir(dir)) {
      const std::string_view name(entry->d_name);
      if (name == "." || name == "..") continue;
      bool is_dir = entry->d_type == DT_DIR;
      if (entry->d_type == DT_UNKNOWN) {
        struct stat st {};
        is_dir = ::fstatat(fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
      }
      if (is_dir) {
        subdirs.push_back(join_relative(rel, name));
      } else if (report) {
        file_changed(root, join_relative(rel, name));
      }
    }
    ::closedir(dir);
  }

  // Re-places every watch of `root` (ignore rules changed, events were lost, or Degraded):
  // directories now included get watches, those now ignored or gone lose them.
  void resync_watches(Root& root) {
    if (root.state == WatchState::Failed) return;
    std::set<std::string> seen;
    if (!place_watches(root, "", false, &seen)) return;
    if (!seen.contains("")) {
      fail_root(root, "root directory deleted");
      return;
    }
    if (!watch_git_info(root, &seen)) return;
    std::vector<std::pair<std::string, int>> stale;
    for (const auto& entry : root.dirs) {
      if (!seen.contains(entry.first)) stale.push_back(entry);
    }
    for (const auto& [dir, wd] : stale) drop_owner(root, dir, wd, true);
    if (root.state == WatchState::Degraded) {
      root.state = WatchState::Watching;
      root.detail.clear();
      log::info("watcher: {}: every directory has a watch again", root.abs);
    }
  }

  void degrade(Root& root) {
    if (root.state != WatchState::Watching) return;
    const std::size_t limit = options.max_watches != 0 ? options.max_watches : system_watch_limit();
    root.state = WatchState::Degraded;
    root.detail = fmt::format("inotify watch limit reached (fs.inotify.max_user_watches={}); reconciling every {}s",
                              limit, options.reconcile_interval.count());
    log::warn("watcher: {}: {}", root.abs, root.detail);
    root.next_reconcile = Clock::now() + options.reconcile_interval;
    mark_rescan(root, "watch limit reached");
  }

  void fail_root(Root& root, const std::string& why) {
    if (root.state == WatchState::Failed) return;
    root.state = WatchState::Failed;
    root.detail = why;
    log::warn("watcher: {}: {}; no longer watched", root.abs, why);
    remove_all_watches(root);
    root.resync = false;
    mark_rescan(root, why);
  }

  // ---- events ----

  void read_events() {
    // Bounded, so a storm cannot starve commands and deliveries.
    for (int round = 0; round < 64; ++round) {
      const ssize_t n = ::read(inotify_fd, read_buffer.data() + buffered, read_buffer.size() - buffered);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) log::error("watcher: reading inotify events failed: {}", errno_text(errno));
        return;
      }
      if (n == 0) return;
      const std::size_t size = buffered + static_cast<std::size_t>(n);
      std::size_t offset = 0;
      while (size - offset >= sizeof(inotify_event)) {
        inotify_event event;  // copied out: names pad events to no particular alignment guarantee
        std::memcpy(&event, read_buffer.data() + offset, sizeof event);
        const std::size_t length = sizeof(inotify_event) + event.len;
        if (size - offset < length) break;
        const char* name_start = read_buffer.data() + offset + sizeof(inotify_event);
        handle_event(event.wd, event.mask, std::string_view(name_start, ::strnlen(name_start, event.len)));
        offset += length;
      }
      buffered = size - offset;
      if (buffered != 0) std::memmove(read_buffer.data(), read_buffer.data() + offset, buffered);
    }
  }

  void handle_event(int wd, std::uint32_t mask, std::string_view name) {
    if ((mask & IN_Q_OVERFLOW) != 0) {
      log::warn("watcher: inotify queue overflow; every watched tree will be rescanned");
      for (auto& [path, root] : roots) {
        if (root->state == WatchState::Failed) continue;
        mark_rescan(*root, "inotify queue overflow");
        root->resync = true;
      }
      return;
    }
    const auto it = owners.find(wd);
    if (it == owners.end()) return;  // a watch already forgotten
    const std::vector<Owner> targets = it->second;  // handlers may edit owners
    for (const Owner& owner : targets) handle_for_root(*owner.root, owner.rel, wd, mask, name);
  }

  void handle_for_root(Root& root, const std::string& dir_rel, int wd, std::uint32_t mask, std::string_view name) {
    if (root.state == WatchState::Failed) return;
    if ((mask & IN_IGNORED) != 0) {
      drop_owner(root, dir_rel, wd, false);
      if (dir_rel.empty()) fail_root(root, "root directory removed or unmounted");
      return;
    }
    if (name.empty()) {
      // About the watched directory itself; a subdirectory's deletion or move is handled through
      // its parent's event, which names it.
      if (dir_rel.empty() && (mask & IN_DELETE_SELF) != 0) fail_root(root, "root directory deleted");
      if (dir_rel.empty() && (mask & IN_MOVE_SELF) != 0) fail_root(root, "root directory moved or renamed");
      return;
    }
    const std::string rel = join_relative(dir_rel, name);
    if ((mask & IN_ISDIR) == 0) {
      file_changed(root, rel);
      return;
    }
    if ((mask & (IN_CREATE | IN_MOVED_TO)) != 0) {
      root.filter.forget_dir(rel);  // a directory gone by that name may have been judged differently
      if (root.filter.ignored_dir(rel)) return;
      note_event(root);
      root.pending.insert(rel);
      place_watches(root, rel, true, nullptr);
    } else if ((mask & (IN_DELETE | IN_MOVED_FROM)) != 0) {
      const bool ignored = root.filter.ignored_dir(rel);
      forget_subtree(root, rel, (mask & IN_MOVED_FROM) != 0);
      if (ignored) return;
      note_event(root);
      root.pending.insert(rel);
    }
  }

  // A file appeared, changed or went away (or was found in a new directory).
  void file_changed(Root& root, const std::string& rel) {
    if (scan::PathFilter::is_ignore_file(rel)) {
      root.filter.invalidate();
      root.resync = true;
      mark_rescan(root, fmt::format("{} changed", base_name(rel)));
      return;
    }
    if (scan::PathFilter::is_ignore_marker(rel) && root.filter.marker_changed(rel)) {
      root.resync = true;
      mark_rescan(root, "ignore markers changed");
    }
    if (root.filter.ignored_file(rel)) return;
    note_event(root);
    root.pending.insert(rel);
  }

  void note_event(Root& root) {
    const auto now = Clock::now();
    if (!root.first_pending) root.first_pending = now;
    root.last_event = now;
    root.last_event_unix_ms = unix_ms_now();
    ++root.events;
  }

  void mark_rescan(Root& root, std::string_view reason) {
    note_event(root);
    root.rescan = true;
    if (root.rescan_reason.empty()) {
      root.rescan_reason = std::string(reason);
    } else if (root.rescan_reason.find(reason) == std::string::npos) {
      root.rescan_reason += fmt::format("; {}", reason);
    }
  }

  // ---- delivery ----

  void schedule_reconciles(Clock::time_point now) {
    for (auto& [path, root] : roots) {
      if (root->state != WatchState::Degraded || now < root->next_reconcile) continue;
      root->next_reconcile = now + options.reconcile_interval;
      root->resync = true;
      mark_rescan(*root, "watch limit reached");
    }
  }

  void deliver_due(Clock::time_point now) {
    std::vector<ChangeBatch> due;
    for (auto& [path, root] : roots) {
      if (!root->first_pending || now < deadline(*root)) continue;
      if (root->resync) {
        root->resync = false;
        resync_watches(*root);
      }
      ChangeBatch batch;
      batch.root = root->path;
      batch.paths.assign(root->pending.begin(), root->pending.end());
      batch.rescan = root->rescan;
      batch.rescan_reason = std::move(root->rescan_reason);
      batch.events = root->events;
      root->pending.clear();
      root->rescan = false;
      root->rescan_reason.clear();
      root->events = 0;
      root->first_pending.reset();
      ++root->batches;
      due.push_back(std::move(batch));
    }
    for (auto& batch : due) {
      const std::string root = batch.root.string();
      try {
        on_batch(std::move(batch));
      } catch (const std::exception& e) {
        log::error("watcher: the change handler for {} failed: {}", root, e.what());
      } catch (...) {
        log::error("watcher: the change handler for {} failed with a non-standard exception", root);
      }
    }
    // Published only once the handlers have the paths: a status read at any moment counts a path
    // either as the watcher's pending or as already handed over, never as neither (a consumer's
    // "idle" check relies on it).
    publish();
  }

  void publish() {
    std::map<fs::path, WatchStatus> snapshot;
    for (const auto& [path, root] : roots) {
      WatchStatus status;
      status.state = root->state;
      status.directories = root->dirs.size();
      status.pending_paths = root->pending.size();
      status.detail = root->detail;
      status.last_event_unix_ms = root->last_event_unix_ms;
      status.batches_delivered = root->batches;
      snapshot.emplace(path, std::move(status));
    }
    std::lock_guard lock(status_mutex);
    published.swap(snapshot);
  }
};

Watcher::Watcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Watcher>> Watcher::create(Callback on_batch, WatchOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->on_batch = std::move(on_batch);
  impl->options = std::move(options);
  impl->inotify_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (impl->inotify_fd < 0) {
    return make_error(ErrorCode::IoError, fmt::format("inotify is unavailable: {}", errno_text(errno)));
  }
  impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->wake_fd < 0) return make_error(ErrorCode::IoError, fmt::format("eventfd failed: {}", errno_text(errno)));
  try {
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->run(); });
  } catch (const std::system_error& e) {
    return make_error(ErrorCode::Internal, fmt::format("cannot start the watcher thread: {}", e.what()));
  }
  return std::unique_ptr<Watcher>(new Watcher(std::move(impl)));
}

Watcher::~Watcher() {
  impl_->stopping.store(true);
  impl_->wake();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Status Watcher::add(const fs::path& root) { return impl_->submit(Command::Kind::Add, root); }

void Watcher::remove(const fs::path& root) { (void)impl_->submit(Command::Kind::Remove, root); }

std::optional<WatchStatus> Watcher::status(const fs::path& root) const {
  {
    std::lock_guard lock(impl_->status_mutex);
    if (auto it = impl_->published.find(root); it != impl_->published.end()) return it->second;
  }
  const fs::path canonical = canonical_root(root);  // file system calls: outside the lock
  std::lock_guard lock(impl_->status_mutex);
  if (auto it = impl_->published.find(canonical); it != impl_->published.end()) return it->second;
  return std::nullopt;
}

std::vector<fs::path> Watcher::roots() const {
  std::lock_guard lock(impl_->status_mutex);
  std::vector<fs::path> out;
  out.reserve(impl_->published.size());
  for (const auto& [path, status] : impl_->published) out.push_back(path);
  return out;
}

}  // namespace cci::watch
