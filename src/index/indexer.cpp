#include "index/indexer.h"

#include <fcntl.h>
#include <signal.h>
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
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

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
    return read_whole_file(fs::canonical(path), max_size, error, too_large);
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
  if (live) {
    auto existing_files = live->files();
    if (!existing_files) return std::unexpected(existing_files.error());
    existing.reserve(existing_files->size());
    for (auto& f : *existing_files) existing.emplace(f.path, std::move(f));
    auto generation = live->meta("generation");
    if (!generation) return std::unexpected(generation.error());
    previous_generation = std::move(*generation);
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
      const scan::ScannedFile& file = *candidates[i];
      Outcome out;
      out.index = i;
      std::string error;
      bool too_large = false;
      auto content = read_whole_file(root / file.path, max_size, error, too_large);
      if (!content) {
        out.kind = Outcome::Kind::Skipped;
        out.skip = {file.path, std::string(scan::to_string(too_large ? scan::SkipReason::TooLarge : scan::SkipReason::Unreadable)),
                    error};
        queue.push(std::move(out));
        continue;
      }
      if (auto skip = scan::classify_content(file.path, *content)) {
        out.kind = Outcome::Kind::Skipped;
        out.skip = {skip->path, std::string(scan::to_string(skip->reason)), skip->detail};
        queue.push(std::move(out));
        continue;
      }
      const Language lang = scan::detect_language(file.path, std::string_view(*content).substr(0, 16384), has_c, has_cpp);
      if (lang == Language::Unknown) {
        out.kind = Outcome::Kind::Unsupported;
        queue.push(std::move(out));
        continue;
      }
      out.record.id = file_id_for(file.path);
      out.record.path = file.path;
      out.record.language = lang;
      out.record.size = content->size();
      out.record.mtime_ns = file.mtime_ns;
      out.record.content_hash = hash64(*content);
      auto old = existing.find(file.path);
      if (!options.force && old != existing.end() && old->second.content_hash == out.record.content_hash &&
          old->second.language == lang) {
        out.kind = Outcome::Kind::SameContent;  // touched, not changed: refresh the stat, keep the parse
        out.content = std::move(*content);
        queue.push(std::move(out));
        continue;
      }
      auto parsed = parser.parse(file.path, lang, *content);
      if (!parsed) {
        out.kind = Outcome::Kind::Skipped;
        out.skip = {file.path, "parse-error", parsed.error().message};
        queue.push(std::move(out));
        continue;
      }
      out.kind = Outcome::Kind::Parsed;
      out.parsed = std::move(*parsed);
      out.record.line_count = out.parsed.line_count;
      out.record.symbol_count = static_cast<std::uint32_t>(out.parsed.symbols.size());
      out.record.partial = out.parsed.error_nodes > 0;
      out.content = std::move(*content);
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
  const bool graph_dirty = full_build || report.files_parsed > 0 || report.files_removed > 0;
  std::uint64_t generation = previous_generation ? std::stoull(*previous_generation) : 0;
  Clock::time_point write_start;
  if (graph_dirty) {
    ++generation;
    progress.report({Progress::Phase::Resolving, parse_progress.files_done, parse_progress.files_total, parse_progress.bytes_done}, true);
    for (const store::FileRecord* record : unchanged) {
      auto parsed = live->load_parsed(record->id);
      if (!parsed) return std::unexpected(parsed.error());
      slim_for_graph(*parsed);
      all_parsed.push_back(std::move(*parsed));
    }

    // --- resolve + rank ----------------------------------------------------------------------------
    std::sort(all_parsed.begin(), all_parsed.end(), [](const ParsedFile& a, const ParsedFile& b) { return a.path < b.path; });
    std::vector<std::vector<SymbolId>> ids(all_parsed.size());
    std::vector<graph::FileInput> inputs(all_parsed.size());
    std::map<std::string, std::size_t> by_language;
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
    progress.report({Progress::Phase::Writing, parse_progress.files_done, parse_progress.files_total, parse_progress.bytes_done}, true);
    std::map<std::string, std::size_t> by_kind;
    for (const auto& e : graph.edges) {
      ++by_kind[std::string(to_string(e.kind))];
      if (e.target == 0) ++report.unresolved_references;
    }
    report.edges = graph.edges.size();
    report.edges_by_kind.assign(by_kind.begin(), by_kind.end());
    for (auto status : {(*batch)->replace_edges(graph.edges), (*batch)->replace_ranks(graph.ranks)})
      if (!status) return std::unexpected(status.error());
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
                      (*batch)->set_meta("summary", encode_summary(report)),
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

  store::ProjectRecord project;
  project.root = root.string();
  project.name = root.filename().string();
  project.db_path = report.db_path.string();
  project.indexed_at = now;
  project.files = report.files_total;
  project.symbols = report.symbols;
  if (auto s = (*registry)->upsert(project); !s) return std::unexpected(s.error());

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
