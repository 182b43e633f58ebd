// store/scoring.h — how search_code ranks a symbol for a query. One definition, two engines: the
// SQL path (FTS5 finds the candidates, an auxiliary function scores them) and the daemon's
// in-memory index (search/symbol_index.h) must order every query identically, so both call these
// functions and nothing else decides a score. docs/ranking.md explains the choices.
//
//   score = text × static + (exact name ? kExactNameBonus : 0), ties by symbol id
//   text  = Σ over the query's phrases of the weight of the best column the phrase occurs in
//   static = (0.6 + 0.4 × importance) / (1 + 0.25 × (words in the name − 1))
//
// Unlike bm25 nothing depends on how many other symbols match, so a symbol's score is known from
// the symbol alone and the in-memory index can stop after the first page.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cci::store {

struct SymbolRecord;

// The columns of symbols_fts, in table order (bit i of a column mask = column i).
enum class TextColumn : std::uint8_t { Words = 0, Name, QualifiedName, Path, Signature, Doc };
inline constexpr std::size_t kTextColumnCount = 6;
// A phrase found in the name counts most; in a doc comment least.
inline constexpr std::array<double, kTextColumnCount> kColumnWeight{1.0, 1.0, 0.4, 0.2, 0.1, 0.05};
inline constexpr double kExactNameBonus = 0.5;

// One phrase of a query: consecutive tokens, lower-case; the last matches as a prefix when
// `prefix` ("parse htt"* finds parse_http_request).
struct SearchPhrase {
  std::vector<std::string> words;
  bool prefix = true;
};

// The query-independent factor, rounded to float precision so an index may store it as a float
// and still compute the same score as SQL.
double static_score(double importance, std::string_view name);

// Σ over phrases (in order) of the best weight among the columns in each phrase's mask.
double text_score(std::span<const std::uint8_t> phrase_column_masks);

double combined_score(double text, double static_part, bool exact_name);

// The tokens FTS5's unicode61 tokenizer makes of ASCII text: maximal runs of ASCII letters and
// digits (UTF-8 bytes count as letters), ASCII lower-cased. `scratch` holds the current token.
template <class F>
void for_each_fts_token(std::string_view text, std::string& scratch, F&& emit) {
  scratch.clear();
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    const bool token_char = u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
    if (token_char) {
      scratch.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
    } else if (!scratch.empty()) {
      emit(std::string_view(scratch));
      scratch.clear();
    }
  }
  if (!scratch.empty()) {
    emit(std::string_view(scratch));
    scratch.clear();
  }
}

// The text of each FTS column for a symbol, as the index stores it (words = scope words then
// name words; path only on File symbols).
std::array<std::string, kTextColumnCount> fts_column_texts(const SymbolRecord& symbol);

// Whether `phrase` occurs as consecutive tokens of `text`.
bool phrase_occurs(const SearchPhrase& phrase, std::string_view text);

// Bit i set when `phrase` occurs in column i of `columns`.
std::uint8_t phrase_columns(const SearchPhrase& phrase, const std::array<std::string, kTextColumnCount>& columns);

// The name a query asks for exactly (for the bonus), as a name key; empty when none is meant.
// One phrase (or mode all): its words concatenated; several phrases in mode any: none.
std::string exact_query_key(std::span<const SearchPhrase> phrases, bool all_mode);
// The key of a symbol name: lower-case letters and digits only (parse_http == parseHttp).
std::string symbol_name_key(std::string_view name);

}  // namespace cci::store
