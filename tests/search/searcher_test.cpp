// The query interface over a real index of a small repository: query building, paging,
// definitions with suggestions, references (resolved and unresolved), callees, outlines.
#include "search/searcher.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "index/indexer.h"
#include "temp_dir.h"

namespace cci {
namespace {

TEST(BuildFtsQuery, SplitsIdentifiersAndJoinsTerms) {
  using search::build_fts_query;
  using search::MatchMode;
  EXPECT_EQ(build_fts_query({"parseHttp"}, MatchMode::Any), "\"parse http\"*");
  EXPECT_EQ(build_fts_query({"parse_http_request"}, MatchMode::Any), "\"parse http request\"*");
  EXPECT_EQ(build_fts_query({"http", "client"}, MatchMode::Any), "\"http\"* OR \"client\"*");
  EXPECT_EQ(build_fts_query({"http", "client"}, MatchMode::All), "\"http\"* AND \"client\"*");
  EXPECT_EQ(build_fts_query({"http client"}, MatchMode::All), "\"http\"* AND \"client\"*");
  // FTS5 syntax in user input is not interpreted: quotes, operators and parentheses vanish.
  EXPECT_EQ(build_fts_query({"\"a\" OR (b*)"}, MatchMode::Any), "\"a\"* OR \"or\"* OR \"b\"*");
  EXPECT_EQ(build_fts_query({"--", "::"}, MatchMode::Any), "");
}

class SearcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write_all({
        {"net/http.py",
         "def parse_http_request(raw):\n    \"\"\"Parses a request.\"\"\"\n    return split_lines(raw)\n\n\n"
         "def split_lines(raw):\n    return raw.split('\\n')\n\n\n"
         "class HttpClient:\n    def send(self, raw):\n        return parse_http_request(raw)\n\n\n"
         "class HttpsClient(HttpClient):\n    def a(self):\n        pass\n\n    def b(self):\n        pass\n"},
        {"a/helpers.py", "def helper():\n    return 1\n"},
        {"b/helpers.py", "def helper():\n    return 2\n"},
        {"app.py", "def run():\n    return helper()\n"},
    });
    index::IndexOptions options;
    options.data_dir = home_.path();
    auto report = index::index_project(repo_.path(), options);
    ASSERT_TRUE(report.has_value()) << report.error().describe();
    auto db = store::IndexStore::open(report->db_path, store::OpenMode::ReadOnly);
    ASSERT_TRUE(db.has_value());
    store_ = std::move(*db);
    searcher_ = std::make_unique<search::Searcher>(*store_);
  }

  testing::TempDir repo_;
  testing::TempDir home_;
  std::unique_ptr<store::IndexStore> store_;
  std::unique_ptr<search::Searcher> searcher_;
};

TEST_F(SearcherTest, CamelCaseQueryFindsSnakeCaseSymbol) {
  auto results = searcher_->search({{"parseHttp"}, search::MatchMode::Any, {}, 5, 0});
  ASSERT_TRUE(results.has_value());
  ASSERT_FALSE(results->hits.empty());
  EXPECT_EQ(results->hits[0].symbol.qualified_name, "net.http.parse_http_request");
  EXPECT_EQ(results->hits[0].symbol.span.start_line, 1u);
}

TEST_F(SearcherTest, PagesDoNotOverlapAndSayWhenMoreExist) {
  store::SymbolFilter functions;
  functions.kinds = {SymbolKind::Function, SymbolKind::Method};
  auto first = searcher_->search({{"http", "raw", "helper", "run", "send", "split"}, search::MatchMode::Any, functions, 2, 0});
  auto second = searcher_->search({{"http", "raw", "helper", "run", "send", "split"}, search::MatchMode::Any, functions, 2, 2});
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_EQ(first->hits.size(), 2u);
  EXPECT_TRUE(first->more);
  ASSERT_FALSE(second->hits.empty());
  for (const auto& a : first->hits)
    for (const auto& b : second->hits) EXPECT_NE(a.symbol.id, b.symbol.id);
  auto empty = searcher_->search({{"::"}, search::MatchMode::Any, {}, 5, 0});
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::InvalidArgument);
}

TEST_F(SearcherTest, DefinitionByQualifiedNameIdAndSuggestion) {
  auto by_name = searcher_->find_definition("net.http.HttpClient.send", {}, 5);
  ASSERT_TRUE(by_name.has_value());
  ASSERT_EQ(by_name->symbols.size(), 1u);
  EXPECT_EQ(by_name->symbols[0].kind, SymbolKind::Method);
  auto by_id = searcher_->find_definition(std::to_string(by_name->symbols[0].id), {}, 5);
  ASSERT_TRUE(by_id.has_value());
  ASSERT_EQ(by_id->symbols.size(), 1u);
  EXPECT_EQ(by_id->symbols[0].qualified_name, "net.http.HttpClient.send");
  auto typo = searcher_->find_definition("split_line", {}, 5);
  ASSERT_TRUE(typo.has_value());
  EXPECT_TRUE(typo->symbols.empty());
  EXPECT_NE(std::find(typo->suggestions.begin(), typo->suggestions.end(), "split_lines"), typo->suggestions.end());
}

TEST_F(SearcherTest, AmbiguousCallsStayUnresolvedButAreListed) {
  auto refs = searcher_->find_references("helper", {}, 50);
  ASSERT_TRUE(refs.has_value());
  EXPECT_EQ(refs->targets.size(), 2u);   // a/helpers.py and b/helpers.py
  EXPECT_TRUE(refs->resolved.empty());   // never bound to one of them by guess
  ASSERT_EQ(refs->unresolved.size(), 1u);
  ASSERT_TRUE(refs->unresolved[0].from.has_value());
  EXPECT_EQ(refs->unresolved[0].from->qualified_name, "app.run");
  EXPECT_EQ(refs->unresolved[0].edge.resolution, Resolution::Unresolved);
}

TEST_F(SearcherTest, ReferencesAndCalleesWithResolution) {
  auto refs = searcher_->find_references("parse_http_request", {}, 50);
  ASSERT_TRUE(refs.has_value());
  ASSERT_EQ(refs->resolved.size(), 1u);
  EXPECT_EQ(refs->resolved[0].from->qualified_name, "net.http.HttpClient.send");
  EXPECT_EQ(refs->resolved[0].edge.line, 12u);
  EXPECT_EQ(refs->resolved[0].edge.resolution, Resolution::Local);

  auto callees = searcher_->find_callees("parse_http_request", {}, 50);
  ASSERT_TRUE(callees.has_value());
  ASSERT_EQ(callees->edges.size(), 1u);
  ASSERT_TRUE(callees->edges[0].second.has_value());
  EXPECT_EQ(callees->edges[0].second->qualified_name, "net.http.split_lines");
}

TEST_F(SearcherTest, ContainsEdgesNeverCrowdOutReferencesUnderALimit) {
  // HttpsClient contains two methods; with limit 1 its one real outgoing edge must still come back.
  auto callees = searcher_->find_callees("HttpsClient", {}, 1);
  ASSERT_TRUE(callees.has_value());
  ASSERT_EQ(callees->edges.size(), 1u);
  EXPECT_EQ(callees->edges[0].first.kind, EdgeKind::Inherits);
  ASSERT_TRUE(callees->edges[0].second.has_value());
  EXPECT_EQ(callees->edges[0].second->qualified_name, "net.http.HttpClient");
  auto refs = searcher_->find_references("HttpClient", {}, 1);
  ASSERT_TRUE(refs.has_value());
  ASSERT_EQ(refs->resolved.size(), 1u);
  EXPECT_EQ(refs->resolved[0].edge.kind, EdgeKind::Inherits);
}

TEST_F(SearcherTest, OutlineInSourceOrderAndUnknownFile) {
  auto outline = searcher_->outline("net/http.py");
  ASSERT_TRUE(outline.has_value());
  std::vector<std::string> names;
  for (const auto& s : *outline) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"http.py", "parse_http_request", "split_lines", "HttpClient", "send",
                                             "HttpsClient", "a", "b"}));
  auto missing = searcher_->outline("nope.py");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

}  // namespace
}  // namespace cci
