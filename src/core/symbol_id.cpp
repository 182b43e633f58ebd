#include "core/symbol_id.h"

#include <string>
#include <unordered_map>

#include "core/hash.h"

namespace cci {
namespace {

constexpr std::uint64_t kPositive63 = 0x7fffffffffffffffULL;

std::int64_t positive(std::uint64_t h) {
  auto v = static_cast<std::int64_t>(h & kPositive63);
  return v == 0 ? 1 : v;
}

}  // namespace

FileId file_id_for(std::string_view relative_path) {
  return positive(Hasher().add("file").add(relative_path).digest());
}

std::vector<SymbolId> assign_symbol_ids(const ParsedFile& parsed) {
  std::vector<SymbolId> ids;
  ids.reserve(parsed.symbols.size());
  // Overloads and re-declarations share kind + qualified name; their order of appearance tells them apart.
  std::unordered_map<std::string, std::uint64_t> seen;
  for (std::size_t i = 0; i < parsed.symbols.size(); ++i) {
    const Symbol& s = parsed.symbols[i];
    if (i == 0 && s.kind == SymbolKind::File) {
      ids.push_back(file_id_for(parsed.path));
      continue;
    }
    std::string key;
    key.reserve(s.qualified_name.size() + 4);
    key += static_cast<char>('a' + static_cast<int>(s.kind));
    key += s.qualified_name.empty() ? s.name : s.qualified_name;
    const std::uint64_t ordinal = seen[key]++;
    ids.push_back(positive(Hasher().add(parsed.path).add(key).add(ordinal).digest()));
  }
  return ids;
}

}  // namespace cci
