// cli/tool_runner.h — how the query commands get their answers: from the running daemon (warm
// index, result cache) when there is one, else from the index opened in this process.
//
// Both paths produce the same MCP tools/call result object ({content, structuredContent?,
// isError?}) from the same tool code, and the commands render only from that object, so the
// output is identical whichever path answered. The daemon is skipped with `--no-daemon` or
// CCI_NO_DAEMON=1; any transport failure (no daemon, connection lost, timeout) silently falls
// back to the in-process path. CCI_LOG=debug says which path answered.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "cli/context.h"
#include "rpc/json.h"

namespace cci::cli {

class ToolRunner {
 public:
  explicit ToolRunner(const GlobalOptions& global);
  ~ToolRunner();
  ToolRunner(const ToolRunner&) = delete;
  ToolRunner& operator=(const ToolRunner&) = delete;

  // Runs the MCP tool `name` and returns its tools/call result object. Never fails: problems the
  // tool reports (not indexed, no such symbol, bad argument) are isError results.
  rpc::Json call(const std::string& name, rpc::Json arguments);
  // The daemon's answer alone, for what only a daemon knows (its watcher): nullopt when no
  // daemon runs, it cannot answer, or the daemon is disabled (--no-daemon, CCI_NO_DAEMON).
  std::optional<rpc::Json> call_daemon(const std::string& name, const rpc::Json& arguments);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// One call through a fresh ToolRunner.
rpc::Json run_tool(const std::string& name, rpc::Json arguments, const GlobalOptions& global);

// The running daemon's watch of the project at `root` (get_index_status's `watch` object): nullopt
// when no daemon answers (or the daemon is disabled by `global`).
std::optional<rpc::Json> daemon_watch(const GlobalOptions& global, const std::string& root);

// True when CCI_NO_DAEMON is set to anything but "" or "0".
bool daemon_disabled_by_environment();

}  // namespace cci::cli
