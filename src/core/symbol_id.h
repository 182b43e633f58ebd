// core/symbol_id.h — stable symbol identities.
//
// An id is derived from what a symbol is (file path, kind, qualified name, and its ordinal among
// same-named siblings for overloads), never from insertion order, so notes attached to a symbol
// survive a re-index as long as the symbol itself does. Ids are positive 63-bit integers
// (SQLite INTEGER PRIMARY KEY friendly).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/model.h"

namespace cci {

using SymbolId = std::int64_t;
using FileId = std::int64_t;

FileId file_id_for(std::string_view relative_path);

// ids[i] is the id of parsed.symbols[i]; ids[0] == file_id_for(parsed.path).
std::vector<SymbolId> assign_symbol_ids(const ParsedFile& parsed);

}  // namespace cci
