// tests/store/search_ranking_test.cpp — IndexStore::search_symbols against a brute-force C++
// evaluation of store/scoring.h over every symbol (hit set, order and bit-identical scores),
// for_each_search_row against symbol(id), and glob_match against SQL GLOB.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "core/symbol_id.h"
#include "store/index_store.h"
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

constexpr std::array<std::string_view, 20> kVocabulary{"parse", "http", "request", "get",  "set",  "value", "buffer",
                                                       "node",  "tree", "init",    "read", "write", "file", "list",
                                                       "item",  "utf8", "int32",   "x",    "a",     "map"};
constexpr std::array<SymbolKind, 6> kKinds{SymbolKind::Function, SymbolKind::Method,   SymbolKind::Class,
                                           SymbolKind::Struct,   SymbolKind::Variable, SymbolKind::Constant};
constexpr std::array<Language, 3> kLanguages{Language::Python, Language::Go, Language::Cpp};
constexpr std::array<std::string_view, 3> kExtensions{".py", ".go", ".cpp"};

// std::*_distribution results differ between standard libraries; plain modulo keeps the corpus
// and the queries identical everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(engine_() % n); }
  bool one_in(std::size_t n) { return below(n) == 0; }
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  std::string_view word() { return kVocabulary[below(kVocabulary.size())]; }

 private:
  std::mt19937_64 engine_;
};

std::string capitalized(std::string_view word) {
  std::string out(word);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string upper(std::string_view word) {
  std::string out(word);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// camelCase, PascalCase, snake_case or UPPER_SNAKE of 1-3 words, sometimes with a digit suffix.
std::string random_name(Random& rng) {
  std::vector<std::string> words(1 + rng.below(3));
  for (std::string& w : words) w = rng.word();
  if (rng.one_in(4)) words.back() += std::to_string(rng.below(10));
  std::string name;
  const std::size_t style = rng.below(4);
  for (std::size_t i = 0; i < words.size(); ++i) {
    switch (style) {
      case 0: name += i == 0 ? words[i] : capitalized(words[i]); break;
      case 1: name += capitalized(words[i]); break;
      case 2: name += (i == 0 ? "" : "_") + words[i]; break;
      default: name += (i == 0 ? "" : "_") + upper(words[i]); break;
    }
  }
  return name;
}

std::string random_words(Random& rng, std::size_t max_words, std::string_view separator) {
  std::string out;
  const std::size_t n = rng.below(max_words + 1);
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += separator;
    out += rng.one_in(3) ? capitalized(rng.word()) : std::string(rng.word());
  }
  return out;
}

std::vector<ParsedFile> random_corpus(Random& rng, std::size_t files, std::size_t symbols_per_file) {
  std::vector<ParsedFile> out;
  for (std::size_t f = 0; f < files; ++f) {
    const std::size_t lang = rng.below(kLanguages.size());
    const std::string path = "src/" + std::string(rng.word()) + "/" + std::string(rng.word()) + "_" +
                             std::to_string(f) + std::string(kExtensions[lang]);
    std::vector<Symbol> symbols;
    for (std::size_t i = 0; i < symbols_per_file; ++i) {
      const std::string name = random_name(rng);
      std::string scope = random_words(rng, 2, rng.one_in(2) ? "." : "::");
      const std::string qualified = scope.empty() ? name : scope + (rng.one_in(2) ? "." : "::") + name;
      const std::string signature =
          rng.one_in(3) ? std::string() : "def " + name + "(" + random_words(rng, 3, ", ") + ")";
      const std::string doc = rng.one_in(2) ? std::string() : random_words(rng, 6, rng.one_in(2) ? " " : ", ") + ".";
      symbols.push_back(make_symbol(kKinds[rng.below(kKinds.size())], name, qualified, -1,
                                    static_cast<std::uint32_t>(i * 3 + 1), signature, doc));
    }
    out.push_back(make_file(path, kLanguages[lang], std::move(symbols)));
  }
  return out;
}

std::vector<std::string> fts_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::string scratch;
  for_each_fts_token(text, scratch, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

// As search/ builds it: phrases as "w1 w2"* ('*' only for a prefix), joined by OR or AND.
std::string fts_query_for(const std::vector<SearchPhrase>& phrases, bool all_mode) {
  std::string query;
  for (const SearchPhrase& p : phrases) {
    if (!query.empty()) query += all_mode ? " AND " : " OR ";
    query += '"';
    for (std::size_t i = 0; i < p.words.size(); ++i) query += (i == 0 ? "" : " ") + p.words[i];
    query += p.prefix ? "\"*" : "\"";
  }
  return query;
}

struct Expected {
  SymbolId id;
  double text;
  double score;
};

// Every symbol scored in C++ from its record alone, filtered and ordered as search_symbols must.
std::vector<Expected> brute_force(const std::vector<SymbolRecord>& records, const std::vector<SearchPhrase>& phrases,
                                  bool all_mode, const SymbolFilter& filter, const std::string& key) {
  std::vector<Expected> out;
  std::vector<std::uint8_t> masks(phrases.size());
  for (const SymbolRecord& r : records) {
    if (!filter.kinds.empty() && std::find(filter.kinds.begin(), filter.kinds.end(), r.kind) == filter.kinds.end())
      continue;
    if (!filter.languages.empty() &&
        std::find(filter.languages.begin(), filter.languages.end(), r.language) == filter.languages.end())
      continue;
    if (!filter.path_glob.empty() && !glob_match(filter.path_glob, r.path)) continue;
    const auto columns = fts_column_texts(r);
    std::size_t matched = 0;
    for (std::size_t i = 0; i < phrases.size(); ++i) {
      masks[i] = phrase_columns(phrases[i], columns);
      if (masks[i] != 0) ++matched;
    }
    if (all_mode ? matched != phrases.size() : matched == 0) continue;
    const double text = text_score(masks);
    const bool exact = !key.empty() && symbol_name_key(r.name) == key;
    out.push_back({r.id, text, combined_score(text, static_score(r.importance, r.name), exact)});
  }
  std::sort(out.begin(), out.end(), [](const Expected& a, const Expected& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  });
  return out;
}

class SearchRankingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = IndexStore::open(dir_.path() / "index.db", OpenMode::ReadWrite);
    ASSERT_TRUE(opened.has_value()) << opened.error().describe();
    store_ = std::move(*opened);

    Random rng(0x5eed'2024'0611ULL);
    files_ = random_corpus(rng, 16, 24);
    auto batch = store_->begin_write();
    ASSERT_TRUE(batch.has_value()) << batch.error().describe();
    std::vector<graph::SymbolRank> ranks;
    for (const ParsedFile& p : files_) {
      const std::string content = "content of " + p.path;
      const auto ids = assign_symbol_ids(p);
      ASSERT_TRUE((*batch)->put_file(record_for(p, content), p, ids, content).has_value());
      // Most symbols ranked (some at exactly 0 or 1); the rest have no rank row (importance 0).
      for (SymbolId id : ids) {
        if (rng.one_in(5)) continue;
        const double importance = rng.one_in(10) ? 0.0 : rng.one_in(10) ? 1.0 : rng.unit();
        ranks.push_back({.id = id, .pagerank = 0.001, .importance = importance});
      }
    }
    ASSERT_TRUE((*batch)->replace_ranks(ranks).has_value());
    ASSERT_TRUE((*batch)->commit().has_value());

    for (const ParsedFile& p : files_) {
      auto in_file = store_->symbols_in_file(p.path);
      ASSERT_TRUE(in_file.has_value());
      records_.insert(records_.end(), in_file->begin(), in_file->end());
    }
    ASSERT_EQ(records_.size(), 16U * 25U);
  }

  // 1-3 consecutive tokens of some column of some symbol (so multi-word phrases hit), or
  // vocabulary words; the last one maybe cut short when the phrase is a prefix.
  SearchPhrase random_phrase(Random& rng) const {
    SearchPhrase phrase;
    phrase.prefix = rng.one_in(2);
    const std::size_t length = 1 + rng.below(3);
    if (rng.one_in(4)) {
      for (std::size_t i = 0; i < length; ++i) phrase.words.emplace_back(rng.word());
    } else {
      const SymbolRecord& r = records_[rng.below(records_.size())];
      const auto columns = fts_column_texts(r);
      std::vector<std::string> tokens;
      while (tokens.empty()) tokens = fts_tokens(columns[rng.below(kTextColumnCount)]);
      const std::size_t start = rng.below(tokens.size());
      for (std::size_t i = start; i < tokens.size() && i < start + length; ++i) phrase.words.push_back(tokens[i]);
    }
    if (phrase.prefix && rng.one_in(2)) {
      std::string& last = phrase.words.back();
      last.resize(1 + rng.below(last.size()));
    }
    return phrase;
  }

  SymbolFilter random_filter(Random& rng) const {
    SymbolFilter filter;
    if (rng.one_in(4)) {
      for (SymbolKind kind : {SymbolKind::File, SymbolKind::Function, SymbolKind::Class, SymbolKind::Variable})
        if (rng.one_in(2)) filter.kinds.push_back(kind);
    }
    if (rng.one_in(5)) filter.languages = {kLanguages[rng.below(kLanguages.size())]};
    if (rng.one_in(5)) {
      constexpr std::array<std::string_view, 5> kGlobs{"*.py", "src/parse/*", "src/*/[a-m]*", "*http*", "*_1?.*"};
      filter.path_glob = kGlobs[rng.below(kGlobs.size())];
    }
    return filter;
  }

  TempDir dir_;
  std::unique_ptr<IndexStore> store_;
  std::vector<ParsedFile> files_;
  std::vector<SymbolRecord> records_;
};

TEST_F(SearchRankingTest, HitsOrderAndScoresEqualABruteForceEvaluation) {
  Random rng(20240611);
  std::size_t total_hits = 0, queries_with_hits = 0, bonus_hits = 0, multi_word_hits = 0, paged = 0;
  for (int q = 0; q < 400; ++q) {
    std::vector<SearchPhrase> phrases(1 + rng.below(3));
    for (SearchPhrase& p : phrases) p = random_phrase(rng);
    const bool all_mode = rng.one_in(2);
    SymbolSearch request;
    request.fts_query = fts_query_for(phrases, all_mode);
    request.exact_key = exact_query_key(phrases, all_mode);
    if (rng.one_in(3)) request.filter = random_filter(rng);
    request.limit = rng.one_in(2) ? 0 : 1 + rng.below(30);
    request.offset = rng.one_in(2) ? 0 : rng.below(12);
    SCOPED_TRACE(::testing::Message() << "query #" << q << " `" << request.fts_query << "` key `"
                                      << request.exact_key << "` limit " << request.limit << " offset "
                                      << request.offset << " kinds " << request.filter.kinds.size() << " glob `"
                                      << request.filter.path_glob << "`");

    const auto all = brute_force(records_, phrases, all_mode, request.filter, request.exact_key);
    const std::size_t begin = std::min(request.offset, all.size());
    const std::size_t end = request.limit == 0 ? all.size() : std::min(all.size(), begin + request.limit);
    const std::vector<Expected> expected(all.begin() + static_cast<std::ptrdiff_t>(begin),
                                         all.begin() + static_cast<std::ptrdiff_t>(end));

    auto hits = store_->search_symbols(request);
    ASSERT_TRUE(hits.has_value()) << hits.error().describe();
    ASSERT_EQ(hits->size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const SymbolHit& hit = (*hits)[i];
      ASSERT_EQ(hit.symbol.id, expected[i].id) << "rank " << i << " (" << hit.symbol.name << ")";
      ASSERT_EQ(hit.relevance, expected[i].text) << "rank " << i;
      ASSERT_EQ(hit.score, expected[i].score) << "rank " << i;
      if (hit.score >= kExactNameBonus && !request.exact_key.empty() && symbol_name_key(hit.symbol.name) == request.exact_key)
        ++bonus_hits;
    }
    total_hits += expected.size();
    if (!expected.empty()) ++queries_with_hits;
    if (!all.empty() && phrases[0].words.size() > 1) ++multi_word_hits;
    if (request.limit != 0 && all.size() > request.limit + request.offset) ++paged;
  }
  std::printf("[ counts   ] %zu queries with hits, %zu hits, %zu with the bonus, %zu multi-word, %zu paged\n",
              queries_with_hits, total_hits, bonus_hits, multi_word_hits, paged);
  // The properties above were checked on real work, not on empty answers.
  EXPECT_GT(queries_with_hits, 200U);
  EXPECT_GT(total_hits, 5000U);
  EXPECT_GT(bonus_hits, 50U);
  EXPECT_GT(multi_word_hits, 50U);
  EXPECT_GT(paged, 40U);
}

TEST_F(SearchRankingTest, HandWrittenExpressionsScoreEachPhrase) {
  // Column filters and NOT are FTS5's business; the score still counts every phrase's columns.
  const SymbolRecord& r = records_[7];
  const std::string word = fts_tokens(fts_column_texts(r)[0]).front();
  auto hits = store_->search_symbols({.fts_query = "words:\"" + word + "\" NOT \"zzzz\"", .limit = 0});
  ASSERT_TRUE(hits.has_value()) << hits.error().describe();
  ASSERT_FALSE(hits->empty());
  for (const SymbolHit& h : *hits) {
    // "zzzz" occurs nowhere, so only the words column of the first phrase counts.
    EXPECT_EQ(h.relevance, 1.0) << h.symbol.name;
    EXPECT_EQ(h.score, combined_score(1.0, static_score(h.symbol.importance, h.symbol.name), false));
  }
}

TEST_F(SearchRankingTest, ForEachSearchRowYieldsEverySymbolOnceAsTheFtsIndexReadsIt) {
  std::vector<SymbolId> seen;
  std::size_t mismatches = 0;
  auto status = store_->for_each_search_row([&](const SearchRow& row) {
    seen.push_back(row.id);
    auto record = store_->symbol(row.id);
    if (!record || !*record) {
      ++mismatches;
      return true;
    }
    const SymbolRecord& r = **record;
    const auto columns = fts_column_texts(r);
    const bool same = row.file_id == r.file_id && row.kind == r.kind && row.importance == r.importance &&
                      row.words == columns[0] && row.name == r.name && row.qualified_name == r.qualified_name &&
                      row.path == columns[3] && row.signature == r.signature && row.doc == r.doc;
    EXPECT_TRUE(same) << "symbol " << row.id << " " << r.name;
    if (!same) ++mismatches;
    return true;
  });
  ASSERT_TRUE(status.has_value()) << status.error().describe();
  EXPECT_EQ(mismatches, 0U);
  std::vector<SymbolId> expected;
  for (const SymbolRecord& r : records_) expected.push_back(r.id);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected);  // every symbol once, in id order
  // Files carry their path, ranked and unranked symbols both appear.
  std::size_t files = 0, unranked = 0;
  status = store_->for_each_search_row([&](const SearchRow& row) {
    if (row.kind == SymbolKind::File) {
      ++files;
      EXPECT_FALSE(row.path.empty());
    }
    if (row.importance == 0.0) ++unranked;
    return true;
  });
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(files, 16U);
  EXPECT_GT(unranked, 0U);
}

TEST(GlobMatch, AgreesWithSqlGlob) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT ?1 GLOB ?2", -1, &stmt, nullptr), SQLITE_OK);
  const std::vector<std::string> patterns{"",        "*",       "?",      "*.py",    "src/*",  "src/*/x?.py",
                                          "[a-c]*",  "[^a-c]*", "*[0-9]", "a]b",     "[]]*",   "*[*]*",
                                          "src/**",  "a*b*c",   "[a-]*",  "SRC/*",   "*\xC3\xBC*", "[!a]*",
                                          "*/sub/*", "?.py",    "[z-a]*", "*.[ch]*", "\\*",    "a?c"};
  const std::vector<std::string> texts{"",          "a",           "src/a.py", "src/x/x1.py", "SRC/A.PY",
                                       "b-c",       "]",           "abc",      "a]b",         "\xC3\xBC.py",
                                       "dir/sub/f.cpp", "x*y",     "a.h",      "!b",          "-",
                                       "src/",      "z",           "a1",       "\\x",         "aXc"};
  std::size_t matches = 0;
  for (const std::string& pattern : patterns) {
    for (const std::string& text : texts) {
      sqlite3_bind_text(stmt, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      sqlite3_bind_text(stmt, 2, pattern.data(), static_cast<int>(pattern.size()), SQLITE_STATIC);
      ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
      const bool sql = sqlite3_column_int(stmt, 0) != 0;
      sqlite3_reset(stmt);
      EXPECT_EQ(glob_match(pattern, text), sql) << "pattern `" << pattern << "` text `" << text << "`";
      if (sql) ++matches;
    }
  }
  EXPECT_GT(matches, 40U);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace cci::store
