// tests/watch/watcher_test.cpp — the inotify watcher on real temporary trees: what is reported,
// what is not (ignored directories are not even watched), coalescing and debounce, directory
// creation races, renames, ignore-rule changes, the watch limit, queue overflow and shutdown.
//
// Negative claims ("never reported") are checked with a sentinel: events are read in order, so
// once a change made after the ignored ones has been delivered, the ignored ones had their chance.
#include "watch/watcher.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace cci::watch {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using cci::testing::TempDir;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = 5s;

struct Received {
  Clock::time_point at;
  ChangeBatch batch;
};

// Records every batch; waits on conditions over them with a deadline.
class Collector {
 public:
  Watcher::Callback callback() {
    return [this](ChangeBatch batch) {
      std::lock_guard lock(mutex_);
      received_.push_back(Received{Clock::now(), std::move(batch)});
      changed_.notify_all();
    };
  }

  bool wait(const std::function<bool(const std::vector<Received>&)>& done, std::chrono::milliseconds timeout = kDeadline) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return done(received_); });
  }

  // Waits until every one of `paths` under `root` has been reported in a batch numbered `from` or later.
  bool wait_paths(const fs::path& root, const std::vector<std::string>& paths, std::size_t from = 0) {
    return wait([&](const std::vector<Received>& all) {
      const auto seen = paths_in(all, root, from);
      return std::all_of(paths.begin(), paths.end(), [&](const std::string& p) { return seen.contains(p); });
    });
  }

  bool wait_rescan(const fs::path& root, std::string_view reason, std::size_t from = 0) {
    return wait([&](const std::vector<Received>& all) {
      for (std::size_t i = from; i < all.size(); ++i) {
        const ChangeBatch& b = all[i].batch;
        if (b.root == root && b.rescan && b.rescan_reason.find(reason) != std::string::npos) return true;
      }
      return false;
    });
  }

  std::vector<Received> snapshot() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  std::size_t count() const {
    std::lock_guard lock(mutex_);
    return received_.size();
  }
  std::set<std::string> paths(const fs::path& root, std::size_t from = 0) const {
    std::lock_guard lock(mutex_);
    return paths_in(received_, root, from);
  }

 private:
  static std::set<std::string> paths_in(const std::vector<Received>& all, const fs::path& root, std::size_t from) {
    std::set<std::string> out;
    for (std::size_t i = from; i < all.size(); ++i) {
      if (all[i].batch.root == root) out.insert(all[i].batch.paths.begin(), all[i].batch.paths.end());
    }
    return out;
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> received_;
};

// Polls `condition` until it holds or the deadline passes (for status, which has no event).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kDeadline) {
  const auto end = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

void append(const fs::path& file, std::string_view text) {
  std::ofstream out(file, std::ios::binary | std::ios::app);
  out << text;
}

bool any_path_starts_with(const std::set<std::string>& paths, std::string_view prefix) {
  return std::any_of(paths.begin(), paths.end(), [&](const std::string& p) { return p.starts_with(prefix); });
}

struct Fixture {
  explicit Fixture(WatchOptions options = fast_options()) {
    auto created = Watcher::create(collector.callback(), std::move(options));
    EXPECT_TRUE(created.has_value()) << (created ? "" : created.error().describe());
    if (created) watcher = std::move(*created);
  }
  static WatchOptions fast_options() {
    WatchOptions options;
    options.debounce = 20ms;
    options.max_delay = 300ms;
    return options;
  }
  fs::path add(const TempDir& dir) {
    const fs::path root = fs::canonical(dir.path());
    const Status added = watcher->add(root);
    EXPECT_TRUE(added.has_value()) << (added ? "" : added.error().describe());
    return root;
  }
  std::size_t directories(const fs::path& root) const {
    auto status = watcher->status(root);
    return status ? status->directories : 0;
  }

  Collector collector;  // outlives the watcher: no callback after the watcher is destroyed
  std::unique_ptr<Watcher> watcher;
};

TEST(Watcher, ReportsCreateModifyAndDelete) {
  TempDir dir;
  dir.write("src/existing.py", "x = 1\n");
  Fixture f;
  const fs::path root = f.add(dir);
  auto status = f.watcher->status(root);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, WatchState::Watching);
  EXPECT_EQ(status->directories, 2u);
  EXPECT_EQ(f.watcher->roots(), std::vector<fs::path>{root});

  dir.write("src/new.py", "y = 2\n");
  ASSERT_TRUE(f.collector.wait_paths(root, {"src/new.py"}));

  std::size_t mark = f.collector.count();
  append(root / "src/existing.py", "z = 3\n");
  ASSERT_TRUE(f.collector.wait_paths(root, {"src/existing.py"}, mark));

  mark = f.collector.count();
  fs::remove(root / "src/new.py");
  ASSERT_TRUE(f.collector.wait_paths(root, {"src/new.py"}, mark));

  for (const auto& r : f.collector.snapshot()) {
    EXPECT_EQ(r.batch.root, root);
    EXPECT_FALSE(r.batch.rescan) << r.batch.rescan_reason;
    EXPECT_GT(r.batch.events, 0u);
  }
  // A batch counts as delivered once its callback returned, which is just after the collector saw it.
  EXPECT_TRUE(eventually([&] { return f.watcher->status(root)->batches_delivered == f.collector.count(); }));
  EXPECT_GT(f.watcher->status(root)->last_event_unix_ms, 0);
}

// Regression: the status was published before the callback ran, so for a moment a batch's paths
// were neither pending in the watcher nor in the consumer's hands, and a consumer's "idle" check
// (FreshnessService::wait_idle) could pass with a change still unapplied.
TEST(Watcher, StatusCountsABatchAsPendingUntilItsCallbackReturns) {
  TempDir dir;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  WatchOptions options = Fixture::fast_options();
  auto created = Watcher::create(
      [&](ChangeBatch) {
        ++entered;
        released.wait();
      },
      options);
  ASSERT_TRUE(created.has_value());
  std::unique_ptr<Watcher> watcher = std::move(*created);
  struct Release {  // whatever happens below, the callback returns before the watcher is destroyed
    std::promise<void>& promise;
    ~Release() {
      try {
        promise.set_value();
      } catch (const std::future_error&) {  // already released by the test body
      }
    }
  } release_on_exit{release};
  const fs::path root = fs::canonical(dir.path());
  ASSERT_TRUE(watcher->add(root).has_value());

  dir.write("a.py", "x = 1\n");
  ASSERT_TRUE(eventually([&] { return entered.load() == 1; }));
  auto during = watcher->status(root);
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->pending_paths, 1u);
  EXPECT_EQ(during->batches_delivered, 0u);

  release.set_value();
  EXPECT_TRUE(eventually([&] {
    auto after = watcher->status(root);
    return after && after->pending_paths == 0 && after->batches_delivered >= 1;
  }));
}

TEST(Watcher, BurstOfWritesIsCoalesced) {
  TempDir dir;
  WatchOptions options;
  options.debounce = 200ms;
  options.max_delay = 10s;
  Fixture f(options);
  const fs::path root = f.add(dir);

  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) expected.push_back("f" + std::to_string(i) + ".py");
  for (int round = 0; round < 10; ++round) {
    for (const auto& name : expected) append(root / name, "x\n");  // 500 writes
  }
  ASSERT_TRUE(f.collector.wait_paths(root, expected));

  const auto batches = f.collector.snapshot();
  std::size_t events = 0;
  for (const auto& r : batches) {
    events += r.batch.events;
    EXPECT_TRUE(std::is_sorted(r.batch.paths.begin(), r.batch.paths.end()));
    EXPECT_EQ(std::adjacent_find(r.batch.paths.begin(), r.batch.paths.end()), r.batch.paths.end())
        << "each path once per batch";
  }
  EXPECT_GE(events, 500u) << "every write produced at least one event";
  EXPECT_LT(batches.size(), 10u) << "500 writes in a burst arrive in a few batches";
}

TEST(Watcher, NewNestedDirectoriesFilledImmediatelyAreReportedInFull) {
  TempDir dir;
  Fixture f;
  const fs::path root = f.add(dir);

  std::vector<std::string> expected;
  for (int i = 0; i < 10; ++i) {
    const std::string top = "n" + std::to_string(i);
    fs::create_directories(root / top / "a/b/c");  // written before any watch can exist below top
    for (const std::string sub : {"", "/a", "/a/b", "/a/b/c"}) {
      dir.write(top + sub + "/f.py", "pass\n");
      expected.push_back(top + sub + "/f.py");
    }
    expected.push_back(top);
  }
  ASSERT_TRUE(f.collector.wait_paths(root, expected));
  EXPECT_TRUE(eventually([&] { return f.directories(root) == 1 + 10 * 4; })) << f.directories(root);

  const std::size_t mark = f.collector.count();
  dir.write("n3/a/b/c/later.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"n3/a/b/c/later.py"}, mark)) << "the deepest new directory is watched";
}

TEST(Watcher, DirectoryRenameReportsBothEndsAndKeepsWatchingUnderTheNewName) {
  TempDir dir;
  TempDir outside;
  dir.write_all({{"d/x.py", ""}, {"d/sub/y.py", ""}, {"keep/k.py", ""}});
  Fixture f;
  const fs::path root = f.add(dir);
  EXPECT_EQ(f.directories(root), 4u);

  fs::rename(root / "d", root / "e");
  ASSERT_TRUE(f.collector.wait_paths(root, {"d", "e", "e/x.py", "e/sub/y.py"}));
  EXPECT_EQ(f.directories(root), 4u);

  std::size_t mark = f.collector.count();
  dir.write("e/sub/z.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"e/sub/z.py"}, mark));
  EXPECT_FALSE(f.collector.paths(root, mark).contains("d/sub/z.py"));

  mark = f.collector.count();
  fs::rename(root / "e", fs::canonical(outside.path()) / "moved-away");
  ASSERT_TRUE(f.collector.wait_paths(root, {"e"}, mark));
  EXPECT_TRUE(eventually([&] { return f.directories(root) == 2u; })) << f.directories(root);

  // The moved-away tree is no longer watched: a change there is not reported as "e/...".
  mark = f.collector.count();
  append(fs::canonical(outside.path()) / "moved-away/sub/y.py", "late\n");
  dir.write("keep/sentinel.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"keep/sentinel.py"}, mark));
  EXPECT_FALSE(any_path_starts_with(f.collector.paths(root, mark), "e/"));
}

TEST(Watcher, FileRenameReportsBothNames) {
  TempDir dir;
  dir.write("a.py", "");
  Fixture f;
  const fs::path root = f.add(dir);
  fs::rename(root / "a.py", root / "b.py");
  ASSERT_TRUE(f.collector.wait_paths(root, {"a.py", "b.py"}));
}

TEST(Watcher, IgnoredDirectoriesAreNeitherWatchedNorReported) {
  TempDir dir;
  dir.write_all({{".gitignore", "gen/\n"},
                 {"node_modules/pkg/index.js", ""},
                 {"gen/sub/g.py", ""},
                 {"src/a.py", ""},
                 {".git/HEAD", "ref: refs/heads/main\n"}});
  Fixture f;
  const fs::path root = f.add(dir);
  EXPECT_EQ(f.directories(root), 2u) << "the root and src/ only";

  append(root / "node_modules/pkg/index.js", "more\n");
  dir.write("node_modules/fresh/c.js", "");
  append(root / "gen/sub/g.py", "more\n");
  dir.write("gen/new/h.py", "");
  dir.write("build/out.py", "");  // a top-level output directory, created after watching began
  dir.write(".git/objects/ab/cdef", "");
  append(root / ".git/HEAD", "x");
  dir.write("src/generated.min.js", "");  // an ignored file name in a watched directory
  dir.write("src/sentinel.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"src/sentinel.py"}));

  const auto seen = f.collector.paths(root);
  for (const std::string_view prefix : {"node_modules", "gen", "build", ".git", "src/generated.min.js"}) {
    EXPECT_FALSE(any_path_starts_with(seen, prefix)) << prefix;
  }
  EXPECT_EQ(f.directories(root), 2u);
}

TEST(Watcher, GitignoreEditTriggersRescanAndRewatches) {
  TempDir dir;
  dir.write_all({{"src/a.py", ""}, {"gen/g.py", ""}});
  Fixture f;
  const fs::path root = f.add(dir);
  EXPECT_EQ(f.directories(root), 3u);

  dir.write(".gitignore", "gen/\n");
  ASSERT_TRUE(f.collector.wait_rescan(root, ".gitignore changed"));
  EXPECT_TRUE(eventually([&] { return f.directories(root) == 2u; })) << "gen/ lost its watch";

  std::size_t mark = f.collector.count();
  dir.write("gen/ignored_now.py", "");
  dir.write("src/sentinel.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"src/sentinel.py"}, mark));
  EXPECT_FALSE(f.collector.paths(root, mark).contains("gen/ignored_now.py"));

  mark = f.collector.count();
  fs::remove(root / ".gitignore");
  ASSERT_TRUE(f.collector.wait_rescan(root, ".gitignore changed", mark));
  EXPECT_TRUE(eventually([&] { return f.directories(root) == 3u; })) << "gen/ is watched again";
  mark = f.collector.count();
  dir.write("gen/included_again.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"gen/included_again.py"}, mark));
}

// Regression: .git is never watched, so an edit of .git/info/exclude (ignore rules the scanner
// honours) went unnoticed until the next restart.
TEST(Watcher, GitInfoExcludeEditTriggersRescanAndNothingElseInGitIsReported) {
  TempDir dir;
  dir.write_all(
      {{"src/a.py", ""}, {"gen/g.py", ""}, {".git/HEAD", "ref: refs/heads/main\n"}, {".git/info/exclude", ""}});
  Fixture f;
  const fs::path root = f.add(dir);
  EXPECT_EQ(f.directories(root), 4u) << "the root, src/, gen/ and .git/info";

  dir.write(".git/info/exclude", "gen/\n");
  ASSERT_TRUE(f.collector.wait_rescan(root, "exclude changed"));
  EXPECT_TRUE(eventually([&] { return f.directories(root) == 3u; })) << "gen/ lost its watch, .git/info kept it";

  const std::size_t mark = f.collector.count();
  dir.write(".git/info/attributes", "*.py diff\n");
  append(root / ".git/HEAD", "x");
  dir.write("gen/ignored_now.py", "");
  dir.write("src/sentinel.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"src/sentinel.py"}, mark));
  const auto seen = f.collector.paths(root, mark);
  EXPECT_FALSE(any_path_starts_with(seen, ".git")) << *seen.begin();
  EXPECT_FALSE(seen.contains("gen/ignored_now.py"));
  for (const auto& r : f.collector.snapshot()) {
    EXPECT_EQ(r.batch.rescan_reason.find("attributes"), std::string::npos) << r.batch.rescan_reason;
  }
}

TEST(Watcher, NestedCciignoreAndVirtualenvMarkerChangeTheRules) {
  TempDir dir;
  dir.write_all({{"pkg/a.py", ""}, {"env/lib/site.py", ""}});
  Fixture f;
  const fs::path root = f.add(dir);
  EXPECT_EQ(f.directories(root), 4u);

  dir.write("pkg/.cciignore", "*.py\n");
  ASSERT_TRUE(f.collector.wait_rescan(root, ".cciignore changed"));

  std::size_t mark = f.collector.count();
  dir.write("env/pyvenv.cfg", "home = /usr\n");
  ASSERT_TRUE(f.collector.wait_rescan(root, "ignore markers changed", mark));
  EXPECT_TRUE(eventually([&] { return f.directories(root) == 2u; })) << f.directories(root);

  mark = f.collector.count();
  dir.write("pkg/b.py", "");
  dir.write("env/lib/other.py", "");
  dir.write("pkg/sentinel.txt", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"pkg/sentinel.txt"}, mark));
  const auto seen = f.collector.paths(root, mark);
  EXPECT_FALSE(seen.contains("pkg/b.py"));
  EXPECT_FALSE(any_path_starts_with(seen, "env"));
}

TEST(Watcher, DebounceWaitsForQuietAndMaxDelayBoundsAStream) {
  TempDir dir;
  WatchOptions options;
  options.debounce = 300ms;
  options.max_delay = 10s;
  Fixture f(options);
  const fs::path root = f.add(dir);

  const auto written = Clock::now();
  dir.write("a.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"a.py"}));
  EXPECT_GE(f.collector.snapshot().front().at - written, options.debounce) << "delivered before the quiet time";

  // A stream that never goes quiet for `debounce` is still delivered every `max_delay`.
  TempDir stream_dir;
  WatchOptions stream_options;
  stream_options.debounce = 250ms;
  stream_options.max_delay = 400ms;
  Fixture stream(stream_options);
  const fs::path stream_root = stream.add(stream_dir);
  const auto end = Clock::now() + 3s;
  for (int i = 0; Clock::now() < end; ++i) {
    append(stream_root / "log.py", "x\n");
    std::this_thread::sleep_for(20ms);  // the writer's pace, not synchronisation
  }
  EXPECT_GE(stream.collector.count(), 2u) << "batches arrive while the stream goes on";
}

TEST(Watcher, RemoveStopsReports) {
  TempDir a;
  TempDir b;
  Fixture f;
  const fs::path root_a = f.add(a);
  const fs::path root_b = f.add(b);
  a.write("first.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root_a, {"first.py"}));

  f.watcher->remove(root_a);
  EXPECT_FALSE(f.watcher->status(root_a).has_value());
  EXPECT_EQ(f.watcher->roots(), std::vector<fs::path>{root_b});
  const std::size_t mark = f.collector.count();
  a.write("late.py", "");
  b.write("sentinel.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root_b, {"sentinel.py"}, mark));
  EXPECT_TRUE(f.collector.paths(root_a, mark).empty());
}

TEST(Watcher, OverlappingRootsShareWatchesAndReportTheirOwnPaths) {
  TempDir dir;
  dir.write("sub/inner/x.py", "");
  Fixture f;
  const fs::path outer = f.add(dir);
  const Status added = f.watcher->add(outer / "sub");
  ASSERT_TRUE(added.has_value());
  const fs::path inner = outer / "sub";

  dir.write("sub/inner/y.py", "");
  ASSERT_TRUE(f.collector.wait_paths(outer, {"sub/inner/y.py"}));
  ASSERT_TRUE(f.collector.wait_paths(inner, {"inner/y.py"}));

  f.watcher->remove(inner);  // the shared kernel watches must stay for the outer root
  const std::size_t mark = f.collector.count();
  dir.write("sub/inner/z.py", "");
  ASSERT_TRUE(f.collector.wait_paths(outer, {"sub/inner/z.py"}, mark));
  EXPECT_TRUE(f.collector.paths(inner, mark).empty());
}

TEST(Watcher, WatchLimitDegradesReconcilesAndRecovers) {
  TempDir dir;
  dir.write_all({{"a/x.py", ""}, {"b/y.py", ""}, {"c/z.py", ""}});
  WatchOptions options = Fixture::fast_options();
  options.max_watches = 2;
  options.reconcile_interval = 1s;
  Fixture f(options);
  const fs::path root = f.add(dir);

  auto status = f.watcher->status(root);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->state, WatchState::Degraded);
  EXPECT_EQ(status->directories, 2u);
  EXPECT_EQ(status->detail,
            "inotify watch limit reached (fs.inotify.max_user_watches=2); reconciling every 1s");
  ASSERT_TRUE(f.collector.wait_rescan(root, "watch limit reached"));
  const std::size_t mark = f.collector.count();
  ASSERT_TRUE(f.collector.wait_rescan(root, "watch limit reached", mark)) << "periodic reconciliation";

  for (const char* d : {"a", "b", "c"}) fs::remove_all(root / d);
  dir.write("only/w.py", "");
  EXPECT_TRUE(eventually([&] {
    auto s = f.watcher->status(root);
    return s && s->state == WatchState::Watching;
  })) << "the tree fits the limit again";
  status = f.watcher->status(root);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(status->directories, 2u);
  EXPECT_TRUE(status->detail.empty());
}

TEST(Watcher, DeletedRootFails) {
  TempDir dir;
  dir.write("src/a.py", "");
  Fixture f;
  const fs::path root = f.add(dir);
  fs::remove_all(root);
  EXPECT_TRUE(eventually([&] {
    auto s = f.watcher->status(root);
    return s && s->state == WatchState::Failed;
  }));
  EXPECT_EQ(f.watcher->status(root)->detail, "root directory deleted");
  EXPECT_EQ(f.watcher->status(root)->directories, 0u);
  ASSERT_TRUE(f.collector.wait_rescan(root, "root directory deleted"));

  // Re-adding a recreated root starts over.
  fs::create_directories(root);
  ASSERT_TRUE(f.watcher->add(root).has_value());
  EXPECT_EQ(f.watcher->status(root)->state, WatchState::Watching);
  dir.write("again.py", "");
  ASSERT_TRUE(f.collector.wait_paths(root, {"again.py"}));
}

TEST(Watcher, QueueOverflowRequestsRescan) {
  std::size_t max_queued = 0;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
  if (max_queued == 0 || max_queued > 100'000) GTEST_SKIP() << "max_queued_events=" << max_queued;

  TempDir dir;
  Collector collector;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> blocked{false};
  auto forward = collector.callback();
  auto created = Watcher::create(
      [&](ChangeBatch batch) {
        if (!blocked.exchange(true)) {
          released.wait();  // hold the watcher thread so the kernel queue fills up
        }
        forward(std::move(batch));
      },
      Fixture::fast_options());
  ASSERT_TRUE(created.has_value());
  std::unique_ptr<Watcher> watcher = std::move(*created);
  const fs::path root = fs::canonical(dir.path());
  ASSERT_TRUE(watcher->add(root).has_value());

  dir.write("trigger.py", "");
  ASSERT_TRUE(eventually([&] { return blocked.load(); }));
  // Each file costs IN_CREATE + IN_CLOSE_WRITE: twice the files overflows the queue.
  for (std::size_t i = 0; i < max_queued / 2 + 1000; ++i) {
    const std::string path = (root / ("f" + std::to_string(i))).string();
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  release.set_value();
  EXPECT_TRUE(collector.wait_rescan(root, "inotify queue overflow"));
  watcher.reset();
}

TEST(Watcher, AddIsIdempotentAndRejectsMissingRoots) {
  TempDir dir;
  dir.write("a/b.py", "");
  Fixture f;
  const fs::path root = f.add(dir);
  ASSERT_TRUE(f.watcher->add(root).has_value());
  EXPECT_EQ(f.watcher->roots().size(), 1u);
  EXPECT_EQ(f.directories(root), 2u);

  auto missing = f.watcher->add(root / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  auto file = f.watcher->add(root / "a/b.py");
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(f.watcher->roots().size(), 1u);
}

TEST(Watcher, DestructorStopsPromptlyAndNoCallbackFollows) {
  TempDir dir;
  std::atomic<bool> destroyed{false};
  std::atomic<bool> late_callback{false};
  std::atomic<int> batches{0};
  WatchOptions options;
  options.debounce = 1ms;
  options.max_delay = 5ms;
  auto created = Watcher::create(
      [&](const ChangeBatch&) {
        if (destroyed.load()) late_callback.store(true);
        batches.fetch_add(1);
      },
      options);
  ASSERT_TRUE(created.has_value());
  std::unique_ptr<Watcher> watcher = std::move(*created);
  const fs::path root = fs::canonical(dir.path());
  ASSERT_TRUE(watcher->add(root).has_value());

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) dir.write("w" + std::to_string(i % 50) + ".py", "x");
  });
  EXPECT_TRUE(eventually([&] { return batches.load() > 0; }));
  const auto before = Clock::now();
  watcher.reset();
  destroyed.store(true);
  EXPECT_LT(Clock::now() - before, 2s);
  std::this_thread::sleep_for(50ms);  // let a stray callback (a bug) show itself
  stop.store(true);
  writer.join();
  EXPECT_FALSE(late_callback.load());
}

}  // namespace
}  // namespace cci::watch
