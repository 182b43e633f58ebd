// graph/ranking.cpp — how much each symbol matters, from the edges that were actually resolved.
//
// Unresolved edges and contains edges carry no evidence of use, so they never feed PageRank or
// degrees. The formula is documented in docs/ranking.md; keep the two in step.
#include "graph/ranking.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>

namespace cci::graph::detail {
namespace {

float edge_weight(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::Calls: return 1.0F;
    case EdgeKind::Inherits:
    case EdgeKind::Implements: return 0.8F;
    case EdgeKind::Imports: return 0.5F;
    case EdgeKind::Contains: break;
  }
  return 0.0F;
}

bool counts(const RawEdge& e) { return e.kind != EdgeKind::Contains && e.target != kNone; }

// Smallest value still in the top 5% of `values` (at least the single largest).
std::uint32_t top_percentile_threshold(std::vector<std::uint32_t> values) {
  if (values.empty()) return 0;
  const std::size_t k = std::max<std::size_t>(1, (values.size() * 5 + 99) / 100);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k - 1), values.end(),
                   std::greater<>());
  return values[k - 1];
}

bool is_dunder(std::string_view name) { return name.size() > 4 && name.starts_with("__") && name.ends_with("__"); }

bool is_entry_file(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view n : {"__main__.py", "main.go", "main.rs", "main.c", "main.cc", "main.cpp", "main.cxx"}) {
    if (base == n) return true;
  }
  // Cargo binary targets.
  return base.ends_with(".rs") && (path.starts_with("src/bin/") || path.find("/src/bin/") != std::string_view::npos);
}

}  // namespace

std::vector<double> pagerank(std::uint32_t n, const std::vector<WeightedEdge>& edges, const GraphOptions& options) {
  if (n == 0) return {};
  const double d = std::clamp(options.damping, 0.0, 1.0);
  std::vector<double> out_weight(n, 0.0);
  std::vector<std::uint32_t> in_offset(static_cast<std::size_t>(n) + 1, 0);
  for (const WeightedEdge& e : edges) {
    out_weight[e.source] += e.weight;
    ++in_offset[e.target + 1];
  }
  for (std::uint32_t v = 0; v < n; ++v) in_offset[v + 1] += in_offset[v];
  // Pull layout (edges grouped by target): each node's new score is one contiguous sum.
  std::vector<std::uint32_t> in_source(edges.size());
  std::vector<double> in_coef(edges.size());
  {
    std::vector<std::uint32_t> fill(in_offset.begin(), in_offset.end() - 1);
    for (const WeightedEdge& e : edges) {
      const std::uint32_t slot = fill[e.target]++;
      in_source[slot] = e.source;
      in_coef[slot] = e.weight / out_weight[e.source];
    }
  }
  std::vector<std::uint32_t> dangling;
  for (std::uint32_t u = 0; u < n; ++u) {
    if (out_weight[u] <= 0.0) dangling.push_back(u);
  }
  const double inv_n = 1.0 / static_cast<double>(n);
  std::vector<double> pr(n, inv_n);
  std::vector<double> next(n);
  for (int iter = 0; iter < std::max(1, options.max_iterations); ++iter) {
    double dangling_mass = 0.0;
    for (std::uint32_t u : dangling) dangling_mass += pr[u];
    const double base = (1.0 - d) * inv_n + d * dangling_mass * inv_n;
    double diff = 0.0;
    double total = 0.0;
    for (std::uint32_t v = 0; v < n; ++v) {
      double sum = 0.0;
      for (std::uint32_t i = in_offset[v]; i < in_offset[v + 1]; ++i) sum += pr[in_source[i]] * in_coef[i];
      next[v] = base + d * sum;
      total += next[v];
    }
    // Renormalise against floating-point drift so the scores stay a distribution.
    for (std::uint32_t v = 0; v < n; ++v) {
      next[v] /= total;
      diff += std::abs(next[v] - pr[v]);
    }
    pr.swap(next);
    if (diff < options.tolerance) break;
  }
  return pr;
}

std::vector<SymbolRank> rank_symbols(const ProjectIndex& ix, const std::vector<RawEdge>& edges,
                                     const GraphOptions& options) {
  const std::uint32_t n = ix.symbol_count();
  std::vector<SymbolRank> ranks(n);
  for (std::uint32_t g = 0; g < n; ++g) ranks[g].id = ix.id(g);

  std::vector<WeightedEdge> weighted;
  weighted.reserve(edges.size());
  std::vector<std::uint8_t> cross_file_use(n, 0);   // used from another file
  std::vector<std::uint8_t> inherited(n, 0);        // has a resolved subclass/implementor
  std::vector<std::uint8_t> has_base(n, 0);         // declares any base, resolved or not
  std::unordered_set<std::string_view> unresolved_names;
  for (const RawEdge& e : edges) {
    if ((e.kind == EdgeKind::Inherits || e.kind == EdgeKind::Implements)) has_base[e.source] = 1;
    if (e.kind == EdgeKind::Calls && e.target == kNone) {
      const auto segs = split_segments(e.target_name);
      if (!segs.empty()) unresolved_names.insert(segs.back());
    }
    if (!counts(e)) continue;
    weighted.push_back({e.source, e.target, edge_weight(e.kind)});
    ++ranks[e.target].in_degree;
    ++ranks[e.source].out_degree;
    if (e.kind != EdgeKind::Imports && ix.file_of(e.source) != ix.file_of(e.target)) cross_file_use[e.target] = 1;
    if (e.kind == EdgeKind::Inherits || e.kind == EdgeKind::Implements) inherited[e.target] = 1;
  }
  const std::vector<double> pr = pagerank(n, weighted, options);

  // Importance: log-scaled PageRank and in-degree, each min-max normalised, blended 0.6/0.4.
  double log_min = 0.0;
  double log_max = 0.0;
  std::uint32_t max_in = 0;
  for (std::uint32_t g = 0; g < n; ++g) {
    const double lp = std::log(std::max(pr[g], 1e-300));
    if (g == 0 || lp < log_min) log_min = lp;
    if (g == 0 || lp > log_max) log_max = lp;
    max_in = std::max(max_in, ranks[g].in_degree);
  }
  std::vector<double> raw(n, 0.0);
  for (std::uint32_t g = 0; g < n; ++g) {
    ranks[g].pagerank = pr[g];
    const double prn = log_max > log_min ? (std::log(std::max(pr[g], 1e-300)) - log_min) / (log_max - log_min) : 0.0;
    const double inn = max_in > 0 ? std::log1p(ranks[g].in_degree) / std::log1p(max_in) : 0.0;
    double factor = 1.0;
    switch (ix.kind(g)) {
      case SymbolKind::Import: factor = 0.0; break;
      case SymbolKind::Variable:
      case SymbolKind::Constant: factor = 0.7; break;
      case SymbolKind::Module:
      case SymbolKind::Namespace: factor = 0.9; break;
      default: break;
    }
    raw[g] = (0.6 * prn + 0.4 * inn) * factor;
  }
  // A file matters as much as it is imported, or nearly as much as the most important thing in it.
  for (const FileRec& f : ix.files()) {
    double best = 0.0;
    for (std::uint32_t g = f.base + 1; g < f.end; ++g) best = std::max(best, raw[g]);
    raw[f.base] = std::max(raw[f.base], 0.9 * best);
  }
  const double max_raw = n == 0 ? 0.0 : *std::max_element(raw.begin(), raw.end());
  for (std::uint32_t g = 0; g < n; ++g) {
    ranks[g].importance = max_raw > 0.0 ? std::clamp(raw[g] / max_raw, 0.0, 1.0) : 0.0;
  }
  // Exactly 1.0 at the top, free of division rounding.
  if (max_raw > 0.0) {
    for (std::uint32_t g = 0; g < n; ++g) {
      if (raw[g] == max_raw) ranks[g].importance = 1.0;
    }
  }

  // Tags.
  std::vector<std::uint32_t> used_values;
  std::vector<std::uint32_t> out_values;
  for (std::uint32_t g = 0; g < n; ++g) {
    const SymbolKind k = ix.kind(g);
    if (is_callable_kind(k) || is_type_kind(k)) used_values.push_back(ranks[g].in_degree);
    if (is_callable_kind(k) || ix.is_file_symbol(g)) out_values.push_back(ranks[g].out_degree);
  }
  const std::uint32_t used_threshold = std::max<std::uint32_t>(3, top_percentile_threshold(std::move(used_values)));
  const std::uint32_t hub_threshold = std::max<std::uint32_t>(10, top_percentile_threshold(std::move(out_values)));

  for (const FileRec& f : ix.files()) {
    const bool test_file = is_test_path(f.parsed->path);
    const bool entry_file = is_entry_file(f.parsed->path);
    for (std::uint32_t g = f.base; g < f.end; ++g) {
      const Symbol& s = ix.symbol(g);
      const SymbolKind k = s.kind;
      SymbolRank& r = ranks[g];
      const bool is_file = g == f.base;
      const bool callable = is_callable_kind(k);

      bool test = test_file;
      // Rust unit tests live in `mod tests` inside ordinary files.
      for (std::uint32_t p = ix.parent(g); !test && p != kNone && !ix.is_file_symbol(p); p = ix.parent(p)) {
        const Symbol& ps = ix.symbol(p);
        test = ps.kind == SymbolKind::Module && (ps.name == "tests" || ps.name == "test");
      }
      bool entry = is_file && entry_file;
      if (callable && s.name == "main" && (ix.is_top_level(g) || ix.file(ix.file_of(g)).family == Family::Java)) {
        entry = ix.file(ix.file_of(g)).family != Family::Java || s.signature.empty() ||
                s.signature.find("static") != std::string::npos;
      }
      if (entry) r.tags.emplace_back(kTagEntryPoint);
      if (test) r.tags.emplace_back(kTagTest);
      if (s.exported && !is_file && k != SymbolKind::Import && cross_file_use[g]) r.tags.emplace_back(kTagPublicApi);
      if ((callable || is_type_kind(k)) && r.in_degree >= used_threshold) r.tags.emplace_back(kTagHighlyUsed);
      if (callable && r.in_degree == 0 && !s.exported && !entry && !test && !is_dunder(s.name) &&
          !unresolved_names.contains(s.name)) {
        // Methods of a class with bases may be overrides reached by dynamic dispatch; constructors
        // are reached through their type.
        const std::uint32_t p = ix.parent(g);
        const bool owner_type = p != kNone && !ix.is_file_symbol(p) && is_type_kind(ix.kind(p));
        const bool override_like = owner_type && has_base[p];
        const bool ctor = s.name == "constructor" || s.name == "new" ||
                          (owner_type && ix.symbol(p).name == s.name);
        if (!override_like && !ctor) r.tags.emplace_back(kTagUnused);
      }
      if (is_type_kind(k) && inherited[g]) r.tags.emplace_back(kTagBaseClass);
      if ((callable || is_file) && r.out_degree >= hub_threshold) r.tags.emplace_back(kTagHub);
      std::sort(r.tags.begin(), r.tags.end());
    }
  }
  return ranks;
}

}  // namespace cci::graph::detail
