// daemon/state.cpp — the daemon's files: lock probing, daemon.json, the token, and probe().
#include "daemon/state.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/random.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/paths.h"

namespace cci::daemon {
namespace detail {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

fs::path resolve_data_dir(const fs::path& data_dir) {
  fs::path dir = data_dir.empty() ? cci::data_dir() : data_dir;
  std::error_code ec;
  fs::path absolute = fs::absolute(dir, ec);
  return ec ? dir.lexically_normal() : absolute.lexically_normal();
}

Status ensure_data_dir(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return {};
  if (dir.has_parent_path()) fs::create_directories(dir.parent_path(), ec);
  // 0700: the directory holds the token and the indexes' copies of source files.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_error(ErrorCode::IoError, fmt::format("cannot create data directory {}: {}", dir.string(), std::strerror(errno)));
  return {};
}

std::string now_iso8601() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec);
}

Result<std::string> read_whole_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::NotFound : ErrorCode::IoError,
                      fmt::format("cannot read {}: {}", path.string(), std::strerror(err)));
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(ErrorCode::IoError, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    if (n == 0) break;
    content.append(buffer, static_cast<std::size_t>(n));
  }
  return content;
}

Status write_file_atomically(const fs::path& path, std::string_view content, mode_t mode) {
  const fs::path tmp = fs::path(path.string() + ".tmp-" + std::to_string(::getpid()));
  auto fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::IoError, fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)));
  };
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) return fail("write");
    // open() applied the umask; the caller's mode is what it asked for.
    if (::fchmod(fd.get(), mode) != 0) return fail("set the mode of");
    std::string_view rest = content;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd.get(), rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail("write");
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(fd.get()) != 0) return fail("sync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("replace");
  return {};
}

rpc::Json state_to_json(const DaemonState& state) {
  rpc::Json j{{"pid", state.pid},         {"host", state.host},       {"port", state.port},
              {"socket", state.socket},   {"version", state.version}, {"started_at", state.started_at},
              {"watch", state.watch},     {"watch_debounce_ms", state.watch_debounce_ms}};
  if (state.exact_max_symbols) j["exact_max_symbols"] = *state.exact_max_symbols;
  j["search_index"] = state.search_index;
  return j;
}

Result<DaemonState> read_state(const fs::path& state_file) {
  auto text = read_whole_file(state_file);
  if (!text) return std::unexpected(text.error());
  const rpc::Json j = rpc::Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  auto bad = [&] { return make_error(ErrorCode::Corrupt, state_file.string() + " is not a daemon state file"); };
  if (!j.is_object()) return bad();
  const auto pid = j.find("pid");
  const auto port = j.find("port");
  if (pid == j.end() || !pid->is_number_integer() || port == j.end() || !port->is_number_unsigned() ||
      port->get<std::uint64_t>() > 65535)
    return bad();
  DaemonState state;
  state.pid = pid->get<long>();
  state.port = static_cast<std::uint16_t>(port->get<std::uint64_t>());
  auto text_field = [&](const char* name) {
    const auto f = j.find(name);
    return f != j.end() && f->is_string() ? f->get<std::string>() : std::string();
  };
  state.host = text_field("host");
  state.socket = text_field("socket");
  state.version = text_field("version");
  state.started_at = text_field("started_at");
  // Written by daemons since watching exists; an older file means the defaults.
  if (const auto f = j.find("watch"); f != j.end() && f->is_boolean()) state.watch = f->get<bool>();
  if (const auto f = j.find("search_index"); f != j.end() && f->is_boolean()) state.search_index = f->get<bool>();
  if (const auto f = j.find("watch_debounce_ms"); f != j.end() && f->is_number_unsigned())
    state.watch_debounce_ms = f->get<std::uint64_t>();
  if (const auto f = j.find("exact_max_symbols"); f != j.end() && f->is_number_unsigned())
    state.exact_max_symbols = f->get<std::uint64_t>();
  return state;
}

Result<bool> lock_is_held(const fs::path& lock) {
  UniqueFd fd(::open(lock.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return false;
    return make_error(ErrorCode::IoError, fmt::format("cannot open {}: {}", lock.string(), std::strerror(errno)));
  }
  // A shared lock is taken and dropped at once; the daemon retries its own briefly for this.
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return false;
  if (errno == EWOULDBLOCK) return true;
  return make_error(ErrorCode::IoError, fmt::format("cannot lock {}: {}", lock.string(), std::strerror(errno)));
}

long read_lock_pid(const fs::path& lock) {
  auto text = read_whole_file(lock);
  if (!text) return 0;
  long pid = 0;
  // Empty while the owner has not written it yet: 0, like garbage.
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), pid);
  return error == std::errc() && pid > 0 ? pid : 0;
}

namespace {

// Exited (no such process, or a zombie nobody reaped: containers often run without an init that
// reaps, and a zombie holds no lock).
bool process_gone(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

}  // namespace

bool wait_lock_free(const fs::path& lock, Clock::time_point deadline, pid_t holder) {
  for (;;) {
    auto held = lock_is_held(lock);
    if (held && !*held) return true;
    // The daemon we stopped is gone and another took the lock at once (a proxy whose daemon
    // went away starts a new one): that is not the old one refusing to stop.
    if (holder > 0 && process_gone(holder)) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string already_running_message(const DaemonState& state) {
  if (state.port == 0 && state.host.empty()) return fmt::format("already running (pid {}, still starting)", state.pid);
  return fmt::format("already running (pid {}, {})", state.pid, state.ws_url());
}

std::string connect_host(const std::string& host) {
  if (host.empty() || host == "0.0.0.0") return "127.0.0.1";
  if (host == "::" || host == "[::]") return "::1";
  return host;
}

bool is_remote_address(const std::string& host) {
  std::string address = host;
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') address = address.substr(1, address.size() - 2);
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) != 127;
  if (::inet_pton(AF_INET6, address.c_str(), &v6) == 1) return !IN6_IS_ADDR_LOOPBACK(&v6);
  return false;  // a name: the listener refuses anything but an address or "localhost"
}

}  // namespace detail

using namespace detail;
namespace fs = std::filesystem;

namespace {

std::string bracketed(const std::string& host) {
  return host.find(':') != std::string::npos && !host.starts_with('[') ? "[" + host + "]" : host;
}

}  // namespace

std::string DaemonState::ws_url() const { return fmt::format("ws://{}:{}/", bracketed(host), port); }
std::string DaemonState::http_url() const { return fmt::format("http://{}:{}/mcp", bracketed(host), port); }

Result<std::optional<DaemonState>> probe(const DaemonFiles& files) {
  auto held = lock_is_held(files.lock);
  if (!held) return std::unexpected(held.error());
  if (!*held) return std::optional<DaemonState>{};
  // The owner writes daemon.json only once it listens: wait a little for a starting daemon, and
  // ignore a state file left by an earlier (crashed) one.
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    const long owner = read_lock_pid(files.lock);
    auto state = read_state(files.state);
    if (state && (owner == 0 || state->pid == owner)) return std::optional<DaemonState>(std::move(*state));
    auto still_held = lock_is_held(files.lock);
    if (still_held && !*still_held) return std::optional<DaemonState>{};
    if (Clock::now() >= deadline) {
      DaemonState starting;
      starting.pid = owner;
      return std::optional<DaemonState>(std::move(starting));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

Result<std::string> read_or_create_token(const DaemonFiles& files) {
  if (auto made = ensure_data_dir(files.dir); !made) return std::unexpected(made.error());
  const auto deadline = Clock::now() + std::chrono::seconds(2);
  for (;;) {
    // O_EXCL: of two processes creating the token at once, one writes it and the other reads it.
    UniqueFd fd(::open(files.token.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd) {
      unsigned char random[32];
      std::size_t filled = 0;
      while (filled < sizeof random) {
        const ssize_t n = ::getrandom(random + filled, sizeof random - filled, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
          const int err = errno;
          ::unlink(files.token.c_str());
          return make_error(ErrorCode::IoError, fmt::format("getrandom failed: {}", std::strerror(err)));
        }
        filled += static_cast<std::size_t>(n);
      }
      std::string token;
      for (const unsigned char byte : random) token += fmt::format("{:02x}", byte);
      const std::string line = token + "\n";
      if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd.get()) != 0) {
        const int err = errno;
        ::unlink(files.token.c_str());
        return make_error(ErrorCode::IoError,
                          fmt::format("cannot write {}: {}", files.token.string(), std::strerror(err)));
      }
      return token;
    }
    if (errno != EEXIST)
      return make_error(ErrorCode::IoError, fmt::format("cannot create {}: {}", files.token.string(), std::strerror(errno)));
    auto token = read_token_file(files.token);
    if (token) {
      // The token is only as secret as the file: tighten a copy someone loosened.
      struct stat st {};
      if (::stat(files.token.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        log::warn("{} was readable by others; setting its mode to 0600", files.token.string());
        ::chmod(files.token.c_str(), 0600);
      }
      return token;
    }
    // Empty: its creator is between open() and write().
    if (token.error().code != ErrorCode::InvalidArgument || Clock::now() >= deadline) {
      if (token.error().code == ErrorCode::InvalidArgument)
        return make_error(ErrorCode::Corrupt, fmt::format("token file {} is empty; delete it and start again",
                                                          files.token.string()));
      return std::unexpected(token.error());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace cci::daemon
