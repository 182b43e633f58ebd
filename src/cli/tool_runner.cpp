// cli/tool_runner.cpp — the daemon fast path and the in-process fallback of the query commands.
#include "cli/tool_runner.h"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include "client/client.h"
#include "core/log.h"
#include "core/paths.h"
#include "mcp/code_tools.h"

#ifndef CCI_VERSION
#define CCI_VERSION "0.0.0"
#endif

namespace cci::cli {

namespace fs = std::filesystem;

namespace {

// The Unix socket connect fails at once when no daemon runs; a daemon that accepts but does not
// finish the handshake in this time is treated as absent.
constexpr std::chrono::milliseconds kConnectTimeout{500};

fs::path working_directory() {
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  return ec ? fs::path() : cwd;
}

rpc::Json error_result(std::string message) {
  return rpc::Json{{"content", rpc::Json::array({rpc::Json{{"type", "text"}, {"text", std::move(message)}}})},
                   {"isError", true}};
}

}  // namespace

std::optional<rpc::Json> daemon_watch(const GlobalOptions& global, const std::string& root) {
  ToolRunner runner(global);
  auto answer = runner.call_daemon("get_index_status", rpc::Json{{"project_path", root}, {"limit", 1}});
  if (!answer || !answer->is_object() || answer->value("isError", false)) return std::nullopt;
  const auto structured = answer->find("structuredContent");
  if (structured == answer->end() || !structured->is_object()) return std::nullopt;
  const auto watch = structured->find("watch");
  if (watch == structured->end() || !watch->is_object()) return std::nullopt;
  return *watch;
}

bool daemon_disabled_by_environment() {
  const char* value = std::getenv("CCI_NO_DAEMON");
  return value != nullptr && std::string_view(value) != "" && std::string_view(value) != "0";
}

struct ToolRunner::State {
  bool try_daemon = true;
  std::unique_ptr<client::Client> client;
  std::optional<mcp::CodeTools> tools;

  // The daemon's answer, or nullopt when the daemon cannot give one (then it is not asked again).
  std::optional<rpc::Json> from_daemon(const std::string& name, const rpc::Json& arguments) {
    if (!try_daemon) return std::nullopt;
    if (!client) {
      client::ClientOptions options = client::ClientOptions::for_daemon(data_dir());
      options.pool_size = 1;
      options.connect_timeout = kConnectTimeout;
      options.working_directory = working_directory();
      options.client_name = "cci-cli";
      options.client_version = CCI_VERSION;
      auto connected = client::Client::connect(std::move(options));
      if (!connected) {
        log::debug("cli: no daemon ({}); answering in-process", connected.error().describe());
        try_daemon = false;
        return std::nullopt;
      }
      client = std::move(*connected);
    }
    auto answer = client->call_tool(name, arguments);
    if (!answer) {
      log::debug("cli: the daemon did not answer {} ({}); answering in-process", name, answer.error().describe());
      try_daemon = false;
      client.reset();
      return std::nullopt;
    }
    log::debug("cli: {} answered by the daemon", name);
    if (answer->raw.is_object()) return std::move(answer->raw);
    rpc::Json result = {{"content", rpc::Json::array({rpc::Json{{"type", "text"}, {"text", answer->text}}})}};
    if (!answer->structured.is_null()) result["structuredContent"] = std::move(answer->structured);
    if (answer->is_error) result["isError"] = true;
    return result;
  }

  rpc::Json in_process(const std::string& name, rpc::Json arguments) {
    if (!tools) {
      mcp::CodeToolsOptions options;
      options.data_dir = data_dir();
      tools = mcp::make_code_tools(std::move(options));
    }
    for (const auto& tool : tools->tools) {
      if (tool.name != name) continue;
      log::debug("cli: {} answered in-process", name);
      return mcp::invoke_tool(tool, std::move(arguments), working_directory());
    }
    return error_result("internal error: no tool named " + name);
  }
};

ToolRunner::ToolRunner(const GlobalOptions& global) : state_(std::make_unique<State>()) {
  state_->try_daemon = !global.no_daemon && !daemon_disabled_by_environment();
}

ToolRunner::~ToolRunner() = default;

rpc::Json ToolRunner::call(const std::string& name, rpc::Json arguments) {
  if (auto answer = state_->from_daemon(name, arguments)) return std::move(*answer);
  return state_->in_process(name, std::move(arguments));
}

std::optional<rpc::Json> ToolRunner::call_daemon(const std::string& name, const rpc::Json& arguments) {
  return state_->from_daemon(name, arguments);
}

rpc::Json run_tool(const std::string& name, rpc::Json arguments, const GlobalOptions& global) {
  ToolRunner runner(global);
  return runner.call(name, std::move(arguments));
}

}  // namespace cci::cli
