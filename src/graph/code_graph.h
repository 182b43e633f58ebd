// graph/code_graph.h — resolves references into edges and ranks the symbols of a project.
//
// Input: every ParsedFile of the project (with its stable symbol ids). Output: edges
// (contains, imports, calls, inherits, implements), each tagged with how it was resolved, and a
// rank per symbol. A reference whose target is ambiguous or outside the project becomes an edge
// with target 0 and Resolution::Unresolved, keeping the referenced name: never a guess.
// Pure in-memory computation, deterministic for a given input (order of files does not matter).
//
// Thread safety: build_graph() is reentrant.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/symbol_id.h"

namespace cci::graph {

struct FileInput {
  const ParsedFile* parsed = nullptr;
  const std::vector<SymbolId>* ids = nullptr;  // assign_symbol_ids(*parsed)
};

// Imports edges link files: source is the importing File symbol, target the imported File symbol
// (one edge per file when an import names several, e.g. a Go package). Calls from file-level code
// have the File symbol as source. docs/ranking.md describes every resolution step.
struct Edge {
  SymbolId source = 0;
  SymbolId target = 0;          // 0 when unresolved
  EdgeKind kind = EdgeKind::Calls;
  Resolution resolution = Resolution::Unresolved;
  std::string target_name;      // the name as referenced ("os.path.join", "Base"); empty for contains
  std::uint32_t line = 0;       // where the reference/import is (0 for contains)
  std::uint32_t col = 0;
  bool operator==(const Edge&) const = default;
};

// Tags are computed from the graph, not guessed from names alone.
inline constexpr std::string_view kTagEntryPoint = "entry-point";  // main(), __main__ guard, bin targets
inline constexpr std::string_view kTagTest = "test";                // defined in a test file / test framework shape
inline constexpr std::string_view kTagPublicApi = "public-api";     // exported and used from other files
inline constexpr std::string_view kTagHighlyUsed = "highly-used";   // in-degree in the project's top percentile
inline constexpr std::string_view kTagUnused = "unused";            // callable with no callers and not exported/entry
inline constexpr std::string_view kTagBaseClass = "base-class";     // inherited/implemented by others
inline constexpr std::string_view kTagHub = "hub";                  // calls many distinct symbols

struct SymbolRank {
  SymbolId id = 0;
  double pagerank = 0.0;
  std::uint32_t in_degree = 0;    // resolved incoming calls/inherits/imports (not contains), per edge
  std::uint32_t out_degree = 0;   // resolved outgoing calls/inherits/imports
  double importance = 0.0;        // in [0, 1], normalised per project
  std::vector<std::string> tags;  // sorted
  bool operator==(const SymbolRank&) const = default;
};

struct GraphOptions {
  double damping = 0.85;
  int max_iterations = 50;
  double tolerance = 1e-9;
};

struct GraphResult {
  std::vector<Edge> edges;         // sorted by (source, kind, line, col, target, target_name)
  std::vector<SymbolRank> ranks;   // one per symbol, sorted by id
};

GraphResult build_graph(std::span<const FileInput> files, const GraphOptions& options = {});

// The edges out of the `focus` files only (contains edges included), resolved against `context`,
// which holds the focus files and every other file their references may resolve to: files
// defining the referenced names, imported files, and the other files of the project reduced to
// their File symbol (enough to resolve an import to a file). For incremental updates: with a
// complete context the result equals build_graph()'s edges whose source is in a focus file.
// Sorted and deduplicated like build_graph().
std::vector<Edge> resolve_file_edges(std::span<const FileInput> context, std::span<const std::string> focus_paths);

}  // namespace cci::graph
