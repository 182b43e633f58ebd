// tests/mcp/server_test.cpp — the MCP server core through a Session, with an in-memory
// Outbound as the transport: lifecycle, tools, errors, progress, cancellation, concurrency,
// limits, batches, logging, resources, prompts, completion and server→client requests; and what
// the daemon relies on: separate query and index worker pools, the global queue bound, request
// records, server stats and the client's working directory from initialize; and answers given at
// once on the receiving thread (the result cache's path), with serialised results.
#include "mcp/server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <tuple>

#include "mcp/tool_call.h"

namespace cci::mcp {
namespace {

using namespace std::chrono_literals;

// The test's transport: records every message the session sends.
class Recorder final : public Outbound {
 public:
  void send(std::string message) override {
    EXPECT_EQ(message.find('\n'), std::string::npos);
    std::lock_guard lock(mutex_);
    messages_.push_back(Json::parse(message));
    changed_.notify_all();
  }

  // Waits for (and returns) the first message satisfying pred; null Json on timeout.
  template <class Pred>
  Json wait_for(Pred pred, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    Json found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }

  Json response(const Json& id, std::chrono::milliseconds timeout = 5s) {
    return wait_for([&](const Json& m) { return m.contains("id") && m["id"] == id && !m.contains("method"); },
                    timeout);
  }

  std::vector<Json> all() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<Json> with_method(std::string_view method) {
    std::vector<Json> out;
    for (auto& m : all()) {
      if (m.value("method", "") == method) out.push_back(m);
    }
    return out;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    messages_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> messages_;
};

// A latch the slow tool waits on.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void release() {
    std::lock_guard lock(mutex);
    open = true;
    cv.notify_all();
  }
  bool wait(ToolContext& ctx, std::chrono::milliseconds limit = 5s) {
    std::unique_lock lock(mutex);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!open && !ctx.cancelled() && std::chrono::steady_clock::now() < deadline) {
      cv.wait_for(lock, 5ms);
    }
    return open;
  }
};

std::string req(const Json& id, std::string_view method, Json params = Json::object()) {
  Json j = {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) j["params"] = std::move(params);
  return j.dump();
}

std::string note(std::string_view method, Json params = nullptr) {
  Json j = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) j["params"] = std::move(params);
  return j.dump();
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() : server_(make_options()) {
    server_.add_tool(ToolSpec{
        .name = "echo",
        .title = "Echo",
        .description = "Returns its text",
        .input_schema = Json::parse(R"({"type":"object","properties":{"text":{"type":"string","minLength":1}},
                                        "required":["text"],"additionalProperties":false})"),
        .annotations = {.read_only = true, .open_world = false},
        .handler = [](ToolContext& ctx) -> Result<ToolResult> {
          return ToolResult::text(ctx.arguments()["text"].get<std::string>());
        }});
    server_.add_tool(ToolSpec{
        .name = "add",
        .description = "Adds two integers",
        .input_schema = Json::parse(R"({"type":"object","properties":{"a":{"type":"integer"},
                                        "b":{"type":"integer","minimum":0,"maximum":100}},"required":["a","b"]})"),
        .output_schema = Json::parse(R"({"type":"object","properties":{"sum":{"type":"integer"}}})"),
        .handler = [](ToolContext& ctx) -> Result<ToolResult> {
          const auto sum = ctx.arguments()["a"].get<long>() + ctx.arguments()["b"].get<long>();
          ToolResult r = ToolResult::text(std::to_string(sum));
          r.structured = Json{{"sum", sum}};
          return r;
        }});
    server_.add_tool(ToolSpec{
        .name = "fail",
        .description = "Always fails",
        .input_schema = Json{{"type", "object"}},
        .handler = [](ToolContext&) -> Result<ToolResult> {
          return make_error(ErrorCode::NotFound, "no symbol named Foo");
        }});
    server_.add_tool(ToolSpec{
        .name = "slow",
        .description = "Reports progress, then waits for the gate or cancellation",
        .input_schema = Json{{"type", "object"}},
        .handler = [this](ToolContext& ctx) -> Result<ToolResult> {
          ctx.progress(1, 3, "one");
          ctx.progress(1, 3, "repeat is dropped");
          ctx.progress(0.5, 3, "decrease is dropped");
          ctx.progress(2, 3);
          ctx.log(LogLevel::Debug, "slow", "debug detail");
          ctx.log(LogLevel::Warning, "slow", "warning detail");
          slow_started_.release();
          const bool released = gate_.wait(ctx);
          saw_cancel_ = ctx.cancelled();
          slow_finished_.release();
          if (!released) return make_error(ErrorCode::Cancelled, "cancelled");
          return ToolResult::text("slow done");
        }});
    server_.add_tool(ToolSpec{
        .name = "ask_client",
        .description = "Sends roots/list to the client",
        .input_schema = Json{{"type", "object"}},
        .handler = [](ToolContext& ctx) -> Result<ToolResult> {
          auto answer = ctx.request_client("roots/list", Json::object(), std::chrono::milliseconds(
                                                                             ctx.arguments().value("timeout_ms", 5000)));
          if (!answer) return make_error(answer.error().code, answer.error().message);
          ToolResult r = ToolResult::text(answer->dump());
          r.structured = Json{{"project", ctx.default_project_path().string()}};
          return r;
        }});
    server_.add_tool(ToolSpec{.name = "where",
                              .description = "Default project path",
                              .input_schema = Json{{"type", "object"}},
                              .handler = [](ToolContext& ctx) -> Result<ToolResult> {
                                return ToolResult::text(ctx.default_project_path().string());
                              }});
    server_.add_resource(ResourceSpec{.uri = "cci://static/readme",
                                      .name = "readme",
                                      .mime_type = "text/plain",
                                      .read = [] {
                                        return Result<std::vector<ResourceContent>>(
                                            std::vector<ResourceContent>{{"cci://static/readme", "text/plain", "hi", {}}});
                                      }});
    server_.add_resource_provider(ResourceProvider{
        .name = "files",
        .list = [](ToolContext&, const std::string& cursor, std::size_t)
            -> Result<std::pair<std::vector<ResourceSpec>, std::string>> {
          if (cursor.empty()) return std::pair{std::vector<ResourceSpec>{{.uri = "cci://file/a", .name = "a"}}, std::string("p2")};
          if (cursor == "p2") return std::pair{std::vector<ResourceSpec>{{.uri = "cci://file/b", .name = "b"}}, std::string()};
          return make_error(ErrorCode::InvalidArgument, "bad cursor");
        },
        .read = [](ToolContext&, const std::string& uri) -> std::optional<Result<std::vector<ResourceContent>>> {
          if (uri.rfind("cci://file/", 0) != 0) return std::nullopt;
          if (uri == "cci://file/missing") return Result<std::vector<ResourceContent>>(make_error(ErrorCode::NotFound, "gone"));
          return Result<std::vector<ResourceContent>>(std::vector<ResourceContent>{{uri, "text/x-c++", "int x;", {}}});
        }});
    server_.add_resource_template(ResourceTemplateSpec{.uri_template = "cci://file/{path}", .name = "file"});
    server_.add_prompt(PromptSpec{
        .name = "explain",
        .description = "Explain a symbol",
        .arguments = {{"symbol", "The symbol", true}, {"depth", "How deep", false}},
        .get = [](ToolContext&, const Json& args) -> Result<Json> {
          return Json{{"messages",
                       {{{"role", "user"},
                         {"content", {{"type", "text"}, {"text", "Explain " + args["symbol"].get<std::string>()}}}}}}};
        },
        .complete = [](const std::string& argument, const std::string& value) {
          std::vector<std::string> out;
          if (argument == "symbol") {
            for (int i = 0; i < 150; ++i) out.push_back(value + std::to_string(i));
          }
          return out;
        }});
    session_ = server_.open_session(out_, SessionInfo{"test", "/work/dir"});
  }

  static ServerOptions make_options() {
    ServerOptions o;
    o.version = "1.2.3";
    o.instructions = "Use search first.";
    o.worker_threads = 4;
    o.page_size = 2;
    o.max_message_bytes = 4096;
    o.max_concurrent_requests = 3;
    return o;
  }

  Json call(const Json& id, std::string_view method, Json params = Json::object()) {
    session_->receive(req(id, method, std::move(params)));
    return out_->response(id);
  }

  void initialize(std::string_view version = "2025-06-18", Json caps = Json::object()) {
    const Json r = call("init", "initialize",
                        {{"protocolVersion", version}, {"capabilities", caps}, {"clientInfo", {{"name", "t"}, {"version", "1"}}}});
    ASSERT_TRUE(r.contains("result")) << r.dump();
    session_->receive(note("notifications/initialized"));
    out_->clear();
  }

  Json tool(const Json& id, std::string_view name, Json args) {
    return call(id, "tools/call", {{"name", name}, {"arguments", std::move(args)}});
  }

  Gate gate_, slow_started_, slow_finished_;
  std::atomic<bool> saw_cancel_{false};
  Server server_;
  std::shared_ptr<Recorder> out_ = std::make_shared<Recorder>();
  std::shared_ptr<Session> session_;
};

bool wait_gate(Gate& g, std::chrono::milliseconds limit = 5s) {
  std::unique_lock lock(g.mutex);
  return g.cv.wait_for(lock, limit, [&] { return g.open; });
}

// --- lifecycle ---------------------------------------------------------------------------------

TEST_F(ServerTest, InitializeEchoesEachSupportedVersion) {
  for (const auto version : kSupportedProtocolVersions) {
    auto out = std::make_shared<Recorder>();
    auto session = server_.open_session(out, SessionInfo{"test", "/"});
    session->receive(req(1, "initialize", {{"protocolVersion", version}, {"capabilities", Json::object()}}));
    const Json r = out->response(1);
    EXPECT_EQ(r["result"]["protocolVersion"], version);
    EXPECT_EQ(session->protocol_version(), version);
    EXPECT_TRUE(session->initialized());
  }
}

TEST_F(ServerTest, InitializeAnswersLatestForUnknownVersion) {
  const Json r = call(1, "initialize", {{"protocolVersion", "1999-01-01"}, {"capabilities", Json::object()}});
  EXPECT_EQ(r["result"]["protocolVersion"], kLatestProtocolVersion);
}

TEST_F(ServerTest, InitializeDeclaresOnlyImplementedCapabilities) {
  const Json r = call(1, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}});
  const Json& result = r["result"];
  EXPECT_EQ(result["capabilities"], Json::parse(R"({"tools":{"listChanged":false},"resources":{},"prompts":{},
                                                     "logging":{},"completions":{}})"));
  EXPECT_EQ(result["serverInfo"]["name"], "cci");
  EXPECT_EQ(result["serverInfo"]["title"], "claude-code-indexer");
  EXPECT_EQ(result["serverInfo"]["version"], "1.2.3");
  EXPECT_EQ(result["instructions"], "Use search first.");
}

TEST_F(ServerTest, InitializeWithoutVersionIsInvalidParams) {
  EXPECT_EQ(call(1, "initialize", Json::object())["error"]["code"], -32602);
  EXPECT_FALSE(session_->initialized());
}

TEST_F(ServerTest, SecondInitializeIsAnError) {
  initialize();
  const Json r = call(2, "initialize", {{"protocolVersion", "2025-06-18"}});
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(session_->protocol_version(), "2025-06-18");
}

TEST_F(ServerTest, PingWorksBeforeAndAfterInitialize) {
  EXPECT_EQ(call(1, "ping")["result"], Json::object());
  initialize();
  EXPECT_EQ(call(2, "ping")["result"], Json::object());
}

TEST_F(ServerTest, RequestsBeforeInitializeAreRejected) {
  const Json r = call(1, "tools/list");
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("not initialized"), std::string::npos);
}

TEST_F(ServerTest, UnknownMethodIsMethodNotFound) {
  initialize();
  const Json r = call("x", "resources/subscribe", {{"uri", "a"}});
  EXPECT_EQ(r["error"]["code"], -32601);
  EXPECT_EQ(r["id"], "x");
}

TEST_F(ServerTest, NotificationsAreNeverAnswered) {
  initialize();
  session_->receive(note("notifications/unknown", {{"x", 1}}));
  session_->receive(note("tools/list"));  // a request method sent as a notification
  session_->receive(note("notifications/cancelled", {{"requestId", 999}}));
  EXPECT_EQ(call(1, "ping")["result"], Json::object());
  EXPECT_EQ(out_->all().size(), 1u);
}

// --- tools ---------------------------------------------------------------------------------------

TEST_F(ServerTest, ToolsListPaginatesWithOpaqueCursor) {
  initialize();
  std::vector<std::string> names;
  Json params = Json::object();
  for (int page = 0; page < 10; ++page) {
    const Json r = call(page, "tools/list", params);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    for (const auto& t : r["result"]["tools"]) {
      names.push_back(t["name"]);
      EXPECT_TRUE(t["inputSchema"].is_object());
    }
    EXPECT_LE(r["result"]["tools"].size(), 2u);
    if (!r["result"].contains("nextCursor")) break;
    params = {{"cursor", r["result"]["nextCursor"]}};
  }
  EXPECT_EQ(names, (std::vector<std::string>{"echo", "add", "fail", "slow", "ask_client", "where"}));
}

TEST_F(ServerTest, ToolsListDescribesAnnotationsAndOutputSchema) {
  initialize();
  const Json first = call(1, "tools/list")["result"]["tools"];
  EXPECT_EQ(first[0]["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(first[0]["annotations"]["openWorldHint"], false);
  EXPECT_EQ(first[0]["title"], "Echo");
  EXPECT_TRUE(first[1].contains("outputSchema"));
}

TEST_F(ServerTest, BadCursorIsInvalidParams) {
  initialize();
  EXPECT_EQ(call(1, "tools/list", {{"cursor", "not-a-cursor!"}})["error"]["code"], -32602);
  EXPECT_EQ(call(2, "tools/list", {{"cursor", 5}})["error"]["code"], -32602);
  EXPECT_EQ(call(3, "prompts/list", {{"cursor", "eyJrIjoidG9vbHMiLCJvIjoyfQ"}})["error"]["code"], -32602);
}

TEST_F(ServerTest, ToolCallReturnsContentAndStructuredContent) {
  initialize();
  const Json echo = tool(1, "echo", {{"text", "hello"}})["result"];
  EXPECT_EQ(echo["content"][0]["text"], "hello");
  EXPECT_FALSE(echo.contains("isError"));
  const Json add = tool(2, "add", {{"a", 2}, {"b", 3}})["result"];
  EXPECT_EQ(add["structuredContent"]["sum"], 5);
  EXPECT_EQ(add["content"][0]["text"], "5");
}

TEST_F(ServerTest, ValidationErrorsAreToolResultsNamingTheField) {
  initialize();
  auto error_text = [&](const Json& id, std::string_view name, Json args) {
    const Json r = tool(id, name, std::move(args));
    EXPECT_EQ(r["result"]["isError"], true) << r.dump();
    return r["result"]["content"][0]["text"].get<std::string>();
  };
  EXPECT_NE(error_text(1, "add", {{"a", "2"}, {"b", 3}}).find("argument 'a' must be an integer (got string)"),
            std::string::npos);
  EXPECT_NE(error_text(2, "add", {{"a", 1.5}, {"b", 3}}).find("argument 'a' must be an integer (got number)"),
            std::string::npos);
  EXPECT_NE(error_text(3, "add", {{"a", 1}}).find("argument 'b' is required"), std::string::npos);
  EXPECT_NE(error_text(4, "add", {{"a", 1}, {"b", 101}}).find("argument 'b' must be <= 100"), std::string::npos);
  EXPECT_NE(error_text(5, "echo", {{"text", "x"}, {"extra", 1}}).find("argument 'extra' is not a known argument"),
            std::string::npos);
  EXPECT_NE(error_text(6, "echo", {{"text", ""}}).find("at least 1 characters"), std::string::npos);
  // An integral float is an integer in JSON Schema.
  EXPECT_EQ(tool(7, "add", {{"a", 2.0}, {"b", 3}})["result"]["content"][0]["text"], "5");
}

TEST_F(ServerTest, UnknownToolIsInvalidParams) {
  initialize();
  const Json r = tool(1, "nope", Json::object());
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("nope"), std::string::npos);
  EXPECT_EQ(call(2, "tools/call", {{"arguments", Json::object()}})["error"]["code"], -32602);
  EXPECT_EQ(call(3, "tools/call", {{"name", "echo"}, {"arguments", "x"}})["error"]["code"], -32602);
}

TEST_F(ServerTest, HandlerErrorsAreToolResults) {
  initialize();
  const Json r = tool(1, "fail", Json::object())["result"];
  EXPECT_EQ(r["isError"], true);
  EXPECT_EQ(r["content"][0]["text"], "no symbol named Foo");
}

TEST_F(ServerTest, ProgressIsStrictlyIncreasingAndPrecedesTheResponse) {
  initialize();
  session_->receive(req(1, "tools/call", {{"name", "slow"}, {"arguments", Json::object()}, {"_meta", {{"progressToken", "tok"}}}}));
  ASSERT_TRUE(wait_gate(slow_started_));
  gate_.release();
  const Json r = out_->response(1);
  EXPECT_EQ(r["result"]["content"][0]["text"], "slow done");
  const auto progress = out_->with_method("notifications/progress");
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0]["params"]["progressToken"], "tok");
  EXPECT_EQ(progress[0]["params"]["progress"], 1.0);
  EXPECT_EQ(progress[0]["params"]["total"], 3.0);
  EXPECT_EQ(progress[0]["params"]["message"], "one");
  EXPECT_EQ(progress[1]["params"]["progress"], 2.0);
  // Both notifications come before the response.
  const auto all = out_->all();
  EXPECT_TRUE(all.back().contains("result"));
}

TEST_F(ServerTest, NoProgressWithoutToken) {
  initialize();
  gate_.release();
  tool(1, "slow", Json::object());
  EXPECT_TRUE(out_->with_method("notifications/progress").empty());
}

TEST_F(ServerTest, CancellationSuppressesTheResponse) {
  initialize();
  session_->receive(req(1, "tools/call", {{"name", "slow"}, {"arguments", Json::object()}}));
  ASSERT_TRUE(wait_gate(slow_started_));
  session_->receive(note("notifications/cancelled", {{"requestId", 1}, {"reason", "user"}}));
  ASSERT_TRUE(wait_gate(slow_finished_));
  EXPECT_TRUE(saw_cancel_.load());
  EXPECT_EQ(call(2, "ping")["result"], Json::object());
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(out_->response(1, 10ms).is_null());
  EXPECT_EQ(session_->in_flight(), 0u);
}

TEST_F(ServerTest, InitializeCannotBeCancelled) {
  session_->receive(note("notifications/cancelled", {{"requestId", 1}}));
  session_->receive(req(1, "initialize", {{"protocolVersion", "2025-06-18"}}));
  EXPECT_TRUE(out_->response(1).contains("result"));
}

TEST_F(ServerTest, ConcurrentRequestsAnswerOutOfOrder) {
  initialize();
  session_->receive(req("slow", "tools/call", {{"name", "slow"}, {"arguments", Json::object()}}));
  ASSERT_TRUE(wait_gate(slow_started_));
  const Json fast = tool("fast", "echo", {{"text", "quick"}});
  EXPECT_EQ(fast["result"]["content"][0]["text"], "quick");
  EXPECT_TRUE(out_->response("slow", 10ms).is_null());
  gate_.release();
  EXPECT_EQ(out_->response("slow")["result"]["content"][0]["text"], "slow done");
  const auto all = out_->all();
  std::size_t fast_at = 0, slow_at = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (all[i].value("id", Json()) == "fast") fast_at = i;
    if (all[i].value("id", Json()) == "slow") slow_at = i;
  }
  EXPECT_LT(fast_at, slow_at);
}

TEST_F(ServerTest, TooManyConcurrentRequestsGetAnError) {
  initialize();
  for (int i = 0; i < 3; ++i) {
    session_->receive(req(i, "tools/call", {{"name", "slow"}, {"arguments", Json::object()}}));
  }
  const Json r = call(99, "tools/list");
  EXPECT_EQ(r["error"]["code"], -32000);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("too many concurrent requests"), std::string::npos);
  gate_.release();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(out_->response(i).contains("result"));
  EXPECT_TRUE(call(100, "tools/list").contains("result"));
}

TEST_F(ServerTest, DuplicateInFlightIdIsRejected) {
  initialize();
  session_->receive(req(1, "tools/call", {{"name", "slow"}, {"arguments", Json::object()}}));
  ASSERT_TRUE(wait_gate(slow_started_));
  session_->receive(req(1, "tools/list"));
  const Json dup = out_->wait_for([](const Json& m) { return m.contains("error"); });
  EXPECT_EQ(dup["error"]["code"], -32600);
  gate_.release();
  EXPECT_TRUE(out_->response(1).contains("result") || out_->all().size() >= 2);
}

// --- framing errors ------------------------------------------------------------------------------

TEST_F(ServerTest, TooLargeMessageIsRejectedAndSessionStaysUsable) {
  initialize();
  const std::string big = req(1, "tools/call", {{"name", "echo"}, {"arguments", {{"text", std::string(5000, 'x')}}}});
  session_->receive(big);
  const Json r = out_->wait_for([](const Json& m) { return m.contains("error"); });
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_NE(r["error"]["message"].get<std::string>().find("exceeds the 4096 bytes limit"), std::string::npos);
  EXPECT_EQ(call(2, "ping")["result"], Json::object());
}

TEST_F(ServerTest, MalformedJsonIsParseErrorWithNullId) {
  session_->receive(R"({"jsonrpc":"2.0","id":1,"method":)");
  const Json r = out_->wait_for([](const Json& m) { return m.contains("error"); });
  EXPECT_EQ(r["error"]["code"], -32700);
  EXPECT_TRUE(r["id"].is_null());
}

TEST_F(ServerTest, InvalidRequestKeepsTheIdWhenReadable) {
  session_->receive(R"({"jsonrpc":"1.0","id":5,"method":"ping"})");
  EXPECT_EQ(out_->response(5)["error"]["code"], -32600);
}

TEST_F(ServerTest, BatchRejectedOn20250618) {
  initialize("2025-06-18");
  session_->receive(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  const Json r = out_->wait_for([](const Json& m) { return m.is_object() && m.contains("error"); });
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_TRUE(r["id"].is_null());
}

TEST_F(ServerTest, BatchAcceptedOn20250326) {
  initialize("2025-03-26");
  session_->receive(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},
                        {"jsonrpc":"2.0","method":"notifications/whatever"},
                        {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"b"}}},
                        {"jsonrpc":"2.0","id":null,"method":"ping"}])");
  const Json r = out_->wait_for([](const Json& m) { return m.is_array(); });
  ASSERT_TRUE(r.is_array());
  ASSERT_EQ(r.size(), 3u);
  int found = 0;
  for (const auto& m : r) {
    if (m["id"] == 1) found += m["result"] == Json::object();
    if (m["id"] == 2) found += m["result"]["content"][0]["text"] == "b";
    if (m["id"].is_null()) found += m["error"]["code"] == -32600;
  }
  EXPECT_EQ(found, 3);
}

// --- logging -------------------------------------------------------------------------------------

TEST_F(ServerTest, SetLevelFiltersLogNotifications) {
  initialize();
  EXPECT_EQ(call(1, "logging/setLevel", {{"level", "loud"}})["error"]["code"], -32602);
  gate_.release();
  tool(2, "slow", Json::object());
  auto logs = out_->with_method("notifications/message");
  ASSERT_EQ(logs.size(), 1u);  // default level info: debug dropped
  EXPECT_EQ(logs[0]["params"]["level"], "warning");
  EXPECT_EQ(logs[0]["params"]["logger"], "slow");
  EXPECT_EQ(logs[0]["params"]["data"], "warning detail");

  EXPECT_EQ(call(3, "logging/setLevel", {{"level", "debug"}})["result"], Json::object());
  out_->clear();
  tool(4, "slow", Json::object());
  EXPECT_EQ(out_->with_method("notifications/message").size(), 2u);

  EXPECT_EQ(call(5, "logging/setLevel", {{"level", "error"}})["result"], Json::object());
  out_->clear();
  tool(6, "slow", Json::object());
  EXPECT_TRUE(out_->with_method("notifications/message").empty());
}

// --- resources, prompts, completion --------------------------------------------------------------

TEST_F(ServerTest, ResourcesListCombinesStaticAndProviders) {
  initialize();
  std::vector<std::string> uris;
  Json params = Json::object();
  for (int page = 0; page < 10; ++page) {
    const Json r = call(page, "resources/list", params);
    ASSERT_TRUE(r.contains("result")) << r.dump();
    for (const auto& res : r["result"]["resources"]) uris.push_back(res["uri"]);
    if (!r["result"].contains("nextCursor")) break;
    params = {{"cursor", r["result"]["nextCursor"]}};
  }
  EXPECT_EQ(uris, (std::vector<std::string>{"cci://static/readme", "cci://file/a", "cci://file/b"}));
  EXPECT_EQ(call(50, "resources/list", {{"cursor", "garbage"}})["error"]["code"], -32602);
}

TEST_F(ServerTest, ResourcesReadStaticProviderAndMissing) {
  initialize();
  const Json st = call(1, "resources/read", {{"uri", "cci://static/readme"}})["result"]["contents"][0];
  EXPECT_EQ(st["text"], "hi");
  EXPECT_EQ(st["mimeType"], "text/plain");
  const Json dyn = call(2, "resources/read", {{"uri", "cci://file/x.cpp"}})["result"]["contents"][0];
  EXPECT_EQ(dyn["uri"], "cci://file/x.cpp");
  EXPECT_EQ(dyn["text"], "int x;");
  for (const char* uri : {"cci://nope", "cci://file/missing"}) {
    const Json r = call(uri, "resources/read", {{"uri", uri}});
    EXPECT_EQ(r["error"]["code"], -32002) << uri;
    EXPECT_EQ(r["error"]["data"]["uri"], uri);
  }
  EXPECT_EQ(call(9, "resources/read", Json::object())["error"]["code"], -32602);
}

TEST_F(ServerTest, ResourceTemplatesList) {
  initialize();
  const Json r = call(1, "resources/templates/list")["result"];
  ASSERT_EQ(r["resourceTemplates"].size(), 1u);
  EXPECT_EQ(r["resourceTemplates"][0]["uriTemplate"], "cci://file/{path}");
}

TEST_F(ServerTest, ResourceSubscriptionsWhenEnabled) {
  ServerOptions options = make_options();
  options.resource_subscriptions = true;
  Server server(options);
  auto out = std::make_shared<Recorder>();
  auto session = server.open_session(out, SessionInfo{"test", "/"});
  session->receive(req(1, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}));
  EXPECT_EQ(out->response(1)["result"]["capabilities"]["resources"], Json::parse(R"({"subscribe":true})"));
  session->receive(note("notifications/initialized"));

  session->receive(req(2, "resources/subscribe", {{"uri", "test://a"}}));
  EXPECT_EQ(out->response(2)["result"], Json::object());
  session->receive(req(3, "resources/subscribe", Json::object()));
  EXPECT_EQ(out->response(3)["error"]["code"], -32602);

  server.notify_resource_updated("test://b");  // not subscribed: nothing
  server.notify_resource_updated("test://a");
  const auto is_update = [](const Json& m) { return m.value("method", "") == "notifications/resources/updated"; };
  EXPECT_EQ(out->wait_for(is_update)["params"], Json::parse(R"({"uri":"test://a"})"));
  EXPECT_EQ(out->with_method("notifications/resources/updated").size(), 1u);

  session->receive(req(4, "resources/unsubscribe", {{"uri", "test://a"}}));
  EXPECT_EQ(out->response(4)["result"], Json::object());
  server.notify_resource_updated("test://a");  // sent synchronously, so nothing can still be on its way
  EXPECT_EQ(out->with_method("notifications/resources/updated").size(), 1u);
}

TEST_F(ServerTest, PromptsListAndGet) {
  initialize();
  const Json list = call(1, "prompts/list")["result"]["prompts"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["arguments"][0]["name"], "symbol");
  EXPECT_EQ(list[0]["arguments"][0]["required"], true);
  const Json got = call(2, "prompts/get", {{"name", "explain"}, {"arguments", {{"symbol", "Foo"}}}});
  EXPECT_EQ(got["result"]["messages"][0]["content"]["text"], "Explain Foo");
  const Json missing = call(3, "prompts/get", {{"name", "explain"}, {"arguments", Json::object()}});
  EXPECT_EQ(missing["error"]["code"], -32602);
  EXPECT_NE(missing["error"]["message"].get<std::string>().find("symbol"), std::string::npos);
  EXPECT_EQ(call(4, "prompts/get", {{"name", "nope"}})["error"]["code"], -32602);
}

TEST_F(ServerTest, CompletionCapsValuesAt100) {
  initialize();
  const Json r = call(1, "completion/complete",
                      {{"ref", {{"type", "ref/prompt"}, {"name", "explain"}}}, {"argument", {{"name", "symbol"}, {"value", "Fo"}}}});
  const Json& c = r["result"]["completion"];
  EXPECT_EQ(c["values"].size(), 100u);
  EXPECT_EQ(c["values"][0], "Fo0");
  EXPECT_EQ(c["total"], 150);
  EXPECT_EQ(c["hasMore"], true);
  const Json res = call(2, "completion/complete",
                        {{"ref", {{"type", "ref/resource"}, {"uri", "cci://file/{path}"}}}, {"argument", {{"name", "path"}, {"value", ""}}}});
  EXPECT_EQ(res["result"]["completion"]["values"], Json::array());
  EXPECT_EQ(call(3, "completion/complete",
                 {{"ref", {{"type", "ref/prompt"}, {"name", "nope"}}}, {"argument", {{"name", "x"}, {"value", ""}}}})["error"]["code"],
            -32602);
}

// --- server -> client requests -------------------------------------------------------------------

TEST_F(ServerTest, RequestClientRoundTripAndRootsDefaultPath) {
  initialize("2025-06-18", {{"roots", {{"listChanged", true}}}});
  session_->receive(req(1, "tools/call", {{"name", "ask_client"}, {"arguments", Json::object()}}));
  // Answer every roots/list the server sends (the tool asks once, default_project_path once more).
  for (int answered = 0; answered < 2;) {
    const Json ask = out_->wait_for([&](const Json& m) {
      return m.value("method", "") == "roots/list" && m["id"] == "srv-" + std::to_string(answered + 1);
    });
    ASSERT_FALSE(ask.is_null()) << "no roots/list request";
    EXPECT_TRUE(ask["id"].is_string());
    session_->receive(Json{{"jsonrpc", "2.0"},
                           {"id", ask["id"]},
                           {"result", {{"roots", {{{"uri", "file:///home/u/my%20proj"}, {"name", "p"}}}}}}}
                          .dump());
    ++answered;
  }
  const Json r = out_->response(1);
  EXPECT_EQ(r["result"]["structuredContent"]["project"], "/home/u/my proj");
  // Cached: no further roots/list.
  EXPECT_EQ(tool(2, "where", Json::object())["result"]["content"][0]["text"], "/home/u/my proj");
  EXPECT_EQ(out_->with_method("roots/list").size(), 2u);
}

TEST_F(ServerTest, RequestClientTimesOutAndCancels) {
  initialize("2025-06-18", {{"roots", Json::object()}});
  const Json r = tool(1, "ask_client", {{"timeout_ms", 50}});
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("did not answer"), std::string::npos);
  const auto cancels = out_->with_method("notifications/cancelled");
  ASSERT_EQ(cancels.size(), 1u);
  EXPECT_EQ(cancels[0]["params"]["requestId"], "srv-1");
}

TEST_F(ServerTest, RequestClientNeedsTheCapability) {
  initialize();
  const Json r = tool(1, "ask_client", Json::object());
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_TRUE(out_->with_method("roots/list").empty());
  EXPECT_EQ(tool(2, "where", Json::object())["result"]["content"][0]["text"], "/work/dir");
}

TEST_F(ServerTest, CloseCancelsInFlightAndSilencesTheSession) {
  initialize();
  session_->receive(req(1, "tools/call", {{"name", "slow"}, {"arguments", Json::object()}}));
  ASSERT_TRUE(wait_gate(slow_started_));
  session_->close();
  ASSERT_TRUE(wait_gate(slow_finished_));
  EXPECT_TRUE(saw_cancel_.load());
  session_->receive(req(2, "ping"));
  std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(out_->response(1, 10ms).is_null());
  EXPECT_TRUE(out_->response(2, 10ms).is_null());
}

// --- daemon features: worker pools, backpressure, request records, stats, client directory -------

// Polls `pred` until it holds or the deadline passes (no sleep stands in for synchronisation).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A small server with one worker per pool, blocking tools on each pool, and a request log.
class PoolTest : public ::testing::Test {
 protected:
  static ServerOptions options(std::size_t max_queued) {
    ServerOptions o;
    o.worker_threads = 1;
    o.index_threads = 1;
    o.max_queued_requests = max_queued;
    return o;
  }

  void start(ServerOptions o) {
    o.on_request = [this](const RequestRecord& r) {
      std::lock_guard lock(records_mutex_);
      records_.push_back({std::string(r.method), std::string(r.tool), std::string(r.outcome)});
      EXPECT_GE(r.duration.count(), 0);
    };
    server_ = std::make_unique<Server>(std::move(o));
    const auto blocking = [](Gate& started, Gate& release, std::string answer) {
      return [&started, &release, answer](ToolContext& ctx) -> Result<ToolResult> {
        started.release();
        if (!release.wait(ctx, 10s)) return make_error(ErrorCode::Cancelled, "cancelled");
        return ToolResult::text(answer);
      };
    };
    server_->add_tool(ToolSpec{.name = "block",
                               .input_schema = Json{{"type", "object"}},
                               .handler = blocking(query_started_, query_release_, "query done")});
    server_->add_tool(ToolSpec{.name = "index",
                               .input_schema = Json{{"type", "object"}},
                               .handler = blocking(index_started_, index_release_, "index done"),
                               .pool = ToolPool::Index});
    server_->add_tool(ToolSpec{.name = "echo",
                               .input_schema = Json{{"type", "object"}},
                               .handler = [](ToolContext& ctx) -> Result<ToolResult> {
                                 return ToolResult::text(ctx.arguments().value("text", std::string("echo")));
                               }});
    server_->add_tool(ToolSpec{.name = "refuse",
                               .input_schema = Json{{"type", "object"}},
                               .handler = [](ToolContext&) -> Result<ToolResult> {
                                 return ToolResult::error("nothing to see");
                               }});
    server_->add_tool(ToolSpec{.name = "where",
                               .input_schema = Json{{"type", "object"}},
                               .handler = [](ToolContext& ctx) -> Result<ToolResult> {
                                 return ToolResult::text(ctx.default_project_path().string());
                               }});
  }

  std::shared_ptr<Session> open(const std::shared_ptr<Recorder>& out, Json meta = nullptr) {
    auto session = server_->open_session(out, SessionInfo{"test", "/work/dir"});
    Json params = {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}};
    if (!meta.is_null()) params["_meta"] = std::move(meta);
    session->receive(req("init", "initialize", std::move(params)));
    EXPECT_TRUE(out->response("init").contains("result"));
    session->receive(note("notifications/initialized"));
    return session;
  }

  static std::string call_tool(const Json& id, std::string_view name) {
    return req(id, "tools/call", {{"name", name}, {"arguments", Json::object()}});
  }

  static std::string text(const Json& response) {
    return response["result"]["content"][0].value("text", std::string());
  }

  struct Record {
    std::string method, tool, outcome;
    bool operator==(const Record&) const = default;
  };
  std::vector<Record> records() {
    std::lock_guard lock(records_mutex_);
    return records_;
  }

  void TearDown() override {
    query_release_.release();
    index_release_.release();
  }

  Gate query_started_, query_release_, index_started_, index_release_;
  std::mutex records_mutex_;
  std::vector<Record> records_;
  std::unique_ptr<Server> server_;  // last: destroyed (and drained) before the gates
};

TEST_F(PoolTest, IndexToolsDoNotOccupyTheQueryWorker) {
  start(options(16));
  auto out = std::make_shared<Recorder>();
  auto session = open(out);
  session->receive(call_tool(1, "index"));
  ASSERT_TRUE(wait_gate(index_started_));
  // The only query worker is free: a query answers while indexing holds the only index worker.
  session->receive(call_tool(2, "echo"));
  EXPECT_EQ(text(out->response(2)), "echo");
  // A second index job waits for the index worker instead of taking a query worker.
  session->receive(call_tool(3, "index"));
  EXPECT_TRUE(eventually([&] { return server_->stats().queued == 1; })) << server_->stats().queued;
  session->receive(call_tool(4, "echo"));
  EXPECT_EQ(text(out->response(4)), "echo");
  EXPECT_TRUE(out->response(1, 10ms).is_null());
  index_release_.release();
  EXPECT_EQ(text(out->response(1)), "index done");
  EXPECT_EQ(text(out->response(3)), "index done");
}

TEST_F(PoolTest, QueryToolsDoNotWaitForTheIndexWorkerEither) {
  start(options(16));
  auto out = std::make_shared<Recorder>();
  auto session = open(out);
  session->receive(call_tool(1, "block"));
  ASSERT_TRUE(wait_gate(query_started_));
  session->receive(call_tool(2, "index"));
  ASSERT_TRUE(wait_gate(index_started_));  // runs although the query worker is busy
  query_release_.release();
  index_release_.release();
  EXPECT_EQ(text(out->response(1)), "query done");
  EXPECT_EQ(text(out->response(2)), "index done");
}

TEST_F(PoolTest, FullQueueAnswersServerBusyAtOnce) {
  start(options(2));
  auto out = std::make_shared<Recorder>();
  auto other_out = std::make_shared<Recorder>();
  auto session = open(out);
  auto other = open(other_out);
  session->receive(call_tool(1, "block"));
  ASSERT_TRUE(wait_gate(query_started_));  // running, so no longer queued
  session->receive(call_tool(2, "echo"));
  other->receive(call_tool(3, "echo"));  // the bound counts every session
  EXPECT_EQ(server_->stats().queued, 2u);
  // Beyond the bound: refused at once, from either session, whatever the method.
  const Json busy = [&] {
    session->receive(call_tool(4, "echo"));
    return out->response(4);
  }();
  EXPECT_EQ(busy["error"]["code"], -32000) << busy.dump();
  EXPECT_EQ(busy["error"]["message"], "server busy: 2 requests queued; retry shortly");
  other->receive(req(5, "tools/list"));
  EXPECT_EQ(other_out->response(5)["error"]["code"], -32000);
  // ping stays inline and is never refused.
  session->receive(req(6, "ping"));
  EXPECT_TRUE(out->response(6).contains("result"));

  query_release_.release();
  EXPECT_EQ(text(out->response(1)), "query done");
  EXPECT_EQ(text(out->response(2)), "echo");
  EXPECT_EQ(text(other_out->response(3)), "echo");
  EXPECT_TRUE(eventually([&] { return server_->stats().queued == 0; }));
  session->receive(call_tool(7, "echo"));
  EXPECT_EQ(text(out->response(7)), "echo");
}

TEST_F(PoolTest, EveryRequestIsRecordedWithItsOutcome) {
  start(options(16));
  auto out = std::make_shared<Recorder>();
  auto session = open(out);  // initialize
  session->receive(req(1, "ping"));
  session->receive(call_tool(2, "echo"));
  ASSERT_FALSE(out->response(2).is_null());
  session->receive(call_tool(3, "refuse"));
  ASSERT_FALSE(out->response(3).is_null());
  session->receive(call_tool(4, "nope"));
  ASSERT_FALSE(out->response(4).is_null());
  session->receive(req(5, "no/such/method"));
  ASSERT_FALSE(out->response(5).is_null());
  session->receive(call_tool(6, "block"));
  ASSERT_TRUE(wait_gate(query_started_));
  session->receive(note("notifications/cancelled", {{"requestId", 6}}));
  ASSERT_TRUE(eventually([&] { return records().size() == 7; })) << records().size();
  std::vector<Record> expected = {{"initialize", "", "ok"},          {"ping", "", "ok"},
                                  {"tools/call", "echo", "ok"},      {"tools/call", "refuse", "tool_error"},
                                  {"tools/call", "nope", "error"},   {"no/such/method", "", "error"},
                                  {"tools/call", "block", "cancelled"}};
  // Workers report after sending, so an inline answer may be recorded before a worker's.
  std::vector<Record> got = records();
  const auto order = [](const Record& a, const Record& b) {
    return std::tie(a.method, a.tool, a.outcome) < std::tie(b.method, b.tool, b.outcome);
  };
  std::sort(got.begin(), got.end(), order);
  std::sort(expected.begin(), expected.end(), order);
  EXPECT_EQ(got, expected);
  EXPECT_TRUE(out->response(6, 10ms).is_null());
}

TEST_F(PoolTest, StatsCountSessionsInFlightAndQueued) {
  start(options(16));
  EXPECT_EQ(server_->stats().open_sessions, 0u);
  auto out = std::make_shared<Recorder>();
  auto other_out = std::make_shared<Recorder>();
  auto session = open(out);
  auto other = open(other_out);
  EXPECT_EQ(server_->stats().open_sessions, 2u);
  other->close();
  EXPECT_EQ(server_->stats().open_sessions, 1u);

  session->receive(call_tool(1, "block"));
  ASSERT_TRUE(wait_gate(query_started_));
  session->receive(call_tool(2, "echo"));
  ServerStats stats = server_->stats();
  EXPECT_EQ(stats.in_flight, 2u);
  EXPECT_EQ(stats.queued, 1u);
  query_release_.release();
  ASSERT_FALSE(out->response(2).is_null());
  EXPECT_TRUE(eventually([&] { return server_->stats().in_flight == 0; }));
  EXPECT_EQ(server_->stats().queued, 0u);
}

TEST_F(PoolTest, ClientWorkingDirectoryFromInitializeMeta) {
  start(options(16));
  const auto where = [&](Json meta) {
    auto out = std::make_shared<Recorder>();
    auto session = open(out, std::move(meta));
    session->receive(call_tool(1, "where"));
    return text(out->response(1));
  };
  EXPECT_EQ(where(nullptr), "/work/dir");
  EXPECT_EQ(where({{std::string(kWorkingDirectoryMeta), "/home/client/repo"}}), "/home/client/repo");
  EXPECT_EQ(where({{std::string(kWorkingDirectoryMeta), "relative/repo"}}), "/work/dir");
  EXPECT_EQ(where({{std::string(kWorkingDirectoryMeta), 42}}), "/work/dir");
  EXPECT_EQ(where({{"other", "/elsewhere"}}), "/work/dir");
}

// --- answering at once (ToolSpec::answer_at_once, the result cache's path) ----------------------

// A tool whose answer_at_once answers {"key":"hit"} from a serialised result and leaves every
// other call to its handler on the pool, recording which thread did what.
class AtOnceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.worker_threads = 1;
    o.on_request = [this](const RequestRecord& r) {
      std::lock_guard lock(mutex_);
      outcomes_.emplace_back(r.outcome);
    };
    server_ = std::make_unique<Server>(std::move(o));
    server_->add_tool(ToolSpec{
        .name = "lookup",
        .input_schema = Json::parse(R"({"type":"object","properties":{"key":{"type":"string"}},"required":["key"]})"),
        .handler = [this](ToolContext& ctx) -> Result<ToolResult> {
          handler_thread_ = std::this_thread::get_id();
          if (ctx.arguments()["key"] == "wait") {
            released_.wait(ctx);
          }
          ToolResult r = ToolResult::text("from the handler");
          r.meta = Json{{"gen", 1}};
          return r;
        },
        .answer_at_once = [this](ToolContext& ctx) -> std::optional<ToolResult> {
          ++at_once_calls_;
          at_once_thread_ = std::this_thread::get_id();
          known_ = ctx.known_project_path();
          const auto start = std::chrono::steady_clock::now();
          asked_ = ctx.request_client("roots/list", Json::object(), 5s).has_value();
          ask_took_ = std::chrono::steady_clock::now() - start;
          if (ctx.arguments()["key"] != "hit") return std::nullopt;
          ToolResult r;
          r.serialized = std::make_shared<const std::string>(R"({"content":[{"text":"from the cache","type":"text"}]})");
          r.meta = Json{{"gen", 2}};
          return r;
        }});
  }

  std::shared_ptr<Session> open(Json capabilities = Json::object()) {
    auto session = server_->open_session(out_, SessionInfo{"test", "/work/dir"});
    session->receive(req("init", "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", capabilities}}));
    EXPECT_TRUE(out_->response("init").contains("result"));
    session->receive(note("notifications/initialized"));
    return session;
  }

  static std::string lookup(const Json& id, Json key) {
    return req(id, "tools/call", {{"name", "lookup"}, {"arguments", {{"key", std::move(key)}}}});
  }

  std::vector<std::string> outcomes() {
    std::lock_guard lock(mutex_);
    return outcomes_;
  }

  void TearDown() override { released_.release(); }

  Gate released_;
  std::atomic<int> at_once_calls_{0};
  std::thread::id at_once_thread_;               // written on the receiving (test) thread
  std::atomic<std::thread::id> handler_thread_{};  // written on a worker
  std::optional<std::filesystem::path> known_;
  bool asked_ = true;
  std::chrono::steady_clock::duration ask_took_{};
  std::mutex mutex_;
  std::vector<std::string> outcomes_;
  std::shared_ptr<Recorder> out_ = std::make_shared<Recorder>();
  std::unique_ptr<Server> server_;  // last: destroyed (and drained) before what its tools use
};

TEST_F(AtOnceTest, AHitIsAnsweredOnTheReceivingThreadBeforeReceiveReturns) {
  auto session = open();
  session->receive(lookup(1, "hit"));
  // Already there: no worker was involved, so no waiting.
  const Json response = out_->response(1, 0ms);
  ASSERT_FALSE(response.is_null());
  EXPECT_EQ(response["result"], Json::parse(R"({"_meta":{"gen":2},"content":[{"text":"from the cache","type":"text"}]})"));
  EXPECT_EQ(at_once_thread_, std::this_thread::get_id());
  EXPECT_EQ(handler_thread_.load(), std::thread::id{});
  EXPECT_EQ(server_->stats().in_flight, 0u);
  EXPECT_EQ(server_->stats().queued, 0u);
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"ok", "ok"}));  // initialize, then the call
}

TEST_F(AtOnceTest, AnythingElseRunsTheHandlerOnThePool) {
  auto session = open();
  session->receive(lookup(1, "miss"));
  const Json response = out_->response(1);
  EXPECT_EQ(response["result"]["content"][0]["text"], "from the handler");
  EXPECT_EQ(response["result"]["_meta"]["gen"], 1);
  EXPECT_EQ(at_once_calls_, 1);
  EXPECT_NE(handler_thread_.load(), std::thread::id{});
  EXPECT_NE(handler_thread_.load(), std::this_thread::get_id());
  // Invalid arguments are not offered at once: the pool path reports them.
  session->receive(lookup(2, 7));
  const Json invalid = out_->response(2);
  EXPECT_EQ(invalid["result"]["isError"], true);
  EXPECT_NE(invalid["result"]["content"][0]["text"].get<std::string>().find("Invalid arguments"), std::string::npos);
  EXPECT_EQ(at_once_calls_, 1);
  EXPECT_TRUE(eventually([&] { return outcomes().size() == 3; }));
  EXPECT_EQ(outcomes().back(), "tool_error");
}

TEST_F(AtOnceTest, ItsContextNeverWaitsForTheClient) {
  // No roots declared: the session's directory is known.
  auto plain = open();
  plain->receive(lookup(1, "hit"));
  ASSERT_FALSE(out_->response(1, 0ms).is_null());
  EXPECT_EQ(known_, std::filesystem::path("/work/dir"));
  EXPECT_FALSE(asked_);
  EXPECT_LT(ask_took_, 1s);
  // Roots declared but not listed yet: finding the directory would need a round trip, so it is
  // unknown here; and a request to the client fails at once instead of being sent.
  out_->clear();
  auto rooted = open({{"roots", Json::object()}});
  rooted->receive(lookup(2, "hit"));
  ASSERT_FALSE(out_->response(2, 0ms).is_null());
  EXPECT_EQ(known_, std::nullopt);
  EXPECT_FALSE(asked_);
  EXPECT_LT(ask_took_, 1s);
  EXPECT_TRUE(out_->with_method("roots/list").empty());
}

TEST_F(AtOnceTest, AnIdInFlightIsRefusedEvenForAHit) {
  auto session = open();
  session->receive(lookup(1, "wait"));
  ASSERT_TRUE(eventually([&] { return handler_thread_.load() != std::thread::id{}; }));
  session->receive(lookup(1, "hit"));
  const Json dup = out_->wait_for([](const Json& m) { return m.contains("error"); });
  EXPECT_EQ(dup["error"]["code"], -32600);
  released_.release();
  const Json first = out_->wait_for([](const Json& m) { return m.value("id", Json()) == 1 && m.contains("result"); });
  ASSERT_FALSE(first.is_null());
  EXPECT_EQ(first["result"]["content"][0]["text"], "from the handler");
}

TEST(ToolResultText, SerialisedResultsSpliceMetaAsTheValueWouldDumpIt) {
  const Json body = {{"content", {{{"type", "text"}, {"text", "a\nb \"c\""}}}}, {"structuredContent", {{"n", 3}}}};
  const Json meta = {{"cci/indexGeneration", 7}, {"cci/pendingChanges", 0}};
  ToolResult value;
  value.content = body["content"];
  value.structured = body["structuredContent"];
  value.meta = meta;
  ToolResult text;
  text.serialized = std::make_shared<const std::string>(rpc::to_text(body));
  text.meta = meta;
  const std::string expected = detail::tool_result_text(value);
  EXPECT_EQ(detail::tool_result_text(text), expected);
  EXPECT_EQ(detail::tool_result_json(text), Json::parse(expected));  // the session-less path
  ToolResult bare;
  bare.serialized = text.serialized;
  EXPECT_EQ(detail::tool_result_text(bare), rpc::to_text(body));
  ToolResult empty;
  empty.serialized = std::make_shared<const std::string>("{}");
  empty.meta = meta;
  EXPECT_EQ(detail::tool_result_text(empty), rpc::to_text(Json{{"_meta", meta}}));
}

}  // namespace
}  // namespace cci::mcp
