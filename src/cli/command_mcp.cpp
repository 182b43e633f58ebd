// cli/command_mcp.cpp — `cci mcp-server` (alias `cci mcp serve --stdio`): the code-intelligence
// tools as a Model Context Protocol server on stdin/stdout, the way Claude Desktop and Claude Code
// launch a local server. stdout carries protocol messages only; diagnostics go to stderr.
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/log.h"
#include "core/paths.h"
#include "mcp/code_tools.h"
#include "mcp/server.h"
#include "net/stdio_transport.h"

#ifndef CCI_VERSION
#define CCI_VERSION "0.0.0"
#endif

namespace cci::cli {
namespace {

namespace fs = std::filesystem;

// Sent once in the initialize result; hosts put it in the model's context, so it says which tool
// answers which question and in what order to use them.
constexpr const char* kInstructions =
    "cci indexes the current project into a code graph (definitions, calls, imports, inheritance, "
    "ranked by importance). Start with get_index_status; if the project is not indexed or is stale, "
    "run index_codebase (incremental, fast on re-runs). For orientation use get_codebase_overview "
    "and query_important_code; to find code by meaning or name use search_code (identifier words, "
    "e.g. \"parse request\"), and search_text for exact strings, comments or literals. Navigate with "
    "find_definition (signature, doc, file:line), find_references (callers, subclasses, importers, "
    "each with how it was resolved), find_callees and get_file_outline; file contents are readable "
    "as cci://file/<path> resources. Prefer these tools over reading whole files or grepping: "
    "results are ranked and much smaller. get_project_stats, list_indexed_projects, "
    "get_ignore_patterns and manage_cache are for bookkeeping.";

struct McpOptions {
  std::size_t max_message_bytes = mcp::ServerOptions{}.max_message_bytes;
  std::size_t workers = 0;
};

int serve(const GlobalOptions& global, const McpOptions& options) {
  // The default project of every tool is the session's working directory, so --project moves it.
  if (!global.project.empty()) {
    std::error_code ec;
    fs::current_path(global.project, ec);
    if (ec) {
      print_error("cannot use --project " + global.project + ": " + ec.message());
      return kExitUsage;
    }
  }
  mcp::ServerOptions server_options;
  server_options.name = "cci";
  server_options.title = "claude-code-indexer";
  server_options.version = CCI_VERSION;
  server_options.instructions = kInstructions;
  server_options.worker_threads = options.workers;
  server_options.max_message_bytes = options.max_message_bytes;
  mcp::Server server(std::move(server_options));

  mcp::CodeToolsOptions tools;
  tools.data_dir = data_dir();
  mcp::register_code_tools(server, std::move(tools));

  log::info("mcp-server {}: serving MCP on stdin/stdout (data in {})", CCI_VERSION, data_dir().string());
  return net::serve_stdio(server, net::StdioOptions{});
}

// The options both spellings share.
void add_server_options(CLI::App* cmd, McpOptions& options) {
  cmd->add_option("--max-message-bytes", options.max_message_bytes,
                  "Reject incoming messages larger than N bytes with a JSON-RPC error")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--workers", options.workers, "Threads running tool calls (default: one per core)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

void register_mcp(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto options = std::make_shared<McpOptions>();

  CLI::App* server = app.add_subcommand("mcp-server", "Serve the index to AI agents over MCP on stdin/stdout");
  add_server_options(server, *options);
  server->callback([options, &global, &exit_code] { exit_code = serve(global, *options); });

  // `cci mcp serve --stdio`: the spelling that leaves room for network transports beside stdio.
  CLI::App* group = app.add_subcommand("mcp", "Model Context Protocol server");
  group->require_subcommand(1);
  CLI::App* serve_cmd = group->add_subcommand("serve", "Serve the index over MCP");
  serve_cmd->add_flag("--stdio")
      ->description("Use stdin/stdout (the transport Claude Desktop and Claude Code launch)")
      ->required();
  add_server_options(serve_cmd, *options);
  serve_cmd->callback([options, &global, &exit_code] { exit_code = serve(global, *options); });
}

}  // namespace cci::cli
