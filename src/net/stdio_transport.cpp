// net/stdio_transport.cpp — newline-delimited JSON-RPC over a pair of file descriptors.
//
// The reader never buffers more than max_message_bytes of one line: a longer line is skipped up
// to its newline and answered with -32600, so a runaway client cannot exhaust memory.
#include "net/stdio_transport.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "core/log.h"
#include "rpc/message.h"

namespace cci::net {
namespace {

// Writes each message plus '\n' with one write(2) call under a mutex, so concurrent workers
// never interleave lines on stdout.
class FdOutbound final : public mcp::Outbound {
 public:
  explicit FdOutbound(int fd) : fd_(fd) {}

  void send(std::string message) override {
    message.push_back('\n');
    std::lock_guard lock(mutex_);
    if (failed_) return;
    const char* data = message.data();
    std::size_t left = message.size();
    while (left > 0) {
      const ssize_t n = ::write(fd_, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          pollfd p{fd_, POLLOUT, 0};
          ::poll(&p, 1, 1000);
          continue;
        }
        log::warn("stdio: write failed: {}", std::strerror(errno));
        failed_ = true;
        return;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }

 private:
  int fd_;
  std::mutex mutex_;
  bool failed_ = false;  // guarded by mutex_: the reader is gone, drop further output
};

// Self-pipe: the signal handler only writes a byte, the read loop polls for it.
std::atomic<int> g_signal_write_fd{-1};

extern "C" void on_termination_signal(int) {
  const int fd = g_signal_write_fd.load();
  if (fd >= 0) {
    const char byte = 's';
    [[maybe_unused]] const ssize_t ignored = ::write(fd, &byte, 1);
  }
}

// Installs SIGTERM/SIGINT handlers (and ignores SIGPIPE) for the lifetime of the object.
class SignalGuard {
 public:
  explicit SignalGuard(bool enabled) : enabled_(enabled) {
    if (::pipe(pipe_) != 0) {
      pipe_[0] = pipe_[1] = -1;
      return;
    }
    for (const int fd : pipe_) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    ::fcntl(pipe_[1], F_SETFL, O_NONBLOCK);
    if (!enabled_) return;
    g_signal_write_fd.store(pipe_[1]);
    struct sigaction action {};
    action.sa_handler = on_termination_signal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, &old_term_);
    ::sigaction(SIGINT, &action, &old_int_);
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &old_pipe_);  // a vanished client is a write error, not a crash
  }
  ~SignalGuard() {
    if (enabled_ && pipe_[1] >= 0) {
      ::sigaction(SIGTERM, &old_term_, nullptr);
      ::sigaction(SIGINT, &old_int_, nullptr);
      ::sigaction(SIGPIPE, &old_pipe_, nullptr);
      g_signal_write_fd.store(-1);
    }
    for (const int fd : pipe_) {
      if (fd >= 0) ::close(fd);
    }
  }
  SignalGuard(const SignalGuard&) = delete;
  SignalGuard& operator=(const SignalGuard&) = delete;

  int read_fd() const { return pipe_[0]; }

 private:
  bool enabled_;
  int pipe_[2] = {-1, -1};
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
  struct sigaction old_pipe_ {};
};

std::string format_limit(std::size_t bytes) {
  constexpr std::size_t kMiB = 1u << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

}  // namespace

int serve_stdio(mcp::Server& server, StdioOptions options) {
  auto out = std::make_shared<FdOutbound>(options.out_fd);
  std::error_code ec;
  mcp::SessionInfo info{"stdio", std::filesystem::current_path(ec)};
  auto session = server.open_session(out, info);
  SignalGuard signals(options.handle_signals);

  const std::size_t limit = server.options().max_message_bytes;
  std::string line;
  bool discarding = false;      // inside an oversized line, skipping to its newline
  std::size_t discarded = 0;    // bytes of the oversized line so far
  int exit_code = 0;

  auto deliver = [&](std::string& text) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (!blank(text)) session->receive(text);
    text.clear();
  };
  auto reject_oversized = [&] {
    out->send(rpc::serialize_error(std::nullopt, rpc::RpcError{rpc::error_code::kInvalidRequest,
                                                               "message of " + std::to_string(discarded) +
                                                                   " bytes exceeds the " + format_limit(limit) +
                                                                   " limit",
                                                               std::nullopt}));
    discarding = false;
    discarded = 0;
  };

  std::string buffer(64 * 1024, '\0');
  for (;;) {
    pollfd fds[2] = {{options.in_fd, POLLIN, 0}, {signals.read_fd(), POLLIN, 0}};
    const int ready = ::poll(fds, signals.read_fd() >= 0 ? 2 : 1, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log::error("stdio: poll failed: {}", std::strerror(errno));
      exit_code = 1;
      break;
    }
    if (signals.read_fd() >= 0 && (fds[1].revents & POLLIN) != 0) {
      log::info("stdio: termination signal, shutting down");
      break;
    }
    if (fds[0].revents == 0) continue;
    const ssize_t n = ::read(options.in_fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      log::error("stdio: read failed: {}", std::strerror(errno));
      exit_code = 1;
      break;
    }
    if (n == 0) {
      if (discarding) {
        reject_oversized();
      } else if (!line.empty()) {
        deliver(line);  // a last message without its newline is still a message
      }
      break;
    }
    std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const auto nl = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, nl);
      if (discarding) {
        discarded += piece.size();
      } else {
        line.append(piece);
        if (limit != 0 && line.size() > limit + 1) {  // +1: a trailing '\r' is framing, not message
          discarding = true;
          discarded = line.size();
          std::string().swap(line);
        }
      }
      if (nl == std::string_view::npos) break;
      if (discarding) {
        reject_oversized();
      } else {
        deliver(line);
      }
      chunk.remove_prefix(nl + 1);
    }
  }

  // Let in-flight requests finish (bounded), then cancel whatever is left.
  const auto deadline = std::chrono::steady_clock::now() + options.drain_timeout;
  while (session->in_flight() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  session->close();
  return exit_code;
}

}  // namespace cci::net
