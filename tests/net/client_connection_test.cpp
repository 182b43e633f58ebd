// tests/net/client_connection_test.cpp — net::MessageConnection over WebSocket and net::http_get
// against a real NetworkServer on 127.0.0.1 (ephemeral port) with a real mcp::Server: endpoint
// parsing, the MCP round trip, tokens, refused and closed connections, many requests in flight
// on one connection, and the daemon's extra HTTP routes (tokens, 405, Origin, HEAD).
#include "net/client_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <set>

#include "message_client.h"

namespace cci::net {
namespace {

using namespace test_support;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------------------------
TEST(EndpointTest, ParsesWebSocketUrls) {
  auto e = Endpoint::parse("ws://127.0.0.1:8765");
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->kind, Endpoint::Kind::WebSocket);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 8765);
  EXPECT_EQ(e->target, "/");
  EXPECT_EQ(e->to_string(), "ws://127.0.0.1:8765");

  e = Endpoint::parse("ws://[::1]:9000/mcp");
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->port, 9000);
  EXPECT_EQ(e->target, "/mcp");
  EXPECT_EQ(e->to_string(), "ws://[::1]:9000/mcp");

  e = Endpoint::parse("WS://LocalHost/mcp?x=1");
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->host, "localhost");
  EXPECT_EQ(e->port, 80) << "no port means the scheme's default";
  EXPECT_EQ(e->target, "/mcp?x=1");
  EXPECT_EQ(Endpoint::parse(e->to_string())->to_string(), e->to_string());

  e = Endpoint::parse("ws://localhost:1?q");
  ASSERT_TRUE(e.has_value()) << e.error().message;
  EXPECT_EQ(e->target, "/?q");
}

TEST(EndpointTest, ParsesUnixUrls) {
  for (const char* url : {"unix:/run/cci.sock", "unix:///run/cci.sock"}) {
    auto e = Endpoint::parse(url);
    ASSERT_TRUE(e.has_value()) << url << ": " << e.error().message;
    EXPECT_EQ(e->kind, Endpoint::Kind::Unix);
    EXPECT_EQ(e->socket_path, "/run/cci.sock");
    EXPECT_EQ(e->to_string(), "unix:/run/cci.sock");
  }
}

TEST(EndpointTest, RefusesWhatItCannotServeWithAHint) {
  const auto message = [](const char* url) {
    auto e = Endpoint::parse(url);
    EXPECT_FALSE(e.has_value()) << url;
    if (e) return std::string();
    EXPECT_EQ(e.error().code, ErrorCode::InvalidArgument) << url;
    return e.error().message;
  };
  EXPECT_NE(message("wss://127.0.0.1:8765").find("wss:// is not supported; the daemon listens on loopback: use ws://"),
            std::string::npos);
  EXPECT_NE(message("http://127.0.0.1:8765/mcp").find("use ws://"), std::string::npos);
  EXPECT_NE(message("https://127.0.0.1:8765").find("use ws://"), std::string::npos);
  EXPECT_NE(message("ws://:8765").find("host"), std::string::npos);
  EXPECT_NE(message("ws://[]:8765").find("host"), std::string::npos);
  for (const char* bad_port : {"ws://127.0.0.1:0", "ws://127.0.0.1:65536", "ws://127.0.0.1:80x", "ws://127.0.0.1:",
                               "ws://127.0.0.1:-1", "ws://[::1]x"}) {
    EXPECT_FALSE(message(bad_port).empty()) << bad_port;
  }
  EXPECT_NE(message("unix:run/cci.sock").find("absolute"), std::string::npos);
  EXPECT_FALSE(message("unix:").empty());
  EXPECT_FALSE(message("unix://host/run/cci.sock").empty());
  EXPECT_FALSE(message("127.0.0.1:8765").empty());
  EXPECT_FALSE(message("ftp://x:1").empty());
  EXPECT_FALSE(message("").empty());
}

// ---------------------------------------------------------------------------------------------
class ClientConnectionTest : public NetFixture {};

TEST_F(ClientConnectionTest, WebSocketInitializeAndToolCall) {
  start();
  auto client = MessageClient::connect(ws_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto& c = **client;
  EXPECT_TRUE(c.connection().is_open());
  ASSERT_TRUE(c.initialize());
  ASSERT_TRUE(c.send(tool_call(2, "echo", {{"text", "over websocket"}})));
  const auto reply = c.wait_for_id(2);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(result_text(*reply), "over websocket");
  EXPECT_EQ(net_->open_sessions(), 1u);

  c.connection().close();
  const auto reason = c.wait_closed();
  ASSERT_TRUE(reason.has_value());
  EXPECT_EQ(*reason, "closed by the client");
  EXPECT_FALSE(c.connection().is_open());
  EXPECT_FALSE(c.send(tool_call(3, "echo", {})));
  EXPECT_TRUE(eventually([&] { return net_->open_sessions() == 0; }));
  EXPECT_EQ(c.close_count(), 1u);
}

TEST_F(ClientConnectionTest, LargeMessagesBothWays) {
  start();
  auto client = MessageClient::connect(ws_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  const std::string text(50 * 1024, 'x');
  ASSERT_TRUE((*client)->send(tool_call(2, "echo", {{"text", text}})));
  const auto reply = (*client)->wait_for_id(2);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(result_text(*reply), text);
}

TEST_F(ClientConnectionTest, TokenRequired) {
  NetworkOptions options;
  options.bearer_token = "s3cret";
  start(options);
  for (const std::string token : {"", "wrong"}) {
    ConnectOptions connect;
    connect.bearer_token = token;
    auto client = MessageClient::connect(ws_endpoint(), connect);
    ASSERT_FALSE(client.has_value()) << "token '" << token << "' was accepted";
    EXPECT_EQ(client.error().code, ErrorCode::Refused);
    EXPECT_NE(client.error().message.find("401"), std::string::npos) << client.error().message;
    EXPECT_NE(client.error().message.find("Unauthorized"), std::string::npos) << client.error().message;
  }
  ConnectOptions connect;
  connect.bearer_token = "s3cret";
  auto client = MessageClient::connect(ws_endpoint(), connect);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
}

TEST_F(ClientConnectionTest, OtherDeclinedUpgradesAreIoErrors) {
  start();
  Endpoint e = ws_endpoint();
  e.target = "/elsewhere";
  auto client = MessageClient::connect(e);
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::IoError);
  EXPECT_NE(client.error().message.find("404"), std::string::npos) << client.error().message;
}

// A port that was just free: bound, then closed.
std::uint16_t closed_port() {
  asio::io_context ioc;
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

TEST_F(ClientConnectionTest, ClosedPortIsUnavailableQuickly) {
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = closed_port();
  const auto t0 = std::chrono::steady_clock::now();
  auto client = MessageClient::connect(e);
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Unavailable);
  EXPECT_NE(client.error().message.find("nothing is listening on ws://127.0.0.1:" + std::to_string(e.port)),
            std::string::npos)
      << client.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);

  auto got = http_get("127.0.0.1", e.port, "/healthz", "", 2000ms);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::Unavailable);
}

TEST_F(ClientConnectionTest, SilentServerTimesOut) {
  // Accepts TCP connections (the kernel does, from the backlog) but never answers the upgrade.
  asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Endpoint e;
  e.host = "127.0.0.1";
  e.port = silent.local_endpoint().port();
  ConnectOptions options;
  options.timeout = 300ms;
  const auto t0 = std::chrono::steady_clock::now();
  auto client = MessageClient::connect(e, options);
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().code, ErrorCode::Timeout) << client.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);

  auto got = http_get("127.0.0.1", e.port, "/healthz", "", 300ms);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::Timeout) << got.error().message;
}

TEST_F(ClientConnectionTest, ServerStopFiresOnClose) {
  start();
  auto client = MessageClient::connect(ws_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  net_->stop();
  const auto reason = (*client)->wait_closed(5000ms);
  ASSERT_TRUE(reason.has_value()) << "on_close did not run after the server stopped";
  EXPECT_NE(reason->find("server"), std::string::npos) << *reason;
  EXPECT_FALSE((*client)->connection().is_open());
  EXPECT_FALSE((*client)->send(tool_call(2, "echo", {})));
  EXPECT_EQ((*client)->close_count(), 1u);
  EXPECT_FALSE((*client)->state()->message_after_close);
}

TEST_F(ClientConnectionTest, ManyConcurrentMessagesOnOneConnectionAreAllAnswered) {
  start();
  auto client = MessageClient::connect(ws_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  auto& c = **client;
  ASSERT_TRUE(c.initialize());
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::thread> senders;
  std::atomic<int> refused{0};
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int id = 100 + t * kPerThread + i;
        if (!c.send(tool_call(id, "echo", {{"text", "m" + std::to_string(id)}}))) ++refused;
      }
    });
  }
  for (auto& s : senders) s.join();
  EXPECT_EQ(refused.load(), 0);
  for (int id = 100; id < 100 + kThreads * kPerThread; ++id) {
    const auto reply = c.wait_for_id(id);
    ASSERT_TRUE(reply.has_value()) << "no answer for id " << id;
    EXPECT_EQ(result_text(*reply), "m" + std::to_string(id));
  }
}

TEST_F(ClientConnectionTest, OversizedIncomingMessageClosesTheConnection) {
  start();
  ConnectOptions options;
  options.max_message_bytes = 1024;
  auto client = MessageClient::connect(ws_endpoint(), options);
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  ASSERT_TRUE((*client)->send(tool_call(2, "echo", {{"text", std::string(4096, 'y')}})));
  const auto reason = (*client)->wait_closed();
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("1024 byte limit"), std::string::npos) << *reason;
}

// The connection's owner drops it from inside its own handler: no self-join, no deadlock.
TEST_F(ClientConnectionTest, DestroyedFromItsOwnHandler) {
  start();
  struct Shared {
    std::mutex mutex;
    std::condition_variable cv;
    std::shared_ptr<MessageConnection> connection;
    bool dropped = false;
    bool closed = false;
  };
  auto shared = std::make_shared<Shared>();
  auto connection = MessageConnection::connect(
      ws_endpoint(), {},
      [shared](std::string) {
        std::shared_ptr<MessageConnection> last;
        {
          std::lock_guard lock(shared->mutex);
          last = std::move(shared->connection);
        }
        last.reset();  // the last reference: the destructor runs here, on the reader thread
        std::lock_guard lock(shared->mutex);
        shared->dropped = true;
        shared->cv.notify_all();
      },
      [shared](std::string) {
        std::lock_guard lock(shared->mutex);
        shared->closed = true;
        shared->cv.notify_all();
      });
  ASSERT_TRUE(connection.has_value()) << connection.error().message;
  {
    std::lock_guard lock(shared->mutex);
    shared->connection = std::move(*connection);
    ASSERT_TRUE(shared->connection->send(kInitRequest));
  }
  std::unique_lock lock(shared->mutex);
  EXPECT_TRUE(shared->cv.wait_for(lock, 5s, [&] { return shared->dropped && shared->closed; }));
  lock.unlock();
  EXPECT_TRUE(eventually([&] { return net_->open_sessions() == 0; }));
}

TEST_F(ClientConnectionTest, DestructorClosesAndJoins) {
  start();
  auto client = MessageClient::connect(ws_endpoint());
  ASSERT_TRUE(client.has_value()) << client.error().message;
  ASSERT_TRUE((*client)->initialize());
  auto state = (*client)->state();
  const auto t0 = std::chrono::steady_clock::now();
  client->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  std::lock_guard lock(state->mutex);
  ASSERT_EQ(state->close_reasons.size(), 1u) << "on_close ran before the destructor returned";
  EXPECT_EQ(state->close_reasons[0], "closed by the client");
}

// ---------------------------------------------------------------------------------------------
struct RawReply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
};

RawReply raw_request(std::uint16_t port, http::verb verb, const std::string& target,
                     const std::map<std::string, std::string>& headers) {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(10s);
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) req.set(name, value);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  if (verb == http::verb::head) parser.skip(true);
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  RawReply reply;
  if (ec) return reply;
  auto res = parser.release();
  reply.status = res.result_int();
  for (const auto& field : res) reply.headers[std::string(field.name_string())] = std::string(field.value());
  reply.body = res.body();
  return reply;
}

TEST_F(ClientConnectionTest, ExtraRoutes) {
  NetworkOptions options;
  options.bearer_token = "tok";
  std::atomic<int> metrics_calls{0};
  options.routes.push_back(HttpRoute{"/metrics", true, [&] {
                                       ++metrics_calls;
                                       return HttpReply{200, "text/plain; version=0.0.4", "cci_up 1\n"};
                                     }});
  options.routes.push_back(HttpRoute{"/healthz", false, [] { return HttpReply{200, "application/json", "{\"ok\":true}"}; }});
  options.routes.push_back(HttpRoute{"/broken", true, []() -> HttpReply { throw std::runtime_error("boom"); }});
  start(options);
  const auto port = net_->port();

  auto got = http_get("127.0.0.1", port, "/metrics", "", 2000ms);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->first, 401);
  EXPECT_EQ(metrics_calls.load(), 0) << "an unauthorised request must not reach the handler";
  got = http_get("127.0.0.1", port, "/metrics", "wrong", 2000ms);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->first, 401);

  got = http_get("127.0.0.1", port, "/metrics", "tok", 2000ms);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->first, 200);
  EXPECT_EQ(got->second, "cci_up 1\n");
  EXPECT_EQ(metrics_calls.load(), 1);

  got = http_get("127.0.0.1", port, "/healthz", "", 2000ms);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->first, 200);
  EXPECT_EQ(got->second, "{\"ok\":true}") << "the route replaces the built-in /healthz";

  got = http_get("localhost", port, "/broken", "tok", 2000ms);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->first, 500);

  RawReply post = raw_request(port, http::verb::post, "/metrics", {{"Authorization", "Bearer tok"}});
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.headers["Allow"], "GET, HEAD");

  const RawReply foreign = raw_request(port, http::verb::get, "/healthz", {{"Origin", "http://evil.example.com"}});
  EXPECT_EQ(foreign.status, 403u);
  const RawReply foreign_with_token =
      raw_request(port, http::verb::get, "/metrics", {{"Origin", "http://evil.example.com"}, {"Authorization", "Bearer tok"}});
  EXPECT_EQ(foreign_with_token.status, 403u);

  RawReply head = raw_request(port, http::verb::head, "/metrics", {{"Authorization", "Bearer tok"}});
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.headers["Content-Length"], "9");
  EXPECT_TRUE(head.body.empty());

  got = http_get("127.0.0.1", port, "/nothing-here", "tok", 2000ms);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(got->first, 404);
}

// HEAD on the built-in /healthz has no body, so a keep-alive connection stays in step.
TEST_F(ClientConnectionTest, BuiltInHealthzHeadThenGetOnOneConnection) {
  start();
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), net_->port()));
  stream.expires_after(10s);
  beast::flat_buffer buffer;
  for (const auto verb : {http::verb::head, http::verb::get}) {
    http::request<http::empty_body> req{verb, "/healthz", 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    http::response_parser<http::string_body> parser;
    if (verb == http::verb::head) parser.skip(true);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(parser.get().result_int(), 200u);
    EXPECT_EQ(parser.get().body(), verb == http::verb::head ? "" : "ok");
  }
}

}  // namespace
}  // namespace cci::net
