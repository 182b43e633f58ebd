// mcp/code_tools.h — the code-intelligence surface of the MCP server: tools (search, definitions,
// references, callees, outlines, overview, index status, text search, indexing and the
// bookkeeping tools users of the Python indexer know), file and symbol resources, and prompts.
//
// Every tool answers the same questions as the CLI (both go through search::Searcher), bounds
// its output by `limit` and a character budget (`truncated` + `next_offset` to continue), and
// returns structuredContent matching its outputSchema plus a compact text rendering, and a result
// _meta {"cci/indexGeneration", "cci/pendingChanges"} naming the index it was answered from. Expected
// failures (not indexed, no such symbol, bad filter, path outside the root) are isError results
// that say what to do next, never protocol errors.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "mcp/project_service.h"
#include "mcp/server.h"

namespace cci::watch {
class FreshnessService;
}

namespace cci::mcp {

struct CodeToolsOptions {
  std::filesystem::path data_dir;        // empty = cci::data_dir()
  std::size_t max_result_chars = 20000;  // per tool result, text and structured content each
  // Results of the read-only index queries, keyed by (index file, index generation, tool,
  // arguments) so an entry can never outlive the index it came from; LRU-bounded by bytes.
  // 0 = no cache (one-shot CLI runs).
  std::size_t result_cache_bytes = 0;
  std::size_t max_open_connections = 64;  // ProjectService's LRU bound across threads
  // Keeps served projects current (the daemon). Null = no watching (one-shot CLI runs): every
  // tool call that resolves a project starts watching it, get_index_status reports the watch,
  // and every result's _meta says which index generation it came from and how many changed files
  // are still waiting to be indexed.
  std::shared_ptr<watch::FreshnessService> freshness;
  // Long-lived servers keep an in-memory symbol index per searched project (mcp/search_indexes.h)
  // so search_code costs microseconds whatever the number of matches; one-shot runs use SQL.
  bool memory_search_index = false;
};

// Counters for the daemon's /metrics and status.
struct CodeToolsStats {
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t cache_entries = 0;
  std::uint64_t cache_bytes = 0;
  std::size_t projects_open = 0;         // distinct indexes with an open connection
  std::size_t index_jobs_running = 0;
  std::uint64_t index_jobs_total = 0;    // index_codebase calls finished (any outcome)
};

// Everything register_code_tools() adds, for callers that register selectively.
struct CodeTools {
  std::shared_ptr<ProjectService> service;
  std::function<CodeToolsStats()> stats;
  std::vector<ToolSpec> tools;
  ResourceProvider resources;
  std::vector<ResourceTemplateSpec> resource_templates;
  std::vector<PromptSpec> prompts;
};

CodeTools make_code_tools(CodeToolsOptions options);

// Registers everything on `server`; the returned function reads the live counters.
std::function<CodeToolsStats()> register_code_tools(Server& server, CodeToolsOptions options);

// The complete `cci` MCP server (name, version, instructions for the model, code tools): what
// `cci mcp-server`, the daemon and the proxy's in-process fallback all serve.
struct CodeServer {
  std::unique_ptr<Server> server;
  std::function<CodeToolsStats()> stats;
  std::shared_ptr<ProjectService> projects;  // the registry and index connections the tools use
};
CodeServer make_code_server(ServerOptions server_options, CodeToolsOptions tools_options);

// Runs one tool in the calling thread without a session, exactly as tools/call would (argument
// validation included), and returns the tools/call result object
// ({content, structuredContent?, isError?}). `working_directory` is the default project.
// For the CLI's direct path: the same JSON the daemon returns, so output is identical.
Json invoke_tool(const ToolSpec& tool, Json arguments, const std::filesystem::path& working_directory);

}  // namespace cci::mcp
