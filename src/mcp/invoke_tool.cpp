// mcp/invoke_tool.cpp — one tool call without a session: the CLI's direct path.
//
// The CLI renders its output only from a tools/call result so that asking the daemon and asking
// the index in-process print the same bytes. This file is the in-process half: the same argument
// validation and result object as SessionImpl::tools_call (both run detail::call_tool), with a
// context that has no client behind it (no progress, no cancellation, no roots, no sampling).
#include <filesystem>
#include <string>
#include <utility>

#include "core/log.h"
#include "mcp/code_tools.h"
#include "mcp/tool_call.h"

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

}  // namespace

Json invoke_tool(const ToolSpec& tool, Json arguments, const fs::path& working_directory) {
  if (arguments.is_null()) arguments = Json::object();
  if (!arguments.is_object()) {
    return detail::tool_result_json(ToolResult::error("tools/call params.arguments must be an object"));
  }
  return detail::call_tool(tool, std::move(arguments), [&](Json validated) {
    DirectToolContext context(std::move(validated), working_directory);
    return tool.handler(context);
  });
}

}  // namespace cci::mcp
