// cli/command_proxy.cpp — `cci mcp-proxy`: what an MCP host spawns to reach the persistent daemon
// (proxy/proxy.h). stdout carries protocol messages only; diagnostics go to stderr.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/paths.h"
#include "proxy/proxy.h"

#ifndef CCI_VERSION
#define CCI_VERSION "0.0.0"
#endif

namespace cci::cli {
namespace {

struct ProxyCommandOptions {
  std::string url;
  bool no_auto_start = false;
  bool no_fallback = false;
  long start_timeout_ms = 5000;
};

}  // namespace

void register_proxy(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto options = std::make_shared<ProxyCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "mcp-proxy",
      "Bridge an MCP host's stdio session to the cci daemon (starting it when needed; in-process when it cannot)");
  cmd->add_option("--url", options->url,
                  "Daemon URL: ws://HOST:PORT or unix:PATH (default: $MCP_SERVER_URL, else ws://127.0.0.1:8765)");
  cmd->add_flag("--no-auto-start", options->no_auto_start, "Do not start the daemon when it is not running");
  cmd->add_flag("--no-fallback", options->no_fallback,
                "Answer requests with errors instead of serving in-process when the daemon is unavailable");
  cmd->add_option("--start-timeout-ms", options->start_timeout_ms,
                  "How long to wait for the daemon to start and accept the connection")
      ->check(CLI::PositiveNumber);
  cmd->callback([options, &global, &exit_code] {
    // The proxy tells the daemon its working directory (the default project), so --project moves it.
    if (!global.project.empty()) {
      std::error_code ec;
      std::filesystem::current_path(global.project, ec);
      if (ec) {
        print_error("cannot use --project " + global.project + ": " + ec.message());
        exit_code = kExitUsage;
        return;
      }
    }
    proxy::ProxyOptions proxy_options;
    proxy_options.server_url = options->url;
    proxy_options.data_dir = data_dir();
    proxy_options.auto_start = !options->no_auto_start;
    proxy_options.allow_fallback = !options->no_fallback;
    proxy_options.start_deadline = std::chrono::milliseconds(options->start_timeout_ms);
    proxy_options.version = CCI_VERSION;
    exit_code = proxy::run(proxy_options);
  });
}

}  // namespace cci::cli
