// tests/store/scoring_test.cpp — the ranking functions of store/scoring.h, one by one.
#include "store/scoring.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/index_store.h"
#include "store/text_util.h"

namespace cci::store {
namespace {

constexpr std::uint8_t bit(TextColumn column) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(column)); }

std::vector<std::string> tokens_of(std::string_view text) {
  std::vector<std::string> out;
  std::string scratch;
  for_each_fts_token(text, scratch, [&](std::string_view token) { out.emplace_back(token); });
  return out;
}

SearchPhrase phrase(std::vector<std::string> words, bool prefix) { return {std::move(words), prefix}; }

TEST(StaticScore, GrowsWithImportance) {
  double previous = -1.0;
  for (int i = 0; i <= 20; ++i) {
    const double s = static_score(i / 20.0, "parseHttp");
    EXPECT_GT(s, previous) << i;
    previous = s;
  }
  EXPECT_EQ(static_score(1.0, "parse"), 1.0);
  EXPECT_EQ(static_score(0.0, "parse"), static_cast<double>(0.6F));
}

TEST(StaticScore, ShorterNamesScoreHigher) {
  EXPECT_GT(static_score(0.5, "parse"), static_score(0.5, "parseHttp"));
  EXPECT_GT(static_score(0.5, "parseHttp"), static_score(0.5, "parse_http_request"));
  // Words, not characters, count; a name without words counts as one word.
  EXPECT_EQ(static_score(0.5, "x"), static_score(0.5, "initialization"));
  EXPECT_EQ(static_score(0.5, "__"), static_score(0.5, "x"));
  EXPECT_EQ(static_score(0.5, ""), static_score(0.5, "x"));
  // Three words: divided by 1 + 0.25 * 2.
  EXPECT_NEAR(static_score(0.5, "parseHTTPRequest"), (0.6 + 0.2) / 1.5, 1e-7);
}

TEST(StaticScore, IsRoundedToFloatPrecision) {
  for (int i = 0; i <= 100; ++i) {
    for (const char* name : {"a", "parseHttp", "MAX_BUFFER_SIZE_2", "get_x_y_z_w"}) {
      const double s = static_score(i / 100.0, name);
      EXPECT_EQ(s, static_cast<double>(static_cast<float>(s))) << name << " " << i;
    }
  }
  // 0.72 / 1.25 = 0.576 is not a float; the score is its float rounding, not the exact double.
  EXPECT_EQ(static_score(0.3, "a_b"), static_cast<double>(static_cast<float>((0.6 + 0.4 * 0.3) / 1.25)));
  EXPECT_NE(static_score(0.3, "a_b"), (0.6 + 0.4 * 0.3) / 1.25);
}

TEST(TextScore, SumsTheBestColumnOfEachPhrase) {
  EXPECT_EQ(text_score({}), 0.0);
  const std::array<std::uint8_t, 1> none{0};
  EXPECT_EQ(text_score(none), 0.0);
  const std::array<std::uint8_t, 1> words{bit(TextColumn::Words)};
  EXPECT_EQ(text_score(words), 1.0);
  const std::array<std::uint8_t, 1> doc{bit(TextColumn::Doc)};
  EXPECT_EQ(text_score(doc), 0.05);
  // The best column counts, not the sum of columns.
  const std::array<std::uint8_t, 1> doc_and_qualified{
      static_cast<std::uint8_t>(bit(TextColumn::Doc) | bit(TextColumn::QualifiedName) | bit(TextColumn::Signature))};
  EXPECT_EQ(text_score(doc_and_qualified), 0.4);
  const std::array<std::uint8_t, 3> three{bit(TextColumn::Name), bit(TextColumn::Path), 0};
  EXPECT_EQ(text_score(three), 1.0 + 0.2 + 0.0);
  for (std::size_t c = 0; c < kTextColumnCount; ++c) {
    const std::array<std::uint8_t, 1> one{static_cast<std::uint8_t>(1U << c)};
    EXPECT_EQ(text_score(one), kColumnWeight[c]) << c;
  }
}

TEST(CombinedScore, MultipliesAndAddsTheBonus) {
  EXPECT_EQ(combined_score(2.0, 0.75, false), 1.5);
  EXPECT_EQ(combined_score(2.0, 0.75, true), 1.5 + kExactNameBonus);
  EXPECT_EQ(combined_score(0.0, 0.75, true), kExactNameBonus);
}

TEST(FtsTokens, RunsOfLettersAndDigitsLowerCased) {
  EXPECT_EQ(tokens_of("parseHttp_request2 foo-BAR"), (std::vector<std::string>{"parsehttp", "request2", "foo", "bar"}));
  EXPECT_EQ(tokens_of("  net.http::Request->send()  "),
            (std::vector<std::string>{"net", "http", "request", "send"}));
  EXPECT_EQ(tokens_of("a1b2 3c"), (std::vector<std::string>{"a1b2", "3c"}));
  EXPECT_TRUE(tokens_of("").empty());
  EXPECT_TRUE(tokens_of("_-.:() \t\n").empty());
  // UTF-8 bytes are letters; only ASCII is lower-cased.
  EXPECT_EQ(tokens_of("Gr\xC3\xB6\xC3\x9F" "e x"), (std::vector<std::string>{"gr\xC3\xB6\xC3\x9F" "e", "x"}));
}

TEST(PhraseOccurs, ConsecutiveTokensAndWordBoundaries) {
  EXPECT_TRUE(phrase_occurs(phrase({"parse", "http"}, false), "parse http request"));
  EXPECT_TRUE(phrase_occurs(phrase({"http", "request"}, false), "parse http request"));
  EXPECT_TRUE(phrase_occurs(phrase({"parse", "http"}, false), "Parse_HTTP"));
  // Adjacency and order.
  EXPECT_FALSE(phrase_occurs(phrase({"parse", "request"}, false), "parse http request"));
  EXPECT_FALSE(phrase_occurs(phrase({"http", "parse"}, false), "parse http request"));
  // Whole tokens only: the name column holds "parsehttp" as one token.
  EXPECT_FALSE(phrase_occurs(phrase({"parse"}, false), "parseHttp"));
  EXPECT_FALSE(phrase_occurs(phrase({"http"}, false), "https"));
  EXPECT_FALSE(phrase_occurs(phrase({"ttp"}, true), "http"));
  EXPECT_FALSE(phrase_occurs(phrase({}, true), "anything"));
  EXPECT_FALSE(phrase_occurs(phrase({"a"}, true), ""));
  // Repeated words: the match may start inside an earlier partial match.
  EXPECT_TRUE(phrase_occurs(phrase({"a", "a", "b"}, false), "a a a b"));
  EXPECT_FALSE(phrase_occurs(phrase({"a", "a", "b"}, false), "a b a b"));
}

TEST(PhraseOccurs, PrefixAppliesToTheLastWordOnly) {
  EXPECT_TRUE(phrase_occurs(phrase({"http"}, true), "https"));
  EXPECT_TRUE(phrase_occurs(phrase({"parse"}, true), "parseHttp"));
  EXPECT_TRUE(phrase_occurs(phrase({"parse", "ht"}, true), "parse http"));
  EXPECT_FALSE(phrase_occurs(phrase({"parse", "ht"}, false), "parse http"));
  EXPECT_FALSE(phrase_occurs(phrase({"par", "http"}, true), "parse http"));
  EXPECT_TRUE(phrase_occurs(phrase({"parse", "http"}, true), "parse http"));
}

TEST(PhraseColumns, OneBitPerColumnHoldingThePhrase) {
  SymbolRecord s;
  s.kind = SymbolKind::Function;
  s.path = "src/parse/net.py";
  s.name = "parseHttp";
  s.qualified_name = "net.parseHttp";
  s.signature = "def parseHttp(raw)";
  s.doc = "Parses http.";
  const auto columns = fts_column_texts(s);
  EXPECT_EQ(columns[0], "net parse http");
  EXPECT_EQ(columns[3], "");  // only File symbols carry their path
  EXPECT_EQ(phrase_columns(phrase({"parse"}, false), columns), bit(TextColumn::Words));
  EXPECT_EQ(phrase_columns(phrase({"parse"}, true), columns),
            bit(TextColumn::Words) | bit(TextColumn::Name) | bit(TextColumn::QualifiedName) |
                bit(TextColumn::Signature) | bit(TextColumn::Doc));
  EXPECT_EQ(phrase_columns(phrase({"http"}, false), columns), bit(TextColumn::Words) | bit(TextColumn::Doc));
  EXPECT_EQ(phrase_columns(phrase({"raw"}, false), columns), bit(TextColumn::Signature));
  EXPECT_EQ(phrase_columns(phrase({"nothing"}, true), columns), 0);

  s.kind = SymbolKind::File;
  const auto file_columns = fts_column_texts(s);
  EXPECT_EQ(file_columns[3], "src/parse/net.py");
  EXPECT_EQ(phrase_columns(phrase({"src", "parse"}, false), file_columns), bit(TextColumn::Path));
}

TEST(ExactQueryKey, OnePhraseOrModeAll) {
  const std::vector<SearchPhrase> one{phrase({"parse", "http"}, true)};
  const std::vector<SearchPhrase> two{phrase({"parse"}, true), phrase({"http"}, false)};
  EXPECT_EQ(exact_query_key(one, false), "parsehttp");
  EXPECT_EQ(exact_query_key(one, true), "parsehttp");
  EXPECT_EQ(exact_query_key(two, true), "parsehttp");
  EXPECT_EQ(exact_query_key(two, false), "");
  EXPECT_EQ(exact_query_key({}, true), "");
}

TEST(SymbolNameKey, IgnoresCaseAndSeparators) {
  EXPECT_EQ(symbol_name_key("parse_http"), "parsehttp");
  EXPECT_EQ(symbol_name_key("parseHttp"), "parsehttp");
  EXPECT_EQ(symbol_name_key("ParseHTTP"), "parsehttp");
  EXPECT_EQ(symbol_name_key("std::vector<int32>"), "stdvectorint32");
  EXPECT_EQ(symbol_name_key("__"), "");
}

// The allocation-free helpers the SQL scoring functions use agree with the functions they stand for.
TEST(ScoringHelpers, AgreeWithTheFunctionsTheyReplace) {
  for (const char* name : {"", "_", "x", "parseHTTPRequest", "parse_http_request", "MAX_SIZE_2", "utf8Decode",
                           "a__b", "std::vector", "Gr\xC3\xB6\xC3\x9F" "eTable", "x1y2Z3", "__init__"}) {
    EXPECT_EQ(detail::identifier_word_count(name), identifier_words(name).size()) << name;
    const std::string key = symbol_name_key(name);
    EXPECT_TRUE(detail::name_key_equals(name, key)) << name;
    EXPECT_FALSE(detail::name_key_equals(name, key + "x")) << name;
    if (!key.empty()) {
      EXPECT_FALSE(detail::name_key_equals(name, key.substr(1))) << name;
      EXPECT_FALSE(detail::name_key_equals(name, key.substr(0, key.size() - 1))) << name;
    }
  }
  // Every short string over letters of each case, digits, separators and a UTF-8 byte.
  constexpr std::string_view kAlphabet = "aZ9_.\xC3";
  std::string name;
  for (std::size_t length = 1; length <= 5; ++length) {
    std::size_t combinations = 1;
    for (std::size_t i = 0; i < length; ++i) combinations *= kAlphabet.size();
    for (std::size_t n = 0; n < combinations; ++n) {
      name.clear();
      for (std::size_t i = 0, rest = n; i < length; ++i, rest /= kAlphabet.size()) name.push_back(kAlphabet[rest % kAlphabet.size()]);
      ASSERT_EQ(detail::identifier_word_count(name), identifier_words(name).size()) << name;
      ASSERT_TRUE(detail::name_key_equals(name, symbol_name_key(name))) << name;
    }
  }
}

}  // namespace
}  // namespace cci::store
