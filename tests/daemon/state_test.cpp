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
}

}  // namespace
}  // namespace cci::daemon
