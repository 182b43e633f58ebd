// The daemon's data-directory files without a daemon: the token (created once, 0600, the same
// for racing creators), and probe() reading the lock and daemon.json as a running daemon leaves
// them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "daemon/daemon.h"
#include "daemon/state.h"
#include "temp_dir.h"

namespace cci::daemon {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(DaemonToken, CreatedOnceWith256RandomBitsAndOwnerOnly) {
  testing::TempDir dir;
  const DaemonFiles files = DaemonFiles::in(dir.path() / "data");
  auto first = read_or_create_token(files);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->size(), 64u);
  EXPECT_EQ(first->find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(mode_of(files.token), 0600u);
  EXPECT_EQ(mode_of(files.dir), 0700u);
  EXPECT_EQ(read_or_create_token(files).value_or(""), *first);
  testing::TempDir other;
  EXPECT_NE(read_or_create_token(DaemonFiles::in(other.path())).value_or(*first), *first);
}

TEST(DaemonToken, RacingCreatorsAgree) {
  for (int round = 0; round < 20; ++round) {
    testing::TempDir dir;
    const DaemonFiles files = DaemonFiles::in(dir.path());
    std::vector<std::string> tokens(8);
    std::vector<std::thread> threads;
    for (auto& token : tokens)
      threads.emplace_back([&] {
        auto t = read_or_create_token(files);
        token = t ? *t : "error: " + t.error().message;
      });
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::set<std::string>(tokens.begin(), tokens.end()).size(), 1u) << tokens[0] << " / " << tokens[1];
    EXPECT_EQ(tokens[0].size(), 64u) << tokens[0];
  }
}

TEST(DaemonToken, LooseModeIsTightened) {
  testing::TempDir dir;
  const DaemonFiles files = DaemonFiles::in(dir.path());
  dir.write("daemon.token", "abc123\n");
  ::chmod(files.token.c_str(), 0644);
  EXPECT_EQ(read_or_create_token(files).value_or(""), "abc123");
  EXPECT_EQ(mode_of(files.token), 0600u);
}

TEST(DaemonProbe, NothingRunsWithoutALockHolderWhateverTheFilesSay) {
  testing::TempDir dir;
  const DaemonFiles files = DaemonFiles::in(dir.path());
  auto none = probe(files);
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->has_value());
  // A crashed daemon's leftovers.
  dir.write("daemon.lock", "999999\n");
  dir.write("daemon.json", R"({"pid": 999999, "host": "127.0.0.1", "port": 8765, "socket": "s"})");
  auto stale = probe(files);
  ASSERT_TRUE(stale.has_value());
  EXPECT_FALSE(stale->has_value());
  EXPECT_EQ(stop(files).error().code, ErrorCode::NotFound);
  EXPECT_EQ(status(files).error().code, ErrorCode::Unavailable);
}

TEST(DaemonProbe, TheLockHoldersStateIsReported) {
  testing::TempDir dir;
  const DaemonFiles files = DaemonFiles::in(dir.path());
  // This process plays the daemon: lock held, its pid in the lock file, its state written.
  const int fd = ::open(files.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const std::string pid = std::to_string(::getpid());
  ASSERT_EQ(::write(fd, pid.data(), pid.size()), static_cast<ssize_t>(pid.size()));
  dir.write("daemon.json", R"({"pid": )" + pid +
                               R"(, "host": "::1", "port": 9000, "socket": "/s", "version": "1.2.3", "started_at": "t"})");
  auto running = probe(files);
  ::close(fd);
  ASSERT_TRUE(running.has_value()) << running.error().message;
  ASSERT_TRUE(running->has_value());
  const DaemonState& state = **running;
  EXPECT_EQ(state.pid, ::getpid());
  EXPECT_EQ(state.port, 9000);
  EXPECT_EQ(state.version, "1.2.3");
  EXPECT_EQ(state.ws_url(), "ws://[::1]:9000/");
  EXPECT_EQ(state.http_url(), "http://[::1]:9000/mcp");
  // A daemon.json from before watching existed: the watch defaults.
  EXPECT_TRUE(state.watch);
  EXPECT_EQ(state.watch_debounce_ms, 30u);
  EXPECT_FALSE(state.exact_max_symbols.has_value());
  EXPECT_TRUE(state.search_index);
}

TEST(DaemonState, WatchAndSearchIndexOptionsSurviveTheStateFile) {
  testing::TempDir dir;
  DaemonState written;
  written.pid = 42;
  written.host = "127.0.0.1";
  written.port = 8765;
  written.watch = false;
  written.watch_debounce_ms = 250;
  written.exact_max_symbols = 5000;
  written.search_index = false;
  const fs::path file = dir.path() / "daemon.json";
  ASSERT_TRUE(detail::write_file_atomically(file, detail::state_to_json(written).dump(), 0600).has_value());
  auto read = detail::read_state(file);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_FALSE(read->watch);
  EXPECT_EQ(read->watch_debounce_ms, 250u);
  EXPECT_EQ(read->exact_max_symbols, std::optional<std::uint64_t>(5000));
  EXPECT_FALSE(read->search_index);

  written.watch = true;
  written.exact_max_symbols.reset();
  ASSERT_TRUE(detail::write_file_atomically(file, detail::state_to_json(written).dump(), 0600).has_value());
  read = detail::read_state(file);
  ASSERT_TRUE(read.has_value());
  EXPECT_TRUE(read->watch);
  EXPECT_FALSE(read->exact_max_symbols.has_value());
}

}  // namespace
}  // namespace cci::daemon
