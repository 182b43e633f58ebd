// store/text_util.h — identifier splitting and normalisation shared by writes and queries.
//
// The same functions produce the FTS `words` column at write time and the keys compared at query
// time, so a change here changes the on-disk format (bump kSchemaVersion and rebuild the FTS).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cci::store::detail {

// Space-joined identifier_words(name) followed by those of qualified_name, without duplicates.
// Writes into `out` (cleared) so the hot insert path reuses one buffer.
void fts_words(std::string_view name, std::string_view qualified_name, std::string& out);

// Lower-cased ASCII letters/digits and non-ASCII bytes of `name`, everything else dropped:
// "parse_http_request", "parseHTTPRequest" and "ParseHttpRequest" share one key.
std::string name_key(std::string_view name);

// identifier_words(name).size() without building the words (called for every search match).
std::size_t identifier_word_count(std::string_view name);

// name_key(name) == key without building the key (called for every search match).
bool name_key_equals(std::string_view name, std::string_view key);

// The last component of a referenced name: text after the last '.', "::", '/' or "->".
std::string_view last_component(std::string_view target_name);

}  // namespace cci::store::detail
