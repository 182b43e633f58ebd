// cli/output.h — output helpers shared by the commands: exit codes, terminal text, JSON on stdout.
#pragma once

#include <string>
#include <string_view>

#include "rpc/json.h"

namespace cci::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNoMatch = 1;
inline constexpr int kExitUsage = 2;

// At most `max` bytes, "..." marking a cut (never inside a UTF-8 sequence).
std::string shorten(std::string_view s, std::size_t max);

bool stdout_is_terminal();
bool stderr_is_terminal();

// Writes `text` to stdout; a closed pipe (e.g. `| head`) is not an error.
void print(std::string_view text);
void print_json(const rpc::Json& value);
void print_error(std::string_view message);

}  // namespace cci::cli
