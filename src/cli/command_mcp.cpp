// cli/command_mcp.cpp — `cci mcp-server` (alias `cci mcp serve --stdio`): the code-intelligence
// tools as a Model Context Protocol server on stdin/stdout, the way Claude Desktop and Claude Code
// launch a local server. stdout carries protocol messages only; diagnostics go to stderr.
// With --listen it serves WebSocket and Streamable HTTP on one TCP port instead (net/network_server.h).
#include <signal.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/log.h"
#include "core/paths.h"
#include "mcp/code_tools.h"
#include "mcp/server.h"
#include "net/network_server.h"
#include "net/stdio_transport.h"

#ifndef CCI_VERSION
#define CCI_VERSION "0.0.0"
#endif

namespace cci::cli {
namespace {

namespace fs = std::filesystem;

struct McpOptions {
  std::size_t max_message_bytes = mcp::ServerOptions{}.max_message_bytes;
  std::size_t workers = 0;
  std::size_t cache_mb = 64;                // result cache (keyed by index generation, so never stale)
  std::string listen;                       // HOST:PORT; empty = stdio
  std::string token_file;
  std::vector<std::string> allow_origins;
};

// "127.0.0.1:8080", "localhost:0", "[::1]:8080" -> host and port.
bool parse_listen(const std::string& text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  host = text.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const std::string digits = text.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos) return false;
  const unsigned long value = std::stoul(digits);
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

// Serves WebSocket + Streamable HTTP until SIGINT/SIGTERM.
int serve_network(mcp::Server& server, const McpOptions& options) {
  net::NetworkOptions net_options;
  if (!parse_listen(options.listen, net_options.host, net_options.port)) {
    print_error("--listen expects HOST:PORT (e.g. 127.0.0.1:8765), got '" + options.listen + "'");
    return kExitUsage;
  }
  if (!options.token_file.empty()) {
    std::ifstream in(options.token_file);
    std::stringstream text;
    text << in.rdbuf();
    std::string token = text.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) token.erase(0, 1);
    if (!in || token.empty()) {
      print_error("cannot read a token from --token-file " + options.token_file);
      return kExitUsage;
    }
    net_options.bearer_token = std::move(token);
  }
  net_options.allowed_origins = options.allow_origins;
  std::error_code ec;
  net_options.working_directory = fs::current_path(ec);

  // Blocked before the io threads start so they inherit the mask and only sigwait() below sees
  // the signals: stop() then runs on an ordinary thread, not in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto started = net::NetworkServer::start(server, std::move(net_options));
  if (!started) {
    print_error("mcp-server: " + started.error().message);
    return kExitUsage;
  }
  auto& network = **started;
  std::string host = network.host();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const std::string authority = host + ":" + std::to_string(network.port());
  std::fprintf(stderr, "cci mcp-server: listening on http://%s/mcp and ws://%s/ (%s)\n", authority.c_str(),
               authority.c_str(), options.token_file.empty() ? "no token" : "token required");
  std::fflush(stderr);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  log::info("mcp-server: signal {}, shutting down", signal_number);
  network.stop();
  return kExitOk;
}

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
  // Name, title and the model's instructions are the product's defaults (mcp::make_code_server).
  mcp::ServerOptions server_options;
  server_options.version = CCI_VERSION;
  server_options.worker_threads = options.workers;
  server_options.max_message_bytes = options.max_message_bytes;
  mcp::CodeToolsOptions tools;
  tools.data_dir = data_dir();
  tools.result_cache_bytes = options.cache_mb << 20;
  tools.memory_search_index = true;
  mcp::CodeServer code = mcp::make_code_server(std::move(server_options), std::move(tools));
  mcp::Server& server = *code.server;

  if (!options.listen.empty()) return serve_network(server, options);
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
  cmd->add_option("--cache-mb", options.cache_mb,
                  "Memory for repeated answers, keyed by index generation so never stale (default 64; 0 = off)")
      ->check(CLI::NonNegativeNumber);
}

// Network transport options: `cci mcp-server` only (`cci mcp serve --stdio` is stdio by name).
void add_network_options(CLI::App* cmd, McpOptions& options) {
  cmd->add_option("--listen", options.listen,
                  "Serve WebSocket and Streamable HTTP on HOST:PORT instead of stdio (port 0 = any free port)");
  cmd->add_option("--token-file", options.token_file,
                  "Require 'Authorization: Bearer <token>' with the token in FILE (needed off loopback)");
  cmd->add_option("--allow-origin", options.allow_origins,
                  "Also accept browser requests from ORIGIN (repeatable; localhost origins always pass)");
}

}  // namespace

void register_mcp(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto options = std::make_shared<McpOptions>();

  CLI::App* server = app.add_subcommand("mcp-server", "Serve the index to AI agents over MCP on stdin/stdout (or --listen HOST:PORT)");
  add_server_options(server, *options);
  add_network_options(server, *options);
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
