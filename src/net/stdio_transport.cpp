// net/stdio_transport.cpp — newline-delimited JSON-RPC over a pair of file descriptors.
//
// The reader never buffers more than max_message_bytes of one line: a longer line is skipped up
// to its newline and answered with -32600, so a runaway client cannot exhaust memory.
#include "net/stdio_transport.h"


#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "net/stdio_io.h"

namespace cci::net {
namespace {

// The session's outbound channel: whole lines on the output fd.
class FdOutbound final : public mcp::Outbound {
 public:
  explicit FdOutbound(int fd) : writer_(fd) {}
  void send(std::string message) override { writer_.write(std::move(message)); }

 private:
  LineWriter writer_;
};

}  // namespace

int serve_stdio(mcp::Server& server, StdioOptions options) {
  auto out = std::make_shared<FdOutbound>(options.out_fd);
  std::error_code ec;
  mcp::SessionInfo info{"stdio", std::filesystem::current_path(ec)};
  auto session = server.open_session(out, info);
  TerminationSignals signals(options.handle_signals);

  const std::size_t limit = server.options().max_message_bytes;
  const ReadEnd end = read_lines(
      options.in_fd, signals.read_fd(), limit, [&](std::string line) { session->receive(line); },
      [&](std::size_t bytes) { out->send(oversized_message_error(bytes, limit)); }, "stdio");
  const int exit_code = end == ReadEnd::Failed ? 1 : 0;

  // Let in-flight requests finish (bounded), then cancel whatever is left.
  const auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
  while (session->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  session->close();
  return exit_code;
}

}  // namespace cci::net
