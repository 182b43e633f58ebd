// daemon/state.h — internal to daemon/: the data-directory files the daemon and its management
// commands share (lock, daemon.json, token) and small file helpers.
//
// The lock file also holds the owner's pid (written right after flock succeeds), so a daemon that
// holds the lock but has not written daemon.json yet can still be named and signalled, and a
// stale daemon.json can be told apart from the running daemon's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "daemon/daemon.h"
#include "rpc/json.h"

namespace cci::daemon::detail {

// An owned file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// `options.data_dir`, or cci::data_dir(), made absolute (the daemon chdirs to /).
std::filesystem::path resolve_data_dir(const std::filesystem::path& data_dir);

// Creates the data directory 0700 when missing (its parents with default permissions).
Status ensure_data_dir(const std::filesystem::path& dir);

// "2026-11-24T05:01:02Z" for now.
std::string now_iso8601();

// Whole file contents; NotFound when missing.
Result<std::string> read_whole_file(const std::filesystem::path& path);
// Writes `<path>.tmp-<pid>`, fsyncs, renames over `path`: readers see the old or the new file.
Status write_file_atomically(const std::filesystem::path& path, std::string_view content, mode_t mode);

rpc::Json state_to_json(const DaemonState& state);
Result<DaemonState> read_state(const std::filesystem::path& state_file);

// Whether some process holds the flock on `lock` right now (false when the file is missing).
Result<bool> lock_is_held(const std::filesystem::path& lock);
// The pid the lock's owner wrote into it; 0 when unreadable.
long read_lock_pid(const std::filesystem::path& lock);
// True once nobody holds `lock`, or (holder > 0) once process `holder` has exited even if another
// daemon holds the lock by now; false at the deadline.
bool wait_lock_free(const std::filesystem::path& lock, std::chrono::steady_clock::time_point deadline,
                    pid_t holder = 0);

// "already running (pid N, ws://HOST:PORT/)", the message of a second start.
std::string already_running_message(const DaemonState& state);

// The address to connect to for a daemon bound to `host` (a wildcard bind is reached on loopback).
std::string connect_host(const std::string& host);

// True for an IP address other machines can reach (0.0.0.0 included): worth a warning.
bool is_remote_address(const std::string& host);

}  // namespace cci::daemon::detail
