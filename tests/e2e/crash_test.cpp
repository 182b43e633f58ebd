// Crash safety: `cci index` killed with SIGKILL at arbitrary moments never corrupts the index
// and never exposes a half-written one: afterwards the index is either the previous complete
// one or the new complete one, and PRAGMA integrity_check passes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cci_runner.h"

namespace cci {
namespace {

using testing::Cci;

void write_repo(const testing::TempDir& repo, int files, const std::string& tag) {
  for (int i = 0; i < files; ++i) {
    std::string body;
    for (int f = 0; f < 20; ++f)
      body += "def " + tag + "_fn_" + std::to_string(i) + "_" + std::to_string(f) + "(x):\n    return helper_" +
              std::to_string(f) + "(x)\n\n";
    repo.write("pkg" + std::to_string(i % 20) + "/mod_" + std::to_string(i) + ".py", body);
  }
}

int symbol_count(const Cci& cci, const std::filesystem::path& repo) {
  auto stats = cci.json({"stats", "--verify"}, repo);
  EXPECT_EQ(stats["integrity"], "ok");
  return stats["symbols"].is_number() ? stats["symbols"].get<int>() : -1;
}

TEST(CrashSafety, KilledIndexRunsLeaveACompleteIndex) {
  testing::TempDir repo, home;
  Cci cci(home.path());
  write_repo(repo, 1500, "old");
  auto first = cci.run({"index", repo.path().string(), "--quiet"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const int old_count = symbol_count(cci, repo.path());
  ASSERT_GT(old_count, 1500 * 20);

  // The new tree has a different number of symbols, so a mix would show.
  repo.remove("pkg0");
  write_repo(repo, 1400, "new");
  // What a completed run of the new tree yields, computed in a separate data directory.
  testing::TempDir other_home;
  Cci reference(other_home.path());
  ASSERT_EQ(reference.run({"index", repo.path().string(), "--quiet"}).exit_code, 0);
  const int new_count = symbol_count(reference, repo.path());
  ASSERT_NE(new_count, old_count);

  int committed = old_count;
  int kills = 0;
  for (int delay_ms : {20, 80, 150, 250, 400, 700, 1000}) {
    testing::ProcessOptions options;
    options.env = {{"CCI_HOME", home.path().string()}};
    const pid_t pid = testing::spawn_process({CCI_BINARY, "index", repo.path().string(), "--quiet", "--force"}, options);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    ::kill(pid, SIGKILL);
    const int status = testing::wait_process(pid);
    const int count = symbol_count(cci, repo.path());
    if (status == -SIGKILL) {
      // Killed: readers see a complete index, the previous one or (if the kill came after the
      // commit) the new one, never a mix.
      ++kills;
      EXPECT_TRUE(count == committed || count == new_count)
          << "killed after " << delay_ms << " ms: " << count << " symbols, expected " << committed << " or " << new_count;
      committed = count;
    } else {
      EXPECT_EQ(status, 0);
      committed = count;  // the run finished before the kill: its result is the new baseline
    }
    auto search = cci.json({"search", "fn"}, repo.path());
    EXPECT_FALSE(search["results"].empty()) << "after " << delay_ms << " ms";
  }
  EXPECT_GT(kills, 0) << "no run was interrupted; the fixture is too small to test anything";
  auto last = cci.run({"index", repo.path().string(), "--quiet"});
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(symbol_count(cci, repo.path()), new_count);
  auto gone = cci.run({"search", "old_fn_1_1"}, repo.path());
  EXPECT_EQ(gone.exit_code, 1);
}

}  // namespace
}  // namespace cci
