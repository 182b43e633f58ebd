#include "core/symbol_id.h"

#include <gtest/gtest.h>

#include <set>

namespace cci {
namespace {

ParsedFile sample(std::string path) {
  ParsedFile f;
  f.path = std::move(path);
  f.symbols.push_back(Symbol{.kind = SymbolKind::File, .name = "a.py", .qualified_name = f.path});
  f.symbols.push_back(Symbol{.kind = SymbolKind::Function, .name = "f", .qualified_name = "a.f"});
  f.symbols.push_back(Symbol{.kind = SymbolKind::Function, .name = "f", .qualified_name = "a.f"});  // redefinition
  f.symbols.push_back(Symbol{.kind = SymbolKind::Class, .name = "f", .qualified_name = "a.f"});
  return f;
}

TEST(SymbolId, StableAcrossRunsAndDistinct) {
  auto a = assign_symbol_ids(sample("pkg/a.py"));
  auto b = assign_symbol_ids(sample("pkg/a.py"));
  EXPECT_EQ(a, b);
  std::set<SymbolId> unique(a.begin(), a.end());
  EXPECT_EQ(unique.size(), a.size());
  for (SymbolId id : a) EXPECT_GT(id, 0);
  EXPECT_EQ(a[0], file_id_for("pkg/a.py"));
}

TEST(SymbolId, IndependentOfUnrelatedInsertions) {
  ParsedFile f = sample("a.py");
  auto before = assign_symbol_ids(f);
  f.symbols.insert(f.symbols.begin() + 1, Symbol{.kind = SymbolKind::Class, .name = "New", .qualified_name = "a.New"});
  auto after = assign_symbol_ids(f);
  EXPECT_EQ(before[1], after[2]);  // a.f keeps its id although a symbol was inserted before it
  EXPECT_EQ(before[3], after[4]);
}

TEST(SymbolId, DependsOnPath) {
  EXPECT_NE(assign_symbol_ids(sample("a.py"))[1], assign_symbol_ids(sample("b.py"))[1]);
}

}  // namespace
}  // namespace cci
