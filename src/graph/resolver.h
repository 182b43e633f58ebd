// graph/resolver.h — turns the per-file references and imports into edges between global symbols.
//
// Works on ProjectIndex global indices (g) so that ranking can run on the result without any
// SymbolId lookups. Internal to graph/.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/model.h"
#include "graph/project_index.h"

namespace cci::graph::detail {

struct RawEdge {
  std::uint32_t source = kNone;
  std::uint32_t target = kNone;  // kNone when unresolved
  EdgeKind kind = EdgeKind::Calls;
  Resolution resolution = Resolution::Unresolved;
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  std::string target_name;
};

// Contains, imports, inherits/implements and calls edges, in no particular order, not deduplicated.
// With `focus` (one flag per file), contains and calls edges are produced for focus files only;
// imports and bases are still resolved everywhere, because member calls walk the bases.
std::vector<RawEdge> resolve_edges(const ProjectIndex& index, const std::vector<bool>* focus = nullptr);

// True for paths that follow a test-file convention (tests/ dirs, test_*.py, *_test.go, *.test.ts,
// *Test.java, ...). Shared with ranking, which tags what lives in them.
bool is_test_path(std::string_view path);

}  // namespace cci::graph::detail
