// cli/cli.cpp — builds the `cci` command tree (CLI11), runs it, and maps failures to exit codes.
#include "cli/cli.h"

#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/output.h"

#ifndef CCI_VERSION
#define CCI_VERSION "0.0.0"
#endif

namespace cci::cli {

int run(int argc, char** argv) {
  CLI::App app{"cci (claude-code-indexer): a fast code graph indexer and code search for AI coding agents"};
  app.set_version_flag("-V,--version", std::string("cci ") + CCI_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--project", global.project, "Path inside the project to use (default: the working directory)");
  app.add_flag("--json", global.json, "Machine-readable JSON output");
  app.add_flag("--no-daemon", global.no_daemon,
               "Answer queries from the index in this process, not through a running daemon (also CCI_NO_DAEMON=1)");
  int exit_code = kExitOk;
  register_index(app, global, exit_code);
  register_search(app, global, exit_code);
  register_def(app, global, exit_code);
  register_refs(app, global, exit_code);
  register_callees(app, global, exit_code);
  register_outline(app, global, exit_code);
  register_query(app, global, exit_code);
  register_stats(app, global, exit_code);
  register_projects(app, global, exit_code);
  register_ignore(app, global, exit_code);
  register_watch(app, global, exit_code);
  register_mcp(app, global, exit_code);
  register_daemon(app, global, exit_code);
  register_proxy(app, global, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return exit_code;
}

}  // namespace cci::cli
