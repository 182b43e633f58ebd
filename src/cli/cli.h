// cli/cli.h — the `cci` command line: index a repository and answer questions from its index.
//
// Exit codes: 0 success, 1 nothing matched, 2 usage or environment error (with a message
// saying what to do). Human-readable tables by default, `--json` for machines; progress and
// diagnostics go to stderr only.
#pragma once

namespace cci::cli {

int run(int argc, char** argv);

}  // namespace cci::cli
