// mcp/tool_call.h — internal to mcp: the one implementation of running a tool for tools/call,
// shared by sessions (server.cpp) and the session-less direct call (invoke_tool.cpp), so both
// validate, report errors and shape the result identically.
#pragma once

#include <functional>
#include <string>

#include "mcp/server.h"

namespace cci::mcp::detail {

// The tools/call result object ({_meta?, content, structuredContent?, isError?}) of one
// ToolResult, as a value and as compact JSON text (the same bytes rpc::to_text would give the
// value; from ToolResult::serialized without parsing it).
rpc::Json tool_result_json(ToolResult result);
std::string tool_result_text(ToolResult result);

// Validates `arguments` (an object) against the tool's input schema, then calls `run_handler`,
// which builds the tool's context from the validated arguments and runs tool.handler. Invalid
// arguments and handler errors become isError results (the model can correct itself); a
// structured result that contradicts the output schema is logged (checked at debug log level).
ToolResult run_tool(const ToolSpec& tool, rpc::Json arguments,
                    const std::function<Result<ToolResult>(rpc::Json arguments)>& run_handler);
// run_tool's result as the tools/call result object.
rpc::Json call_tool(const ToolSpec& tool, rpc::Json arguments,
                    const std::function<Result<ToolResult>(rpc::Json arguments)>& run_handler);

}  // namespace cci::mcp::detail
