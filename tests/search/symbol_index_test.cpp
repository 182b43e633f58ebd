// The in-memory SymbolIndex against the SQL path it stands in for: on real indexes (this
// repository's own sources, and a generated corpus of Python and C with shared vocabulary), every
// query — words and prefixes, multi-word phrases, several terms in mode any and all, exact names,
// kind/language/path filters, pages — returns the same symbols in the same order with the same
// scores from both.
#include "search/symbol_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <map>
#include <set>

#include "index/indexer.h"
#include "search/searcher.h"
#include "temp_dir.h"

namespace cci {
namespace {

namespace fs = std::filesystem;

std::string describe(const search::SearchRequest& r) {
  std::string s = r.mode == search::MatchMode::All ? "all:" : "any:";
  for (const auto& t : r.terms) s += " [" + t + "]";
  if (!r.filter.kinds.empty()) s += " kinds=" + std::to_string(r.filter.kinds.size());
  if (!r.filter.languages.empty()) s += " langs=" + std::to_string(r.filter.languages.size());
  if (!r.filter.path_glob.empty()) s += " glob=" + r.filter.path_glob;
  return s + " limit=" + std::to_string(r.limit) + " offset=" + std::to_string(r.offset);
}

// Both engines answer `request`; the answers must be identical.
void expect_same(store::IndexStore& db, const search::SymbolIndex& memory, const search::SearchRequest& request) {
  search::Searcher sql(db);
  search::Searcher fast(db, &memory);
  auto a = sql.search(request);
  auto b = fast.search(request);
  ASSERT_EQ(a.has_value(), b.has_value()) << describe(request);
  if (!a) return;
  EXPECT_FALSE(a->from_memory);
  EXPECT_TRUE(b->from_memory);
  ASSERT_EQ(a->hits.size(), b->hits.size()) << describe(request);
  EXPECT_EQ(a->more, b->more) << describe(request);
  for (std::size_t i = 0; i < a->hits.size(); ++i) {
    const auto& x = a->hits[i];
    const auto& y = b->hits[i];
    ASSERT_EQ(x.symbol.id, y.symbol.id) << describe(request) << " at " << i << ": " << x.symbol.qualified_name
                                        << " (" << x.score << ") vs " << y.symbol.qualified_name << " (" << y.score
                                        << ")";
    EXPECT_EQ(x.score, y.score) << describe(request) << " at " << i;
    EXPECT_EQ(x.relevance, y.relevance) << describe(request) << " at " << i;
    EXPECT_EQ(x.symbol.span.start_line, y.symbol.span.start_line);
  }
}

class SymbolIndexTest : public ::testing::Test {
 protected:
  void index(const fs::path& root) {
    index::IndexOptions options;
    options.data_dir = home_.path();
    auto report = index::index_project(root, options);
    ASSERT_TRUE(report.has_value()) << report.error().describe();
    auto db = store::IndexStore::open(report->db_path, store::OpenMode::ReadOnly);
    ASSERT_TRUE(db.has_value()) << db.error().describe();
    db_ = std::move(*db);
    auto built = search::SymbolIndex::build(*db_);
    ASSERT_TRUE(built.has_value()) << built.error().describe();
    memory_ = std::move(*built);
  }

  // Words of the indexed names, to draw queries from.
  std::vector<std::string> vocabulary(std::size_t limit) {
    std::set<std::string> words;
    auto all = db_->search_symbols({"\"a\"* OR \"b\"* OR \"c\"* OR \"d\"* OR \"e\"* OR \"f\"* OR \"g\"* OR \"h\"* OR "
                                    "\"i\"* OR \"l\"* OR \"m\"* OR \"n\"* OR \"o\"* OR \"p\"* OR \"r\"* OR \"s\"* OR "
                                    "\"t\"* OR \"u\"* OR \"w\"*",
                                    {}, 0, 0, ""});
    EXPECT_TRUE(all.has_value());
    if (!all) return {};
    for (const auto& h : *all)
      for (auto& w : store::identifier_words(h.symbol.name))
        if (words.size() < limit) words.insert(w);
    return {words.begin(), words.end()};
  }

  void compare_random_queries(std::uint32_t seed, std::size_t count) {
    const auto words = vocabulary(4000);
    ASSERT_GT(words.size(), 20u);
    std::mt19937 rng(seed);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    const std::vector<SymbolKind> kinds = {SymbolKind::Function, SymbolKind::Method, SymbolKind::Class,
                                           SymbolKind::Variable, SymbolKind::File};
    for (std::size_t q = 0; q < count; ++q) {
      search::SearchRequest request;
      const std::size_t terms = 1 + pick(3);
      for (std::size_t t = 0; t < terms; ++t) {
        std::string term = words[pick(words.size())];
        switch (pick(5)) {
          case 0: term = term.substr(0, std::max<std::size_t>(1, term.size() / 2)); break;  // a prefix
          case 1: term += "_" + words[pick(words.size())]; break;                             // a two-word phrase
          case 2: term[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(term[0]))); break;
          default: break;
        }
        request.terms.push_back(term);
      }
      request.mode = pick(3) == 0 ? search::MatchMode::All : search::MatchMode::Any;
      if (pick(6) == 0) request.filter.kinds = {kinds[pick(kinds.size())], kinds[pick(kinds.size())]};
      if (pick(8) == 0) request.filter.languages = {pick(2) ? Language::Python : Language::C};
      if (pick(8) == 0) request.filter.path_glob = pick(2) ? "*.py" : "pkg*/*";
      request.limit = std::vector<std::size_t>{1, 5, 10, 40}[pick(4)];
      request.offset = pick(4) == 0 ? pick(12) : 0;
      expect_same(*db_, *memory_, request);
      if (HasFatalFailure()) return;
    }
  }

  testing::TempDir home_;
  std::unique_ptr<store::IndexStore> db_;
  std::shared_ptr<const search::SymbolIndex> memory_;
};

TEST_F(SymbolIndexTest, AnswersLikeSqlOnThisRepositorysSources) {
  index(CCI_REPO_SRC);
  EXPECT_GT(memory_->stats().symbols, 1000u);
  EXPECT_GT(memory_->stats().postings, memory_->stats().symbols);
  EXPECT_FALSE(memory_->generation().empty());
  for (const char* term : {"search", "parse", "Searcher", "IndexStore", "symbol_index", "read_snapshot", "json",
                           "s", "x", "make_error", "for each", "std", "Result"}) {
    for (std::size_t limit : {1, 10, 50}) expect_same(*db_, *memory_, {{term}, search::MatchMode::Any, {}, limit, 0});
  }
  expect_same(*db_, *memory_, {{"index", "store"}, search::MatchMode::All, {}, 20, 0});
  expect_same(*db_, *memory_, {{"index", "store"}, search::MatchMode::Any, {}, 20, 7});
  compare_random_queries(1234, 400);
}

// Python and C files sharing one vocabulary, with docs and signatures, so a word occurs in names,
// qualified names, paths, signatures and docs of different symbols.
TEST_F(SymbolIndexTest, AnswersLikeSqlOnAGeneratedCorpus) {
  testing::TempDir repo;
  const std::vector<std::string> vocab = {"read", "write", "lock", "unlock", "buffer", "parse", "http", "request",
                                          "alloc", "free", "page", "cache", "init", "exit", "queue", "node",
                                          "list", "map", "hash", "table", "reader", "readahead", "locked"};
  std::mt19937 rng(42);
  auto word = [&] { return vocab[rng() % vocab.size()]; };
  std::map<std::string, std::string> files;
  for (int f = 0; f < 60; ++f) {
    std::string py, c;
    for (int i = 0; i < 12; ++i) {
      const std::string a = word(), b = word(), d = word();
      py += "def " + a + "_" + b + "_" + std::to_string(i) + "(" + d + ", " + word() + "):\n    \"\"\"" + word() + " the " +
            d + " " + word() + ".\"\"\"\n    return " + word() + "_" + word() + "_1(" + d + ")\n\n\n";
      py += "class " + std::string(1, static_cast<char>(std::toupper(a[0]))) + a.substr(1) + b + std::to_string(i) +
            ":\n    def " + d + "(self):\n        return " + a + "_" + b + "_" + std::to_string(i) + "(self)\n\n\n";
      c += "/* " + word() + " " + word() + " */\nstatic int " + a + "_" + d + "_" + std::to_string(i) + "(struct " + b +
           " *" + word() + ", int " + d + ")\n{\n\treturn " + a + "_" + b + "_" + std::to_string(i) + "(" + d + ");\n}\n\n";
    }
    files.emplace("pkg" + std::to_string(f % 4) + "/" + word() + "_" + std::to_string(f) + ".py", py);
    files.emplace("src/" + word() + std::to_string(f) + ".c", c);
  }
  repo.write_all(files);
  index(repo.path());
  for (const auto& w : vocab) {
    expect_same(*db_, *memory_, {{w}, search::MatchMode::Any, {}, 10, 0});
    expect_same(*db_, *memory_, {{w.substr(0, 2)}, search::MatchMode::Any, {}, 25, 0});
    expect_same(*db_, *memory_, {{w + "_" + vocab[0]}, search::MatchMode::Any, {}, 10, 0});
    expect_same(*db_, *memory_, {{w, "lock"}, search::MatchMode::All, {}, 10, 0});
  }
  compare_random_queries(7, 600);
}

TEST_F(SymbolIndexTest, UnknownWordsAndEmptyPhrasesFindNothing) {
  testing::TempDir repo;
  repo.write_all({{"a.py", "def alpha():\n    pass\n"}});
  index(repo.path());
  search::Searcher fast(*db_, memory_.get());
  auto none = fast.search({{"zzzz"}, search::MatchMode::Any, {}, 10, 0});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->hits.empty());
  auto half = fast.search({{"alpha", "zzzz"}, search::MatchMode::All, {}, 10, 0});
  ASSERT_TRUE(half.has_value());
  EXPECT_TRUE(half->hits.empty());
  auto either = fast.search({{"alpha", "zzzz"}, search::MatchMode::Any, {}, 10, 0});
  ASSERT_TRUE(either.has_value());
  ASSERT_EQ(either->hits.size(), 1u);
  EXPECT_EQ(either->hits[0].symbol.name, "alpha");
}

// A phrase of several words found only in a signature, beside another phrase found in the name:
// the symbol belongs to the first pass (a phrase in its name) and must still be scored with the
// signature's phrase.
TEST_F(SymbolIndexTest, PhraseInTheSignatureBesideAPhraseInTheName) {
  testing::TempDir repo;
  repo.write_all({{"a.py",
                   "def alpha(parse_http=None, other=1):\n    pass\n\n\n"
                   "def alpha_parse(x, http=2):\n    pass\n\n\n"
                   "def beta(parse_http=None):\n    pass\n"}});
  index(repo.path());
  for (auto mode : {search::MatchMode::All, search::MatchMode::Any}) {
    expect_same(*db_, *memory_, {{"alpha", "parse_http"}, mode, {}, 10, 0});
    expect_same(*db_, *memory_, {{"parse_http"}, mode, {}, 10, 0});
  }
  search::Searcher fast(*db_, memory_.get());
  auto both = fast.search({{"alpha", "parse_http"}, search::MatchMode::All, {}, 10, 0});
  ASSERT_TRUE(both.has_value());
  ASSERT_EQ(both->hits.size(), 1u);
  EXPECT_EQ(both->hits[0].symbol.name, "alpha");
}

TEST_F(SymbolIndexTest, BuildCanBeCancelled) {
  testing::TempDir repo;
  std::map<std::string, std::string> files;
  std::string body;
  for (int i = 0; i < 40000; ++i) body += "def f" + std::to_string(i) + "():\n    pass\n";
  files.emplace("big.py", body);
  files.emplace("big2.py", body);
  repo.write_all(files);
  index(repo.path());
  std::atomic<bool> cancel{true};
  auto built = search::SymbolIndex::build(*db_, &cancel);
  ASSERT_FALSE(built.has_value());
  EXPECT_EQ(built.error().code, ErrorCode::Cancelled);
}

}  // namespace
}  // namespace cci
