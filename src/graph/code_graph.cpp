// graph/code_graph.cpp — build_graph(): order the input, resolve, deduplicate, rank, translate to ids.
#include "graph/code_graph.h"

#include <algorithm>
#include <deque>
#include <numeric>
#include <tuple>

#include "graph/project_index.h"
#include "graph/ranking.h"
#include "graph/resolver.h"

namespace cci::graph {
namespace {

using detail::kNone;
using detail::RawEdge;

// The part of the output order that needs no string comparison; target_name breaks ties.
struct SortKey {
  SymbolId source;
  EdgeKind kind;
  std::uint32_t line;
  std::uint32_t col;
  SymbolId target;
  std::uint32_t index;
};

std::vector<RawEdge> sort_and_dedup(std::vector<RawEdge> edges, const std::vector<SymbolId>& ids) {
  std::vector<SortKey> keys(edges.size());
  for (std::uint32_t i = 0; i < edges.size(); ++i) {
    const RawEdge& e = edges[i];
    keys[i] = {ids[e.source], e.kind, e.line, e.col, e.target == kNone ? 0 : ids[e.target], i};
  }
  auto head = [](const SortKey& k) { return std::tie(k.source, k.kind, k.line, k.col, k.target); };
  std::sort(keys.begin(), keys.end(), [&](const SortKey& a, const SortKey& b) {
    if (head(a) != head(b)) return head(a) < head(b);
    const RawEdge& ea = edges[a.index];
    const RawEdge& eb = edges[b.index];
    if (ea.target_name != eb.target_name) return ea.target_name < eb.target_name;
    return std::tie(ea.resolution, a.index) < std::tie(eb.resolution, b.index);
  });
  std::vector<RawEdge> out;
  out.reserve(edges.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (i > 0 && head(keys[i]) == head(keys[i - 1])) {
      // Same source, target, kind and position is one edge; unresolved ones differ only by name.
      if (keys[i].target != 0) continue;
      if (edges[keys[i].index].target_name == out.back().target_name) continue;
    }
    out.push_back(std::move(edges[keys[i].index]));
  }
  return out;
}

// The input as ProjectIndex wants it: files sorted by path, one per path, ids checked.
std::vector<detail::FileRec> prepare_files(std::span<const FileInput> files, std::deque<std::vector<SymbolId>>& own_ids) {
  // Inputs without a File symbol cannot anchor anything; ids that do not match the symbols are
  // recomputed rather than trusted.
  std::vector<detail::FileRec> recs;
  recs.reserve(files.size());
  for (const FileInput& in : files) {
    if (in.parsed == nullptr || in.parsed->symbols.empty()) continue;
    const std::vector<SymbolId>* ids = in.ids;
    if (ids == nullptr || ids->size() != in.parsed->symbols.size()) {
      own_ids.push_back(assign_symbol_ids(*in.parsed));
      ids = &own_ids.back();
    }
    recs.push_back(detail::FileRec{.parsed = in.parsed, .ids = ids});
  }
  // Sorting by path makes every later step independent of the caller's order. A path given twice
  // keeps its first occurrence: its ids would collide otherwise.
  std::stable_sort(recs.begin(), recs.end(), [](const detail::FileRec& a, const detail::FileRec& b) {
    return a.parsed->path < b.parsed->path;
  });
  recs.erase(std::unique(recs.begin(), recs.end(),
                         [](const detail::FileRec& a, const detail::FileRec& b) {
                           return a.parsed->path == b.parsed->path;
                         }),
             recs.end());
  return recs;
}

std::vector<Edge> to_edges(const detail::ProjectIndex& index, std::vector<RawEdge>& raw) {
  std::vector<Edge> edges;
  edges.reserve(raw.size());
  for (RawEdge& e : raw) {
    edges.push_back(Edge{.source = index.id(e.source),
                         .target = e.target == kNone ? 0 : index.id(e.target),
                         .kind = e.kind,
                         .resolution = e.resolution,
                         .target_name = std::move(e.target_name),
                         .line = e.line,
                         .col = e.col});
  }
  return edges;
}

}  // namespace

GraphResult build_graph(std::span<const FileInput> files, const GraphOptions& options) {
  std::deque<std::vector<SymbolId>> own_ids;
  const detail::ProjectIndex index(prepare_files(files, own_ids));
  std::vector<RawEdge> raw = sort_and_dedup(detail::resolve_edges(index), index.ids());

  GraphResult result;
  result.ranks = detail::rank_symbols(index, raw, options);
  std::sort(result.ranks.begin(), result.ranks.end(),
            [](const SymbolRank& a, const SymbolRank& b) { return a.id < b.id; });
  result.edges = to_edges(index, raw);
  return result;
}

std::vector<Edge> resolve_file_edges(std::span<const FileInput> context, std::span<const std::string> focus_paths) {
  std::deque<std::vector<SymbolId>> own_ids;
  const detail::ProjectIndex index(prepare_files(context, own_ids));
  std::vector<bool> focus(index.files().size(), false);
  for (const std::string& path : focus_paths) {
    const std::uint32_t f = index.file_by_path(path);
    if (f != kNone) focus[f] = true;
  }
  std::vector<RawEdge> all = detail::resolve_edges(index, &focus);
  std::erase_if(all, [&](const RawEdge& e) { return !focus[index.file_of(e.source)]; });
  std::vector<RawEdge> raw = sort_and_dedup(std::move(all), index.ids());
  return to_edges(index, raw);
}

}  // namespace cci::graph
