// cli/commands.h — registration of each subcommand on the CLI11 app.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

#include "cli/context.h"

namespace cci::cli {

// Each register_* adds a subcommand whose callback stores its exit code in `exit_code`.
using ExitSink = int&;

void register_index(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_search(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_def(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_refs(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_callees(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_outline(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_query(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_stats(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_projects(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_ignore(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_watch(CLI::App& app, GlobalOptions& global, ExitSink exit_code);   // cci watch on|off|status
void register_mcp(CLI::App& app, GlobalOptions& global, ExitSink exit_code);
void register_daemon(CLI::App& app, GlobalOptions& global, ExitSink exit_code);  // cci mcp-daemon ...
void register_proxy(CLI::App& app, GlobalOptions& global, ExitSink exit_code);   // cci mcp-proxy

}  // namespace cci::cli
