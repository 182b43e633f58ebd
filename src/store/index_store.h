// store/index_store.h — one project's index on disk: a SQLite database (WAL) with FTS5.
//
// Holds files (with content and content hash), the extracted ParsedFile of each file (so edges
// can be re-resolved without re-parsing), symbols (stable ids), edges, ranks, skipped files and
// metadata. Schema is versioned with forward migrations (docs/storage-format.md).
//
// Crash safety: every change goes through a WriteBatch, which is one SQLite transaction; a
// process killed at any point leaves the previous committed index intact, and readers (WAL)
// only ever see committed states.
//
// Thread safety: an IndexStore is a single connection; use one per thread. Any number of
// readers and one writer may have the same database open at once (other processes included).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/result.h"
#include "core/symbol_id.h"
#include "graph/code_graph.h"
#include "store/scoring.h"

namespace cci::store {

inline constexpr int kSchemaVersion = 1;

// ReadWrite creates the file and schema if missing (WAL, for incremental updates).
// Build creates a new, private file for a full build (no journal, no fsync: fast, and safe
// because nothing reads it until install_built_index() moves it into place atomically).
enum class OpenMode { ReadOnly, ReadWrite, Build };

struct FileRecord {
  FileId id = 0;
  std::string path;  // relative
  Language language = Language::Unknown;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t content_hash = 0;
  std::uint32_t line_count = 0;
  std::uint32_t symbol_count = 0;
  bool partial = false;  // parsed with syntax errors
};

struct SymbolRecord {
  SymbolId id = 0;
  FileId file_id = 0;
  std::string path;  // file path, joined in for convenience
  SymbolKind kind = SymbolKind::Function;
  Language language = Language::Unknown;
  std::string name;
  std::string qualified_name;
  SymbolId parent_id = 0;  // 0 = top level of its file (parent is the file symbol)
  Span span;
  std::string signature;
  std::string doc;
  bool exported = true;
  // Rank (zero until ranks are written).
  double pagerank = 0.0;
  double importance = 0.0;
  std::uint32_t in_degree = 0;
  std::uint32_t out_degree = 0;
  std::vector<std::string> tags;
};

struct EdgeRecord {
  SymbolId source = 0;
  SymbolId target = 0;  // 0 = unresolved
  EdgeKind kind = EdgeKind::Calls;
  Resolution resolution = Resolution::Unresolved;
  std::string target_name;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
};

struct SkippedRecord {
  std::string path;
  std::string reason;  // scan::to_string(SkipReason) or "parse-error"
  std::string detail;
};

struct SymbolFilter {
  std::vector<SymbolKind> kinds;   // empty = any
  std::vector<Language> languages; // empty = any
  std::string path_glob;           // SQLite GLOB over the relative path; empty = any
};

// Full-text symbol search. `fts_query` is an FTS5 MATCH expression built by search/ over the
// columns (words, name, qualified_name, path, signature, doc) and decides which symbols match;
// the order is store/scoring.h's: score = text × static + bonus, ties by symbol id
// (docs/ranking.md). search/symbol_index.h answers the same queries from memory, identically.
struct SymbolSearch {
  std::string fts_query;
  SymbolFilter filter;
  std::size_t limit = 20;   // 0 = no limit
  std::size_t offset = 0;
  // The name key (store::symbol_name_key) that earns the exact-name bonus; empty = no bonus.
  // store::exact_query_key computes it from the query's phrases.
  std::string exact_key;
};

struct SymbolHit {
  SymbolRecord symbol;
  double relevance = 0.0;  // the text part of the score (store::text_score)
  double score = 0.0;      // combined ranking score
};

// What an in-memory search index needs of one symbol (IndexStore::for_each_search_row). The
// views are valid only during the callback.
struct SearchRow {
  SymbolId id = 0;
  FileId file_id = 0;
  SymbolKind kind = SymbolKind::Function;
  double importance = 0.0;  // 0 when the symbol has no rank row, as in search_symbols
  std::string_view words;   // the FTS columns, exactly as the FTS index reads them
  std::string_view name;
  std::string_view qualified_name;
  std::string_view path;    // the file path on File symbols, empty on the others (as in FTS)
  std::string_view signature;
  std::string_view doc;
};

struct IndexStats {
  std::size_t files = 0;
  std::size_t partial_files = 0;
  std::size_t symbols = 0;
  std::size_t edges = 0;
  std::size_t unresolved_edges = 0;
  std::vector<std::pair<std::string, std::size_t>> files_by_language;
  std::vector<std::pair<std::string, std::size_t>> symbols_by_kind;
  std::vector<std::pair<std::string, std::size_t>> edges_by_kind;
  std::vector<std::pair<std::string, std::size_t>> edges_by_resolution;
  std::vector<std::pair<std::string, std::size_t>> skipped_by_reason;
  std::uint64_t database_bytes = 0;
};

class WriteBatch;
class ReadSnapshot;

class IndexStore {
 public:
  static Result<std::unique_ptr<IndexStore>> open(const std::filesystem::path& db_path, OpenMode mode);
  ~IndexStore();

  // --- writes -------------------------------------------------------------------------------
  // Starts a transaction (BEGIN IMMEDIATE). Only one batch per store at a time.
  Result<std::unique_ptr<WriteBatch>> begin_write();

  // Pins this connection to one committed state until the guard is destroyed: every query in
  // between answers from the same index, whatever a writer commits meanwhile (WAL snapshot).
  // Inside a write batch (or another snapshot) the guard does nothing.
  Result<ReadSnapshot> read_snapshot();

  // For one pass over the whole index (building search/symbol_index.h): pages are read rather
  // than mapped, into a small cache, so the pass leaves no gigabyte of mapped file and no large
  // page cache behind in a long-lived process. Read-only connections only.
  Status configure_for_scan();

  // --- reads used by the indexer ------------------------------------------------------------
  Result<std::vector<FileRecord>> files();
  Result<ParsedFile> load_parsed(FileId file_id);           // the stored extraction
  Result<std::optional<std::string>> meta(std::string_view key);

  // --- queries --------------------------------------------------------------------------------
  // Every `limit` of 0 means no limit. Results are deterministic (ties broken by path/line/id).
  Result<std::vector<SymbolHit>> search_symbols(const SymbolSearch& request);
  // Every symbol once, in id order, for building an in-memory index (search/symbol_index.h);
  // run it inside a read_snapshot() to get one consistent state. Stops at the first error, or
  // when `row` returns false (then ErrorCode::Cancelled).
  Status for_each_search_row(const std::function<bool(const SearchRow&)>& row);
  Result<std::optional<SymbolRecord>> symbol(SymbolId id);
  // The FTS column texts of one symbol (store/scoring.h's fts_column_texts, read as stored);
  // false when there is no such symbol. Cheaper than symbol(): no joins, no rank.
  Result<bool> symbol_text(SymbolId id, std::array<std::string, kTextColumnCount>& columns);
  // Exact name or qualified-name match (case-sensitive), best-ranked first.
  Result<std::vector<SymbolRecord>> symbols_named(std::string_view name, const SymbolFilter& filter,
                                                  std::size_t limit);
  // Case-insensitive near names for "did you mean" (prefix / shared words), best-ranked first.
  Result<std::vector<std::string>> similar_names(std::string_view name, std::size_t limit);
  Result<std::vector<SymbolRecord>> symbols_in_file(std::string_view path);  // in source order
  Result<std::vector<SymbolRecord>> important_symbols(const SymbolFilter& filter, std::size_t limit);
  Result<std::vector<EdgeRecord>> edges_to(SymbolId target, std::optional<EdgeKind> kind, std::size_t limit);
  Result<std::vector<EdgeRecord>> edges_from(SymbolId source, std::optional<EdgeKind> kind, std::size_t limit);
  // Unresolved references whose name is `name` (the last component of target_name).
  Result<std::vector<EdgeRecord>> unresolved_named(std::string_view name, std::size_t limit);
  Result<std::optional<FileRecord>> file(std::string_view path);
  Result<std::optional<std::string>> file_content(FileId file_id);
  Result<std::vector<SkippedRecord>> skipped();
  Result<IndexStats> stats();

  // --- reads used by incremental updates (index::update_paths) ---------------------------------
  // Indexed files at `dir` or below it ("" = every file).
  Result<std::vector<FileRecord>> files_under(std::string_view dir);
  // Files holding a symbol named `name` (any kind), at most `limit` (0 = all).
  Result<std::vector<FileId>> files_defining(std::string_view name, std::size_t limit);
  Result<std::vector<SymbolId>> symbol_ids_named(std::string_view name);
  // Files whose symbols have an edge to `target` / an unresolved reference whose last name
  // component is `leaf`.
  Result<std::vector<FileId>> files_referencing(SymbolId target);
  Result<std::vector<FileId>> files_referencing_unresolved(std::string_view leaf);
  Status integrity_check();  // PRAGMA integrity_check == ok

 private:
  friend class WriteBatch;
  friend class ReadSnapshot;
  struct Impl;
  explicit IndexStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// See IndexStore::read_snapshot(). Must not outlive its IndexStore.
class ReadSnapshot {
 public:
  ReadSnapshot() = default;
  ReadSnapshot(ReadSnapshot&& other) noexcept : store_(std::exchange(other.store_, nullptr)) {}
  ReadSnapshot& operator=(ReadSnapshot&& other) noexcept;
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  ~ReadSnapshot();

 private:
  friend class IndexStore;
  explicit ReadSnapshot(IndexStore::Impl* store) : store_(store) {}
  void end();
  IndexStore::Impl* store_ = nullptr;
};

// One transaction. Destroying an uncommitted batch rolls it back; a batch must not outlive its
// IndexStore. Arguments are checked before anything is written (a rejected call leaves the batch
// usable); a database error inside an operation aborts the batch, and commit() then fails.
class WriteBatch {
 public:
  ~WriteBatch();

  // Inserts or replaces a file with its content, its extraction and its symbols (FTS included).
  Status put_file(const FileRecord& file, const ParsedFile& parsed, std::span<const SymbolId> ids,
                  std::string_view content);
  Status remove_file(FileId file_id);
  // Replaces all edges and all ranks of the project (they are derived from every file).
  Status replace_edges(std::span<const graph::Edge> edges);
  Status replace_ranks(std::span<const graph::SymbolRank> ranks);
  Status replace_skipped(std::span<const SkippedRecord> skipped);

  // --- incremental graph updates (index::update_paths) -----------------------------------------
  // A file whose content is unchanged but whose size or mtime moved.
  Status touch_file(FileId file_id, std::uint64_t size, std::int64_t mtime_ns);
  // Deletes every edge whose source is one of `sources`; returns them (target_name left empty).
  Result<std::vector<EdgeRecord>> remove_edges_from(std::span<const SymbolId> sources);
  Status add_edges(std::span<const graph::Edge> edges);
  // Turns every edge to one of `targets` into an unresolved reference by name (target 0);
  // returns the edges as they were (target_name left empty).
  Result<std::vector<EdgeRecord>> unresolve_edges_to(std::span<const SymbolId> targets);
  Status remove_ranks(std::span<const SymbolId> ids);
  // Adds each delta to the symbol's in/out degree; a symbol without a rank row gets one with the
  // deltas as degrees, `pagerank_floor`, importance 0 and no tags (until the next exact rank).
  struct DegreeDelta {
    SymbolId id = 0;
    std::int32_t in = 0;
    std::int32_t out = 0;
  };
  Status adjust_degrees(std::span<const DegreeDelta> deltas, double pagerank_floor);
  Status set_meta(std::string_view key, std::string_view value);
  Status commit();

 private:
  friend class IndexStore;
  explicit WriteBatch(IndexStore::Impl* store);
  IndexStore::Impl* store_;
  bool done_ = false;
};

// Moves a database written with OpenMode::Build (and closed) over `live`, atomically: readers
// see either the old index or the new one. The old index's WAL is checkpointed and removed first,
// so it can never be replayed onto the new file.
Status install_built_index(const std::filesystem::path& built, const std::filesystem::path& live);

// SQLite's GLOB (case-sensitive; * ? [...]), the match SymbolFilter::path_glob makes in SQL, for
// filtering outside SQL.
bool glob_match(std::string_view pattern, std::string_view text);

// Splits identifiers into lower-case words for the FTS `words` column and for queries:
// "parseHTTPRequest" -> {"parse", "http", "request"}, "parse_http_request" -> same,
// "HTTPRequest" -> {"http", "request"}, "std::vector" -> {"std", "vector"}.
std::vector<std::string> identifier_words(std::string_view identifier);

}  // namespace cci::store
