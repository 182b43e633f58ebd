// store/schema.cpp — the DDL of every schema version (see docs/storage-format.md).
#include "store/schema.h"

#include <array>

namespace cci::store::detail {
namespace {

// Version 1. Enumerations are stored as their integer values (core/model.h); those values are
// part of the on-disk format and must never be renumbered.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE meta(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE files(
  id           INTEGER PRIMARY KEY,   -- FileId (file_id_for(path))
  path         TEXT NOT NULL UNIQUE,  -- project-relative, '/'-separated
  language     INTEGER NOT NULL,
  size         INTEGER NOT NULL,
  mtime_ns     INTEGER NOT NULL,
  content_hash INTEGER NOT NULL,      -- uint64 stored as its int64 bit pattern
  line_count   INTEGER NOT NULL,
  symbol_count INTEGER NOT NULL,
  partial      INTEGER NOT NULL
);

CREATE TABLE file_contents(
  file_id INTEGER PRIMARY KEY,
  content BLOB NOT NULL
);

CREATE TABLE file_extracts(
  file_id INTEGER PRIMARY KEY,
  data    BLOB NOT NULL                -- extract_codec format
);

CREATE TABLE symbols(
  id             INTEGER PRIMARY KEY,  -- stable SymbolId
  file_id        INTEGER NOT NULL,
  ordinal        INTEGER NOT NULL,     -- index in ParsedFile::symbols (source order)
  kind           INTEGER NOT NULL,
  name           TEXT NOT NULL,
  qualified_name TEXT NOT NULL,
  parent_id      INTEGER NOT NULL,     -- 0 = top level of its file
  start_line     INTEGER NOT NULL,
  start_col      INTEGER NOT NULL,
  end_line       INTEGER NOT NULL,
  end_col        INTEGER NOT NULL,
  signature      TEXT NOT NULL,
  doc            TEXT NOT NULL,
  exported       INTEGER NOT NULL,
  words          TEXT NOT NULL         -- FTS words column, kept so FTS rows can be deleted exactly
);
CREATE INDEX symbols_by_name ON symbols(name);
CREATE INDEX symbols_by_qualified_name ON symbols(qualified_name);
CREATE INDEX symbols_by_file ON symbols(file_id, ordinal);

-- The FTS index reads its column values through this view (external content), so symbol
-- text is stored once; rows are removed with the FTS 'delete' command before the symbols go.
CREATE VIEW symbols_fts_source AS
  SELECT s.id AS id, s.words AS words, s.name AS name, s.qualified_name AS qualified_name,
         CASE WHEN s.kind = 0 THEN f.path ELSE '' END AS path, s.signature AS signature, s.doc AS doc
  FROM symbols s JOIN files f ON f.id = s.file_id;

CREATE VIRTUAL TABLE symbols_fts USING fts5(
  words, name, qualified_name, path, signature, doc,
  content = 'symbols_fts_source', content_rowid = 'id',
  tokenize = 'unicode61'
);

CREATE TABLE ranks(
  id         INTEGER PRIMARY KEY,      -- SymbolId
  pagerank   REAL NOT NULL,
  importance REAL NOT NULL,
  in_degree  INTEGER NOT NULL,
  out_degree INTEGER NOT NULL,
  tags       TEXT NOT NULL             -- sorted, ','-separated
);
CREATE INDEX ranks_by_importance ON ranks(importance DESC, pagerank DESC, id);

CREATE TABLE edges(
  source      INTEGER NOT NULL,
  target      INTEGER NOT NULL,        -- 0 = unresolved
  kind        INTEGER NOT NULL,
  resolution  INTEGER NOT NULL,
  target_name TEXT NOT NULL,
  target_leaf TEXT NOT NULL,           -- target_name after the last '.', '::', '/', '->'
  line        INTEGER NOT NULL,
  col         INTEGER NOT NULL
);
CREATE INDEX edges_by_target ON edges(target, kind);
CREATE INDEX edges_by_source ON edges(source, kind);
CREATE INDEX edges_unresolved_leaf ON edges(target_leaf) WHERE target = 0;

CREATE TABLE skipped(
  path   TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL
);
)sql";

constexpr std::array<Migration, 1> kMigrations{{{1, kV1}}};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace cci::store::detail
