// mcp/code_tools.h — the code-intelligence surface of the MCP server: tools (search, definitions,
// references, callees, outlines, overview, index status, text search, indexing and the
// bookkeeping tools users of the Python indexer know), file and symbol resources, and prompts.
//
// Every tool answers the same questions as the CLI (both go through search::Searcher), bounds
// its output by `limit` and a character budget (`truncated` + `next_offset` to continue), and
// returns structuredContent matching its outputSchema plus a compact text rendering. Expected
// failures (not indexed, no such symbol, bad filter, path outside the root) are isError results
// that say what to do next, never protocol errors.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include "mcp/project_service.h"
#include "mcp/server.h"

namespace cci::mcp {

struct CodeToolsOptions {
  std::filesystem::path data_dir;        // empty = cci::data_dir()
  std::size_t max_result_chars = 20000;  // per tool result, text and structured content each
};

// Everything register_code_tools() adds, for callers that register selectively.
struct CodeTools {
  std::shared_ptr<ProjectService> service;
  std::vector<ToolSpec> tools;
  ResourceProvider resources;
  std::vector<ResourceTemplateSpec> resource_templates;
  std::vector<PromptSpec> prompts;
};

CodeTools make_code_tools(CodeToolsOptions options);

void register_code_tools(Server& server, CodeToolsOptions options);

}  // namespace cci::mcp
