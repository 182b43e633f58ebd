// SearchIndexes: an index is handed out only for the exact state it was built from, builds run in
// the background, a changed index is rebuilt (no sooner than the rebuild interval), and the
// least recently searched projects' indexes are dropped beyond the bound.
#include "mcp/search_indexes.h"

#include <gtest/gtest.h>

#include "index/indexer.h"
#include "search/searcher.h"
#include "temp_dir.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class SearchIndexesTest : public ::testing::Test {
 protected:
  fs::path data_dir() const { return home_.path() / "data"; }

  store::ProjectRecord index_repo(const testing::TempDir& repo) {
    index::IndexOptions options;
    options.data_dir = data_dir();
    auto report = index::index_project(repo.path(), options);
    EXPECT_TRUE(report.has_value()) << report.error().describe();
    auto project = service_->resolve(repo.path());
    EXPECT_TRUE(project.has_value());
    return project.value_or(store::ProjectRecord{});
  }

  IndexState state_of(const store::ProjectRecord& project) {
    auto opened = service_->open_identified(project);
    EXPECT_TRUE(opened.has_value());
    if (!opened) return {};
    auto generation = opened->store->meta("generation");
    auto indexed_at = opened->store->meta("indexed_at");
    return {opened->device, opened->inode, generation.value_or(std::nullopt).value_or(""),
            indexed_at.value_or(std::nullopt).value_or("")};
  }

  // get() until the index for `state` is there (it is built in the background).
  std::shared_ptr<const search::SymbolIndex> wait_for(SearchIndexes& indexes, const store::ProjectRecord& project,
                                                      const IndexState& state) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto index = indexes.get(project, state)) return index;
      indexes.wait_idle(1s);
      std::this_thread::sleep_for(5ms);  // the rebuild interval may still be running
    }
    return nullptr;
  }

  testing::TempDir home_;
  std::shared_ptr<ProjectService> service_ = std::make_shared<ProjectService>(home_.path() / "data");
};

TEST_F(SearchIndexesTest, HandsOutAnIndexOnlyForTheStateItWasBuiltFrom) {
  testing::TempDir repo;
  repo.write_all({{"app.py", "def first_function():\n    pass\n"}});
  const auto project = index_repo(repo);
  SearchIndexes indexes(service_, {.max_projects = 4, .min_rebuild_interval = 0ms});
  const IndexState before = state_of(project);
  EXPECT_EQ(indexes.get(project, before), nullptr);  // not built yet: the caller uses SQL
  auto index = wait_for(indexes, project, before);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(index->generation(), before.generation);
  ASSERT_EQ(indexes.info().size(), 1u);
  EXPECT_TRUE(indexes.info()[0].current);

  // A new generation: the old index is not handed out for it; the rebuilt one finds the change.
  repo.write_all({{"app.py", "def second_function():\n    pass\n"}});
  index_repo(repo);
  const IndexState after = state_of(project);
  ASSERT_NE(after.generation, before.generation);
  EXPECT_EQ(indexes.get(project, after), nullptr);
  EXPECT_FALSE(indexes.info()[0].current);
  auto rebuilt = wait_for(indexes, project, after);
  ASSERT_NE(rebuilt, nullptr);
  auto db = service_->open(project);
  ASSERT_TRUE(db.has_value());
  search::Searcher searcher(**db, rebuilt.get());
  auto found = searcher.search({{"second_function"}, search::MatchMode::Any, {}, 5, 0});
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->from_memory);
  ASSERT_EQ(found->hits.size(), 1u);
  EXPECT_EQ(found->hits[0].symbol.name, "second_function");
  EXPECT_TRUE(searcher.search({{"first_function"}, search::MatchMode::Any, {}, 5, 0})->hits.empty());

  EXPECT_EQ(indexes.clear(), 1u);
  EXPECT_TRUE(indexes.info().empty());
}

TEST_F(SearchIndexesTest, RebuildsNoSoonerThanTheInterval) {
  testing::TempDir repo;
  repo.write_all({{"a.py", "def alpha():\n    pass\n"}});
  const auto project = index_repo(repo);
  SearchIndexes indexes(service_, {.max_projects = 4, .min_rebuild_interval = 1h});
  ASSERT_NE(wait_for(indexes, project, state_of(project)), nullptr);
  repo.write_all({{"a.py", "def beta():\n    pass\n"}});
  index_repo(repo);
  const IndexState changed = state_of(project);
  EXPECT_EQ(indexes.get(project, changed), nullptr);
  ASSERT_TRUE(indexes.wait_idle(5s));
  EXPECT_EQ(indexes.get(project, changed), nullptr);  // still within the interval: SQL answers
  EXPECT_FALSE(indexes.info()[0].building);
  EXPECT_EQ(indexes.info()[0].builds, 1u);
}

TEST_F(SearchIndexesTest, KeepsTheMostRecentlySearchedProjects) {
  testing::TempDir a, b, c;
  a.write_all({{"a.py", "def alpha():\n    pass\n"}});
  b.write_all({{"b.py", "def beta():\n    pass\n"}});
  c.write_all({{"c.py", "def gamma():\n    pass\n"}});
  const auto pa = index_repo(a), pb = index_repo(b), pc = index_repo(c);
  SearchIndexes indexes(service_, {.max_projects = 2, .min_rebuild_interval = 0ms});
  ASSERT_NE(wait_for(indexes, pa, state_of(pa)), nullptr);
  ASSERT_NE(wait_for(indexes, pb, state_of(pb)), nullptr);
  ASSERT_NE(wait_for(indexes, pc, state_of(pc)), nullptr);
  const auto info = indexes.info();
  ASSERT_EQ(info.size(), 2u);
  for (const auto& i : info) EXPECT_NE(i.root, pa.root);  // the least recently searched went first
}

}  // namespace
}  // namespace cci::mcp
