// tests/proxy/proxy_e2e_test.cpp — the real `cci mcp-proxy` spawned the way an MCP host spawns it
// (stdin/stdout pipes, a private CCI_HOME), against the real daemon: (a) a daemon already running,
// over WebSocket with the token file and over the Unix socket; (b) no daemon: the proxy starts one,
// also with several proxies racing; (c) the daemon killed mid-session: the next call still works on
// a restarted daemon, a read-only in-flight call is repeated and a writing one fails within 2 s;
// (d) no daemon possible: the session is served in-process, and stderr says so.
// Every daemon a test starts (directly or through a proxy) is stopped or killed at its end.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "process.h"
#include "temp_dir.h"

namespace cci {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using nlohmann::json;
using std::chrono::milliseconds;

extern "C" char** environ;

template <class Predicate>
bool eventually(Predicate done, milliseconds timeout = milliseconds(20000)) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return true;
}

// A port nothing listens on right now (the kernel's pick, released at once).
std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Alive and not a zombie (detached daemons are re-parented to a reaper that may never reap).
bool process_alive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  const std::string stat = testing::read_file("/proc/" + std::to_string(pid) + "/stat");
  const auto paren = stat.rfind(')');
  return paren == std::string::npos || paren + 2 >= stat.size() || stat[paren + 2] != 'Z';
}

json daemon_state(const fs::path& home) {
  json state = json::parse(testing::read_file(home / "daemon.json"), nullptr, false);
  return state.is_object() ? state : json::object();
}

pid_t daemon_pid(const fs::path& home) { return daemon_state(home).value("pid", 0); }

// Stops whatever daemon runs for `home` when the test ends, however it ends.
class DaemonGuard {
 public:
  explicit DaemonGuard(fs::path home) : home_(std::move(home)) {}
  ~DaemonGuard() {
    const pid_t pid = daemon_pid(home_);
    testing::ProcessOptions options;
    options.env["CCI_HOME"] = home_.string();
    options.timeout = milliseconds(15000);
    testing::run_process({CCI_BINARY, "mcp-daemon", "stop"}, options);
    if (pid > 0 && process_alive(pid)) ::kill(pid, SIGKILL);
  }
  DaemonGuard(const DaemonGuard&) = delete;
  DaemonGuard& operator=(const DaemonGuard&) = delete;

 private:
  fs::path home_;
};

// `cci mcp-proxy` with pipes for stdin and stdout; stderr is collected in the background.
class ProxyProcess {
 public:
  static constexpr int kInheritedFd = 9;

  // `inherited_fd` (>= 0) is passed to the proxy as descriptor 9 without FD_CLOEXEC, the way a
  // host may leak one.
  ProxyProcess(const fs::path& cwd, const std::map<std::string, std::string>& env,
               std::vector<std::string> extra_args = {}, int inherited_fd = -1) {
    ::signal(SIGPIPE, SIG_IGN);
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string kv(*e);
      const auto eq = kv.find('=');
      if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const auto& [k, v] : env) merged[k] = v;
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : merged) env_strings.push_back(k + "=" + v);
    std::vector<std::string> args = {CCI_BINARY, "mcp-proxy"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      if (inherited_fd >= 0) ::dup2(inherited_fd, kInheritedFd);  // dup2 clears FD_CLOEXEC
      if (::chdir(cwd.c_str()) != 0) _exit(127);
      std::vector<char*> argv, envp;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      for (auto& e : env_strings) envp.push_back(e.data());
      envp.push_back(nullptr);
      ::execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
    stderr_reader_ = std::thread([this] {
      char chunk[4096];
      for (;;) {
        const ssize_t n = ::read(err_, chunk, sizeof chunk);
        if (n <= 0) return;
        std::lock_guard lock(mutex_);
        stderr_.append(chunk, static_cast<std::size_t>(n));
      }
    });
  }

  ~ProxyProcess() {
    close_input();
    if (!exit_code_ && !wait_exit(milliseconds(5000))) {
      ::kill(pid_, SIGKILL);
      wait_exit(milliseconds(5000));
    }
    if (stderr_reader_.joinable()) stderr_reader_.join();
    ::close(out_);
    ::close(err_);
  }

  void send(const json& message) {
    const std::string line = message.dump() + "\n";
    [[maybe_unused]] const ssize_t n = ::write(in_, line.data(), line.size());
  }

  std::optional<json> response(const json& id, milliseconds timeout = milliseconds(30000)) {
    for (auto it = stash_.begin(); it != stash_.end(); ++it) {
      if (it->contains("id") && (*it)["id"] == id && !it->contains("method")) {
        json message = std::move(*it);
        stash_.erase(it);
        return message;
      }
    }
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        const std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        json message = json::parse(line, nullptr, false);
        EXPECT_FALSE(message.is_discarded()) << "stdout carried a non-JSON line: " << line;
        if (message.contains("id") && message["id"] == id && !message.contains("method")) return message;
        stash_.push_back(std::move(message));
        continue;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  json handshake() {
    send({{"jsonrpc", "2.0"},
          {"id", 1},
          {"method", "initialize"},
          {"params",
           {{"protocolVersion", "2025-11-25"}, {"capabilities", json::object()}, {"clientInfo", {{"name", "e2e"}, {"version", "1"}}}}}});
    auto answer = response(1);
    EXPECT_TRUE(answer.has_value()) << "no initialize answer; stderr: " << stderr_text();
    send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    return answer ? *answer : json::object();
  }

  void send_call(int id, const std::string& tool, json arguments) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", {{"name", tool}, {"arguments", arguments}}}});
  }

  std::optional<json> call(int id, const std::string& tool, json arguments, milliseconds timeout = milliseconds(30000)) {
    send_call(id, tool, std::move(arguments));
    return response(id, timeout);
  }

  std::string stderr_text() {
    std::lock_guard lock(mutex_);
    return stderr_;
  }

  bool stderr_contains(const std::string& text, milliseconds timeout) {
    return eventually([&] { return stderr_text().find(text) != std::string::npos; }, timeout);
  }

  void close_input() {
    if (in_ >= 0) {
      ::close(in_);
      in_ = -1;
    }
  }

  std::optional<int> wait_exit(milliseconds timeout) {
    if (exit_code_) return exit_code_;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return exit_code_;
      }
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(5));
    }
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  std::string buffer_;
  std::deque<json> stash_;
  std::thread stderr_reader_;
  std::mutex mutex_;
  std::string stderr_;
  std::optional<int> exit_code_;
};

// Symbol names in a search_code answer.
std::set<std::string> result_names(const json& response) {
  std::set<std::string> names;
  const json& results = response["result"]["structuredContent"]["results"];
  for (const json& hit : results) names.insert(hit.value("name", ""));
  return names;
}

class ProxyE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write_all({{"app/server.py",
                      "class HttpServer:\n"
                      "    def parse_request(self, raw):\n"
                      "        return raw.split()\n\n"
                      "    def serve(self):\n"
                      "        return self.parse_request('GET /')\n"},
                     {"app/util.py", "def format_reply(code):\n    return str(code)\n"}});
    auto indexed = run_cci({"index", repo_.path().string(), "--quiet"});
    ASSERT_EQ(indexed.exit_code, 0) << indexed.err;
  }

  fs::path home() const { return home_.path(); }

  testing::ProcessResult run_cci(std::vector<std::string> args) const {
    args.insert(args.begin(), CCI_BINARY);
    testing::ProcessOptions options;
    options.env["CCI_HOME"] = home().string();
    options.timeout = milliseconds(60000);
    return testing::run_process(args, options);
  }

  // `cci mcp-daemon start --port 0`; returns its daemon.json.
  json start_daemon() {
    auto started = run_cci({"mcp-daemon", "start", "--port", "0"});
    EXPECT_EQ(started.exit_code, 0) << started.out << started.err;
    return daemon_state(home());
  }

  std::map<std::string, std::string> env(const std::string& url) const {
    return {{"CCI_HOME", home().string()}, {"MCP_SERVER_URL", url}};
  }

  void expect_search_works(ProxyProcess& proxy, int id) {
    auto found = proxy.call(id, "search_code", {{"terms", "parse request"}});
    ASSERT_TRUE(found.has_value()) << proxy.stderr_text();
    ASSERT_TRUE(found->contains("result")) << found->dump();
    EXPECT_FALSE((*found)["result"].value("isError", false)) << found->dump();
    EXPECT_TRUE(result_names(*found).contains("parse_request")) << found->dump();
  }

  testing::TempDir home_;
  testing::TempDir repo_;
};

TEST_F(ProxyE2ETest, BridgesToARunningDaemonOverWebSocketAndTheUnixSocket) {
  DaemonGuard guard(home());
  const json state = start_daemon();
  const int port = state.value("port", 0);
  ASSERT_GT(port, 0) << state.dump();
  const pid_t pid = state.value("pid", 0);

  for (const std::string& url : {"ws://127.0.0.1:" + std::to_string(port), "unix:" + (home() / "daemon.sock").string()}) {
    SCOPED_TRACE(url);
    const auto began = Clock::now();
    ProxyProcess proxy(repo_.path(), env(url));
    const json init = proxy.handshake();
    EXPECT_LT(Clock::now() - began, milliseconds(5000));
    EXPECT_EQ(init["result"]["serverInfo"]["name"], "cci") << init.dump();
    proxy.send({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}});
    auto listed = proxy.response(2);
    ASSERT_TRUE(listed.has_value());
    EXPECT_GE((*listed)["result"]["tools"].size(), 10u);
    expect_search_works(proxy, 3);
    proxy.close_input();
    EXPECT_EQ(proxy.wait_exit(milliseconds(5000)), std::optional<int>(0));
    EXPECT_EQ(proxy.stderr_text().find("in-process"), std::string::npos) << proxy.stderr_text();
  }
  EXPECT_EQ(daemon_pid(home()), pid);  // the proxies used that daemon, they did not start another
}

TEST_F(ProxyE2ETest, StartsTheDaemonWhenNoneRuns) {
  DaemonGuard guard(home());
  const std::uint16_t port = free_port();
  ProxyProcess proxy(repo_.path(), env("ws://127.0.0.1:" + std::to_string(port)));
  proxy.handshake();
  expect_search_works(proxy, 2);
  const json state = daemon_state(home());
  EXPECT_EQ(state.value("port", 0), port) << state.dump();
  EXPECT_TRUE(process_alive(state.value("pid", 0)));
  EXPECT_EQ(proxy.stderr_text().find("in-process"), std::string::npos) << proxy.stderr_text();
}

// A daemon started by a proxy must not keep what the proxy's host gave the proxy (or the proxy's
// own sockets): a host waiting for EOF on a pipe it shared would otherwise wait for the daemon.
TEST_F(ProxyE2ETest, TheDaemonItStartsKeepsNoInheritedDescriptor) {
  DaemonGuard guard(home());
  int leak[2];
  ASSERT_EQ(::pipe2(leak, O_CLOEXEC), 0);
  {
    ProxyProcess proxy(repo_.path(), env("ws://127.0.0.1:" + std::to_string(free_port())), {}, leak[1]);
    proxy.handshake();
    expect_search_works(proxy, 2);
    proxy.close_input();
    ASSERT_TRUE(proxy.wait_exit(milliseconds(10000)).has_value());
  }
  ::close(leak[1]);
  const pid_t daemon = daemon_pid(home());
  ASSERT_TRUE(process_alive(daemon));
  // Every writer is gone unless the daemon inherited one: then this read would never end.
  pollfd p{leak[0], POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 10000), 1) << "the daemon holds the host's descriptor";
  char byte = 0;
  EXPECT_EQ(::read(leak[0], &byte, 1), 0);
  ::close(leak[0]);
}

TEST_F(ProxyE2ETest, ProxiesRacingToStartTheDaemonShareOne) {
  DaemonGuard guard(home());
  const std::string url = "ws://127.0.0.1:" + std::to_string(free_port());
  std::vector<std::unique_ptr<ProxyProcess>> proxies;
  for (int i = 0; i < 4; ++i) proxies.push_back(std::make_unique<ProxyProcess>(repo_.path(), env(url)));
  for (auto& proxy : proxies) {
    proxy->handshake();
    expect_search_works(*proxy, 2);
    EXPECT_EQ(proxy->stderr_text().find("in-process"), std::string::npos) << proxy->stderr_text();
  }
  const pid_t pid = daemon_pid(home());
  EXPECT_TRUE(process_alive(pid));
}

TEST_F(ProxyE2ETest, SurvivesTheDaemonBeingKilledMidSession) {
  DaemonGuard guard(home());
  const std::uint16_t port = free_port();
  auto environment = env("ws://127.0.0.1:" + std::to_string(port));
  environment["CCI_LOG"] = "debug";  // the proxy reports each forwarded request on stderr
  ProxyProcess proxy(repo_.path(), environment);
  proxy.handshake();
  expect_search_works(proxy, 2);
  const pid_t first = daemon_pid(home());
  ASSERT_TRUE(process_alive(first));

  // Freeze the daemon so both calls are certainly in flight when it dies.
  ASSERT_EQ(::kill(first, SIGSTOP), 0);
  proxy.send_call(5, "index_codebase", {{"path", repo_.path().string()}});
  proxy.send_call(6, "search_code", {{"terms", "format reply"}});
  ASSERT_TRUE(proxy.stderr_contains("forwarded tools/call 6", milliseconds(20000))) << proxy.stderr_text();
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  const auto killed = Clock::now();

  auto refused = proxy.response(5, milliseconds(10000));
  const auto took = Clock::now() - killed;
  ASSERT_TRUE(refused.has_value()) << proxy.stderr_text();
  ASSERT_TRUE(refused->contains("error")) << refused->dump();
  EXPECT_LT(took, milliseconds(2000)) << "a call that cannot be repeated must fail within 2 s";
  EXPECT_NE((*refused)["error"]["message"].get<std::string>().find("retry"), std::string::npos) << refused->dump();

  auto repeated = proxy.response(6, milliseconds(10000));
  ASSERT_TRUE(repeated.has_value()) << proxy.stderr_text();
  ASSERT_TRUE(repeated->contains("result")) << repeated->dump();
  EXPECT_TRUE(result_names(*repeated).contains("format_reply")) << repeated->dump();

  expect_search_works(proxy, 7);
  const pid_t second = daemon_pid(home());
  EXPECT_NE(second, first);
  EXPECT_TRUE(process_alive(second)) << "the proxy restarts the daemon; stderr: " << proxy.stderr_text();
  EXPECT_EQ(proxy.stderr_text().find("serving in-process"), std::string::npos) << proxy.stderr_text();
}

TEST_F(ProxyE2ETest, FollowsADaemonRestartAndRespectsAStop) {
  DaemonGuard guard(home());
  ProxyProcess proxy(repo_.path(), env("ws://127.0.0.1:" + std::to_string(free_port())));
  proxy.handshake();
  expect_search_works(proxy, 2);
  const json first = daemon_state(home());

  // restart: the proxy reconnects to the new daemon (same port) without starting one itself.
  auto restarted = run_cci({"mcp-daemon", "restart"});
  ASSERT_EQ(restarted.exit_code, 0) << restarted.out << restarted.err;
  const json second = daemon_state(home());
  EXPECT_NE(second.value("pid", 0), first.value("pid", 0));
  EXPECT_EQ(second.value("port", 0), first.value("port", 0));
  expect_search_works(proxy, 3);
  EXPECT_EQ(daemon_pid(home()), second.value("pid", 0));

  // stop: the daemon stays stopped (the proxy does not bring it back); the session goes on in-process.
  auto stopped = run_cci({"mcp-daemon", "stop"});
  ASSERT_EQ(stopped.exit_code, 0) << stopped.out << stopped.err;
  const auto began = Clock::now();
  expect_search_works(proxy, 4);
  EXPECT_LT(Clock::now() - began, milliseconds(5000));
  EXPECT_TRUE(proxy.stderr_contains("serving in-process", milliseconds(1000))) << proxy.stderr_text();
  EXPECT_FALSE(fs::exists(home() / "daemon.json"));
  EXPECT_FALSE(process_alive(second.value("pid", 0)));
  auto status = run_cci({"mcp-daemon", "status"});
  EXPECT_NE(status.exit_code, 0) << status.out;
}

TEST_F(ProxyE2ETest, ServesInProcessWhenTheDaemonIsNotToBeStarted) {
  ProxyProcess proxy(repo_.path(), env("unix:" + (home() / "daemon.sock").string()), {"--no-auto-start"});
  const json init = proxy.handshake();
  EXPECT_EQ(init["result"]["serverInfo"]["name"], "cci") << init.dump();
  expect_search_works(proxy, 2);
  EXPECT_TRUE(proxy.stderr_contains("serving in-process", milliseconds(1000))) << proxy.stderr_text();
  EXPECT_FALSE(fs::exists(home() / "daemon.json"));
}

TEST_F(ProxyE2ETest, ServesInProcessWhenTheDaemonCannotStart) {
  // A data directory under a regular file can never be created: `mcp-daemon start` must fail.
  const fs::path blocker = home_.write("not-a-directory", "x");
  const fs::path impossible = blocker / "home";
  const auto began = Clock::now();
  ProxyProcess proxy(repo_.path(), {{"CCI_HOME", impossible.string()}, {"MCP_SERVER_URL", "ws://127.0.0.1:" + std::to_string(free_port())}});
  const json init = proxy.handshake();
  EXPECT_LT(Clock::now() - began, milliseconds(6000));
  EXPECT_EQ(init["result"]["serverInfo"]["name"], "cci") << init.dump();
  proxy.send({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}});
  auto listed = proxy.response(2);
  ASSERT_TRUE(listed.has_value());
  EXPECT_GE((*listed)["result"]["tools"].size(), 10u);
  auto status = proxy.call(3, "search_code", {{"terms", "parse"}});
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->contains("result")) << status->dump();  // not indexed here: an isError result, not a hang
  EXPECT_TRUE(proxy.stderr_contains("serving in-process", milliseconds(1000))) << proxy.stderr_text();
}

}  // namespace
}  // namespace cci
