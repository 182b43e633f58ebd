// mcp/invoke_tool.cpp — one tool call without a session: the CLI's direct path.
//
// The CLI renders its output only from a tools/call result so that asking the daemon and asking
// the index in-process print the same bytes. This file is the in-process half: the same argument
// validation and the same result object as SessionImpl::tools_call (server.cpp), with a context
// that has no client behind it (no progress, no cancellation, no roots, no sampling).
#include <filesystem>
#include <string>
#include <utility>

#include "core/log.h"
#include "mcp/code_tools.h"
#include "mcp/schema.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;

class DirectToolContext final : public ToolContext {
 public:
  DirectToolContext(Json arguments, fs::path working_directory)
      : arguments_(std::move(arguments)), working_directory_(std::move(working_directory)) {}

  const Json& arguments() const override { return arguments_; }
  void progress(double, std::optional<double>, std::string) override {}
  bool cancelled() const override { return false; }
  void log(LogLevel level, std::string logger, Json data) override {
    log::debug("mcp: tool log ({}) {}: {}", static_cast<int>(level), logger,
               data.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  Result<Json> request_client(std::string method, Json, std::chrono::milliseconds) override {
    return make_error(ErrorCode::Unsupported, "no MCP client to send " + method + " to (direct tool call)");
  }
  const Json& client_capabilities() const override { return empty_; }
  const Json& client_info() const override { return empty_; }
  fs::path default_project_path() override {
    if (working_directory_.empty()) {
      std::error_code ec;
      working_directory_ = fs::current_path(ec);
    }
    return working_directory_;
  }

 private:
  Json arguments_;
  fs::path working_directory_;
  const Json empty_ = Json::object();
};

// The tools/call result object, shaped exactly as server.cpp's tool_result_json.
Json result_json(const ToolResult& r) {
  Json j = {{"content", r.content.is_array() ? r.content : Json::array()}};
  if (r.structured) j["structuredContent"] = *r.structured;
  if (r.is_error) j["isError"] = true;
  return j;
}

}  // namespace

Json invoke_tool(const ToolSpec& tool, Json arguments, const fs::path& working_directory) {
  if (arguments.is_null()) arguments = Json::object();
  if (!arguments.is_object()) return result_json(ToolResult::error("tools/call params.arguments must be an object"));
  if (const auto errors = validate_arguments(tool.input_schema, arguments); !errors.empty()) {
    std::string text = "Invalid arguments for tool '" + tool.name + "': ";
    for (std::size_t i = 0; i < errors.size(); ++i) text += (i ? "; " : "") + errors[i];
    text += ".";
    return result_json(ToolResult::error(std::move(text)));
  }
  if (!tool.handler) return result_json(ToolResult::error("tool '" + tool.name + "' has no handler"));
  DirectToolContext context(std::move(arguments), working_directory);
  Result<ToolResult> result = tool.handler(context);
  if (!result) return result_json(ToolResult::error(result.error().message));
  if (tool.output_schema && !result->is_error) {
    if (!result->structured) {
      log::warn("mcp: tool {} declares an outputSchema but returned no structuredContent", tool.name);
    } else if (const auto errors = validate_arguments(*tool.output_schema, *result->structured); !errors.empty()) {
      log::warn("mcp: tool {} returned structuredContent that does not match its outputSchema: {}", tool.name,
                errors.front());
    }
  }
  return result_json(*result);
}

}  // namespace cci::mcp
