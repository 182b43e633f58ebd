// net/stdio_transport.h — MCP over stdin/stdout: newline-delimited JSON-RPC, one session.
//
// stdout carries only protocol messages (one per line, each written with a single write(2));
// diagnostics go to stderr through core/log.h.
#pragma once

#include <chrono>

#include "mcp/server.h"

namespace cci::net {

struct StdioOptions {
  int in_fd = 0;
  int out_fd = 1;
  // On EOF (or SIGTERM/SIGINT) in-flight requests get this long to finish before the session closes.
  std::chrono::milliseconds drain_timeout{2000};
  bool handle_signals = true;  // install SIGTERM/SIGINT handlers that stop reading gracefully
};

// Serves one MCP session until EOF on in_fd or a termination signal. Returns the process exit
// code: 0 on a clean end of input or signal, 1 when reading or writing fails.
int serve_stdio(mcp::Server& server, StdioOptions options = {});

}  // namespace cci::net
