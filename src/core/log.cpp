// core/log.cpp — the stderr sink and the optional rotating JSON-lines file sink of core/log.h.
#include "core/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

namespace cci::log {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kNames[] = {"error", "warn", "info", "debug"};

std::optional<Level> environment_level() {
  const char* env = std::getenv("CCI_LOG");
  if (env == nullptr) return std::nullopt;
  const std::string_view v(env);
  if (v == "error") return Level::Error;
  if (v == "warn") return Level::Warn;
  if (v == "info") return Level::Info;
  if (v == "debug") return Level::Debug;
  return std::nullopt;
}

std::atomic<Level>& current() {
  static std::atomic<Level> level{environment_level().value_or(Level::Warn)};
  return level;
}

std::atomic<bool> stderr_enabled{true};

// The file sink. Guarded by its mutex; rotation must not interleave with writes.
struct FileSink {
  std::mutex mutex;
  fs::path path;
  int fd = -1;
  std::uint64_t size = 0;
  std::uint64_t max_bytes = 0;
  int keep_files = 0;
};

FileSink& sink() {
  static FileSink* s = new FileSink;  // never destroyed: threads may log during static destruction
  return *s;
}

Status open_locked(FileSink& s) {
  const int fd = ::open(s.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(ErrorCode::IoError, "cannot open log file " + s.path.string() + ": " + std::strerror(errno));
  struct stat st {};
  s.size = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
  if (s.fd >= 0) ::close(s.fd);
  s.fd = fd;
  return {};
}

fs::path numbered(const fs::path& path, int n) { return fs::path(path.string() + "." + std::to_string(n)); }

// daemon.log -> daemon.log.1 -> ... -> daemon.log.<keep>; the oldest falls off.
void rotate_locked(FileSink& s) {
  std::error_code ec;
  if (s.keep_files <= 0) {
    fs::remove(s.path, ec);
  } else {
    fs::remove(numbered(s.path, s.keep_files), ec);
    for (int i = s.keep_files - 1; i >= 1; --i) fs::rename(numbered(s.path, i), numbered(s.path, i + 1), ec);
    fs::rename(s.path, numbered(s.path, 1), ec);
  }
  // On failure the old descriptor (now the .1 file) stays in use rather than losing messages.
  [[maybe_unused]] auto reopened = open_locked(s);
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a full disk must not take the process down; nothing better to report to
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

void write_file(Level l, std::string_view message) {
  FileSink& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.fd < 0) return;
  std::string line = format_json_line(l, message);
  line += '\n';
  if (s.max_bytes > 0 && s.size > 0 && s.size + line.size() > s.max_bytes) rotate_locked(s);
  write_all(s.fd, line);
  s.size += line.size();
}

std::string timestamp_utc() {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
}

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  unsigned min = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) len = 2, min = 0x80;
  else if ((b & 0xF0) == 0xE0) len = 3, min = 0x800;
  else if ((b & 0xF8) == 0xF0) len = 4, min = 0x10000;
  else return 0;
  if (i + len > s.size()) return 0;
  unsigned code = b & (0x7F >> len);
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    code = (code << 6) | (c & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return len;
}

// JSON string body: quotes, backslashes and control characters escaped; bytes that are not
// UTF-8 (file names can be anything) become U+FFFD so every line stays valid JSON.
void append_json_escaped(std::string& out, std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    switch (c) {
      case '"': out += "\\\""; ++i; continue;
      case '\\': out += "\\\\"; ++i; continue;
      case '\n': out += "\\n"; ++i; continue;
      case '\r': out += "\\r"; ++i; continue;
      case '\t': out += "\\t"; ++i; continue;
      default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(static_cast<unsigned char>(c)));
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
}

}  // namespace

Level level() { return current().load(std::memory_order_relaxed); }
void set_level(Level l) { current().store(l, std::memory_order_relaxed); }
bool level_from_environment() { return environment_level().has_value(); }

std::string format_json_line(Level l, std::string_view message) {
  std::string line = "{\"ts\":\"";
  line += timestamp_utc();
  line += "\",\"level\":\"";
  line += kNames[static_cast<int>(l)];
  line += "\",\"pid\":";
  line += std::to_string(::getpid());
  line += ",\"msg\":\"";
  append_json_escaped(line, message);
  line += "\"}";
  return line;
}

void write(Level l, std::string_view message) {
  write_file(l, message);
  if (!stderr_enabled.load(std::memory_order_relaxed)) return;
  std::string line = "cci: ";
  line += kNames[static_cast<int>(l)];
  line += ": ";
  line += message;
  line += '\n';
  // One write keeps lines from different threads whole.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

Status open_file(const std::filesystem::path& path, std::uint64_t max_bytes, int keep_files) {
  FileSink& s = sink();
  std::lock_guard lock(s.mutex);
  const fs::path previous = s.path;
  s.path = path;
  s.max_bytes = max_bytes;
  s.keep_files = keep_files;
  auto opened = open_locked(s);
  if (!opened) s.path = previous;
  return opened;
}

Status reopen() {
  FileSink& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.path.empty()) return {};
  return open_locked(s);
}

void close_file() {
  FileSink& s = sink();
  std::lock_guard lock(s.mutex);
  if (s.fd >= 0) ::close(s.fd);
  s.fd = -1;
  s.path.clear();
  s.size = 0;
}

void set_stderr_enabled(bool enabled) { stderr_enabled.store(enabled, std::memory_order_relaxed); }

}  // namespace cci::log
