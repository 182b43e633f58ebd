// fuzz/fuzz_http_entry.cpp — arbitrary bytes into a running net::NetworkServer over a real socket.
//
// The server (127.0.0.1, ephemeral port, two tiny tools) runs for the whole process. Each input
// is one TCP connection; its first byte picks how the rest is delivered:
//   0: raw bytes as an HTTP request stream (seeds are real POST/GET/DELETE /mcp requests),
//   1: a valid WebSocket upgrade, then the rest as raw frame bytes,
//   2: a valid WebSocket upgrade, then each '\n'-separated line as one masked text frame (MCP).
// The client half-closes and reads until EOF within a small deadline, so an input never blocks
// for long. Every 32nd input (and the first) the server must still answer GET /healthz; a
// server that stopped serving aborts the run. Crashes inside the server threads are reported by
// the sanitizers like any other.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "mcp/server.h"
#include "net/network_server.h"

namespace {

using namespace cci;
using Clock = std::chrono::steady_clock;

struct Fixture {
  std::unique_ptr<mcp::Server> server;
  std::unique_ptr<net::NetworkServer> network;
};

Fixture& fixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture;
    mcp::ServerOptions options;
    options.version = "0.0.0-fuzz";
    options.worker_threads = 2;
    fx->server = std::make_unique<mcp::Server>(std::move(options));
    fx->server->add_tool(mcp::ToolSpec{
        .name = "echo",
        .description = "Returns its text",
        .input_schema = mcp::Json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})"),
        .handler = [](mcp::ToolContext& ctx) -> Result<mcp::ToolResult> {
          return mcp::ToolResult::text(ctx.arguments()["text"].get<std::string>());
        }});
    fx->server->add_tool(mcp::ToolSpec{
        .name = "fail",
        .description = "Always fails",
        .input_schema = mcp::Json{{"type", "object"}},
        .handler = [](mcp::ToolContext&) -> Result<mcp::ToolResult> {
          return make_error(ErrorCode::NotFound, "nothing");
        }});
    net::NetworkOptions net_options;
    net_options.host = "127.0.0.1";
    net_options.port = 0;
    net_options.io_threads = 2;
    net_options.max_message_bytes = 1u << 16;
    net_options.session_idle_timeout = std::chrono::seconds(5);  // fuzzed sessions must not pile up
    auto started = net::NetworkServer::start(*fx->server, net_options);
    if (!started) {
      std::fprintf(stderr, "fuzz_http_entry: cannot start the server: %s\n", started.error().describe().c_str());
      std::abort();
    }
    fx->network = std::move(*started);
    return fx;
  }();
  return *f;
}

int connect_server(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // Small inputs write instantly; a server that stops reading must not block the fuzzer.
  const timeval send_timeout{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until EOF, `until` appearing in what was read, or the deadline; returns what arrived.
std::string read_some(int fd, Clock::time_point deadline, std::string_view until = {}) {
  std::string got;
  char buffer[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
    if (!until.empty() && got.find(until) != std::string::npos) break;
  }
  return got;
}

std::string upgrade_request(std::uint16_t port) {
  return "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mcp\r\n\r\n";
}

// A client text frame: FIN + opcode 1, masked with the all-zero key (payload unchanged).
std::string text_frame(std::string_view payload) {
  std::string frame("\x81", 1);
  const std::size_t n = payload.size();
  if (n < 126) {
    frame += static_cast<char>(0x80 | n);
  } else if (n <= 0xffff) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(n >> 8);
    frame += static_cast<char>(n & 0xff);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((n >> shift) & 0xff);
  }
  frame.append(4, '\0');
  frame.append(payload);
  return frame;
}

void check_alive(std::uint16_t port) {
  const int fd = connect_server(port);
  std::string answer;
  if (fd >= 0) {
    send_all(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n\r\n");
    answer = read_some(fd, Clock::now() + std::chrono::seconds(5), "\r\n\r\n");
    ::close(fd);
  }
  if (answer.rfind("HTTP/1.1 200", 0) != 0) {
    std::fprintf(stderr, "fuzz_http_entry: the server stopped serving (GET /healthz answered \"%.60s\")\n",
                 answer.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::uint64_t inputs = 0;
  const std::uint16_t port = fixture().network->port();
  if (inputs++ % 32 == 0) check_alive(port);
  if (size == 0) return 0;

  const int mode = data[0] % 3;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const int fd = connect_server(port);
  if (fd < 0) {
    std::fprintf(stderr, "fuzz_http_entry: connect failed\n");
    std::abort();
  }
  const auto deadline = Clock::now() + std::chrono::milliseconds(300);
  bool open = true;
  if (mode != 0) {
    open = send_all(fd, upgrade_request(port)) &&
           read_some(fd, deadline, "\r\n\r\n").rfind("HTTP/1.1 101", 0) == 0;
  }
  if (open && mode == 2) {
    while (open && !rest.empty()) {
      const std::size_t end = rest.find('\n');
      open = send_all(fd, text_frame(rest.substr(0, end)));
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  } else if (open) {
    send_all(fd, rest);
  }
  ::shutdown(fd, SHUT_WR);
  read_some(fd, deadline);
  ::close(fd);
  return 0;
}
