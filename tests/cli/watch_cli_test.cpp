// tests/cli/watch_cli_test.cpp — `cci watch`, `cci stats` and the daemon's watch flags, end to end:
// the real binary with a private CCI_HOME per test, daemons on ports the kernel picks. Without a
// daemon the setting is only recorded; with one, an indexed project is watched from the start,
// edits show up as new generations in `cci stats`, `cci watch off|on` takes effect at once, and
// /status, /metrics and the log report the updates. `restart` keeps --no-watch and
// --debounce-ms. Every test stops (or kills) its daemon at the end.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "cci_runner.h"

namespace cci {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::Cci;
using testing::ProcessResult;
using Clock = std::chrono::steady_clock;

// Generous: the machine running the tests may be loaded.
constexpr auto kDeadline = std::chrono::seconds(60);

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kDeadline) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

bool lock_held(const fs::path& lock) {
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

// GET `target` on 127.0.0.1:port with the bearer token; the body of a 200 answer, else "".
std::string http_get(std::uint16_t port, const std::string& target, const std::string& token) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    ADD_FAILURE() << "cannot connect to port " << port << ": " << std::strerror(errno);
    return {};
  }
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                              "\r\nAuthorization: Bearer " + token + "\r\nConnection: close\r\n\r\n";
  [[maybe_unused]] auto sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (!raw.starts_with("HTTP/1.1 200")) return {};
  const auto body = raw.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : raw.substr(body + 4);
}

class WatchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write("pkg/core.py", "from .util import helper\n\n\ndef run():\n    return helper(1)\n");
    repo_.write("pkg/util.py", "def helper(x):\n    return x + 1\n");
    root_ = fs::canonical(repo_.path()).string();
    const ProcessResult indexed = cci_.run({"index"}, repo_.path());
    ASSERT_EQ(indexed.exit_code, 0) << indexed.out << indexed.err;
  }

  void TearDown() override {
    if (!lock_held(home() / "daemon.lock")) return;
    const std::string pid_text = testing::read_file(home() / "daemon.lock");
    const pid_t pid = pid_text.empty() ? 0 : static_cast<pid_t>(std::atol(pid_text.c_str()));
    cci_.run({"mcp-daemon", "stop"});
    if (pid > 0 && !poll_until([&] { return !lock_held(home() / "daemon.lock"); }, std::chrono::seconds(5))) {
      ::kill(pid, SIGKILL);
      poll_until([&] { return !lock_held(home() / "daemon.lock"); }, std::chrono::seconds(5));
    }
  }

  fs::path home() const { return cci_.data_dir(); }

  json daemon_state() const {
    const json j = json::parse(testing::read_file(home() / "daemon.json"), nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  std::string token() const {
    std::string t = testing::read_file(home() / "daemon.token");
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }

  void start_daemon(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"mcp-daemon", "start", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = cci_.run(args);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // This project's entry in `cci watch status --json`.
  json watch_entry() const {
    const json status = cci_.json({"watch", "status"});
    for (const auto& p : status.value("projects", json::array()))
      if (p.value("root", "") == root_) return p;
    ADD_FAILURE() << "no entry for " << root_ << " in " << status.dump();
    return json::object();
  }

  testing::TempDir dir_;
  testing::TempDir repo_;
  std::string root_;
  Cci cci_{dir_.path() / "home"};
};

TEST_F(WatchCliTest, WithoutADaemonTheSettingIsRecordedAndNothingIsWatched) {
  ProcessResult r = cci_.run({"watch", "off"}, repo_.path() / "pkg");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "watching " + root_ + ": off\ndaemon not running: not watched\n");
  json entry = watch_entry();
  EXPECT_EQ(entry["enabled"], false);
  EXPECT_EQ(entry["state"], "off");

  r = cci_.run({"watch", "on", root_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("watching " + root_ + ": on\n")) << r.out;
  EXPECT_EQ(watch_entry()["enabled"], true);

  r = cci_.run({"watch"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.starts_with("daemon not running: not watched\n")) << r.out;
  EXPECT_NE(r.out.find("on   off          " + root_), std::string::npos) << r.out;
  const json status = cci_.json({"watch", "status"});
  EXPECT_EQ(status["daemon"]["running"], false);

  testing::TempDir elsewhere;
  r = cci_.run({"watch", "off", elsewhere.path().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not inside an indexed project"), std::string::npos) << r.err;

  r = cci_.run({"stats"}, repo_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("watch       off (no daemon)\n"), std::string::npos) << r.out;
  const json stats = cci_.json({"stats"}, repo_.path());
  EXPECT_EQ(stats["watch"]["state"], "off");
  EXPECT_EQ(stats["daemon"], false);
  EXPECT_EQ(stats["ranks_exact"], true);
  EXPECT_GE(stats["generation"].get<int>(), 1);
}

TEST_F(WatchCliTest, TheDaemonKeepsTheIndexCurrentAndReportsIt) {
  start_daemon({"--debounce-ms", "20"});
  // Registered and indexed before the daemon started: watched from the start.
  ASSERT_TRUE(poll_until([&] { return watch_entry().value("state", "") == "watching"; })) << watch_entry().dump();
  json stats;
  ASSERT_TRUE(poll_until([&] {
    stats = cci_.json({"stats"}, repo_.path());
    return stats["watch"].value("state", "") == "watching" && stats["watch"].value("pending_paths", 1) == 0;
  })) << stats.dump();
  EXPECT_EQ(stats["daemon"], true);
  const int g0 = stats["generation"].get<int>();
  ProcessResult r = cci_.run({"stats"}, repo_.path());
  EXPECT_NE(r.out.find("watch       watching, 0 pending changes"), std::string::npos) << r.out;

  repo_.write("pkg/extra.py", "def brand_new_function():\n    return 2\n");
  ASSERT_TRUE(poll_until([&] {
    stats = cci_.json({"stats"}, repo_.path());
    return stats.value("generation", 0) > g0 && stats.value("symbols", 0) > 0;
  })) << stats.dump();
  // The new function is found without `cci index`.
  ASSERT_TRUE(poll_until([&] {
    const json found = cci_.json({"def", "brand_new_function"}, repo_.path());
    return found.contains("definitions") && !found["definitions"].empty();
  }));

  // /status, /metrics and the log saw the update.
  const json state = daemon_state();
  const auto port = state.value("port", 0);
  ASSERT_GT(port, 0);
  json status;
  ASSERT_TRUE(poll_until([&] {
    status = json::parse(http_get(static_cast<std::uint16_t>(port), "/status", token()), nullptr, false);
    if (status.is_discarded() || !status.contains("watch")) return false;
    for (const auto& p : status["watch"]["projects"])
      if (p["root"] == root_ && p["updates_applied"].get<int>() >= 1) return true;
    return false;
  })) << status.dump();
  EXPECT_EQ(status["watch"]["enabled"], true);
  EXPECT_EQ(status["watch"]["debounce_ms"], 20);
  const std::string metrics = http_get(static_cast<std::uint16_t>(port), "/metrics", token());
  EXPECT_NE(metrics.find("cci_watched_projects 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("cci_watch_updates_total{kind=\"update\",outcome=\"ok\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("cci_watch_update_seconds_count{kind=\"update\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("cci_watch_pending_paths "), std::string::npos) << metrics;
  r = cci_.run({"mcp-daemon", "logs", "-n", "200"});
  EXPECT_NE(r.out.find("watch update of " + root_ + ": generation"), std::string::npos) << r.out;
  r = cci_.run({"mcp-daemon", "status"});
  EXPECT_NE(r.out.find("1 project watched"), std::string::npos) << r.out;

  // Off: the daemon stops watching at once; on: it starts again with a reconcile pass.
  r = cci_.run({"watch", "off"}, repo_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "watching " + root_ + ": off\ndaemon: off\n");
  json entry = watch_entry();
  EXPECT_EQ(entry["enabled"], false);
  EXPECT_EQ(entry["state"], "off");
  const json off_stats = cci_.json({"stats"}, repo_.path());
  EXPECT_EQ(off_stats["watch"]["state"], "off");
  EXPECT_EQ(off_stats["watch"]["enabled"], false);

  r = cci_.run({"watch", "on"}, repo_.path());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out == "watching " + root_ + ": on\ndaemon: reconciling\n" ||
              r.out == "watching " + root_ + ": on\ndaemon: watching\n")
      << r.out;
  ASSERT_TRUE(poll_until([&] { return watch_entry().value("state", "") == "watching"; })) << watch_entry().dump();
  EXPECT_EQ(watch_entry()["enabled"], true);
}

TEST_F(WatchCliTest, NoWatchDebounceAndNoSearchIndexAreKeptByRestart) {
  start_daemon({"--no-watch", "--debounce-ms", "77", "--exact-max-symbols", "1234", "--no-search-index"});
  json state = daemon_state();
  EXPECT_EQ(state["search_index"], false);
  EXPECT_EQ(state["watch"], false);
  EXPECT_EQ(state["watch_debounce_ms"], 77);
  EXPECT_EQ(state["exact_max_symbols"], 1234);
  ProcessResult r = cci_.run({"watch"});
  EXPECT_TRUE(r.out.starts_with("daemon running with --no-watch: not watched\n")) << r.out;
  const json stats = cci_.json({"stats"}, repo_.path());
  EXPECT_EQ(stats["daemon"], true);
  EXPECT_EQ(stats["watch"]["state"], "off");
  json status = cci_.json({"mcp-daemon", "status"});
  EXPECT_EQ(status["watch"]["enabled"], false);
  EXPECT_EQ(status["watch"]["projects"].size(), 0u);

  r = cci_.run({"mcp-daemon", "restart"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  state = daemon_state();
  EXPECT_EQ(state["search_index"], false);
  EXPECT_EQ(state["watch"], false);
  EXPECT_EQ(state["watch_debounce_ms"], 77);
  EXPECT_EQ(state["exact_max_symbols"], 1234);

  r = cci_.run({"mcp-daemon", "restart", "--watch", "--debounce-ms", "40", "--search-index"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  state = daemon_state();
  EXPECT_EQ(state["search_index"], true);
  EXPECT_EQ(state["watch"], true);
  EXPECT_EQ(state["watch_debounce_ms"], 40);
  EXPECT_EQ(state["exact_max_symbols"], 1234);
  status = cci_.json({"mcp-daemon", "status"});
  EXPECT_EQ(status["watch"]["enabled"], true);
  EXPECT_EQ(status["watch"]["debounce_ms"], 40);
  ASSERT_TRUE(poll_until([&] { return watch_entry().value("state", "") == "watching"; })) << watch_entry().dump();

  EXPECT_EQ(cci_.run({"mcp-daemon", "start", "--debounce-ms", "-1"}).exit_code, 2);
}

}  // namespace
}  // namespace cci
