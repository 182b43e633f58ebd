// tests/store/store_fixtures.h — ParsedFile/FileRecord builders shared by the store tests.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/hash.h"
#include "core/model.h"
#include "core/symbol_id.h"
#include "store/index_store.h"

namespace cci::store::fixtures {

inline Symbol make_symbol(SymbolKind kind, std::string name, std::string qualified, std::int32_t parent,
                          std::uint32_t line, std::string signature = {}, std::string doc = {}) {
  Symbol s;
  s.kind = kind;
  s.name = std::move(name);
  s.qualified_name = std::move(qualified);
  s.parent = parent;
  s.span = {line, 1, line + 2, 10};
  s.signature = std::move(signature);
  s.doc = std::move(doc);
  return s;
}

// A ParsedFile whose symbols[0] is the File symbol, followed by `symbols`.
inline ParsedFile make_file(std::string path, Language lang, std::vector<Symbol> symbols) {
  ParsedFile p;
  p.language = lang;
  p.path = path;
  p.line_count = 100;
  Symbol file;
  file.kind = SymbolKind::File;
  file.name = path.substr(path.rfind('/') == std::string::npos ? 0 : path.rfind('/') + 1);
  file.qualified_name = path;
  file.span = {1, 1, 100, 1};
  p.symbols.push_back(file);
  for (Symbol& s : symbols) p.symbols.push_back(std::move(s));
  return p;
}

inline FileRecord record_for(const ParsedFile& p, std::string_view content) {
  FileRecord r;
  r.id = file_id_for(p.path);
  r.path = p.path;
  r.language = p.language;
  r.size = content.size();
  r.mtime_ns = 1'700'000'000'123'456'789LL;
  r.content_hash = hash64(content);
  r.line_count = p.line_count;
  r.symbol_count = static_cast<std::uint32_t>(p.symbols.size());
  r.partial = p.error_nodes > 0;
  return r;
}

}  // namespace cci::store::fixtures
