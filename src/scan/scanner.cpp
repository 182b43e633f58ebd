// scan/scanner.cpp — the parallel directory walker and the public scan entry points.
//
// Each directory is one task on a thread pool: read its entries, load its ignore files into a
// new layer on top of the parent's, then classify every entry. Files are stat'ed only when they
// survive the ignore rules and are in a supported language, so ignored and unsupported files cost
// nothing beyond readdir. Results merge once per directory and are sorted at the end.
//
// Symlinks: a symlinked directory is followed unless it points at one of its own ancestors
// (SymlinkLoop, decided by (dev, inode) of the real directories on the path, so the outcome does
// not depend on thread timing) or resolves outside the root (reported as Ignored: following it
// could pull in an arbitrary part of the file system). Symlinked files are indexed wherever they
// point. A dangling symlink with a source-file name is Unreadable.
#include "scan/scanner.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>

#include "core/paths.h"
#include "core/thread_pool.h"
#include "scan/ignore.h"
#include "scan/language.h"

namespace cci::scan {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kGitignore = ".gitignore";
constexpr std::string_view kCciignore = ".cciignore";
constexpr std::string_view kInfoExclude = ".git/info/exclude";

struct Ancestor {
  dev_t dev = 0;
  ino_t ino = 0;
  std::shared_ptr<const Ancestor> parent;
};
using AncestorPtr = std::shared_ptr<const Ancestor>;

bool is_ancestor(const Ancestor* chain, dev_t dev, ino_t ino) {
  for (; chain != nullptr; chain = chain->parent.get()) {
    if (chain->dev == dev && chain->ino == ino) return true;
  }
  return false;
}

// Everything one directory task (or one scan_paths call) found, merged into the result later.
struct Partial {
  std::vector<ScannedFile> files;
  std::vector<SkippedFile> skipped;
  std::vector<std::shared_ptr<const IgnoreFile>> ignore_files;
  std::size_t ignored = 0;
  std::size_t unsupported = 0;
  std::size_t directories = 0;
  bool has_c = false;
  bool has_cpp = false;
};

// The rules and settings every task of one scan shares; immutable while the scan runs.
struct Context {
  const ScanOptions* options = nullptr;
  std::string root;                            // canonical absolute root
  std::shared_ptr<const IgnoreFile> excludes;  // --exclude, highest priority (may be null)
  LayerPtr base_layer;                         // defaults and .git/info/exclude
  bool collect_ignore_files = false;
  bool directories_only = false;               // effective_ignore_patterns needs no file work
};

std::string errno_text(int err) { return std::strerror(err); }

unsigned char dtype_from_mode(mode_t mode) {
  if (S_ISDIR(mode)) return DT_DIR;
  if (S_ISREG(mode)) return DT_REG;
  if (S_ISLNK(mode)) return DT_LNK;
  return DT_FIFO;  // any other special file: never opened
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

bool is_readable(int dirfd, std::string_view name, const struct stat& st) {
  static const uid_t euid = ::geteuid();
  if (euid == 0) return true;
  const mode_t all_read = S_IRUSR | S_IRGRP | S_IROTH;
  if ((st.st_mode & all_read) == all_read) return true;
  if (st.st_uid == euid && (st.st_mode & S_IRUSR) != 0) return true;
  // Group membership and ACLs: ask the kernel, only for the rare file whose bits look closed.
  return ::faccessat(dirfd, std::string(name).c_str(), R_OK, AT_EACCESS) == 0;
}

// Reads a whole small file relative to `dirfd`; nullopt when it cannot be opened.
std::optional<std::string> read_small_file(int dirfd, const char* name, std::size_t limit = 4 << 20) {
  const int fd = ::openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return std::nullopt;
  std::string data;
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    if (data.size() >= limit) break;
  }
  ::close(fd);
  return data;
}

Language sniff_shebang(int dirfd, const std::string& name) {
  const int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Language::Unknown;
  char buf[256];
  ssize_t n;
  do {
    n = ::read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 2) return Language::Unknown;
  return language_from_shebang(std::string_view(buf, static_cast<std::size_t>(n)));
}

std::size_t count_components(std::string_view rel) {
  return rel.empty() ? 0 : static_cast<std::size_t>(std::count(rel.begin(), rel.end(), '/')) + 1;
}

// Pushes the directory's .gitignore and .cciignore (in that priority order) onto `layer`.
LayerPtr load_dir_ignores(const Context& ctx, int dirfd, const std::string& rel, LayerPtr layer, bool has_gitignore,
                          bool has_cciignore, Partial& out) {
  for (const std::string_view name : {kGitignore, kCciignore}) {
    if (name == kGitignore ? !has_gitignore : !has_cciignore) continue;
    auto contents = read_small_file(dirfd, std::string(name).c_str());
    if (!contents) continue;
    auto file = std::make_shared<const IgnoreFile>(join_relative(rel, name), rel, *contents);
    if (ctx.collect_ignore_files) out.ignore_files.push_back(file);
    if (file->patterns().empty()) continue;
    layer = std::make_shared<const IgnoreLayer>(IgnoreLayer{std::move(file), std::move(layer)});
  }
  return layer;
}

// A supported-looking name that cannot be indexed is worth reporting; anything else is noise.
void unreadable_or_unsupported(std::string_view name, const std::string& rel, std::string detail, Partial& out) {
  if (language_for_path(name) != Language::Unknown) {
    out.skipped.push_back(SkippedFile{rel, SkipReason::Unreadable, std::move(detail)});
  } else {
    ++out.unsupported;
  }
}

// A regular file (or a symlink to one) that survived the ignore rules. `st` may be null.
void add_file(const Context& ctx, int dirfd, const std::string& name, const std::string& rel, const struct stat* st,
              Partial& out) {
  Language lang = language_for_path(name);
  if (lang == Language::Unknown) {
    if (name.find('.') == std::string::npos && !is_known_non_script_name(name)) lang = sniff_shebang(dirfd, name);
    if (lang == Language::Unknown) {
      ++out.unsupported;
      return;
    }
  }
  struct stat local {};
  if (st == nullptr) {
    if (::fstatat(dirfd, name.c_str(), &local, AT_SYMLINK_NOFOLLOW) != 0) {
      out.skipped.push_back(SkippedFile{rel, SkipReason::Unreadable, errno_text(errno)});
      return;
    }
    st = &local;
  }
  if (!S_ISREG(st->st_mode)) {
    out.skipped.push_back(SkippedFile{rel, SkipReason::Unreadable, "not a regular file"});
    return;
  }
  const auto size = static_cast<std::uint64_t>(st->st_size);
  if (size > ctx.options->max_file_size) {
    out.skipped.push_back(SkippedFile{rel, SkipReason::TooLarge,
                                      fmt::format("{} > {}", format_bytes(size), format_bytes(ctx.options->max_file_size))});
    return;
  }
  if (!is_readable(dirfd, name, *st)) {
    out.skipped.push_back(SkippedFile{rel, SkipReason::Unreadable, errno_text(EACCES)});
    return;
  }
  if (lang == Language::C && name.ends_with(".c")) out.has_c = true;
  if (lang == Language::Cpp) out.has_cpp = true;
  out.files.push_back(ScannedFile{rel, lang, size, mtime_ns(*st)});
}

struct EntryOutcome {
  bool directory = false;  // a directory to descend into (the caller decides)
  bool symlink = false;
  bool reincluded = false;  // a negated rule matched it explicitly
  struct stat st {};       // valid for symlinked directories
};

// Classifies one directory entry: ignore rules first (cheap, by name), then type-specific work.
EntryOutcome handle_entry(const Context& ctx, int dirfd, const std::string& name, const std::string& rel,
                          std::size_t depth, const IgnoreLayer* layer, unsigned char type, Partial& out) {
  EntryOutcome outcome;
  struct stat st {};
  bool have_stat = false;
  int link_errno = 0;
  if (type == DT_UNKNOWN) {
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      unreadable_or_unsupported(name, rel, errno_text(errno), out);  // vanished since readdir
      return outcome;
    }
    type = dtype_from_mode(st.st_mode);
    have_stat = true;
  }
  if (type == DT_LNK) {
    outcome.symlink = true;
    if (::fstatat(dirfd, name.c_str(), &st, 0) != 0) {
      link_errno = errno;
      have_stat = false;
    } else {
      type = dtype_from_mode(st.st_mode);
      have_stat = true;
    }
  }
  const bool is_dir = link_errno == 0 && type == DT_DIR;
  const IgnoreMatch match = lookup(ctx.excludes.get(), layer, rel, name, depth, is_dir);
  if (match.ignored()) {
    ++out.ignored;
    if (ctx.options->record_ignored) out.skipped.push_back(SkippedFile{rel, SkipReason::Ignored, match.describe()});
    return outcome;
  }
  if (is_dir) {
    outcome.directory = true;
    outcome.reincluded = match.pattern != nullptr;
    outcome.st = st;
    return outcome;
  }
  if (ctx.directories_only) return outcome;
  if (link_errno != 0) {
    unreadable_or_unsupported(name, rel, fmt::format("broken symlink: {}", errno_text(link_errno)), out);
    return outcome;
  }
  if (type != DT_REG) {
    unreadable_or_unsupported(name, rel, "not a regular file", out);
    return outcome;
  }
  add_file(ctx, dirfd, name, rel, have_stat ? &st : nullptr, out);
  return outcome;
}

constexpr std::string_view kPyvenvCfg = "pyvenv.cfg";
constexpr std::string_view kCachedirTag = "CACHEDIR.TAG";

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool has_file(int dirfd, std::string_view name) {
  struct stat st {};
  return ::fstatat(dirfd, std::string(name).c_str(), &st, 0) == 0 && S_ISREG(st.st_mode);
}

// Why a directory's own contents mark it as disposable, or empty.
std::string_view marker_reason(bool has_pyvenv, bool has_cachedir_tag) {
  if (has_pyvenv) return "defaults virtualenv (pyvenv.cfg)";
  if (has_cachedir_tag) return "defaults cache directory (CACHEDIR.TAG)";
  return {};
}

// A generic output-directory name in a place where it is output (see output_dir_names()).
std::string output_dir_reason(std::string_view name, bool top_level, bool beside_manifest) {
  if (!contains(output_dir_names(), name) || !(top_level || beside_manifest)) return {};
  return fmt::format("defaults {}/ ({})", name, top_level ? "top level" : "beside a project manifest");
}

void record_default_prune(const Context& ctx, const std::string& rel, std::string_view why, Partial& out) {
  ++out.ignored;
  if (ctx.options->record_ignored) out.skipped.push_back(SkippedFile{rel, SkipReason::Ignored, std::string(why)});
}

struct DirTask {
  std::string abs;
  std::string rel;
  std::size_t depth = 0;
  LayerPtr layer;
  AncestorPtr ancestors;
  bool reincluded = false;
};

class Walker {
 public:
  explicit Walker(const Context& ctx) : ctx_(ctx) {}

  Status run(std::size_t workers) {
    ThreadPool pool(workers);
    pool_ = &pool;
    pool.submit([this] { process(DirTask{ctx_.root, "", 0, ctx_.base_layer, nullptr, false}); });
    pool.wait_idle();
    pool_ = nullptr;
    if (!root_error_.empty()) return make_error(ErrorCode::IoError, root_error_);
    return {};
  }

  Partial& result() { return total_; }

 private:
  void process(const DirTask& task) {
    Partial out;
    const int fd = ::open(task.abs.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      const int err = errno;
      if (task.rel.empty()) {
        std::lock_guard lock(mutex_);
        root_error_ = fmt::format("cannot open {}: {}", task.abs, errno_text(err));
        return;
      }
      out.skipped.push_back(SkippedFile{task.rel, SkipReason::Unreadable, errno_text(err)});
      merge(out);
      return;
    }
    struct stat dir_stat {};
    ::fstat(fd, &dir_stat);
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
      ::close(fd);
      out.skipped.push_back(SkippedFile{task.rel, SkipReason::Unreadable, errno_text(errno)});
      merge(out);
      return;
    }

    // Names go into one buffer: a directory costs two allocations, not one per entry.
    std::string names;
    struct Entry {
      std::uint32_t offset;
      std::uint32_t length;
      unsigned char type;
    };
    std::vector<Entry> entries;
    bool has_gitignore = false;
    bool has_cciignore = false;
    bool has_pyvenv = false;
    bool has_cachedir_tag = false;
    bool has_manifest = false;
    while (const dirent* e = ::readdir(dir)) {
      const std::string_view name(e->d_name);
      if (name == "." || name == "..") continue;
      if (name == kGitignore) has_gitignore = true;
      if (name == kCciignore) has_cciignore = true;
      if (name == kPyvenvCfg) has_pyvenv = true;
      if (name == kCachedirTag) has_cachedir_tag = true;
      if (!has_manifest && contains(project_manifests(), name)) has_manifest = true;
      entries.push_back(Entry{static_cast<std::uint32_t>(names.size()), static_cast<std::uint32_t>(name.size()),
                              e->d_type});
      names.append(name);
    }

    if (const auto why = marker_reason(has_pyvenv, has_cachedir_tag);
        !why.empty() && !task.rel.empty() && !task.reincluded) {
      record_default_prune(ctx_, task.rel, why, out);
      ::closedir(dir);
      merge(out);
      return;
    }
    ++out.directories;
    const LayerPtr layer = load_dir_ignores(ctx_, fd, task.rel, task.layer, has_gitignore, has_cciignore, out);
    const auto self = std::make_shared<const Ancestor>(Ancestor{dir_stat.st_dev, dir_stat.st_ino, task.ancestors});

    // Sorted entries make the order of pushed subdirectories (and so of merges) stable.
    std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
      return std::string_view(names).substr(a.offset, a.length) < std::string_view(names).substr(b.offset, b.length);
    });
    std::string name;
    std::string rel;
    for (const Entry& entry : entries) {
      name.assign(names, entry.offset, entry.length);
      rel = join_relative(task.rel, name);
      const EntryOutcome outcome = handle_entry(ctx_, fd, name, rel, task.depth + 1, layer.get(), entry.type, out);
      if (!outcome.directory) continue;
      if (!outcome.reincluded) {
        if (const auto why = output_dir_reason(name, task.rel.empty(), has_manifest); !why.empty()) {
          record_default_prune(ctx_, rel, why, out);
          continue;
        }
      }
      std::string abs = join_relative(task.abs, name);
      if (outcome.symlink) {
        if (is_ancestor(self.get(), outcome.st.st_dev, outcome.st.st_ino)) {
          out.skipped.push_back(SkippedFile{rel, SkipReason::SymlinkLoop, fmt::format("-> {}", link_target(fd, name))});
          continue;
        }
        if (!inside_root(abs)) {
          ++out.ignored;
          out.skipped.push_back(SkippedFile{rel, SkipReason::Ignored,
                                            fmt::format("symlink leaves the root: -> {}", link_target(fd, name))});
          continue;
        }
      }
      DirTask child{std::move(abs), rel, task.depth + 1, layer, self, outcome.reincluded};
      pool_->submit([this, child = std::move(child)] { process(child); });
    }
    ::closedir(dir);
    merge(out);
  }

  static std::string link_target(int dirfd, const std::string& name) {
    char buf[4096];
    const ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
    return n < 0 ? std::string("?") : std::string(buf, static_cast<std::size_t>(n));
  }

  bool inside_root(const std::string& abs) const {
    char* real = ::realpath(abs.c_str(), nullptr);
    if (real == nullptr) return false;
    const std::string_view r(real);
    const bool inside = ctx_.root == "/" || r == ctx_.root || (r.starts_with(ctx_.root) && r[ctx_.root.size()] == '/');
    std::free(real);
    return inside;
  }

  void merge(Partial& part) {
    std::lock_guard lock(mutex_);
    auto append = [](auto& into, auto& from) {
      if (into.empty()) {
        into = std::move(from);
      } else {
        into.insert(into.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
      }
    };
    append(total_.files, part.files);
    append(total_.skipped, part.skipped);
    append(total_.ignore_files, part.ignore_files);
    total_.ignored += part.ignored;
    total_.unsupported += part.unsupported;
    total_.directories += part.directories;
    total_.has_c = total_.has_c || part.has_c;
    total_.has_cpp = total_.has_cpp || part.has_cpp;
  }

  const Context& ctx_;
  ThreadPool* pool_ = nullptr;
  std::mutex mutex_;
  Partial total_;           // guarded by mutex_
  std::string root_error_;  // guarded by mutex_
};

const std::shared_ptr<const IgnoreFile>& defaults_file() {
  static const auto kFile = std::make_shared<const IgnoreFile>("defaults", "", default_patterns(), false);
  return kFile;
}

// Validates the root and builds the rules that apply before any directory is read.
Result<Context> make_context(const fs::path& root, const ScanOptions& options) {
  std::error_code ec;
  const fs::path canon = canonical_root(root);
  const auto status = fs::status(canon, ec);
  if (ec || !fs::exists(status)) return make_error(ErrorCode::NotFound, fmt::format("no such directory: {}", root.string()));
  if (!fs::is_directory(status)) return make_error(ErrorCode::InvalidArgument, fmt::format("not a directory: {}", root.string()));

  Context ctx;
  ctx.options = &options;
  ctx.root = canon.string();
  ctx.base_layer = std::make_shared<const IgnoreLayer>(IgnoreLayer{defaults_file(), nullptr});
  if (auto exclude = read_small_file(AT_FDCWD, (canon / std::string(kInfoExclude)).c_str())) {
    auto file = std::make_shared<const IgnoreFile>(std::string(kInfoExclude), "", *exclude);
    if (!file->patterns().empty()) {
      ctx.base_layer = std::make_shared<const IgnoreLayer>(IgnoreLayer{std::move(file), ctx.base_layer});
    }
  }
  if (!options.extra_excludes.empty()) {
    ctx.excludes = std::make_shared<const IgnoreFile>("--exclude", "", options.extra_excludes, false);
  }
  return ctx;
}

ScanResult finish(Partial& part) {
  ScanResult result;
  result.files = std::move(part.files);
  result.skipped = std::move(part.skipped);
  std::sort(result.files.begin(), result.files.end(),
            [](const ScannedFile& a, const ScannedFile& b) { return a.path < b.path; });
  std::sort(result.skipped.begin(), result.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.path < b.path; });
  result.ignored_count = part.ignored;
  result.unsupported_count = part.unsupported;
  result.directories = part.directories;
  result.has_c_sources = part.has_c;
  result.has_cpp_sources = part.has_cpp;
  return result;
}

std::size_t worker_count(const ScanOptions& options) {
  return options.workers == 0 ? default_worker_count() : options.workers;
}

// An open directory descriptor, closed on scope exit.
class DirFd {
 public:
  explicit DirFd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  ~DirFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// The rules in force inside each directory, computed on demand from the root down and cached:
// how scan_paths() and PathFilter judge single paths exactly as the walker would, without
// walking. A directory is excluded by a rule, by its name in context (output directories) or by
// a marker inside it; below an excluded directory everything is (git: nothing below an excluded
// directory can be re-included).
class DirRules {
 public:
  struct State {
    LayerPtr layer;  // the rules inside the directory; null when excluded
    bool excluded = false;
    std::string why;
  };

  explicit DirRules(const Context& ctx) : ctx_(ctx) {}

  const State& state_for(const std::string& dir_rel) {
    if (auto it = dirs_.find(dir_rel); it != dirs_.end()) return it->second;
    return dirs_.emplace(dir_rel, compute(dir_rel)).first->second;
  }

  const State* cached(const std::string& dir_rel) const {
    const auto it = dirs_.find(dir_rel);
    return it == dirs_.end() ? nullptr : &it->second;
  }

  // Recomputes one cached directory from its (cached) parent; true if its verdict changed.
  // The caller drops the whole cache then, since everything below inherits the verdict.
  bool verdict_changed(const std::string& dir_rel) {
    const State* before = cached(dir_rel);
    if (before == nullptr) return false;  // never consulted, so nothing was decided by it
    return compute(dir_rel).excluded != before->excluded;
  }

  // Drops `dir_rel` and everything cached below it.
  void forget(const std::string& dir_rel) {
    if (dir_rel.empty()) {
      dirs_.clear();
      return;
    }
    dirs_.erase(dir_rel);
    const std::string prefix = dir_rel + '/';
    auto it = dirs_.lower_bound(prefix);
    while (it != dirs_.end() && it->first.starts_with(prefix)) it = dirs_.erase(it);
  }

  void clear() { dirs_.clear(); }

 private:
  State compute(const std::string& dir_rel) {
    if (dir_rel.empty()) {
      DirFd fd(ctx_.root);
      if (fd.get() < 0) return State{ctx_.base_layer, false, {}};
      return State{load_dir_ignores(ctx_, fd.get(), "", ctx_.base_layer, true, true, scratch_), false, {}};
    }
    const std::size_t slash = dir_rel.rfind('/');
    const std::string parent = slash == std::string::npos ? std::string() : dir_rel.substr(0, slash);
    const std::string name = slash == std::string::npos ? dir_rel : dir_rel.substr(slash + 1);
    const State& parent_state = state_for(parent);  // a map node: stays valid across inserts
    if (parent_state.excluded) return parent_state;
    const IgnoreMatch match =
        lookup(ctx_.excludes.get(), parent_state.layer.get(), dir_rel, name, count_components(dir_rel), true);
    if (match.ignored()) return State{nullptr, true, match.describe()};
    DirFd fd(join_relative(ctx_.root, dir_rel));
    std::string why;
    if (match.pattern == nullptr && contains(output_dir_names(), name)) {
      DirFd parent_fd(join_relative(ctx_.root, parent));
      bool beside_manifest = false;
      for (std::string_view manifest : project_manifests()) {
        if (parent_fd.get() >= 0 && has_file(parent_fd.get(), manifest)) beside_manifest = true;
      }
      why = output_dir_reason(name, parent.empty(), beside_manifest);
    }
    if (why.empty() && match.pattern == nullptr && fd.get() >= 0) {
      why = marker_reason(has_file(fd.get(), kPyvenvCfg), has_file(fd.get(), kCachedirTag));
    }
    if (!why.empty()) return State{nullptr, true, std::move(why)};
    if (fd.get() < 0) return State{parent_state.layer, false, {}};  // gone: judge by the parent's rules
    scratch_.ignore_files.clear();
    return State{load_dir_ignores(ctx_, fd.get(), dir_rel, parent_state.layer, true, true, scratch_), false, {}};
  }

  const Context& ctx_;
  std::map<std::string, State> dirs_;  // ordered, so a subtree is one range; nodes never move
  Partial scratch_;  // load_dir_ignores' out-parameter; nothing in it is used
};

}  // namespace

Status check_root_allowed(const fs::path& root, bool force) {
  std::error_code ec;
  const fs::path canon = canonical_root(root);
  const auto status = fs::status(canon, ec);
  if (ec || !fs::exists(status)) return make_error(ErrorCode::NotFound, fmt::format("no such directory: {}", root.string()));
  if (!fs::is_directory(status)) return make_error(ErrorCode::InvalidArgument, fmt::format("not a directory: {}", root.string()));
  if (force) return {};
  if (canon == fs::path("/")) {
    return make_error(ErrorCode::Refused,
                      "refusing to index the file system root /; pass --force to index it anyway");
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    if (canon == canonical_root(home)) {
      return make_error(ErrorCode::Refused,
                        fmt::format("refusing to index the home directory {} itself; index a project inside it, "
                                    "or pass --force to index it anyway",
                                    canon.string()));
    }
  }
  return {};
}

Result<ScanResult> scan_tree(const fs::path& root, const ScanOptions& options) {
  auto ctx = make_context(root, options);
  if (!ctx) return std::unexpected(ctx.error());
  Walker walker(*ctx);
  if (auto status = walker.run(worker_count(options)); !status) return std::unexpected(status.error());
  return finish(walker.result());
}

Result<ScanResult> scan_paths(const fs::path& root, const std::vector<std::string>& relative_paths,
                              const ScanOptions& options) {
  auto ctx_result = make_context(root, options);
  if (!ctx_result) return std::unexpected(ctx_result.error());
  const Context& ctx = *ctx_result;

  std::vector<std::string> paths;
  paths.reserve(relative_paths.size());
  for (const auto& p : relative_paths) {
    if (is_safe_relative(p) && !p.ends_with('/')) paths.push_back(p);
  }
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());

  Partial out;
  {
    DirFd fd(ctx.root);
    if (fd.get() < 0) return make_error(ErrorCode::IoError, fmt::format("cannot open {}: {}", ctx.root, errno_text(errno)));
  }
  DirRules rules(ctx);
  for (const std::string& rel : paths) {
    const std::size_t slash = rel.rfind('/');
    const std::string dir_rel = slash == std::string::npos ? std::string() : rel.substr(0, slash);
    const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
    const DirRules::State& state = rules.state_for(dir_rel);
    DirFd fd(join_relative(ctx.root, dir_rel));
    if (fd.get() < 0) continue;  // the directory is gone: so is the file
    struct stat st {};
    if (::fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;  // deleted
    if (state.excluded) {
      ++out.ignored;
      if (options.record_ignored) out.skipped.push_back(SkippedFile{rel, SkipReason::Ignored, state.why});
      continue;
    }
    handle_entry(ctx, fd.get(), name, rel, count_components(rel), state.layer.get(), dtype_from_mode(st.st_mode), out);
  }
  out.directories = 0;
  return finish(out);
}

struct PathFilter::Impl {
  ScanOptions options;  // Context points at it, so Impl never moves (it lives behind unique_ptr)
  fs::path root;
  Context ctx;
  std::unique_ptr<DirRules> rules;

  Status reload() {
    auto ctx_result = make_context(root, options);
    if (!ctx_result) return std::unexpected(ctx_result.error());
    ctx = std::move(*ctx_result);
    rules = std::make_unique<DirRules>(ctx);
    return {};
  }
};

namespace {

// The walker never enters .git, whatever the rules say: the watcher must not either.
bool inside_git_dir(std::string_view rel) { return rel == ".git" || rel.starts_with(".git/"); }

std::string_view base_name(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? rel : rel.substr(slash + 1);
}

std::string parent_of(std::string_view rel) {
  const std::size_t slash = rel.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(rel.substr(0, slash));
}

}  // namespace

PathFilter::PathFilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PathFilter::PathFilter(PathFilter&&) noexcept = default;
PathFilter& PathFilter::operator=(PathFilter&&) noexcept = default;
PathFilter::~PathFilter() = default;

Result<PathFilter> PathFilter::create(const fs::path& root, const ScanOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->root = canonical_root(root);
  if (auto status = impl->reload(); !status) return std::unexpected(status.error());
  return PathFilter(std::move(impl));
}

const fs::path& PathFilter::root() const { return impl_->root; }

bool PathFilter::ignored_dir(std::string_view rel) {
  if (rel.empty()) return false;
  if (!is_safe_relative(rel) || inside_git_dir(rel)) return true;
  return impl_->rules->state_for(std::string(rel)).excluded;
}

bool PathFilter::ignored_file(std::string_view rel) {
  if (!is_safe_relative(rel) || inside_git_dir(rel)) return true;
  const DirRules::State& dir = impl_->rules->state_for(parent_of(rel));
  if (dir.excluded) return true;
  return lookup(impl_->ctx.excludes.get(), dir.layer.get(), rel, base_name(rel), count_components(rel), false)
      .ignored();
}

void PathFilter::invalidate() {
  // When the root itself has vanished the base rules stay as they were: every answer about a
  // gone tree is moot anyway.
  if (auto status = impl_->reload(); !status) impl_->rules->clear();
}

void PathFilter::forget_dir(std::string_view rel) { impl_->rules->forget(std::string(rel)); }

bool PathFilter::marker_changed(std::string_view rel) {
  if (!is_safe_relative(rel) || inside_git_dir(rel)) return false;
  const std::string_view name = base_name(rel);
  const std::string dir = parent_of(rel);
  std::vector<std::string> decided;
  if (name == kPyvenvCfg || name == kCachedirTag) {
    if (!dir.empty()) decided.push_back(dir);
  } else if (contains(project_manifests(), name)) {
    for (std::string_view output : output_dir_names()) decided.push_back(join_relative(dir, output));
  }
  for (const std::string& d : decided) {
    if (impl_->rules->verdict_changed(d)) {
      invalidate();
      return true;
    }
  }
  return false;
}

bool PathFilter::is_ignore_file(std::string_view rel) {
  const std::string_view name = base_name(rel);
  return name == kGitignore || name == kCciignore || rel == kInfoExclude;
}

bool PathFilter::is_ignore_marker(std::string_view rel) {
  const std::string_view name = base_name(rel);
  return name == kPyvenvCfg || name == kCachedirTag || contains(project_manifests(), name);
}

Result<std::vector<PatternSource>> effective_ignore_patterns(const fs::path& root, const ScanOptions& options) {
  auto ctx = make_context(root, options);
  if (!ctx) return std::unexpected(ctx.error());
  ctx->collect_ignore_files = true;
  ctx->directories_only = true;
  Walker walker(*ctx);
  if (auto status = walker.run(worker_count(options)); !status) return std::unexpected(status.error());

  std::vector<PatternSource> sources;
  auto add = [&](const IgnoreFile& file) {
    PatternSource source{file.origin(), {}};
    for (const auto& p : file.patterns()) source.patterns.push_back(p.text);
    sources.push_back(std::move(source));
  };
  // The base layer chain is defaults <- info/exclude; list lowest priority first.
  std::vector<const IgnoreFile*> base;
  for (const IgnoreLayer* l = ctx->base_layer.get(); l != nullptr; l = l->parent.get()) base.push_back(l->file.get());
  for (auto it = base.rbegin(); it != base.rend(); ++it) add(**it);
  // The context-dependent defaults are no gitignore lines; list them as comments so `cci ignore`
  // still shows them.
  std::string names;
  for (std::string_view n : output_dir_names()) names += fmt::format("{}/ ", n);
  sources.front().patterns.push_back(fmt::format("# {}: at the top level or beside a project manifest", names.substr(0, names.size() - 1)));
  sources.front().patterns.push_back("# any directory holding pyvenv.cfg (virtualenv) or CACHEDIR.TAG");

  auto files = std::move(walker.result().ignore_files);
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    if (a->base() != b->base()) return a->base() < b->base();
    return a->origin().ends_with(kGitignore) && !b->origin().ends_with(kGitignore);
  });
  for (const auto& f : files) add(*f);
  if (ctx->excludes) add(*ctx->excludes);
  return sources;
}

}  // namespace cci::scan
