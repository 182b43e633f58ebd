// cli/context.h — what every command shares: global options and finding the project's index.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/index_store.h"
#include "store/registry.h"

namespace cci::cli {

struct GlobalOptions {
  std::string project;  // --project: a path inside an indexed project (default: the working directory)
  bool json = false;
  // --no-daemon (or CCI_NO_DAEMON=1): the query commands open the index in this process instead
  // of asking a running daemon (cli/tool_runner.h).
  bool no_daemon = false;
};

struct OpenProject {
  store::ProjectRecord project;
  std::unique_ptr<store::IndexStore> store;
};

// Finds the indexed project enclosing --project (or the working directory) and opens its index
// read-only. ErrorCode::NotIndexed says what to run.
Result<OpenProject> open_project(const GlobalOptions& options);

// Prints the error (text, or JSON on stdout with --json) and returns the exit code for it.
int fail(const GlobalOptions& options, const Error& error);

}  // namespace cci::cli
