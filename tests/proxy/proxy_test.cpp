// tests/proxy/proxy_test.cpp — proxy::run in this process, its stdin/stdout on pipes, against a
// real daemon-like server (mcp::Server + net::NetworkServer on a Unix socket in a temp dir) that
// the tests stop and restart to play a daemon going away: forwarding both ways, re-initialize and
// replay after a restart, failing what cannot be replayed, never hanging when the daemon stays away,
// and the in-process fallback. tests/proxy/proxy_e2e_test.cpp drives the real binary and daemon.
#include "proxy/proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mcp/server.h"
#include "net/network_server.h"
#include "rpc/json.h"
#include "temp_dir.h"

namespace cci::proxy {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using rpc::Json;
using std::chrono::milliseconds;

Json request(Json id, std::string method, Json params = Json::object()) {
  return Json{{"jsonrpc", "2.0"}, {"id", std::move(id)}, {"method", std::move(method)}, {"params", std::move(params)}};
}

Json tool_call(Json id, std::string name, Json arguments = Json::object()) {
  return request(std::move(id), "tools/call", Json{{"name", std::move(name)}, {"arguments", std::move(arguments)}});
}

Json initialize_request(Json capabilities = Json::object()) {
  return request(1, "initialize",
                 Json{{"protocolVersion", "2025-11-25"},
                      {"capabilities", std::move(capabilities)},
                      {"clientInfo", {{"name", "proxy-test"}, {"version", "1"}}}});
}

// The first text block of a tools/call result.
std::string text_of(const Json& response) {
  return response.at("result").at("content").at(0).at("text").get<std::string>();
}

// proxy::run on a thread, with pipes for its stdin and stdout.
class ProxyUnderTest {
 public:
  explicit ProxyUnderTest(ProxyOptions options) {
    ::signal(SIGPIPE, SIG_IGN);
    if (::pipe2(in_, O_CLOEXEC) != 0 || ::pipe2(out_, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    options.in_fd = in_[0];
    options.out_fd = out_[1];
    thread_ = std::thread([this, options] {
      exit_code_ = run(options);
      finished_ = true;
    });
  }

  ~ProxyUnderTest() {
    close_input();
    if (thread_.joinable()) thread_.join();
    for (int fd : {in_[0], out_[0], out_[1]}) ::close(fd);
  }

  void send(const Json& message) { send_line(message.dump()); }

  void send_line(std::string line) {
    line.push_back('\n');
    const char* data = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      const ssize_t n = ::write(in_[1], data, left);
      if (n <= 0) return;
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }

  // The next message on stdout within `timeout` (lines that are not JSON fail the test).
  std::optional<Json> next(milliseconds timeout) {
    if (!stash_.empty()) {
      Json message = std::move(stash_.front());
      stash_.pop_front();
      return message;
    }
    return read_message(timeout);
  }

  // Reads until the response with `id`; other messages are kept for later next() calls.
  std::optional<Json> response(const Json& id, milliseconds timeout = milliseconds(10000)) {
    for (auto it = stash_.begin(); it != stash_.end(); ++it) {
      if (it->contains("id") && (*it)["id"] == id && !it->contains("method")) {
        Json message = std::move(*it);
        stash_.erase(it);
        return message;
      }
    }
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto message = read_message(left);
      if (!message) return std::nullopt;
      if (message->contains("id") && (*message)["id"] == id && !message->contains("method")) return message;
      stash_.push_back(std::move(*message));
    }
  }

  // Every message already received or arriving within `quiet`.
  std::vector<Json> drain(milliseconds quiet) {
    std::vector<Json> all(stash_.begin(), stash_.end());
    stash_.clear();
    while (auto message = read_message(quiet)) all.push_back(std::move(*message));
    return all;
  }

  void close_input() {
    if (in_[1] >= 0) {
      ::close(in_[1]);
      in_[1] = -1;
    }
  }

  // Waits for run() to return; its exit code, or nullopt after `timeout`.
  std::optional<int> wait(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!finished_) {
      if (Clock::now() > deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(2));
    }
    thread_.join();
    return exit_code_;
  }

 private:
  std::optional<Json> read_message(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      const auto nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        const std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        Json message = Json::parse(line, nullptr, false);
        EXPECT_FALSE(message.is_discarded()) << "stdout carried a non-JSON line: " << line;
        return message;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{out_[0], POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[65536];
      const ssize_t n = ::read(out_[0], chunk, sizeof chunk);
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  int in_[2] = {-1, -1};
  int out_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<bool> finished_{false};
  int exit_code_ = -1;
  std::string buffer_;
  std::deque<Json> stash_;
};

class ProxyTest : public ::testing::Test {
 protected:
  ProxyTest() : server_(server_options()), other_server_(server_options()) {
    add_tools(server_);
    add_tools(other_server_);
    other_server_.add_tool(mcp::ToolSpec{.name = "added_later",
                                         .description = "only the restarted daemon has it",
                                         .input_schema = Json{{"type", "object"}},
                                         .handler = [](mcp::ToolContext&) -> Result<mcp::ToolResult> {
                                           return mcp::ToolResult::text("new");
                                         }});
  }

  ~ProxyTest() override {
    release_ = true;
    stop_daemon();
  }

  static mcp::ServerOptions server_options() {
    mcp::ServerOptions o;
    o.version = "test";
    o.worker_threads = 4;
    return o;
  }

  void add_tools(mcp::Server& server) {
    server.add_tool(mcp::ToolSpec{.name = "echo",
                                  .description = "returns its text",
                                  .input_schema = Json{{"type", "object"}},
                                  .annotations = {.read_only = true},
                                  .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                    return mcp::ToolResult::text(ctx.arguments().value("text", ""));
                                  }});
    server.add_tool(mcp::ToolSpec{.name = "where",
                                  .description = "the session's default project",
                                  .input_schema = Json{{"type", "object"}},
                                  .annotations = {.read_only = true},
                                  .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                    return mcp::ToolResult::text(ctx.default_project_path().string());
                                  }});
    // Runs until released or cancelled; read-only, so a restart repeats it.
    server.add_tool(mcp::ToolSpec{.name = "wait_read",
                                  .description = "blocks",
                                  .input_schema = Json{{"type", "object"}},
                                  .annotations = {.read_only = true},
                                  .handler = [this](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                    return block(ctx);
                                  }});
    // The same, but it writes: a restart must not repeat it.
    server.add_tool(mcp::ToolSpec{.name = "index_codebase",
                                  .description = "blocks",
                                  .input_schema = Json{{"type", "object"}},
                                  .annotations = {.read_only = false},
                                  .handler = [this](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                    return block(ctx);
                                  }});
    server.add_tool(mcp::ToolSpec{.name = "ask_roots",
                                  .description = "asks the host for its roots",
                                  .input_schema = Json{{"type", "object"}},
                                  .annotations = {.read_only = true},
                                  .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                    auto roots = ctx.request_client("roots/list", Json::object(), milliseconds(10000));
                                    return mcp::ToolResult::text(roots ? roots->dump() : roots.error().message);
                                  }});
  }

  Result<mcp::ToolResult> block(mcp::ToolContext& ctx) {
    ++blocking_;
    while (!release_ && !ctx.cancelled()) std::this_thread::sleep_for(milliseconds(2));
    --blocking_;
    if (ctx.cancelled()) ++cancelled_;
    return mcp::ToolResult::text("released");
  }

  fs::path socket_path() const { return dir_.path() / "daemon.sock"; }

  void start_daemon(mcp::Server& server) {
    net::NetworkOptions options;
    options.port = 0;
    options.unix_socket = socket_path();
    auto started = net::NetworkServer::start(server, std::move(options));
    ASSERT_TRUE(started.has_value()) << started.error().message;
    daemon_ = std::move(*started);
  }
  void start_daemon() { start_daemon(server_); }

  void stop_daemon() {
    if (daemon_) {
      daemon_->stop();
      daemon_.reset();
    }
  }

  ProxyOptions proxy_options() const {
    ProxyOptions o;
    o.server_url = "unix:" + socket_path().string();
    o.data_dir = dir_.path() / "home";
    o.auto_start = false;  // /proc/self/exe is this test, not cci
    o.allow_fallback = false;
    o.start_deadline = milliseconds(2000);
    o.reconnect_deadline = milliseconds(10000);
    o.version = "test";
    return o;
  }

  // initialize + initialized; returns the initialize result.
  Json handshake(ProxyUnderTest& proxy, Json capabilities = Json::object()) {
    proxy.send(initialize_request(std::move(capabilities)));
    auto answer = proxy.response(1);
    EXPECT_TRUE(answer.has_value());
    proxy.send(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    return answer ? answer->value("result", Json()) : Json();
  }

  template <class Predicate>
  static bool eventually(Predicate done, milliseconds timeout = milliseconds(10000)) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return true;
  }

  testing::TempDir dir_;
  mcp::Server server_;
  mcp::Server other_server_;
  std::unique_ptr<net::NetworkServer> daemon_;
  std::atomic<bool> release_{false};
  std::atomic<int> blocking_{0};
  std::atomic<int> cancelled_{0};
};

TEST_F(ProxyTest, ForwardsTheSessionAndTellsTheDaemonItsWorkingDirectory) {
  start_daemon();
  ProxyUnderTest proxy(proxy_options());
  const Json init = handshake(proxy);
  EXPECT_EQ(init["serverInfo"]["version"], "test");

  proxy.send(tool_call(2, "echo", {{"text", "hello"}}));
  auto echoed = proxy.response(2);
  ASSERT_TRUE(echoed.has_value());
  EXPECT_EQ(text_of(*echoed), "hello");

  // Without roots, the daemon's default project is the proxy's working directory.
  proxy.send(tool_call("string-id", "where"));
  auto where = proxy.response("string-id");
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(fs::path(text_of(*where)), fs::current_path());

  // Blank lines are ignored; a malformed line is the daemon's to answer.
  proxy.send_line("");
  proxy.send_line("{not json");
  auto malformed = proxy.next(milliseconds(10000));
  ASSERT_TRUE(malformed.has_value());
  EXPECT_EQ((*malformed)["error"]["code"], -32700) << malformed->dump();

  proxy.close_input();
  EXPECT_EQ(proxy.wait(milliseconds(5000)), std::optional<int>(0));
}

TEST_F(ProxyTest, ForwardsServerRequestsToTheHostAndItsAnswersBack) {
  start_daemon();
  ProxyUnderTest proxy(proxy_options());
  handshake(proxy, Json{{"roots", {{"listChanged", false}}}});
  proxy.send(tool_call(3, "ask_roots"));
  auto asked = proxy.next(milliseconds(10000));
  ASSERT_TRUE(asked.has_value());
  ASSERT_EQ(asked->value("method", ""), "roots/list") << asked->dump();
  proxy.send(Json{{"jsonrpc", "2.0"}, {"id", (*asked)["id"]}, {"result", {{"roots", Json::array()}}}});
  auto roots = proxy.response(3);
  ASSERT_TRUE(roots.has_value());
  EXPECT_EQ(text_of(*roots), R"({"roots":[]})");
}

TEST_F(ProxyTest, CancellationReachesTheDaemon) {
  start_daemon();
  ProxyUnderTest proxy(proxy_options());
  handshake(proxy);
  proxy.send(tool_call(7, "wait_read"));
  ASSERT_TRUE(eventually([&] { return blocking_ == 1; }));
  proxy.send(Json{{"jsonrpc", "2.0"}, {"method", "notifications/cancelled"}, {"params", {{"requestId", 7}}}});
  EXPECT_TRUE(eventually([&] { return cancelled_ == 1; }));
  proxy.send(request(8, "ping"));
  auto pong = proxy.response(8);
  ASSERT_TRUE(pong.has_value());
  // The cancelled request is never answered (the daemon suppresses it, the proxy adds nothing).
  for (const Json& message : proxy.drain(milliseconds(100))) EXPECT_NE(message.value("id", Json()), Json(7));
}

TEST_F(ProxyTest, ADaemonRestartIsInvisibleExceptForCallsThatCannotBeRepeated) {
  start_daemon();
  ProxyUnderTest proxy(proxy_options());
  handshake(proxy);
  proxy.send(request(2, "tools/list"));
  auto listed = proxy.response(2);
  ASSERT_TRUE(listed.has_value());
  EXPECT_EQ((*listed)["result"]["tools"].size(), 5u);

  const Json quoted_id = "call \"10\" \u00e9";  // ids are matched however they are spelled
  proxy.send_line(R"({"jsonrpc":"2.0","id":"call \"10\" \u00e9","method":"tools/call","params":{"name":"wait_read"}})");
  proxy.send(tool_call(11, "index_codebase"));
  ASSERT_TRUE(eventually([&] { return blocking_ == 2; }));

  stop_daemon();  // closes the sessions (after a bounded drain); both calls were running
  ASSERT_TRUE(eventually([&] { return blocking_ == 0; }));

  // While the daemon is away ping is answered by the proxy itself. (A ping sent before the proxy
  // noticed the loss is answered later, by the restarted daemon.)
  bool answered_locally = false;
  for (int id = 100; id < 130 && !answered_locally; ++id) {
    proxy.send(request(id, "ping"));
    answered_locally = proxy.response(id, milliseconds(100)).has_value();
  }
  EXPECT_TRUE(answered_locally);
  proxy.send(tool_call(12, "echo", {{"text", "queued"}}));  // waits for the daemon

  release_ = true;
  start_daemon(other_server_);  // a restarted daemon on the same socket, with one more tool

  auto repeated = proxy.response(quoted_id);
  ASSERT_TRUE(repeated.has_value());
  EXPECT_EQ(text_of(*repeated), "released") << repeated->dump();
  auto refused = proxy.response(11);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ((*refused)["error"]["code"], -32603) << refused->dump();
  EXPECT_NE((*refused)["error"]["message"].get<std::string>().find("not read-only"), std::string::npos);
  auto queued = proxy.response(12);
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(text_of(*queued), "queued");

  // The host hears that the tools changed, and nothing about the proxy's own initialize.
  bool list_changed = false;
  for (const Json& message : proxy.drain(milliseconds(300))) {
    if (message.value("method", "") == "notifications/tools/list_changed") list_changed = true;
    EXPECT_FALSE(message.contains("result") && message["result"].contains("serverInfo")) << message.dump();
  }
  EXPECT_TRUE(list_changed);

  // The new daemon session has the host's working directory too.
  proxy.send(tool_call(13, "where"));
  auto where = proxy.response(13);
  ASSERT_TRUE(where.has_value());
  EXPECT_EQ(fs::path(text_of(*where)), fs::current_path());
}

TEST_F(ProxyTest, WithoutADaemonRequestsFailFastAndTheSessionResumesWhenItIsBack) {
  start_daemon();
  auto options = proxy_options();
  options.reconnect_deadline = milliseconds(500);
  ProxyUnderTest proxy(options);
  handshake(proxy);
  proxy.send(tool_call(10, "wait_read"));
  ASSERT_TRUE(eventually([&] { return blocking_ == 1; }));

  stop_daemon();
  const auto stopped = Clock::now();
  auto failed = proxy.response(10, milliseconds(5000));
  ASSERT_TRUE(failed.has_value()) << "an in-flight call must not hang when the daemon stays away";
  EXPECT_LT(Clock::now() - stopped, milliseconds(2500));
  EXPECT_EQ((*failed)["error"]["code"], -32603);
  EXPECT_NE((*failed)["error"]["message"].get<std::string>().find("cci daemon unavailable"), std::string::npos)
      << failed->dump();

  // Down: new requests are answered at once, ping still works.
  proxy.send(tool_call(11, "echo", {{"text", "x"}}));
  auto refused = proxy.response(11, milliseconds(2000));
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE((*refused)["error"]["message"].get<std::string>().find("retrying in the background"), std::string::npos);
  proxy.send(request(12, "ping"));
  ASSERT_TRUE(proxy.response(12, milliseconds(2000)).has_value());

  release_ = true;
  start_daemon();
  bool resumed = false;
  for (int id = 100; id < 200 && !resumed; ++id) {
    proxy.send(tool_call(id, "echo", {{"text", "back"}}));
    auto answer = proxy.response(id, milliseconds(2000));
    ASSERT_TRUE(answer.has_value());
    resumed = answer->contains("result");
    if (!resumed) std::this_thread::sleep_for(milliseconds(200));  // the proxy retries every 2 s
  }
  EXPECT_TRUE(resumed);
}

TEST_F(ProxyTest, ServesInProcessWhenThereIsNoDaemon) {
  auto options = proxy_options();
  options.allow_fallback = true;
  ProxyUnderTest proxy(options);
  const Json init = handshake(proxy);
  EXPECT_EQ(init["serverInfo"]["name"], "cci") << init.dump();
  proxy.send(request(2, "tools/list"));
  auto listed = proxy.response(2);
  ASSERT_TRUE(listed.has_value());
  bool has_search = false;
  for (const Json& tool : (*listed)["result"]["tools"]) has_search |= tool["name"] == "search_code";
  EXPECT_TRUE(has_search) << listed->dump();
  proxy.send(request(3, "ping"));
  EXPECT_TRUE(proxy.response(3).has_value());
}

TEST_F(ProxyTest, FallsBackInProcessWhenTheDaemonDoesNotComeBack) {
  start_daemon();
  auto options = proxy_options();
  options.allow_fallback = true;
  options.reconnect_deadline = milliseconds(500);
  ProxyUnderTest proxy(options);
  handshake(proxy);
  proxy.send(tool_call(10, "wait_read"));
  ASSERT_TRUE(eventually([&] { return blocking_ == 1; }));

  stop_daemon();
  const auto stopped = Clock::now();
  proxy.send(request(11, "tools/list"));  // never reached a daemon: the fallback answers it

  auto failed = proxy.response(10, milliseconds(5000));
  ASSERT_TRUE(failed.has_value());
  EXPECT_LT(Clock::now() - stopped, milliseconds(2500));
  EXPECT_EQ((*failed)["error"]["code"], -32603) << failed->dump();

  auto listed = proxy.response(11, milliseconds(5000));
  ASSERT_TRUE(listed.has_value());
  ASSERT_TRUE(listed->contains("result")) << listed->dump();
  bool has_search = false;
  for (const Json& tool : (*listed)["result"]["tools"]) has_search |= tool["name"] == "search_code";
  EXPECT_TRUE(has_search);

  // The in-process session was initialized with the host's parameters, silently.
  proxy.send(tool_call(12, "get_index_status"));
  auto status = proxy.response(12);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->contains("result")) << status->dump();
  for (const Json& message : proxy.drain(milliseconds(100))) {
    EXPECT_FALSE(message.contains("result") && message["result"].contains("serverInfo")) << message.dump();
  }
}

TEST_F(ProxyTest, WithoutFallbackOrDaemonEveryRequestGetsAnError) {
  ProxyUnderTest proxy(proxy_options());
  proxy.send(initialize_request());
  auto answer = proxy.response(1, milliseconds(5000));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ((*answer)["error"]["code"], -32603) << answer->dump();
  proxy.send(request(2, "ping"));
  auto pong = proxy.response(2, milliseconds(5000));
  ASSERT_TRUE(pong.has_value());
  EXPECT_TRUE(pong->contains("result"));
}

TEST_F(ProxyTest, EndOfInputLetsPendingAnswersOutThenExits) {
  start_daemon();
  ProxyUnderTest proxy(proxy_options());
  handshake(proxy);
  proxy.send(tool_call(2, "echo", {{"text", "last words"}}));
  proxy.close_input();
  auto answer = proxy.response(2);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(text_of(*answer), "last words");
  EXPECT_EQ(proxy.wait(milliseconds(5000)), std::optional<int>(0));
}

TEST_F(ProxyTest, OversizedLinesAreRefusedWithoutBufferingThem) {
  start_daemon();
  ProxyUnderTest proxy(proxy_options());
  handshake(proxy);
  std::string huge = R"({"jsonrpc":"2.0","id":5,"method":"ping","params":{"pad":")";
  huge.append(mcp::ServerOptions{}.max_message_bytes + 10, 'x');
  huge += "\"}}";
  std::thread writer([&] { proxy.send_line(huge); });
  auto refused = proxy.next(milliseconds(20000));
  writer.join();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ((*refused)["error"]["code"], -32600) << refused->dump().substr(0, 200);
  proxy.send(request(6, "ping"));
  EXPECT_TRUE(proxy.response(6).has_value());
}

}  // namespace
}  // namespace cci::proxy
