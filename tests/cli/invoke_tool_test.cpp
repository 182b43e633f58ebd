// tests/cli/invoke_tool_test.cpp — mcp::invoke_tool, the in-process half of the CLI's "same output
// with or without the daemon": on the real code tools over a temporary indexed repository, its
// result must be exactly the tools/call result a Session produces for the same call, errors and
// argument validation included.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "core/paths.h"
#include "index/indexer.h"
#include "mcp/code_tools.h"
#include "temp_dir.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kRepo = {
    {"pkg/__init__.py", "from .core import Engine\n"},
    {"pkg/core.py",
     "from .util import helper\n\n\nclass Engine:\n    \"\"\"Drives everything.\"\"\"\n\n    def run(self):\n"
     "        return helper(1)\n"},
    {"pkg/util.py", "def helper(x):\n    \"\"\"Adds one.\"\"\"\n    return x + 1\n\n\ndef unused():\n    pass\n"},
};

// Collects a session's outgoing messages so a response can be awaited by id.
class Recorder final : public Outbound {
 public:
  void send(std::string message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(Json::parse(message));
    changed_.notify_all();
  }

  Json response(int id) {
    std::unique_lock lock(mutex_);
    Json found;
    changed_.wait_for(lock, 60s, [&] {
      for (const auto& m : messages_)
        if (m.contains("id") && m["id"] == id && !m.contains("method")) {
          found = m;
          return true;
        }
      return false;
    });
    return found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> messages_;
};

class InvokeToolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write_all(kRepo);
    index::IndexOptions options;
    options.data_dir = data_dir();
    options.workers = 2;
    auto report = index::index_project(repo_.path(), options);
    ASSERT_TRUE(report.has_value()) << report.error().describe();
    tools_ = make_code_tools(CodeToolsOptions{data_dir()});

    server_ = std::make_unique<Server>(ServerOptions{.version = "test", .worker_threads = 2});
    for (const auto& t : tools_.tools) server_->add_tool(t);
    out_ = std::make_shared<Recorder>();
    session_ = server_->open_session(out_, SessionInfo{"stdio", repo_.path()});
    const Json init = rpc("initialize", {{"protocolVersion", std::string(kLatestProtocolVersion)},
                                         {"capabilities", Json::object()},
                                         {"clientInfo", {{"name", "invoke-tool-test"}, {"version", "1"}}}});
    ASSERT_TRUE(init.contains("result")) << init.dump();
    session_->receive(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump());
  }

  void TearDown() override {
    if (session_) session_->close();
  }

  fs::path data_dir() const { return home_.path() / "data"; }

  Json rpc(std::string_view method, Json params) {
    const int id = ++next_id_;
    session_->receive(Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}.dump());
    return out_->response(id);
  }

  // What a client gets from tools/call for the same call.
  Json through_session(const std::string& tool, const Json& arguments) {
    const Json response = rpc("tools/call", {{"name", tool}, {"arguments", arguments}});
    EXPECT_TRUE(response.contains("result")) << response.dump();
    return response.value("result", Json::object());
  }

  const ToolSpec& spec(const std::string& name) const {
    for (const auto& t : tools_.tools)
      if (t.name == name) return t;
    ADD_FAILURE() << "no tool " << name;
    return tools_.tools.front();
  }

  static std::string text_of(const Json& result) { return result["content"][0]["text"].get<std::string>(); }

  testing::TempDir repo_;
  testing::TempDir home_;
  CodeTools tools_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<Recorder> out_;
  std::shared_ptr<Session> session_;
  int next_id_ = 0;
};

TEST_F(InvokeToolTest, AnswersExactlyAsToolsCallDoes) {
  const std::string root = canonical_root(repo_.path()).string();
  const std::vector<std::pair<std::string, Json>> calls = {
      {"search_code", {{"terms", "helper"}, {"project_path", root}}},
      {"search_code", {{"terms", "engine run"}, {"mode", "all"}, {"limit", 1}}},
      {"find_definition", {{"name", "helper"}, {"include_body", true}}},
      {"find_definition", {{"name", "helpr"}}},                        // isError with suggestions
      {"find_references", {{"name", "helper"}, {"project_path", root}}},
      {"find_callees", {{"name", "pkg.core.Engine.run"}}},
      {"get_file_outline", {{"path", "pkg/core.py"}}},
      {"get_file_outline", {{"path", "pkg/nope.py"}}},                 // isError: not in the index
      {"query_important_code", {{"node_type", "function"}, {"limit", 2}}},
      {"search_code", {{"terms", 42}, {"limit", 0}, {"bogus", true}}},  // fails validation
      {"search_code", {{"terms", "helper"}, {"project_path", home_.path().string()}}},  // not indexed
  };
  for (const auto& [tool, arguments] : calls) {
    const Json direct = invoke_tool(spec(tool), arguments, repo_.path());
    const Json served = through_session(tool, arguments);
    EXPECT_EQ(direct.dump(), served.dump()) << tool << " " << arguments.dump();
  }
}

TEST_F(InvokeToolTest, ReturnsStructuredResults) {
  const Json r = invoke_tool(spec("search_code"), {{"terms", "helper"}}, repo_.path());
  ASSERT_FALSE(r.contains("isError")) << r.dump();
  ASSERT_TRUE(r["content"].is_array());
  EXPECT_EQ(r["content"][0]["type"], "text");
  const Json& hits = r["structuredContent"]["results"];
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["qualified_name"], "pkg.util.helper");
  EXPECT_EQ(hits[0]["path"], "pkg/util.py");
  EXPECT_EQ(hits[0]["line"], 1);
  EXPECT_EQ(r["structuredContent"]["project"], canonical_root(repo_.path()).string());
}

TEST_F(InvokeToolTest, WorkingDirectoryIsTheDefaultProject) {
  // No project_path: the working directory decides, including a subdirectory of the root.
  const Json inside = invoke_tool(spec("find_definition"), {{"name", "Engine"}}, repo_.path() / "pkg");
  ASSERT_FALSE(inside.value("isError", false)) << inside.dump();
  EXPECT_EQ(inside["structuredContent"]["definitions"][0]["path"], "pkg/core.py");

  const Json outside = invoke_tool(spec("find_definition"), {{"name", "Engine"}}, home_.path());
  ASSERT_TRUE(outside.value("isError", false)) << outside.dump();
  EXPECT_NE(text_of(outside).find("is not indexed"), std::string::npos) << text_of(outside);
  EXPECT_FALSE(outside.contains("structuredContent"));
}

TEST_F(InvokeToolTest, InvalidArgumentsUseTheServersMessage) {
  const Json r = invoke_tool(spec("find_callees"), {{"name", "helper"}, {"limit", "many"}, {"colour", "red"}}, repo_.path());
  ASSERT_EQ(r.value("isError", false), true) << r.dump();
  const std::string text = text_of(r);
  EXPECT_TRUE(text.starts_with("Invalid arguments for tool 'find_callees': ")) << text;
  EXPECT_TRUE(text.ends_with(".")) << text;
  EXPECT_NE(text.find("limit"), std::string::npos) << text;
  EXPECT_NE(text.find("colour"), std::string::npos) << text;
  EXPECT_NE(text.find("; "), std::string::npos) << text;  // both violations, joined

  const Json missing = invoke_tool(spec("find_definition"), Json(), repo_.path());  // null = no arguments
  ASSERT_EQ(missing.value("isError", false), true);
  EXPECT_NE(text_of(missing).find("name"), std::string::npos) << text_of(missing);

  const Json not_object = invoke_tool(spec("find_definition"), Json::array({"helper"}), repo_.path());
  ASSERT_EQ(not_object.value("isError", false), true);
  EXPECT_EQ(text_of(not_object), "tools/call params.arguments must be an object");
}

TEST(InvokeTool, ContextHasNoClientBehindIt) {
  testing::TempDir dir;
  ToolSpec probe;
  probe.name = "probe";
  probe.input_schema = {{"type", "object"}, {"properties", {{"x", {{"type", "integer"}}}}}};
  probe.handler = [](ToolContext& ctx) -> Result<ToolResult> {
    ctx.progress(1, 2, "ignored");
    ctx.log(LogLevel::Info, "probe", "ignored");
    auto roots = ctx.request_client("roots/list", Json::object(), 1s);
    Json seen = {{"x", ctx.arguments().value("x", -1)},
                 {"cancelled", ctx.cancelled()},
                 {"request_client", roots ? std::string("answered") : std::string(to_string(roots.error().code))},
                 {"capabilities", ctx.client_capabilities()},
                 {"client_info", ctx.client_info()},
                 {"project", ctx.default_project_path().string()}};
    ToolResult r = ToolResult::text("ok");
    r.structured = std::move(seen);
    return r;
  };
  const Json r = invoke_tool(probe, {{"x", 7}}, dir.path());
  ASSERT_FALSE(r.contains("isError")) << r.dump();
  EXPECT_EQ(r["content"], Json::array({Json{{"type", "text"}, {"text", "ok"}}}));
  const Json& seen = r["structuredContent"];
  EXPECT_EQ(seen["x"], 7);
  EXPECT_EQ(seen["cancelled"], false);
  EXPECT_EQ(seen["request_client"], "unsupported");
  EXPECT_EQ(seen["capabilities"], Json::object());
  EXPECT_EQ(seen["client_info"], Json::object());
  EXPECT_EQ(seen["project"], dir.path().string());

  // A handler's Error becomes an isError result carrying its message, as in tools/call.
  probe.handler = [](ToolContext&) -> Result<ToolResult> { return make_error(ErrorCode::NotFound, "nothing here"); };
  const Json failed = invoke_tool(probe, Json::object(), dir.path());
  EXPECT_EQ(failed, (Json{{"content", Json::array({Json{{"type", "text"}, {"text", "nothing here"}}})}, {"isError", true}}));

  probe.handler = nullptr;
  const Json no_handler = invoke_tool(probe, Json::object(), dir.path());
  EXPECT_EQ(no_handler.value("isError", false), true);
  EXPECT_EQ(no_handler["content"][0]["text"], "tool 'probe' has no handler");
}

}  // namespace
}  // namespace cci::mcp
