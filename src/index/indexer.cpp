#include "index/indexer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/hash.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/symbol_id.h"
#include "core/thread_pool.h"
#include "graph/code_graph.h"
#include "parse/parser.h"
#include "store/registry.h"

namespace cci::index {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What a worker learned about one candidate file.
struct Outcome {
  enum class Kind { Parsed, SameContent, Skipped, Unsupported } kind = Kind::Skipped;
  std::size_t index = 0;  // into the candidate list
  store::FileRecord record;
  ParsedFile parsed;
  std::string content;
  store::SkippedRecord skip;
};

// A bounded multi-producer single-consumer queue: parsers block when the writer falls behind,
// which caps memory on huge trees (file contents are held only until written).
class OutcomeQueue {
 public:
  explicit OutcomeQueue(std::size_t capacity) : capacity_(capacity) {}

  void push(Outcome outcome) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_; });
    items_.push_back(std::move(outcome));
    not_empty_.notify_one();
  }

  std::optional<Outcome> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || producers_done_; });
    if (items_.empty()) return std::nullopt;
    Outcome out = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return out;
  }

  void close() {
    std::lock_guard lock(mutex_);
    producers_done_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::deque<Outcome> items_;
  std::size_t capacity_;
  bool producers_done_ = false;
};

// Reads a whole file with one fstat + read loop; errors become a SkippedRecord-ready message.
std::optional<std::string> read_whole_file(const fs::path& path, std::uint64_t max_size, std::string& error,
                                           bool& too_large) {
  too_large = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 && errno == ELOOP) {
    // A symlink to a regular file inside the tree: follow it explicitly.
    const int fd2 = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd2 < 0) {
      error = errno == ENOENT ? "vanished during the scan" : std::strerror(errno);
      return std::nullopt;
    }
    ::close(fd2);
    std::error_code ec;
    const fs::path target = fs::canonical(path, ec);
    if (ec) {
      error = "vanished during the scan";
      return std::nullopt;
    }
    return read_whole_file(target, max_size, error, too_large);
  }
  if (fd < 0) {
    error = errno == ENOENT ? "vanished during the scan" : std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = "not a regular file";
    ::close(fd);
    return std::nullopt;
  }
  if (static_cast<std::uint64_t>(st.st_size) > max_size) {
    too_large = true;
    error = fmt::format("{} > {}", format_bytes(static_cast<std::uint64_t>(st.st_size)), format_bytes(max_size));
    ::close(fd);
    return std::nullopt;
  }
  std::string content(static_cast<std::size_t>(st.st_size), '\0');
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;  // truncated while we read: index what is there
    done += static_cast<std::size_t>(n);
  }
  content.resize(done);
  ::close(fd);
  return content;
}

// Reads, classifies and (when its content changed) parses one file. `existing` holds the
// previous index's records by path.
Outcome examine_file(parse::Parser& parser, const fs::path& root, const scan::ScannedFile& file,
                     const std::unordered_map<std::string, store::FileRecord>& existing, bool force, bool has_c,
                     bool has_cpp, std::uint64_t max_size) {
  Outcome out;
  std::string error;
  bool too_large = false;
  auto content = read_whole_file(root / file.path, max_size, error, too_large);
  if (!content) {
    out.kind = Outcome::Kind::Skipped;
    out.skip = {file.path, std::string(scan::to_string(too_large ? scan::SkipReason::TooLarge : scan::SkipReason::Unreadable)),
                error};
    return out;
  }
  if (auto skip = scan::classify_content(file.path, *content)) {
    out.kind = Outcome::Kind::Skipped;
    out.skip = {skip->path, std::string(scan::to_string(skip->reason)), skip->detail};
    return out;
  }
  const Language lang = scan::detect_language(file.path, std::string_view(*content).substr(0, 16384), has_c, has_cpp);
  if (lang == Language::Unknown) {
    out.kind = Outcome::Kind::Unsupported;
    return out;
  }
  out.record.id = file_id_for(file.path);
  out.record.path = file.path;
  out.record.language = lang;
  out.record.size = content->size();
  out.record.mtime_ns = file.mtime_ns;
  out.record.content_hash = hash64(*content);
  auto old = existing.find(file.path);
  if (!force && old != existing.end() && old->second.content_hash == out.record.content_hash &&
      old->second.language == lang) {
    out.kind = Outcome::Kind::SameContent;  // touched, not changed: refresh the stat, keep the parse
    out.content = std::move(*content);
    return out;
  }
  auto parsed = parser.parse(file.path, lang, *content);
  if (!parsed) {
    out.kind = Outcome::Kind::Skipped;
    out.skip = {file.path, "parse-error", parsed.error().message};
    return out;
  }
  out.kind = Outcome::Kind::Parsed;
  out.parsed = std::move(*parsed);
  out.record.line_count = out.parsed.line_count;
  out.record.symbol_count = static_cast<std::uint32_t>(out.parsed.symbols.size());
  out.record.partial = out.parsed.error_nodes > 0;
  out.content = std::move(*content);
  return out;
}

// Serialises index runs on one project, across threads and processes (the daemon's watcher, an
// index_codebase call, `cci index`): an update applied to an index that a full rebuild is about
// to replace would be lost. flock() is released by the kernel on any death. Waiting polls, so a
// cancelled run (daemon shutdown) does not sit behind another process's long index.
class ProjectLock {
 public:
  static Result<std::unique_ptr<ProjectLock>> acquire(const fs::path& db_path, const std::atomic<bool>* cancel) {
    const std::string path = db_path.string() + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(ErrorCode::IoError, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
    auto lock = std::unique_ptr<ProjectLock>(new ProjectLock(fd));
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR)
        return make_error(ErrorCode::IoError, fmt::format("cannot lock {}: {}", path, std::strerror(errno)));
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed))
        return make_error(ErrorCode::Cancelled, "indexing cancelled while waiting for another run on this project");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return lock;
  }
  ~ProjectLock() { ::close(fd_); }
  ProjectLock(const ProjectLock&) = delete;
  ProjectLock& operator=(const ProjectLock&) = delete;

 private:
  explicit ProjectLock(int fd) : fd_(fd) {}
  int fd_;
};

// A number stored in meta; a value that is not one means a damaged index.
Result<std::uint64_t> parse_meta_number(const std::string& key, const std::string& value) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc{} || end != value.data() + value.size())
    return make_error(ErrorCode::Corrupt, fmt::format("index meta {} is not a number: '{}'", key, value));
  return n;
}


std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    if (!out.empty()) out += '\n';
    out += line;
  }
  return out;
}

// Extra exclude patterns (`cci index --exclude`, index_codebase's custom_ignore) are remembered in
// the index, so later runs — the daemon's watcher and reconcile passes included — keep honouring
// them. A run given its own list replaces the remembered one; a list of only empty patterns
// clears it.
Result<std::vector<std::string>> effective_excludes(store::IndexStore* live, const std::vector<std::string>& given) {
  if (!given.empty()) {
    std::vector<std::string> out;
    for (const auto& p : given)
      if (!p.empty()) out.push_back(p);
    return out;
  }
  if (live == nullptr) return std::vector<std::string>{};
  auto stored = live->meta("excludes");
  if (!stored) return std::unexpected(stored.error());
  std::vector<std::string> out;
  if (!*stored) return out;
  std::string_view text = **stored;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    if (end > 0) out.emplace_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  return out;
}

Status register_project(store::Registry& registry, const fs::path& root, const IndexReport& report, std::int64_t now) {
  store::ProjectRecord project;
  project.root = root.string();
  project.name = root.filename().string();
  project.db_path = report.db_path.string();
  project.indexed_at = now;
  project.files = report.files_total;
  project.symbols = report.symbols;
  return registry.upsert(project);
}

// Build files of runs that were killed: "<db>.build-<pid>" whose process is gone.
void remove_stale_builds(const fs::path& db_path) {
  std::error_code ec;
  const std::string prefix = db_path.filename().string() + ".build-";
  for (const auto& entry : fs::directory_iterator(db_path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const long pid = std::strtol(name.c_str() + prefix.size(), nullptr, 10);
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;  // still running
    std::error_code ignored;
    fs::remove(entry.path(), ignored);
  }
}

// Drops what resolution and ranking never read (docs; signatures except Go receivers and Java
// `main`), once a file is written: on the Linux kernel this is hundreds of MB of peak memory.
void slim_for_graph(ParsedFile& parsed) {
  const bool keep_signatures = parsed.language == Language::Go || parsed.language == Language::Java;
  for (Symbol& symbol : parsed.symbols) {
    std::string().swap(symbol.doc);
    if (!keep_signatures) std::string().swap(symbol.signature);
  }
}

// Appends a file's stored extraction, reduced to what resolution and ranking read.
Status load_for_graph(store::IndexStore& store, FileId id, std::vector<ParsedFile>& out) {
  auto parsed = store.load_parsed(id);
  if (!parsed) return std::unexpected(parsed.error());
  slim_for_graph(*parsed);
  out.push_back(std::move(*parsed));
  return {};
}

// The graph-wide counts of a report as one meta value:
// "files=N;partial=N;symbols=N;edges=N;unresolved=N;lang:python=N;...;edge:calls=N;..."
std::string encode_summary(const IndexReport& r) {
  std::string out = fmt::format("files={};partial={};symbols={};edges={};unresolved={}", r.files_total, r.files_partial,
                                r.symbols, r.edges, r.unresolved_references);
  for (const auto& [k, v] : r.files_by_language) out += fmt::format(";lang:{}={}", k, v);
  for (const auto& [k, v] : r.edges_by_kind) out += fmt::format(";edge:{}={}", k, v);
  return out;
}

bool decode_summary(std::string_view text, IndexReport& r) {
  std::size_t found = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find(';'), text.size());
    const std::string_view item = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string key(item.substr(0, eq));
    std::size_t value = 0;
    const auto digits = item.substr(eq + 1);
    if (std::from_chars(digits.data(), digits.data() + digits.size(), value).ec != std::errc{}) return false;
    if (key.starts_with("lang:")) {
      r.files_by_language.emplace_back(key.substr(5), value);
    } else if (key.starts_with("edge:")) {
      r.edges_by_kind.emplace_back(key.substr(5), value);
    } else {
      std::size_t* field = key == "files"        ? &r.files_total
                           : key == "partial"    ? &r.files_partial
                           : key == "symbols"    ? &r.symbols
                           : key == "edges"      ? &r.edges
                           : key == "unresolved" ? &r.unresolved_references
                                                 : nullptr;
      if (field == nullptr) return false;
      *field = value;
      ++found;
    }
  }
  return found == 5;
}

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

class ProgressReporter {
 public:
  explicit ProgressReporter(const std::function<void(const Progress&)>& callback) : callback_(callback) {}

  void report(const Progress& progress, bool force = false) {
    if (!callback_) return;
    const auto now = Clock::now();
    if (!force && progress.phase == last_phase_ && now - last_ < std::chrono::milliseconds(50)) return;
    last_ = now;
    last_phase_ = progress.phase;
    callback_(progress);
  }

 private:
  const std::function<void(const Progress&)>& callback_;
  Clock::time_point last_{};
  Progress::Phase last_phase_ = Progress::Phase::Done;
};

bool cancelled(const IndexOptions& options) {
  return options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed);
}

// Resolves and ranks the whole graph from every file's extraction and replaces the stored edges
// and ranks; fills the report's graph-wide counts.
Status resolve_and_write_graph(std::vector<ParsedFile>& all_parsed, store::WriteBatch& batch, IndexReport& report,
                               const IndexOptions& options, Clock::time_point graph_start,
                               Clock::time_point& write_start) {
  std::sort(all_parsed.begin(), all_parsed.end(), [](const ParsedFile& a, const ParsedFile& b) { return a.path < b.path; });
  std::vector<std::vector<SymbolId>> ids(all_parsed.size());
  std::vector<graph::FileInput> inputs(all_parsed.size());
  std::map<std::string, std::size_t> by_language;
  report.symbols = 0;
  report.files_partial = 0;
  for (std::size_t i = 0; i < all_parsed.size(); ++i) {
    ids[i] = assign_symbol_ids(all_parsed[i]);
    inputs[i] = {&all_parsed[i], &ids[i]};
    report.symbols += all_parsed[i].symbols.size();
    report.files_partial += all_parsed[i].error_nodes > 0 ? 1 : 0;
    ++by_language[std::string(to_string(all_parsed[i].language))];
  }
  report.files_total = all_parsed.size();
  report.files_by_language.assign(by_language.begin(), by_language.end());
  graph::GraphResult graph = graph::build_graph(inputs);
  report.seconds_graph = seconds_since(graph_start);
  log::info("index: resolved {} edges in {:.2f}s, peak RSS {}", graph.edges.size(), report.seconds_graph,
            format_bytes(peak_rss_bytes()));
  if (cancelled(options)) return make_error(ErrorCode::Cancelled, "indexing cancelled; the previous index is unchanged");

  write_start = Clock::now();
  std::map<std::string, std::size_t> by_kind;
  report.unresolved_references = 0;
  for (const auto& e : graph.edges) {
    ++by_kind[std::string(to_string(e.kind))];
    if (e.target == 0) ++report.unresolved_references;
  }
  report.edges = graph.edges.size();
  report.edges_by_kind.assign(by_kind.begin(), by_kind.end());
  for (auto status : {batch.replace_edges(graph.edges), batch.replace_ranks(graph.ranks)})
    if (!status) return status;
  report.graph_exact = true;
  return {};
}

}  // namespace

std::string_view to_string(Progress::Phase phase) {
  switch (phase) {
    case Progress::Phase::Scanning: return "scanning";
    case Progress::Phase::Parsing: return "parsing";
    case Progress::Phase::Resolving: return "resolving";
    case Progress::Phase::Writing: return "writing";
    case Progress::Phase::Done: return "done";
  }
  return "unknown";
}

std::uint64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) {
      std::uint64_t kib = 0;
      std::sscanf(line.c_str() + 6, "%lu", &kib);
      return kib * 1024;
    }
  }
  return 0;
}

Result<IndexReport> index_project(const fs::path& root_in, const IndexOptions& options) {
  const auto start = Clock::now();
  IndexReport report;
  const fs::path root = canonical_root(root_in);
  report.root = root;
  if (auto allowed = scan::check_root_allowed(root, options.force); !allowed) return std::unexpected(allowed.error());

  const fs::path data_dir = options.data_dir.empty() ? cci::data_dir() : options.data_dir;
  auto registry = store::Registry::open(data_dir);
  if (!registry) return std::unexpected(registry.error());
  report.db_path = (*registry)->db_path_for(root);
  std::error_code ec;
  fs::create_directories(report.db_path.parent_path(), ec);
  if (ec)
    return make_error(ErrorCode::IoError, fmt::format("cannot create {}: {}", report.db_path.parent_path().string(), ec.message()));
  auto project_lock = ProjectLock::acquire(report.db_path, options.cancel);
  if (!project_lock) return std::unexpected(project_lock.error());
  // The live index, if any: the source of unchanged files and the target of incremental updates.
  std::unique_ptr<store::IndexStore> live;
  if (fs::exists(report.db_path, ec)) {
    auto opened = store::IndexStore::open(report.db_path, store::OpenMode::ReadWrite);
    if (!opened) return std::unexpected(opened.error());
    live = std::move(*opened);
  }

  ProgressReporter progress(options.on_progress);
  progress.report({Progress::Phase::Scanning}, true);

  // --- scan -------------------------------------------------------------------------------------
  auto scan_start = Clock::now();
  scan::ScanOptions scan_options = options.scan;
  if (auto excludes = effective_excludes(live.get(), options.scan.extra_excludes); !excludes)
    return std::unexpected(excludes.error());
  else
    scan_options.extra_excludes = std::move(*excludes);
  const std::size_t workers = options.workers == 0 ? default_worker_count() : options.workers;
  scan_options.workers = workers;
  auto scanned = scan::scan_tree(root, scan_options);
  if (!scanned) return std::unexpected(scanned.error());
  report.seconds_scan = seconds_since(scan_start);
  report.ignored = scanned->ignored_count;
  report.unsupported = scanned->unsupported_count;
  for (const auto& s : scanned->skipped)
    report.skipped.push_back({s.path, std::string(scan::to_string(s.reason)), s.detail});

  std::unordered_map<std::string, store::FileRecord> existing;
  std::optional<std::string> previous_generation;
  bool previous_graph_approximate = false;  // update_paths() carried ranks over: re-resolve now
  if (live) {
    auto existing_files = live->files();
    if (!existing_files) return std::unexpected(existing_files.error());
    existing.reserve(existing_files->size());
    for (auto& f : *existing_files) existing.emplace(f.path, std::move(f));
    auto generation = live->meta("generation");
    if (!generation) return std::unexpected(generation.error());
    previous_generation = std::move(*generation);
    auto exact = live->meta("graph_exact");
    if (!exact) return std::unexpected(exact.error());
    previous_graph_approximate = *exact && **exact == "0";
  }
  report.incremental = previous_generation.has_value() && !options.force;

  // Unchanged by stat: not even read. Everything else is a candidate for (re)parsing.
  std::vector<const scan::ScannedFile*> candidates;
  std::vector<const store::FileRecord*> unchanged;
  for (const auto& f : scanned->files) {
    auto it = existing.find(f.path);
    if (!options.force && it != existing.end() && it->second.size == f.size && it->second.mtime_ns == f.mtime_ns)
      unchanged.push_back(&it->second);
    else
      candidates.push_back(&f);
  }

  if (options.delta_reconcile && report.incremental && live) {
    // Hand what changed to the watcher's path: stat-changed files, and indexed files the scan no
    // longer lists (deleted, now ignored or unindexable).
    std::vector<std::string> changed_paths;
    changed_paths.reserve(candidates.size());
    for (const scan::ScannedFile* f : candidates) changed_paths.push_back(f->path);
    std::unordered_set<std::string_view> listed;
    listed.reserve(scanned->files.size());
    for (const auto& f : scanned->files) listed.insert(f.path);
    for (const auto& [path, record] : existing)
      if (!listed.contains(path)) changed_paths.push_back(path);
    log::info("index: {}: reconcile found {} changed paths", root.string(), changed_paths.size());
    live.reset();
    project_lock->reset();  // update_paths takes it again
    IndexOptions delta = options;
    delta.delta_reconcile = false;  // its own fallback, if any, is a regular whole-project run
    auto updated = update_paths(root, changed_paths, delta);
    if (updated) updated->seconds_scan += report.seconds_scan;
    return updated;
  }

  // A first index or a forced one rewrites everything: it is built in a private file (no
  // journal, no WAL growing to the size of the index) and moved over the live one at the end.
  // Incremental runs update the live index in one WAL transaction.
  const bool full_build = !report.incremental;
  const fs::path build_path = fs::path(report.db_path.string() + fmt::format(".build-{}", ::getpid()));
  struct BuildFileGuard {
    const fs::path* path = nullptr;
    ~BuildFileGuard() {
      if (path == nullptr) return;
      std::error_code ignored;
      fs::remove(*path, ignored);
    }
  } build_guard{full_build ? &build_path : nullptr};
  std::unique_ptr<store::IndexStore> built;
  if (full_build) {
    remove_stale_builds(report.db_path);
    fs::remove(build_path, ec);
    auto opened = store::IndexStore::open(build_path, store::OpenMode::Build);
    if (!opened) return std::unexpected(opened.error());
    built = std::move(*opened);
  }
  store::IndexStore& writer = full_build ? *built : *live;
  auto batch = writer.begin_write();
  if (!batch) return std::unexpected(batch.error());

  // --- parse (workers) while writing (this thread) ---------------------------------------------
  auto parse_start = Clock::now();
  Progress parse_progress{Progress::Phase::Parsing, 0, candidates.size(), 0};
  progress.report(parse_progress, true);

  OutcomeQueue queue(std::max<std::size_t>(16, workers * 8));
  std::atomic<std::size_t> next{0};
  const bool has_c = scanned->has_c_sources;
  const bool has_cpp = scanned->has_cpp_sources;
  const std::uint64_t max_size = scan_options.max_file_size;
  auto worker = [&] {
    parse::Parser parser;
    for (std::size_t i = next.fetch_add(1); i < candidates.size() && !cancelled(options); i = next.fetch_add(1)) {
      Outcome out = examine_file(parser, root, *candidates[i], existing, options.force, has_c, has_cpp, max_size);
      out.index = i;
      queue.push(std::move(out));
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t t = 0; t < workers; ++t) threads.emplace_back(worker);
  std::thread closer([&] {
    for (auto& t : threads) t.join();
    queue.close();
  });

  std::vector<ParsedFile> all_parsed;
  all_parsed.reserve(scanned->files.size());
  std::vector<std::string> indexed_paths;  // every file that ends up in the index
  std::optional<Error> write_error;
  while (auto out = queue.pop()) {
    ++parse_progress.files_done;
    if (write_error || cancelled(options)) continue;  // drain so workers can finish
    switch (out->kind) {
      case Outcome::Kind::Parsed: {
        parse_progress.bytes_done += out->record.size;
        report.bytes_parsed += out->record.size;
        ++report.files_parsed;
        const auto ids = assign_symbol_ids(out->parsed);
        if (auto s = (*batch)->put_file(out->record, out->parsed, ids, out->content); !s) write_error = s.error();
        indexed_paths.push_back(out->record.path);
        slim_for_graph(out->parsed);
        all_parsed.push_back(std::move(out->parsed));
        break;
      }
      case Outcome::Kind::SameContent: {
        auto parsed = live->load_parsed(out->record.id);
        if (!parsed) {
          write_error = parsed.error();
          break;
        }
        const store::FileRecord& old = existing.at(out->record.path);
        out->record.line_count = old.line_count;
        out->record.symbol_count = old.symbol_count;
        out->record.partial = old.partial;
        const auto ids = assign_symbol_ids(*parsed);
        if (auto s = (*batch)->put_file(out->record, *parsed, ids, out->content); !s) write_error = s.error();
        ++report.files_unchanged;
        indexed_paths.push_back(out->record.path);
        slim_for_graph(*parsed);
        all_parsed.push_back(std::move(*parsed));
        break;
      }
      case Outcome::Kind::Skipped:
        report.skipped.push_back(std::move(out->skip));
        break;
      case Outcome::Kind::Unsupported:
        ++report.unsupported;
        break;
    }
    progress.report(parse_progress);
  }
  closer.join();
  if (write_error) return std::unexpected(*write_error);
  if (cancelled(options)) return make_error(ErrorCode::Cancelled, "indexing cancelled; the previous index is unchanged");
  report.seconds_parse = seconds_since(parse_start);
  log::info("index: parsed {} files in {:.2f}s, peak RSS {}", report.files_parsed, report.seconds_parse,
            format_bytes(peak_rss_bytes()));

  // --- files gone (deleted, now ignored, now binary/too large) ------------------------------------
  auto graph_start = Clock::now();
  for (const store::FileRecord* record : unchanged) indexed_paths.push_back(record->path);
  report.files_unchanged += unchanged.size();
  std::sort(indexed_paths.begin(), indexed_paths.end());
  for (const auto& [path, record] : existing) {
    if (std::binary_search(indexed_paths.begin(), indexed_paths.end(), path)) continue;
    if (!full_build)
      if (auto s = (*batch)->remove_file(record.id); !s) return std::unexpected(s.error());
    ++report.files_removed;
  }
  std::sort(report.skipped.begin(), report.skipped.end(),
            [](const store::SkippedRecord& a, const store::SkippedRecord& b) { return a.path < b.path; });

  // Edges and ranks depend on every file; when no file's content changed they are still current,
  // and a no-op run costs a scan and a few stats instead of a full re-resolution.
  const bool graph_dirty =
      full_build || report.files_parsed > 0 || report.files_removed > 0 || previous_graph_approximate;
  std::uint64_t generation = 0;
  if (previous_generation) {
    auto parsed_generation = parse_meta_number("generation", *previous_generation);
    if (!parsed_generation) return std::unexpected(parsed_generation.error());
    generation = *parsed_generation;
  }
  Clock::time_point write_start;
  if (graph_dirty) {
    ++generation;
    progress.report({Progress::Phase::Resolving, parse_progress.files_done, parse_progress.files_total, parse_progress.bytes_done}, true);
    for (const store::FileRecord* record : unchanged)
      if (auto s = load_for_graph(*live, record->id, all_parsed); !s) return std::unexpected(s.error());

    if (auto s = resolve_and_write_graph(all_parsed, **batch, report, options, graph_start, write_start); !s)
      return std::unexpected(s.error());
  } else {
    // Counts of the unchanged graph come from the last run's summary: COUNT(*) over millions of
    // edges would cost seconds on a kernel-sized index.
    auto summary = live->meta("summary");
    if (!summary) return std::unexpected(summary.error());
    if (!*summary || !decode_summary(**summary, report)) {
      auto stats = live->stats();
      if (!stats) return std::unexpected(stats.error());
      report.files_total = stats->files;
      report.files_partial = stats->partial_files;
      report.symbols = stats->symbols;
      report.edges = stats->edges;
      report.unresolved_references = stats->unresolved_edges;
      report.files_by_language = stats->files_by_language;
      report.edges_by_kind = stats->edges_by_kind;
    }
    write_start = Clock::now();
  }

  // --- write -----------------------------------------------------------------------------------------
  report.generation = generation;
  const std::int64_t now = unix_now();
  for (auto status : {(*batch)->replace_skipped(report.skipped), (*batch)->set_meta("generation", std::to_string(generation)),
                      (*batch)->set_meta("summary", encode_summary(report)), (*batch)->set_meta("graph_exact", "1"),
                      (*batch)->set_meta("excludes", join_lines(scan_options.extra_excludes)),
                      (*batch)->set_meta("has_c_sources", scanned->has_c_sources ? "1" : "0"),
                      (*batch)->set_meta("has_cpp_sources", scanned->has_cpp_sources ? "1" : "0"),
                      (*batch)->set_meta("indexed_at", std::to_string(now)), (*batch)->set_meta("root", root.string()),
                      (*batch)->set_meta("ignored_count", std::to_string(report.ignored)),
                      (*batch)->set_meta("unsupported_count", std::to_string(report.unsupported))}) {
    if (!status) return std::unexpected(status.error());
  }
  if (cancelled(options)) return make_error(ErrorCode::Cancelled, "indexing cancelled; the previous index is unchanged");
  if (auto s = (*batch)->commit(); !s) return std::unexpected(s.error());
  batch->reset();
  if (full_build) {
    built.reset();
    live.reset();
    if (auto s = store::install_built_index(build_path, report.db_path); !s) return std::unexpected(s.error());
  }
  report.seconds_write = seconds_since(write_start);

  if (auto s = register_project(**registry, root, report, now); !s) return std::unexpected(s.error());

  report.seconds_total = seconds_since(start);
  report.peak_rss_bytes = peak_rss_bytes();
  progress.report({Progress::Phase::Done, parse_progress.files_done, parse_progress.files_total, parse_progress.bytes_done}, true);
  return report;
}

Result<std::string> dump_index(store::IndexStore& db) {
  auto files = db.files();
  if (!files) return std::unexpected(files.error());
  std::sort(files->begin(), files->end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  std::string out;
  for (const auto& f : *files) {
    out += fmt::format("file {} {} hash={} lines={} symbols={} partial={}\n", f.path, to_string(f.language),
                       hex64(f.content_hash), f.line_count, f.symbol_count, f.partial);
    auto symbols = db.symbols_in_file(f.path);
    if (!symbols) return std::unexpected(symbols.error());
    for (const auto& s : *symbols) {
      out += fmt::format("  sym {} {} {} {}:{}-{}:{} parent={} exported={} pr={:.12g} imp={:.12g} in={} out={} tags={} sig=<{}> doc=<{}>\n",
                         s.id, to_string(s.kind), s.qualified_name, s.span.start_line, s.span.start_col, s.span.end_line,
                         s.span.end_col, s.parent_id, s.exported, s.pagerank, s.importance, s.in_degree, s.out_degree,
                         fmt::join(s.tags, ","), s.signature, s.doc);
      auto edges = db.edges_from(s.id, std::nullopt, 1u << 30);
      if (!edges) return std::unexpected(edges.error());
      for (const auto& e : *edges)
        out += fmt::format("    edge {} -> {} {} {} @{}:{}\n", to_string(e.kind), e.target, to_string(e.resolution),
                           e.target_name, e.line, e.col);
    }
  }
  auto skipped = db.skipped();
  if (!skipped) return std::unexpected(skipped.error());
  for (const auto& s : *skipped) out += fmt::format("skipped {} {} {}\n", s.path, s.reason, s.detail);
  return out;
}

}  // namespace cci::index

// --- update_paths ------------------------------------------------------------------------------------

namespace cci::index {
namespace {

// The file table of each project's index as of one (generation, indexed_at): update_paths needs
// every file's path and language to resolve imports, and keeps the table it wrote for the next
// update. A table of another generation (another process wrote since) is never used.
class FileTableCache {
 public:
  using Table = std::unique_ptr<std::unordered_map<FileId, store::FileRecord>>;

  // Removes and returns the table (the caller updates it in place and puts it back on success).
  Table take(const fs::path& db, std::uint64_t generation, const std::string& indexed_at) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(db.string());
    if (it == entries_.end()) return nullptr;
    Entry entry = std::move(it->second);
    entries_.erase(it);
    if (entry.generation != generation || entry.indexed_at != indexed_at) return nullptr;
    return std::move(entry.table);
  }

  void put(const fs::path& db, std::uint64_t generation, std::string indexed_at, Table table) {
    std::lock_guard lock(mutex_);
    entries_[db.string()] = Entry{generation, std::move(indexed_at), std::move(table)};
  }

 private:
  struct Entry {
    std::uint64_t generation = 0;
    std::string indexed_at;
    Table table;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

FileTableCache& file_table_cache() {
  static FileTableCache cache;
  return cache;
}

// A name defined in more files than this is not worth loading every definer for: no single edit
// can make such a name unique, so the resolver is told it is ambiguous instead (see below).
constexpr std::size_t kMaxDefinersPerName = 64;
// A name whose definition count stays above this after an edit cannot change how other files'
// references to it resolve (unique-name needs exactly one), so they are not revisited.
constexpr std::size_t kMaxDefinitionsForRevisit = 16;
// Beyond this many other files to re-resolve (a name that thousands of files call appeared or
// went), small projects take an exact whole-graph pass; large ones only unbind the edges to
// definitions that are gone, leaving by-name references to the next exact pass.
constexpr std::size_t kMaxRevisitedFiles = 300;

bool is_definition(SymbolKind kind) { return kind != SymbolKind::File && kind != SymbolKind::Import; }

// "a/b" from "./a/b/" and friends; nullopt for paths that leave the root.
std::optional<std::string> normalise_relative(std::string_view path) {
  std::string out;
  std::size_t i = 0;
  while (i <= path.size()) {
    const std::size_t slash = std::min(path.find('/', i), path.size());
    const std::string_view part = path.substr(i, slash - i);
    if (part == "..") return std::nullopt;
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = slash + 1;
  }
  if (!path.empty() && path.front() == '/') return std::nullopt;
  return out;
}

// The names a file's references may resolve through: referenced names, every segment of their
// qualifiers, imported names and the last segment of imported modules.
std::vector<std::string> referenced_names(const ParsedFile& parsed) {
  std::unordered_set<std::string> names;
  auto add_segments = [&](std::string_view text) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      const bool sep = i == text.size() || text[i] == '.' || text[i] == ':' || text[i] == '/' || text[i] == '-' ||
                       text[i] == '>';
      if (!sep) continue;
      if (i > start) names.emplace(text.substr(start, i - start));
      start = i + 1;
    }
  };
  for (const Reference& ref : parsed.references) {
    names.insert(ref.name);
    add_segments(ref.qualifier);
  }
  for (const Import& imp : parsed.imports) {
    add_segments(imp.module);
    for (const ImportedName& n : imp.names)
      if (n.name != "*") names.insert(n.name);
  }
  names.erase("");
  return {names.begin(), names.end()};
}

std::string stem_of(std::string_view path) {
  std::string_view base = path.substr(path.rfind('/') == std::string_view::npos ? 0 : path.rfind('/') + 1);
  return std::string(base.substr(0, base.find('.')));
}

// A file reduced to what import resolution needs: its path, language and File symbol.
ParsedFile file_stub(const store::FileRecord& record) {
  ParsedFile reduced;
  reduced.language = record.language;
  reduced.path = record.path;
  reduced.line_count = record.line_count;
  Symbol file;
  file.kind = SymbolKind::File;
  file.name = record.path.substr(record.path.rfind('/') == std::string::npos ? 0 : record.path.rfind('/') + 1);
  file.qualified_name = record.path;
  file.span = Span{1, 1, std::max<std::uint32_t>(record.line_count, 1), 1};
  reduced.symbols.push_back(std::move(file));
  return reduced;
}

// Stands for the definitions of names with too many definers to load: two definitions of each
// in a file no reference can reach by path, so the unique-name step sees them as ambiguous, as
// it would with every definer loaded.
ParsedFile ambiguity_stub(Language language, const std::vector<std::string>& names) {
  ParsedFile marker;
  marker.language = language;
  marker.path = fmt::format("\x01" "cci-ambiguous/{}", to_string(language));
  marker.line_count = 1;
  Symbol file;
  file.kind = SymbolKind::File;
  file.name = marker.path;
  file.qualified_name = marker.path;
  marker.symbols.push_back(std::move(file));
  for (const std::string& name : names) {
    for (int copy = 0; copy < 2; ++copy) {
      Symbol def;
      def.kind = SymbolKind::Function;
      def.name = name;
      def.qualified_name = fmt::format("\x01{}{}", copy, name);
      def.span = Span{1, 1, 1, 1};
      marker.symbols.push_back(std::move(def));
    }
  }
  return marker;
}

}  // namespace

Result<IndexReport> update_paths(const fs::path& root_in, const std::vector<std::string>& paths,
                                 const IndexOptions& options) {
  const auto start = Clock::now();
  IndexReport report;
  const fs::path root = canonical_root(root_in);
  report.root = root;
  report.incremental = true;
  const fs::path data_dir = options.data_dir.empty() ? cci::data_dir() : options.data_dir;
  auto registry = store::Registry::open(data_dir);
  if (!registry) return std::unexpected(registry.error());
  report.db_path = (*registry)->db_path_for(root);
  std::error_code ec;
  if (!fs::exists(report.db_path, ec))
    return make_error(ErrorCode::NotFound, fmt::format("{} has no index yet; run `cci index` first", root.string()));

  // Whatever this fast path cannot do exactly and cheaply, a regular incremental run does.
  auto whole_project_run = [&](std::unique_ptr<store::IndexStore>& live, std::unique_ptr<ProjectLock>& lock,
                               std::string_view why) -> Result<IndexReport> {
    log::info("index: {}: {}; running a whole-project incremental pass", root.string(), why);
    live.reset();
    lock.reset();  // index_project takes it again
    return index_project(root, options);
  };

  auto acquired = ProjectLock::acquire(report.db_path, options.cancel);
  if (!acquired) return std::unexpected(acquired.error());
  std::unique_ptr<ProjectLock> project_lock = std::move(*acquired);
  std::unique_ptr<store::IndexStore> live;
  {
    auto opened = store::IndexStore::open(report.db_path, store::OpenMode::ReadWrite);
    if (!opened) return std::unexpected(opened.error());
    live = std::move(*opened);
  }
  auto generation_meta = live->meta("generation");
  if (!generation_meta) return std::unexpected(generation_meta.error());
  if (!*generation_meta)
    return make_error(ErrorCode::NotFound, fmt::format("{} has no complete index yet; run `cci index` first", root.string()));
  auto parsed_generation = parse_meta_number("generation", **generation_meta);
  if (!parsed_generation) return std::unexpected(parsed_generation.error());
  std::uint64_t generation = *parsed_generation;
  auto summary = live->meta("summary");
  if (!summary) return std::unexpected(summary.error());
  if (!*summary || !decode_summary(**summary, report)) return whole_project_run(live, project_lock, "no summary");
  auto exact_meta = live->meta("graph_exact");
  if (!exact_meta) return std::unexpected(exact_meta.error());
  const bool was_exact = !*exact_meta || **exact_meta != "0";
  auto indexed_at = live->meta("indexed_at");
  if (!indexed_at) return std::unexpected(indexed_at.error());
  const std::string indexed_at_meta = indexed_at->value_or("");
  for (auto key : {"ignored_count", "unsupported_count"}) {
    auto value = live->meta(key);
    if (!value) return std::unexpected(value.error());
    std::size_t* field = std::string_view(key) == "ignored_count" ? &report.ignored : &report.unsupported;
    if (*value) std::from_chars(value->value().data(), value->value().data() + value->value().size(), *field);
  }

  // --- which files to look at ----------------------------------------------------------------------
  auto scan_start = Clock::now();
  std::set<std::string> candidates;
  std::vector<std::string> given_paths;  // files or directories, present or gone
  std::unordered_map<std::string, store::FileRecord> existing;
  for (const std::string& raw : paths) {
    auto rel = normalise_relative(raw);
    if (!rel) continue;
    if (rel->empty()) return whole_project_run(live, project_lock, "the root itself changed");
    given_paths.push_back(*rel);
    const fs::path abs = root / *rel;
    std::error_code status_error;
    const auto status = fs::symlink_status(abs, status_error);
    if (!status_error && fs::is_directory(status)) {
      // A directory moved in or created: everything below it (ignore rules come later). Paths
      // stay as seen from the root, symlinks included, as the full scan records them.
      std::error_code walk_error;
      auto it = fs::recursive_directory_iterator(abs, fs::directory_options::skip_permission_denied, walk_error);
      for (; !walk_error && it != fs::recursive_directory_iterator(); it.increment(walk_error)) {
        std::error_code entry_error;
        if (it->is_directory(entry_error) && !it->is_symlink(entry_error) && it->path().filename() == ".git") {
          it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(entry_error) || it->is_symlink(entry_error))
          candidates.insert(it->path().lexically_relative(root).generic_string());
      }
      if (walk_error)
        return whole_project_run(live, project_lock,
                                 fmt::format("cannot list {}: {}", abs.string(), walk_error.message()));
    } else {
      candidates.insert(*rel);
    }
    // Indexed files at or below the path: gone, moved away, or still there.
    auto below = live->files_under(*rel);
    if (!below) return std::unexpected(below.error());
    for (auto& record : *below) {
      candidates.insert(record.path);
      existing.emplace(record.path, std::move(record));
    }
  }
  if (candidates.size() > std::max<std::size_t>(2000, report.files_total / 4))
    return whole_project_run(live, project_lock, fmt::format("{} paths changed", candidates.size()));
  for (const std::string& path : candidates) {
    if (existing.contains(path)) continue;
    auto record = live->file(path);
    if (!record) return std::unexpected(record.error());
    if (*record) existing.emplace(path, std::move(**record));
  }
  std::vector<std::string> candidate_list(candidates.begin(), candidates.end());
  scan::ScanOptions scan_options = options.scan;
  scan_options.workers = 1;
  if (auto excludes = effective_excludes(live.get(), options.scan.extra_excludes); !excludes)
    return std::unexpected(excludes.error());
  else
    scan_options.extra_excludes = std::move(*excludes);
  auto scanned = scan::scan_paths(root, candidate_list, scan_options);
  if (!scanned) return std::unexpected(scanned.error());
  report.seconds_scan = seconds_since(scan_start);

  // Every reported file is read and hashed, even with an unchanged stat: the watcher saw it change,
  // and a same-size rewrite within one timestamp tick must not be lost. Parsed only if new.
  std::vector<const scan::ScannedFile*> to_examine;
  std::unordered_set<std::string> present;
  for (const auto& f : scanned->files) {
    present.insert(f.path);
    to_examine.push_back(&f);
  }
  const auto language_count = [&](std::string_view lang) {
    for (const auto& [k, v] : report.files_by_language)
      if (k == lang) return v;
    return std::size_t{0};
  };
  // As the last full scan saw the project (a .h is C or C++ by its neighbours).
  auto has_sources = [&](const char* key, std::string_view lang) -> Result<bool> {
    auto value = live->meta(key);
    if (!value) return std::unexpected(value.error());
    if (*value) return **value == "1";
    return language_count(lang) > 0;  // an index from before the flag was stored
  };
  auto stored_c = has_sources("has_c_sources", "c");
  auto stored_cpp = has_sources("has_cpp_sources", "cpp");
  if (!stored_c) return std::unexpected(stored_c.error());
  if (!stored_cpp) return std::unexpected(stored_cpp.error());
  const bool has_c = scanned->has_c_sources || *stored_c;
  const bool has_cpp = scanned->has_cpp_sources || *stored_cpp;

  auto parse_start = Clock::now();
  std::vector<Outcome> outcomes(to_examine.size());
  {
    std::atomic<std::size_t> next{0};
    const std::size_t workers =
        std::min(to_examine.size(), options.workers == 0 ? default_worker_count() : options.workers);
    auto work = [&] {
      parse::Parser parser;
      for (std::size_t i = next.fetch_add(1); i < to_examine.size() && !cancelled(options); i = next.fetch_add(1))
        outcomes[i] = examine_file(parser, root, *to_examine[i], existing, options.force, has_c, has_cpp,
                                   scan_options.max_file_size);
    };
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < workers; ++t) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();
  }
  if (cancelled(options)) return make_error(ErrorCode::Cancelled, "update cancelled; the previous index is unchanged");
  report.seconds_parse = seconds_since(parse_start);

  // --- classify ----------------------------------------------------------------------------------------
  std::vector<Outcome*> changed;                 // new or different content, parsed
  std::vector<Outcome*> touched;                 // same content, new stat
  std::vector<const store::FileRecord*> gone;    // indexed, and now deleted, ignored or unindexable
  std::vector<store::SkippedRecord> new_skips;
  for (const auto& s : scanned->skipped) new_skips.push_back({s.path, std::string(scan::to_string(s.reason)), s.detail});
  std::unordered_set<std::string> unindexable;
  for (Outcome& out : outcomes) {
    switch (out.kind) {
      case Outcome::Kind::Parsed: changed.push_back(&out); break;
      case Outcome::Kind::SameContent: touched.push_back(&out); break;
      case Outcome::Kind::Skipped:
        unindexable.insert(out.skip.path);
        new_skips.push_back(std::move(out.skip));
        break;
      case Outcome::Kind::Unsupported: break;
    }
  }
  for (std::size_t i = 0; i < outcomes.size(); ++i)
    if (outcomes[i].kind == Outcome::Kind::Unsupported) unindexable.insert(to_examine[i]->path);
  for (const auto& [path, record] : existing)
    if (!present.contains(path) || unindexable.contains(path)) gone.push_back(&record);
  std::sort(gone.begin(), gone.end(), [](auto* a, auto* b) { return a->path < b->path; });
  report.files_parsed = changed.size();
  report.files_removed = gone.size();
  report.files_unchanged = touched.size();
  for (Outcome* out : changed) report.bytes_parsed += out->record.size;

  // The stored skip list, with this update's paths re-decided.
  auto stored_skips = live->skipped();
  if (!stored_skips) return std::unexpected(stored_skips.error());
  std::vector<store::SkippedRecord> skips;
  auto decided_now = [&](const std::string& path) {
    if (candidates.contains(path)) return true;
    // Below a given path that was a directory (it may be gone now).
    return std::any_of(given_paths.begin(), given_paths.end(), [&](const std::string& dir) {
      return path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/';
    });
  };
  const std::vector<store::SkippedRecord> previous_skips = *stored_skips;
  for (auto& s : *stored_skips)
    if (!decided_now(s.path)) skips.push_back(std::move(s));
  for (auto& s : new_skips) skips.push_back(std::move(s));
  auto skip_order = [](const store::SkippedRecord& a, const store::SkippedRecord& b) {
    return std::tie(a.path, a.reason, a.detail) < std::tie(b.path, b.reason, b.detail);
  };
  std::sort(skips.begin(), skips.end(), skip_order);
  const bool skips_changed = [&] {
    std::vector<store::SkippedRecord> before = previous_skips;
    std::sort(before.begin(), before.end(), skip_order);
    return before.size() != skips.size() ||
           !std::equal(before.begin(), before.end(), skips.begin(), [](const auto& a, const auto& b) {
             return a.path == b.path && a.reason == b.reason && a.detail == b.detail;
           });
  }();
  report.skipped = skips;

  auto batch = live->begin_write();
  if (!batch) return std::unexpected(batch.error());
  for (Outcome* out : touched)
    if (auto s = (*batch)->touch_file(out->record.id, out->record.size, out->record.mtime_ns); !s)
      return std::unexpected(s.error());
  const bool graph_changed = !changed.empty() || !gone.empty();
  if (!graph_changed) {
    // Only stats moved, or only the skip list changed: the latter is an answer too (get_index_status),
    // so it gets a new generation and caches keyed by generation let go of the old one.
    if (skips_changed) {
      ++generation;
      for (auto status : {(*batch)->replace_skipped(report.skipped),
                          (*batch)->set_meta("generation", std::to_string(generation))})
        if (!status) return std::unexpected(status.error());
    }
    if (auto s = (*batch)->commit(); !s) return std::unexpected(s.error());
    report.generation = generation;
    report.graph_exact = was_exact;
    report.seconds_total = seconds_since(start);
    return report;
  }

  // --- the files whose edges change ----------------------------------------------------------------------
  auto graph_start = Clock::now();
  struct OldSymbol {
    SymbolId id;
    std::string name;
    SymbolKind kind;
  };
  std::vector<OldSymbol> old_symbols;  // of changed and gone files, before the update
  std::unordered_set<FileId> focus_files;
  auto collect_old = [&](const std::string& path) -> Status {
    auto it = existing.find(path);
    if (it == existing.end()) return {};
    auto symbols = live->symbols_in_file(path);
    if (!symbols) return std::unexpected(symbols.error());
    for (auto& sym : *symbols) old_symbols.push_back({sym.id, std::move(sym.name), sym.kind});
    return {};
  };
  for (Outcome* out : changed) {
    if (auto s = collect_old(out->record.path); !s) return std::unexpected(s.error());
    focus_files.insert(out->record.id);
  }
  for (const store::FileRecord* record : gone)
    if (auto s = collect_old(record->path); !s) return std::unexpected(s.error());

  std::vector<std::vector<SymbolId>> new_ids(changed.size());
  std::unordered_set<SymbolId> new_id_set;
  for (std::size_t i = 0; i < changed.size(); ++i) {
    new_ids[i] = assign_symbol_ids(changed[i]->parsed);
    new_id_set.insert(new_ids[i].begin(), new_ids[i].end());
  }
  std::unordered_set<SymbolId> old_id_set;
  std::vector<SymbolId> removed_ids;
  std::set<std::string> names_delta;  // definitions that appeared or disappeared
  for (const OldSymbol& sym : old_symbols) {
    old_id_set.insert(sym.id);
    if (new_id_set.contains(sym.id)) continue;
    removed_ids.push_back(sym.id);
    if (is_definition(sym.kind)) names_delta.insert(sym.name);
  }
  for (std::size_t i = 0; i < changed.size(); ++i) {
    const ParsedFile& parsed = changed[i]->parsed;
    for (std::size_t k = 0; k < parsed.symbols.size(); ++k)
      if (!old_id_set.contains(new_ids[i][k]) && is_definition(parsed.symbols[k].kind))
        names_delta.insert(parsed.symbols[k].name);
    if (!existing.contains(parsed.path)) names_delta.insert(stem_of(parsed.path));  // a new importable file
  }
  for (const store::FileRecord* record : gone) names_delta.insert(stem_of(record->path));
  names_delta.erase("");

  // Other files that referred to what disappeared, or whose references by name may now resolve
  // differently: their edges are re-resolved too (from their stored extraction).
  std::set<FileId> revisit;
  for (SymbolId id : removed_ids) {
    auto files = live->files_referencing(id);
    if (!files) return std::unexpected(files.error());
    revisit.insert(files->begin(), files->end());
  }
  for (const std::string& name : names_delta) {
    auto defs = live->symbol_ids_named(name);  // before the update (the batch has not written yet)
    if (!defs) return std::unexpected(defs.error());
    if (defs->size() > kMaxDefinitionsForRevisit) continue;
    auto unresolved = live->files_referencing_unresolved(name);
    if (!unresolved) return std::unexpected(unresolved.error());
    revisit.insert(unresolved->begin(), unresolved->end());
    for (SymbolId def : *defs) {
      auto files = live->files_referencing(def);
      if (!files) return std::unexpected(files.error());
      revisit.insert(files->begin(), files->end());
    }
  }
  for (const store::FileRecord* record : gone) revisit.erase(record->id);
  for (FileId id : focus_files) revisit.erase(id);
  log::debug("index: update of {}: {} changed, {} gone, {} symbols removed, {} names changed, {} files to revisit",
             root.string(), changed.size(), gone.size(), removed_ids.size(), names_delta.size(), revisit.size());
  bool revisit_skipped = false;
  if (revisit.size() > kMaxRevisitedFiles) {
    if (report.symbols <= options.exact_graph_max_symbols) {
      batch->reset();
      return whole_project_run(live, project_lock, fmt::format("{} files refer to the changed names", revisit.size()));
    }
    log::info("index: {}: {} files refer to the changed names; unbinding edges to removed definitions only",
              root.string(), revisit.size());
    revisit.clear();
    revisit_skipped = true;
  }
  report.files_reresolved = revisit.size();

  // Focus files: changed ones (new extraction) and revisited ones (stored extraction).
  std::deque<ParsedFile> loaded;
  std::unordered_map<std::string, const ParsedFile*> context;  // path -> full extraction
  std::vector<std::string> focus_paths;
  std::vector<SymbolId> edge_sources(old_id_set.begin(), old_id_set.end());
  for (Outcome* out : changed) {
    context[out->record.path] = &out->parsed;
    focus_paths.push_back(out->record.path);
  }
  for (FileId id : revisit) {
    auto parsed = live->load_parsed(id);
    if (!parsed) return std::unexpected(parsed.error());
    const auto ids = assign_symbol_ids(*parsed);
    edge_sources.insert(edge_sources.end(), ids.begin(), ids.end());
    focus_paths.push_back(parsed->path);
    loaded.push_back(std::move(*parsed));
    context[loaded.back().path] = &loaded.back();
  }

  // --- write the files, drop their old edges ---------------------------------------------------------------
  auto removed_edges = (*batch)->remove_edges_from(edge_sources);
  if (!removed_edges) return std::unexpected(removed_edges.error());
  for (std::size_t i = 0; i < changed.size(); ++i)
    if (auto s = (*batch)->put_file(changed[i]->record, changed[i]->parsed, new_ids[i], changed[i]->content); !s)
      return std::unexpected(s.error());
  for (const store::FileRecord* record : gone)
    if (auto s = (*batch)->remove_file(record->id); !s) return std::unexpected(s.error());
  if (auto s = (*batch)->remove_ranks(removed_ids); !s) return std::unexpected(s.error());
  std::vector<store::EdgeRecord> unbound;  // edges of unvisited files whose target went away
  if (revisit_skipped) {
    auto edges = (*batch)->unresolve_edges_to(removed_ids);
    if (!edges) return std::unexpected(edges.error());
    unbound = std::move(*edges);
  }

  // Every file's record after this update: the cached table of the previous generation with the
  // changes applied (reading 56k rows would cost ~100 ms per update on the kernel).
  FileTableCache::Table all_files = file_table_cache().take(report.db_path, generation, indexed_at_meta);
  if (all_files) {
    for (const store::FileRecord* record : gone) all_files->erase(record->id);
    for (Outcome* out : changed) (*all_files)[out->record.id] = out->record;
    for (Outcome* out : touched) {
      store::FileRecord& record = (*all_files)[out->record.id];
      record = existing.at(out->record.path);
      record.size = out->record.size;
      record.mtime_ns = out->record.mtime_ns;
    }
  } else {
    auto read = live->files();  // inside the batch: already with this update's changes
    if (!read) return std::unexpected(read.error());
    all_files = std::make_unique<std::unordered_map<FileId, store::FileRecord>>();
    all_files->reserve(read->size());
    for (auto& f : *read) all_files->emplace(f.id, std::move(f));
  }
  std::size_t total_symbols = 0;
  for (const auto& [id, f] : *all_files) total_symbols += f.symbol_count;

  Clock::time_point write_start = Clock::now();
  if (total_symbols <= options.exact_graph_max_symbols) {
    // Small enough to re-resolve and re-rank everything: exact, like a full run.
    std::vector<ParsedFile> all_parsed;
    all_parsed.reserve(all_files->size());
    for (const auto& [id, f] : *all_files)
      if (auto s = load_for_graph(*live, id, all_parsed); !s) return std::unexpected(s.error());
    if (auto s = resolve_and_write_graph(all_parsed, **batch, report, options, graph_start, write_start); !s)
      return std::unexpected(s.error());
  } else {
    // Resolve the focus files against the files their references can reach: definers of every
    // name they use and the files they imported before, loaded in full; the files an import may
    // name, reduced to their File symbol (a path is all import resolution needs); and any file an
    // import lands on is then loaded in full too, so names bound by it see their definitions.
    auto load_into_context = [&](FileId id) -> Status {
      auto parsed = live->load_parsed(id);
      if (!parsed) return std::unexpected(parsed.error());
      if (context.contains(parsed->path)) return {};
      slim_for_graph(*parsed);
      loaded.push_back(std::move(*parsed));
      context[loaded.back().path] = &loaded.back();
      return {};
    };
    const auto& record_by_id = *all_files;
    std::unordered_set<FileId> loaded_ids;
    for (const auto& e : *removed_edges) {
      if (e.kind != EdgeKind::Imports || e.target == 0 || !record_by_id.contains(e.target)) continue;
      if (loaded_ids.insert(e.target).second)
        if (auto s = load_into_context(e.target); !s) return std::unexpected(s.error());
    }
    std::set<std::string> names;
    std::set<Language> focus_languages;
    std::unordered_set<std::string> import_keys;  // path segments an import of a focus file names
    std::unordered_set<std::string_view> focus_dirs;
    auto add_keys = [&](std::string_view text) {
      std::size_t begin = 0;
      for (std::size_t i = 0; i <= text.size(); ++i) {
        const bool sep = i == text.size() || text[i] == '.' || text[i] == ':' || text[i] == '/' || text[i] == '-' ||
                         text[i] == '>' || text[i] == '\\';
        if (!sep) continue;
        if (i > begin) import_keys.emplace(text.substr(begin, i - begin));
        begin = i + 1;
      }
    };
    for (const std::string& path : focus_paths) {
      const ParsedFile& parsed = *context.at(path);
      for (std::string& n : referenced_names(parsed)) names.insert(std::move(n));
      focus_languages.insert(parsed.language);
      for (const Import& imp : parsed.imports) {
        if (parsed.language == Language::C || parsed.language == Language::Cpp) {
          // An include names one file by its path's tail: only files with that basename can match.
          const std::string_view module = imp.module;
          const std::string_view base = module.substr(module.rfind('/') == std::string_view::npos ? 0 : module.rfind('/') + 1);
          import_keys.emplace(base.substr(0, base.find('.')));
        } else {
          add_keys(imp.module);
        }
      }
      const std::size_t slash = path.rfind('/');
      focus_dirs.insert(slash == std::string::npos ? std::string_view() : std::string_view(path).substr(0, slash));
    }
    std::map<Language, std::vector<std::string>> too_common;
    std::vector<FileId> to_load;
    for (const std::string& name : names) {
      auto definers = live->files_defining(name, kMaxDefinersPerName + 1);
      if (!definers) return std::unexpected(definers.error());
      if (definers->size() > kMaxDefinersPerName) {
        for (Language lang : focus_languages) too_common[lang].push_back(name);
        continue;
      }
      for (FileId id : *definers)
        if (loaded_ids.insert(id).second) to_load.push_back(id);
    }
    if (to_load.size() < 64) {
      for (FileId id : to_load)
        if (auto s = load_into_context(id); !s) return std::unexpected(s.error());
    } else {
      // Thousands of extractions (a branch switch): decoded on every worker, each with its own
      // read connection. Definers are unchanged files (changed ones are in the context already),
      // so the last committed state the readers see is the right one.
      const std::size_t workers = std::min<std::size_t>(options.workers == 0 ? default_worker_count() : options.workers, 8);
      std::vector<std::vector<ParsedFile>> parts(workers);
      std::vector<std::optional<Error>> errors(workers);
      std::vector<std::thread> threads;
      for (std::size_t w = 0; w < workers; ++w) {
        threads.emplace_back([&, w] {
          auto reader = store::IndexStore::open(report.db_path, store::OpenMode::ReadOnly);
          if (!reader) {
            errors[w] = reader.error();
            return;
          }
          for (std::size_t i = w; i < to_load.size(); i += workers) {
            auto parsed = (*reader)->load_parsed(to_load[i]);
            if (!parsed) {
              errors[w] = parsed.error();
              return;
            }
            slim_for_graph(*parsed);
            parts[w].push_back(std::move(*parsed));
          }
        });
      }
      for (auto& t : threads) t.join();
      for (auto& e : errors)
        if (e) return std::unexpected(*e);
      for (auto& part : parts) {
        for (ParsedFile& parsed : part) {
          if (context.contains(parsed.path)) continue;
          loaded.push_back(std::move(parsed));
          context[loaded.back().path] = &loaded.back();
        }
      }
    }
    // Stubs: files an import of a focus file may resolve to (its stem or its directory's name is
    // a segment of the import, as for "linux/slab.h", "pkg.util", "./view.js", Go and Java
    // packages, Rust modules), the focus files' neighbours (same package), and Python packages'
    // __init__.py (suffix matching asks whether a directory is a package).
    std::deque<ParsedFile> stubs;
    for (const auto& [id, f] : *all_files) {
      if (context.contains(f.path)) continue;
      const std::size_t slash = f.path.rfind('/');
      const std::string_view dir = slash == std::string::npos ? std::string_view() : std::string_view(f.path).substr(0, slash);
      const std::string_view base = std::string_view(f.path).substr(slash == std::string::npos ? 0 : slash + 1);
      const std::string_view stem = base.substr(0, base.find('.'));
      const std::size_t dir_slash = dir.rfind('/');
      const std::string_view dir_name = dir_slash == std::string_view::npos ? dir : dir.substr(dir_slash + 1);
      if (import_keys.contains(std::string(stem)) || import_keys.contains(std::string(dir_name)) ||
          focus_dirs.contains(dir) || base == "__init__.py")
        stubs.push_back(file_stub(f));
    }
    for (const auto& [lang, list] : too_common) stubs.push_back(ambiguity_stub(lang, list));

    std::vector<graph::Edge> edges;
    for (int round = 0; round < 3; ++round) {
      std::vector<graph::FileInput> inputs;
      inputs.reserve(context.size() + stubs.size());
      for (const auto& [path, parsed] : context) inputs.push_back({parsed, nullptr});
      for (const ParsedFile& stub : stubs)
        if (!context.contains(stub.path)) inputs.push_back({&stub, nullptr});
      edges = graph::resolve_file_edges(inputs, focus_paths);
      bool more = false;
      for (const graph::Edge& e : edges) {
        if (e.kind != EdgeKind::Imports || e.target == 0 || !loaded_ids.insert(e.target).second) continue;
        if (!record_by_id.contains(e.target)) continue;
        if (auto s = load_into_context(e.target); !s) return std::unexpected(s.error());
        more = true;
      }
      if (!more) break;
    }
    report.seconds_graph = seconds_since(graph_start);
    log::debug("index: {}: resolved {} focus files against {} loaded and {} path-only files in {:.0f} ms ({} names)",
              root.string(), focus_paths.size(), loaded.size(), stubs.size(), report.seconds_graph * 1000,
              names.size());
    write_start = Clock::now();
    if (auto s = (*batch)->add_edges(edges); !s) return std::unexpected(s.error());

    // Degrees move by the edges removed and added (every edge into a new symbol was added now);
    // ranks of surviving symbols are carried over, new ones start at the floor until the next
    // exact pass.
    const std::unordered_set<SymbolId> removed_set(removed_ids.begin(), removed_ids.end());
    std::map<SymbolId, store::WriteBatch::DegreeDelta> deltas;
    auto count = [&](SymbolId source, SymbolId target, EdgeKind kind, int sign) {
      if (kind == EdgeKind::Contains || target == 0) return;
      if (!removed_set.contains(source)) {
        auto& d = deltas[source];
        d.id = source;
        d.out += sign;
      }
      if (!removed_set.contains(target)) {
        auto& d = deltas[target];
        d.id = target;
        d.in += sign;
      }
    };
    for (const auto& e : *removed_edges) count(e.source, e.target, e.kind, -1);
    for (const auto& e : unbound) count(e.source, e.target, e.kind, -1);
    for (const auto& e : edges) count(e.source, e.target, e.kind, +1);
    for (const auto& ids : new_ids)
      for (SymbolId id : ids) deltas[id].id = id;  // a rank row for every new symbol
    std::vector<store::WriteBatch::DegreeDelta> delta_list;
    delta_list.reserve(deltas.size());
    for (const auto& [id, d] : deltas)
      if (d.in != 0 || d.out != 0 || !old_id_set.contains(id)) delta_list.push_back(d);
    if (auto s = (*batch)->adjust_degrees(delta_list, 0.0); !s) return std::unexpected(s.error());

    // Graph-wide counts, adjusted by what changed.
    std::map<std::string, std::ptrdiff_t> kind_delta;
    std::ptrdiff_t unresolved_delta = 0;
    for (const auto& e : *removed_edges) {
      --kind_delta[std::string(to_string(e.kind))];
      unresolved_delta -= e.target == 0 ? 1 : 0;
    }
    unresolved_delta += static_cast<std::ptrdiff_t>(unbound.size());
    for (const auto& e : edges) {
      ++kind_delta[std::string(to_string(e.kind))];
      unresolved_delta += e.target == 0 ? 1 : 0;
    }
    std::map<std::string, std::size_t> by_kind(report.edges_by_kind.begin(), report.edges_by_kind.end());
    for (const auto& [kind, delta] : kind_delta)
      by_kind[kind] = static_cast<std::size_t>(std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(by_kind[kind]) + delta));
    std::erase_if(by_kind, [](const auto& kv) { return kv.second == 0; });
    report.edges_by_kind.assign(by_kind.begin(), by_kind.end());
    report.edges = 0;
    for (const auto& [kind, n] : by_kind) report.edges += n;
    report.unresolved_references = static_cast<std::size_t>(
        std::max<std::ptrdiff_t>(0, static_cast<std::ptrdiff_t>(report.unresolved_references) + unresolved_delta));
    std::map<Language, std::size_t> languages;
    std::size_t partial = 0;
    for (const auto& [id, f] : *all_files) {
      ++languages[f.language];
      partial += f.partial ? 1 : 0;
    }
    std::map<std::string, std::size_t> by_language;
    for (const auto& [lang, n] : languages) by_language[std::string(to_string(lang))] = n;
    report.files_by_language.assign(by_language.begin(), by_language.end());
    report.files_total = all_files->size();
    report.files_partial = partial;
    report.symbols = total_symbols;
    report.graph_exact = false;
  }

  // --- commit ---------------------------------------------------------------------------------------------------
  ++generation;
  report.generation = generation;
  const std::int64_t now = unix_now();
  for (auto status : {(*batch)->replace_skipped(report.skipped),
                      (*batch)->set_meta("generation", std::to_string(generation)),
                      (*batch)->set_meta("summary", encode_summary(report)),
                      (*batch)->set_meta("graph_exact", report.graph_exact ? "1" : "0"),
                      (*batch)->set_meta("indexed_at", std::to_string(now))}) {
    if (!status) return std::unexpected(status.error());
  }
  if (cancelled(options)) return make_error(ErrorCode::Cancelled, "update cancelled; the previous index is unchanged");
  if (auto s = (*batch)->commit(); !s) return std::unexpected(s.error());
  batch->reset();
  file_table_cache().put(report.db_path, generation, std::to_string(now), std::move(all_files));
  report.seconds_write = seconds_since(write_start);

  if (auto s = register_project(**registry, root, report, now); !s) return std::unexpected(s.error());
  report.seconds_total = seconds_since(start);
  log::debug("index: {}: phases scan {:.0f} parse {:.0f} graph {:.0f} write {:.0f} ms", root.string(),
            report.seconds_scan * 1000, report.seconds_parse * 1000, report.seconds_graph * 1000,
            report.seconds_write * 1000);
  log::debug("index: {}: updated {} files ({} re-resolved, {} removed) in {:.1f} ms, generation {}", root.string(),
             report.files_parsed, report.files_reresolved, report.files_removed, report.seconds_total * 1000,
             generation);
  return report;
}

}  // namespace cci::index
