// cli/output.cpp — terminal and JSON output helpers shared by the commands.
#include "cli/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace cci::cli {

std::string shorten(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max > 3 ? max - 3 : max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }
bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void print(std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EPIPE: the reader went away; nothing useful to do
    }
    done += static_cast<std::size_t>(n);
  }
}

void print_json(const rpc::Json& value) {
  print(value.dump(2, ' ', false, rpc::Json::error_handler_t::replace));
  print("\n");
}

void print_error(std::string_view message) {
  std::string line = "cci: ";
  line += message;
  line += '\n';
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cci::cli
