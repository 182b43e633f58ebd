// tests/client/client_test.cpp — the daemon client library against a real server: an mcp::Server
// with a few test tools behind net::NetworkServer on 127.0.0.1 (WebSocket, with a token) and on a
// Unix socket in a temporary directory. Covers request matching under concurrency, the pool,
// timeouts (and the cancellation they send), losing the server, reconnecting to a restarted one,
// the async API and the mapping of JSON-RPC errors.
#include "client/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "core/paths.h"
#include "mcp/server.h"
#include "net/network_server.h"
#include "temp_dir.h"

namespace cci::client {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Polls `done` until it holds or `timeout` passes.
template <class Predicate>
bool eventually(Predicate done, milliseconds timeout = milliseconds(10000)) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return true;
}

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() : server_(server_options()) {
    server_.add_tool(mcp::ToolSpec{
        .name = "echo",
        .description = "returns its value",
        .input_schema = Json{{"type", "object"}},
        .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
          mcp::ToolResult result = mcp::ToolResult::text("value " + ctx.arguments().value("value", Json()).dump());
          result.structured = Json{{"value", ctx.arguments().value("value", Json())}};
          return result;
        }});
    server_.add_tool(mcp::ToolSpec{
        .name = "where",
        .description = "the session's default project",
        .input_schema = Json{{"type", "object"}},
        .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
          return mcp::ToolResult::text(ctx.default_project_path().string());
        }});
    server_.add_tool(mcp::ToolSpec{
        .name = "block",
        .description = "runs until released or cancelled",
        .input_schema = Json{{"type", "object"}},
        .handler = [this](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
          ++blocking_;
          while (!release_ && !ctx.cancelled()) std::this_thread::sleep_for(milliseconds(2));
          --blocking_;
          if (ctx.cancelled()) ++cancelled_;
          return mcp::ToolResult::text("released");
        }});
    server_.add_tool(mcp::ToolSpec{
        .name = "ask_client",
        .description = "sends the client a request and reports the answer",
        .input_schema = Json{{"type", "object"}},
        .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
          auto answer = ctx.request_client(ctx.arguments().value("method", "ping"), Json::object(), milliseconds(5000));
          return mcp::ToolResult::text(answer ? "answered " + answer->dump() : "refused: " + answer.error().message);
        }});
  }

  ~ClientTest() override {
    release_ = true;
    stop();
  }

  static mcp::ServerOptions server_options() {
    mcp::ServerOptions o;
    o.version = "test";
    o.worker_threads = 8;
    return o;
  }

  fs::path socket_path() const { return dir_.path() / "daemon.sock"; }
  std::string unix_url() const { return "unix:" + socket_path().string(); }
  std::string ws_url() const { return "ws://127.0.0.1:" + std::to_string(net_->port()) + "/"; }

  void start(std::string token = {}) {
    net::NetworkOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.bearer_token = std::move(token);
    options.unix_socket = socket_path();
    auto started = net::NetworkServer::start(server_, std::move(options));
    ASSERT_TRUE(started.has_value()) << started.error().message;
    net_ = std::move(*started);
  }

  void stop() {
    if (net_) {
      net_->stop();
      net_.reset();
    }
  }

  ClientOptions options(std::string url) const {
    ClientOptions o;
    o.url = std::move(url);
    o.connect_timeout = milliseconds(5000);
    o.request_timeout = milliseconds(20000);
    o.working_directory = dir_.path();
    return o;
  }

  std::unique_ptr<Client> connect(ClientOptions o) {
    auto client = Client::connect(std::move(o));
    EXPECT_TRUE(client.has_value()) << client.error().describe();
    return client ? std::move(*client) : nullptr;
  }

  testing::TempDir dir_;
  mcp::Server server_;
  std::unique_ptr<net::NetworkServer> net_;
  std::atomic<bool> release_{false};
  std::atomic<int> blocking_{0};
  std::atomic<int> cancelled_{0};
};

TEST_F(ClientTest, CallsAToolOverTheUnixSocket) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);
  auto result = client->call_tool("echo", {{"value", 42}});
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_FALSE(result->is_error);
  EXPECT_EQ(result->structured, (Json{{"value", 42}}));
  EXPECT_EQ(result->text, "value 42");
  EXPECT_TRUE(result->raw.contains("content"));
  EXPECT_EQ(client->stats().connections_open, 1u);
  EXPECT_EQ(client->stats().in_flight, 0u);
}

TEST_F(ClientTest, CallsAToolOverWebSocketWithTheToken) {
  start("s3cret-token");
  auto client = connect([&] {
    auto o = options(ws_url());
    o.bearer_token = "s3cret-token";
    return o;
  }());
  ASSERT_TRUE(client);
  auto result = client->call_tool("echo", {{"value", "over ws"}});
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(result->structured, (Json{{"value", "over ws"}}));

  auto wrong = Client::connect([&] {
    auto o = options(ws_url());
    o.bearer_token = "wrong";
    return o;
  }());
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, ErrorCode::Refused) << wrong.error().describe();
}

TEST_F(ClientTest, SendsItsWorkingDirectoryInInitialize) {
  start();
  const fs::path project = dir_.path() / "project";
  fs::create_directories(project);
  auto o = options(unix_url());
  o.working_directory = project;
  auto client = connect(o);
  ASSERT_TRUE(client);
  auto result = client->call_tool("where", Json::object());
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_EQ(fs::path(result->text), project);
}

TEST_F(ClientTest, NothingListeningIsUnavailable) {
  auto client = Client::connect(options(unix_url()));
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Unavailable) << client.error().describe();
}

TEST_F(ClientTest, ConcurrentCallsFromManyThreadsAreMatchedToTheirAnswers) {
  start();
  auto o = options(unix_url());
  o.pool_size = 2;
  auto client = connect(o);
  ASSERT_TRUE(client);
  std::atomic<int> matched{0};
  std::vector<std::string> failures(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 4; ++i) {
        const std::string value = "thread " + std::to_string(t) + " call " + std::to_string(i);
        auto result = client->call_tool("echo", {{"value", value}});
        if (!result) {
          failures[t] = result.error().describe();
        } else if (result->structured == Json{{"value", value}}) {
          ++matched;
        } else {
          failures[t] = "mismatched answer " + result->structured.dump() + " for " + value;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& failure : failures) EXPECT_EQ(failure, "");
  EXPECT_EQ(matched.load(), 32);
  const PoolStats stats = client->stats();
  EXPECT_GE(stats.connections_open, 1u);
  EXPECT_LE(stats.connections_open, 2u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_GE(stats.requests, 32u);
}

TEST_F(ClientTest, ThePoolGrowsToItsSizeUnderConcurrency) {
  start();
  auto o = options(unix_url());
  o.pool_size = 2;
  auto client = connect(o);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->stats().connections_open, 1u);  // the rest are opened lazily
  // A call that blocks keeps the first connection busy, so the next call opens the second.
  auto blocked = client->call_tool_async("block", Json::object());
  ASSERT_TRUE(eventually([&] { return blocking_ == 1; }));
  auto echoed = client->call_tool("echo", {{"value", 1}});
  ASSERT_TRUE(echoed.has_value()) << echoed.error().describe();
  EXPECT_EQ(client->stats().connections_open, 2u);
  release_ = true;
  auto released = blocked.get();
  ASSERT_TRUE(released.has_value()) << released.error().describe();
  EXPECT_EQ(released->text, "released");
}

TEST_F(ClientTest, ASlowCallTimesOutAndIsCancelledOnTheServer) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);
  const auto began = Clock::now();
  auto result = client->call_tool("block", Json::object(), milliseconds(300));
  const auto took = Clock::now() - began;
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::Timeout) << result.error().describe();
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000));
  // notifications/cancelled reached the server: the tool saw it and stopped.
  EXPECT_TRUE(eventually([&] { return cancelled_ == 1; }));
  EXPECT_EQ(client->stats().in_flight, 0u);
  // The connection is still good.
  auto after = client->call_tool("echo", {{"value", "after"}});
  ASSERT_TRUE(after.has_value()) << after.error().describe();
  EXPECT_EQ(after->structured, (Json{{"value", "after"}}));
}

TEST_F(ClientTest, AsyncRequestsCompleteAndTimeOut) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);

  std::promise<Result<Json>> listed;
  client->request_async("tools/list", Json::object(), [&](Result<Json> r) { listed.set_value(std::move(r)); });
  auto tools = listed.get_future().get();
  ASSERT_TRUE(tools.has_value()) << tools.error().describe();
  ASSERT_TRUE((*tools)["tools"].is_array());
  EXPECT_EQ((*tools)["tools"].size(), 4u);

  std::vector<std::future<Result<ToolCallResult>>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(client->call_tool_async("echo", {{"value", i}}));
  for (int i = 0; i < 10; ++i) {
    auto result = futures[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(result.has_value()) << result.error().describe();
    EXPECT_EQ(result->structured, (Json{{"value", i}}));
  }

  std::promise<Result<Json>> timed_out;
  const auto began = Clock::now();
  client->request_async(
      "tools/call", Json{{"name", "block"}, {"arguments", Json::object()}},
      [&](Result<Json> r) { timed_out.set_value(std::move(r)); }, milliseconds(200));
  auto late = timed_out.get_future().get();
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::Timeout);
  EXPECT_GE(Clock::now() - began, milliseconds(200));
  EXPECT_TRUE(eventually([&] { return cancelled_ == 1; }));
}

TEST_F(ClientTest, ErrorResponsesCarryTheServersMessage) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);
  auto unknown_method = client->request("no/such/method", Json::object());
  ASSERT_FALSE(unknown_method.has_value());
  EXPECT_EQ(unknown_method.error().code, ErrorCode::Unsupported);
  EXPECT_NE(unknown_method.error().message.find("no/such/method"), std::string::npos)
      << unknown_method.error().message;

  auto bad_params = client->request("resources/read", Json::object());  // uri is required
  ASSERT_FALSE(bad_params.has_value());
  EXPECT_EQ(bad_params.error().code, ErrorCode::InvalidArgument) << bad_params.error().describe();
  EXPECT_FALSE(bad_params.error().message.empty());
}

TEST_F(ClientTest, ServerRequestsAreAnsweredNotLeftHanging) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);
  const auto began = Clock::now();
  auto pinged = client->call_tool("ask_client", {{"method", "ping"}});
  ASSERT_TRUE(pinged.has_value()) << pinged.error().describe();
  EXPECT_EQ(pinged->text, "answered {}");
  auto unknown = client->call_tool("ask_client", {{"method", "x/unsupported"}});
  ASSERT_TRUE(unknown.has_value()) << unknown.error().describe();
  EXPECT_TRUE(unknown->text.starts_with("refused")) << unknown->text;
  EXPECT_NE(unknown->text.find("-32601"), std::string::npos) << unknown->text;
  EXPECT_LT(Clock::now() - began, milliseconds(4000));  // answered, not timed out (5 s each)
}

TEST_F(ClientTest, LosingTheServerFailsPendingCallsAndARestartedServerIsReconnected) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);
  auto pending = client->call_tool_async("block", Json::object());
  ASSERT_TRUE(eventually([&] { return blocking_ == 1; }));

  stop();  // drains (bounded), then closes every session
  const auto stopped = Clock::now();
  ASSERT_EQ(pending.wait_for(std::chrono::seconds(2)), std::future_status::ready)
      << "a call on a lost connection must fail promptly";
  EXPECT_LT(Clock::now() - stopped, milliseconds(1500));
  auto lost = pending.get();
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().code, ErrorCode::Unavailable);
  EXPECT_NE(lost.error().message.find("connection to the cci daemon was lost"), std::string::npos)
      << lost.error().message;

  auto down = client->call_tool("echo", {{"value", 1}});
  ASSERT_FALSE(down.has_value());
  EXPECT_EQ(down.error().code, ErrorCode::Unavailable) << down.error().describe();

  start();  // same socket path
  auto back = client->call_tool("echo", {{"value", "back"}});
  ASSERT_TRUE(back.has_value()) << back.error().describe();
  EXPECT_EQ(back->structured, (Json{{"value", "back"}}));
  EXPECT_GE(client->stats().reconnects, 1u);
  EXPECT_EQ(client->stats().connections_open, 1u);
}

TEST_F(ClientTest, DestroyingTheClientWithCallsInFlightIsClean) {
  start();
  auto client = connect(options(unix_url()));
  ASSERT_TRUE(client);
  std::promise<Result<Json>> outcome;
  client->request_async("tools/call", Json{{"name", "block"}, {"arguments", Json::object()}},
                        [&](Result<Json> r) { outcome.set_value(std::move(r)); });
  ASSERT_TRUE(eventually([&] { return blocking_ == 1; }));
  client.reset();
  auto future = outcome.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_FALSE(future.get().has_value());
}

TEST(ClientOptionsTest, ForDaemonUsesTheDataDirectorysSocketAndToken) {
  testing::TempDir dir;
  auto without = ClientOptions::for_daemon(dir.path());
  EXPECT_EQ(without.url, "unix:" + DaemonPaths::in(dir.path()).socket.string());
  EXPECT_EQ(without.bearer_token, "");
  dir.write("daemon.token", "abc123\n");
  auto with = ClientOptions::for_daemon(dir.path());
  EXPECT_EQ(with.bearer_token, "abc123");
}

TEST(ToolCallResultTest, JoinsTextBlocksAndKeepsTheRest) {
  const Json raw = {{"content", Json::array({Json{{"type", "text"}, {"text", "one"}},
                                             Json{{"type", "image"}, {"data", "..."}},
                                             Json{{"type", "text"}, {"text", "two"}}})},
                    {"structuredContent", {{"n", 1}}},
                    {"isError", true}};
  const ToolCallResult result = to_tool_call_result(raw);
  EXPECT_EQ(result.text, "one\ntwo");
  EXPECT_EQ(result.structured, (Json{{"n", 1}}));
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.raw, raw);
  const ToolCallResult plain = to_tool_call_result(Json{{"content", Json::array()}});
  EXPECT_TRUE(plain.structured.is_null());
  EXPECT_FALSE(plain.is_error);
}

}  // namespace
}  // namespace cci::client
