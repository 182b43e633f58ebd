// graph/ranking.h — PageRank, degrees, importance and tags over resolved edges. Internal to graph/.
#pragma once

#include <vector>

#include "graph/code_graph.h"
#include "graph/project_index.h"
#include "graph/resolver.h"

namespace cci::graph::detail {

// One rank per global symbol index g (ranks[g].id == index.id(g)). `edges` must be deduplicated.
std::vector<SymbolRank> rank_symbols(const ProjectIndex& index, const std::vector<RawEdge>& edges,
                                     const GraphOptions& options);

// Weighted PageRank on dense indices; exposed for tests and benchmarks.
struct WeightedEdge {
  std::uint32_t source;
  std::uint32_t target;
  float weight;
};
std::vector<double> pagerank(std::uint32_t node_count, const std::vector<WeightedEdge>& edges,
                             const GraphOptions& options);

}  // namespace cci::graph::detail
