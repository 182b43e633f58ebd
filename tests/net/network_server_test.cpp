// tests/net/network_server_test.cpp — NetworkServer on real sockets (127.0.0.1, an ephemeral
// port) with a real mcp::Server, driven by a small synchronous Beast client: Streamable HTTP
// (JSON and SSE answers, sessions, status codes, the standalone stream, resumption, SSE polling),
// WebSocket, and the Host/Origin/token checks.
#include "net/network_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <tuple>

namespace cci::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using mcp::Json;
using Headers = std::map<std::string, std::string>;

constexpr const char* kInit =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},)"
    R"("clientInfo":{"name":"t","version":"1"}}})";
constexpr const char* kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

struct Reply {
  unsigned status = 0;
  Headers headers;  // lowercase names
  std::string body;
};

// Data lines of every SSE event in `body` (events with empty data included as "").
std::vector<std::pair<std::string, std::string>> sse_events(const std::string& body) {
  std::vector<std::pair<std::string, std::string>> events;
  std::string id, data;
  bool any = false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto nl = body.find('\n', pos);
    if (nl == std::string::npos) nl = body.size();
    const std::string line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) {
      if (any) events.emplace_back(id, data);
      id.clear();
      data.clear();
      any = false;
    } else if (line.starts_with("id: ")) {
      id = line.substr(4);
      any = true;
    } else if (line.starts_with("data: ")) {
      data += line.substr(6);
      any = true;
    }
  }
  return events;
}

class NetworkServerTest : public ::testing::Test {
 protected:
  NetworkServerTest() : server_(server_options()) {
    server_.add_tool(mcp::ToolSpec{.name = "echo",
                                   .description = "echo",
                                   .input_schema = Json{{"type", "object"}},
                                   .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                     return mcp::ToolResult::text(ctx.arguments().value("text", "hi"));
                                   }});
    server_.add_tool(mcp::ToolSpec{.name = "slow",
                                   .description = "reports progress, then sleeps for ms",
                                   .input_schema = Json{{"type", "object"}},
                                   .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
                                     ctx.progress(1, 2, "half");
                                     const int ms = ctx.arguments().value("ms", 500);
                                     std::this_thread::sleep_for(std::chrono::milliseconds(ms));
                                     return mcp::ToolResult::text("slept");
                                   }});
  }
  ~NetworkServerTest() override {
    if (net_) net_->stop();
  }

  static mcp::ServerOptions server_options() {
    mcp::ServerOptions o;
    o.version = "t";
    o.worker_threads = 4;
    return o;
  }

  void start(NetworkOptions options = {}) {
    options.max_message_bytes = 64 * 1024;
    auto started = NetworkServer::start(server_, std::move(options));
    ASSERT_TRUE(started.has_value()) << started.error().message;
    net_ = std::move(*started);
    ASSERT_NE(net_->port(), 0);
  }

  std::string authority() const { return "127.0.0.1:" + std::to_string(net_->port()); }

  Reply send(http::verb verb, const std::string& target, const std::string& body, Headers headers = {}) {
    asio::io_context ioc;
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), net_->port()));
    stream.expires_after(std::chrono::seconds(10));
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, authority());
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.set(http::field::accept, "application/json, text/event-stream");
    }
    for (const auto& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1u << 24);
    beast::error_code ec;
    http::read(stream, buffer, parser, ec);
    Reply reply;
    if (ec) return reply;
    auto res = parser.release();
    reply.status = res.result_int();
    for (const auto& field : res) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      reply.headers[name] = std::string(field.value());
    }
    reply.body = res.body();
    return reply;
  }

  Reply post(const std::string& body, Headers headers = {}) { return send(http::verb::post, "/mcp", body, headers); }

  // The JSON-RPC messages of a reply: the JSON body, or the data of every non-empty SSE event.
  static std::vector<Json> messages(const Reply& reply) {
    std::vector<Json> out;
    if (reply.headers.count("content-type") && reply.headers.at("content-type").starts_with("text/event-stream")) {
      for (const auto& [id, data] : sse_events(reply.body)) {
        if (!data.empty()) out.push_back(Json::parse(data));
      }
    } else if (!reply.body.empty()) {
      out.push_back(Json::parse(reply.body));
    }
    return out;
  }

  // initialize + initialized; returns the session id.
  std::string open_session() {
    const Reply init = post(kInit);
    EXPECT_EQ(init.status, 200u) << init.body;
    const std::string id = init.headers.count("mcp-session-id") ? init.headers.at("mcp-session-id") : "";
    EXPECT_FALSE(id.empty());
    EXPECT_EQ(post(kInitialized, {{"Mcp-Session-Id", id}}).status, 202u);
    return id;
  }

  mcp::Server server_;
  std::unique_ptr<NetworkServer> net_;
};

TEST_F(NetworkServerTest, InitializeOverPostReturnsJsonAndSessionId) {
  start();
  const Reply init = post(kInit);
  ASSERT_EQ(init.status, 200u) << init.body;
  EXPECT_TRUE(init.headers.at("content-type").starts_with("application/json"));
  const std::string id = init.headers.at("mcp-session-id");
  ASSERT_GE(id.size(), 16u);
  for (const char c : id) EXPECT_TRUE(c >= 0x21 && c <= 0x7E);
  const Json result = Json::parse(init.body);
  EXPECT_EQ(result["result"]["protocolVersion"], "2025-11-25");
  EXPECT_EQ(result["result"]["serverInfo"]["name"], "cci");
  EXPECT_EQ(net_->open_sessions(), 1u);
}

TEST_F(NetworkServerTest, ToolCallWithProgressTokenIsAnSseStreamWithPrimingEvent) {
  start();
  const std::string id = open_session();
  const Reply reply = post(
      R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"slow","arguments":{"ms":10},"_meta":{"progressToken":"p1"}}})",
      {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-11-25"}});
  ASSERT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.headers.at("content-type").starts_with("text/event-stream"));
  const auto events = sse_events(reply.body);
  ASSERT_GE(events.size(), 3u) << reply.body;
  EXPECT_FALSE(events[0].first.empty()) << "priming event has an id";
  EXPECT_EQ(events[0].second, "") << "priming event has empty data";
  EXPECT_NE(reply.body.find("retry: "), std::string::npos);
  const auto msgs = messages(reply);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0]["method"], "notifications/progress");
  EXPECT_EQ(msgs[1]["id"], 7);
  EXPECT_EQ(msgs[1]["result"]["content"][0]["text"], "slept");
  std::set<std::string> ids;
  for (const auto& [eid, data] : events) EXPECT_TRUE(ids.insert(eid).second) << "event ids unique";
}

TEST_F(NetworkServerTest, SessionIdMissingIs400AndUnknownIs404) {
  start();
  open_session();
  const std::string ping = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
  EXPECT_EQ(post(ping).status, 400u);
  EXPECT_EQ(post(ping, {{"Mcp-Session-Id", "nope"}}).status, 404u);
}

TEST_F(NetworkServerTest, NotificationIs202AndDeleteEndsSession) {
  start();
  const std::string id = open_session();
  const Reply pong = post(R"({"jsonrpc":"2.0","id":3,"method":"ping"})", {{"mcp-session-id", id}});
  ASSERT_EQ(pong.status, 200u);
  EXPECT_EQ(messages(pong).at(0)["result"], Json::object());
  const Reply del = send(http::verb::delete_, "/mcp", "", {{"Mcp-Session-Id", id}});
  EXPECT_TRUE(del.status == 200u || del.status == 204u);
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":4,"method":"ping"})", {{"Mcp-Session-Id", id}}).status, 404u);
  EXPECT_EQ(net_->open_sessions(), 0u);
}

TEST_F(NetworkServerTest, ProtocolVersionHeader) {
  start();
  const std::string id = open_session();
  const std::string ping = R"({"jsonrpc":"2.0","id":5,"method":"ping"})";
  EXPECT_EQ(post(ping, {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "2025-03-26"}}).status, 200u);
  EXPECT_EQ(post(ping, {{"Mcp-Session-Id", id}, {"MCP-Protocol-Version", "1999-01-01"}}).status, 400u);
}

TEST_F(NetworkServerTest, OriginAndHostChecks) {
  start();
  EXPECT_EQ(post(kInit, {{"Origin", "http://evil.example.com"}}).status, 403u);
  EXPECT_EQ(post(kInit, {{"Origin", "null"}}).status, 403u);
  const Reply bad_host = post(kInit, {{"Host", "evil.example.com"}});
  EXPECT_GE(bad_host.status, 400u);
  EXPECT_LT(bad_host.status, 500u);
  const std::string port = std::to_string(net_->port());
  EXPECT_EQ(post(kInit, {{"Host", "localhost:" + port}, {"Origin", "http://localhost:" + port}}).status, 200u);
  EXPECT_EQ(post(kInit, {{"Origin", "https://127.0.0.1:9999"}}).status, 200u);
  EXPECT_EQ(post(kInit, {{"Host", "[::1]:" + port}, {"Origin", "http://[::1]"}}).status, 200u);
}

TEST_F(NetworkServerTest, AllowedOriginOption) {
  NetworkOptions options;
  options.allowed_origins = {"https://app.example.com"};
  start(options);
  EXPECT_EQ(post(kInit, {{"Origin", "https://app.example.com"}}).status, 200u);
  EXPECT_EQ(post(kInit, {{"Origin", "https://other.example.com"}}).status, 403u);
}

TEST_F(NetworkServerTest, BearerToken) {
  NetworkOptions options;
  options.bearer_token = "s3cret-token";
  start(options);
  const Reply missing = post(kInit);
  EXPECT_EQ(missing.status, 401u);
  EXPECT_TRUE(missing.headers.at("www-authenticate").starts_with("Bearer"));
  EXPECT_EQ(post(kInit, {{"Authorization", "Bearer wrong"}}).status, 401u);
  EXPECT_EQ(post(kInit, {{"Authorization", "Bearer s3cret-token"}}).status, 200u);
  EXPECT_EQ(send(http::verb::get, "/healthz", "").status, 200u) << "liveness needs no token";
}

TEST_F(NetworkServerTest, NonLoopbackWithoutTokenIsRefused) {
  NetworkOptions options;
  options.host = "0.0.0.0";
  auto started = NetworkServer::start(server_, options);
  ASSERT_FALSE(started.has_value());
  EXPECT_NE(started.error().message.find("token"), std::string::npos);
}

TEST_F(NetworkServerTest, PortInUseIsAnError) {
  start();
  NetworkOptions options;
  options.port = net_->port();
  auto second = NetworkServer::start(server_, options);
  ASSERT_FALSE(second.has_value());
}

TEST_F(NetworkServerTest, BadAcceptIs406AndOversizedBodyIs413AndOtherStatuses) {
  start();
  EXPECT_EQ(post(kInit, {{"Accept", "application/json"}}).status, 406u);
  EXPECT_EQ(post(kInit, {{"Accept", "text/event-stream"}}).status, 406u);
  const std::string big = R"({"jsonrpc":"2.0","method":"x","params":{"pad":")" + std::string(100 * 1024, 'a') + "\"}}";
  EXPECT_EQ(post(big).status, 413u);
  EXPECT_EQ(send(http::verb::get, "/nope", "").status, 404u);
  const Reply put = send(http::verb::put, "/mcp", "");
  EXPECT_EQ(put.status, 405u);
  EXPECT_NE(put.headers.at("allow").find("POST"), std::string::npos);
  const Reply health = send(http::verb::get, "/healthz", "");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "ok");
}

TEST_F(NetworkServerTest, TwoSessionsAndSlowToolDoesNotDelayPingOnAnother) {
  start();
  const std::string a = open_session();
  const std::string b = open_session();
  ASSERT_NE(a, b);
  EXPECT_EQ(net_->open_sessions(), 2u);
  auto slow = std::async(std::launch::async, [&] {
    return post(R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"slow","arguments":{"ms":1500}}})",
                {{"Mcp-Session-Id", a}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  const Reply pong = post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {{"Mcp-Session-Id", b}});
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(pong.status, 200u);
  EXPECT_LT(elapsed, std::chrono::milliseconds(700));
  const Reply slow_reply = slow.get();
  ASSERT_EQ(slow_reply.status, 200u);
  EXPECT_EQ(messages(slow_reply).back()["result"]["content"][0]["text"], "slept");
}

// A raw GET /mcp kept open (the standalone stream); returns the head of the response.
std::string open_get(asio::io_context& ioc, tcp::socket& socket, std::uint16_t port, const std::string& session,
                     const std::string& last_event_id = "") {
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  std::string req = "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: " + session + "\r\n";
  if (!last_event_id.empty()) req += "Last-Event-ID: " + last_event_id + "\r\n";
  req += "\r\n";
  asio::write(socket, asio::buffer(req));
  std::string got;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (got.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    const std::size_t n = socket.read_some(asio::buffer(buf));
    got.append(buf, n);
  }
  (void)ioc;
  return got;
}

TEST_F(NetworkServerTest, StandaloneGetStreamAndConflictOnSecond) {
  start();
  const std::string id = open_session();
  asio::io_context ioc;
  tcp::socket first(ioc);
  const std::string head = open_get(ioc, first, net_->port(), id);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200")) << head;
  EXPECT_NE(head.find("text/event-stream"), std::string::npos);
  const Reply second = send(http::verb::get, "/mcp", "", {{"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}});
  EXPECT_EQ(second.status, 409u);
  EXPECT_EQ(send(http::verb::get, "/mcp", "", {{"Mcp-Session-Id", id}, {"Accept", "application/json"}}).status, 406u);
  // Once the first stream is gone, a new one may open.
  first.close();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  tcp::socket third(ioc);
  EXPECT_TRUE(open_get(ioc, third, net_->port(), id).starts_with("HTTP/1.1 200"));
}

TEST_F(NetworkServerTest, ResumptionWithLastEventIdReplaysMissedEvents) {
  start();
  const std::string id = open_session();
  asio::io_context ioc;
  std::string priming_id;
  {
    // Start a slow call over SSE, read only the priming event, then drop the connection.
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), net_->port()));
    const std::string body =
        R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"slow","arguments":{"ms":300},"_meta":{"progressToken":1}}})";
    const std::string req = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                            "Accept: application/json, text/event-stream\r\nMcp-Session-Id: " + id +
                            "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    asio::write(socket, asio::buffer(req));
    std::string got;
    char buf[4096];
    while (got.find("data: \n\n") == std::string::npos) got.append(buf, socket.read_some(asio::buffer(buf)));
    const auto pos = got.find("id: ");
    ASSERT_NE(pos, std::string::npos);
    priming_id = got.substr(pos + 4, got.find('\n', pos) - pos - 4);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the call finishes meanwhile
  const Reply resumed =
      send(http::verb::get, "/mcp", "", {{"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}, {"Last-Event-ID", priming_id}});
  ASSERT_EQ(resumed.status, 200u);
  const auto msgs = messages(resumed);
  ASSERT_FALSE(msgs.empty()) << resumed.body;
  EXPECT_EQ(msgs.back()["id"], 11);
  EXPECT_EQ(msgs.back()["result"]["content"][0]["text"], "slept");
}

// SSE polling: the server ends a polled call's POST stream right after the priming event, and the
// client's GET with that event id receives the response (live or replayed, whichever comes first).
TEST_F(NetworkServerTest, SsePollingEndsThePostAfterPrimingAndTheGetCarriesTheResponse) {
  NetworkOptions options;
  options.poll_request = [](const Json& request) { return request["method"] == "tools/call"; };
  start(options);
  const std::string id = open_session();
  for (const auto& [call_id, tool, answer] : {std::tuple{21, "slow", "slept"}, std::tuple{22, "echo", "polled"}}) {
    const Json call = {{"jsonrpc", "2.0"},
                       {"id", call_id},
                       {"method", "tools/call"},
                       {"params", {{"name", tool}, {"arguments", {{"ms", 300}, {"text", "polled"}}}}}};
    // post() reads to the end of the response: it returns once the server has ended the stream.
    const Reply reply = post(call.dump(), {{"Mcp-Session-Id", id}});
    ASSERT_EQ(reply.status, 200u) << tool;
    EXPECT_TRUE(reply.headers.at("content-type").starts_with("text/event-stream")) << tool;
    const auto events = sse_events(reply.body);
    ASSERT_EQ(events.size(), 1u) << tool << ": only the priming event: " << reply.body;
    EXPECT_FALSE(events[0].first.empty());
    EXPECT_EQ(events[0].second, "");
    EXPECT_NE(reply.body.find("\nretry: "), std::string::npos) << reply.body;

    const Reply resumed = send(http::verb::get, "/mcp", "",
                               {{"Mcp-Session-Id", id}, {"Accept", "text/event-stream"}, {"Last-Event-ID", events[0].first}});
    ASSERT_EQ(resumed.status, 200u) << tool;
    const auto msgs = messages(resumed);
    ASSERT_EQ(msgs.size(), 1u) << tool << ": " << resumed.body;
    EXPECT_EQ(msgs[0]["id"], call_id);
    EXPECT_EQ(msgs[0]["result"]["content"][0]["text"], answer);
  }
  // What the predicate declines is answered as before.
  const Reply ping = post(R"({"jsonrpc":"2.0","id":23,"method":"ping"})", {{"Mcp-Session-Id", id}});
  EXPECT_TRUE(ping.headers.at("content-type").starts_with("application/json")) << ping.body;
  EXPECT_EQ(Json::parse(ping.body)["id"], 23);
}

// A client of an earlier protocol version does not know to reconnect: its calls are never polled.
TEST_F(NetworkServerTest, SsePollingSparesSessionsBefore2025_11_25) {
  NetworkOptions options;
  options.poll_request = [](const Json&) { return true; };
  start(options);
  Json init = Json::parse(kInit);
  init["params"]["protocolVersion"] = "2025-06-18";
  const Reply opened = post(init.dump());
  ASSERT_EQ(opened.status, 200u) << opened.body;
  EXPECT_EQ(Json::parse(opened.body)["result"]["protocolVersion"], "2025-06-18");
  const std::string id = opened.headers.at("mcp-session-id");
  ASSERT_EQ(post(kInitialized, {{"Mcp-Session-Id", id}}).status, 202u);
  const Reply reply = post(R"({"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"slow","arguments":{"ms":10}}})",
                           {{"Mcp-Session-Id", id}});
  ASSERT_EQ(reply.status, 200u);
  const auto msgs = messages(reply);
  ASSERT_FALSE(msgs.empty()) << reply.body;
  EXPECT_EQ(msgs.back()["id"], 31);
  EXPECT_EQ(msgs.back()["result"]["content"][0]["text"], "slept");
}

TEST_F(NetworkServerTest, IdleSessionsExpire) {
  NetworkOptions options;
  options.session_idle_timeout = std::chrono::seconds(1);
  start(options);
  const std::string id = open_session();
  std::this_thread::sleep_for(std::chrono::milliseconds(1800));
  EXPECT_EQ(post(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", {{"Mcp-Session-Id", id}}).status, 404u);
}

// --- WebSocket --------------------------------------------------------------------------------

class WsClient {
 public:
  explicit WsClient(std::uint16_t port) : ws_(ioc_) {
    beast::get_lowest_layer(ws_).connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    port_ = port;
  }
  beast::error_code handshake(const std::string& subprotocol, Headers headers, websocket::response_type& res,
                              const std::string& target = "/") {
    ws_.set_option(websocket::stream_base::decorator([subprotocol, headers](websocket::request_type& req) {
      if (!subprotocol.empty()) req.set(http::field::sec_websocket_protocol, subprotocol);
      for (const auto& [name, value] : headers) req.set(name, value);
    }));
    beast::error_code ec;
    ws_.handshake(res, "127.0.0.1:" + std::to_string(port_), target, ec);
    return ec;
  }
  void write(const std::string& text) {
    ws_.text(true);
    ws_.write(asio::buffer(text));
  }
  Json read() {
    beast::flat_buffer buffer;
    ws_.read(buffer);
    return Json::parse(beast::buffers_to_string(buffer.data()));
  }
  websocket::stream<beast::tcp_stream>& stream() { return ws_; }

 private:
  asio::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_;
  std::uint16_t port_ = 0;
};

TEST_F(NetworkServerTest, WebSocketInitializeAndToolsList) {
  start();
  WsClient client(net_->port());
  websocket::response_type res;
  ASSERT_FALSE(client.handshake("mcp", {}, res));
  EXPECT_EQ(res[http::field::sec_websocket_protocol], "mcp");
  client.write(kInit);
  const Json init = client.read();
  EXPECT_EQ(init["id"], 1);
  EXPECT_EQ(init["result"]["serverInfo"]["name"], "cci");
  client.write(kInitialized);
  client.write(R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})");
  const Json list = client.read();
  EXPECT_EQ(list["id"], 2);
  EXPECT_EQ(list["result"]["tools"].size(), 2u);
  EXPECT_EQ(net_->open_sessions(), 1u);
  client.stream().close(websocket::close_code::normal);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(net_->open_sessions(), 0u);
}

// An upgrade request the server is expected to refuse, sent as plain HTTP to read the status.
Headers upgrade_headers(Headers extra) {
  Headers h{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}, {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
            {"Sec-WebSocket-Version", "13"}};
  for (auto& [k, v] : extra) h[k] = v;
  return h;
}

TEST_F(NetworkServerTest, WebSocketSubprotocolAndPath) {
  start();
  EXPECT_EQ(send(http::verb::get, "/", "", upgrade_headers({{"Sec-WebSocket-Protocol", "graphql-ws"}})).status, 400u);
  {
    WsClient client(net_->port());
    websocket::response_type res;
    EXPECT_TRUE(client.handshake("graphql-ws", {}, res)) << "a client offering only another subprotocol fails";
  }
  {
    WsClient client(net_->port());
    websocket::response_type res;
    EXPECT_FALSE(client.handshake("", {}, res, "/mcp")) << "no subprotocol offered is accepted";
    EXPECT_TRUE(res[http::field::sec_websocket_protocol].empty());
  }
  EXPECT_EQ(send(http::verb::get, "/elsewhere", "", upgrade_headers({{"Sec-WebSocket-Protocol", "mcp"}})).status, 404u);
}

TEST_F(NetworkServerTest, WebSocketBadOriginIsRejectedBeforeUpgrade) {
  start();
  EXPECT_EQ(send(http::verb::get, "/", "", upgrade_headers({{"Origin", "http://evil.example.com"}})).status, 403u);
  WsClient client(net_->port());
  websocket::response_type res;
  EXPECT_TRUE(client.handshake("mcp", {{"Origin", "http://evil.example.com"}}, res));
}

TEST_F(NetworkServerTest, WebSocketTokenByHeaderOrQuery) {
  NetworkOptions options;
  options.bearer_token = "tok";
  start(options);
  EXPECT_EQ(send(http::verb::get, "/", "", upgrade_headers({})).status, 401u);
  EXPECT_EQ(send(http::verb::get, "/?access_token=nope", "", upgrade_headers({})).status, 401u);
  {
    WsClient client(net_->port());
    websocket::response_type res;
    EXPECT_FALSE(client.handshake("mcp", {{"Authorization", "Bearer tok"}}, res));
  }
  {
    WsClient client(net_->port());
    websocket::response_type res;
    EXPECT_FALSE(client.handshake("mcp", {}, res, "/?access_token=tok"));
  }
}

TEST_F(NetworkServerTest, WebSocketOversizedMessageClosesWith1009) {
  start();
  WsClient client(net_->port());
  websocket::response_type res;
  ASSERT_FALSE(client.handshake("mcp", {}, res));
  // The server sends close 1009 as soon as it sees the frame header, without draining the unread
  // payload, so TCP may reset the connection while the client is still writing it or before the
  // client sees the close frame: any of these outcomes ends the session.
  // (Seen once under heavy load: Beast reported the reset as a thrown system_error "Broken pipe"
  // instead of through `ec`; that is the same outcome.)
  const std::string payload(100 * 1024, ' ');
  beast::error_code ec;
  try {
    client.stream().text(true);
    client.stream().write(asio::buffer(payload), ec);
    if (!ec) {
      beast::flat_buffer buffer;
      client.stream().read(buffer, ec);
    }
  } catch (const boost::system::system_error& e) {
    ec = e.code();
  }
  ASSERT_TRUE(ec);
  if (ec == websocket::error::closed) {
    EXPECT_EQ(client.stream().reason().code, websocket::close_code::too_big);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (net_->open_sessions() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(net_->open_sessions(), 0u);
}

TEST_F(NetworkServerTest, StopClosesEverythingPromptly) {
  start();
  open_session();
  WsClient client(net_->port());
  websocket::response_type res;
  ASSERT_FALSE(client.handshake("mcp", {}, res));
  const auto t0 = std::chrono::steady_clock::now();
  net_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4));
  net_->wait();
  EXPECT_EQ(net_->open_sessions(), 0u);
}

}  // namespace
}  // namespace cci::net
