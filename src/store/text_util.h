// store/text_util.h — identifier splitting and normalisation shared by writes and queries.
//
// The same functions produce the FTS `words` column at write time and the keys compared at query
// time, so a change here changes the on-disk format (bump kSchemaVersion and rebuild the FTS).
#pragma once

#include <string>
#include <string_view>

namespace cci::store::detail {

// Space-joined identifier_words(name) followed by those of qualified_name, without duplicates.
// Writes into `out` (cleared) so the hot insert path reuses one buffer.
void fts_words(std::string_view name, std::string_view qualified_name, std::string& out);

// Lower-cased ASCII letters/digits and non-ASCII bytes of `name`, everything else dropped:
// "parse_http_request", "parseHTTPRequest" and "ParseHttpRequest" share one key.
std::string name_key(std::string_view name);

// The name a simple FTS query asks for: the concatenated name_key of its terms
// ("parse http" -> "parsehttp", name:"Foo"* -> "foo"); empty when the query uses OR/NOT/NEAR,
// where no single name is meant.
std::string exact_key_from_fts_query(std::string_view query);

// The last component of a referenced name: text after the last '.', "::", '/' or "->".
std::string_view last_component(std::string_view target_name);

}  // namespace cci::store::detail
