// tests/net/message_client.h — test helpers over net::MessageConnection: a client that collects
// what arrives and waits (condition variable with a deadline) for a response id or the close, and
// a fixture with a real mcp::Server (echo and slow tools) behind a real NetworkServer.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mcp/server.h"
#include "net/client_connection.h"
#include "net/network_server.h"

namespace cci::net::test_support {

using mcp::Json;
using namespace std::chrono_literals;

inline constexpr const char* kInitRequest =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
    R"("clientInfo":{"name":"t","version":"1"}}})";
inline constexpr const char* kInitializedNotification = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

inline std::string tool_call(int id, const std::string& tool, const Json& arguments) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", "tools/call"}, {"params", {{"name", tool}, {"arguments", arguments}}}}
      .dump();
}

// Polls `done` until it holds or the deadline passes (for state with no notification).
template <class Predicate>
bool eventually(Predicate done, std::chrono::milliseconds timeout = 5000ms) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class MessageClient {
 public:
  struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Json> received;
    std::vector<std::string> unparsable;
    std::vector<std::string> close_reasons;   // must end with exactly one entry
    bool message_after_close = false;
  };

  static Result<std::unique_ptr<MessageClient>> connect(const Endpoint& endpoint, ConnectOptions options = {}) {
    auto state = std::make_shared<State>();
    auto connection = MessageConnection::connect(
        endpoint, options,
        [state](std::string message) {
          std::lock_guard lock(state->mutex);
          if (!state->close_reasons.empty()) state->message_after_close = true;
          try {
            state->received.push_back(Json::parse(message));
          } catch (const Json::exception&) {
            state->unparsable.push_back(std::move(message));
          }
          state->cv.notify_all();
        },
        [state](std::string reason) {
          std::lock_guard lock(state->mutex);
          state->close_reasons.push_back(std::move(reason));
          state->cv.notify_all();
        });
    if (!connection) return std::unexpected(connection.error());
    auto client = std::unique_ptr<MessageClient>(new MessageClient);
    client->state_ = std::move(state);
    client->connection_ = std::move(*connection);
    return client;
  }

  MessageConnection& connection() { return *connection_; }
  std::shared_ptr<MessageConnection> take_connection() { return std::move(connection_); }
  const std::shared_ptr<State>& state() const { return state_; }

  bool send(std::string message) { return connection_->send(std::move(message)); }

  // The response with this id (removed from what was received), or nullopt after the timeout.
  std::optional<Json> wait_for_id(const Json& id, std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock lock(state_->mutex);
    std::optional<Json> found;
    state_->cv.wait_for(lock, timeout, [&] {
      for (auto it = state_->received.begin(); it != state_->received.end(); ++it) {
        if (it->is_object() && it->contains("id") && (*it)["id"] == id && !it->contains("method")) {
          found = std::move(*it);
          state_->received.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // The first message without an id or with a null id (e.g. an error for unparsable input).
  std::optional<Json> wait_for_null_id(std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock lock(state_->mutex);
    std::optional<Json> found;
    state_->cv.wait_for(lock, timeout, [&] {
      for (auto it = state_->received.begin(); it != state_->received.end(); ++it) {
        if (it->is_object() && it->contains("error") && (!it->contains("id") || (*it)["id"].is_null())) {
          found = std::move(*it);
          state_->received.erase(it);
          return true;
        }
      }
      return false;
    });
    return found;
  }

  // The close reason once on_close ran, or nullopt after the timeout.
  std::optional<std::string> wait_closed(std::chrono::milliseconds timeout = 10000ms) {
    std::unique_lock lock(state_->mutex);
    if (!state_->cv.wait_for(lock, timeout, [&] { return !state_->close_reasons.empty(); })) return std::nullopt;
    return state_->close_reasons.front();
  }

  std::size_t close_count() {
    std::lock_guard lock(state_->mutex);
    return state_->close_reasons.size();
  }

  // initialize + notifications/initialized; false (with a test failure) if it did not work.
  bool initialize() {
    if (!send(kInitRequest)) return false;
    const auto init = wait_for_id(1);
    EXPECT_TRUE(init.has_value()) << "no answer to initialize";
    if (!init) return false;
    EXPECT_EQ((*init)["result"]["serverInfo"]["name"], "cci") << init->dump();
    return send(kInitializedNotification);
  }

 private:
  MessageClient() = default;
  std::shared_ptr<State> state_;
  std::shared_ptr<MessageConnection> connection_;
};

// The text of a tools/call result.
inline std::string result_text(const Json& response) {
  if (!response.contains("result")) return "<no result: " + response.dump() + ">";
  return response["result"]["content"][0]["text"].get<std::string>();
}

class NetFixture : public ::testing::Test {
 protected:
  NetFixture() : server_(server_options()) {
    server_.add_tool(mcp::ToolSpec{.name = "echo",
                                   .description = "echo",
                                   .input_schema = Json{{"type", "object"}},
                                   .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                     return mcp::ToolResult::text(ctx.arguments().value("text", "hi"));
                                   }});
    server_.add_tool(mcp::ToolSpec{.name = "slow",
                                   .description = "sleeps for ms",
                                   .input_schema = Json{{"type", "object"}},
                                   .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                     std::this_thread::sleep_for(std::chrono::milliseconds(ctx.arguments().value("ms", 100)));
                                     return mcp::ToolResult::text("slept");
                                   }});
  }
  ~NetFixture() override {
    if (net_) net_->stop();
  }

  static mcp::ServerOptions server_options() {
    mcp::ServerOptions o;
    o.version = "t";
    o.worker_threads = 4;
    o.max_concurrent_requests = 1024;
    return o;
  }

  void start(NetworkOptions options = {}) {
    if (options.max_message_bytes == NetworkOptions{}.max_message_bytes) options.max_message_bytes = 64 * 1024;
    auto started = NetworkServer::start(server_, std::move(options));
    ASSERT_TRUE(started.has_value()) << started.error().message;
    net_ = std::move(*started);
    ASSERT_NE(net_->port(), 0);
  }

  Endpoint ws_endpoint() const {
    Endpoint e;
    e.host = "127.0.0.1";
    e.port = net_->port();
    return e;
  }

  mcp::Server server_;
  std::unique_ptr<NetworkServer> net_;
};

}  // namespace cci::net::test_support
