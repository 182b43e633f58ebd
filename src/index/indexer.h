// index/indexer.h — turns a repository into its on-disk code graph: scan → parse → graph → store.
//
// Incremental by default: files whose size and mtime are unchanged are not read; files whose
// content hash is unchanged are not re-parsed; deleted files are removed; edges and ranks are
// re-derived from every file's stored extraction, so the result equals a full re-index.
// Parsing runs on `workers` threads (one tree-sitter parser each) while the calling thread
// streams results into one SQLite transaction: a run killed at any point leaves the previous
// index intact, and concurrent readers see either the old or the new index, never a mix.
//
// Thread safety: index_project() may run concurrently for different projects; for one project
// SQLite's write lock serialises runs (a second run waits, then sees the first one's result).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/result.h"
#include "scan/scanner.h"
#include "store/index_store.h"

namespace cci::index {

struct Progress {
  enum class Phase { Scanning, Parsing, Resolving, Writing, Done };
  Phase phase = Phase::Scanning;
  std::size_t files_done = 0;
  std::size_t files_total = 0;
  std::uint64_t bytes_done = 0;
};
std::string_view to_string(Progress::Phase phase);

struct IndexOptions {
  bool force = false;                 // re-parse every file; also allows indexing / or $HOME
  std::size_t workers = 0;            // 0 = default_worker_count()
  scan::ScanOptions scan;
  std::filesystem::path data_dir;     // empty = cci::data_dir()
  std::function<void(const Progress&)> on_progress;  // called from the indexing thread, throttled
  const std::atomic<bool>* cancel = nullptr;          // set to stop early (nothing is committed)
  // update_paths(): projects with at most this many symbols get an exact re-resolution and
  // re-rank of the whole graph in the same transaction; larger ones update only the edges into and
  // out of the changed files and carry ranks over (IndexReport::graph_exact = false).
  std::size_t exact_graph_max_symbols = 20'000;
  // index_project() on an existing index: apply what the scan found changed through
  // update_paths() instead of re-resolving the whole graph (the watcher's reconcile passes; ranks
  // stay approximate on large projects). Off for `cci index`, which always leaves an exact graph.
  bool delta_reconcile = false;
};

struct IndexReport {
  std::filesystem::path root;
  std::filesystem::path db_path;
  bool incremental = false;           // a previous index existed
  std::size_t files_total = 0;        // indexed files after this run
  std::size_t files_parsed = 0;       // new or changed, parsed this run
  std::size_t files_unchanged = 0;
  std::size_t files_removed = 0;
  std::size_t files_partial = 0;      // parsed with syntax errors
  std::uint64_t bytes_parsed = 0;
  std::vector<std::pair<std::string, std::size_t>> files_by_language;
  std::size_t symbols = 0;
  std::vector<std::pair<std::string, std::size_t>> edges_by_kind;
  std::size_t edges = 0;
  std::size_t unresolved_references = 0;
  std::size_t ignored = 0;
  std::size_t unsupported = 0;
  std::vector<store::SkippedRecord> skipped;  // every skipped file with its reason
  std::uint64_t generation = 0;
  bool graph_exact = true;            // false: ranks carried over from before an incremental update
  std::size_t files_reresolved = 0;   // update_paths: unchanged files whose edges were re-resolved
  double seconds_scan = 0, seconds_parse = 0, seconds_graph = 0, seconds_write = 0, seconds_total = 0;
  std::uint64_t peak_rss_bytes = 0;
};

Result<IndexReport> index_project(const std::filesystem::path& root, const IndexOptions& options);

// Applies changes at the given paths (relative to root: files or directories, present or gone)
// to the project's existing index without walking the rest of the tree: ignore rules apply, files
// are re-read and re-parsed only when their content hash changed, removed ones are dropped, the
// edges out of changed files and the edges of other files that referred to added or removed
// names are re-resolved, and ranks are updated (exactly for small projects, see
// IndexOptions::exact_graph_max_symbols). One transaction, a new generation when anything
// changed. Fails with NotFound when the project has no index yet (use index_project).
// index_project() after an approximate update re-resolves the whole graph even if no file changed.
Result<IndexReport> update_paths(const std::filesystem::path& root, const std::vector<std::string>& paths,
                                 const IndexOptions& options);

// A canonical text dump of an index (files, symbols, edges, ranks), for equality tests and debugging.
Result<std::string> dump_index(store::IndexStore& store);

// Peak resident set size of this process so far (VmHWM), 0 if unknown.
std::uint64_t peak_rss_bytes();

}  // namespace cci::index
