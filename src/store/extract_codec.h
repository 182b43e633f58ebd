// store/extract_codec.h — the compact binary form of a ParsedFile kept in file_extracts.data.
//
// Lets the indexer re-resolve edges for unchanged files without re-parsing them. The format is
// private to the store (docs/storage-format.md): a version byte, then LEB128 varints and
// length-prefixed strings. decode(encode(x)) == x exactly.
#pragma once

#include <string>
#include <string_view>

#include "core/model.h"
#include "core/result.h"

namespace cci::store::detail {

inline constexpr unsigned char kExtractFormatVersion = 1;

// Appends to `out` (cleared first) so a caller can reuse one buffer across files.
void encode_parsed(const ParsedFile& parsed, std::string& out);
Result<ParsedFile> decode_parsed(std::string_view data);

}  // namespace cci::store::detail
