// tests/watch/freshness_test.cpp — the FreshnessService on real temporary projects: a real
// Watcher (inotify), real index databases in a private data directory, changes made on disk and
// observed through a fresh read-only connection per poll, as a query would see them.
#include "watch/freshness.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/paths.h"
#include "store/index_store.h"
#include "store/registry.h"
#include "temp_dir.h"

namespace cci::watch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cci::testing::TempDir;

constexpr auto kDeadline = 10s;

// Polls `done` until it holds or the deadline passes; true if it held.
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds deadline = kDeadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(10ms);
  }
}

struct UpdateEvent {
  fs::path root;
  bool ok = false;
  std::string kind;
  std::size_t symbols = 0;
};

class FreshnessTest : public ::testing::Test {
 protected:
  TempDir repo_;
  TempDir other_repo_;
  TempDir home_;

  fs::path data_dir() const { return home_.path() / "data"; }
  fs::path root() const { return canonical_root(repo_.path()); }

  index::IndexOptions index_options(const fs::path& data_dir) const {
    index::IndexOptions o;
    o.data_dir = data_dir;
    o.workers = 2;
    return o;
  }

  void index_now(const fs::path& project_root) {
    auto report = index::index_project(project_root, index_options(data_dir()));
    ASSERT_TRUE(report.has_value()) << report.error().describe();
  }

  std::unique_ptr<FreshnessService> start(FreshnessOptions options = {}) {
    options.data_dir = data_dir();
    options.index_workers = 2;
    options.on_update = [this](const fs::path& root, const Result<index::IndexReport>& outcome,
                               std::string_view kind) {
      std::lock_guard lock(events_mutex_);
      events_.push_back({root, outcome.has_value(), std::string(kind), outcome ? outcome->symbols : 0});
    };
    auto service = FreshnessService::create(std::move(options));
    EXPECT_TRUE(service.has_value()) << (service ? "" : service.error().describe());
    return service ? std::move(*service) : nullptr;
  }

  // watch_project() and wait for the start-up reconcile to finish.
  void watch_and_settle(FreshnessService& service, const fs::path& project_root) {
    service.watch_project(project_root);
    ASSERT_TRUE(eventually([&] {
      auto status = service.status(project_root);
      return status && status->state == ProjectWatchState::Watching && status->updates_applied >= 1;
    })) << "state: " << to_string(service.status(project_root).value_or(ProjectFreshness{}).state);
  }

  std::vector<UpdateEvent> events() {
    std::lock_guard lock(events_mutex_);
    return events_;
  }

  std::unique_ptr<store::IndexStore> open_index(const fs::path& project_root, const fs::path& data) const {
    auto registry = store::Registry::open(data);
    if (!registry) return nullptr;
    auto db = store::IndexStore::open((*registry)->db_path_for(project_root), store::OpenMode::ReadOnly);
    return db ? std::move(*db) : nullptr;
  }

  // The files that define `name`, read through a new connection (a query's view of the index).
  std::vector<std::string> definers(std::string_view name, const fs::path& project_root) const {
    std::vector<std::string> out;
    auto db = open_index(project_root, data_dir());
    if (!db) return out;
    auto symbols = db->symbols_named(name, {}, 0);
    if (!symbols) return out;
    for (const auto& s : *symbols) out.push_back(s.path);
    std::sort(out.begin(), out.end());
    return out;
  }
  std::vector<std::string> definers(std::string_view name) const { return definers(name, root()); }
  bool defined(std::string_view name) const { return !definers(name).empty(); }

  bool file_indexed(std::string_view path) const {
    auto db = open_index(root(), data_dir());
    if (!db) return false;
    auto file = db->file(path);
    return file && file->has_value();
  }

  std::string dump(const fs::path& project_root, const fs::path& data) const {
    auto db = open_index(project_root, data);
    EXPECT_TRUE(db);
    if (!db) return {};
    auto text = index::dump_index(*db);
    EXPECT_TRUE(text.has_value());
    return text.value_or("");
  }

 private:
  std::mutex events_mutex_;
  std::vector<UpdateEvent> events_;
};

const std::map<std::string, std::string> kProject = {
    {"pkg/__init__.py", ""},
    {"pkg/a.py", "def old_name(x):\n    return x + 1\n"},
    {"pkg/b.py", "from .a import old_name\n\n\ndef caller():\n    return old_name(2)\n"},
};

TEST_F(FreshnessTest, AnEditedFunctionNameIsSearchableUnderItsNewName) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());
  ASSERT_TRUE(defined("old_name"));
  const std::uint64_t applied_before = service->status(root())->updates_applied;

  repo_.write("pkg/a.py", "def new_name(x):\n    return x + 2\n");
  ASSERT_TRUE(eventually([&] { return defined("new_name") && !defined("old_name"); }));
  EXPECT_EQ(definers("new_name"), std::vector<std::string>{"pkg/a.py"});
  EXPECT_TRUE(defined("caller"));

  ASSERT_TRUE(service->wait_idle(root(), kDeadline));
  auto status = service->status(root());
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, ProjectWatchState::Watching);
  EXPECT_EQ(status->pending_paths, 0U);
  EXPECT_FALSE(status->updating);
  EXPECT_GT(status->updates_applied, applied_before);
  EXPECT_GT(status->last_update_unix_ms, 0);
  EXPECT_GE(status->last_update_ms, 0.0);
  EXPECT_GE(status->watched_directories, 2U);  // the root and pkg/
  EXPECT_TRUE(status->graph_exact);
  EXPECT_TRUE(status->detail.empty()) << status->detail;
  EXPECT_EQ(service->watched_roots(), std::vector<fs::path>{root()});

  const auto seen = events();
  ASSERT_GE(seen.size(), 2U);
  EXPECT_EQ(seen.front().kind, "reconcile");  // the start-up pass
  EXPECT_EQ(seen.front().root, root());
  EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](const auto& e) { return e.ok; }));
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(), [](const auto& e) { return e.kind == "update"; }));
}

TEST_F(FreshnessTest, AddedDeletedAndRenamedFilesAreApplied) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  repo_.write("pkg/c.py", "def added_function():\n    return 3\n");
  ASSERT_TRUE(eventually([&] { return defined("added_function"); }));

  repo_.remove("pkg/b.py");
  ASSERT_TRUE(eventually([&] { return !defined("caller") && !file_indexed("pkg/b.py"); }));

  fs::rename(repo_.path() / "pkg" / "a.py", repo_.path() / "pkg" / "renamed.py");
  ASSERT_TRUE(eventually([&] { return definers("old_name") == std::vector<std::string>{"pkg/renamed.py"}; }))
      << "old_name defined in " << definers("old_name").size() << " files";
  EXPECT_FALSE(file_indexed("pkg/a.py"));
  EXPECT_TRUE(file_indexed("pkg/renamed.py"));
  EXPECT_TRUE(file_indexed("pkg/c.py"));
}

TEST_F(FreshnessTest, ANewDirectoryAndItsFilesAreIndexed) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  // Written right after the directories appear: before the watcher can have watched them.
  repo_.write("lib/deep/er/first.py", "def first_in_new_dir():\n    pass\n");
  repo_.write("lib/deep/second.py", "def second_in_new_dir():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("first_in_new_dir") && defined("second_in_new_dir"); }));

  // And a file added to the new directory later is seen through its own watch.
  repo_.write("lib/deep/er/third.py", "def third_in_new_dir():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("third_in_new_dir"); }));
  EXPECT_EQ(definers("third_in_new_dir"), std::vector<std::string>{"lib/deep/er/third.py"});
}

TEST_F(FreshnessTest, AFileThatBecomesBinaryIsDropped) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  repo_.write("pkg/a.py", std::string("def old_name(x):\n    return x\n\0\0\0\x01\x02", 35));
  ASSERT_TRUE(eventually([&] { return !file_indexed("pkg/a.py"); }));
  EXPECT_FALSE(defined("old_name"));
  auto db = open_index(root(), data_dir());
  ASSERT_TRUE(db);
  auto skipped = db->skipped();
  ASSERT_TRUE(skipped.has_value());
  EXPECT_TRUE(std::any_of(skipped->begin(), skipped->end(),
                          [](const auto& s) { return s.path == "pkg/a.py" && s.reason == "binary"; }));
}

TEST_F(FreshnessTest, TwoHundredChangesCoalesceAndEqualAFullIndex) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 200; ++i) {
    files[fmt::format("mod/m{:03}.py", i)] =
        fmt::format("from .m{:03} import before_{}\n\n\ndef before_{}():\n    return {}\n", (i + 1) % 200,
                    (i + 1) % 200, i, i);
  }
  repo_.write_all(files);
  index_now(root());
  FreshnessOptions options;
  // Generous batching so a slow loaded machine writing 200 files still yields a few batches.
  options.watch.debounce = 200ms;
  options.watch.max_delay = 2000ms;
  auto service = start(options);
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());
  const std::uint64_t applied_before = service->status(root())->updates_applied;

  for (int i = 0; i < 200; ++i) {
    repo_.write(fmt::format("mod/m{:03}.py", i),
                fmt::format("from .m{:03} import after_{}\n\n\ndef after_{}():\n    return after_{}()\n",
                            (i + 1) % 200, (i + 1) % 200, i, (i + 1) % 200));
  }
  ASSERT_TRUE(eventually([&] {
    auto db = open_index(root(), data_dir());
    if (!db) return false;
    for (int i = 0; i < 200; i += 1) {
      auto after = db->symbols_named(fmt::format("after_{}", i), {}, 1);
      if (!after || after->empty()) return false;
      auto before = db->symbols_named(fmt::format("before_{}", i), {}, 1);
      if (!before || !before->empty()) return false;
    }
    return true;
  }, 30s));
  ASSERT_TRUE(service->wait_idle(root(), kDeadline));
  auto status = service->status(root());
  ASSERT_TRUE(status);
  const std::uint64_t updates = status->updates_applied - applied_before;
  EXPECT_GE(updates, 1U);
  EXPECT_LE(updates, 10U) << "200 changed files should be applied in a few coalesced updates";
  ASSERT_TRUE(status->graph_exact);  // a small project: ranks are exact, so the dumps must match

  const fs::path fresh_data = home_.path() / "fresh";
  auto fresh = index::index_project(root(), index_options(fresh_data));
  ASSERT_TRUE(fresh.has_value()) << fresh.error().describe();
  EXPECT_EQ(dump(root(), data_dir()), dump(root(), fresh_data));
}

TEST_F(FreshnessTest, WatchOffInTheRegistryStopsUpdatesAndOnResumesThem) {
  repo_.write_all(kProject);
  other_repo_.write("control.py", "def control_before():\n    pass\n");
  const fs::path other_root = canonical_root(other_repo_.path());
  index_now(root());
  index_now(other_root);
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());
  watch_and_settle(*service, other_root);

  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    ASSERT_TRUE((*registry)->set_watch(root(), false).has_value());
  }
  service->refresh_setting(root());
  auto status = service->status(root());
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, ProjectWatchState::Off);
  EXPECT_EQ(service->watched_roots(), std::vector<fs::path>{other_root});
  service->watch_project(root());  // a tool call: stays off
  EXPECT_EQ(service->status(root())->state, ProjectWatchState::Off);
  const std::size_t events_when_off = events().size();

  repo_.write("pkg/a.py", "def new_name(x):\n    return x\n");
  // The control project is changed after the one turned off; once its change is in, the watcher
  // had every chance to report the first one.
  other_repo_.write("control.py", "def control_after():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return !definers("control_after", other_root).empty(); }));
  ASSERT_TRUE(service->wait_idle(other_root, kDeadline));
  EXPECT_TRUE(defined("old_name"));
  EXPECT_FALSE(defined("new_name"));
  const auto seen = events();
  ASSERT_GT(seen.size(), events_when_off);
  for (std::size_t i = events_when_off; i < seen.size(); ++i) EXPECT_NE(seen[i].root, root()) << seen[i].kind;

  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    ASSERT_TRUE((*registry)->set_watch(root(), true).has_value());
  }
  service->refresh_setting(root());
  // Turned back on: the reconcile pass picks up what changed while it was off.
  ASSERT_TRUE(eventually([&] { return defined("new_name") && !defined("old_name"); }));
  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Watching; }));
  repo_.write("pkg/b.py", "def caller_again():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("caller_again"); }));
}

TEST_F(FreshnessTest, ProjectsNotIndexedOrTurnedOffAreNotWatched) {
  repo_.write_all(kProject);
  other_repo_.write_all(kProject);
  const fs::path other_root = canonical_root(other_repo_.path());
  index_now(other_root);
  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    ASSERT_TRUE((*registry)->set_watch(other_root, false).has_value());
  }
  auto service = start();
  ASSERT_TRUE(service);
  EXPECT_FALSE(service->status(root()).has_value());  // never asked about

  service->watch_project(root());  // not indexed
  service->watch_project(other_root);
  for (const fs::path& r : {root(), other_root}) {
    auto status = service->status(r);
    ASSERT_TRUE(status) << r;
    EXPECT_EQ(status->state, ProjectWatchState::Off);
    EXPECT_EQ(status->updates_applied, 0U);
    EXPECT_EQ(status->watched_directories, 0U);
    EXPECT_TRUE(service->wait_idle(r, 1ms));
  }
  EXPECT_TRUE(service->watched_roots().empty());
  auto registry = store::Registry::open(data_dir());
  ASSERT_TRUE(registry.has_value());
  EXPECT_FALSE((*registry)->find(root())->has_value());  // watching never indexes on its own

  // Indexed later: refresh_setting (what `cci index` through the daemon does) starts watching.
  index_now(root());
  service->refresh_setting(root());
  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Watching; }));
  repo_.write("pkg/c.py", "def after_refresh():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("after_refresh"); }));
}

TEST_F(FreshnessTest, AWatchedProjectWhoseIndexWasDeletedIsRebuilt) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    const fs::path db = (*registry)->db_path_for(root());
    std::error_code ec;
    fs::remove_all(db.parent_path(), ec);
    ASSERT_FALSE(ec) << ec.message();
  }
  repo_.write("pkg/c.py", "def after_deletion():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("after_deletion") && defined("caller"); }));
  ASSERT_TRUE(service->wait_idle(root(), kDeadline));
  EXPECT_EQ(service->status(root())->state, ProjectWatchState::Watching);
}

TEST_F(FreshnessTest, AFailedUpdateIsReportedAndRetriedWithTheNextChange) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  fs::path db;
  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    db = (*registry)->db_path_for(root());
  }
  // The index file replaced by something that is not a database: every update fails.
  std::error_code ec;
  fs::remove_all(db.parent_path(), ec);
  ASSERT_FALSE(ec) << ec.message();
  fs::create_directories(db.parent_path());
  { std::ofstream(db) << std::string(8192, 'x'); }

  repo_.write("pkg/a.py", "def new_name(x):\n    return x\n");
  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Failed; }));
  auto failed = service->status(root());
  EXPECT_FALSE(failed->detail.empty());
  EXPECT_GE(failed->pending_paths, 1U);  // kept for the retry
  ASSERT_TRUE(service->wait_idle(root(), kDeadline));  // a failed project waits for the next change
  // on_update runs right after the state is recorded.
  EXPECT_TRUE(eventually([&] {
    const auto seen = events();
    return !seen.empty() && !seen.back().ok && seen.back().kind == "update";
  }));

  fs::remove_all(db.parent_path(), ec);
  repo_.write("pkg/c.py", "def after_failure():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("after_failure") && defined("new_name") && !defined("old_name"); }));
  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Watching; }));
  EXPECT_TRUE(service->status(root())->detail.empty());
}

TEST_F(FreshnessTest, AChangedGitignoreReconcilesTheProject) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  repo_.write(".gitignore", "pkg/b.py\n");
  ASSERT_TRUE(eventually([&] { return !file_indexed("pkg/b.py"); }));
  EXPECT_TRUE(file_indexed("pkg/a.py"));
  repo_.write(".gitignore", "");
  ASSERT_TRUE(eventually([&] { return file_indexed("pkg/b.py"); }));
}

TEST_F(FreshnessTest, UnwatchForgetsTheProject) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  service->unwatch_project(root());
  EXPECT_FALSE(service->status(root()).has_value());
  EXPECT_TRUE(service->watched_roots().empty());
  // The next tool call re-reads the registry and watches it again.
  service->watch_project(root());
  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Watching; }));
  repo_.write("pkg/a.py", "def back_again():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("back_again"); }));
}

TEST_F(FreshnessTest, DestroyingTheServiceMidReconcileLeavesAnIntactIndex) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 300; ++i)
    files[fmt::format("m{:03}.py", i)] = fmt::format("def f{}():\n    return {}\n", i, i);
  repo_.write_all(files);
  index_now(root());
  for (int i = 0; i < 300; ++i) repo_.write(fmt::format("m{:03}.py", i), fmt::format("def g{}():\n    pass\n", i));
  {
    auto service = start();
    ASSERT_TRUE(service);
    service->watch_project(root());
    ASSERT_TRUE(eventually([&] {
      auto status = service->status(root());
      return status->updating || status->updates_applied > 0;
    }));
  }  // cancels the reconcile pass in progress (or waits for it when it already committed)
  auto db = open_index(root(), data_dir());
  ASSERT_TRUE(db);
  EXPECT_TRUE(db->integrity_check().has_value());
  auto stats = db->stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->files, 300U);
  // Either the old index or the new one, never a mix.
  const bool old_index = !definers("f0").empty() && !definers("f299").empty() && definers("g0").empty();
  const bool new_index = definers("f0").empty() && !definers("g0").empty() && !definers("g299").empty();
  EXPECT_TRUE(old_index || new_index);
}

// Regression: a project removed from the registry (`cci remove`: record and index deleted)
// used to be rebuilt and re-registered by the next change's NotFound fallback.
TEST_F(FreshnessTest, AProjectRemovedFromTheRegistryIsForgottenNotRebuilt) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  fs::path db;
  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    db = (*registry)->db_path_for(root());
    ASSERT_TRUE((*registry)->remove(root()).has_value());
  }
  repo_.write("pkg/c.py", "def after_removal():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return !service->status(root()).has_value(); }));
  EXPECT_TRUE(service->watched_roots().empty());
  std::error_code ec;
  EXPECT_FALSE(fs::exists(db, ec));
  auto registry = store::Registry::open(data_dir());
  ASSERT_TRUE(registry.has_value());
  auto record = (*registry)->find(root());
  ASSERT_TRUE(record.has_value());
  EXPECT_FALSE(record->has_value());
  // The next tool call reads the registry afresh: not registered, so off.
  service->watch_project(root());
  EXPECT_EQ(service->status(root())->state, ProjectWatchState::Off);
}

// Regression: a root whose watch failed (moved away, deleted) stayed unwatched for the life of
// the service; now the failure's rescan places the watch again, retrying while the root is gone.
TEST_F(FreshnessTest, ARootMovedAwayAndBackIsWatchedAgain) {
  repo_.write_all(kProject);
  index_now(root());
  FreshnessOptions options;
  options.watch.reconcile_interval = std::chrono::seconds(1);  // the retry period of a failed watch
  auto service = start(options);
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());

  const fs::path moved = root().string() + ".moved";
  struct MoveBack {
    fs::path from, to;
    ~MoveBack() {
      std::error_code ec;
      if (fs::exists(from, ec)) fs::rename(from, to, ec);
    }
  } move_back{moved, root()};
  fs::rename(root(), moved);
  // The watch failed ("root directory moved or renamed"), and placing it again failed too while
  // the root is gone (that error names the root).
  ASSERT_TRUE(eventually([&] {
    const auto status = service->status(root());
    return status->state == ProjectWatchState::Failed && status->detail.find(root().string()) != std::string::npos;
  })) << service->status(root())->detail;
  fs::rename(moved, root());  // picked up by the next retry

  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Watching; }));
  repo_.write("pkg/c.py", "def after_the_move():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return defined("after_the_move"); }));
  EXPECT_TRUE(defined("caller"));
}

// Regression: an exception out of the indexer (here std::stoull on a corrupt generation value)
// ended the update thread and so the process; now it fails the update like any other error.
// A damaged index (here: a generation that is not a number) fails the update with a clear error;
// the service keeps running and keeps the paths for a retry.
TEST_F(FreshnessTest, ADamagedIndexFailsTheUpdateInsteadOfTheProcess) {
  repo_.write_all(kProject);
  index_now(root());
  auto service = start();
  ASSERT_TRUE(service);
  watch_and_settle(*service, root());
  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    auto db = store::IndexStore::open((*registry)->db_path_for(root()), store::OpenMode::ReadWrite);
    ASSERT_TRUE(db.has_value()) << db.error().describe();
    auto batch = (*db)->begin_write();
    ASSERT_TRUE(batch.has_value());
    ASSERT_TRUE((*batch)->set_meta("generation", "not-a-number").has_value());
    ASSERT_TRUE((*batch)->commit().has_value());
  }
  repo_.write("pkg/a.py", "def edited():\n    pass\n");
  ASSERT_TRUE(eventually([&] { return service->status(root())->state == ProjectWatchState::Failed; }));
  const auto failed = service->status(root());
  EXPECT_NE(failed->detail.find("generation is not a number"), std::string::npos) << failed->detail;
  EXPECT_GE(failed->pending_paths, 1U);  // kept for the retry
  ASSERT_TRUE(service->wait_idle(root(), kDeadline));
}

}  // namespace
}  // namespace cci::watch
