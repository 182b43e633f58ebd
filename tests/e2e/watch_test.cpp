// Freshness, end to end: a real git repository indexed with the real `cci` binary and served by
// the real daemon (private CCI_HOME, --port 0), changed on disk the ways people and tools change
// code (edits, editor-style atomic saves, adds, deletes, renames of files and directories,
// `git checkout` of hundreds of files, files turning binary or too large, ignored directories,
// `cci watch off|on`, edits while the daemon is down), and asked through the C++ client library
// until the answers are exactly the expected ones (each check polls with a 10 s deadline).
// The last test swaps 2,000 files in one atomic rename while clients keep querying and asserts
// every answer is the complete before- or after-answer, with the generation in _meta matching it.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "cci_runner.h"
#include "client/client.h"

namespace cci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Cci;
using testing::ProcessResult;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::seconds(10);

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += separator;
    out += p;
  }
  return out;
}

std::string numbered(std::string_view prefix, int i, int width = 3) {
  std::string digits = std::to_string(i);
  if (digits.size() < static_cast<std::size_t>(width)) digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return std::string(prefix) + digits;
}

// Polls `observe` until it returns `expected` or the deadline passes; on failure the message
// shows the last observation, so a wrong final answer reads like an EXPECT_EQ.
::testing::AssertionResult becomes(const std::function<std::string()>& observe, const std::string& expected,
                                   std::chrono::milliseconds timeout = kDeadline) {
  const auto deadline = Clock::now() + timeout;
  std::string last;
  for (;;) {
    last = observe();
    if (last == expected) return ::testing::AssertionSuccess();
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ::testing::AssertionFailure() << "after " << std::chrono::duration<double>(timeout).count()
                                       << " s still\n  " << last << "\ninstead of\n  " << expected;
}

// run_process() executes a path, not a name: git is looked up on PATH once.
std::string git_binary() {
  static const std::string found = [] {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/bin:/bin";
    for (std::size_t start = 0; start <= dirs.size();) {
      const std::size_t end = std::min(dirs.find(':', start), dirs.size());
      const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "git";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      start = end + 1;
    }
    return std::string("git (not found on PATH)");
  }();
  return found;
}

bool lock_held(const fs::path& lock) {
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

// A git repository in a temporary directory, its own data directory, and (once serve() ran) a
// daemon on it with a client-library connection. Whatever happens, the daemon is gone afterwards.
class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(repo_);
    repo_ = fs::canonical(repo_);
    git({"-c", "init.defaultBranch=main", "init", "-q"});
  }

  void TearDown() override {
    client_.reset();
    stop_daemon();
  }

  // ---- the repository ----

  void write(const std::string& relative, const std::string& content) const {
    const fs::path p = repo_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    ASSERT_TRUE(out.good()) << p;
  }

  // How editors save: a temporary file renamed over the original.
  void save_atomically(const std::string& relative, const std::string& content) const {
    write(relative + ".cci-save~", content);
    fs::rename(repo_ / (relative + ".cci-save~"), repo_ / relative);
  }

  void git(std::vector<std::string> args) const {
    args.insert(args.begin(), {git_binary(), "-C", repo_.string()});
    testing::ProcessOptions options;
    options.env = {{"GIT_AUTHOR_NAME", "cci test"},     {"GIT_AUTHOR_EMAIL", "test@example.com"},
                   {"GIT_COMMITTER_NAME", "cci test"},  {"GIT_COMMITTER_EMAIL", "test@example.com"},
                   {"GIT_CONFIG_GLOBAL", "/dev/null"},  {"GIT_CONFIG_NOSYSTEM", "1"}};
    const ProcessResult r = testing::run_process(args, options);
    ASSERT_EQ(r.exit_code, 0) << join(args, " ") << "\n" << r.out << r.err;
  }

  void commit_all(const std::string& message) const {
    git({"add", "-A"});
    git({"commit", "-q", "--allow-empty", "-m", message});
  }

  // ---- the daemon ----

  // Commits the working tree, indexes it with `cci index`, starts the daemon, connects, and
  // waits until the project is watched (the first tool call starts watching it).
  void serve(const std::vector<std::string>& daemon_flags = {}) {
    commit_all("initial");
    const ProcessResult indexed = cci_.run({"index", repo_.string(), "--quiet"});
    ASSERT_EQ(indexed.exit_code, 0) << indexed.out << indexed.err;
    start_daemon(daemon_flags);
    ASSERT_TRUE(becomes([&] { return watch_state(); }, "watching"));
  }

  void start_daemon(const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args{"mcp-daemon", "start", "--port", "0"};
    args.insert(args.end(), flags.begin(), flags.end());
    const ProcessResult started = cci_.run(args);
    ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
    auto options = client::ClientOptions::for_daemon(cci_.data_dir());
    options.working_directory = repo_;
    options.pool_size = 4;
    options.request_timeout = std::chrono::seconds(20);
    auto connected = client::Client::connect(options);
    ASSERT_TRUE(connected.has_value()) << connected.error().message;
    client_ = std::move(*connected);
  }

  void stop_daemon() {
    client_.reset();
    const fs::path lock = cci_.data_dir() / "daemon.lock";
    if (!lock_held(lock)) return;
    const std::string pid_text = testing::read_file(lock);
    cci_.run({"mcp-daemon", "stop"});
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (lock_held(lock) && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (lock_held(lock) && !pid_text.empty()) {
      ADD_FAILURE() << "the daemon did not stop; killing it";
      ::kill(static_cast<pid_t>(std::atol(pid_text.c_str())), SIGKILL);
    }
  }

  // ---- tool calls ----

  std::optional<client::ToolCallResult> call(const std::string& tool, json arguments) const {
    if (!client_) return std::nullopt;  // the daemon did not start (already reported)
    arguments["project_path"] = repo_.string();
    auto r = client_->call_tool(tool, std::move(arguments));
    if (!r) return std::nullopt;
    return std::move(*r);
  }

  static std::int64_t meta_generation(const client::ToolCallResult& r) {
    const json& meta = r.raw.contains("_meta") ? r.raw["_meta"] : json();
    return meta.is_object() ? meta.value("cci/indexGeneration", std::int64_t{-1}) : -1;
  }

  // Where `name` is defined, as "path:line" (sorted, comma-separated), or "none".
  std::string where(const std::string& name) const {
    auto r = call("find_definition", {{"name", name}, {"limit", 50}});
    if (!r) return "(call failed)";
    if (r->is_error) {
      const std::string prefix = "no symbol named " + name;
      const bool missing = r->text.starts_with(prefix) && r->text.size() > prefix.size() &&
                           (r->text[prefix.size()] == ' ' || r->text[prefix.size()] == ';');
      return missing ? "none" : "error: " + r->text;
    }
    std::vector<std::string> locations;
    for (const auto& d : r->structured.value("definitions", json::array()))
      locations.push_back(d.value("path", "?") + ":" + std::to_string(d.value("line", 0)));
    std::sort(locations.begin(), locations.end());
    return join(locations, ", ");
  }

  // Every expectation that does not hold yet ("name: got X, want Y"), or "" when all hold.
  std::string mismatches(const std::vector<std::pair<std::string, std::string>>& expected) const {
    std::vector<std::string> wrong;
    std::size_t count = 0;
    for (const auto& [name, location] : expected) {
      const std::string got = where(name);
      if (got == location) continue;
      if (++count <= 8) wrong.push_back(name + ": got " + got + ", want " + location);
    }
    if (count > wrong.size()) wrong.push_back("(and " + std::to_string(count - wrong.size()) + " more)");
    return join(wrong, "; ");
  }

  json index_status() const {
    auto r = call("get_index_status", {{"limit", 200}});
    if (!r || r->is_error) return json::object();
    return r->structured;
  }

  std::string watch_state() const {
    const json s = index_status();
    if (!s.contains("watch") || !s["watch"].is_object()) return "(no watch in get_index_status: " + s.dump() + ")";
    return s["watch"].value("state", "(no state)");
  }

  // "idle" once nothing is pending or being applied.
  std::string activity() const {
    const json s = index_status();
    if (!s.contains("watch")) return "(no watch in get_index_status)";
    const json& w = s["watch"];
    const auto pending = w.value("pending_paths", std::int64_t{-1});
    const bool updating = w.value("updating", true);
    if (pending == 0 && !updating) return "idle";
    return "pending " + std::to_string(pending) + (updating ? ", updating" : "");
  }

  std::uint64_t updates_applied() const {
    const json s = index_status();
    return s.contains("watch") ? s["watch"].value("updates_applied", std::uint64_t{0}) : 0;
  }

  testing::TempDir dir_;
  fs::path repo_ = dir_.path() / "repo";
  Cci cci_{dir_.path() / "home"};
  std::unique_ptr<client::Client> client_;
};

TEST_F(WatchTest, EditedFunctionNamesAreReplacedAndMetaCarriesTheGeneration) {
  write("app/edit_me.py", "def original_name():\n    return 1\n\n\ndef keeper():\n    return original_name()\n");
  write("native/util.c", "int c_original(void) { return 2; }\n\nint c_keeper(void) { return c_original(); }\n");
  ASSERT_NO_FATAL_FAILURE(serve());
  ASSERT_EQ(where("original_name"), "app/edit_me.py:1");
  ASSERT_EQ(where("c_original"), "native/util.c:1");
  const auto before = call("find_definition", {{"name", "keeper"}});
  ASSERT_TRUE(before.has_value());
  const std::int64_t generation_before = meta_generation(*before);
  ASSERT_GE(generation_before, 1) << before->raw.dump();
  EXPECT_EQ(before->raw["_meta"].value("cci/pendingChanges", -1), 0) << before->raw.dump();

  write("app/edit_me.py", "def renamed_name():\n    return 1\n\n\ndef keeper():\n    return renamed_name()\n");
  write("native/util.c", "int c_renamed(void) { return 2; }\n\nint c_keeper(void) { return c_renamed(); }\n");
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"renamed_name", "app/edit_me.py:1"}, {"original_name", "none"},
                       {"c_renamed", "native/util.c:1"}, {"c_original", "none"}, {"keeper", "app/edit_me.py:5"},
                       {"c_keeper", "native/util.c:3"}});
  }, ""));

  // An editor's save: a temporary file renamed over the original.
  save_atomically("app/edit_me.py", "\n\ndef saved_name():\n    return 1\n");
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"saved_name", "app/edit_me.py:3"}, {"renamed_name", "none"}, {"keeper", "none"}});
  }, ""));
  EXPECT_EQ(where("edit_me.py.cci-save~"), "none");

  // Once idle, every result says which index it came from: the one get_index_status reports.
  ASSERT_TRUE(becomes([&] { return activity(); }, "idle"));
  const auto after = call("find_definition", {{"name", "saved_name"}});
  ASSERT_TRUE(after.has_value());
  EXPECT_GT(meta_generation(*after), generation_before);
  EXPECT_EQ(after->raw["_meta"].value("cci/pendingChanges", -1), 0);
  EXPECT_EQ(index_status().value("generation", std::int64_t{-2}), meta_generation(*after));
  EXPECT_GE(updates_applied(), 2u);
}

TEST_F(WatchTest, FilesAddedDeletedAndRenamed) {
  write("to_delete.py", "def doomed_fn():\n    pass\n");
  write("to_rename.py", "def moving_fn():\n    pass\n");
  write("src/old_name.c", "static int c_moving(void) { return 0; }\n");
  ASSERT_NO_FATAL_FAILURE(serve());
  ASSERT_EQ(where("doomed_fn"), "to_delete.py:1");

  write("added.py", "class AddedClass:\n    def added_method(self):\n        return 3\n");
  write("src/added.c", "#include <stdio.h>\n\nvoid c_added(void) { puts(\"hi\"); }\n");
  fs::remove(repo_ / "to_delete.py");
  fs::rename(repo_ / "to_rename.py", repo_ / "renamed.py");
  fs::rename(repo_ / "src/old_name.c", repo_ / "src/new_name.c");
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"AddedClass", "added.py:1"}, {"added_method", "added.py:2"}, {"c_added", "src/added.c:3"},
                       {"doomed_fn", "none"}, {"moving_fn", "renamed.py:1"}, {"c_moving", "src/new_name.c:1"}});
  }, ""));
  ASSERT_TRUE(becomes([&] { return activity(); }, "idle"));
  const json status = index_status();
  EXPECT_EQ(status.value("files_indexed", 0), 4) << status.dump();
  EXPECT_EQ(status.value("fresh", false), true) << status.dump();
}

TEST_F(WatchTest, DirectoriesRenamedDeletedAndCreatedAfterWatchingBegan) {
  write("pkg/inner/mod.py", "def pkg_fn():\n    pass\n");
  write("pkg/inner/helper.c", "int pkg_c_fn(void) { return 1; }\n");
  write("gone/a.py", "def gone_py_fn():\n    pass\n");
  write("gone/deeper/b.c", "int gone_c_fn(void) { return 1; }\n");
  ASSERT_NO_FATAL_FAILURE(serve());

  fs::rename(repo_ / "pkg", repo_ / "pkg2");
  fs::remove_all(repo_ / "gone");
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"pkg_fn", "pkg2/inner/mod.py:1"}, {"pkg_c_fn", "pkg2/inner/helper.c:1"},
                       {"gone_py_fn", "none"}, {"gone_c_fn", "none"}});
  }, ""));

  // Created and filled at once: files written before the new directories' watches exist count too.
  fs::create_directories(repo_ / "fresh/sub/deeper");
  write("fresh/top.py", "def fresh_top():\n    pass\n");
  write("fresh/sub/deeper/new.c", "int fresh_c(void) { return 0; }\n");
  EXPECT_TRUE(becomes([&] { return mismatches({{"fresh_top", "fresh/top.py:1"}, {"fresh_c", "fresh/sub/deeper/new.c:1"}}); }, ""));
  // ... and the new directories are watched from then on.
  write("fresh/sub/later.py", "def fresh_later():\n    pass\n");
  write("pkg2/inner/mod.py", "def pkg_fn_moved_and_edited():\n    pass\n");
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"fresh_later", "fresh/sub/later.py:1"}, {"pkg_fn_moved_and_edited", "pkg2/inner/mod.py:1"},
                       {"pkg_fn", "none"}});
  }, ""));
}

TEST_F(WatchTest, GitignoredDirectoryIsNeverIndexed) {
  write(".gitignore", "ignored_dir/\n");
  write("visible.py", "def visible_fn():\n    pass\n");
  ASSERT_NO_FATAL_FAILURE(serve());

  for (int i = 0; i < 20; ++i)
    write("ignored_dir/deep/" + numbered("m", i) + ".py", "def " + numbered("ignzq_", i) + "():\n    pass\n");
  // Written after the ignored files: once it is searchable, the ignored ones have been seen too.
  write("sentinel.py", "def sentinel_fn():\n    pass\n");
  ASSERT_TRUE(becomes([&] { return where("sentinel_fn"); }, "sentinel.py:1"));
  ASSERT_TRUE(becomes([&] { return activity(); }, "idle"));
  std::vector<std::pair<std::string, std::string>> absent;
  for (int i = 0; i < 20; ++i) absent.emplace_back(numbered("ignzq_", i), "none");
  EXPECT_EQ(mismatches(absent), "");
  EXPECT_EQ(index_status().value("files_indexed", 0), 2);
}

TEST_F(WatchTest, BinaryAndOversizedFilesAreDroppedAndListedAsSkipped) {
  write("blob.py", "def blob_fn():\n    pass\n");
  write("big.py", "def big_fn():\n    pass\n");
  write("small.c", "int small_fn(void) { return 0; }\n");
  ASSERT_NO_FATAL_FAILURE(serve());
  ASSERT_EQ(where("blob_fn"), "blob.py:1");

  static constexpr char kBinary[] = "def blob_fn():\n    pass\n\0\0\0\x01\x02 binary now\n";
  write("blob.py", std::string(kBinary, sizeof kBinary - 1));
  std::string big = "def big_fn():\n    pass\n";
  const std::string padding = "# padding to push the file past the 1 MiB limit ..........................\n";
  while (big.size() <= (1u << 20) + 4096) big += padding;
  write("big.py", big);
  EXPECT_TRUE(becomes([&] { return mismatches({{"blob_fn", "none"}, {"big_fn", "none"}, {"small_fn", "small.c:1"}}); }, ""));
  EXPECT_TRUE(becomes([&] {
    std::vector<std::string> listed;
    const json status = index_status();
    for (const auto& s : status.value("skipped", json::object()).value("files", json::array()))
      listed.push_back(s.value("path", "?") + " " + s.value("reason", "?"));
    std::sort(listed.begin(), listed.end());
    return join(listed, ", ");
  }, "big.py too-large, blob.py binary"));

  // Text again: indexed again, and no longer listed as skipped.
  write("blob.py", "def blob_fn_again():\n    pass\n");
  EXPECT_TRUE(becomes([&] { return where("blob_fn_again"); }, "blob.py:1"));
  EXPECT_TRUE(becomes([&] {
    return std::to_string(index_status().value("skipped", json::object()).value("total", -1));
  }, "1"));
}

TEST_F(WatchTest, BranchSwitchOfThreeHundredFilesIsCoalesced) {
  constexpr int kFiles = 300, kDeleted = 10, kAdded = 10;
  for (int i = 0; i < kFiles; ++i)
    write("gen/" + numbered("m", i) + ".py", "def " + numbered("mainzq_", i) + "():\n    return " + std::to_string(i) + "\n");
  write("native/branch.c", "int on_main(void) { return 0; }\n");
  commit_all("main");
  ASSERT_NO_FATAL_FAILURE(git({"checkout", "-q", "-b", "feature"}));
  for (int i = 0; i < kFiles - kDeleted; ++i)
    write("gen/" + numbered("m", i) + ".py", "def " + numbered("featzq_", i) + "():\n    return " + std::to_string(i) + "\n");
  for (int i = kFiles - kDeleted; i < kFiles; ++i) fs::remove(repo_ / ("gen/" + numbered("m", i) + ".py"));
  for (int i = 0; i < kAdded; ++i)
    write("gen/" + numbered("f", i) + ".py", "def " + numbered("featnewzq_", i) + "():\n    pass\n");
  write("native/branch.c", "int on_feature(void) { return 1; }\n");
  commit_all("feature");
  git({"checkout", "-q", "main"});
  ASSERT_NO_FATAL_FAILURE(serve({"--debounce-ms", "50"}));
  ASSERT_EQ(where("mainzq_299"), "gen/m299.py:1");
  ASSERT_TRUE(becomes([&] { return activity(); }, "idle"));
  const std::uint64_t updates_before = updates_applied();

  std::vector<std::pair<std::string, std::string>> on_feature, on_main;
  for (int i = 0; i < kFiles; ++i) {
    const std::string path = "gen/" + numbered("m", i) + ".py:1";
    const bool kept = i < kFiles - kDeleted;
    on_feature.emplace_back(numbered("mainzq_", i), "none");
    if (kept) on_feature.emplace_back(numbered("featzq_", i), path);
    on_main.emplace_back(numbered("mainzq_", i), path);
    if (kept) on_main.emplace_back(numbered("featzq_", i), "none");
  }
  for (int i = 0; i < kAdded; ++i) {
    on_feature.emplace_back(numbered("featnewzq_", i), "gen/" + numbered("f", i) + ".py:1");
    on_main.emplace_back(numbered("featnewzq_", i), "none");
  }
  on_feature.emplace_back("on_feature", "native/branch.c:1");
  on_feature.emplace_back("on_main", "none");
  on_main.emplace_back("on_main", "native/branch.c:1");
  on_main.emplace_back("on_feature", "none");

  git({"checkout", "-q", "feature"});
  // A sample first (cheap to poll), then every name, then nothing left pending.
  EXPECT_TRUE(becomes([&] { return mismatches({{"featzq_000", "gen/m000.py:1"}, {"featnewzq_009", "gen/f009.py:1"}}); }, ""));
  EXPECT_TRUE(becomes([&] { return mismatches(on_feature); }, ""));
  EXPECT_TRUE(becomes([&] { return activity(); }, "idle"));
  const std::uint64_t feature_updates = updates_applied() - updates_before;
  EXPECT_GE(feature_updates, 1u);
  EXPECT_LE(feature_updates, 10u) << "310 changed files should be applied in a few coalesced updates";
  ::testing::Test::RecordProperty("updates_for_the_checkout", static_cast<int>(feature_updates));

  git({"checkout", "-q", "main"});
  EXPECT_TRUE(becomes([&] { return mismatches(on_main); }, ""));
  EXPECT_TRUE(becomes([&] { return activity(); }, "idle"));
  EXPECT_LE(updates_applied() - updates_before - feature_updates, 10u);
  EXPECT_EQ(index_status().value("fresh", false), true);
}

TEST_F(WatchTest, WatchOffStopsUpdatesAndWatchOnCatchesUp) {
  write("app/live.py", "def live_fn():\n    pass\n");
  write("native/live.c", "int live_c(void) { return 0; }\n");
  ASSERT_NO_FATAL_FAILURE(serve());

  const ProcessResult off = cci_.run({"watch", "off", repo_.string()});
  ASSERT_EQ(off.exit_code, 0) << off.out << off.err;
  ASSERT_TRUE(becomes([&] { return watch_state(); }, "off"));
  const std::int64_t generation = index_status().value("generation", std::int64_t{-1});
  write("app/live.py", "def while_off_fn():\n    pass\n");
  write("native/added_while_off.c", "int while_off_c(void) { return 0; }\n");
  // Proving that nothing happens needs a window: several debounce intervals, then the index must
  // be exactly as it was.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const json status = index_status();
  EXPECT_EQ(status.value("generation", std::int64_t{-2}), generation) << status.dump();
  EXPECT_EQ(status.value("watch", json::object()).value("state", ""), "off");
  EXPECT_EQ(mismatches({{"live_fn", "app/live.py:1"}, {"while_off_fn", "none"}, {"while_off_c", "none"}}), "");

  const ProcessResult on = cci_.run({"watch", "on", repo_.string()});
  ASSERT_EQ(on.exit_code, 0) << on.out << on.err;
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"live_fn", "none"}, {"while_off_fn", "app/live.py:1"}, {"while_off_c", "native/added_while_off.c:1"}});
  }, ""));
  EXPECT_TRUE(becomes([&] { return watch_state(); }, "watching"));
  // Live again.
  write("app/live.py", "def back_on_fn():\n    pass\n");
  EXPECT_TRUE(becomes([&] { return mismatches({{"back_on_fn", "app/live.py:1"}, {"while_off_fn", "none"}}); }, ""));
}

TEST_F(WatchTest, DaemonStartedWithNoWatchLeavesTheIndexAlone) {
  write("app/still.py", "def still_fn():\n    pass\n");
  commit_all("initial");
  const ProcessResult indexed = cci_.run({"index", repo_.string(), "--quiet"});
  ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  ASSERT_NO_FATAL_FAILURE(start_daemon({"--no-watch"}));
  ASSERT_EQ(watch_state(), "off");
  const std::int64_t generation = index_status().value("generation", std::int64_t{-1});
  write("app/still.py", "def moved_on_fn():\n    pass\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(800));  // a window for a wrongful update
  EXPECT_EQ(index_status().value("generation", std::int64_t{-2}), generation);
  EXPECT_EQ(mismatches({{"still_fn", "app/still.py:1"}, {"moved_on_fn", "none"}}), "");
  EXPECT_EQ(watch_state(), "off");
}

TEST_F(WatchTest, RestartReconcilesEditsMadeWhileTheDaemonWasStopped) {
  write("app/keep.py", "def keep_fn():\n    pass\n");
  write("app/edit.py", "def before_stop_fn():\n    pass\n");
  write("app/remove.py", "def removed_fn():\n    pass\n");
  write("native/edit.c", "int c_before_stop(void) { return 0; }\n");
  ASSERT_NO_FATAL_FAILURE(serve());
  stop_daemon();

  write("app/edit.py", "def after_stop_fn():\n    pass\n");
  fs::remove(repo_ / "app/remove.py");
  write("app/new.py", "def new_while_stopped_fn():\n    pass\n");
  write("native/edit.c", "int c_after_stop(void) { return 0; }\n");
  fs::rename(repo_ / "app/keep.py", repo_ / "app/kept.py");

  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string state = watch_state();
  EXPECT_TRUE(state == "reconciling" || state == "watching") << state;
  EXPECT_TRUE(becomes([&] {
    return mismatches({{"keep_fn", "app/kept.py:1"}, {"after_stop_fn", "app/edit.py:1"}, {"before_stop_fn", "none"},
                       {"removed_fn", "none"}, {"new_while_stopped_fn", "app/new.py:1"},
                       {"c_after_stop", "native/edit.c:1"}, {"c_before_stop", "none"}});
  }, ""));
  EXPECT_TRUE(becomes([&] { return watch_state(); }, "watching"));
  EXPECT_TRUE(becomes([&] { return activity(); }, "idle"));
  EXPECT_EQ(index_status().value("fresh", false), true);
}

// 2,000 files replaced in one atomic step (renameat2 RENAME_EXCHANGE of the directory holding
// them), so the filesystem is only ever wholly before or wholly after: any mixed answer would be
// the index's fault. Clients query throughout the update.
TEST_F(WatchTest, ConcurrentQueriesSeeTheWholeBeforeOrAfterAnswerNeverAMix) {
  constexpr int kFiles = 2000;
  constexpr const char* kProbe = "zqconsistencyprobe";
  const auto content = [&](int i, int version, bool probe) {
    std::string text = "def " + numbered("bulk_v" + std::to_string(version) + "_", i, 4) + "():\n    return " +
                       std::to_string(i) + "\n";
    if (probe) text += "\n\ndef " + std::string(kProbe) + "():\n    return " + std::to_string(version) + "\n";
    return text;
  };
  // Before: files 0..29 define the probe; after: files 1955..1999 do, and every file changed.
  // (Few enough that one untruncated search_code page lists them all.)
  std::set<std::string> before_paths, after_paths;
  const fs::path staging = dir_.path() / "bulk-next";
  for (int i = 0; i < kFiles; ++i) {
    const std::string name = numbered("f", i, 4) + ".py";
    const bool probe_before = i < 30, probe_after = i >= kFiles - 45;
    write("bulk/" + name, content(i, 1, probe_before));
    fs::create_directories(staging);
    std::ofstream(staging / name, std::ios::binary) << content(i, 2, probe_after);
    if (probe_before) before_paths.insert("bulk/" + name);
    if (probe_after) after_paths.insert("bulk/" + name);
  }
  ASSERT_NO_FATAL_FAILURE(serve());

  const std::string before = join({before_paths.begin(), before_paths.end()}, ",");
  const std::string after = join({after_paths.begin(), after_paths.end()}, ",");
  struct Answer {
    Clock::time_point at;
    std::int64_t generation;
    std::string paths;
    bool truncated;
  };
  std::mutex mutex;
  std::vector<Answer> answers;
  std::vector<std::string> failures;
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  const auto query_loop = [&] {
    while (!stop.load()) {
      auto r = client_->call_tool("search_code", {{"terms", kProbe}, {"limit", 100}, {"project_path", repo_.string()}});
      std::lock_guard lock(mutex);
      if (!r || r->is_error) {
        failures.push_back(r ? r->text : r.error().message);
        continue;
      }
      std::set<std::string> paths;
      for (const auto& hit : r->structured.value("results", json::array()))
        if (hit.value("name", "") == kProbe) paths.insert(hit.value("path", "?"));
      answers.push_back({Clock::now(), meta_generation(*r), join({paths.begin(), paths.end()}, ","),
                         r->structured.value("truncated", true)});
      answered.fetch_add(1);
    }
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) clients.emplace_back(query_loop);
  const auto warm_deadline = Clock::now() + kDeadline;
  while (answered.load() < 10 && Clock::now() < warm_deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));

  const auto swapped_at = Clock::now();
  ASSERT_EQ(::renameat2(AT_FDCWD, (repo_ / "bulk").c_str(), AT_FDCWD, staging.c_str(), RENAME_EXCHANGE), 0)
      << std::strerror(errno);
  const bool applied = becomes([&] { return mismatches({{"bulk_v2_1999", "bulk/f1999.py:1"}, {"bulk_v1_0000", "none"}}); }, "",
                               std::chrono::seconds(30));
  const bool idle = becomes([&] { return activity(); }, "idle");
  const int settled_at = answered.load();
  const auto settle_deadline = Clock::now() + kDeadline;
  while (answered.load() < settled_at + 10 && Clock::now() < settle_deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_TRUE(applied);
  EXPECT_TRUE(idle);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed calls, first: " << failures.front();

  std::map<std::int64_t, std::string> answer_of_generation;
  std::int64_t last_before = -1, first_after = -1;
  std::size_t befores = 0, afters = 0, befores_after_the_swap = 0;
  for (const auto& a : answers) {
    EXPECT_FALSE(a.truncated);
    const bool is_before = a.paths == before, is_after = a.paths == after;
    if (!is_before && !is_after) {
      ADD_FAILURE() << "a mixed answer at generation " << a.generation << ": "
                    << std::count(a.paths.begin(), a.paths.end(), ',') + (a.paths.empty() ? 0 : 1)
                    << " definitions: " << a.paths.substr(0, 400);
      continue;
    }
    auto [it, inserted] = answer_of_generation.emplace(a.generation, a.paths);
    EXPECT_EQ(it->second == before ? "before" : "after", is_before ? "before" : "after")
        << "generation " << a.generation << " in _meta came with both answers";
    if (is_before) {
      ++befores;
      if (a.at > swapped_at) ++befores_after_the_swap;
      last_before = std::max(last_before, a.generation);
    } else {
      ++afters;
      first_after = first_after < 0 ? a.generation : std::min(first_after, a.generation);
    }
  }
  EXPECT_GT(befores, 0u);
  EXPECT_GT(afters, 0u);
  EXPECT_LT(last_before, first_after) << "a before-answer claimed a generation at or after an after-answer's";
  ::testing::Test::RecordProperty("answers_before", static_cast<int>(befores));
  ::testing::Test::RecordProperty("answers_after", static_cast<int>(afters));
  // Answers from the previous index while the update ran: evidence the queries overlapped it.
  ::testing::Test::RecordProperty("answers_before_after_the_swap", static_cast<int>(befores_after_the_swap));
  EXPECT_EQ(mismatches({{"bulk_v2_0000", "bulk/f0000.py:1"}, {"bulk_v1_1999", "none"}}), "");
}

}  // namespace
}  // namespace cci
