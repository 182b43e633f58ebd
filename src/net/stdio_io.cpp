// net/stdio_io.cpp — whole-line writes and the termination self-pipe (see stdio_io.h).
#include "net/stdio_io.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/log.h"
#include "rpc/message.h"

namespace cci::net {
namespace {

std::atomic<int> g_signal_write_fd{-1};
std::atomic<bool> g_signalled{false};

extern "C" void cci_on_termination_signal(int) {
  const int saved_errno = errno;  // the interrupted code may be about to read errno
  g_signalled.store(true);
  const int fd = g_signal_write_fd.load();
  if (fd >= 0) {
    const char byte = 's';
    [[maybe_unused]] const ssize_t ignored = ::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

}  // namespace

void LineWriter::write(std::string message) {
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
      log::warn("stdio: write to fd {} failed: {}", fd_, std::strerror(errno));
      failed_ = true;
      return;
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
}

TerminationSignals::TerminationSignals(bool enabled) : enabled_(enabled) {
  g_signalled.store(false);
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    pipe_[0] = pipe_[1] = -1;
    return;
  }
  if (!enabled_) return;
  g_signal_write_fd.store(pipe_[1]);
  struct sigaction action {};
  action.sa_handler = cci_on_termination_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGTERM, &action, &old_term_);
  ::sigaction(SIGINT, &action, &old_int_);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &old_pipe_);
}

TerminationSignals::~TerminationSignals() {
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

bool TerminationSignals::signalled() { return g_signalled.load(); }

namespace {

std::string format_limit(std::size_t bytes) {
  constexpr std::size_t kMiB = 1u << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

std::string oversized_message_error(std::size_t bytes, std::size_t limit) {
  return rpc::serialize_error(std::nullopt, rpc::RpcError{rpc::error_code::kInvalidRequest,
                                                          "message of " + std::to_string(bytes) + " bytes exceeds the " +
                                                              format_limit(limit) + " limit",
                                                          std::nullopt});
}

ReadEnd read_lines(int in_fd, int signal_fd, std::size_t limit, const std::function<void(std::string)>& on_line,
                   const std::function<void(std::size_t bytes)>& on_oversized, const char* who) {
  std::string line;
  bool discarding = false;    // inside an oversized line, skipping to its newline
  std::size_t discarded = 0;  // bytes of the oversized line so far
  auto end_line = [&] {
    if (discarding) {
      on_oversized(discarded);
      discarding = false;
      discarded = 0;
      return;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t\r") != std::string::npos) on_line(std::move(line));
    line.clear();
  };
  std::string buffer(64 * 1024, '\0');
  for (;;) {
    pollfd fds[2] = {{in_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
    const int ready = ::poll(fds, signal_fd >= 0 ? 2 : 1, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log::error("{}: poll failed: {}", who, std::strerror(errno));
      return ReadEnd::Failed;
    }
    if (signal_fd >= 0 && (fds[1].revents & POLLIN) != 0) {
      log::info("{}: termination signal, shutting down", who);
      return ReadEnd::Signalled;
    }
    if (fds[0].revents == 0) continue;
    const ssize_t n = ::read(in_fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      log::error("{}: read failed: {}", who, std::strerror(errno));
      return ReadEnd::Failed;
    }
    if (n == 0) {
      if (discarding || !line.empty()) end_line();  // a last message without its newline is still one
      return ReadEnd::EndOfInput;
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
      end_line();
      chunk.remove_prefix(nl + 1);
    }
  }
}

}  // namespace cci::net
