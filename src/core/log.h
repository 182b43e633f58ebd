// core/log.h — leveled diagnostics to stderr (never stdout: stdout may carry protocol or --json).
//
// Thread-safe; each message is written with one write(2). The level comes from CCI_LOG
// (error|warn|info|debug), default warn, so a CLI run is quiet unless something is wrong.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace cci::log {

enum class Level { Error = 0, Warn, Info, Debug };

Level level();
void set_level(Level level);
void write(Level level, std::string_view message);

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
