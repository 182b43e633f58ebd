// proxy/proxy.h — `cci mcp-proxy`: what an MCP host (Claude Desktop, Claude Code, ...) spawns. A
// long-lived stdio MCP session bridged to the persistent daemon.
//
// Every message is forwarded both ways unchanged (requests, notifications, progress,
// cancellation, server→client requests and their answers); stdout carries only protocol lines.
// The proxy adds its working directory to the client's initialize (`_meta`) so tools default to
// the project the host started it in.
//
// Daemon lifecycle as seen by the proxy:
//   - not running at start: starts it (`cci mcp-daemon start`; the daemon's lock makes many
//     proxies starting at once safe) and connects within `start_deadline`;
//   - connection lost mid-session: reconnects (starting the daemon again if it died; one stopped
//     on purpose with `cci mcp-daemon stop` is not brought back: the session goes in-process), re-sends
//     the client's original initialize (the answer is swallowed: the host already has one) and
//     notifications/initialized, re-sends in-flight calls that are safe to repeat (read-only
//     tools, list/read methods) and fails the others with a clear JSON-RPC error; a request that
//     cannot be delivered is answered with an error within `reconnect_deadline`, never left
//     hanging; ping is answered locally while the daemon is away;
//   - cannot be started or reached: serves the session in-process with the same server code
//     (mcp::make_code_server) and says so on stderr.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace cci::proxy {

struct ProxyOptions {
  std::string server_url;                 // MCP_SERVER_URL; empty = ws://127.0.0.1:8765 (unix:PATH = Unix socket)
  std::filesystem::path data_dir;         // empty = cci::data_dir()
  std::filesystem::path cci_binary;       // what to run for `mcp-daemon start` (empty = /proc/self/exe)
  bool auto_start = true;                 // start the daemon when it is not running
  bool allow_fallback = true;             // serve in-process when the daemon is unavailable
  std::chrono::milliseconds start_deadline{5000};
  std::chrono::milliseconds reconnect_deadline{2000};
  std::string version;                    // for the in-process fallback's serverInfo
  int in_fd = 0;
  int out_fd = 1;
};

// Runs until EOF on in_fd (or SIGTERM/SIGINT). Returns the process exit code.
int run(const ProxyOptions& options);

}  // namespace cci::proxy
