#include "core/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace cci::log {
namespace {

Level initial_level() {
  const char* env = std::getenv("CCI_LOG");
  if (env == nullptr) return Level::Warn;
  std::string_view v(env);
  if (v == "error") return Level::Error;
  if (v == "info") return Level::Info;
  if (v == "debug") return Level::Debug;
  return Level::Warn;
}

std::atomic<Level>& current() {
  static std::atomic<Level> level{initial_level()};
  return level;
}

}  // namespace

Level level() { return current().load(std::memory_order_relaxed); }
void set_level(Level l) { current().store(l, std::memory_order_relaxed); }

void write(Level l, std::string_view message) {
  static constexpr std::string_view kNames[] = {"error", "warn", "info", "debug"};
  std::string line = "cci: ";
  line += kNames[static_cast<int>(l)];
  line += ": ";
  line += message;
  line += '\n';
  // One write keeps lines from different threads whole.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cci::log
