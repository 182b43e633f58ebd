// tests/parse/golden.h — renders a ParsedFile as stable text for golden (corpus) tests.
#pragma once

#include <string>

#include "core/model.h"

namespace cci::testing {

// One line per fact, in extraction order:
//   module <module_name>
//   <kind> <qualified_name> <span> [parent=<qualified name>] [private] sig=<...> doc=<first line>
//   ref <call|inherit|implement> <qualifier.>name from=<qualified name> @line:col
//   import <module> [as alias] [names=a,b as c] [system] @line
//   errors <n>   (only when > 0)
std::string render_parsed(const ParsedFile& parsed);

}  // namespace cci::testing
