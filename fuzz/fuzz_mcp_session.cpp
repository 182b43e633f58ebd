// fuzz/fuzz_mcp_session.cpp — arbitrary messages into an initialised mcp::Session.
//
// One Server (with a few trivial tools, a resource and a prompt, no index) lives for the whole
// run; every input opens a fresh session, initialises it (the first byte picks the protocol
// version: a leading space selects 2025-03-26, whose batches are then reachable), then feeds each '\n'-separated line
// as one message, waits for the requests it started and closes the session. A request that never
// finishes is reported as a hang (abort), since each tool here returns immediately.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "mcp/server.h"

namespace {

using namespace cci;
using namespace cci::mcp;

class Discard final : public Outbound {
 public:
  void send(std::string message) override {
    // The framing contract of every transport: one message, never a raw newline.
    if (message.find('\n') != std::string::npos) {
      std::fprintf(stderr, "fuzz_mcp_session: outgoing message contains a newline\n");
      std::abort();
    }
  }
};

Json schema(const char* text) { return Json::parse(text); }

Server& fuzz_server() {
  static Server* server = [] {
    ServerOptions options;
    options.version = "0.0.0-fuzz";
    options.worker_threads = 2;
    options.page_size = 2;  // several tools so tools/list paginates
    options.max_message_bytes = 1u << 16;
    auto* s = new Server(std::move(options));
    s->add_tool(ToolSpec{
        .name = "echo",
        .description = "Returns its text",
        .input_schema = schema(R"({"type":"object","properties":{"text":{"type":"string","minLength":1,"maxLength":64}},
                                   "required":["text"],"additionalProperties":false})"),
        .annotations = {.read_only = true},
        .handler = [](ToolContext& ctx) -> Result<ToolResult> {
          return ToolResult::text(ctx.arguments()["text"].get<std::string>());
        }});
    s->add_tool(ToolSpec{
        .name = "add",
        .description = "Adds two integers",
        .input_schema = schema(R"({"type":"object","properties":{"a":{"type":"integer","minimum":-1000,"maximum":1000},
                                   "b":{"type":"integer","minimum":0,"maximum":100}},"required":["a","b"]})"),
        .output_schema = schema(R"({"type":"object","properties":{"sum":{"type":"integer"}},"required":["sum"]})"),
        .handler = [](ToolContext& ctx) -> Result<ToolResult> {
          const auto sum = ctx.arguments()["a"].get<long>() + ctx.arguments()["b"].get<long>();
          ToolResult r = ToolResult::text(std::to_string(sum));
          r.structured = Json{{"sum", sum}};
          return r;
        }});
    s->add_tool(ToolSpec{
        .name = "search_code",
        .description = "Schema shaped like the real search tool; reports progress and logs",
        .input_schema = schema(R"({"type":"object","properties":{
            "query":{"type":"string","minLength":1},
            "limit":{"type":"integer","minimum":1,"maximum":200},
            "kinds":{"type":"array","items":{"type":"string","enum":["function","class","method"]}},
            "match":{"type":"string","enum":["any","all"]},
            "options":{"type":"object","properties":{"exact":{"type":"boolean"}},"additionalProperties":false}},
            "required":["query"]})"),
        .handler = [](ToolContext& ctx) -> Result<ToolResult> {
          ctx.progress(1, 2, "half");
          ctx.log(LogLevel::Info, "search", Json{{"query", ctx.arguments()["query"]}});
          if (ctx.cancelled()) return make_error(ErrorCode::Cancelled, "cancelled");
          return ToolResult::text("no results");
        }});
    s->add_tool(ToolSpec{
        .name = "fail",
        .description = "Always fails",
        .input_schema = Json{{"type", "object"}},
        .handler = [](ToolContext&) -> Result<ToolResult> {
          return make_error(ErrorCode::NotFound, "no symbol named Foo");
        }});
    s->add_resource(ResourceSpec{.uri = "cci://static/readme",
                                 .name = "readme",
                                 .mime_type = "text/plain",
                                 .read = [] {
                                   return Result<std::vector<ResourceContent>>(
                                       std::vector<ResourceContent>{{"cci://static/readme", "text/plain", "hi", {}}});
                                 }});
    s->add_resource_template(ResourceTemplateSpec{.uri_template = "cci://file/{path}", .name = "file"});
    s->add_prompt(PromptSpec{
        .name = "explain",
        .description = "Explain a symbol",
        .arguments = {{"symbol", "The symbol", true}},
        .get = [](ToolContext&, const Json& args) -> Result<Json> {
          return Json{{"messages",
                       {{{"role", "user"},
                         {"content", {{"type", "text"}, {"text", "Explain " + args.dump()}}}}}}};
        },
        .complete = [](const std::string& argument, const std::string& value) {
          std::vector<std::string> out;
          if (argument == "symbol") {
            for (int i = 0; i < 3; ++i) out.push_back(value + std::to_string(i));
          }
          return out;
        }});
    return s;
  }();
  return *server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Server& server = fuzz_server();
  auto out = std::make_shared<Discard>();
  auto session = server.open_session(out, SessionInfo{"fuzz", "/"});

  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string_view version = kSupportedProtocolVersions[size == 0 ? 0 : data[0] % 3];
  session->receive(R"({"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":")" +
                   std::string(version) + R"(","capabilities":{},"clientInfo":{"name":"fuzz","version":"1"}}})");
  session->receive(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");

  while (!input.empty()) {
    const std::size_t end = input.find('\n');
    session->receive(input.substr(0, end));
    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (session->in_flight() != 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "fuzz_mcp_session: %zu requests still running after 5 s\n", session->in_flight());
      std::abort();
    }
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  session->close();
  return 0;
}
