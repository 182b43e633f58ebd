// The daemon's log file (core/log.h file sink): one valid JSON object per line, rotation by size
// to .1 ... .N, and reopening after the file was moved away (SIGHUP after logrotate).
#include "core/log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "rpc/json.h"
#include "temp_dir.h"

namespace cci {
namespace {

namespace fs = std::filesystem;
using rpc::Json;

std::vector<Json> records(const fs::path& file) {
  std::vector<Json> out;
  std::istringstream in(testing::read_file(file));
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << line;
    out.push_back(std::move(j));
  }
  return out;
}

// The file sink is process-wide: each test closes it and restores the level and stderr.
class LogFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_level_ = log::level();
    log::set_level(log::Level::Info);
    log::set_stderr_enabled(false);
  }
  void TearDown() override {
    log::close_file();
    log::set_stderr_enabled(true);
    log::set_level(saved_level_);
  }
  testing::TempDir dir_;
  log::Level saved_level_ = log::Level::Warn;
};

TEST_F(LogFileTest, LinesAreJsonWithTimestampLevelPidAndMessage) {
  const fs::path file = dir_.path() / "daemon.log";
  ASSERT_TRUE(log::open_file(file, 1 << 20, 3).has_value());
  log::info("started on {}", "ws://127.0.0.1:8765/");
  log::debug("not at info level");
  log::warn("careful");
  const auto lines = records(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["level"], "info");
  EXPECT_EQ(lines[0]["msg"], "started on ws://127.0.0.1:8765/");
  EXPECT_EQ(lines[0]["pid"], ::getpid());
  EXPECT_TRUE(std::regex_match(lines[0]["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << lines[0]["ts"];
  EXPECT_EQ(lines[1]["level"], "warn");
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(LogFileTest, MessagesAreEscapedAndInvalidUtf8IsReplaced) {
  const std::string message = "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9 bad \xff\xfe end";
  const Json j = Json::parse(log::format_json_line(log::Level::Error, message));
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["msg"], "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9 bad \xef\xbf\xbd\xef\xbf\xbd end");
  // Truncated and overlong sequences and surrogates are not UTF-8 either.
  for (const std::string bad : {"\xe2\x82", "\xc0\xaf", "\xed\xa0\x80"}) {
    const Json k = Json::parse(log::format_json_line(log::Level::Info, "x" + bad + "y"));
    EXPECT_EQ(k["msg"].get<std::string>().front(), 'x');
    EXPECT_NE(k["msg"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);
  }
}

TEST_F(LogFileTest, RotatesBySizeKeepingThreeOldFiles) {
  const fs::path file = dir_.path() / "daemon.log";
  constexpr std::uint64_t kMax = 2000;
  ASSERT_TRUE(log::open_file(file, kMax, 3).has_value());
  constexpr int kMessages = 200;  // ~100 bytes each: about ten files' worth
  for (int i = 0; i < kMessages; ++i) log::info("message {:04} {}", i, std::string(20, 'x'));

  for (const char* name : {"daemon.log", "daemon.log.1", "daemon.log.2", "daemon.log.3"}) {
    ASSERT_TRUE(fs::exists(dir_.path() / name)) << name;
    EXPECT_LE(fs::file_size(dir_.path() / name), kMax) << name;
  }
  EXPECT_FALSE(fs::exists(dir_.path() / "daemon.log.4"));

  // Oldest to newest: .3, .2, .1, current; consecutive, none lost between them, ending with the last.
  std::vector<int> sequence;
  for (const char* name : {"daemon.log.3", "daemon.log.2", "daemon.log.1", "daemon.log"})
    for (const Json& j : records(dir_.path() / name)) sequence.push_back(std::stoi(j["msg"].get<std::string>().substr(8, 4)));
  ASSERT_FALSE(sequence.empty());
  EXPECT_EQ(sequence.back(), kMessages - 1);
  for (std::size_t i = 1; i < sequence.size(); ++i) EXPECT_EQ(sequence[i], sequence[i - 1] + 1);
  EXPECT_GT(sequence.size(), 40u);
}

TEST_F(LogFileTest, ReopenStartsAFreshFileAfterItWasMoved) {
  const fs::path file = dir_.path() / "daemon.log";
  ASSERT_TRUE(log::open_file(file, 1 << 20, 3).has_value());
  log::info("before");
  fs::rename(file, dir_.path() / "moved.log");
  log::info("still to the moved file");
  ASSERT_TRUE(log::reopen().has_value());
  log::info("after");
  const auto moved = records(dir_.path() / "moved.log");
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[1]["msg"], "still to the moved file");
  const auto fresh = records(file);
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(fresh[0]["msg"], "after");
}

TEST_F(LogFileTest, UnwritableLocationIsAnError) {
  auto opened = log::open_file(dir_.path() / "no-such-dir" / "daemon.log", 1000, 3);
  ASSERT_FALSE(opened.has_value());
  EXPECT_EQ(opened.error().code, ErrorCode::IoError);
}

}  // namespace
}  // namespace cci
