// store/index_store.cpp — IndexStore and WriteBatch over one SQLite database per project.
//
// Layout and the reasons behind it are in docs/storage-format.md. Hot paths (put_file,
// replace_edges, replace_ranks) use statements prepared once per connection and bind text
// without copying; queries with filter-dependent SQL are prepared once per distinct SQL text.
#include "store/index_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <span>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.h"
#include "store/extract_codec.h"
#include "store/schema.h"
#include "store/scoring.h"
#include "store/sqlite_util.h"
#include "store/text_util.h"

// Only File symbols carry their path in the FTS index: repeating every file's path words on each
// of its symbols tripled the index size, and path matches are meant to find files.
#define CCI_FTS_PATH "CASE WHEN s.kind = 0 THEN f.path ELSE '' END"

namespace cci::store {

using detail::Db;
using detail::ResetGuard;
using detail::Stmt;

namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 5000;

// Column weights for bm25() in similar_names: words, name, qualified_name, path, signature, doc.
constexpr std::string_view kBm25 = "bm25(symbols_fts, 10.0, 10.0, 4.0, 2.0, 1.0, 0.5)";

// FTS5 must flush its in-memory index into a new on-disk segment whenever a rowid is not larger
// than the previous one written in the transaction. Symbol ids are hashes, so writing FTS rows as
// symbols arrive flushed almost every row (5x slower bulk inserts). Instead a batch queues ids in
// temp tables and writes the FTS in ascending id order: at commit, before FTS queries on the
// writing connection, and every kFtsFlushThreshold symbols to bound the queue.
constexpr std::size_t kFtsFlushThreshold = 250'000;

constexpr std::string_view kCreatePendingTables =
    "CREATE TEMP TABLE IF NOT EXISTS fts_pending_insert(id INTEGER PRIMARY KEY);"
    "CREATE TEMP TABLE IF NOT EXISTS fts_pending_delete(id INTEGER PRIMARY KEY, words, name, qualified_name,"
    " path, signature, doc);";
constexpr std::string_view kFlushPending =
    "INSERT INTO symbols_fts(symbols_fts, rowid, words, name, qualified_name, path, signature, doc)"
    " SELECT 'delete', id, words, name, qualified_name, path, signature, doc FROM temp.fts_pending_delete"
    " ORDER BY id;"
    "INSERT INTO symbols_fts(rowid, words, name, qualified_name, path, signature, doc)"
    " SELECT s.id, s.words, s.name, s.qualified_name, " CCI_FTS_PATH ", s.signature, s.doc"
    " FROM temp.fts_pending_insert p JOIN symbols s ON s.id = p.id JOIN files f ON f.id = s.file_id"
    " ORDER BY p.id;"
    "DELETE FROM temp.fts_pending_delete;"
    "DELETE FROM temp.fts_pending_insert;";

// The statements of the write path and of parameter-only queries, prepared lazily once.
enum class Sql : std::size_t {
  FindFile,
  StashFtsDeletes,
  DropPendingInserts,
  AddPendingInsert,
  DeleteSymbols,
  DeleteContent,
  DeleteExtract,
  DeleteFile,
  InsertFile,
  InsertContent,
  InsertExtract,
  InsertSymbol,
  InsertEdge,
  InsertRank,
  InsertSkipped,
  SetMeta,
  Files,
  FileByPath,
  LoadExtract,
  Meta,
  Content,
  SymbolById,
  SymbolText,
  SymbolsInFile,
  EdgesTo,
  EdgesFrom,
  UnresolvedNamed,
  Skipped,
  Count,
};

#define CCI_SYMBOL_COLUMNS                                                                              \
  "s.id, s.file_id, f.path, s.kind, f.language, s.name, s.qualified_name, s.parent_id, s.start_line, " \
  "s.start_col, s.end_line, s.end_col, s.signature, s.doc, s.exported, "                               \
  "r.pagerank, r.importance, r.in_degree, r.out_degree, r.tags"
#define CCI_SYMBOL_FROM \
  " FROM symbols s JOIN files f ON f.id = s.file_id LEFT JOIN ranks r ON r.id = s.id"
#define CCI_FILE_COLUMNS \
  "id, path, language, size, mtime_ns, content_hash, line_count, symbol_count, partial"
#define CCI_EDGE_COLUMNS "e.source, e.target, e.kind, e.resolution, e.target_name, e.line, e.col"

constexpr int kSymbolColumnCount = 20;

constexpr std::array<std::string_view, static_cast<std::size_t>(Sql::Count)> kSql{{
    // FindFile
    "SELECT id FROM files WHERE id = ?1 OR path = ?2",
    // StashFtsDeletes: symbols of the file that are in the FTS index (not inserted by this
    // batch) keep the exact values the FTS 'delete' command will need at flush time.
    "INSERT INTO temp.fts_pending_delete(id, words, name, qualified_name, path, signature, doc) "
    "SELECT s.id, s.words, s.name, s.qualified_name, " CCI_FTS_PATH ", s.signature, s.doc "
    "FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.file_id = ?1 "
    "AND s.id NOT IN (SELECT id FROM temp.fts_pending_insert)",
    "DELETE FROM temp.fts_pending_insert WHERE id IN (SELECT id FROM symbols WHERE file_id = ?1)",
    "INSERT INTO temp.fts_pending_insert(id) VALUES(?1)",
    "DELETE FROM symbols WHERE file_id = ?1",
    "DELETE FROM file_contents WHERE file_id = ?1",
    "DELETE FROM file_extracts WHERE file_id = ?1",
    "DELETE FROM files WHERE id = ?1",
    "INSERT INTO files(" CCI_FILE_COLUMNS ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    "INSERT INTO file_contents(file_id, content) VALUES(?1, ?2)",
    "INSERT INTO file_extracts(file_id, data) VALUES(?1, ?2)",
    "INSERT INTO symbols(id, file_id, ordinal, kind, name, qualified_name, parent_id, start_line, start_col, "
    "end_line, end_col, signature, doc, exported, words) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    "INSERT INTO edges(source, target, kind, resolution, target_name, target_leaf, line, col) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO ranks(id, pagerank, importance, in_degree, out_degree, tags) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT INTO skipped(path, reason, detail) VALUES(?1, ?2, ?3)",
    "INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)",
    // Files
    "SELECT " CCI_FILE_COLUMNS " FROM files ORDER BY path",
    "SELECT " CCI_FILE_COLUMNS " FROM files WHERE path = ?1",
    "SELECT data FROM file_extracts WHERE file_id = ?1",
    "SELECT value FROM meta WHERE key = ?1",
    "SELECT content FROM file_contents WHERE file_id = ?1",
    "SELECT " CCI_SYMBOL_COLUMNS CCI_SYMBOL_FROM " WHERE s.id = ?1",
    // SymbolText: the FTS columns of one symbol as the FTS source view gives them.
    "SELECT s.words, s.name, s.qualified_name, "
    "CASE WHEN s.kind = 0 THEN (SELECT path FROM files WHERE id = s.file_id) ELSE '' END, s.signature, s.doc "
    "FROM symbols s WHERE s.id = ?1",
    "SELECT " CCI_SYMBOL_COLUMNS CCI_SYMBOL_FROM " WHERE f.path = ?1 ORDER BY s.ordinal",
    // EdgesTo: callers grouped by file, then by position, so output is stable across runs.
    "SELECT " CCI_EDGE_COLUMNS
    " FROM edges e LEFT JOIN symbols s ON s.id = e.source LEFT JOIN files f ON f.id = s.file_id"
    " WHERE e.target = ?1 AND (?2 < 0 OR e.kind = ?2)"
    " ORDER BY f.path, e.line, e.col, e.source, e.kind, e.target_name LIMIT ?3",
    "SELECT " CCI_EDGE_COLUMNS " FROM edges e WHERE e.source = ?1 AND (?2 < 0 OR e.kind = ?2)"
    " ORDER BY e.line, e.col, e.kind, e.target, e.target_name LIMIT ?3",
    // UnresolvedNamed: without statistics the planner prefers edges_by_target for `target = 0`,
    // which walks every unresolved edge (a million on the kernel); the partial index is exact.
    "SELECT " CCI_EDGE_COLUMNS
    " FROM edges e INDEXED BY edges_unresolved_leaf LEFT JOIN symbols s ON s.id = e.source LEFT JOIN files f ON f.id = s.file_id"
    " WHERE e.target = 0 AND e.target_leaf = ?1"
    " ORDER BY f.path, e.line, e.col, e.source, e.target_name LIMIT ?2",
    "SELECT path, reason, detail FROM skipped ORDER BY path, reason",
}};

std::int64_t sql_limit(std::size_t limit) {
  return limit == 0 ? -1 : static_cast<std::int64_t>(limit);
}

FileRecord read_file_record(const Stmt& st) {
  FileRecord f;
  f.id = st.column_int(0);
  f.path = std::string(st.column_text(1));
  f.language = static_cast<Language>(st.column_int(2));
  f.size = static_cast<std::uint64_t>(st.column_int(3));
  f.mtime_ns = st.column_int(4);
  f.content_hash = std::bit_cast<std::uint64_t>(st.column_int(5));
  f.line_count = static_cast<std::uint32_t>(st.column_int(6));
  f.symbol_count = static_cast<std::uint32_t>(st.column_int(7));
  f.partial = st.column_int(8) != 0;
  return f;
}

std::vector<std::string> split_tags(std::string_view tags) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < tags.size()) {
    std::size_t end = tags.find(',', pos);
    if (end == std::string_view::npos) end = tags.size();
    if (end > pos) out.emplace_back(tags.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

SymbolRecord read_symbol(const Stmt& st) {
  SymbolRecord s;
  s.id = st.column_int(0);
  s.file_id = st.column_int(1);
  s.path = std::string(st.column_text(2));
  s.kind = static_cast<SymbolKind>(st.column_int(3));
  s.language = static_cast<Language>(st.column_int(4));
  s.name = std::string(st.column_text(5));
  s.qualified_name = std::string(st.column_text(6));
  s.parent_id = st.column_int(7);
  s.span.start_line = static_cast<std::uint32_t>(st.column_int(8));
  s.span.start_col = static_cast<std::uint32_t>(st.column_int(9));
  s.span.end_line = static_cast<std::uint32_t>(st.column_int(10));
  s.span.end_col = static_cast<std::uint32_t>(st.column_int(11));
  s.signature = std::string(st.column_text(12));
  s.doc = std::string(st.column_text(13));
  s.exported = st.column_int(14) != 0;
  if (!st.column_is_null(15)) {
    s.pagerank = st.column_double(15);
    s.importance = st.column_double(16);
    s.in_degree = static_cast<std::uint32_t>(st.column_int(17));
    s.out_degree = static_cast<std::uint32_t>(st.column_int(18));
    s.tags = split_tags(st.column_text(19));
  }
  return s;
}

EdgeRecord read_edge(const Stmt& st) {
  EdgeRecord e;
  e.source = st.column_int(0);
  e.target = st.column_int(1);
  e.kind = static_cast<EdgeKind>(st.column_int(2));
  e.resolution = static_cast<Resolution>(st.column_int(3));
  e.target_name = std::string(st.column_text(4));
  e.line = static_cast<std::uint32_t>(st.column_int(5));
  e.col = static_cast<std::uint32_t>(st.column_int(6));
  return e;
}

// " AND ..." clauses for a SymbolFilter. Kinds and languages are small enums, inlined as integer
// literals so the SQL text (the statement cache key) fully describes the filter; the glob is
// bound as ?9 because it is user text.
std::string filter_sql(const SymbolFilter& filter, bool hide_files_and_imports) {
  std::string sql;
  if (!filter.kinds.empty()) {
    sql += " AND s.kind IN (";
    for (std::size_t i = 0; i < filter.kinds.size(); ++i)
      sql += fmt::format("{}{}", i == 0 ? "" : ",", static_cast<int>(filter.kinds[i]));
    sql += ")";
  } else if (hide_files_and_imports) {
    sql += fmt::format(" AND s.kind NOT IN ({},{})", static_cast<int>(SymbolKind::File),
                       static_cast<int>(SymbolKind::Import));
  }
  if (!filter.languages.empty()) {
    sql += " AND f.language IN (";
    for (std::size_t i = 0; i < filter.languages.size(); ++i)
      sql += fmt::format("{}{}", i == 0 ? "" : ",", static_cast<int>(filter.languages[i]));
    sql += ")";
  }
  if (!filter.path_glob.empty()) sql += " AND f.path GLOB ?9";
  return sql;
}

void bind_filter(Stmt& st, const SymbolFilter& filter) {
  if (!filter.path_glob.empty()) st.bind_text(9, filter.path_glob);
}

std::string_view value_text(sqlite3_value* value) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(value));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_value_bytes(value))};
}

// SQL function cci_score(text, importance, name, key): store::combined_score for one match, so the
// SQL ranking and search/'s in-memory index share every arithmetic step (scores are bit-identical).
void sql_score(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  const double text = sqlite3_value_double(argv[0]);
  const double importance = sqlite3_value_double(argv[1]);
  const std::string_view name = value_text(argv[2]);
  const std::string_view key = value_text(argv[3]);
  const bool exact = !key.empty() && detail::name_key_equals(name, key);
  sqlite3_result_double(ctx, combined_score(text, static_score(importance, name), exact));
}

// FTS5 auxiliary function cci_text(symbols_fts): store::text_score of the current row, from the
// set of columns each query phrase occurs in. It reads only the position lists FTS5 already has
// for the row (no document text, no document sizes: that per-match seek is what made bm25 slow).
void fts_text_score(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int /*argc*/,
                    sqlite3_value** /*argv*/) {
  const int phrases = api->xPhraseCount(fts);
  // Queries built by search/ have a few phrases; a hand-written expression may have more.
  constexpr int kInlinePhrases = 32;
  std::array<std::uint8_t, kInlinePhrases> inline_masks{};
  std::vector<std::uint8_t> many_masks;
  std::span<std::uint8_t> masks;
  if (phrases <= kInlinePhrases) {
    masks = std::span(inline_masks.data(), static_cast<std::size_t>(std::max(phrases, 0)));
  } else {
    many_masks.resize(static_cast<std::size_t>(phrases));
    masks = many_masks;
  }
  for (int i = 0; i < phrases; ++i) {
    Fts5PhraseIter iter;
    int column = -1;
    if (int rc = api->xPhraseFirstColumn(fts, i, &iter, &column); rc != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
      return;
    }
    std::uint8_t mask = 0;
    for (; column >= 0; api->xPhraseNextColumn(fts, &iter, &column))
      if (static_cast<std::size_t>(column) < kTextColumnCount) mask = static_cast<std::uint8_t>(mask | (1U << column));
    masks[static_cast<std::size_t>(i)] = mask;
  }
  sqlite3_result_double(ctx, text_score(masks));
}

// Registers cci_score and cci_text on a connection (functions are per connection).
Status register_search_functions(Db& db) {
  sqlite3* handle = db.handle();
  int rc = sqlite3_create_function_v2(handle, "cci_score", 4, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      nullptr, sql_score, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(db.error(rc, "registering cci_score"));
  // The documented way to reach the FTS5 C API: SELECT fts5(?1) with a bound pointer.
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(handle, "SELECT fts5(?1)", -1, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(db.error(rc, "looking up the FTS5 API"));
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW || api == nullptr || api->iVersion < 2) {
    return make_error(ErrorCode::Unsupported,
                      fmt::format("the SQLite library has no usable FTS5 API (needed to search {})", db.path()));
  }
  rc = api->xCreateFunction(api, "cci_text", nullptr, fts_text_score, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(db.error(rc, "registering cci_text"));
  return {};
}

std::string quote_fts_term(std::string_view term) {
  std::string out = "\"";
  for (char c : term) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

namespace {
// A symbol row as stored, to tell what a new version of its file changed.
struct StoredSymbolRow {
  std::int64_t ordinal = 0, kind = 0, parent_id = 0;
  std::uint32_t start_line = 0, start_col = 0, end_line = 0, end_col = 0;
  bool exported = false;
  std::string name, qualified_name, signature, doc, words;
};

}  // namespace

struct IndexStore::Impl {
  Db db;
  OpenMode mode = OpenMode::ReadOnly;
  bool batch_open = false;
  bool batch_aborted = false;  // SQLite rolled the whole transaction back after an I/O error
  std::array<Stmt, static_cast<std::size_t>(Sql::Count)> stmts;
  std::unordered_map<std::string, Stmt> dynamic;  // filter-dependent query text -> statement
  // Reused buffers of the insert path.
  std::string words;
  std::string extract;
  std::string tags;

  Result<Stmt*> stmt(Sql id) {
    Stmt& st = stmts[static_cast<std::size_t>(id)];
    if (!st.valid()) {
      auto prepared = Stmt::prepare(db, kSql[static_cast<std::size_t>(id)]);
      if (!prepared) return std::unexpected(prepared.error());
      st = std::move(*prepared);
    }
    return &st;
  }

  Result<Stmt*> query(const std::string& sql) {
    auto it = dynamic.find(sql);
    if (it == dynamic.end()) {
      auto prepared = Stmt::prepare(db, sql);
      if (!prepared) return std::unexpected(prepared.error());
      it = dynamic.emplace(sql, std::move(*prepared)).first;
    }
    return &it->second;
  }

  std::size_t pending_fts = 0;  // rows in temp.fts_pending_insert since the last flush

  Status migrate();
  Status remove_file_rows(FileId id);
  Status insert_edges(std::span<const graph::Edge> edges);
  Status stash_symbol_fts(SymbolId id);
  Status load_symbol_rows(FileId file_id, std::unordered_map<SymbolId, StoredSymbolRow>& out);
  Status flush_fts();
  // A batch open on this connection must see its own symbols in FTS queries.
  Status sync_fts_for_query() {
    if (!batch_open || batch_aborted || pending_fts == 0) return {};
    Status st = flush_fts();
    if (!st) batch_aborted = true;
    return st;
  }
  Result<std::vector<SymbolRecord>> collect_symbols(Stmt& st);
  Result<std::vector<EdgeRecord>> collect_edges(Stmt& st);
};

#define CCI_TRY(expr)                                          \
  do {                                                         \
    if (auto cci_status_ = (expr); !cci_status_)               \
      return std::unexpected(std::move(cci_status_).error());  \
  } while (0)

#define CCI_STMT(var, impl, id)                                     \
  auto var##_result = (impl).stmt(id);                              \
  if (!var##_result) return std::unexpected(var##_result.error()); \
  Stmt& var = **var##_result

// --- open / schema --------------------------------------------------------------------------------

Status IndexStore::Impl::migrate() {
  auto current = db.query_int("PRAGMA user_version");
  if (!current) return std::unexpected(current.error());
  if (*current >= kSchemaVersion) return {};
  // IMMEDIATE so two processes creating the same index serialise here; re-read under the lock.
  CCI_TRY(db.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    auto version = db.query_int("PRAGMA user_version");
    if (!version) return std::unexpected(version.error());
    if (*version > kSchemaVersion) {
      return make_error(ErrorCode::Unsupported,
                        fmt::format("index {} has schema version {}, newer than this cci (version {}); "
                                    "upgrade cci or delete the index",
                                    db.path(), *version, kSchemaVersion));
    }
    for (const detail::Migration& m : detail::migrations()) {
      if (m.version <= *version) continue;
      CCI_TRY(db.exec(m.sql));
      CCI_TRY(db.exec(fmt::format("PRAGMA user_version = {}", m.version)));
      log::debug("store: migrated {} to schema version {}", db.path(), m.version);
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    CCI_TRY(db.exec(fmt::format(
        "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', '{}');"
        "INSERT OR IGNORE INTO meta(key, value) VALUES('created_at', '{}');",
        kSchemaVersion, now)));
    return {};
  };
  Status status = body();
  if (!status) {
    (void)db.exec("ROLLBACK");
    return status;
  }
  return db.exec("COMMIT");
}

IndexStore::IndexStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IndexStore::~IndexStore() = default;

Result<std::unique_ptr<IndexStore>> IndexStore::open(const fs::path& db_path, OpenMode mode) {
  auto impl = std::make_unique<Impl>();
  impl->mode = mode;
  std::error_code ec;
  int flags = 0;
  if (mode == OpenMode::ReadOnly) {
    if (!fs::exists(db_path, ec)) {
      return make_error(ErrorCode::NotIndexed, fmt::format("no index at {}", db_path.string()));
    }
    flags = SQLITE_OPEN_READONLY;
  } else {
    if (db_path.has_parent_path()) {
      fs::create_directories(db_path.parent_path(), ec);
      if (ec) {
        return make_error(ErrorCode::IoError, fmt::format("cannot create directory {}: {}",
                                                          db_path.parent_path().string(), ec.message()));
      }
    }
    flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }
  Db& db = impl->db;
  CCI_TRY(db.open(db_path, flags));
  sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs);

  // The first read of the file: a non-SQLite file fails here with SQLITE_NOTADB.
  auto version = db.query_int("PRAGMA user_version");
  if (!version) {
    Error err = version.error();
    if (err.code == ErrorCode::Corrupt) {
      err.message = fmt::format("{} is not a valid cci index (not a SQLite database or damaged): {}",
                                db_path.string(), err.message);
    }
    return std::unexpected(std::move(err));
  }
  if (*version > kSchemaVersion) {
    return make_error(ErrorCode::Unsupported,
                      fmt::format("index {} has schema version {}, newer than this cci (version {}); "
                                  "upgrade cci or delete the index",
                                  db_path.string(), *version, kSchemaVersion));
  }
  CCI_TRY(register_search_functions(db));

  if (mode == OpenMode::ReadOnly) {
    if (*version == 0) return make_error(ErrorCode::NotIndexed, fmt::format("{} holds no index", db_path.string()));
    if (*version < kSchemaVersion) {
      return make_error(ErrorCode::Unsupported,
                        fmt::format("index {} has schema version {}, older than this cci (version {}); "
                                    "re-run indexing to upgrade it",
                                    db_path.string(), *version, kSchemaVersion));
    }
    CCI_TRY(db.exec("PRAGMA mmap_size = 268435456; PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;"));
  } else if (mode == OpenMode::Build) {
    // A private file nobody reads until it is installed: no journal and no fsync. A crash
    // leaves only this file behind, never a damaged live index.
    CCI_TRY(db.exec(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
        "PRAGMA foreign_keys = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;"));
    CCI_TRY(impl->migrate());
    CCI_TRY(db.exec(kCreatePendingTables));
  } else {
    auto wal = Stmt::prepare(db, "PRAGMA journal_mode = WAL");
    if (!wal) return std::unexpected(wal.error());
    auto row = wal->step();
    if (!row) return std::unexpected(row.error());
    if (!*row || wal->column_text(0) != "wal") {
      return make_error(ErrorCode::IoError, fmt::format("cannot switch {} to WAL mode", db_path.string()));
    }
    wal->reset();
    // synchronous=NORMAL in WAL mode: a commit is durable once the WAL is synced at checkpoint;
    // a power cut may lose the last commits but never corrupts the database.
    // foreign_keys stay off: the store deletes dependent rows itself, in bulk.
    CCI_TRY(db.exec(
        "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF; PRAGMA mmap_size = 268435456;"
        "PRAGMA cache_size = -131072; PRAGMA temp_store = MEMORY; PRAGMA journal_size_limit = 67108864;"));
    CCI_TRY(impl->migrate());
    CCI_TRY(db.exec(kCreatePendingTables));
  }
  return std::unique_ptr<IndexStore>(new IndexStore(std::move(impl)));
}

Status IndexStore::configure_for_scan() {
  if (impl_->mode != OpenMode::ReadOnly)
    return make_error(ErrorCode::InvalidArgument, fmt::format("{} is not open read-only", impl_->db.path()));
  return impl_->db.exec("PRAGMA mmap_size = 0; PRAGMA cache_size = -2048;");
}

Result<std::unique_ptr<WriteBatch>> IndexStore::begin_write() {
  if (impl_->mode == OpenMode::ReadOnly) {
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("index {} was opened read-only", impl_->db.path()));
  }
  if (impl_->batch_open) {
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("a write batch is already open on {}", impl_->db.path()));
  }
  CCI_TRY(impl_->db.exec("BEGIN IMMEDIATE"));
  impl_->batch_open = true;
  impl_->batch_aborted = false;
  return std::unique_ptr<WriteBatch>(new WriteBatch(impl_.get()));
}

// --- reads --------------------------------------------------------------------------------------

Result<std::vector<FileRecord>> IndexStore::files() {
  CCI_STMT(st, *impl_, Sql::Files);
  ResetGuard guard(st);
  std::vector<FileRecord> out;
  while (true) {
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_file_record(st));
  }
  return out;
}

Result<ParsedFile> IndexStore::load_parsed(FileId file_id) {
  CCI_STMT(st, *impl_, Sql::LoadExtract);
  ResetGuard guard(st);
  st.bind(1, static_cast<std::int64_t>(file_id));
  auto row = st.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return make_error(ErrorCode::NotFound, fmt::format("no stored extraction for file id {}", file_id));
  auto parsed = detail::decode_parsed(st.column_blob(0));
  if (!parsed) {
    return make_error(parsed.error().code, fmt::format("{} (file id {} in {})", parsed.error().message, file_id,
                                                       impl_->db.path()));
  }
  return parsed;
}

Result<std::optional<std::string>> IndexStore::meta(std::string_view key) {
  CCI_STMT(st, *impl_, Sql::Meta);
  ResetGuard guard(st);
  st.bind_text(1, key);
  auto row = st.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(std::string(st.column_text(0)));
}

Result<std::vector<SymbolRecord>> IndexStore::Impl::collect_symbols(Stmt& st) {
  ResetGuard guard(st);
  std::vector<SymbolRecord> out;
  while (true) {
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_symbol(st));
  }
  return out;
}

Result<std::vector<EdgeRecord>> IndexStore::Impl::collect_edges(Stmt& st) {
  ResetGuard guard(st);
  std::vector<EdgeRecord> out;
  while (true) {
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_edge(st));
  }
  return out;
}

Result<std::vector<SymbolHit>> IndexStore::search_symbols(const SymbolSearch& request) {
  if (request.fts_query.find_first_not_of(" \t\r\n") == std::string::npos) return std::vector<SymbolHit>{};
  CCI_TRY(impl_->sync_fts_for_query());
  // Every match is scored (store/scoring.h) from its own row only: cci_text while FTS5 has the
  // match's position lists, cci_score after the symbol and rank seeks. The page is chosen on
  // (id, text, score) alone, and only its rows are then read in full. CROSS JOIN keeps FTS5 the
  // outer loop: each match costs one seek into symbols (and files, when filtered) and ranks.
  const bool needs_file = !request.filter.languages.empty() || !request.filter.path_glob.empty();
  const std::string sql = fmt::format(
      "SELECT " CCI_SYMBOL_COLUMNS ", p.text, p.score FROM ("
      "SELECT m.id AS id, m.text AS text, cci_score(m.text, COALESCE(r.importance, 0.0), s.name, ?2) AS score "
      "FROM (SELECT rowid AS id, cci_text(symbols_fts) AS text FROM symbols_fts WHERE symbols_fts MATCH ?1) m "
      "CROSS JOIN symbols s ON s.id = m.id {files}LEFT JOIN ranks r ON r.id = s.id WHERE 1{filter} "
      "ORDER BY score DESC, m.id LIMIT ?3 OFFSET ?4) p "
      "CROSS JOIN symbols s ON s.id = p.id JOIN files f ON f.id = s.file_id LEFT JOIN ranks r ON r.id = s.id "
      "ORDER BY p.score DESC, p.id",
      fmt::arg("files", needs_file ? "CROSS JOIN files f ON f.id = s.file_id " : ""),
      fmt::arg("filter", filter_sql(request.filter, false)));
  auto prepared = impl_->query(sql);
  if (!prepared) return std::unexpected(prepared.error());
  Stmt& st = **prepared;
  ResetGuard guard(st);
  st.bind_text(1, request.fts_query);
  st.bind_text(2, request.exact_key);
  st.bind(3, sql_limit(request.limit));
  st.bind(4, static_cast<std::int64_t>(request.offset));
  bind_filter(st, request.filter);
  std::vector<SymbolHit> out;
  while (true) {
    auto row = st.step();
    if (!row) {
      Error err = row.error();
      // SQLITE_ERROR at step time here means FTS5 rejected the expression (syntax, unknown column).
      if (err.code == ErrorCode::Internal) {
        return make_error(ErrorCode::InvalidArgument,
                          fmt::format("invalid search expression `{}`: {}", request.fts_query, err.message));
      }
      return std::unexpected(std::move(err));
    }
    if (!*row) break;
    SymbolHit hit;
    hit.symbol = read_symbol(st);
    hit.relevance = st.column_double(kSymbolColumnCount);
    hit.score = st.column_double(kSymbolColumnCount + 1);
    out.push_back(std::move(hit));
  }
  return out;
}

Status IndexStore::for_each_search_row(const std::function<bool(const SearchRow&)>& row) {
  // Symbols and ranks are both scanned in id order and merged here: joining them (and files)
  // costs a b-tree seek per symbol, which tripled the time on the kernel (3.6 M symbols, 9 s).
  // Only File symbols need their path (as in symbols_fts_source), so files is read for those
  // alone; every symbol has its file row (put_file writes it first, remove_file deletes both).
  // Both statements run in one read transaction of this connection, so they see one state.
  auto symbols = impl_->query(
      "SELECT s.id, s.file_id, s.kind, s.words, s.name, s.qualified_name, "
      "CASE WHEN s.kind = 0 THEN (SELECT f.path FROM files f WHERE f.id = s.file_id) ELSE '' END, "
      "s.signature, s.doc FROM symbols s ORDER BY s.id");
  if (!symbols) return std::unexpected(symbols.error());
  auto ranks = impl_->query("SELECT id, importance FROM ranks ORDER BY id");
  if (!ranks) return std::unexpected(ranks.error());
  Stmt& sym = **symbols;
  Stmt& rank = **ranks;
  ResetGuard sym_guard(sym);
  ResetGuard rank_guard(rank);
  bool rank_row = false;
  SymbolId rank_id = 0;
  bool ranks_done = false;
  SearchRow out;
  while (true) {
    auto more = sym.step();
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
    out.id = static_cast<SymbolId>(sym.column_int(0));
    while (!ranks_done && (!rank_row || rank_id < out.id)) {
      auto next = rank.step();
      if (!next) return std::unexpected(next.error());
      rank_row = *next;
      ranks_done = !*next;
      if (rank_row) rank_id = static_cast<SymbolId>(rank.column_int(0));
    }
    out.importance = rank_row && rank_id == out.id ? rank.column_double(1) : 0.0;
    out.file_id = static_cast<FileId>(sym.column_int(1));
    out.kind = static_cast<SymbolKind>(sym.column_int(2));
    out.words = sym.column_text(3);
    out.name = sym.column_text(4);
    out.qualified_name = sym.column_text(5);
    out.path = sym.column_text(6);
    out.signature = sym.column_text(7);
    out.doc = sym.column_text(8);
    if (!row(out)) return make_error(ErrorCode::Cancelled, "reading the symbols was stopped");
  }
}

Result<std::optional<SymbolRecord>> IndexStore::symbol(SymbolId id) {
  CCI_STMT(st, *impl_, Sql::SymbolById);
  ResetGuard guard(st);
  st.bind(1, static_cast<std::int64_t>(id));
  auto row = st.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<SymbolRecord>{};
  return std::optional<SymbolRecord>(read_symbol(st));
}

Result<bool> IndexStore::symbol_text(SymbolId id, std::array<std::string, kTextColumnCount>& columns) {
  CCI_STMT(st, *impl_, Sql::SymbolText);
  ResetGuard guard(st);
  st.bind(1, static_cast<std::int64_t>(id));
  auto row = st.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return false;
  for (std::size_t c = 0; c < kTextColumnCount; ++c) columns[c].assign(st.column_text(static_cast<int>(c)));
  return true;
}

Result<std::vector<SymbolRecord>> IndexStore::symbols_named(std::string_view name, const SymbolFilter& filter,
                                                            std::size_t limit) {
  // The OR of two indexed equalities runs as a union of two index lookups.
  const std::string sql = "SELECT " CCI_SYMBOL_COLUMNS CCI_SYMBOL_FROM
                          " WHERE (s.name = ?1 OR s.qualified_name = ?1)" +
                          filter_sql(filter, false) +
                          " ORDER BY COALESCE(r.importance, 0.0) DESC, f.path, s.start_line, s.id LIMIT ?2";
  auto prepared = impl_->query(sql);
  if (!prepared) return std::unexpected(prepared.error());
  Stmt& st = **prepared;
  st.bind_text(1, name);
  st.bind(2, sql_limit(limit));
  bind_filter(st, filter);
  return impl_->collect_symbols(st);
}

Result<std::vector<std::string>> IndexStore::similar_names(std::string_view name, std::size_t limit) {
  const std::vector<std::string> words = identifier_words(name);
  if (words.empty()) return std::vector<std::string>{};
  CCI_TRY(impl_->sync_fts_for_query());
  // Candidates from FTS: any shared word, or a name starting with the query's words.
  std::string match = "{words name}: (";
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) match += " OR ";
    match += quote_fts_term(words[i]);
  }
  match += ") OR name: (";
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) match += " + ";
    match += quote_fts_term(words[i]);
  }
  match += " *)";
  const std::string sql = fmt::format(
      "WITH c AS (SELECT rowid AS cid, {bm25} AS b FROM symbols_fts WHERE symbols_fts MATCH ?1 "
      "ORDER BY b LIMIT 2000) "
      "SELECT s.name, MAX(COALESCE(r.importance, 0.0)) AS imp FROM c JOIN symbols s ON s.id = c.cid "
      "LEFT JOIN ranks r ON r.id = s.id WHERE s.kind <> {import} AND s.name <> ?2 GROUP BY s.name",
      fmt::arg("bm25", kBm25), fmt::arg("import", static_cast<int>(SymbolKind::Import)));
  auto prepared = impl_->query(sql);
  if (!prepared) return std::unexpected(prepared.error());
  Stmt& st = **prepared;
  ResetGuard guard(st);
  st.bind_text(1, match);
  st.bind_text(2, name);

  struct Candidate {
    std::string name;
    bool prefix;
    std::size_t shared;
    double importance;
  };
  const std::string lower_name = lower_ascii(name);
  std::vector<Candidate> candidates;
  while (true) {
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    Candidate c;
    c.name = std::string(st.column_text(0));
    c.importance = st.column_double(1);
    const std::string lower = lower_ascii(c.name);
    c.prefix = lower.starts_with(lower_name) || (lower.size() >= 3 && lower_name.starts_with(lower));
    c.shared = 0;
    for (const std::string& w : identifier_words(c.name))
      if (std::find(words.begin(), words.end(), w) != words.end()) ++c.shared;
    candidates.push_back(std::move(c));
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.prefix != b.prefix) return a.prefix;
    if (a.shared != b.shared) return a.shared > b.shared;
    if (a.importance != b.importance) return a.importance > b.importance;
    return a.name < b.name;
  });
  std::vector<std::string> out;
  for (Candidate& c : candidates) {
    if (limit != 0 && out.size() >= limit) break;
    out.push_back(std::move(c.name));
  }
  return out;
}

Result<std::vector<SymbolRecord>> IndexStore::symbols_in_file(std::string_view path) {
  CCI_STMT(st, *impl_, Sql::SymbolsInFile);
  st.bind_text(1, path);
  return impl_->collect_symbols(st);
}

Result<std::vector<SymbolRecord>> IndexStore::important_symbols(const SymbolFilter& filter, std::size_t limit) {
  const std::string where = filter_sql(filter, true);
  // Ranked symbols walk ranks_by_importance and stop at the limit; symbols without a rank row
  // (ranks not written yet) follow in id order.
  const std::string ranked_sql = "SELECT " CCI_SYMBOL_COLUMNS
                                 " FROM ranks r JOIN symbols s ON s.id = r.id JOIN files f ON f.id = s.file_id"
                                 " WHERE 1" +
                                 where + " ORDER BY r.importance DESC, r.pagerank DESC, r.id LIMIT ?1";
  auto ranked = impl_->query(ranked_sql);
  if (!ranked) return std::unexpected(ranked.error());
  (*ranked)->bind(1, sql_limit(limit));
  bind_filter(**ranked, filter);
  auto out = impl_->collect_symbols(**ranked);
  if (!out) return out;
  if (limit != 0 && out->size() >= limit) return out;

  const std::string unranked_sql = "SELECT " CCI_SYMBOL_COLUMNS CCI_SYMBOL_FROM " WHERE r.id IS NULL" + where +
                                   " ORDER BY s.id LIMIT ?1";
  auto unranked = impl_->query(unranked_sql);
  if (!unranked) return std::unexpected(unranked.error());
  (*unranked)->bind(1, limit == 0 ? -1 : static_cast<std::int64_t>(limit - out->size()));
  bind_filter(**unranked, filter);
  auto rest = impl_->collect_symbols(**unranked);
  if (!rest) return std::unexpected(rest.error());
  for (SymbolRecord& s : *rest) out->push_back(std::move(s));
  return out;
}

Result<std::vector<EdgeRecord>> IndexStore::edges_to(SymbolId target, std::optional<EdgeKind> kind,
                                                     std::size_t limit) {
  CCI_STMT(st, *impl_, Sql::EdgesTo);
  st.bind(1, static_cast<std::int64_t>(target));
  st.bind(2, kind ? static_cast<std::int64_t>(*kind) : std::int64_t{-1});
  st.bind(3, sql_limit(limit));
  return impl_->collect_edges(st);
}

Result<std::vector<EdgeRecord>> IndexStore::edges_from(SymbolId source, std::optional<EdgeKind> kind,
                                                       std::size_t limit) {
  CCI_STMT(st, *impl_, Sql::EdgesFrom);
  st.bind(1, static_cast<std::int64_t>(source));
  st.bind(2, kind ? static_cast<std::int64_t>(*kind) : std::int64_t{-1});
  st.bind(3, sql_limit(limit));
  return impl_->collect_edges(st);
}

Result<std::vector<EdgeRecord>> IndexStore::unresolved_named(std::string_view name, std::size_t limit) {
  CCI_STMT(st, *impl_, Sql::UnresolvedNamed);
  st.bind_text(1, name);
  st.bind(2, sql_limit(limit));
  return impl_->collect_edges(st);
}

Result<std::optional<FileRecord>> IndexStore::file(std::string_view path) {
  CCI_STMT(st, *impl_, Sql::FileByPath);
  ResetGuard guard(st);
  st.bind_text(1, path);
  auto row = st.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<FileRecord>{};
  return std::optional<FileRecord>(read_file_record(st));
}

Result<std::optional<std::string>> IndexStore::file_content(FileId file_id) {
  CCI_STMT(st, *impl_, Sql::Content);
  ResetGuard guard(st);
  st.bind(1, static_cast<std::int64_t>(file_id));
  auto row = st.step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(std::string(st.column_blob(0)));
}

Result<std::vector<SkippedRecord>> IndexStore::skipped() {
  CCI_STMT(st, *impl_, Sql::Skipped);
  ResetGuard guard(st);
  std::vector<SkippedRecord> out;
  while (true) {
    auto row = st.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({std::string(st.column_text(0)), std::string(st.column_text(1)), std::string(st.column_text(2))});
  }
  return out;
}

Result<IndexStats> IndexStore::stats() {
  IndexStats stats;
  Db& db = impl_->db;
  // One read transaction so every count comes from the same snapshot.
  const bool own_txn = !db.in_transaction();
  if (own_txn) CCI_TRY(db.exec("BEGIN"));
  auto body = [&]() -> Status {
    auto count = [&](std::string_view sql, std::size_t& into) -> Status {
      auto n = db.query_int(sql);
      if (!n) return std::unexpected(n.error());
      into = static_cast<std::size_t>(*n);
      return {};
    };
    CCI_TRY(count("SELECT count(*) FROM files", stats.files));
    CCI_TRY(count("SELECT count(*) FROM files WHERE partial <> 0", stats.partial_files));
    CCI_TRY(count("SELECT count(*) FROM symbols", stats.symbols));
    CCI_TRY(count("SELECT count(*) FROM edges", stats.edges));
    CCI_TRY(count("SELECT count(*) FROM edges WHERE target = 0", stats.unresolved_edges));

    auto grouped = [&](std::string_view sql, auto&& name_of,
                       std::vector<std::pair<std::string, std::size_t>>& into) -> Status {
      auto st = Stmt::prepare(db, sql);
      if (!st) return std::unexpected(st.error());
      while (true) {
        auto row = st->step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        into.emplace_back(name_of(*st), static_cast<std::size_t>(st->column_int(1)));
      }
      return {};
    };
    CCI_TRY(grouped("SELECT language, count(*) FROM files GROUP BY language ORDER BY 2 DESC, 1",
                    [](const Stmt& s) { return std::string(to_string(static_cast<Language>(s.column_int(0)))); },
                    stats.files_by_language));
    CCI_TRY(grouped("SELECT kind, count(*) FROM symbols GROUP BY kind ORDER BY 2 DESC, 1",
                    [](const Stmt& s) { return std::string(to_string(static_cast<SymbolKind>(s.column_int(0)))); },
                    stats.symbols_by_kind));
    CCI_TRY(grouped("SELECT kind, count(*) FROM edges GROUP BY kind ORDER BY 2 DESC, 1",
                    [](const Stmt& s) { return std::string(to_string(static_cast<EdgeKind>(s.column_int(0)))); },
                    stats.edges_by_kind));
    CCI_TRY(grouped("SELECT resolution, count(*) FROM edges GROUP BY resolution ORDER BY 2 DESC, 1",
                    [](const Stmt& s) { return std::string(to_string(static_cast<Resolution>(s.column_int(0)))); },
                    stats.edges_by_resolution));
    CCI_TRY(grouped("SELECT reason, count(*) FROM skipped GROUP BY reason ORDER BY 2 DESC, 1",
                    [](const Stmt& s) { return std::string(s.column_text(0)); }, stats.skipped_by_reason));

    auto pages = db.query_int("PRAGMA page_count");
    if (!pages) return std::unexpected(pages.error());
    auto page_size = db.query_int("PRAGMA page_size");
    if (!page_size) return std::unexpected(page_size.error());
    stats.database_bytes = static_cast<std::uint64_t>(*pages) * static_cast<std::uint64_t>(*page_size);
    std::error_code ec;
    const auto wal_bytes = fs::file_size(fs::path(db.path() + "-wal"), ec);
    if (!ec) stats.database_bytes += wal_bytes;
    return {};
  };
  Status status = body();
  if (own_txn) (void)db.exec(status ? "COMMIT" : "ROLLBACK");
  if (!status) return std::unexpected(status.error());
  return stats;
}

Status IndexStore::integrity_check() {
  Db& db = impl_->db;
  auto st = Stmt::prepare(db, "PRAGMA integrity_check");
  if (!st) return std::unexpected(st.error());
  auto row = st->step();
  if (!row) return std::unexpected(row.error());
  const std::string first = *row ? std::string(st->column_text(0)) : std::string("no result");
  st->reset();
  if (first != "ok") {
    return make_error(ErrorCode::Corrupt, fmt::format("integrity check of {} failed: {}", db.path(), first));
  }
  // PRAGMA integrity_check does not look inside FTS5 (before SQLite 3.44); the FTS
  // 'integrity-check' command compares the index with its content. It needs a writable
  // connection and is skipped while this connection's own batch is open.
  if (impl_->mode == OpenMode::ReadWrite && !impl_->batch_open) {
    Status fts = db.exec("INSERT INTO symbols_fts(symbols_fts, rank) VALUES('integrity-check', 1)");
    if (!fts) {
      if (fts.error().code == ErrorCode::IoError) return fts;  // busy: another writer holds the lock
      return make_error(ErrorCode::Corrupt,
                        fmt::format("full-text index of {} is inconsistent: {}", db.path(), fts.error().message));
    }
  }
  return {};
}

// --- writes -------------------------------------------------------------------------------------

WriteBatch::WriteBatch(IndexStore::Impl* store) : store_(store) {}

WriteBatch::~WriteBatch() {
  if (done_) return;
  if (store_->db.in_transaction()) {
    if (Status st = store_->db.exec("ROLLBACK"); !st) log::warn("store: rollback failed: {}", st.error().message);
  }
  store_->pending_fts = 0;  // the rollback emptied the temp queues too
  store_->batch_open = false;
}

namespace {

// Runs one batch operation. A failure part-way through an operation aborts the batch: later
// operations and commit() are refused and the destructor rolls everything back, so a batch is
// all or nothing. (Savepoints would allow finer recovery, but FTS5 flushes its pending index
// data into a new segment at every savepoint, which made bulk put_file several times slower.)
// Arguments are validated before anything is written, so a rejected call does not abort.
// A template over the store type because IndexStore::Impl is private to IndexStore and WriteBatch.
template <class Store, class Body>
Status guarded(Store& s, bool done, std::string_view what, Body&& body) {
  if (done) return make_error(ErrorCode::InvalidArgument, fmt::format("{}: the write batch is already committed", what));
  if (s.batch_aborted || !s.db.in_transaction()) {
    return make_error(ErrorCode::IoError,
                      fmt::format("{}: the write batch on {} was aborted by an earlier error", what, s.db.path()));
  }
  Status status = body();
  if (!status) s.batch_aborted = true;
  return status;
}

}  // namespace

Status IndexStore::Impl::load_symbol_rows(FileId file_id, std::unordered_map<SymbolId, StoredSymbolRow>& out) {
  auto st = query(
      "SELECT id, ordinal, kind, parent_id, start_line, start_col, end_line, end_col, exported, name, qualified_name, "
      "signature, doc, words FROM symbols WHERE file_id = ?1");
  if (!st) return std::unexpected(st.error());
  Stmt& q = **st;
  ResetGuard guard(q);
  q.bind(1, static_cast<std::int64_t>(file_id));
  while (true) {
    auto row = q.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    StoredSymbolRow r;
    r.ordinal = q.column_int(1);
    r.kind = q.column_int(2);
    r.parent_id = q.column_int(3);
    r.start_line = static_cast<std::uint32_t>(q.column_int(4));
    r.start_col = static_cast<std::uint32_t>(q.column_int(5));
    r.end_line = static_cast<std::uint32_t>(q.column_int(6));
    r.end_col = static_cast<std::uint32_t>(q.column_int(7));
    r.exported = q.column_int(8) != 0;
    r.name = q.column_text(9);
    r.qualified_name = q.column_text(10);
    r.signature = q.column_text(11);
    r.doc = q.column_text(12);
    r.words = q.column_text(13);
    out.emplace(static_cast<SymbolId>(q.column_int(0)), std::move(r));
  }
}

Status IndexStore::Impl::flush_fts() {
  CCI_TRY(db.exec(kFlushPending));
  pending_fts = 0;
  return {};
}

Status IndexStore::Impl::stash_symbol_fts(SymbolId id) {
  // As StashFtsDeletes/DropPendingInserts, for one symbol: the FTS row it has now is deleted at
  // the next flush with exactly these values; a queued insert of it is dropped (re-queued after).
  auto stash = query("INSERT INTO temp.fts_pending_delete(id, words, name, qualified_name, path, signature, doc) "
                     "SELECT s.id, s.words, s.name, s.qualified_name, " CCI_FTS_PATH ", s.signature, s.doc "
                     "FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.id = ?1 "
                     "AND s.id NOT IN (SELECT id FROM temp.fts_pending_insert)");
  auto drop = query("DELETE FROM temp.fts_pending_insert WHERE id = ?1");
  if (!stash) return std::unexpected(stash.error());
  if (!drop) return std::unexpected(drop.error());
  (*stash)->bind(1, static_cast<std::int64_t>(id));
  CCI_TRY((*stash)->run());
  (*drop)->bind(1, static_cast<std::int64_t>(id));
  return (*drop)->run();
}

Status IndexStore::Impl::insert_edges(std::span<const graph::Edge> edges) {
    CCI_STMT(ins, *this, Sql::InsertEdge);
    for (const graph::Edge& e : edges) {
      ins.bind(1, static_cast<std::int64_t>(e.source));
      ins.bind(2, static_cast<std::int64_t>(e.target));
      ins.bind(3, static_cast<std::int64_t>(e.kind));
      ins.bind(4, static_cast<std::int64_t>(e.resolution));
      ins.bind_text(5, e.target_name);
      ins.bind_text(6, detail::last_component(e.target_name));
      ins.bind(7, static_cast<std::int64_t>(e.line));
      ins.bind(8, static_cast<std::int64_t>(e.col));
      CCI_TRY(ins.run());
    }
  return {};
}

Status IndexStore::Impl::remove_file_rows(FileId id) {
  for (Sql step : {Sql::StashFtsDeletes, Sql::DropPendingInserts, Sql::DeleteSymbols, Sql::DeleteContent, Sql::DeleteExtract, Sql::DeleteFile}) {
    CCI_STMT(st, *this, step);
    st.bind(1, static_cast<std::int64_t>(id));
    CCI_TRY(st.run());
  }
  return {};
}

namespace {

// The parameters ?1..?15 of InsertSymbol (and of put_file's in-place update, numbered alike).
void bind_symbol_row(Stmt& st, SymbolId id, FileId file_id, std::size_t ordinal, const Symbol& sym, SymbolId parent_id,
                     std::string_view words) {
  st.bind(1, static_cast<std::int64_t>(id));
  st.bind(2, static_cast<std::int64_t>(file_id));
  st.bind(3, static_cast<std::int64_t>(ordinal));
  st.bind(4, static_cast<std::int64_t>(sym.kind));
  st.bind_text(5, sym.name);
  st.bind_text(6, sym.qualified_name);
  st.bind(7, static_cast<std::int64_t>(parent_id));
  st.bind(8, static_cast<std::int64_t>(sym.span.start_line));
  st.bind(9, static_cast<std::int64_t>(sym.span.start_col));
  st.bind(10, static_cast<std::int64_t>(sym.span.end_line));
  st.bind(11, static_cast<std::int64_t>(sym.span.end_col));
  st.bind_text(12, sym.signature);
  st.bind_text(13, sym.doc);
  st.bind(14, static_cast<std::int64_t>(sym.exported));
  st.bind_text(15, words);
}

}  // namespace

Status WriteBatch::put_file(const FileRecord& file, const ParsedFile& parsed, std::span<const SymbolId> ids,
                            std::string_view content) {
  IndexStore::Impl& s = *store_;
  const std::string_view path = file.path.empty() ? std::string_view(parsed.path) : std::string_view(file.path);
  if (path.empty()) return make_error(ErrorCode::InvalidArgument, "put_file: the file has no path");
  std::vector<SymbolId> computed;
  if (ids.empty() && !parsed.symbols.empty()) {
    computed = assign_symbol_ids(parsed);
    ids = computed;
  }
  if (ids.size() != parsed.symbols.size()) {
    return make_error(ErrorCode::InvalidArgument,
                      fmt::format("put_file {}: {} ids for {} symbols", path, ids.size(), parsed.symbols.size()));
  }
  const FileId file_id = file.id != 0 ? file.id : file_id_for(path);
  {
    // Duplicate ids inside one file are a caller error; catch them before anything is written.
    std::vector<SymbolId> sorted(ids.begin(), ids.end());
    std::sort(sorted.begin(), sorted.end());
    if (auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end()) {
      return make_error(ErrorCode::InvalidArgument, fmt::format("put_file {}: symbol id {} appears twice", path, *dup));
    }
  }

  bool same_file = false;
  std::unordered_map<SymbolId, StoredSymbolRow> old_rows;
  return guarded(s, done_, "put_file", [&]() -> Status {
    // Replace any previous version, found by id or by path.
    {
      CCI_STMT(find, s, Sql::FindFile);
      find.bind(1, static_cast<std::int64_t>(file_id));
      find.bind_text(2, path);
      std::vector<FileId> previous;
      {
        ResetGuard guard(find);
        while (true) {
          auto row = find.step();
          if (!row) return std::unexpected(row.error());
          if (!*row) break;
          previous.push_back(find.column_int(0));
        }
      }
      // A new version of the same file keeps its symbol rows where they did not change (see below):
      // rewriting every row of a large file costs four B-tree updates each plus its FTS entries.
      same_file = previous.size() == 1 && previous[0] == file_id;
      if (same_file) {
        CCI_TRY(s.load_symbol_rows(file_id, old_rows));
        for (Sql step : {Sql::DeleteContent, Sql::DeleteExtract, Sql::DeleteFile}) {
          CCI_STMT(st, s, step);
          st.bind(1, static_cast<std::int64_t>(file_id));
          CCI_TRY(st.run());
        }
      } else {
        for (FileId old : previous) CCI_TRY(s.remove_file_rows(old));
      }
    }

    CCI_STMT(ins_file, s, Sql::InsertFile);
    ins_file.bind(1, static_cast<std::int64_t>(file_id));
    ins_file.bind_text(2, path);
    ins_file.bind(3, static_cast<std::int64_t>(file.language != Language::Unknown ? file.language : parsed.language));
    ins_file.bind(4, static_cast<std::int64_t>(file.size != 0 ? file.size : content.size()));
    ins_file.bind(5, static_cast<std::int64_t>(file.mtime_ns));
    ins_file.bind(6, std::bit_cast<std::int64_t>(file.content_hash));
    ins_file.bind(7, static_cast<std::int64_t>(file.line_count != 0 ? file.line_count : parsed.line_count));
    ins_file.bind(8, static_cast<std::int64_t>(parsed.symbols.size()));
    ins_file.bind(9, static_cast<std::int64_t>(file.partial || parsed.error_nodes > 0));
    CCI_TRY(ins_file.run());

    CCI_STMT(ins_content, s, Sql::InsertContent);
    ins_content.bind(1, static_cast<std::int64_t>(file_id));
    ins_content.bind_blob(2, content);
    CCI_TRY(ins_content.run());

    detail::encode_parsed(parsed, s.extract);
    CCI_STMT(ins_extract, s, Sql::InsertExtract);
    ins_extract.bind(1, static_cast<std::int64_t>(file_id));
    ins_extract.bind_blob(2, s.extract);
    CCI_TRY(ins_extract.run());

    CCI_STMT(ins_symbol, s, Sql::InsertSymbol);
    CCI_STMT(pending, s, Sql::AddPendingInsert);
    for (std::size_t i = 0; i < parsed.symbols.size(); ++i) {
      const Symbol& sym = parsed.symbols[i];
      // Parent index 0 is the file symbol: stored as 0 like file scope, per SymbolRecord.
      const std::int32_t parent = sym.parent;
      const SymbolId parent_id =
          (parent > 0 && static_cast<std::size_t>(parent) < ids.size()) ? ids[static_cast<std::size_t>(parent)] : 0;
      detail::fts_words(sym.name, sym.qualified_name, s.words);

      if (same_file) {
        auto found = old_rows.find(ids[i]);
        if (found != old_rows.end()) {
          const StoredSymbolRow& o = found->second;
          const bool text_same = o.name == sym.name && o.qualified_name == sym.qualified_name &&
                                 o.signature == sym.signature && o.doc == sym.doc && o.words == s.words;
          const bool place_same = o.ordinal == static_cast<std::int64_t>(i) && o.kind == static_cast<std::int64_t>(sym.kind) &&
                                  o.parent_id == static_cast<std::int64_t>(parent_id) &&
                                  o.start_line == sym.span.start_line && o.start_col == sym.span.start_col &&
                                  o.end_line == sym.span.end_line && o.end_col == sym.span.end_col &&
                                  o.exported == sym.exported;
          old_rows.erase(found);
          if (text_same && place_same) continue;
          if (!text_same) CCI_TRY(s.stash_symbol_fts(ids[i]));
          // Numbered as InsertSymbol's parameters (?2, the file, is the row's already), so one
          // binder serves both.
          auto update = s.query(
              "UPDATE symbols SET ordinal = ?3, kind = ?4, name = ?5, qualified_name = ?6, parent_id = ?7, start_line = ?8, "
              "start_col = ?9, end_line = ?10, end_col = ?11, signature = ?12, doc = ?13, exported = ?14, words = ?15 "
              "WHERE id = ?1 AND file_id = ?2");
          if (!update) return std::unexpected(update.error());
          Stmt& up = **update;
          bind_symbol_row(up, ids[i], file_id, i, sym, parent_id, s.words);
          CCI_TRY(up.run());
          if (!text_same) {
            pending.bind(1, static_cast<std::int64_t>(ids[i]));
            CCI_TRY(pending.run());
            ++s.pending_fts;
          }
          continue;
        }
      }

      bind_symbol_row(ins_symbol, ids[i], file_id, i, sym, parent_id, s.words);
      if (Status st = ins_symbol.run(); !st) {
        if (st.error().code == ErrorCode::InvalidArgument) {
          return make_error(ErrorCode::InvalidArgument,
                            fmt::format("put_file {}: symbol id {} of `{}` is already in use ({})", path, ids[i],
                                        sym.qualified_name.empty() ? sym.name : sym.qualified_name,
                                        st.error().message));
        }
        return st;
      }

      pending.bind(1, static_cast<std::int64_t>(ids[i]));
      CCI_TRY(pending.run());
      ++s.pending_fts;
    }
    // Symbols of the previous version that are gone.
    for (const auto& [id, row] : old_rows) {
      CCI_TRY(s.stash_symbol_fts(id));
      auto del = s.query("DELETE FROM symbols WHERE id = ?1");
      if (!del) return std::unexpected(del.error());
      (*del)->bind(1, static_cast<std::int64_t>(id));
      CCI_TRY((*del)->run());
    }
    if (s.pending_fts >= kFtsFlushThreshold) return s.flush_fts();
    return {};
  });
}

Status WriteBatch::remove_file(FileId file_id) {
  return guarded(*store_, done_, "remove_file", [&]() { return store_->remove_file_rows(file_id); });
}

Status WriteBatch::replace_edges(std::span<const graph::Edge> edges) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "replace_edges", [&]() -> Status {
    CCI_TRY(s.db.exec(detail::kDropEdgeIndexes));
    CCI_TRY(s.db.exec("DELETE FROM edges"));
    CCI_TRY(s.insert_edges(edges));
    return s.db.exec(detail::kCreateEdgeIndexes);
  });
}

Status WriteBatch::replace_ranks(std::span<const graph::SymbolRank> ranks) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "replace_ranks", [&]() -> Status {
    CCI_TRY(s.db.exec(detail::kDropRankIndexes));
    CCI_TRY(s.db.exec("DELETE FROM ranks"));
    CCI_STMT(ins, s, Sql::InsertRank);
    for (const graph::SymbolRank& r : ranks) {
      s.tags.clear();
      for (const std::string& tag : r.tags) {
        if (!s.tags.empty()) s.tags.push_back(',');
        s.tags += tag;
      }
      ins.bind(1, static_cast<std::int64_t>(r.id));
      ins.bind(2, r.pagerank);
      ins.bind(3, r.importance);
      ins.bind(4, static_cast<std::int64_t>(r.in_degree));
      ins.bind(5, static_cast<std::int64_t>(r.out_degree));
      ins.bind_text(6, s.tags);
      if (Status st = ins.run(); !st) {
        return make_error(st.error().code,
                          fmt::format("replace_ranks: symbol id {}: {}", r.id, st.error().message));
      }
    }
    return s.db.exec(detail::kCreateRankIndexes);
  });
}

Status WriteBatch::replace_skipped(std::span<const SkippedRecord> skipped) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "replace_skipped", [&]() -> Status {
    CCI_TRY(s.db.exec("DELETE FROM skipped"));
    CCI_STMT(ins, s, Sql::InsertSkipped);
    for (const SkippedRecord& r : skipped) {
      ins.bind_text(1, r.path);
      ins.bind_text(2, r.reason);
      ins.bind_text(3, r.detail);
      CCI_TRY(ins.run());
    }
    return {};
  });
}

Status WriteBatch::set_meta(std::string_view key, std::string_view value) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "set_meta", [&]() -> Status {
    CCI_STMT(st, s, Sql::SetMeta);
    st.bind_text(1, key);
    st.bind_text(2, value);
    return st.run();
  });
}

Status WriteBatch::commit() {
  IndexStore::Impl& s = *store_;
  if (done_) return make_error(ErrorCode::InvalidArgument, "commit: the write batch is already committed");
  if (s.batch_aborted || !s.db.in_transaction()) {
    return make_error(ErrorCode::IoError,
                      fmt::format("commit: the write batch on {} was aborted by an earlier error", s.db.path()));
  }
  if (Status flushed = s.flush_fts(); !flushed) {
    s.batch_aborted = true;
    return flushed;
  }
  CCI_TRY(s.db.exec("COMMIT"));
  done_ = true;
  s.batch_open = false;
  return {};
}

// --- read snapshots -------------------------------------------------------------------------------

Result<ReadSnapshot> IndexStore::read_snapshot() {
  if (impl_->db.in_transaction()) return ReadSnapshot{};
  CCI_TRY(impl_->db.exec("BEGIN"));
  // A deferred transaction takes its snapshot at the first read.
  if (auto first = impl_->db.query_int("SELECT count(*) FROM meta"); !first) {
    if (Status st = impl_->db.exec("ROLLBACK"); !st) log::warn("store: rollback failed: {}", st.error().message);
    return std::unexpected(first.error());
  }
  return ReadSnapshot(impl_.get());
}

ReadSnapshot& ReadSnapshot::operator=(ReadSnapshot&& other) noexcept {
  if (this != &other) {
    end();
    store_ = std::exchange(other.store_, nullptr);
  }
  return *this;
}

ReadSnapshot::~ReadSnapshot() { end(); }

void ReadSnapshot::end() {
  if (store_ == nullptr) return;
  // Ending a read transaction cannot lose anything; a failure only means SQLite already ended it.
  if (store_->db.in_transaction())
    if (Status st = store_->db.exec("COMMIT"); !st) log::warn("store: ending a read snapshot: {}", st.error().message);
  store_ = nullptr;
}

// --- incremental updates ------------------------------------------------------------------------

namespace {

template <typename Impl, typename T>
Result<std::vector<T>> collect_ints(Impl& impl, const std::string& sql, auto&& bind) {
  auto st = impl.query(sql);
  if (!st) return std::unexpected(st.error());
  ResetGuard guard(**st);
  bind(**st);
  std::vector<T> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(static_cast<T>((*st)->column_int(0)));
  }
  return out;
}

}  // namespace

Result<std::vector<FileRecord>> IndexStore::files_under(std::string_view dir) {
  if (dir.empty()) return files();
  auto st = impl_->query("SELECT " CCI_FILE_COLUMNS " FROM files WHERE path = ?1 OR (path > ?2 AND path < ?3)");
  if (!st) return std::unexpected(st.error());
  ResetGuard guard(**st);
  // Everything strictly between "dir/" and "dir0" ('0' follows '/') is below dir.
  const std::string lo = std::string(dir) + "/";
  const std::string hi = std::string(dir) + "0";
  (*st)->bind_text(1, dir);
  (*st)->bind_text(2, lo);
  (*st)->bind_text(3, hi);
  std::vector<FileRecord> out;
  while (true) {
    auto row = (*st)->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back(read_file_record(**st));
  }
  return out;
}

// Definitions only: File and Import symbols (Go and Rust imports carry their module's name) would
// make a name look more common than it is.
const std::string kDefinitionsNamed = fmt::format(
    "SELECT DISTINCT file_id FROM symbols WHERE name = ?1 AND kind NOT IN ({}, {}) LIMIT ?2",
    static_cast<int>(SymbolKind::File), static_cast<int>(SymbolKind::Import));
const std::string kDefinitionIdsNamed = fmt::format("SELECT id FROM symbols WHERE name = ?1 AND kind NOT IN ({}, {})",
                                                    static_cast<int>(SymbolKind::File),
                                                    static_cast<int>(SymbolKind::Import));

Result<std::vector<FileId>> IndexStore::files_defining(std::string_view name, std::size_t limit) {
  return collect_ints<Impl, FileId>(*impl_, kDefinitionsNamed,
                                    [&](Stmt& st) {
                                      st.bind_text(1, name);
                                      st.bind(2, sql_limit(limit));
                                    });
}

Result<std::vector<SymbolId>> IndexStore::symbol_ids_named(std::string_view name) {
  return collect_ints<Impl, SymbolId>(*impl_, kDefinitionIdsNamed,
                                      [&](Stmt& st) { st.bind_text(1, name); });
}

Result<std::vector<FileId>> IndexStore::files_referencing(SymbolId target) {
  return collect_ints<Impl, FileId>(
      *impl_, "SELECT DISTINCT s.file_id FROM edges e JOIN symbols s ON s.id = e.source WHERE e.target = ?1",
      [&](Stmt& st) { st.bind(1, static_cast<std::int64_t>(target)); });
}

Result<std::vector<FileId>> IndexStore::files_referencing_unresolved(std::string_view leaf) {
  return collect_ints<Impl, FileId>(*impl_,
                                    "SELECT DISTINCT s.file_id FROM edges e INDEXED BY edges_unresolved_leaf "
                                    "JOIN symbols s ON s.id = e.source WHERE e.target = 0 AND e.target_leaf = ?1",
                                    [&](Stmt& st) { st.bind_text(1, leaf); });
}

Status WriteBatch::touch_file(FileId file_id, std::uint64_t size, std::int64_t mtime_ns) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "touch_file", [&]() -> Status {
    auto st = s.query("UPDATE files SET size = ?2, mtime_ns = ?3 WHERE id = ?1");
    if (!st) return std::unexpected(st.error());
    (*st)->bind(1, static_cast<std::int64_t>(file_id));
    (*st)->bind(2, static_cast<std::int64_t>(size));
    (*st)->bind(3, mtime_ns);
    return (*st)->run();
  });
}

namespace {

// The edges an incremental update is about to delete or rewrite, for its degree and count deltas:
// `select` yields (source, target, kind, resolution, line, col) for the key bound as ?1.
Status read_edges(Stmt& select, SymbolId key, std::vector<EdgeRecord>& out) {
  ResetGuard guard(select);
  select.bind(1, static_cast<std::int64_t>(key));
  while (true) {
    auto row = select.step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
    EdgeRecord e;
    e.source = static_cast<SymbolId>(select.column_int(0));
    e.target = static_cast<SymbolId>(select.column_int(1));
    e.kind = static_cast<EdgeKind>(select.column_int(2));
    e.resolution = static_cast<Resolution>(select.column_int(3));
    e.line = static_cast<std::uint32_t>(select.column_int(4));
    e.col = static_cast<std::uint32_t>(select.column_int(5));
    out.push_back(e);
  }
}

}  // namespace

Result<std::vector<EdgeRecord>> WriteBatch::remove_edges_from(std::span<const SymbolId> sources) {
  IndexStore::Impl& s = *store_;
  std::vector<EdgeRecord> removed;
  Status status = guarded(s, done_, "remove_edges_from", [&]() -> Status {
    auto select = s.query("SELECT source, target, kind, resolution, line, col FROM edges WHERE source = ?1");
    auto del = s.query("DELETE FROM edges WHERE source = ?1");
    if (!select) return std::unexpected(select.error());
    if (!del) return std::unexpected(del.error());
    for (SymbolId id : sources) {
      CCI_TRY(read_edges(**select, id, removed));
      (*del)->bind(1, static_cast<std::int64_t>(id));
      CCI_TRY((*del)->run());
    }
    return {};
  });
  if (!status) return std::unexpected(status.error());
  return removed;
}

Result<std::vector<EdgeRecord>> WriteBatch::unresolve_edges_to(std::span<const SymbolId> targets) {
  IndexStore::Impl& s = *store_;
  std::vector<EdgeRecord> changed;
  Status status = guarded(s, done_, "unresolve_edges_to", [&]() -> Status {
    auto select = s.query("SELECT source, target, kind, resolution, line, col FROM edges WHERE target = ?1");
    auto update = s.query(fmt::format("UPDATE edges SET target = 0, resolution = {} WHERE target = ?1",
                                      static_cast<int>(Resolution::Unresolved)));
    if (!select) return std::unexpected(select.error());
    if (!update) return std::unexpected(update.error());
    for (SymbolId target : targets) {
      CCI_TRY(read_edges(**select, target, changed));
      (*update)->bind(1, static_cast<std::int64_t>(target));
      CCI_TRY((*update)->run());
    }
    return {};
  });
  if (!status) return std::unexpected(status.error());
  return changed;
}

Status WriteBatch::add_edges(std::span<const graph::Edge> edges) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "add_edges", [&]() { return s.insert_edges(edges); });
}

Status WriteBatch::remove_ranks(std::span<const SymbolId> ids) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "remove_ranks", [&]() -> Status {
    auto del = s.query("DELETE FROM ranks WHERE id = ?1");
    if (!del) return std::unexpected(del.error());
    for (SymbolId id : ids) {
      (*del)->bind(1, static_cast<std::int64_t>(id));
      CCI_TRY((*del)->run());
    }
    return {};
  });
}

Status WriteBatch::adjust_degrees(std::span<const DegreeDelta> deltas, double pagerank_floor) {
  IndexStore::Impl& s = *store_;
  return guarded(s, done_, "adjust_degrees", [&]() -> Status {
    auto upsert = s.query(
        "INSERT INTO ranks(id, pagerank, importance, in_degree, out_degree, tags) VALUES(?1, ?4, 0, max(0, ?2), max(0, ?3), '') "
        "ON CONFLICT(id) DO UPDATE SET in_degree = max(0, in_degree + ?2), out_degree = max(0, out_degree + ?3)");
    if (!upsert) return std::unexpected(upsert.error());
    for (const DegreeDelta& d : deltas) {
      (*upsert)->bind(1, static_cast<std::int64_t>(d.id));
      (*upsert)->bind(2, static_cast<std::int64_t>(d.in));
      (*upsert)->bind(3, static_cast<std::int64_t>(d.out));
      (*upsert)->bind(4, pagerank_floor);
      CCI_TRY((*upsert)->run());
    }
    return {};
  });
}

Status install_built_index(const fs::path& built, const fs::path& live) {
  {
    // Readers of the new file use WAL like every live index; switching needs no other connection,
    // which holds for a freshly built private file.
    Db db;
    CCI_TRY(db.open(built, SQLITE_OPEN_READWRITE));
    auto wal = Stmt::prepare(db, "PRAGMA journal_mode = WAL");
    if (!wal) return std::unexpected(wal.error());
    auto row = wal->step();
    if (!row) return std::unexpected(row.error());
  }
  std::error_code ec;
  if (fs::exists(live, ec)) {
    // Fold the old WAL into the old file and empty it: a leftover WAL would otherwise be
    // applied to the new file by the next connection. TRUNCATE waits for readers (busy timeout).
    Db db;
    CCI_TRY(db.open(live, SQLITE_OPEN_READWRITE));
    sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs);
    CCI_TRY(db.exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(fs::path(live.string() + suffix), ec);
  fs::rename(built, live, ec);
  if (ec) {
    return make_error(ErrorCode::IoError,
                      fmt::format("cannot move the new index {} to {}: {}", built.string(), live.string(), ec.message()));
  }
  return {};
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // sqlite3_strglob needs NUL-terminated strings; per-thread buffers keep this allocation-free
  // once they have grown to the longest pattern and path seen.
  thread_local std::string pattern_z;
  thread_local std::string text_z;
  pattern_z.assign(pattern);
  text_z.assign(text);
  return sqlite3_strglob(pattern_z.c_str(), text_z.c_str()) == 0;
}

}  // namespace cci::store
