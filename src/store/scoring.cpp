// store/scoring.cpp — the ranking functions of store/scoring.h.
#include "store/scoring.h"

#include <algorithm>

#include "store/index_store.h"
#include "store/text_util.h"

namespace cci::store {

double static_score(double importance, std::string_view name) {
  std::size_t words = detail::identifier_word_count(name);
  if (words == 0) words = 1;
  const double value = (0.6 + 0.4 * importance) / (1.0 + 0.25 * static_cast<double>(words - 1));
  return static_cast<double>(static_cast<float>(value));
}

double text_score(std::span<const std::uint8_t> phrase_column_masks) {
  double total = 0.0;
  for (std::uint8_t mask : phrase_column_masks) {
    double best = 0.0;
    for (std::size_t c = 0; c < kTextColumnCount; ++c)
      if ((mask >> c) & 1U) best = std::max(best, kColumnWeight[c]);
    total += best;
  }
  return total;
}

double combined_score(double text, double static_part, bool exact_name) {
  return text * static_part + (exact_name ? kExactNameBonus : 0.0);
}

std::array<std::string, kTextColumnCount> fts_column_texts(const SymbolRecord& symbol) {
  std::array<std::string, kTextColumnCount> columns;
  detail::fts_words(symbol.name, symbol.qualified_name, columns[0]);
  columns[1] = symbol.name;
  columns[2] = symbol.qualified_name;
  if (symbol.kind == SymbolKind::File) columns[3] = symbol.path;
  columns[4] = symbol.signature;
  columns[5] = symbol.doc;
  return columns;
}

namespace {

bool is_token_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

// `token` (original case) against a lower-case query word: equal, or starting with it.
bool token_matches(std::string_view token, std::string_view word, bool prefix) {
  if (prefix ? token.size() < word.size() : token.size() != word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char c = token[i];
    if (((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c) != word[i]) return false;
  }
  return true;
}

}  // namespace

bool phrase_occurs(const SearchPhrase& phrase, std::string_view text) {
  const auto& words = phrase.words;
  if (words.empty()) return false;
  // Runs on every candidate the in-memory index checks: tokens are views into `text`, compared
  // case-insensitively in place, and the phrase is matched from each token that starts it.
  std::size_t pos = 0;
  auto next_token = [&](std::string_view& token) {
    while (pos < text.size() && !is_token_char(text[pos])) ++pos;
    if (pos >= text.size()) return false;
    const std::size_t start = pos;
    while (pos < text.size() && is_token_char(text[pos])) ++pos;
    token = text.substr(start, pos - start);
    return true;
  };
  std::string_view token;
  while (next_token(token)) {
    if (!token_matches(token, words[0], phrase.prefix && words.size() == 1)) continue;
    const std::size_t resume = pos;
    bool all = true;
    for (std::size_t i = 1; i < words.size() && all; ++i) {
      std::string_view following;
      all = next_token(following) && token_matches(following, words[i], phrase.prefix && i + 1 == words.size());
    }
    if (all) return true;
    pos = resume;
  }
  return false;
}

std::uint8_t phrase_columns(const SearchPhrase& phrase, const std::array<std::string, kTextColumnCount>& columns) {
  std::uint8_t mask = 0;
  for (std::size_t c = 0; c < kTextColumnCount; ++c)
    if (!columns[c].empty() && phrase_occurs(phrase, columns[c])) mask = static_cast<std::uint8_t>(mask | (1U << c));
  return mask;
}

std::string exact_query_key(std::span<const SearchPhrase> phrases, bool all_mode) {
  if (phrases.empty() || (phrases.size() > 1 && !all_mode)) return {};
  std::string key;
  for (const auto& p : phrases)
    for (const auto& w : p.words) key += detail::name_key(w);
  return key;
}

std::string symbol_name_key(std::string_view name) { return detail::name_key(name); }

}  // namespace cci::store
