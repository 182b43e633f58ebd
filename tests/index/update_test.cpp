// index::update_paths — the watcher's fast path — against the full indexer on real temporary
// repositories: after each batch of changes the index must equal a fresh full index (exactly in
// exact mode; edges, symbols and degrees exactly, with ranks carried over, in delta mode).
#include <gtest/gtest.h>

#include <regex>

#include "index/indexer.h"
#include "store/index_store.h"
#include "temp_dir.h"

namespace cci {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string> kRepo = {
    {"pkg/__init__.py", "from .core import Engine\n"},
    {"pkg/core.py",
     "from .util import helper, parse_http_request\n\n\n"
     "class Base:\n    def run(self):\n        return self.step()\n\n    def step(self):\n        return helper(1)\n\n\n"
     "class Engine(Base):\n    def step(self):\n        return parse_http_request('x')\n"},
    {"pkg/util.py",
     "def helper(x):\n    return x + 1\n\n\ndef parse_http_request(text):\n    return helper(len(text))\n"},
    {"pkg/orphan.py", "def caller():\n    return later_defined()\n"},
    {"web/app.js", "import { render } from './view.js';\n\nexport function main() {\n  return render(42);\n}\n"},
    {"web/view.js", "export function render(x) {\n  return String(x);\n}\n"},
    {"native/lib.c", "#include \"lib.h\"\n\nint add(int a, int b) { return a + b; }\n\nint twice(int a) { return add(a, a); }\n"},
    {"native/lib.h", "int add(int a, int b);\nint twice(int a);\n"},
    {"native/main.c", "#include \"lib.h\"\n\nint main(void) { return twice(2); }\n"},
};

// Every file path in an index, sorted.
std::vector<std::string> indexed_paths(const fs::path& db_path) {
  auto db = store::IndexStore::open(db_path, store::OpenMode::ReadOnly);
  EXPECT_TRUE(db.has_value());
  if (!db) return {};
  auto files = (*db)->files();
  EXPECT_TRUE(files.has_value());
  std::vector<std::string> paths;
  for (const auto& f : files.value_or(std::vector<store::FileRecord>{})) paths.push_back(f.path);
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Delta mode carries PageRank, importance and tags over; everything else must match.
std::string without_ranks(const std::string& dump) {
  static const std::regex ranks(R"( pr=\S+ imp=\S+)");
  static const std::regex tags(R"( tags=\S*)");
  return std::regex_replace(std::regex_replace(dump, ranks, ""), tags, "");
}

class UpdatePathsTest : public ::testing::TestWithParam<bool> {
 protected:
  testing::TempDir repo_;
  testing::TempDir home_;

  bool exact() const { return GetParam(); }

  index::IndexOptions options(const fs::path& data_dir) const {
    index::IndexOptions o;
    o.data_dir = data_dir;
    o.workers = 2;
    o.exact_graph_max_symbols = exact() ? 1'000'000 : 0;
    return o;
  }

  fs::path live_data() const { return home_.path() / "live"; }

  std::string dump(const fs::path& db_path) {
    auto db = store::IndexStore::open(db_path, store::OpenMode::ReadOnly);
    EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().describe());
    if (!db) return {};
    auto text = index::dump_index(**db);
    EXPECT_TRUE(text.has_value());
    return text.value_or("");
  }

  // Applies `paths` with update_paths, then checks the result against a fresh full index.
  index::IndexReport apply_and_compare(const std::vector<std::string>& paths, int round) {
    auto updated = index::update_paths(repo_.path(), paths, options(live_data()));
    EXPECT_TRUE(updated.has_value()) << updated.error().describe();
    if (!updated) return {};
    EXPECT_EQ(updated->graph_exact, exact());
    auto full = index::index_project(repo_.path(), options(home_.path() / ("full" + std::to_string(round))));
    EXPECT_TRUE(full.has_value()) << full.error().describe();
    if (!full) return *updated;
    const std::string a = dump(updated->db_path);
    const std::string b = dump(full->db_path);
    EXPECT_FALSE(a.empty());
    {
      // The FTS index agrees with the symbols it was updated from (rows kept, rewritten, dropped).
      auto db = store::IndexStore::open(updated->db_path, store::OpenMode::ReadWrite);
      EXPECT_TRUE(db.has_value());
      if (db) {
        auto ok = (*db)->integrity_check();
        EXPECT_TRUE(ok.has_value()) << ok.error().describe();
        // Every symbol is found by its own name, and only where it still exists.
        auto live_hits = (*db)->search_symbols({.fts_query = "assist OR helper OR later_defined OR more"});
        auto full_db = store::IndexStore::open(full->db_path, store::OpenMode::ReadOnly);
        EXPECT_TRUE(live_hits.has_value() && full_db.has_value());
        if (live_hits && full_db) {
          auto full_hits = (*full_db)->search_symbols({.fts_query = "assist OR helper OR later_defined OR more"});
          EXPECT_TRUE(full_hits.has_value());
          std::vector<SymbolId> x, y;
          for (const auto& h : *live_hits) x.push_back(h.symbol.id);
          for (const auto& h : full_hits.value_or(std::vector<store::SymbolHit>{})) y.push_back(h.symbol.id);
          std::sort(x.begin(), x.end());
          std::sort(y.begin(), y.end());
          EXPECT_EQ(x, y);
        }
      }
    }
    if (exact()) {
      EXPECT_EQ(a, b);
    } else {
      EXPECT_EQ(without_ranks(a), without_ranks(b));
    }
    EXPECT_EQ(updated->files_total, full->files_total);
    EXPECT_EQ(updated->symbols, full->symbols);
    EXPECT_EQ(updated->edges, full->edges);
    EXPECT_EQ(updated->unresolved_references, full->unresolved_references);
    EXPECT_EQ(updated->edges_by_kind, full->edges_by_kind);
    return *updated;
  }
};

TEST_P(UpdatePathsTest, EveryKindOfChangeMatchesAFullIndex) {
  repo_.write_all(kRepo);
  auto first = index::index_project(repo_.path(), options(live_data()));
  ASSERT_TRUE(first.has_value()) << first.error().describe();

  // Rename a function: its callers elsewhere lose their edge, the new name is indexed.
  repo_.write("pkg/util.py",
              "def assist(x):\n    return x + 1\n\n\ndef parse_http_request(text):\n    return assist(len(text))\n");
  auto r1 = apply_and_compare({"pkg/util.py"}, 1);
  EXPECT_EQ(r1.files_parsed, 1u);
  EXPECT_GE(r1.files_reresolved, 1u);  // core.py called helper()
  EXPECT_EQ(r1.generation, first->generation + 1);

  // A definition appears that an unresolved call elsewhere was waiting for.
  repo_.write("pkg/late.py", "def later_defined():\n    return 1\n");
  apply_and_compare({"pkg/late.py"}, 2);

  // Delete a file others import; rename a file; a directory created and filled.
  repo_.remove("web/view.js");
  fs::rename(repo_.path() / "native/lib.c", repo_.path() / "native/impl.c");
  repo_.write("extra/deep/more.py", "from pkg.util import assist\n\n\ndef more():\n    return assist(2)\n");
  apply_and_compare({"web/view.js", "native/lib.c", "native/impl.c", "extra"}, 3);

  // A file becomes binary; a directory is deleted.
  repo_.write("pkg/late.py", std::string("def later_defined():\n\0\0\0 binary now\n", 36));
  fs::remove_all(repo_.path() / "extra");
  auto r4 = apply_and_compare({"pkg/late.py", "extra"}, 4);
  EXPECT_EQ(r4.files_removed, 2u);
  bool skipped_binary = false;
  for (const auto& s : r4.skipped) skipped_binary |= s.path == "pkg/late.py" && s.reason == "binary";
  EXPECT_TRUE(skipped_binary);

  // An ignored path is never indexed.
  repo_.write(".gitignore", "generated/\n");
  repo_.write("generated/out.py", "def generated():\n    pass\n");
  apply_and_compare({"generated/out.py"}, 5);
}

TEST_P(UpdatePathsTest, UnchangedContentDoesNotBumpTheGeneration) {
  repo_.write_all(kRepo);
  auto first = index::index_project(repo_.path(), options(live_data()));
  ASSERT_TRUE(first.has_value());
  repo_.write("pkg/util.py", kRepo.at("pkg/util.py"));  // same bytes, new mtime
  auto touched = index::update_paths(repo_.path(), {"pkg/util.py", "no/such/file.py"}, options(live_data()));
  ASSERT_TRUE(touched.has_value()) << touched.error().describe();
  EXPECT_EQ(touched->files_parsed, 0u);
  EXPECT_EQ(touched->files_unchanged, 1u);
  EXPECT_EQ(touched->generation, first->generation);
}

// A definition that hundreds of files call goes away: the callers are not re-resolved one by one.
// A large project unbinds their edges (what a full index says too); a small one takes an exact
// whole-graph pass.
TEST_P(UpdatePathsTest, ADefinitionManyFilesCallIsRemovedWithoutVisitingThemAll) {
  repo_.write("lib/shared.py", "def shared():\n    return 1\n");
  for (int i = 0; i < 320; ++i)
    repo_.write("users/u" + std::to_string(i) + ".py",
                "from lib.shared import shared\n\n\ndef use" + std::to_string(i) + "():\n    return shared()\n");
  auto first = index::index_project(repo_.path(), options(live_data()));
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  repo_.write("lib/shared.py", "def renamed():\n    return 1\n");
  auto updated = apply_and_compare({"lib/shared.py"}, 1);
  EXPECT_EQ(updated.files_reresolved, 0u);
  EXPECT_EQ(updated.files_parsed, 1u);
}

// The watcher's reconcile pass: a whole-tree scan whose findings go through update_paths.
TEST_P(UpdatePathsTest, DeltaReconcileFindsEveryChangeWithoutBeingTold) {
  repo_.write_all(kRepo);
  ASSERT_TRUE(index::index_project(repo_.path(), options(live_data())).has_value());
  repo_.write("pkg/util.py",
              "def assist(x):\n    return x + 1\n\n\ndef parse_http_request(text):\n    return assist(len(text))\n");
  repo_.remove("web/view.js");
  repo_.write("pkg/late.py", "def later_defined():\n    return 1\n");
  index::IndexOptions reconcile = options(live_data());
  reconcile.delta_reconcile = true;
  auto updated = index::index_project(repo_.path(), reconcile);
  ASSERT_TRUE(updated.has_value()) << updated.error().describe();
  EXPECT_EQ(updated->files_parsed, 2u);
  EXPECT_EQ(updated->files_removed, 1u);
  EXPECT_EQ(updated->graph_exact, exact());
  auto full = index::index_project(repo_.path(), options(home_.path() / "full"));
  ASSERT_TRUE(full.has_value());
  if (exact()) {
    EXPECT_EQ(dump(updated->db_path), dump(full->db_path));
  } else {
    EXPECT_EQ(without_ranks(dump(updated->db_path)), without_ranks(dump(full->db_path)));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, UpdatePathsTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& param_info) { return param_info.param ? "Exact" : "Delta"; });

TEST(UpdatePaths, NeedsAnExistingIndex) {
  testing::TempDir repo;
  testing::TempDir home;
  repo.write("a.py", "def f():\n    pass\n");
  index::IndexOptions o;
  o.data_dir = home.path();
  auto result = index::update_paths(repo.path(), {"a.py"}, o);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::NotFound);
}

TEST(UpdatePaths, ExcludesGivenOnceAreRememberedByLaterRuns) {
  testing::TempDir repo;
  testing::TempDir home;
  repo.write("a.py", "def f():\n    pass\n");
  repo.write("vendor/lib.py", "def vendored():\n    pass\n");
  index::IndexOptions o;
  o.data_dir = home.path();
  o.scan.extra_excludes = {"vendor/"};
  auto first = index::index_project(repo.path(), o);
  ASSERT_TRUE(first.has_value()) << first.error().describe();
  EXPECT_EQ(first->files_total, 1u);

  // Later runs without the option (the daemon's watcher and reconcile passes) keep it.
  index::IndexOptions plain;
  plain.data_dir = home.path();
  repo.write("vendor/more.py", "def more():\n    pass\n");
  auto updated = index::update_paths(repo.path(), {"vendor/more.py", "vendor"}, plain);
  ASSERT_TRUE(updated.has_value()) << updated.error().describe();
  EXPECT_EQ(updated->files_total, 1u);
  auto again = index::index_project(repo.path(), plain);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->files_total, 1u);

  // A list of only empty patterns clears it.
  index::IndexOptions cleared = plain;
  cleared.scan.extra_excludes = {""};
  auto all = index::index_project(repo.path(), cleared);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->files_total, 3u);
}

TEST(UpdatePaths, SkipListChangesAreAnsweredWithANewGeneration) {
  testing::TempDir repo;
  testing::TempDir home;
  repo.write("a.py", "def f():\n    pass\n");
  index::IndexOptions o;
  o.data_dir = home.path();
  auto first = index::index_project(repo.path(), o);
  ASSERT_TRUE(first.has_value());
  // A binary file where none was: nothing to index, but the skip list (an answer) changed.
  repo.write("blobs/data.py", std::string("\0\0\0binary", 9));
  auto skipped = index::update_paths(repo.path(), {"blobs"}, o);
  ASSERT_TRUE(skipped.has_value()) << skipped.error().describe();
  EXPECT_EQ(skipped->generation, first->generation + 1);
  ASSERT_EQ(skipped->skipped.size(), 1u);
  EXPECT_EQ(skipped->skipped[0].path, "blobs/data.py");
  // The directory goes: so does its skip entry.
  fs::remove_all(repo.path() / "blobs");
  auto gone = index::update_paths(repo.path(), {"blobs"}, o);
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(gone->skipped.empty());
  EXPECT_EQ(gone->generation, first->generation + 2);
}

TEST(UpdatePaths, SymlinksInANewDirectoryKeepTheirOwnPath) {
  testing::TempDir repo;
  testing::TempDir home;
  repo.write("a.py", "def f():\n    pass\n");
  index::IndexOptions o;
  o.data_dir = home.path();
  ASSERT_TRUE(index::index_project(repo.path(), o).has_value());
  repo.write("lib/real.py", "def real():\n    pass\n");
  fs::create_directories(repo.path() / "alias");
  fs::create_symlink(repo.path() / "lib/real.py", repo.path() / "alias/link.py");
  auto updated = index::update_paths(repo.path(), {"lib", "alias"}, o);
  ASSERT_TRUE(updated.has_value()) << updated.error().describe();
  auto full = index::index_project(repo.path(), [&] {
    index::IndexOptions f = o;
    f.data_dir = home.path() / "full";
    return f;
  }());
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(updated->files_total, full->files_total);
  EXPECT_EQ(indexed_paths(updated->db_path), indexed_paths(full->db_path));
}

TEST(UpdatePaths, PathsOutsideTheRootAreIgnored) {
  testing::TempDir repo;
  testing::TempDir home;
  repo.write("a.py", "def f():\n    pass\n");
  index::IndexOptions o;
  o.data_dir = home.path();
  ASSERT_TRUE(index::index_project(repo.path(), o).has_value());
  auto result = index::update_paths(repo.path(), {"../etc/passwd", "/etc/passwd"}, o);
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(result->files_parsed, 0u);
  EXPECT_EQ(result->files_total, 1u);
}

}  // namespace
}  // namespace cci
