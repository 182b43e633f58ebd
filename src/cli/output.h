// cli/output.h — rendering helpers shared by the commands: JSON conversion and terminal text.
#pragma once

#include "rpc/json.h"

#include <string>
#include <string_view>

#include "store/index_store.h"

namespace cci::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNoMatch = 1;
inline constexpr int kExitUsage = 2;

rpc::Json to_json(const store::SymbolRecord& s, bool with_doc = true);
rpc::Json to_json(const store::EdgeRecord& e);

// "src/a.py:12"
std::string location(const store::SymbolRecord& s);
// First line of a doc comment, shortened.
std::string doc_summary(std::string_view doc, std::size_t max = 100);
std::string shorten(std::string_view s, std::size_t max);

bool stdout_is_terminal();
bool stderr_is_terminal();

// Writes `text` to stdout; a closed pipe (e.g. `| head`) is not an error.
void print(std::string_view text);
void print_json(const rpc::Json& value);
void print_error(std::string_view message);

}  // namespace cci::cli
