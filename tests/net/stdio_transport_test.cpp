// tests/net/stdio_transport_test.cpp — serve_stdio over pipes in a thread: framing, CRLF,
// oversized lines, ordering of output lines and a clean exit on EOF.
#include "net/stdio_transport.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <signal.h>

#include <future>
#include <string>

namespace cci::net {
namespace {

using mcp::Json;

class StdioTest : public ::testing::Test {
 protected:
  StdioTest() : server_(options()) {
    server_.add_tool(mcp::ToolSpec{.name = "echo",
                                   .description = "echo",
                                   .input_schema = Json{{"type", "object"}},
                                   .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                     return mcp::ToolResult::text(ctx.arguments().value("text", "multi\nline"));
                                   }});
    EXPECT_EQ(::pipe(to_server_), 0);
    EXPECT_EQ(::pipe(from_server_), 0);
    result_ = std::async(std::launch::async, [this] {
      return serve_stdio(server_, StdioOptions{.in_fd = to_server_[0],
                                               .out_fd = from_server_[1],
                                               .drain_timeout = std::chrono::milliseconds(2000),
                                               .handle_signals = false});
    });
  }
  ~StdioTest() override {
    close_input();
    if (result_.valid()) result_.wait();
    for (int fd : {to_server_[0], from_server_[0], from_server_[1]}) ::close(fd);
  }

  static mcp::ServerOptions options() {
    mcp::ServerOptions o;
    o.version = "t";
    o.worker_threads = 2;
    o.max_message_bytes = 1024;
    return o;
  }

  void write_raw(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(to_server_[1], data.data() + done, data.size() - done);
      ASSERT_GT(n, 0);
      done += static_cast<std::size_t>(n);
    }
  }
  void close_input() {
    if (to_server_[1] >= 0) {
      ::close(to_server_[1]);
      to_server_[1] = -1;
    }
  }

  // Reads one '\n'-terminated line (without the newline); empty on timeout.
  std::string read_line(int timeout_ms = 5000) {
    for (;;) {
      if (const auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      pollfd p{from_server_[0], POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) return {};
      char buf[4096];
      const ssize_t n = ::read(from_server_[0], buf, sizeof buf);
      if (n <= 0) return {};
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }
  Json read_json() {
    const std::string line = read_line();
    EXPECT_FALSE(line.empty());
    return line.empty() ? Json() : Json::parse(line);
  }

  mcp::Server server_;
  int to_server_[2] = {-1, -1};
  int from_server_[2] = {-1, -1};
  std::string pending_;
  std::future<int> result_;
};

TEST_F(StdioTest, InitializeThenToolsListThenEofExitsZero) {
  write_raw(R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}})"
            "\n");
  Json r = read_json();
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  // CRLF framing and a notification (never answered) in between.
  write_raw("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\r\n");
  write_raw("\n");
  write_raw(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"
            "\r\n");
  r = read_json();
  EXPECT_EQ(r["id"], 2);
  ASSERT_EQ(r["result"]["tools"].size(), 1u);
  // A result containing a newline still arrives on one line.
  write_raw(R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{}}})"
            "\n");
  r = read_json();
  EXPECT_EQ(r["result"]["content"][0]["text"], "multi\nline");
  close_input();
  ASSERT_EQ(result_.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(result_.get(), 0);
}

TEST_F(StdioTest, OversizedLineIsRejectedAndTheStreamContinues) {
  // Sent in pieces, so the reader sees the limit crossed mid-line.
  std::string big = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":")" + std::string(5000, 'x') + "\"}}\n";
  write_raw(big.substr(0, 700));
  write_raw(big.substr(700));
  Json r = read_json();
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_NE(r["error"]["message"].get<std::string>().find("message of " + std::to_string(big.size() - 1) + " bytes"),
            std::string::npos);
  write_raw("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
  r = read_json();
  EXPECT_EQ(r["id"], 2);
  EXPECT_EQ(r["result"], Json::object());
}

TEST_F(StdioTest, MalformedLineGetsParseError) {
  write_raw("{not json\n");
  const Json r = read_json();
  EXPECT_EQ(r["error"]["code"], -32700);
  EXPECT_TRUE(r["id"].is_null());
}

TEST_F(StdioTest, LastLineWithoutNewlineIsProcessedAtEof) {
  write_raw(R"({"jsonrpc":"2.0","id":9,"method":"ping"})");
  close_input();
  const Json r = read_json();
  EXPECT_EQ(r["id"], 9);
  ASSERT_EQ(result_.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(result_.get(), 0);
}

TEST(StdioSignals, SigtermStopsGracefullyWithExitZero) {
  mcp::ServerOptions o;
  o.worker_threads = 1;
  mcp::Server server(o);
  int in[2], out[2];
  ASSERT_EQ(::pipe(in), 0);
  ASSERT_EQ(::pipe(out), 0);
  auto result = std::async(std::launch::async, [&] {
    return serve_stdio(server, StdioOptions{.in_fd = in[0], .out_fd = out[1], .handle_signals = true});
  });
  // Handlers are installed once the first request is answered.
  const std::string ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n";
  ASSERT_EQ(::write(in[1], ping.data(), ping.size()), static_cast<ssize_t>(ping.size()));
  pollfd p{out[0], POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ::kill(::getpid(), SIGTERM);
  ASSERT_EQ(result.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(result.get(), 0);
  for (int fd : {in[0], in[1], out[0], out[1]}) ::close(fd);
}

}  // namespace
}  // namespace cci::net
