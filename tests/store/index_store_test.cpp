// tests/store/index_store_test.cpp — IndexStore/WriteBatch against real SQLite files in a temp dir.
#include "store/index_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/symbol_id.h"
#include "store/scoring.h"
#include "store_fixtures.h"
#include "temp_dir.h"

namespace cci::store {
namespace {

namespace fs = std::filesystem;
using cci::testing::TempDir;
using fixtures::make_file;
using fixtures::make_symbol;
using fixtures::record_for;

SymbolId id_of(const ParsedFile& p, std::size_t index) { return assign_symbol_ids(p)[index]; }

class IndexStoreTest : public ::testing::Test {
 protected:
  fs::path db_path() const { return dir_.path() / "proj" / "index.db"; }

  std::unique_ptr<IndexStore> open_rw() {
    auto store = IndexStore::open(db_path(), OpenMode::ReadWrite);
    EXPECT_TRUE(store.has_value()) << (store ? "" : store.error().describe());
    return store ? std::move(*store) : nullptr;
  }

  static void put(IndexStore& store, const std::vector<ParsedFile>& files) {
    auto batch = store.begin_write();
    ASSERT_TRUE(batch.has_value()) << batch.error().describe();
    for (const ParsedFile& p : files) {
      const std::string content = "content of " + p.path;
      auto ids = assign_symbol_ids(p);
      auto st = (*batch)->put_file(record_for(p, content), p, ids, content);
      ASSERT_TRUE(st.has_value()) << st.error().describe();
    }
    auto st = (*batch)->commit();
    ASSERT_TRUE(st.has_value()) << st.error().describe();
  }

  static void write_ranks(IndexStore& store, std::vector<graph::SymbolRank> ranks) {
    auto batch = store.begin_write();
    ASSERT_TRUE(batch.has_value());
    ASSERT_TRUE((*batch)->replace_ranks(ranks).has_value());
    ASSERT_TRUE((*batch)->commit().has_value());
  }

  static std::vector<std::string> search_names(IndexStore& store, const std::string& query,
                                               SymbolFilter filter = {}) {
    SymbolSearch req;
    req.fts_query = query;
    req.filter = std::move(filter);
    req.limit = 50;
    auto hits = store.search_symbols(req);
    EXPECT_TRUE(hits.has_value()) << query << ": " << (hits ? "" : hits.error().describe());
    std::vector<std::string> names;
    if (hits)
      for (const SymbolHit& h : *hits) names.push_back(h.symbol.name);
    return names;
  }

  TempDir dir_;
};

ParsedFile http_file() {
  return make_file("src/net/http.py", Language::Python,
                   {make_symbol(SymbolKind::Function, "parseHttpRequest", "net.http.parseHttpRequest", -1, 3,
                                "def parseHttpRequest(raw)", "Parses a raw request."),
                    make_symbol(SymbolKind::Class, "HTTPRequest", "net.http.HTTPRequest", -1, 20,
                                "class HTTPRequest", ""),
                    make_symbol(SymbolKind::Method, "send", "net.http.HTTPRequest.send", 2, 25,
                                "def send(self)", "Sends it.")});
}

TEST_F(IndexStoreTest, ParsedFileRoundTripsExactly) {
  ParsedFile p = make_file("src/ünïcødé/数据.py", Language::Python,
                           {make_symbol(SymbolKind::Class, "Größe", "mod.Größe", -1, 2, "class Größe:", "Dokü 📦"),
                            make_symbol(SymbolKind::Method, "", "", 1, 4, "", ""),
                            make_symbol(SymbolKind::Function, "f", "mod.f", -1, 9, "def f()", "")});
  p.module_name = "mod";
  p.error_nodes = 3;
  p.line_count = 4'000'000'000U;
  p.symbols[2].exported = false;
  p.symbols[2].span = {0, 0, 0xffffffffU, 7};
  for (std::uint32_t i = 0; i < 1000; ++i) {
    Reference r;
    r.kind = static_cast<RefKind>(i % 3);
    r.name = "call_" + std::to_string(i);
    r.qualifier = i % 2 ? "self" : "";
    r.from = static_cast<std::int32_t>(i % 4) - 1;
    r.line = i;
    r.col = i * 7;
    p.references.push_back(r);
  }
  for (int i = 0; i < 50; ++i) {
    Import imp;
    imp.module = i % 2 ? "os.path" : "./ütil";
    imp.alias = i % 3 ? "" : "np";
    imp.names = {{"a", ""}, {"b", "c"}, {"*", ""}};
    imp.system = i % 5 == 0;
    imp.symbol = i % 2 ? -1 : 3;
    imp.line = static_cast<std::uint32_t>(i);
    p.imports.push_back(imp);
  }
  auto store = open_rw();
  ASSERT_TRUE(store);
  std::string content("binary\0content \xff\xfe", 18);
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE((*batch)->put_file(record_for(p, content), p, assign_symbol_ids(p), content).has_value());
  ASSERT_TRUE((*batch)->commit().has_value());

  auto loaded = store->load_parsed(file_id_for(p.path));
  ASSERT_TRUE(loaded.has_value()) << loaded.error().describe();
  EXPECT_TRUE(*loaded == p);

  auto stored = store->file_content(file_id_for(p.path));
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ(**stored, content);

  auto rec = store->file(p.path);
  ASSERT_TRUE(rec.has_value() && rec->has_value());
  const FileRecord expected = record_for(p, content);
  EXPECT_EQ((*rec)->id, expected.id);
  EXPECT_EQ((*rec)->path, p.path);
  EXPECT_EQ((*rec)->language, Language::Python);
  EXPECT_EQ((*rec)->size, content.size());
  EXPECT_EQ((*rec)->mtime_ns, expected.mtime_ns);
  EXPECT_EQ((*rec)->content_hash, expected.content_hash);  // full 64 bits survive the int64 column
  EXPECT_EQ((*rec)->line_count, 4'000'000'000U);
  EXPECT_EQ((*rec)->symbol_count, 4U);
  EXPECT_TRUE((*rec)->partial);

  auto empty = store->load_parsed(12345);
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::NotFound);
}

TEST_F(IndexStoreTest, SymbolRecordsCarryFileDataAndParents) {
  auto store = open_rw();
  ParsedFile p = http_file();
  put(*store, {p});
  auto symbols = store->symbols_in_file(p.path);
  ASSERT_TRUE(symbols.has_value());
  ASSERT_EQ(symbols->size(), 4U);
  EXPECT_EQ((*symbols)[0].kind, SymbolKind::File);
  EXPECT_EQ((*symbols)[0].id, file_id_for(p.path));
  EXPECT_EQ((*symbols)[1].name, "parseHttpRequest");
  EXPECT_EQ((*symbols)[1].parent_id, 0);
  EXPECT_EQ((*symbols)[3].name, "send");
  EXPECT_EQ((*symbols)[3].parent_id, id_of(p, 2));
  const SymbolRecord& s = (*symbols)[1];
  EXPECT_EQ(s.id, id_of(p, 1));
  EXPECT_EQ(s.file_id, file_id_for(p.path));
  EXPECT_EQ(s.path, p.path);
  EXPECT_EQ(s.language, Language::Python);
  EXPECT_EQ(s.qualified_name, "net.http.parseHttpRequest");
  EXPECT_EQ(s.signature, "def parseHttpRequest(raw)");
  EXPECT_EQ(s.doc, "Parses a raw request.");
  EXPECT_EQ(s.span, (Span{3, 1, 5, 10}));
  EXPECT_TRUE(s.exported);
  EXPECT_EQ(s.importance, 0.0);

  auto one = store->symbol(id_of(p, 3));
  ASSERT_TRUE(one.has_value() && one->has_value());
  EXPECT_EQ((*one)->qualified_name, "net.http.HTTPRequest.send");
  auto none = store->symbol(42);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
}

TEST_F(IndexStoreTest, PutFileTwiceReplacesThePreviousVersion) {
  auto store = open_rw();
  ParsedFile v1 = make_file("a.py", Language::Python,
                            {make_symbol(SymbolKind::Function, "alphaOld", "a.alphaOld", -1, 1),
                             make_symbol(SymbolKind::Function, "betaOld", "a.betaOld", -1, 5)});
  put(*store, {v1});
  ParsedFile v2 = make_file("a.py", Language::Python, {make_symbol(SymbolKind::Function, "gammaNew", "a.gammaNew", -1, 1)});
  put(*store, {v2});

  auto symbols = store->symbols_in_file("a.py");
  ASSERT_TRUE(symbols.has_value());
  ASSERT_EQ(symbols->size(), 2U);
  EXPECT_EQ((*symbols)[1].name, "gammaNew");
  EXPECT_TRUE(search_names(*store, "alpha").empty());
  EXPECT_TRUE(search_names(*store, "old").empty());
  EXPECT_EQ(search_names(*store, "gamma"), (std::vector<std::string>{"gammaNew"}));
  auto loaded = store->load_parsed(file_id_for("a.py"));
  ASSERT_TRUE(loaded.has_value());
  EXPECT_TRUE(*loaded == v2);
  auto files = store->files();
  ASSERT_TRUE(files.has_value());
  ASSERT_EQ(files->size(), 1U);
  EXPECT_EQ((*files)[0].symbol_count, 2U);
  EXPECT_TRUE(store->integrity_check().has_value());
}

TEST_F(IndexStoreTest, ReplacingAndRemovingInsideOneBatchKeepsTheFullTextIndexConsistent) {
  auto store = open_rw();
  ParsedFile a = http_file();
  ParsedFile b = make_file("b.py", Language::Python, {make_symbol(SymbolKind::Function, "bravo", "b.bravo", -1, 1)});
  put(*store, {a, b});
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  auto put_one = [&](const ParsedFile& p) {
    return (*batch)->put_file(record_for(p, "x"), p, assign_symbol_ids(p), "x");
  };
  // Same symbols again (ids unchanged), then a new version, then removed and re-added.
  ASSERT_TRUE(put_one(a).has_value());
  ParsedFile a2 = a;
  a2.symbols[1].doc = "Completely new words: zebra.";
  ASSERT_TRUE(put_one(a2).has_value());
  ASSERT_TRUE((*batch)->remove_file(file_id_for(b.path)).has_value());
  ASSERT_TRUE(put_one(b).has_value());
  ASSERT_TRUE((*batch)->remove_file(file_id_for(b.path)).has_value());
  ParsedFile c = make_file("c.py", Language::Python, {make_symbol(SymbolKind::Function, "charlie", "c.charlie", -1, 1)});
  ASSERT_TRUE(put_one(c).has_value());
  // The writing connection sees its own uncommitted symbols in search.
  EXPECT_EQ(search_names(*store, "charlie"), (std::vector<std::string>{"charlie"}));
  EXPECT_EQ(search_names(*store, "zebra"), (std::vector<std::string>{"parseHttpRequest"}));
  ASSERT_TRUE(put_one(b).has_value());
  ASSERT_TRUE((*batch)->commit().has_value());

  EXPECT_TRUE(store->integrity_check().has_value());
  EXPECT_EQ(search_names(*store, "zebra"), (std::vector<std::string>{"parseHttpRequest"}));
  EXPECT_TRUE(search_names(*store, "parses").empty());  // the old doc is gone
  EXPECT_EQ(search_names(*store, "bravo"), (std::vector<std::string>{"bravo"}));
  EXPECT_EQ(search_names(*store, "charlie"), (std::vector<std::string>{"charlie"}));
  EXPECT_EQ(search_names(*store, "parse").size(), 1U);
}

TEST_F(IndexStoreTest, RemoveFileRemovesSymbolsContentAndSearchHits) {
  auto store = open_rw();
  ParsedFile keep = make_file("keep.py", Language::Python, {make_symbol(SymbolKind::Function, "parseKeep", "keep.parseKeep", -1, 1)});
  ParsedFile gone = http_file();
  put(*store, {keep, gone});
  ASSERT_EQ(search_names(*store, "parse").size(), 2U);

  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE((*batch)->remove_file(file_id_for(gone.path)).has_value());
  ASSERT_TRUE((*batch)->commit().has_value());

  EXPECT_EQ(search_names(*store, "parse"), (std::vector<std::string>{"parseKeep"}));
  EXPECT_TRUE(search_names(*store, "http").empty());
  auto sym = store->symbol(id_of(gone, 1));
  ASSERT_TRUE(sym.has_value());
  EXPECT_FALSE(sym->has_value());
  auto file = store->file(gone.path);
  ASSERT_TRUE(file.has_value());
  EXPECT_FALSE(file->has_value());
  auto content = store->file_content(file_id_for(gone.path));
  ASSERT_TRUE(content.has_value());
  EXPECT_FALSE(content->has_value());
  EXPECT_EQ(store->load_parsed(file_id_for(gone.path)).error().code, ErrorCode::NotFound);
  EXPECT_TRUE(store->integrity_check().has_value());
}

TEST_F(IndexStoreTest, AScanConnectionReadsWithoutMappingAndOnlyReadOnly) {
  auto writer = open_rw();
  put(*writer, {http_file()});
  EXPECT_EQ(writer->configure_for_scan().error().code, ErrorCode::InvalidArgument);
  auto reader = IndexStore::open(db_path(), OpenMode::ReadOnly);
  ASSERT_TRUE(reader.has_value());
  ASSERT_TRUE((*reader)->configure_for_scan().has_value());
  std::size_t rows = 0;
  ASSERT_TRUE((*reader)->for_each_search_row([&](const SearchRow&) { return ++rows > 0; }).has_value());
  EXPECT_EQ(rows, http_file().symbols.size());
  EXPECT_EQ(search_names(**reader, "http").size(), search_names(*writer, "http").size());
  // A callback that declines stops the pass.
  EXPECT_EQ((*reader)->for_each_search_row([](const SearchRow&) { return false; }).error().code,
            ErrorCode::Cancelled);
}

TEST_F(IndexStoreTest, FullTextSearchMatchesIdentifierWords) {
  auto store = open_rw();
  put(*store, {http_file(), make_file("other.py", Language::Python,
                                      {make_symbol(SymbolKind::Function, "unrelated", "other.unrelated", -1, 1)})});
  auto has = [&](const std::string& query, const std::string& name) {
    auto names = search_names(*store, query);
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  for (const char* q : {"parse", "http", "request", "pars*", "parse http", "parse AND request",
                        "\"parse http request\"", "parsehttprequest", "name:parsehttprequest", "PARSE"}) {
    EXPECT_TRUE(has(q, "parseHttpRequest")) << q;
  }
  // The words of "HTTPRequest" find both the class and the function.
  EXPECT_TRUE(has("http request", "HTTPRequest"));
  EXPECT_TRUE(has("http request", "parseHttpRequest"));
  EXPECT_FALSE(has("parse", "HTTPRequest"));
  EXPECT_FALSE(has("parse http", "unrelated"));
  // Doc, signature and path columns are searchable too.
  EXPECT_TRUE(has("sends", "send"));
  EXPECT_TRUE(has("doc:raw", "parseHttpRequest"));
  // Paths are indexed on the File symbol only (not repeated on each symbol of the file).
  EXPECT_TRUE(has("path:net", "http.py"));
  EXPECT_FALSE(has("path:net", "send"));
  EXPECT_TRUE(search_names(*store, "   ").empty());
}

TEST_F(IndexStoreTest, SearchFiltersByKindLanguageAndPath) {
  auto store = open_rw();
  put(*store, {make_file("py/a.py", Language::Python,
                         {make_symbol(SymbolKind::Function, "loadConfig", "a.loadConfig", -1, 1),
                          make_symbol(SymbolKind::Class, "ConfigLoader", "a.ConfigLoader", -1, 9)}),
               make_file("go/b.go", Language::Go, {make_symbol(SymbolKind::Function, "LoadConfig", "b.LoadConfig", -1, 1)}),
               make_file("go/sub/c.go", Language::Go,
                         {make_symbol(SymbolKind::Struct, "Config", "c.Config", -1, 1)})});
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(search_names(*store, "config").size(), 4U);
  EXPECT_EQ(sorted(search_names(*store, "config", {.kinds = {SymbolKind::Function}})),
            (std::vector<std::string>{"LoadConfig", "loadConfig"}));
  EXPECT_EQ(sorted(search_names(*store, "config", {.kinds = {SymbolKind::Class, SymbolKind::Struct}})),
            (std::vector<std::string>{"Config", "ConfigLoader"}));
  EXPECT_EQ(sorted(search_names(*store, "config", {.languages = {Language::Go}})),
            (std::vector<std::string>{"Config", "LoadConfig"}));
  EXPECT_EQ(search_names(*store, "config", {.path_glob = "go/sub/*"}), (std::vector<std::string>{"Config"}));
  EXPECT_EQ(search_names(*store, "config",
                         {.kinds = {SymbolKind::Function}, .languages = {Language::Python}, .path_glob = "py/*"}),
            (std::vector<std::string>{"loadConfig"}));
  EXPECT_TRUE(search_names(*store, "config", {.languages = {Language::Rust}}).empty());
}

TEST_F(IndexStoreTest, ImportanceBreaksEqualRelevance) {
  auto store = open_rw();
  ParsedFile a = make_file("x/a.py", Language::Python, {make_symbol(SymbolKind::Function, "handleEvent", "handleEvent", -1, 1)});
  ParsedFile b = make_file("x/b.py", Language::Python, {make_symbol(SymbolKind::Function, "handleEvent", "handleEvent", -1, 1)});
  put(*store, {a, b});
  const SymbolId ida = id_of(a, 1);
  const SymbolId idb = id_of(b, 1);
  SymbolSearch req{.fts_query = "handle event"};  // no exact_key: no bonus

  auto before = store->search_symbols(req);
  ASSERT_TRUE(before.has_value());
  ASSERT_EQ(before->size(), 2U);
  EXPECT_DOUBLE_EQ((*before)[0].relevance, (*before)[1].relevance);
  EXPECT_LT((*before)[0].symbol.id, (*before)[1].symbol.id);  // ties by id

  // Give the later id the higher importance: it must now come first.
  const SymbolId high = std::max(ida, idb);
  const SymbolId low = std::min(ida, idb);
  write_ranks(*store, {{.id = low, .pagerank = 0.1, .importance = 0.1}, {.id = high, .pagerank = 0.9, .importance = 0.9}});
  auto after = store->search_symbols(req);
  ASSERT_TRUE(after.has_value());
  ASSERT_EQ(after->size(), 2U);
  EXPECT_EQ((*after)[0].symbol.id, high);
  EXPECT_DOUBLE_EQ((*after)[0].symbol.importance, 0.9);
  // Both phrases occur in the words column (weight 1); "handleEvent" is one token in the name.
  EXPECT_EQ((*after)[0].relevance, 2.0);
  EXPECT_EQ((*after)[0].score, 2.0 * static_score(0.9, "handleEvent"));
  EXPECT_EQ((*after)[1].score, 2.0 * static_score(0.1, "handleEvent"));
}

TEST_F(IndexStoreTest, ExactNameMatchGetsABonus) {
  auto store = open_rw();
  ParsedFile p = make_file("p.py", Language::Python,
                           {make_symbol(SymbolKind::Function, "parse", "p.parse", -1, 1),
                            make_symbol(SymbolKind::Function, "parseArgs", "p.parseArgs", -1, 5, "", "parse parse parse")});
  put(*store, {p});
  write_ranks(*store, {{.id = id_of(p, 1), .importance = 0.0}, {.id = id_of(p, 2), .importance = 1.0}});

  auto with = store->search_symbols({.fts_query = "parse", .exact_key = "parse"});
  auto without = store->search_symbols({.fts_query = "parse"});
  ASSERT_TRUE(with.has_value() && without.has_value());
  ASSERT_EQ(with->size(), 2U);
  ASSERT_EQ(without->size(), 2U);
  // The more important, longer name wins on text x static alone; the bonus puts "parse" first.
  EXPECT_EQ((*without)[0].symbol.name, "parseArgs");
  EXPECT_EQ((*with)[0].symbol.name, "parse");
  auto score_of = [](const std::vector<SymbolHit>& hits, const std::string& name) {
    for (const SymbolHit& h : hits)
      if (h.symbol.name == name) return h.score;
    return -1.0;
  };
  EXPECT_EQ(score_of(*with, "parse"), score_of(*without, "parse") + kExactNameBonus);
  EXPECT_EQ(score_of(*with, "parseArgs"), score_of(*without, "parseArgs"));
  // The key ignores case and separators: "parse_args" names parseArgs exactly.
  auto snake = store->search_symbols({.fts_query = "parse args", .exact_key = symbol_name_key("parse_args")});
  ASSERT_TRUE(snake.has_value());
  ASSERT_FALSE(snake->empty());
  EXPECT_EQ((*snake)[0].symbol.name, "parseArgs");
  EXPECT_GT((*snake)[0].score, 1.0);
}

TEST_F(IndexStoreTest, SearchPagesWithLimitAndOffset) {
  auto store = open_rw();
  std::vector<Symbol> symbols;
  for (int i = 0; i < 30; ++i)
    symbols.push_back(make_symbol(SymbolKind::Function, "widget" + std::to_string(i), "m.widget" + std::to_string(i), -1,
                                  static_cast<std::uint32_t>(i + 1)));
  put(*store, {make_file("m.py", Language::Python, symbols)});
  auto all = store->search_symbols({.fts_query = "widget*", .limit = 0});
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 30U);
  auto page = store->search_symbols({.fts_query = "widget*", .limit = 10, .offset = 10});
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 10U);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ((*page)[i].symbol.id, (*all)[i + 10].symbol.id);
}

TEST_F(IndexStoreTest, InvalidFtsExpressionIsInvalidArgument) {
  auto store = open_rw();
  put(*store, {http_file()});
  for (const char* q : {"AND (", "parse\"", "nosuchcolumn:foo", "(((", "NEAR(a b"}) {
    auto hits = store->search_symbols({.fts_query = q});
    ASSERT_FALSE(hits.has_value()) << q;
    EXPECT_EQ(hits.error().code, ErrorCode::InvalidArgument) << q << ": " << hits.error().describe();
  }
  // The connection is still usable afterwards.
  EXPECT_EQ(search_names(*store, "parse").size(), 1U);
}

TEST_F(IndexStoreTest, SymbolsNamedAndSimilarNames) {
  auto store = open_rw();
  ParsedFile a = make_file("a.py", Language::Python,
                           {make_symbol(SymbolKind::Class, "Parser", "a.Parser", -1, 1),
                            make_symbol(SymbolKind::Method, "parse", "a.Parser.parse", 1, 3),
                            make_symbol(SymbolKind::Function, "parse_args", "a.parse_args", -1, 9),
                            make_symbol(SymbolKind::Import, "parse", "parse", -1, 1)});
  ParsedFile b = make_file("b.py", Language::Python,
                           {make_symbol(SymbolKind::Function, "parse", "b.parse", -1, 1),
                            make_symbol(SymbolKind::Function, "argsParser", "b.argsParser", -1, 5)});
  put(*store, {a, b});
  write_ranks(*store, {{.id = id_of(b, 1), .importance = 0.9}, {.id = id_of(a, 2), .importance = 0.2}});

  auto named = store->symbols_named("parse", {}, 0);
  ASSERT_TRUE(named.has_value());
  ASSERT_EQ(named->size(), 3U);  // two definitions and the import symbol
  EXPECT_EQ((*named)[0].id, id_of(b, 1));  // most important first
  EXPECT_EQ((*named)[1].id, id_of(a, 2));
  auto only_methods = store->symbols_named("parse", {.kinds = {SymbolKind::Method}}, 10);
  ASSERT_TRUE(only_methods.has_value());
  ASSERT_EQ(only_methods->size(), 1U);
  auto qualified = store->symbols_named("a.Parser.parse", {}, 10);
  ASSERT_TRUE(qualified.has_value());
  ASSERT_EQ(qualified->size(), 1U);
  EXPECT_EQ((*qualified)[0].name, "parse");
  auto case_sensitive = store->symbols_named("PARSE", {}, 10);
  ASSERT_TRUE(case_sensitive.has_value());
  EXPECT_TRUE(case_sensitive->empty());
  auto limited = store->symbols_named("parse", {}, 1);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->size(), 1U);

  auto similar = store->similar_names("parser", 10);
  ASSERT_TRUE(similar.has_value());
  // Case-insensitive prefix matches first, then shared words; distinct names; no exact match.
  ASSERT_FALSE(similar->empty());
  EXPECT_EQ((*similar)[0], "Parser");
  EXPECT_NE(std::find(similar->begin(), similar->end(), "argsParser"), similar->end());
  std::vector<std::string> unique = *similar;
  std::sort(unique.begin(), unique.end());
  EXPECT_EQ(std::unique(unique.begin(), unique.end()), unique.end());

  auto typo = store->similar_names("parse_argz", 5);
  ASSERT_TRUE(typo.has_value());
  ASSERT_FALSE(typo->empty());
  EXPECT_NE(std::find(typo->begin(), typo->end(), "parse_args"), typo->end());
}

TEST_F(IndexStoreTest, ImportantSymbolsOrderAndExcludeFilesAndImports) {
  auto store = open_rw();
  ParsedFile p = make_file("m.py", Language::Python,
                           {make_symbol(SymbolKind::Import, "os", "os", -1, 1),
                            make_symbol(SymbolKind::Function, "low", "m.low", -1, 3),
                            make_symbol(SymbolKind::Function, "high", "m.high", -1, 6),
                            make_symbol(SymbolKind::Class, "mid", "m.mid", -1, 9),
                            make_symbol(SymbolKind::Function, "unranked", "m.unranked", -1, 12)});
  put(*store, {p});
  write_ranks(*store, {{.id = id_of(p, 0), .pagerank = 0.9, .importance = 1.0},
                       {.id = id_of(p, 1), .importance = 1.0},
                       {.id = id_of(p, 2), .pagerank = 0.1, .importance = 0.2},
                       {.id = id_of(p, 3), .pagerank = 0.5, .importance = 0.8},
                       {.id = id_of(p, 4), .pagerank = 0.3, .importance = 0.5}});
  auto names = [](const Result<std::vector<SymbolRecord>>& r) {
    std::vector<std::string> out;
    if (r)
      for (const SymbolRecord& s : *r) out.push_back(s.name);
    return out;
  };
  EXPECT_EQ(names(store->important_symbols({}, 0)), (std::vector<std::string>{"high", "mid", "low", "unranked"}));
  EXPECT_EQ(names(store->important_symbols({}, 2)), (std::vector<std::string>{"high", "mid"}));
  EXPECT_EQ(names(store->important_symbols({.kinds = {SymbolKind::Class}}, 10)), (std::vector<std::string>{"mid"}));
  EXPECT_EQ(names(store->important_symbols({.kinds = {SymbolKind::Import, SymbolKind::File}}, 10)),
            (std::vector<std::string>{"m.py", "os"}));
}

TEST_F(IndexStoreTest, EdgesAreQueryableInBothDirections) {
  auto store = open_rw();
  ParsedFile a = make_file("a.py", Language::Python,
                           {make_symbol(SymbolKind::Function, "caller", "a.caller", -1, 1),
                            make_symbol(SymbolKind::Function, "helper", "a.helper", -1, 10)});
  ParsedFile b = make_file("b.py", Language::Python, {make_symbol(SymbolKind::Function, "other", "b.other", -1, 1)});
  put(*store, {a, b});
  const SymbolId caller = id_of(a, 1), helper = id_of(a, 2), other = id_of(b, 1), file_a = id_of(a, 0);
  std::vector<graph::Edge> edges = {
      {file_a, caller, EdgeKind::Contains, Resolution::Structural, "", 0, 0},
      {caller, helper, EdgeKind::Calls, Resolution::Local, "helper", 3, 5},
      {caller, 0, EdgeKind::Calls, Resolution::Unresolved, "os.path.join", 4, 2},
      {other, helper, EdgeKind::Calls, Resolution::Import, "a.helper", 2, 1},
      {other, 0, EdgeKind::Calls, Resolution::Unresolved, "ns::join", 3, 1},
      {other, 0, EdgeKind::Calls, Resolution::Unresolved, "obj->join", 4, 1},
      {other, 0, EdgeKind::Inherits, Resolution::Unresolved, "Base", 1, 1},
  };
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE((*batch)->replace_edges(edges).has_value());
  ASSERT_TRUE((*batch)->commit().has_value());

  auto to_helper = store->edges_to(helper, std::nullopt, 0);
  ASSERT_TRUE(to_helper.has_value());
  ASSERT_EQ(to_helper->size(), 2U);
  EXPECT_EQ((*to_helper)[0].source, caller);  // a.py before b.py
  EXPECT_EQ((*to_helper)[0].resolution, Resolution::Local);
  EXPECT_EQ((*to_helper)[0].target_name, "helper");
  EXPECT_EQ((*to_helper)[0].line, 3U);
  EXPECT_EQ((*to_helper)[0].col, 5U);
  EXPECT_EQ((*to_helper)[1].source, other);

  auto from_caller = store->edges_from(caller, std::nullopt, 0);
  ASSERT_TRUE(from_caller.has_value());
  ASSERT_EQ(from_caller->size(), 2U);
  EXPECT_EQ((*from_caller)[0].target, helper);
  EXPECT_EQ((*from_caller)[1].target, 0);
  EXPECT_EQ((*from_caller)[1].target_name, "os.path.join");

  auto contains = store->edges_from(file_a, EdgeKind::Contains, 10);
  ASSERT_TRUE(contains.has_value());
  ASSERT_EQ(contains->size(), 1U);
  auto inherits = store->edges_from(other, EdgeKind::Inherits, 10);
  ASSERT_TRUE(inherits.has_value());
  ASSERT_EQ(inherits->size(), 1U);
  EXPECT_EQ((*inherits)[0].target_name, "Base");
  auto limited = store->edges_from(other, std::nullopt, 2);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->size(), 2U);

  auto joins = store->unresolved_named("join", 0);
  ASSERT_TRUE(joins.has_value());
  ASSERT_EQ(joins->size(), 3U);
  EXPECT_EQ((*joins)[0].target_name, "os.path.join");  // a.py first
  EXPECT_EQ((*joins)[1].target_name, "ns::join");
  EXPECT_EQ((*joins)[2].target_name, "obj->join");
  auto helper_unresolved = store->unresolved_named("helper", 0);
  ASSERT_TRUE(helper_unresolved.has_value());
  EXPECT_TRUE(helper_unresolved->empty());  // resolved edges are not "unresolved"

  // replace_edges replaces everything.
  auto again = store->begin_write();
  ASSERT_TRUE(again.has_value());
  std::vector<graph::Edge> fewer = {{other, caller, EdgeKind::Calls, Resolution::UniqueName, "caller", 9, 9}};
  ASSERT_TRUE((*again)->replace_edges(fewer).has_value());
  ASSERT_TRUE((*again)->commit().has_value());
  EXPECT_TRUE(store->edges_to(helper, std::nullopt, 0)->empty());
  EXPECT_TRUE(store->unresolved_named("join", 0)->empty());
  ASSERT_EQ(store->edges_to(caller, EdgeKind::Calls, 0)->size(), 1U);
  EXPECT_TRUE(store->edges_to(caller, EdgeKind::Inherits, 0)->empty());
}

TEST_F(IndexStoreTest, ReplaceRanksReplacesAndKeepsTags) {
  auto store = open_rw();
  ParsedFile p = http_file();
  put(*store, {p});
  const SymbolId id = id_of(p, 1);
  write_ranks(*store, {{.id = id, .pagerank = 0.25, .in_degree = 7, .out_degree = 3, .importance = 0.75,
                        .tags = {"entry-point", "public-api"}}});
  auto s = store->symbol(id);
  ASSERT_TRUE(s.has_value() && s->has_value());
  EXPECT_DOUBLE_EQ((*s)->pagerank, 0.25);
  EXPECT_DOUBLE_EQ((*s)->importance, 0.75);
  EXPECT_EQ((*s)->in_degree, 7U);
  EXPECT_EQ((*s)->out_degree, 3U);
  EXPECT_EQ((*s)->tags, (std::vector<std::string>{"entry-point", "public-api"}));

  write_ranks(*store, {{.id = id_of(p, 2), .importance = 0.5}});
  s = store->symbol(id);
  ASSERT_TRUE(s.has_value() && s->has_value());
  EXPECT_EQ((*s)->importance, 0.0);
  EXPECT_TRUE((*s)->tags.empty());
  EXPECT_DOUBLE_EQ((*store->symbol(id_of(p, 2)))->importance, 0.5);
}

TEST_F(IndexStoreTest, StatsCountEverything) {
  auto store = open_rw();
  ParsedFile a = http_file();
  a.error_nodes = 2;
  ParsedFile b = make_file("b.go", Language::Go, {make_symbol(SymbolKind::Function, "Run", "b.Run", -1, 1)});
  put(*store, {a, b});
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  std::vector<graph::Edge> edges = {
      {id_of(a, 0), id_of(a, 1), EdgeKind::Contains, Resolution::Structural, "", 0, 0},
      {id_of(a, 1), id_of(b, 1), EdgeKind::Calls, Resolution::Import, "b.Run", 1, 1},
      {id_of(a, 1), 0, EdgeKind::Calls, Resolution::Unresolved, "x", 2, 1},
  };
  ASSERT_TRUE((*batch)->replace_edges(edges).has_value());
  std::vector<SkippedRecord> skipped = {{"big.bin", "binary", ""}, {"huge.js", "too-large", "3 MiB"},
                                        {"x.bin", "binary", ""}};
  ASSERT_TRUE((*batch)->replace_skipped(skipped).has_value());
  ASSERT_TRUE((*batch)->commit().has_value());

  auto stats = store->stats();
  ASSERT_TRUE(stats.has_value()) << stats.error().describe();
  EXPECT_EQ(stats->files, 2U);
  EXPECT_EQ(stats->partial_files, 1U);
  EXPECT_EQ(stats->symbols, 6U);
  EXPECT_EQ(stats->edges, 3U);
  EXPECT_EQ(stats->unresolved_edges, 1U);
  using Counts = std::vector<std::pair<std::string, std::size_t>>;
  EXPECT_EQ(stats->files_by_language, (Counts{{"python", 1}, {"go", 1}}));
  EXPECT_EQ(stats->symbols_by_kind, (Counts{{"file", 2}, {"function", 2}, {"class", 1}, {"method", 1}}));
  EXPECT_EQ(stats->edges_by_kind, (Counts{{"calls", 2}, {"contains", 1}}));
  EXPECT_EQ(stats->edges_by_resolution, (Counts{{"structural", 1}, {"import", 1}, {"unresolved", 1}}));
  EXPECT_EQ(stats->skipped_by_reason, (Counts{{"binary", 2}, {"too-large", 1}}));
  EXPECT_GT(stats->database_bytes, 0U);

  auto listed = store->skipped();
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 3U);
  EXPECT_EQ((*listed)[1].path, "huge.js");
  EXPECT_EQ((*listed)[1].detail, "3 MiB");
}

TEST_F(IndexStoreTest, MetaValues) {
  auto store = open_rw();
  auto schema = store->meta("schema_version");
  ASSERT_TRUE(schema.has_value() && schema->has_value());
  EXPECT_EQ(**schema, std::to_string(kSchemaVersion));
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE((*batch)->set_meta("root", "/tmp/x").has_value());
  ASSERT_TRUE((*batch)->set_meta("root", "/tmp/y").has_value());
  ASSERT_TRUE((*batch)->commit().has_value());
  EXPECT_EQ(**store->meta("root"), "/tmp/y");
  EXPECT_FALSE(store->meta("missing")->has_value());
}

TEST_F(IndexStoreTest, DestroyedBatchRollsBack) {
  auto store = open_rw();
  put(*store, {http_file()});
  {
    auto batch = store->begin_write();
    ASSERT_TRUE(batch.has_value());
    ASSERT_TRUE((*batch)->remove_file(file_id_for("src/net/http.py")).has_value());
    ParsedFile extra = make_file("new.py", Language::Python, {make_symbol(SymbolKind::Function, "fresh", "fresh", -1, 1)});
    ASSERT_TRUE((*batch)->put_file(record_for(extra, ""), extra, assign_symbol_ids(extra), "").has_value());
    ASSERT_TRUE((*batch)->set_meta("k", "v").has_value());
    // A second batch on the same store is refused while this one is open.
    auto second = store->begin_write();
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, ErrorCode::InvalidArgument);
  }
  EXPECT_EQ(search_names(*store, "parse").size(), 1U);
  EXPECT_TRUE(search_names(*store, "fresh").empty());
  EXPECT_FALSE(store->meta("k")->has_value());
  EXPECT_EQ(store->files()->size(), 1U);
  EXPECT_TRUE(store->integrity_check().has_value());
  // And a new batch can start.
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE((*batch)->commit().has_value());
  EXPECT_FALSE((*batch)->commit().has_value());
}

TEST_F(IndexStoreTest, RejectedArgumentsDoNotAbortTheBatch) {
  auto store = open_rw();
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ParsedFile b = make_file("b.py", Language::Python, {make_symbol(SymbolKind::Function, "clash", "clash", -1, 1)});
  auto mismatch = (*batch)->put_file(record_for(b, "x"), b, std::vector<SymbolId>{1, 2, 3}, "x");
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().code, ErrorCode::InvalidArgument);
  auto duplicate = (*batch)->put_file(record_for(b, "x"), b, std::vector<SymbolId>{7, 7}, "x");
  ASSERT_FALSE(duplicate.has_value());
  EXPECT_EQ(duplicate.error().code, ErrorCode::InvalidArgument);
  ParsedFile c = make_file("c.py", Language::Python, {make_symbol(SymbolKind::Function, "fine", "fine", -1, 1)});
  ASSERT_TRUE((*batch)->put_file(record_for(c, ""), c, assign_symbol_ids(c), "").has_value());
  ASSERT_TRUE((*batch)->commit().has_value());
  EXPECT_FALSE(store->file("b.py")->has_value());
  EXPECT_TRUE(store->file("c.py")->has_value());
}

TEST_F(IndexStoreTest, DatabaseFailureAbortsTheWholeBatch) {
  auto store = open_rw();
  ParsedFile a = http_file();
  put(*store, {a});
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  ParsedFile c = make_file("c.py", Language::Python, {make_symbol(SymbolKind::Function, "fine", "fine", -1, 1)});
  ASSERT_TRUE((*batch)->put_file(record_for(c, ""), c, assign_symbol_ids(c), "").has_value());
  // Reusing one of a's symbol ids in another file collides with the stored symbol.
  ParsedFile b = make_file("b.py", Language::Python, {make_symbol(SymbolKind::Function, "clash", "clash", -1, 1)});
  std::vector<SymbolId> ids = {file_id_for("b.py"), id_of(a, 1)};
  auto failed = (*batch)->put_file(record_for(b, "x"), b, ids, "x");
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::InvalidArgument);
  EXPECT_NE(failed.error().message.find("already in use"), std::string::npos) << failed.error().message;
  EXPECT_FALSE((*batch)->set_meta("k", "v").has_value());
  EXPECT_FALSE((*batch)->commit().has_value());
  batch->reset();
  EXPECT_FALSE(store->file("b.py")->has_value());
  EXPECT_FALSE(store->file("c.py")->has_value());
  EXPECT_EQ(search_names(*store, "parse").size(), 1U);
  EXPECT_TRUE(store->integrity_check().has_value());
}

TEST_F(IndexStoreTest, ReadOnlyReopenSeesCommittedData) {
  {
    auto store = open_rw();
    put(*store, {http_file()});
  }
  auto ro = IndexStore::open(db_path(), OpenMode::ReadOnly);
  ASSERT_TRUE(ro.has_value()) << ro.error().describe();
  EXPECT_EQ(search_names(**ro, "http").size(), 4U);  // path column: every symbol of http.py
  EXPECT_TRUE((*ro)->integrity_check().has_value());
  auto batch = (*ro)->begin_write();
  ASSERT_FALSE(batch.has_value());
  EXPECT_EQ(batch.error().code, ErrorCode::InvalidArgument);
}

TEST_F(IndexStoreTest, ReadOnlyOnMissingFileIsNotIndexed) {
  auto ro = IndexStore::open(dir_.path() / "nope" / "index.db", OpenMode::ReadOnly);
  ASSERT_FALSE(ro.has_value());
  EXPECT_EQ(ro.error().code, ErrorCode::NotIndexed);
  EXPECT_FALSE(fs::exists(dir_.path() / "nope"));
}

TEST_F(IndexStoreTest, SchemaFromTheFutureIsUnsupported) {
  { auto store = open_rw(); }  // closing the last connection checkpoints and removes the WAL
  ASSERT_FALSE(fs::exists(db_path().string() + "-wal"));
  {
    // user_version is the big-endian 32-bit integer at byte offset 60 of the database header.
    std::fstream f(db_path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);
    const char version[4] = {0, 0, 0, 99};
    f.write(version, 4);
  }
  for (OpenMode mode : {OpenMode::ReadOnly, OpenMode::ReadWrite}) {
    auto store = IndexStore::open(db_path(), mode);
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, ErrorCode::Unsupported);
    EXPECT_NE(store.error().message.find("99"), std::string::npos) << store.error().message;
  }
}

TEST_F(IndexStoreTest, GarbageFileIsCorrupt) {
  const fs::path garbage = dir_.write("garbage.db", std::string(8192, 'x'));
  for (OpenMode mode : {OpenMode::ReadOnly, OpenMode::ReadWrite}) {
    auto store = IndexStore::open(garbage, mode);
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, ErrorCode::Corrupt) << store.error().describe();
    EXPECT_NE(store.error().message.find("garbage.db"), std::string::npos);
  }
}

TEST_F(IndexStoreTest, EmptyFileOpenedReadOnlyIsNotIndexed) {
  const fs::path empty = dir_.write("empty.db", "");
  auto store = IndexStore::open(empty, OpenMode::ReadOnly);
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, ErrorCode::NotIndexed);
}

TEST_F(IndexStoreTest, ReadersSeeTheLastCommitWhileABatchIsOpen) {
  auto writer = open_rw();
  put(*writer, {http_file()});
  auto reader = IndexStore::open(db_path(), OpenMode::ReadOnly);
  ASSERT_TRUE(reader.has_value());

  auto batch = writer->begin_write();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE((*batch)->remove_file(file_id_for("src/net/http.py")).has_value());
  ParsedFile extra = make_file("new.py", Language::Python, {make_symbol(SymbolKind::Function, "fresh", "fresh", -1, 1)});
  ASSERT_TRUE((*batch)->put_file(record_for(extra, ""), extra, assign_symbol_ids(extra), "").has_value());

  // Uncommitted: the other connection still sees the old state, and is not blocked.
  EXPECT_EQ(search_names(**reader, "http").size(), 4U);
  EXPECT_TRUE(search_names(**reader, "fresh").empty());
  EXPECT_EQ((*reader)->files()->size(), 1U);
  // A second writer connection cannot start a batch while this one holds the write lock.
  ASSERT_TRUE((*batch)->commit().has_value());

  EXPECT_TRUE(search_names(**reader, "http").empty());
  EXPECT_EQ(search_names(**reader, "fresh").size(), 1U);
}

// Not a benchmark gate: reports bulk-insert throughput so regressions are visible in the log.
TEST_F(IndexStoreTest, BulkInsertThroughput) {
  constexpr int kFiles = 1000;
  constexpr int kSymbolsPerFile = 40;
  std::vector<ParsedFile> files;
  files.reserve(kFiles);
  for (int f = 0; f < kFiles; ++f) {
    std::vector<Symbol> symbols;
    const std::string module = "pkg" + std::to_string(f % 37) + ".mod" + std::to_string(f);
    for (int s = 0; s < kSymbolsPerFile; ++s) {
      const std::string name = (s % 2 ? "handleRequest" : "parse_value_") + std::to_string(s);
      symbols.push_back(make_symbol(s % 5 ? SymbolKind::Function : SymbolKind::Class, name, module + "." + name, -1,
                                    static_cast<std::uint32_t>(s * 10 + 1), "def " + name + "(self, value)",
                                    "Handles the value and returns the parsed result."));
    }
    files.push_back(make_file("src/dir" + std::to_string(f % 50) + "/file" + std::to_string(f) + ".py",
                              Language::Python, std::move(symbols)));
  }
  const std::string content(4000, 'c');
  auto store = open_rw();
  const auto start = std::chrono::steady_clock::now();
  auto batch = store->begin_write();
  ASSERT_TRUE(batch.has_value());
  for (const ParsedFile& p : files) {
    auto ids = assign_symbol_ids(p);
    ASSERT_TRUE((*batch)->put_file(record_for(p, content), p, ids, content).has_value());
  }
  ASSERT_TRUE((*batch)->commit().has_value());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double symbols = static_cast<double>(kFiles) * (kSymbolsPerFile + 1);
  std::printf("[ perf     ] %d files, %.0f symbols in %.3f s: %.0f files/s, %.0f symbols/s\n", kFiles, symbols,
              seconds, kFiles / seconds, symbols / seconds);
  auto stats = store->stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->symbols, static_cast<std::size_t>(symbols));
  SymbolSearch req{.fts_query = "handle request*", .limit = 5};
  auto hits = store->search_symbols(req);
  ASSERT_TRUE(hits.has_value());
  EXPECT_EQ(hits->size(), 5U);
}

}  // namespace
}  // namespace cci::store
