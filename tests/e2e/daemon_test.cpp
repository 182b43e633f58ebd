// `cci mcp-daemon`, end to end: the real binary starting, probing and stopping real daemons in a
// private CCI_HOME each, on ports the kernel picks (--port 0). Asserts exit codes, messages, the
// files in the data directory and their modes, the HTTP endpoints' answers and security checks,
// and the race-freedom of concurrent starts. Every test stops (or kills) its daemon at the end.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
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

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// Alive and not a zombie (the daemons are re-parented to init, which in a container may never
// reap them).
bool process_alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  const std::string stat = testing::read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

// Whether anybody holds the daemon's flock (the daemon's own notion of "running").
bool lock_held(const fs::path& lock) {
  const int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

struct HttpResponse {
  int status = 0;
  std::string headers;
  std::string body;
};

// One HTTP/1.1 GET on a fresh connection (Connection: close), read until the server closes.
HttpResponse http_get(std::uint16_t port, const std::string& target, const std::vector<std::string>& headers = {}) {
  HttpResponse response;
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
    return response;
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
  for (const auto& h : headers) request += h + "\r\n";
  request += "\r\n";
  [[maybe_unused]] auto sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    raw.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto header_end = raw.find("\r\n\r\n");
  if (raw.starts_with("HTTP/1.1 ") && raw.size() >= 12) response.status = std::stoi(raw.substr(9, 3));
  response.headers = raw.substr(0, header_end);
  if (header_end != std::string::npos) response.body = raw.substr(header_end + 4);
  return response;
}

// Sends one NDJSON line on the daemon's Unix socket and returns the first line it answers.
std::string unix_exchange(const fs::path& socket_path, const std::string& line) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    ADD_FAILURE() << "cannot connect to " << socket_path << ": " << std::strerror(errno);
    return {};
  }
  const std::string message = line + "\n";
  [[maybe_unused]] auto sent = ::send(fd, message.data(), message.size(), MSG_NOSIGNAL);
  std::string answer;
  char c = 0;
  while (::recv(fd, &c, 1, 0) == 1 && c != '\n') answer += c;
  ::close(fd);
  return answer;
}

// A running process whose stdout is read as it comes (for `logs --follow`).
class StreamingProcess {
 public:
  StreamingProcess(const std::vector<std::string>& argv, const fs::path& cci_home) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::setenv("CCI_HOME", cci_home.c_str(), 1);
      std::vector<char*> args;
      for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_fd_ = fds[0];
  }
  ~StreamingProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      testing::wait_process(pid_);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }

  // Reads until `needle` occurs `times` times in the output, or the deadline.
  bool wait_for(const std::string& needle, int times = 1, std::chrono::seconds timeout = std::chrono::seconds(20)) {
    const auto deadline = Clock::now() + timeout;
    while (occurrences(needle) < times) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
      if (n <= 0) return occurrences(needle) >= times;
      out_.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
  }

  int interrupt_and_wait() {
    ::kill(pid_, SIGINT);
    const int code = testing::wait_process(pid_);
    pid_ = -1;
    return code;
  }

  const std::string& output() const { return out_; }

 private:
  int occurrences(const std::string& needle) const {
    int n = 0;
    for (auto at = out_.find(needle); at != std::string::npos; at = out_.find(needle, at + needle.size())) ++n;
    return n;
  }
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string out_;
};

// A data directory with at most one daemon, which is gone when the test ends whatever happened.
class DaemonTest : public ::testing::Test {
 protected:
  void TearDown() override {
    const pid_t pid = lock_pid();
    cci_.run({"mcp-daemon", "stop"});
    if (process_alive(pid) && !poll_until([&] { return !lock_held(lock()); }, std::chrono::seconds(5))) {
      ::kill(pid, SIGKILL);
      poll_until([&] { return !lock_held(lock()); }, std::chrono::seconds(5));
    }
  }

  fs::path home() const { return cci_.data_dir(); }
  fs::path lock() const { return home() / "daemon.lock"; }
  fs::path state_file() const { return home() / "daemon.json"; }

  pid_t lock_pid() const {
    const std::string text = testing::read_file(lock());
    return text.empty() ? 0 : static_cast<pid_t>(std::atol(text.c_str()));
  }

  json state() const {
    const json j = json::parse(testing::read_file(state_file()), nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  // `mcp-daemon start --port 0 ...`, asserting success; returns daemon.json.
  json start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"mcp-daemon", "start", "--port", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = cci_.run(args);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const json s = state();
    EXPECT_TRUE(s.contains("port")) << testing::read_file(state_file());
    return s;
  }

  std::string token() const {
    std::string t = testing::read_file(home() / "daemon.token");
    while (!t.empty() && t.back() == '\n') t.pop_back();
    return t;
  }

  testing::TempDir dir_;
  Cci cci_{dir_.path() / "home"};
};

TEST_F(DaemonTest, StartStatusStopAndTheirExitCodes) {
  const ProcessResult started = cci_.run({"mcp-daemon", "start", "--port", "0"});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  const json s = state();
  const pid_t pid = s.value("pid", 0);
  const int port = s.value("port", 0);
  ASSERT_GT(pid, 0);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(process_alive(pid));
  EXPECT_EQ(s["host"], "127.0.0.1");
  EXPECT_EQ(s["socket"], (home() / "daemon.sock").string());
  EXPECT_NE(started.out.find("started (pid " + std::to_string(pid) + ")"), std::string::npos) << started.out;
  EXPECT_NE(started.out.find("ws://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos) << started.out;

  int code = -1;
  const json status = cci_.json({"mcp-daemon", "status"}, {}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(status["running"], true);
  EXPECT_EQ(status["pid"], pid);
  EXPECT_EQ(status["port"], port);
  for (const char* key : {"version", "host", "socket", "started_at", "uptime_seconds", "rss_bytes", "cpu_seconds",
                          "sessions", "projects_loaded", "requests_total"})
    EXPECT_TRUE(status.contains(key)) << key << " in " << status.dump();
  for (const char* key : {"p50", "p90", "p99"}) EXPECT_TRUE(status["latency_ms"].contains(key)) << key;
  for (const char* key : {"hits", "misses", "hit_ratio", "bytes", "entries"}) EXPECT_TRUE(status["cache"].contains(key)) << key;
  for (const char* key : {"running", "total"}) EXPECT_TRUE(status["index_jobs"].contains(key)) << key;
  EXPECT_GT(status["rss_bytes"].get<double>(), 1 << 20);

  const ProcessResult table = cci_.run({"mcp-daemon", "status"});
  EXPECT_EQ(table.exit_code, 0) << table.err;
  for (const std::string& expected : std::vector<std::string>{"cci daemon: running", std::to_string(pid), "ws://127.0.0.1:" + std::to_string(port),
                                     "daemon.sock", "uptime", "p50", "p99", "hits"})
    EXPECT_NE(table.out.find(expected), std::string::npos) << expected << " in\n" << table.out;

  const ProcessResult again = cci_.run({"mcp-daemon", "start", "--port", "0"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already running (pid " + std::to_string(pid) + ", ws://127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << again.err;
  EXPECT_EQ(state()["pid"], pid);  // the loser touched nothing

  const ProcessResult stopped = cci_.run({"mcp-daemon", "stop"});
  EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  EXPECT_NE(stopped.out.find("stopped (pid " + std::to_string(pid) + ")"), std::string::npos) << stopped.out;
  EXPECT_FALSE(lock_held(lock()));
  EXPECT_FALSE(fs::exists(state_file()));
  EXPECT_TRUE(poll_until([&] { return !process_alive(pid); }));

  const ProcessResult stop_again = cci_.run({"mcp-daemon", "stop"});
  EXPECT_EQ(stop_again.exit_code, 1);
  EXPECT_NE(stop_again.err.find("not running"), std::string::npos) << stop_again.err;

  const ProcessResult not_running = cci_.run({"mcp-daemon", "status"});
  EXPECT_EQ(not_running.exit_code, 1);
  EXPECT_NE(not_running.out.find("cci daemon: not running"), std::string::npos) << not_running.out;
  EXPECT_EQ(cci_.json({"mcp-daemon", "status"}, {}, &code), json({{"running", false}}));
  EXPECT_EQ(code, 1);
}

TEST_F(DaemonTest, StaleStateLockAndSocketFromADeadDaemonDoNotBlockStart) {
  // A pid that certainly belongs to no process any more.
  const pid_t dead = testing::spawn_process({"/bin/true"});
  testing::wait_process(dead);
  fs::create_directories(home());
  std::ofstream(lock()) << dead << "\n";
  std::ofstream(state_file()) << json{{"pid", dead}, {"host", "127.0.0.1"}, {"port", 1}, {"socket", "x"}}.dump();
  {
    // A crashed daemon leaves its socket file behind.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, (home() / "daemon.sock").c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << std::strerror(errno);
    ::close(fd);
  }
  const ProcessResult stale_status = cci_.run({"mcp-daemon", "status"});
  EXPECT_EQ(stale_status.exit_code, 1);
  EXPECT_NE(stale_status.out.find("not running"), std::string::npos);
  EXPECT_EQ(cci_.run({"mcp-daemon", "stop"}).exit_code, 1);

  const json s = start();
  EXPECT_NE(s.value("pid", 0), dead);
  EXPECT_NE(s.value("port", 1), 1);
  EXPECT_EQ(lock_pid(), s.value("pid", 0));
  const std::string reply = unix_exchange(
      home() / "daemon.sock",
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
  EXPECT_TRUE(json::parse(reply, nullptr, false).contains("result")) << reply;
}

TEST_F(DaemonTest, PortInUseFailsClearlyAndLeavesNoDaemon) {
  const int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(busy, 4), 0);
  socklen_t len = sizeof addr;
  ::getsockname(busy, reinterpret_cast<sockaddr*>(&addr), &len);
  const std::string port = std::to_string(ntohs(addr.sin_port));

  const ProcessResult r = cci_.run({"mcp-daemon", "start", "--port", port});
  ::close(busy);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("cannot listen on 127.0.0.1:" + port + ": Address already in use"), std::string::npos) << r.err;
  EXPECT_FALSE(lock_held(lock()));
  EXPECT_FALSE(fs::exists(state_file()));
  EXPECT_EQ(cci_.run({"mcp-daemon", "status"}).exit_code, 1);
  // The reason is in the log too, for a start nobody watched (e.g. by a proxy).
  EXPECT_NE(testing::read_file(home() / "daemon.log").find("Address already in use"), std::string::npos);
}

TEST_F(DaemonTest, ConcurrentStartsLeaveExactlyOneDaemon) {
  constexpr int kStarters = 3;
  std::vector<ProcessResult> results(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i)
    threads.emplace_back([&, i] { results[i] = cci_.run({"mcp-daemon", "start", "--port", "0"}); });
  for (auto& t : threads) t.join();

  int winners = 0;
  for (const auto& r : results) {
    if (r.exit_code == 0) {
      ++winners;
    } else {
      EXPECT_EQ(r.exit_code, 1) << r.err;
      EXPECT_NE(r.err.find("already running (pid "), std::string::npos) << r.err;
    }
  }
  EXPECT_EQ(winners, 1);
  const json s = state();
  ASSERT_GT(s.value("pid", 0), 0);
  EXPECT_EQ(lock_pid(), s.value("pid", 0));
  for (const auto& r : results) {
    if (r.exit_code == 0) continue;
    EXPECT_NE(r.err.find("pid " + std::to_string(s.value("pid", 0))), std::string::npos) << r.err;
  }
  EXPECT_EQ(cci_.json({"mcp-daemon", "status"})["pid"], s["pid"]);
}

TEST_F(DaemonTest, SigtermStopsAForegroundDaemonWithExitZeroAndRemovesItsState) {
  testing::ProcessOptions options;
  options.env = {{"CCI_HOME", home().string()}};
  const pid_t pid = testing::spawn_process({CCI_BINARY, "mcp-daemon", "start", "--foreground", "--port", "0"}, options);
  ASSERT_TRUE(poll_until([&] { return state().value("pid", 0) == pid; })) << testing::read_file(home() / "daemon.log");
  EXPECT_EQ(http_get(state()["port"].get<std::uint16_t>(), "/healthz").status, 200);
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  EXPECT_EQ(testing::wait_process(pid), 0);
  EXPECT_FALSE(fs::exists(state_file()));
  EXPECT_FALSE(lock_held(lock()));
  const std::string log = testing::read_file(home() / "daemon.log");
  EXPECT_NE(log.find("SIGTERM"), std::string::npos) << log;
  EXPECT_NE(log.find("stopped"), std::string::npos) << log;
}

TEST_F(DaemonTest, DataDirectoryTokenAndSocketAreOwnerOnly) {
  start();
  auto mode = [](const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 0777;
  };
  EXPECT_EQ(mode(home()), 0700u);
  EXPECT_EQ(mode(home() / "daemon.token"), 0600u);
  EXPECT_EQ(mode(home() / "daemon.sock"), 0600u);
  EXPECT_EQ(token().size(), 64u);  // 256 bits in hex
  EXPECT_EQ(token().find_first_not_of("0123456789abcdef"), std::string::npos);

  // The token survives restarts: configured clients keep working.
  const std::string before = token();
  ASSERT_EQ(cci_.run({"mcp-daemon", "stop"}).exit_code, 0);
  start();
  EXPECT_EQ(token(), before);
}

TEST_F(DaemonTest, HttpEndpointsNeedTheTokenExceptHealthzAndRefuseForeignOrigins) {
  const json s = start();
  const auto port = s["port"].get<std::uint16_t>();
  const std::string bearer = "Authorization: Bearer " + token();

  const HttpResponse health = http_get(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  EXPECT_EQ(http_get(port, "/metrics").status, 401);
  EXPECT_EQ(http_get(port, "/metrics", {"Authorization: Bearer wrong"}).status, 401);
  EXPECT_EQ(http_get(port, "/status").status, 401);
  EXPECT_EQ(http_get(port, "/healthz", {"Origin: http://evil.example"}).status, 403);
  EXPECT_EQ(http_get(port, "/metrics", {bearer, "Origin: http://evil.example"}).status, 403);

  // One MCP request over the Unix socket (no token there: the file mode is the access control).
  const std::string reply = unix_exchange(
      home() / "daemon.sock",
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})");
  const json initialized = json::parse(reply, nullptr, false);
  ASSERT_TRUE(initialized.contains("result")) << reply;
  EXPECT_EQ(initialized["result"]["serverInfo"]["name"], "cci");

  const HttpResponse metrics = http_get(port, "/metrics", {bearer});
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers.find("text/plain; version=0.0.4"), std::string::npos) << metrics.headers;
  EXPECT_NE(metrics.body.find("# TYPE cci_requests_total counter"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find(R"(cci_requests_total{method="initialize",tool="",outcome="ok"} 1)"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find(R"(cci_request_duration_seconds_count{method="initialize",tool=""} 1)"), std::string::npos);
  EXPECT_NE(metrics.body.find("process_resident_memory_bytes"), std::string::npos);

  const HttpResponse status = http_get(port, "/status", {bearer});
  EXPECT_EQ(status.status, 200);
  const json report = json::parse(status.body, nullptr, false);
  EXPECT_EQ(report.value("requests_total", 0), 1) << status.body;
  EXPECT_GT(report["latency_ms"].value("p50", 0.0), 0.0);
}

TEST_F(DaemonTest, LogsShowTheStartupLineAndSighupReopensTheLog) {
  const json s = start();
  const ProcessResult logs = cci_.run({"mcp-daemon", "logs", "-n", "20"});
  EXPECT_EQ(logs.exit_code, 0) << logs.err;
  EXPECT_NE(logs.out.find("started"), std::string::npos) << logs.out;
  EXPECT_NE(logs.out.find("ws://127.0.0.1:" + std::to_string(s.value("port", 0))), std::string::npos) << logs.out;
  std::istringstream lines(logs.out);
  for (std::string line; std::getline(lines, line);) {
    const json record = json::parse(line, nullptr, false);
    ASSERT_FALSE(record.is_discarded()) << line;
    EXPECT_TRUE(record.contains("ts") && record.contains("level") && record.contains("pid") && record.contains("msg"));
  }
  const ProcessResult last = cci_.run({"mcp-daemon", "logs", "-n", "1"});
  EXPECT_EQ(std::count(last.out.begin(), last.out.end(), '\n'), 1) << last.out;

  // logrotate moved the file away; SIGHUP makes the daemon write a new one.
  fs::rename(home() / "daemon.log", home() / "daemon.log.rotated");
  ASSERT_EQ(::kill(s.value("pid", 0), SIGHUP), 0);
  EXPECT_TRUE(poll_until([&] { return testing::read_file(home() / "daemon.log").find("reopened") != std::string::npos; }));
  EXPECT_EQ(cci_.run({"mcp-daemon", "status"}).exit_code, 0);  // and it is still serving
}

TEST_F(DaemonTest, LogsFollowContinuesAcrossRotationUntilInterrupted) {
  const json s = start();
  const pid_t daemon_pid = s.value("pid", 0);
  StreamingProcess follow({CCI_BINARY, "mcp-daemon", "logs", "--follow", "-n", "1"}, home());
  ASSERT_TRUE(follow.wait_for("started")) << follow.output();
  // Lines appended to the same file.
  ASSERT_EQ(::kill(daemon_pid, SIGHUP), 0);
  ASSERT_TRUE(follow.wait_for("reopened", 1)) << follow.output();
  // The file moved away (rotation) and a new one started at the path.
  fs::rename(home() / "daemon.log", home() / "daemon.log.1");
  ASSERT_EQ(::kill(daemon_pid, SIGHUP), 0);
  ASSERT_TRUE(follow.wait_for("reopened", 2)) << follow.output();
  ASSERT_EQ(::kill(daemon_pid, SIGHUP), 0);
  ASSERT_TRUE(follow.wait_for("reopened", 3)) << follow.output();
  EXPECT_EQ(follow.interrupt_and_wait(), 0);
}

TEST_F(DaemonTest, LogsWithoutADaemonLogSayWhy) {
  const ProcessResult r = cci_.run({"mcp-daemon", "logs"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no daemon log"), std::string::npos) << r.err;
}

TEST_F(DaemonTest, RestartKeepsTheAddressAndStartsWhenNotRunning) {
  const json first = start();
  const ProcessResult r = cci_.run({"mcp-daemon", "restart"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const json second = state();
  EXPECT_NE(second["pid"], first["pid"]);
  EXPECT_EQ(second["port"], first["port"]);
  EXPECT_TRUE(poll_until([&] { return !process_alive(first.value("pid", 0)); }));
  EXPECT_EQ(http_get(second["port"].get<std::uint16_t>(), "/healthz").status, 200);

  ASSERT_EQ(cci_.run({"mcp-daemon", "stop"}).exit_code, 0);
  const ProcessResult cold = cci_.run({"mcp-daemon", "restart", "--port", "0"});
  EXPECT_EQ(cold.exit_code, 0) << cold.err;
  EXPECT_GT(state().value("pid", 0), 0);
}

TEST_F(DaemonTest, ConfigPrintsAndInstallsTheProxyEntry) {
  testing::TempDir user_home;
  testing::ProcessOptions options;
  options.env = {{"CCI_HOME", home().string()}, {"HOME", user_home.path().string()}};
  char resolved[PATH_MAX];
  ASSERT_NE(::realpath(CCI_BINARY, resolved), nullptr);

  const ProcessResult printed =
      testing::run_process({CCI_BINARY, "mcp-daemon", "config", "--client", "claude-code"}, options);
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.out.find("claude mcp add --scope user"), std::string::npos) << printed.out;
  EXPECT_NE(printed.out.find(std::string("claude-code-indexer -- ") + resolved + " mcp-proxy"), std::string::npos)
      << printed.out;
  EXPECT_FALSE(fs::exists(user_home.path() / ".claude.json"));  // printing changes nothing

  const fs::path cursor = user_home.write(".cursor/mcp.json", R"({"mcpServers": {"other": {"command": "x"}}})");
  const ProcessResult installed =
      testing::run_process({CCI_BINARY, "mcp-daemon", "config", "--client", "cursor", "--install"}, options);
  EXPECT_EQ(installed.exit_code, 0) << installed.err;
  EXPECT_NE(installed.out.find("previous version saved as"), std::string::npos) << installed.out;
  const json merged = json::parse(testing::read_file(cursor));
  EXPECT_EQ(merged["mcpServers"]["other"]["command"], "x");
  EXPECT_EQ(merged["mcpServers"]["claude-code-indexer"]["command"], resolved);
  EXPECT_EQ(merged["mcpServers"]["claude-code-indexer"]["args"], json::array({"mcp-proxy"}));

  const fs::path broken = user_home.write(".config/Claude/claude_desktop_config.json", "{oops");
  const ProcessResult refused = testing::run_process({CCI_BINARY, "mcp-daemon", "config", "--install"}, options);
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("is not valid JSON (line 1, column 2)"), std::string::npos) << refused.err;
  EXPECT_EQ(testing::read_file(broken), "{oops");

  EXPECT_EQ(testing::run_process({CCI_BINARY, "mcp-daemon", "config", "--client", "emacs"}, options).exit_code, 2);
}

TEST_F(DaemonTest, UsageErrorsExitTwo) {
  EXPECT_EQ(cci_.run({"mcp-daemon"}).exit_code, 2);
  EXPECT_EQ(cci_.run({"mcp-daemon", "start", "--port", "70000"}).exit_code, 2);
  EXPECT_EQ(cci_.run({"mcp-daemon", "frobnicate"}).exit_code, 2);
  EXPECT_FALSE(lock_held(lock()));
}

}  // namespace
}  // namespace cci
