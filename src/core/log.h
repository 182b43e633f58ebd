// core/log.h — leveled diagnostics to stderr (never stdout: stdout may carry protocol or --json),
// and optionally to a JSON-lines log file rotated by size (the daemon's daemon.log).
//
// Thread-safe; each stderr message is written with one write(2). The level comes from CCI_LOG
// (error|warn|info|debug), default warn, so a CLI run is quiet unless something is wrong.
//
// File sink: one line per message, {"ts":"2026-11-24T05:01:02.123Z","level":"info","pid":N,"msg":"..."};
// when the file would grow beyond max_bytes it becomes <file>.1 (older ones shift up to
// <file>.<keep_files>, the oldest is dropped) and a new file starts. reopen() is for SIGHUP: an
// external logrotate moved the file away, so writing continues in a fresh one at the same path.
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cci::log {

enum class Level { Error = 0, Warn, Info, Debug };

Level level();
void set_level(Level level);
// True when CCI_LOG named a level, so a program should not override it with its own default.
bool level_from_environment();
void write(Level level, std::string_view message);

// Starts (or moves) the file sink. The file is created 0600 and appended to.
Status open_file(const std::filesystem::path& path, std::uint64_t max_bytes, int keep_files);
// Closes and reopens the file sink at its path (no-op without one).
Status reopen();
void close_file();
// Messages also go to stderr (default). A detached daemon turns this off: its stderr is /dev/null.
void set_stderr_enabled(bool enabled);

// One JSON-lines record as the file sink writes it (without the newline), for tests and tools.
std::string format_json_line(Level level, std::string_view message);

template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Error) write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Warn) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Info) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() >= Level::Debug) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace cci::log
