// net/stdio_io.h — the two pieces every stdio MCP endpoint needs (the stdio transport, and the
// proxy that bridges stdio to the daemon): writing whole protocol lines to a file descriptor, and
// turning SIGTERM/SIGINT into something a read loop can poll.
#pragma once

#include <signal.h>

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>

namespace cci::net {

// Writes each message plus '\n' with one write(2) sequence under a mutex, so concurrent writers
// never interleave lines. After a failed write (the reader is gone) further output is dropped.
class LineWriter {
 public:
  explicit LineWriter(int fd) : fd_(fd) {}
  void write(std::string message);

 private:
  int fd_;
  std::mutex mutex_;
  bool failed_ = false;  // guarded by mutex_
};

// While alive: SIGTERM and SIGINT write a byte to a self-pipe (poll read_fd()) and set
// signalled(); SIGPIPE is ignored, so a vanished peer is a write error rather than a crash.
// Restores the previous dispositions on destruction. One instance at a time per process.
class TerminationSignals {
 public:
  explicit TerminationSignals(bool enabled = true);
  ~TerminationSignals();
  TerminationSignals(const TerminationSignals&) = delete;
  TerminationSignals& operator=(const TerminationSignals&) = delete;

  int read_fd() const { return pipe_[0]; }  // readable once a signal arrived; -1 if no pipe
  static bool signalled();                 // a signal arrived since the last construction

 private:
  bool enabled_;
  int pipe_[2] = {-1, -1};
  struct sigaction old_term_ {};
  struct sigaction old_int_ {};
  struct sigaction old_pipe_ {};
};

enum class ReadEnd { EndOfInput, Signalled, Failed };

// Reads newline-delimited messages from `in_fd` until EOF, a byte on `signal_fd` (-1 = none) or a
// read error. Each non-blank line goes to `on_line` without its '\n' (and a trailing '\r'); a
// last line without a newline still counts. A line longer than `limit` bytes (0 = no limit) is
// skipped without being buffered and reported to `on_oversized` with its size, once it ends.
// `who` prefixes the log lines ("stdio", "mcp-proxy").
ReadEnd read_lines(int in_fd, int signal_fd, std::size_t limit, const std::function<void(std::string)>& on_line,
                   const std::function<void(std::size_t bytes)>& on_oversized, const char* who);

// The JSON-RPC error line answering an oversized message (the same text on every stdio endpoint).
std::string oversized_message_error(std::size_t bytes, std::size_t limit);

}  // namespace cci::net
