// daemon/log_tail.cpp — `cci mcp-daemon logs`: the last lines of daemon.log, and with --follow the
// lines appended after them, across size rotation (daemon.log renamed to daemon.log.1) and
// logrotate-style moves, until SIGINT.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include "daemon/daemon.h"
#include "daemon/state.h"

namespace cci::daemon {
namespace {

using detail::UniqueFd;

constexpr int kFollowIntervalMs = 200;

std::atomic<bool> interrupted{false};
void on_interrupt(int) { interrupted.store(true); }

void write_stdout(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed pipe (`| head`) ends the output, not an error
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Where the last `lines` lines of the file start, reading backwards in blocks.
off_t tail_start(int fd, off_t size, std::size_t lines) {
  if (lines == 0) return size;
  constexpr off_t kBlock = 64 * 1024;
  std::string block;
  std::size_t newlines = 0;
  off_t end = size;
  // A final newline ends the last line; it does not start another one.
  bool skip_final = true;
  while (end > 0) {
    const off_t begin = std::max<off_t>(0, end - kBlock);
    block.resize(static_cast<std::size_t>(end - begin));
    if (::pread(fd, block.data(), block.size(), begin) != static_cast<ssize_t>(block.size())) return 0;
    for (std::size_t i = block.size(); i-- > 0;) {
      if (block[i] != '\n') {
        skip_final = false;
        continue;
      }
      if (skip_final) {
        skip_final = false;
        continue;
      }
      if (++newlines == lines) return begin + static_cast<off_t>(i) + 1;
    }
    end = begin;
  }
  return 0;
}

// Copies from `fd` at its offset to stdout until EOF.
void drain(int fd) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    write_stdout(std::string_view(buffer, static_cast<std::size_t>(n)));
  }
}

bool sleep_interval() {
  ::poll(nullptr, 0, kFollowIntervalMs);  // SIGINT cuts it short
  return !interrupted.load();
}

}  // namespace

Status print_log(const DaemonFiles& files, std::size_t lines, bool follow) {
  interrupted.store(false);
  struct sigaction action {}, previous {};
  if (follow) {
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGINT, &action, &previous);
  }
  struct Restore {
    bool active;
    struct sigaction* previous;
    ~Restore() {
      if (active) ::sigaction(SIGINT, previous, nullptr);
    }
  } restore{follow, &previous};

  UniqueFd fd(::open(files.log.c_str(), O_RDONLY | O_CLOEXEC));
  const int open_errno = errno;  // formatting the message below may allocate and change errno
  if (!fd && (open_errno != ENOENT || !follow))
    return make_error(open_errno == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                      open_errno == ENOENT
                          ? fmt::format("no daemon log at {} (has the daemon run with this data directory?)",
                                        files.log.string())
                          : fmt::format("cannot read {}: {}", files.log.string(), std::strerror(open_errno)));
  if (fd) {
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0)
      return make_error(ErrorCode::IoError, fmt::format("cannot read {}: {}", files.log.string(), std::strerror(errno)));
    if (::lseek(fd.get(), tail_start(fd.get(), st.st_size, lines), SEEK_SET) < 0)
      return make_error(ErrorCode::IoError, fmt::format("cannot read {}: {}", files.log.string(), std::strerror(errno)));
    drain(fd.get());
  }
  if (!follow) return {};

  while (sleep_interval()) {
    if (!fd) {
      // Not created yet: everything in the file, once there, is new.
      fd.reset(::open(files.log.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd) drain(fd.get());
      continue;
    }
    drain(fd.get());
    struct stat open_stat {}, path_stat {};
    if (::fstat(fd.get(), &open_stat) != 0) continue;
    // Moved away and not replaced yet: the writer may still append to the old file.
    if (::stat(files.log.c_str(), &path_stat) != 0) continue;
    if (path_stat.st_ino != open_stat.st_ino || path_stat.st_dev != open_stat.st_dev) {
      // Rotated: finish the old file, then the new one from its start.
      drain(fd.get());
      fd.reset(::open(files.log.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd) drain(fd.get());
      continue;
    }
    const off_t offset = ::lseek(fd.get(), 0, SEEK_CUR);
    if (offset > open_stat.st_size) ::lseek(fd.get(), 0, SEEK_SET);  // truncated in place
  }
  return {};
}

}  // namespace cci::daemon
