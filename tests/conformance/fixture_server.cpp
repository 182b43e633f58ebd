// tests/conformance/fixture_server.cpp — the conformance fixture: an MCP server built on cci's own
// MCP core (cci::mcp) and network transport (cci::net) that registers every test_* tool, test://
// resource and template and test_* prompt the official conformance suite
// (@modelcontextprotocol/conformance 0.1.16) calls by name, with the contents its checks expect.
// The suite then exercises our session, dispatch, progress, logging, server→client requests and
// Streamable HTTP code (SSE polling included: calls of test_reconnection are polled) rather than a
// reference SDK.
//
// Usage: cci_conformance_server [PORT]   (0 or nothing = an ephemeral port)
// Serves http://127.0.0.1:PORT/mcp, prints "PORT=<n>" on stdout once listening, and stops on
// SIGINT/SIGTERM.
#include <pthread.h>

#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "mcp/server.h"
#include "net/network_server.h"

namespace {

using cci::mcp::Json;
using cci::mcp::LogLevel;
using cci::mcp::PromptArgument;
using cci::mcp::PromptSpec;
using cci::mcp::ResourceContent;
using cci::mcp::ResourceSpec;
using cci::mcp::ToolContext;
using cci::mcp::ToolResult;
using cci::mcp::ToolSpec;
using namespace std::chrono_literals;

// A 1x1 red PNG and a minimal WAV: the smallest payloads the image/audio checks accept.
constexpr std::string_view kPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
constexpr std::string_view kWavBase64 = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

// Long enough for a human-less test client, short enough that a lost answer fails the scenario
// well inside the suite's own timeouts.
constexpr auto kClientRequestTimeout = 30s;

// The tool whose calls the Streamable HTTP transport answers by SSE polling.
constexpr std::string_view kPolledTool = "test_reconnection";

Json object_schema(Json properties = Json::object(), Json required = Json::array()) {
  Json schema = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) schema["required"] = std::move(required);
  return schema;
}

Json image_content() { return Json{{"type", "image"}, {"data", kPngBase64}, {"mimeType", "image/png"}}; }

ToolResult content_result(Json content) {
  ToolResult result;
  result.content = std::move(content);
  return result;
}

// Sends an elicitation/create form request and reports the user's answer the way the suite's
// reference server does ("<prefix>: action=..., content={...}").
cci::Result<ToolResult> elicit(ToolContext& ctx, const std::string& message, Json requested_schema,
                               std::string_view prefix) {
  Json params = {{"message", message}, {"requestedSchema", std::move(requested_schema)}};
  auto answer = ctx.request_client("elicitation/create", std::move(params), kClientRequestTimeout);
  if (!answer) return ToolResult::error("Elicitation failed: " + answer.error().message);
  const Json content = answer->contains("content") ? (*answer)["content"] : Json::object();
  return ToolResult::text(std::string(prefix) + ": action=" + answer->value("action", std::string("?")) +
                          ", content=" + content.dump());
}

void add_tools(cci::mcp::Server& server) {
  server.add_tool(ToolSpec{
      .name = "test_simple_text",
      .description = "Returns a simple text content item",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        return ToolResult::text("This is a simple text response for testing.");
      }});

  server.add_tool(ToolSpec{
      .name = "test_image_content",
      .description = "Returns an image content item (1x1 PNG)",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        return content_result(Json::array({image_content()}));
      }});

  server.add_tool(ToolSpec{
      .name = "test_audio_content",
      .description = "Returns an audio content item (WAV)",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        return content_result(Json::array({{{"type", "audio"}, {"data", kWavBase64}, {"mimeType", "audio/wav"}}}));
      }});

  server.add_tool(ToolSpec{
      .name = "test_embedded_resource",
      .description = "Returns an embedded text resource",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        return content_result(Json::array({{{"type", "resource"},
                                            {"resource",
                                             {{"uri", "test://embedded-resource"},
                                              {"mimeType", "text/plain"},
                                              {"text", "This is an embedded resource content."}}}}}));
      }});

  server.add_tool(ToolSpec{
      .name = "test_multiple_content_types",
      .description = "Returns text, image and embedded resource content together",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        const Json data = {{"test", "data"}, {"value", 123}};
        return content_result(Json::array(
            {{{"type", "text"}, {"text", "Multiple content types test:"}},
             image_content(),
             {{"type", "resource"},
              {"resource",
               {{"uri", "test://mixed-content-resource"}, {"mimeType", "application/json"}, {"text", data.dump()}}}}}));
      }});

  // The delays make the notifications arrive while the call is still running, as the suite intends.
  server.add_tool(ToolSpec{
      .name = "test_tool_with_logging",
      .description = "Sends three info log notifications while it runs",
      .input_schema = object_schema(),
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        ctx.log(LogLevel::Info, "conformance-fixture", "Tool execution started");
        std::this_thread::sleep_for(50ms);
        ctx.log(LogLevel::Info, "conformance-fixture", "Tool processing data");
        std::this_thread::sleep_for(50ms);
        ctx.log(LogLevel::Info, "conformance-fixture", "Tool execution completed");
        return ToolResult::text("Tool with logging executed successfully");
      }});

  server.add_tool(ToolSpec{
      .name = "test_tool_with_progress",
      .description = "Reports progress 0, 50 and 100 of 100 while it runs",
      .input_schema = object_schema(),
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        for (const double done : {0.0, 50.0, 100.0}) {
          if (done > 0) std::this_thread::sleep_for(50ms);
          ctx.progress(done, 100.0, "Completed step " + std::to_string(static_cast<int>(done)) + " of 100");
        }
        return ToolResult::text("Tool with progress executed successfully");
      }});

  server.add_tool(ToolSpec{
      .name = "test_error_handling",
      .description = "Always fails with a tool error (isError: true)",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        return ToolResult::error("This tool intentionally returns an error for testing");
      }});

  server.add_tool(ToolSpec{
      .name = "test_sampling",
      .description = "Asks the client's LLM to complete a prompt (sampling/createMessage)",
      .input_schema = object_schema({{"prompt", {{"type", "string"}, {"description", "The prompt to send to the LLM"}}}},
                                    Json::array({"prompt"})),
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        const std::string prompt = ctx.arguments().at("prompt").get<std::string>();
        Json params = {{"messages", Json::array({{{"role", "user"}, {"content", {{"type", "text"}, {"text", prompt}}}}})},
                       {"maxTokens", 100}};
        auto answer = ctx.request_client("sampling/createMessage", std::move(params), kClientRequestTimeout);
        if (!answer) return ToolResult::error("Sampling failed: " + answer.error().message);
        std::string text = "No response";
        if (const auto c = answer->find("content"); c != answer->end() && c->is_object()) {
          text = c->value("text", text);
        }
        return ToolResult::text("LLM response: " + text);
      }});

  server.add_tool(ToolSpec{
      .name = "test_elicitation",
      .description = "Asks the user for a username and email (elicitation/create)",
      .input_schema = object_schema(
          {{"message", {{"type", "string"}, {"description", "The message to show the user"}}}}, Json::array({"message"})),
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        const Json schema = object_schema(
            {{"username", {{"type", "string"}, {"description", "User's response"}}},
             {"email", {{"type", "string"}, {"description", "User's email address"}}}},
            Json::array({"username", "email"}));
        return elicit(ctx, ctx.arguments().at("message").get<std::string>(), schema, "User response");
      }});

  // SEP-1034: a default for every primitive type.
  server.add_tool(ToolSpec{
      .name = "test_elicitation_sep1034_defaults",
      .description = "Elicits a form whose fields all carry default values (SEP-1034)",
      .input_schema = object_schema(),
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        const Json schema = object_schema(
            {{"name", {{"type", "string"}, {"description", "User name"}, {"default", "John Doe"}}},
             {"age", {{"type", "integer"}, {"description", "User age"}, {"default", 30}}},
             {"score", {{"type", "number"}, {"description", "User score"}, {"default", 95.5}}},
             {"status",
              {{"type", "string"},
               {"description", "User status"},
               {"enum", {"active", "inactive", "pending"}},
               {"default", "active"}}},
             {"verified", {{"type", "boolean"}, {"description", "Verification status"}, {"default", true}}}});
        return elicit(ctx, "Please review and update the form fields with defaults", schema, "Elicitation completed");
      }});

  // SEP-1330: the five enum shapes (untitled/titled single, legacy enumNames, untitled/titled multi).
  server.add_tool(ToolSpec{
      .name = "test_elicitation_sep1330_enums",
      .description = "Elicits a form with every enum schema variant (SEP-1330)",
      .input_schema = object_schema(),
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        auto titled = [](std::string_view noun) {
          return Json::array({{{"const", "value1"}, {"title", "First " + std::string(noun)}},
                              {{"const", "value2"}, {"title", "Second " + std::string(noun)}},
                              {{"const", "value3"}, {"title", "Third " + std::string(noun)}}});
        };
        const Json options = {"option1", "option2", "option3"};
        const Json schema = object_schema(
            {{"untitledSingle", {{"type", "string"}, {"description", "Select one option"}, {"enum", options}}},
             {"titledSingle",
              {{"type", "string"}, {"description", "Select one option with titles"}, {"oneOf", titled("Option")}}},
             {"legacyEnum",
              {{"type", "string"},
               {"description", "Select one option (legacy)"},
               {"enum", {"opt1", "opt2", "opt3"}},
               {"enumNames", {"Option One", "Option Two", "Option Three"}}}},
             {"untitledMulti",
              {{"type", "array"},
               {"description", "Select multiple options"},
               {"minItems", 1},
               {"maxItems", 3},
               {"items", {{"type", "string"}, {"enum", options}}}}},
             {"titledMulti",
              {{"type", "array"},
               {"description", "Select multiple options with titles"},
               {"minItems", 1},
               {"maxItems", 3},
               {"items", {{"anyOf", titled("Choice")}}}}}});
        return elicit(ctx, "Please select options from the enum fields", schema, "Elicitation completed");
      }});

  // SEP-1699 (pending scenario server-sse-polling): the transport polls this tool's calls (see
  // kPolledTool in main), so its POST stream ends after the priming event and the result reaches
  // the client on its GET with Last-Event-ID. The pause stands for work still running when the
  // client reconnects, so the result is usually delivered live rather than replayed.
  server.add_tool(ToolSpec{
      .name = std::string(kPolledTool),
      .description = "Answers after the server has closed the call's SSE stream; the client resumes to read it",
      .input_schema = object_schema(),
      .handler = [](ToolContext&) -> cci::Result<ToolResult> {
        std::this_thread::sleep_for(100ms);
        return ToolResult::text("Reconnection test completed successfully");
      }});

  // SEP-1613 (pending scenario json-schema-2020-12): the listing must keep these keywords verbatim.
  server.add_tool(ToolSpec{
      .name = "json_schema_2020_12_tool",
      .description = "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)",
      .input_schema = Json{{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                           {"type", "object"},
                           {"$defs",
                            {{"address",
                              {{"type", "object"},
                               {"properties", {{"street", {{"type", "string"}}}, {"city", {{"type", "string"}}}}}}}}},
                           {"properties", {{"name", {{"type", "string"}}}, {"address", {{"$ref", "#/$defs/address"}}}}},
                           {"additionalProperties", false}},
      .handler = [](ToolContext& ctx) -> cci::Result<ToolResult> {
        return ToolResult::text("JSON Schema 2020-12 tool called with: " + ctx.arguments().dump());
      }});
}

ResourceSpec text_resource(std::string uri, std::string name, std::string description, std::string text) {
  ResourceSpec spec{.uri = uri, .name = std::move(name), .description = std::move(description), .mime_type = "text/plain"};
  spec.read = [uri, text = std::move(text)]() -> cci::Result<std::vector<ResourceContent>> {
    return std::vector<ResourceContent>{{.uri = uri, .mime_type = "text/plain", .text = text}};
  };
  return spec;
}

void add_resources(cci::mcp::Server& server) {
  server.add_resource(text_resource("test://static-text", "static-text", "A static text resource for testing",
                                    "This is the content of the static text resource."));

  ResourceSpec binary{.uri = "test://static-binary",
                      .name = "static-binary",
                      .description = "A static binary resource (1x1 PNG) for testing",
                      .mime_type = "image/png"};
  binary.read = []() -> cci::Result<std::vector<ResourceContent>> {
    return std::vector<ResourceContent>{
        {.uri = "test://static-binary", .mime_type = "image/png", .blob_base64 = std::string(kPngBase64)}};
  };
  server.add_resource(std::move(binary));

  // The target of resources/subscribe and resources/unsubscribe.
  server.add_resource(text_resource("test://watched-resource", "watched-resource",
                                    "A resource clients may subscribe to", "Watched resource content"));

  server.add_resource_template({.uri_template = "test://template/{id}/data",
                                .name = "template",
                                .description = "A resource template with parameter substitution",
                                .mime_type = "application/json"});
  // Templates only describe URIs; reading one is a provider's job.
  server.add_resource_provider(
      {.name = "test-template",
       .list = nullptr,
       .read = [](ToolContext&, const std::string& uri) -> std::optional<cci::Result<std::vector<ResourceContent>>> {
         constexpr std::string_view kPrefix = "test://template/";
         constexpr std::string_view kSuffix = "/data";
         const std::string_view u = uri;
         if (!u.starts_with(kPrefix) || !u.ends_with(kSuffix) || u.size() <= kPrefix.size() + kSuffix.size()) {
           return std::nullopt;
         }
         const std::string id(u.substr(kPrefix.size(), u.size() - kPrefix.size() - kSuffix.size()));
         if (id.find('/') != std::string::npos) return std::nullopt;
         const Json data = {{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
         return cci::Result<std::vector<ResourceContent>>(
             std::vector<ResourceContent>{{.uri = uri, .mime_type = "application/json", .text = data.dump()}});
       }});
}

Json user_message(Json content) { return Json{{"role", "user"}, {"content", std::move(content)}}; }
Json text_content(std::string text) { return Json{{"type", "text"}, {"text", std::move(text)}}; }

void add_prompts(cci::mcp::Server& server) {
  server.add_prompt(PromptSpec{
      .name = "test_simple_prompt",
      .title = "Simple Test Prompt",
      .description = "A simple prompt without arguments",
      .get = [](ToolContext&, const Json&) -> cci::Result<Json> {
        return Json{{"messages", Json::array({user_message(text_content("This is a simple prompt for testing."))})}};
      }});

  server.add_prompt(PromptSpec{
      .name = "test_prompt_with_arguments",
      .title = "Prompt With Arguments",
      .description = "A prompt with required arguments",
      .arguments = {{"arg1", "First test argument", true}, {"arg2", "Second test argument", true}},
      .get = [](ToolContext&, const Json& args) -> cci::Result<Json> {
        const std::string text = "Prompt with arguments: arg1='" + args.at("arg1").get<std::string>() + "', arg2='" +
                                 args.at("arg2").get<std::string>() + "'";
        return Json{{"messages", Json::array({user_message(text_content(text))})}};
      },
      // completion/complete: the fixed candidates that start with what the user typed.
      .complete = [](const std::string&, const std::string& value) {
        std::vector<std::string> values;
        for (const char* candidate : {"test", "testValue1", "testValue2", "paris", "park", "party"}) {
          if (std::string_view(candidate).starts_with(value)) values.emplace_back(candidate);
        }
        return values;
      }});

  server.add_prompt(PromptSpec{
      .name = "test_prompt_with_embedded_resource",
      .title = "Prompt With Embedded Resource",
      .description = "A prompt that includes an embedded resource",
      .arguments = {{"resourceUri", "URI of the resource to embed", true}},
      .get = [](ToolContext&, const Json& args) -> cci::Result<Json> {
        const Json resource = {{"type", "resource"},
                               {"resource",
                                {{"uri", args.at("resourceUri")},
                                 {"mimeType", "text/plain"},
                                 {"text", "Embedded resource content for testing."}}}};
        return Json{{"messages", Json::array({user_message(resource),
                                              user_message(text_content("Please process the embedded resource above."))})}};
      }});

  server.add_prompt(PromptSpec{
      .name = "test_prompt_with_image",
      .title = "Prompt With Image",
      .description = "A prompt that includes image content",
      .get = [](ToolContext&, const Json&) -> cci::Result<Json> {
        return Json{{"messages", Json::array({user_message(image_content()),
                                              user_message(text_content("Please analyze the image above."))})}};
      }});
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = 0;
  if (argc > 2) {
    std::fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
    return 2;
  }
  if (argc == 2) {
    const std::string_view arg = argv[1];
    const auto [end, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), port);
    if (ec != std::errc() || end != arg.data() + arg.size()) {
      std::fprintf(stderr, "cci_conformance_server: invalid port '%s'\n", argv[1]);
      return 2;
    }
  }

  // Blocked before any thread starts so every thread inherits the mask and sigwait() below is
  // the only place these signals are delivered.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  cci::mcp::Server server(cci::mcp::ServerOptions{.name = "cci-conformance-fixture",
                                                  .title = "cci conformance fixture",
                                                  .version = "1.0.0",
                                                  .resource_subscriptions = true});
  add_tools(server);
  add_resources(server);
  add_prompts(server);

  cci::net::NetworkOptions options{.host = "127.0.0.1", .port = port};
  options.poll_request = [](const Json& request) {
    if (request["method"] != "tools/call") return false;  // the transport passes requests only
    const auto params = request.find("params");
    if (params == request.end() || !params->is_object()) return false;
    const auto name = params->find("name");
    return name != params->end() && name->is_string() && name->get_ref<const std::string&>() == kPolledTool;
  };
  auto network = cci::net::NetworkServer::start(server, std::move(options));
  if (!network) {
    std::fprintf(stderr, "cci_conformance_server: cannot listen: %s\n", network.error().message.c_str());
    return 1;
  }
  std::printf("PORT=%u\n", static_cast<unsigned>((*network)->port()));
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  (*network)->stop();
  (*network)->wait();
  return 0;
}
