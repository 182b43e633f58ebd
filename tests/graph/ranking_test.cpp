// tests/graph/ranking_test.cpp — PageRank, degrees, importance and tags.
#include "graph/ranking.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "graph_fixture.h"

namespace cci::graph {
namespace {

using testing::has_tag;
using testing::Project;
using testing::rank_of;

constexpr auto kPy = Language::Python;

// core.py: `hot` called from many places, `Cold` an unused class, `_private` an unused helper.
Project usage_project() {
  Project p;
  auto& core = p.file("app/core.py", kPy, "app.core");
  Project::add(core, SymbolKind::Function, "hot", "app.core.hot");
  Project::add(core, SymbolKind::Class, "Cold", "app.core.Cold");
  Project::add(core, SymbolKind::Function, "_private", "app.core._private", -1, false);
  const int base = Project::add(core, SymbolKind::Class, "Base", "app.core.Base");
  Project::add(core, SymbolKind::Method, "_hook", "app.core.Base._hook", base, false);
  for (int i = 0; i < 8; ++i) {
    const std::string mod = "app.user" + std::to_string(i);
    auto& u = p.file("app/user" + std::to_string(i) + ".py", kPy, mod);
    const int fn = Project::add(u, SymbolKind::Function, "use" + std::to_string(i), mod + ".use" + std::to_string(i));
    Project::import(u, Import{.module = "app.core", .names = {{.name = "hot"}, {.name = "Base"}}});
    Project::call(u, fn, "hot");
    Project::call(u, fn, "hot");
    if (i < 2) {
      const int sub = Project::add(u, SymbolKind::Class, "Sub" + std::to_string(i), mod + ".Sub" + std::to_string(i));
      Project::inherit(u, sub, "Base");
    }
  }
  return p;
}

TEST(Ranking, PageRankIsADistribution) {
  Project p = usage_project();
  const GraphResult r = p.build();
  double sum = 0.0;
  for (const SymbolRank& s : r.ranks) {
    EXPECT_GT(s.pagerank, 0.0);
    sum += s.pagerank;
  }
  EXPECT_NEAR(sum, 1.0, 1e-9);
}

TEST(Ranking, PageRankHandlesDanglingNodesAndCycles) {
  // 0 → 1 → 2 → 0 cycle plus dangling node 3 pointed to by 0.
  const std::vector<detail::WeightedEdge> edges{{0, 1, 1.0F}, {1, 2, 1.0F}, {2, 0, 1.0F}, {0, 3, 1.0F}};
  const auto pr = detail::pagerank(4, edges, GraphOptions{.max_iterations = 200, .tolerance = 1e-12});
  ASSERT_EQ(pr.size(), 4U);
  EXPECT_NEAR(std::accumulate(pr.begin(), pr.end(), 0.0), 1.0, 1e-12);
  EXPECT_GT(pr[1], 0.0);
  EXPECT_GT(pr[0], pr[2] * 0.99);  // 0 gets 2's full vote plus the dangling share
  EXPECT_TRUE(detail::pagerank(0, {}, {}).empty());
}

TEST(Ranking, HeavilyCalledFunctionOutranksUnusedClass) {
  Project p = usage_project();
  const GraphResult r = p.build();
  const SymbolRank hot = rank_of(r, p.id("app/core.py", "app.core.hot"));
  const SymbolRank cold = rank_of(r, p.id("app/core.py", "app.core.Cold"));
  EXPECT_EQ(hot.in_degree, 16U);  // every resolved call site counts
  EXPECT_EQ(cold.in_degree, 0U);
  EXPECT_GT(hot.pagerank, cold.pagerank);
  EXPECT_GT(hot.importance, cold.importance);
  EXPECT_DOUBLE_EQ(hot.importance, 1.0);
  const SymbolRank user = rank_of(r, p.id("app/user0.py", "app.user0.use0"));
  EXPECT_EQ(user.out_degree, 2U);
}

TEST(Ranking, ImportanceIsNormalised) {
  Project p = usage_project();
  const GraphResult r = p.build();
  double max = 0.0;
  for (const SymbolRank& s : r.ranks) {
    EXPECT_GE(s.importance, 0.0);
    EXPECT_LE(s.importance, 1.0);
    max = std::max(max, s.importance);
  }
  EXPECT_EQ(max, 1.0);
  // The imported file is ranked above a file nobody imports.
  EXPECT_GT(rank_of(r, p.id("app/core.py")).importance, rank_of(r, p.id("app/user3.py")).importance);
}

TEST(Ranking, UsageTags) {
  Project p = usage_project();
  const GraphResult r = p.build();
  const SymbolId hot = p.id("app/core.py", "app.core.hot");
  EXPECT_TRUE(has_tag(r, hot, kTagHighlyUsed));
  EXPECT_TRUE(has_tag(r, hot, kTagPublicApi));
  EXPECT_FALSE(has_tag(r, hot, kTagUnused));
  EXPECT_TRUE(has_tag(r, p.id("app/core.py", "app.core._private"), kTagUnused));
  // Exported but uncalled: maybe used from outside the project, not "unused".
  EXPECT_FALSE(has_tag(r, p.id("app/user0.py", "app.user0.use0"), kTagUnused));
  EXPECT_FALSE(has_tag(r, p.id("app/core.py", "app.core.Cold"), kTagHighlyUsed));
  const SymbolId base = p.id("app/core.py", "app.core.Base");
  EXPECT_TRUE(has_tag(r, base, kTagBaseClass));
  EXPECT_FALSE(has_tag(r, p.id("app/core.py", "app.core.Cold"), kTagBaseClass));
  for (const SymbolRank& s : r.ranks) EXPECT_TRUE(std::is_sorted(s.tags.begin(), s.tags.end()));
}

TEST(Ranking, UnusedIsConservative) {
  Project p;
  auto& a = p.file("a.py", kPy, "a");
  const int cls = Project::add(a, SymbolKind::Class, "Thing", "a.Thing");
  Project::add(a, SymbolKind::Method, "__repr__", "a.Thing.__repr__", cls, false);
  Project::add(a, SymbolKind::Function, "_dyn", "a._dyn", -1, false);
  Project::add(a, SymbolKind::Function, "_dyn", "a.b._dyn", -1, false);
  Project::add(a, SymbolKind::Function, "_dead", "a._dead", -1, false);
  auto& b = p.file("b.py", kPy, "b");
  Project::add(b, SymbolKind::Function, "_dyn", "b._dyn", -1, false);
  Project::call(b, -1, "_dyn", "obj");  // ambiguous: any _dyn may be the callee
  const GraphResult r = p.build();
  EXPECT_FALSE(has_tag(r, p.id("a.py", "a.Thing.__repr__"), kTagUnused));
  EXPECT_FALSE(has_tag(r, p.id("a.py", "a._dyn"), kTagUnused));
  EXPECT_TRUE(has_tag(r, p.id("a.py", "a._dead"), kTagUnused));
  EXPECT_FALSE(has_tag(r, p.id("a.py", "a.Thing"), kTagUnused));  // types are never "unused"
}

TEST(Ranking, TestAndEntryPointTags) {
  Project p;
  auto& t = p.file("tests/test_core.py", kPy, "tests.test_core");
  Project::add(t, SymbolKind::Function, "test_hot", "tests.test_core.test_hot", -1, false);
  auto& g = p.file("pkg/core_test.go", Language::Go, "pkg");
  Project::add(g, SymbolKind::Function, "TestX", "pkg.TestX");
  auto& j = p.file("src/FooTest.java", Language::Java, "x");
  Project::add(j, SymbolKind::Class, "FooTest", "x.FooTest");
  auto& ts = p.file("web/app.test.ts", Language::TypeScript, "web/app.test");
  Project::add(ts, SymbolKind::Function, "it_works", "web/app.test.it_works");
  auto& m = p.file("cmd/tool/main.go", Language::Go, "main");
  Project::add(m, SymbolKind::Function, "main", "main.main");
  auto& c = p.file("src/prog.c", Language::C);
  Project::add(c, SymbolKind::Function, "main", "main");
  auto& jm = p.file("src/App.java", Language::Java, "x");
  const int app = Project::add(jm, SymbolKind::Class, "App", "x.App");
  Project::add(jm, SymbolKind::Method, "main", "x.App.main", app, true, "public static void main(String[] args)");
  auto& py = p.file("pkg/__main__.py", kPy, "pkg.__main__");
  Project::add(py, SymbolKind::Function, "cli", "pkg.__main__.cli");
  auto& rs = p.file("src/lib.rs", Language::Rust, "crate");
  const int tests_mod = Project::add(rs, SymbolKind::Module, "tests", "crate::tests");
  Project::add(rs, SymbolKind::Function, "it_parses", "crate::tests::it_parses", tests_mod, false);
  Project::add(rs, SymbolKind::Function, "parse", "crate::parse");
  const GraphResult r = p.build();

  EXPECT_TRUE(has_tag(r, p.id("tests/test_core.py", "tests.test_core.test_hot"), kTagTest));
  EXPECT_FALSE(has_tag(r, p.id("tests/test_core.py", "tests.test_core.test_hot"), kTagUnused));
  EXPECT_TRUE(has_tag(r, p.id("pkg/core_test.go", "pkg.TestX"), kTagTest));
  EXPECT_TRUE(has_tag(r, p.id("src/FooTest.java", "x.FooTest"), kTagTest));
  EXPECT_TRUE(has_tag(r, p.id("web/app.test.ts", "web/app.test.it_works"), kTagTest));
  EXPECT_TRUE(has_tag(r, p.id("src/lib.rs", "crate::tests::it_parses"), kTagTest));
  EXPECT_FALSE(has_tag(r, p.id("src/lib.rs", "crate::parse"), kTagTest));
  EXPECT_FALSE(has_tag(r, p.id("src/prog.c", "main"), kTagTest));

  EXPECT_TRUE(has_tag(r, p.id("cmd/tool/main.go", "main.main"), kTagEntryPoint));
  EXPECT_TRUE(has_tag(r, p.id("cmd/tool/main.go"), kTagEntryPoint));
  EXPECT_TRUE(has_tag(r, p.id("src/prog.c", "main"), kTagEntryPoint));
  EXPECT_TRUE(has_tag(r, p.id("src/App.java", "x.App.main"), kTagEntryPoint));
  EXPECT_TRUE(has_tag(r, p.id("pkg/__main__.py"), kTagEntryPoint));
  EXPECT_FALSE(has_tag(r, p.id("src/lib.rs", "crate::parse"), kTagEntryPoint));
}

TEST(Ranking, HubTag) {
  Project p;
  auto& a = p.file("lib.py", kPy, "lib");
  for (int i = 0; i < 12; ++i) Project::add(a, SymbolKind::Function, "f" + std::to_string(i), "lib.f" + std::to_string(i));
  auto& b = p.file("app.py", kPy, "app");
  const int hub = Project::add(b, SymbolKind::Function, "orchestrate", "app.orchestrate");
  const int small = Project::add(b, SymbolKind::Function, "small", "app.small");
  for (int i = 0; i < 12; ++i) Project::call(b, hub, "f" + std::to_string(i));
  Project::call(b, small, "f0");
  const GraphResult r = p.build();
  EXPECT_TRUE(has_tag(r, p.id("app.py", "app.orchestrate"), kTagHub));
  EXPECT_FALSE(has_tag(r, p.id("app.py", "app.small"), kTagHub));
  EXPECT_EQ(rank_of(r, p.id("app.py", "app.orchestrate")).out_degree, 12U);
}

// Synthetic scale check: 1M symbols / 3M call edges through the full pipeline must stay fast.
// Runs only when CCI_GRAPH_BENCH is set; the unit suite keeps a small version always on.
void run_scale(std::size_t files, std::size_t funcs_per_file, std::size_t calls_per_func, bool report) {
  std::vector<ParsedFile> parsed(files);
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick_file(0, files - 1);
  std::uniform_int_distribution<std::size_t> pick_fn(0, funcs_per_file - 1);
  for (std::size_t f = 0; f < files; ++f) {
    ParsedFile& pf = parsed[f];
    pf.language = Language::Python;
    pf.path = "pkg/m" + std::to_string(f) + ".py";
    pf.module_name = "pkg.m" + std::to_string(f);
    pf.symbols.push_back(Symbol{.kind = SymbolKind::File, .name = pf.path, .qualified_name = pf.path});
    for (std::size_t i = 0; i < funcs_per_file; ++i) {
      const std::string name = "f" + std::to_string(f) + "_" + std::to_string(i);
      pf.symbols.push_back(Symbol{.kind = SymbolKind::Function, .name = name, .qualified_name = pf.module_name + "." + name});
    }
    for (std::size_t i = 0; i < funcs_per_file; ++i) {
      for (std::size_t c = 0; c < calls_per_func; ++c) {
        const std::size_t tf = pick_file(rng);
        pf.references.push_back(Reference{.name = "f" + std::to_string(tf) + "_" + std::to_string(pick_fn(rng)),
                                          .from = static_cast<std::int32_t>(i + 1),
                                          .line = static_cast<std::uint32_t>(c + 1)});
      }
    }
  }
  std::vector<std::vector<SymbolId>> ids;
  ids.reserve(files);
  for (const ParsedFile& pf : parsed) ids.push_back(assign_symbol_ids(pf));
  std::vector<FileInput> inputs;
  for (std::size_t f = 0; f < files; ++f) inputs.push_back({&parsed[f], &ids[f]});
  const auto start = std::chrono::steady_clock::now();
  const GraphResult r = build_graph(inputs);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::size_t resolved = 0;
  for (const Edge& e : r.edges) resolved += e.kind == EdgeKind::Calls && e.target != 0 ? 1 : 0;
  EXPECT_EQ(r.ranks.size(), files * (funcs_per_file + 1));
  EXPECT_EQ(resolved, files * funcs_per_file * calls_per_func);
  if (report) {
    std::printf("build_graph: %zu symbols, %zu edges in %.2f s\n", r.ranks.size(), r.edges.size(), secs);
  }
}

TEST(Ranking, ScalesToManySymbols) { run_scale(200, 50, 3, false); }

TEST(Ranking, ScaleBenchmark) {
  if (std::getenv("CCI_GRAPH_BENCH") == nullptr) GTEST_SKIP() << "set CCI_GRAPH_BENCH=1 to run";
  run_scale(std::getenv("CCI_GRAPH_BENCH_FILES") ? std::stoul(std::getenv("CCI_GRAPH_BENCH_FILES")) : 20000, 50, 3, true);  // ~1M symbols, 3M call edges, 1M contains edges
}

}  // namespace
}  // namespace cci::graph
