// tests/mcp/code_tools_test.cpp — the code-intelligence tools, resources and prompts end to end:
// a temporary repository indexed with index::index_project, a Server with register_code_tools,
// and JSON-RPC lines through a real Session (so the protocol core's validation, dispatch and
// progress run too). Answers are asserted exactly; every structuredContent is checked against
// the tool's declared outputSchema, which is strict (additionalProperties: false throughout).
#include "mcp/code_tools.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "core/paths.h"
#include "index/indexer.h"
#include "mcp/schema.h"
#include "temp_dir.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::map<std::string, std::string> kRepo = {
    {"pkg/__init__.py", "from .core import Engine\n"},
    {"pkg/core.py",
     "\"\"\"Core engine.\"\"\"\nfrom .util import helper, parse_http_request\n\n\n"
     "class Base:\n    def run(self):\n        return self.step()\n\n    def step(self):\n        return helper(1)\n\n\n"
     "class Engine(Base):\n    \"\"\"Drives everything.\"\"\"\n\n    def step(self):\n        return parse_http_request('x')\n"},
    {"pkg/util.py",
     "def helper(x):\n    return x + 1\n\n\ndef parse_http_request(text):\n    \"\"\"Parses a request.\"\"\"\n"
     "    return helper(len(text))\n\n\ndef unused_thing():\n    pass\n"},
    {"dup/one.py", "def shared():\n    return 1\n"},
    {"dup/two.py", "def shared():\n    return 2\n"},
    {"dup/user.py", "def use_shared():\n    return shared()\n"},
    {"web/app.js", "import { render } from './view.js';\n\nexport function main() {\n  return render(42);\n}\n"},
    {"web/view.js", "export function render(x) {\n  return String(x);\n}\n"},
    {"native/lib.c", "#include \"lib.h\"\n\nint add(int a, int b) { return a + b; }\n\nint twice(int a) { return add(a, a); }\n"},
    {"native/lib.h", "int add(int a, int b);\nint twice(int a);\n"},
    {"README.md", "# not source\n"},
};

class Recorder final : public Outbound {
 public:
  void send(std::string message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(Json::parse(message));
    changed_.notify_all();
  }

  Json response(const Json& id, std::chrono::milliseconds timeout = 60s) {
    std::unique_lock lock(mutex_);
    Json found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto& m : messages_)
        if (m.contains("id") && m["id"] == id && !m.contains("method")) {
          found = m;
          return true;
        }
      return false;
    });
    return found;
  }

  std::vector<Json> with_method(std::string_view method) {
    std::lock_guard lock(mutex_);
    std::vector<Json> out;
    for (const auto& m : messages_)
      if (m.value("method", "") == method) out.push_back(m);
    return out;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> messages_;
};

std::string request_line(int id, std::string_view method, Json params) {
  return Json{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}}.dump();
}

// One Server with the code tools over one indexed temporary repository.
class CodeToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write_all(kRepo);
    index::IndexOptions options;
    options.data_dir = data_dir();
    options.workers = 2;
    auto report = index::index_project(repo_.path(), options);
    ASSERT_TRUE(report.has_value()) << report.error().describe();
    root_ = canonical_root(repo_.path()).string();
    start(20000);
  }

  void start(std::size_t max_chars, std::size_t result_cache_bytes = 0, bool memory_search_index = false) {
    if (session_) session_->close();
    session_.reset();
    server_ = std::make_unique<Server>(ServerOptions{.version = "test", .worker_threads = 3});
    stats_ = register_code_tools(*server_, CodeToolsOptions{.data_dir = data_dir(),
                                                            .max_result_chars = max_chars,
                                                            .result_cache_bytes = result_cache_bytes,
                                                            .memory_search_index = memory_search_index});
    out_ = std::make_shared<Recorder>();
    session_ = server_->open_session(out_, SessionInfo{"stdio", repo_.path()});
    const Json init = rpc("initialize", {{"protocolVersion", "2025-11-25"},
                                         {"capabilities", Json::object()},
                                         {"clientInfo", {{"name", "code-tools-test"}, {"version", "1"}}}});
    ASSERT_TRUE(init.contains("result")) << init.dump();
    session_->receive(Json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}.dump());
    const Json list = rpc("tools/list", Json::object());
    for (const auto& t : list["result"]["tools"]) schemas_[t["name"].get<std::string>()] = t;
  }

  void TearDown() override {
    if (session_) session_->close();
  }

  fs::path data_dir() const { return home_.path() / "data"; }

  Json rpc(std::string_view method, Json params) {
    const int id = ++next_id_;
    session_->receive(request_line(id, method, std::move(params)));
    Json response = out_->response(id);
    EXPECT_FALSE(response.is_null()) << "no response to " << method;
    return response;
  }

  // tools/call; checks the structuredContent of a successful call against the outputSchema.
  Json call(const std::string& tool, Json arguments, Json meta = nullptr) {
    Json params = {{"name", tool}, {"arguments", std::move(arguments)}};
    if (!meta.is_null()) params["_meta"] = std::move(meta);
    Json response = rpc("tools/call", std::move(params));
    EXPECT_TRUE(response.contains("result")) << response.dump();
    Json result = response.value("result", Json::object());
    if (!result.value("isError", false)) {
      EXPECT_TRUE(result.contains("structuredContent")) << tool;
      auto schema = schemas_.find(tool);
      EXPECT_NE(schema, schemas_.end());
      if (schema != schemas_.end() && result.contains("structuredContent")) {
        const auto errors = validate_structured_content(schema->second["outputSchema"], result["structuredContent"]);
        EXPECT_TRUE(errors.empty()) << tool << ": " << (errors.empty() ? "" : errors.front());
      }
    }
    return result;
  }

  static std::string text_of(const Json& result) { return result["content"][0]["text"].get<std::string>(); }
  static bool is_error(const Json& result) { return result.value("isError", false); }

  testing::TempDir repo_;
  testing::TempDir home_;
  std::string root_;
  std::unique_ptr<Server> server_;
  std::function<CodeToolsStats()> stats_;
  std::shared_ptr<Recorder> out_;
  std::shared_ptr<Session> session_;
  std::map<std::string, Json> schemas_;
  int next_id_ = 0;
};

TEST_F(CodeToolsTest, ListsEveryToolWithRealSchemas) {
  const std::vector<std::string> expected = {
      "index_codebase", "search_code",     "query_important_code", "get_project_stats",     "list_indexed_projects",
      "manage_cache",   "get_ignore_patterns", "find_definition", "find_references",       "find_callees",
      "get_file_outline", "get_codebase_overview", "get_index_status", "search_text"};
  EXPECT_EQ(schemas_.size(), expected.size());
  for (const auto& name : expected) {
    ASSERT_TRUE(schemas_.contains(name)) << name;
    const Json& t = schemas_[name];
    EXPECT_EQ(t["inputSchema"]["type"], "object") << name;
    EXPECT_EQ(t["inputSchema"]["additionalProperties"], false) << name;
    EXPECT_EQ(t["outputSchema"]["type"], "object") << name;
    EXPECT_FALSE(t.value("description", "").empty()) << name;
    EXPECT_EQ(t["annotations"]["openWorldHint"], false) << name;
  }
  EXPECT_EQ(schemas_["search_code"]["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(schemas_["search_code"]["annotations"]["idempotentHint"], true);
  EXPECT_EQ(schemas_["search_code"]["inputSchema"]["required"], Json::array({"terms"}));
  EXPECT_EQ(schemas_["search_code"]["inputSchema"]["properties"]["limit"]["maximum"], 200);
  EXPECT_EQ(schemas_["search_code"]["inputSchema"]["properties"]["mode"]["enum"], Json::array({"any", "all"}));
  EXPECT_EQ(schemas_["index_codebase"]["annotations"]["readOnlyHint"], false);
  EXPECT_EQ(schemas_["index_codebase"]["annotations"]["destructiveHint"], false);
  EXPECT_EQ(schemas_["index_codebase"]["annotations"]["idempotentHint"], true);
}

TEST_F(CodeToolsTest, SearchCodeRanksTheExactNameFirst) {
  const Json r = call("search_code", {{"terms", "parse_http_request"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const Json& hits = r["structuredContent"]["results"];
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["name"], "parse_http_request");
  EXPECT_EQ(hits[0]["path"], "pkg/util.py");
  EXPECT_EQ(hits[0]["line"], 5);
  EXPECT_EQ(hits[0]["kind"], "function");
  EXPECT_TRUE(hits[0]["id"].is_string());
  EXPECT_EQ(r["structuredContent"]["truncated"], false);
  const std::string text = text_of(r);
  EXPECT_NE(text.find("1. function " + hits[0]["qualified_name"].get<std::string>() + "  pkg/util.py:5  (importance "),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n   def parse_http_request(text)"), std::string::npos) << text;
}

TEST_F(CodeToolsTest, SearchCodePagesWithOffset) {
  const Json all = call("search_code", {{"terms", "step run helper"}, {"limit", 10}});
  const Json& hits = all["structuredContent"]["results"];
  ASSERT_GE(hits.size(), 3u);
  const Json first = call("search_code", {{"terms", "step run helper"}, {"limit", 2}});
  EXPECT_EQ(first["structuredContent"]["results"].size(), 2u);
  EXPECT_EQ(first["structuredContent"]["truncated"], true);
  EXPECT_EQ(first["structuredContent"]["next_offset"], 2);
  EXPECT_NE(text_of(first).find("call again with offset=2"), std::string::npos);
  const Json second = call("search_code", {{"terms", "step run helper"}, {"limit", 2}, {"offset", 2}});
  EXPECT_EQ(second["structuredContent"]["results"][0]["id"], hits[2]["id"]);
  EXPECT_EQ(second["structuredContent"]["results"][0]["rank"], 3);
}

TEST_F(CodeToolsTest, BadFiltersListValidValues) {
  Json r = call("search_code", {{"terms", "helper"}, {"type", "functon"}});
  ASSERT_TRUE(is_error(r));
  EXPECT_NE(text_of(r).find("unknown type 'functon' (one of: file, module, namespace, class"), std::string::npos) << text_of(r);
  r = call("search_code", {{"terms", "helper"}, {"lang", "cobol"}});
  ASSERT_TRUE(is_error(r));
  EXPECT_NE(text_of(r).find("unknown lang 'cobol' (one of: python, javascript"), std::string::npos) << text_of(r);
  r = call("search_code", {{"terms", "helper"}, {"type", "function"}, {"lang", "py"}, {"path", "pkg/"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(r["structuredContent"]["results"][0]["name"], "helper");
}

TEST_F(CodeToolsTest, FindDefinitionWithBody) {
  const Json r = call("find_definition", {{"name", "parse_http_request"}, {"include_body", true}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const Json& defs = r["structuredContent"]["definitions"];
  ASSERT_EQ(defs.size(), 1u);
  EXPECT_EQ(defs[0]["path"], "pkg/util.py");
  EXPECT_EQ(defs[0]["line"], 5);
  EXPECT_EQ(defs[0]["end_line"], 7);
  EXPECT_EQ(defs[0]["doc"], "Parses a request.");
  EXPECT_EQ(defs[0]["body"]["text"],
            "def parse_http_request(text):\n    \"\"\"Parses a request.\"\"\"\n    return helper(len(text))\n");
  EXPECT_EQ(defs[0]["body"]["truncated"], false);
  const std::string text = text_of(r);
  EXPECT_NE(text.find("pkg/util.py:5-7"), std::string::npos) << text;
  EXPECT_NE(text.find("    7 |     return helper(len(text))\n"), std::string::npos) << text;

  // By id too: the id string from the answer names the same symbol.
  const Json by_id = call("find_definition", {{"name", defs[0]["id"]}});
  EXPECT_EQ(by_id["structuredContent"]["definitions"][0]["qualified_name"], defs[0]["qualified_name"]);
}

TEST_F(CodeToolsTest, FindDefinitionSuggestsNearNames) {
  const Json r = call("find_definition", {{"name", "parse_http_reqest"}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r).rfind("no symbol named parse_http_reqest; did you mean: parse_http_request", 0), 0u) << text_of(r);
}

TEST_F(CodeToolsTest, FindReferencesWithResolutionKinds) {
  const Json r = call("find_references", {{"name", "helper"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const Json& s = r["structuredContent"];
  ASSERT_EQ(s["definitions"].size(), 1u);
  EXPECT_EQ(s["definitions"][0]["path"], "pkg/util.py");
  std::vector<std::string> refs;
  for (const auto& ref : s["references"])
    refs.push_back(fmt::format("{}:{} {} {} {}", ref["path"].get<std::string>(), ref["line"].get<int>(),
                               ref["kind"].get<std::string>(), ref["resolution"].get<std::string>(),
                               ref["from"]["qualified_name"].get<std::string>()));
  std::sort(refs.begin(), refs.end());
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], "pkg/core.py:10 calls import pkg.core.Base.step");
  EXPECT_EQ(refs[1], "pkg/util.py:7 calls local pkg.util.parse_http_request");
  EXPECT_TRUE(s["unresolved"].empty());
  EXPECT_NE(text_of(r).find("  pkg/core.py:10  call       pkg.core.Base.step  [import]\n"), std::string::npos) << text_of(r);

  // Two definitions of `shared` and a bare call: kept unresolved by name, never bound to a guess.
  const Json amb = call("find_references", {{"name", "shared"}});
  ASSERT_FALSE(is_error(amb)) << text_of(amb);
  EXPECT_EQ(amb["structuredContent"]["definitions"].size(), 2u);
  EXPECT_TRUE(amb["structuredContent"]["references"].empty());
  ASSERT_EQ(amb["structuredContent"]["unresolved"].size(), 1u);
  const Json& u = amb["structuredContent"]["unresolved"][0];
  EXPECT_EQ(u["path"], "dup/user.py");
  EXPECT_EQ(u["line"], 2);
  EXPECT_EQ(u["resolution"], "unresolved");
  EXPECT_EQ(u["name"], "shared");
  EXPECT_FALSE(u.contains("target"));
  EXPECT_NE(text_of(amb).find("1 unresolved reference by name"), std::string::npos) << text_of(amb);
}

TEST_F(CodeToolsTest, FindReferencesPages) {
  const Json page1 = call("find_references", {{"name", "helper"}, {"limit", 1}});
  EXPECT_EQ(page1["structuredContent"]["references"].size(), 1u);
  EXPECT_EQ(page1["structuredContent"]["truncated"], true);
  EXPECT_EQ(page1["structuredContent"]["next_offset"], 1);
  const Json page2 = call("find_references", {{"name", "helper"}, {"limit", 1}, {"offset", 1}});
  EXPECT_EQ(page2["structuredContent"]["references"].size(), 1u);
  EXPECT_EQ(page2["structuredContent"]["truncated"], false);
  EXPECT_NE(page1["structuredContent"]["references"][0], page2["structuredContent"]["references"][0]);
}

TEST_F(CodeToolsTest, FindCallees) {
  const Json r = call("find_callees", {{"name", "parse_http_request"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const Json& callees = r["structuredContent"]["callees"];
  ASSERT_EQ(callees.size(), 2u) << callees.dump();
  EXPECT_EQ(callees[0]["name"], "helper");
  EXPECT_EQ(callees[0]["resolution"], "local");
  EXPECT_EQ(callees[0]["path"], "pkg/util.py");
  EXPECT_EQ(callees[0]["line"], 7);
  EXPECT_EQ(callees[0]["column"], 12);
  EXPECT_EQ(callees[0]["target_symbol"]["line"], 1);
  EXPECT_EQ(callees[1]["name"], "len");  // a builtin: kept by name, not bound
  EXPECT_EQ(callees[1]["resolution"], "unresolved");
  EXPECT_FALSE(callees[1].contains("target_symbol"));
  EXPECT_NE(text_of(r).find("  pkg/util.py:7  call       len (unresolved)  [unresolved]\n"), std::string::npos) << text_of(r);

  // A class: its `contains` edges must not crowd the inheritance edge out of a small page.
  const Json engine = call("find_callees", {{"name", "Engine"}, {"limit", 1}});
  ASSERT_EQ(engine["structuredContent"]["callees"].size(), 1u) << engine.dump();
  EXPECT_EQ(engine["structuredContent"]["callees"][0]["kind"], "inherits");
  EXPECT_EQ(engine["structuredContent"]["callees"][0]["target_symbol"]["name"], "Base");
}

TEST_F(CodeToolsTest, FileOutlineInSourceOrder) {
  const Json r = call("get_file_outline", {{"path", "pkg/core.py"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  std::vector<std::string> order;
  for (const auto& s : r["structuredContent"]["symbols"])
    if (s["kind"] != "import") order.push_back(fmt::format("{}{}:{}", std::string(s["depth"].get<std::size_t>(), '.'),
                                                           s["name"].get<std::string>(), s["line"].get<int>()));
  EXPECT_EQ(order, (std::vector<std::string>{"Base:5", ".run:6", ".step:9", "Engine:13", ".step:16"}));
  EXPECT_EQ(r["structuredContent"]["language"], "python");
  EXPECT_EQ(text_of(r).rfind("pkg/core.py (python, 17 lines", 0), 0u) << text_of(r);
  EXPECT_NE(text_of(r).find("\n  class Base  5-10\n    method run  6-7  def run(self)\n"), std::string::npos) << text_of(r);

  // Absolute paths inside the root work; a missing file names the near ones.
  const Json abs = call("get_file_outline", {{"path", root_ + "/pkg/core.py"}});
  EXPECT_EQ(abs["structuredContent"]["path"], "pkg/core.py");
  const Json missing = call("get_file_outline", {{"path", "core.py"}});
  ASSERT_TRUE(is_error(missing));
  EXPECT_EQ(text_of(missing), "core.py is not in the index; did you mean: pkg/core.py");
}

TEST_F(CodeToolsTest, PathsOutsideTheRootAreRefused) {
  for (const std::string path : {"../outside.py", "/etc/passwd", "pkg/../../x.py"}) {
    const Json r = call("get_file_outline", {{"path", path}});
    ASSERT_TRUE(is_error(r)) << path;
    EXPECT_EQ(text_of(r).rfind("path is outside the project root", 0), 0u) << text_of(r);
  }
  const Json read = rpc("resources/read", {{"uri", "cci://file/..%2F..%2Fetc%2Fpasswd"}});
  ASSERT_TRUE(read.contains("error")) << read.dump();
  EXPECT_NE(read["error"]["message"].get<std::string>().find("path is outside the project root"), std::string::npos);
}

TEST_F(CodeToolsTest, OverviewListsLanguagesDirectoriesAndTopSymbols) {
  const Json r = call("get_codebase_overview", Json::object());
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const Json& s = r["structuredContent"];
  EXPECT_EQ(s["files"], 10);
  ASSERT_FALSE(s["languages"].empty());
  EXPECT_EQ(s["languages"][0], (Json{{"language", "python"}, {"files", 6}}));
  bool has_pkg = false;
  for (const auto& d : s["directories"]) has_pkg = has_pkg || (d["path"] == "pkg" && d["files"] == 3);
  EXPECT_TRUE(has_pkg) << s["directories"].dump();
  EXPECT_FALSE(s["top_symbols"].empty());
  for (const auto& t : s["top_symbols"]) EXPECT_NE(t["kind"], "file");
  EXPECT_NE(text_of(r).find("languages: python 6"), std::string::npos) << text_of(r);
}

TEST_F(CodeToolsTest, IndexStatusReportsChangesSinceTheIndex) {
  Json r = call("get_index_status", Json::object());
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(r["structuredContent"]["fresh"], true);
  EXPECT_EQ(r["structuredContent"]["generation"], 1);
  EXPECT_NE(text_of(r).find("up to date"), std::string::npos);

  repo_.write("pkg/util.py", kRepo.at("pkg/util.py") + "\n\ndef added():\n    pass\n");
  repo_.write("pkg/extra.py", "def extra():\n    pass\n");
  repo_.remove("web/view.js");
  r = call("get_index_status", Json::object());
  const Json& changed = r["structuredContent"]["changed"];
  EXPECT_EQ(r["structuredContent"]["fresh"], false);
  EXPECT_EQ(changed["new"], 1);
  EXPECT_EQ(changed["modified"], 1);
  EXPECT_EQ(changed["deleted"], 1);
  EXPECT_EQ(changed["new_paths"], Json::array({"pkg/extra.py"}));
  EXPECT_EQ(changed["modified_paths"], Json::array({"pkg/util.py"}));
  EXPECT_EQ(changed["deleted_paths"], Json::array({"web/view.js"}));
  EXPECT_NE(text_of(r).find("stale: 1 new, 1 modified, 1 deleted since the index — call index_codebase"), std::string::npos)
      << text_of(r);
}

TEST_F(CodeToolsTest, SearchTextFindsLinesWithColumns) {
  Json r = call("search_text", {{"query", "helper("}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  std::vector<std::string> hits;
  for (const auto& m : r["structuredContent"]["matches"])
    hits.push_back(fmt::format("{}:{}:{}", m["path"].get<std::string>(), m["line"].get<int>(), m["column"].get<int>()));
  EXPECT_EQ(hits, (std::vector<std::string>{"pkg/core.py:10:16", "pkg/util.py:1:5", "pkg/util.py:7:12"}));
  EXPECT_NE(text_of(r).find("pkg/core.py:10:16:         return helper(1)\n"), std::string::npos) << text_of(r);

  r = call("search_text", {{"query", "ENGINE"}, {"case_sensitive", false}, {"path", "pkg/core*"}});
  ASSERT_EQ(r["structuredContent"]["matches"].size(), 2u);
  EXPECT_EQ(r["structuredContent"]["matches"][0]["line"], 1);
  EXPECT_EQ(r["structuredContent"]["matches"][0]["column"], 9);
  EXPECT_EQ(r["structuredContent"]["matches"][1]["line"], 13);
  EXPECT_TRUE(call("search_text", {{"query", "ENGINE"}})["structuredContent"]["matches"].empty());

  r = call("search_text", {{"query", "def \\w+_request"}, {"regex", true}});
  ASSERT_EQ(r["structuredContent"]["matches"].size(), 1u);
  EXPECT_EQ(r["structuredContent"]["matches"][0]["path"], "pkg/util.py");
  EXPECT_EQ(r["structuredContent"]["matches"][0]["line"], 5);

  r = call("search_text", {{"query", "return helper(1)"}, {"context", 1}});
  ASSERT_EQ(r["structuredContent"]["matches"].size(), 1u);
  EXPECT_EQ(r["structuredContent"]["matches"][0]["before"], Json::array({"    def step(self):"}));
  EXPECT_EQ(r["structuredContent"]["matches"][0]["after"], Json::array({""}));
}

TEST_F(CodeToolsTest, SearchTextPagesAndRejectsBadRegex) {
  const Json page1 = call("search_text", {{"query", "return"}, {"limit", 2}});
  EXPECT_EQ(page1["structuredContent"]["matches"].size(), 2u);
  EXPECT_EQ(page1["structuredContent"]["truncated"], true);
  EXPECT_EQ(page1["structuredContent"]["next_offset"], 2);
  const Json all = call("search_text", {{"query", "return"}, {"limit", 100}});
  const Json page2 = call("search_text", {{"query", "return"}, {"limit", 2}, {"offset", 2}});
  EXPECT_EQ(page2["structuredContent"]["matches"][0], all["structuredContent"]["matches"][2]);

  const Json bad = call("search_text", {{"query", "(unclosed"}, {"regex", true}});
  ASSERT_TRUE(is_error(bad));
  EXPECT_EQ(text_of(bad).rfind("invalid regex '(unclosed'", 0), 0u) << text_of(bad);
}

TEST_F(CodeToolsTest, CharacterBudgetTruncatesWithAnOffset) {
  std::string big;
  for (int i = 0; i < 400; ++i) big += fmt::format("needle_{} = {}\n", i, i);
  repo_.write("pkg/big.py", big);
  index::IndexOptions options;
  options.data_dir = data_dir();
  ASSERT_TRUE(index::index_project(repo_.path(), options).has_value());
  start(2000);
  const Json r = call("search_text", {{"query", "needle_"}, {"limit", 500}});
  const auto shown = r["structuredContent"]["matches"].size();
  EXPECT_GT(shown, 5u);
  EXPECT_LT(shown, 400u);
  EXPECT_EQ(r["structuredContent"]["truncated"], true);
  EXPECT_EQ(r["structuredContent"]["next_offset"], shown);
  EXPECT_LE(text_of(r).size(), 2200u);
}

TEST_F(CodeToolsTest, NotIndexedProjectSaysWhatToCall) {
  testing::TempDir other;
  const std::string where = canonical_root(other.path()).string();
  const Json r = call("search_code", {{"terms", "x"}, {"project_path", where}});
  ASSERT_TRUE(is_error(r));
  EXPECT_EQ(text_of(r), fmt::format("project {} is not indexed — call index_codebase with project_path={}", where, where));
}

TEST_F(CodeToolsTest, IndexCodebaseReportsProgressAndReopensReplacedIndexes) {
  // Warm this server's connections, then re-index with force (a new file renamed over index.db).
  ASSERT_TRUE(call("find_definition", {{"name", "helper"}})["structuredContent"]["definitions"].size() == 1);
  repo_.write("pkg/fresh.py", "def brand_new_function():\n    pass\n");
  const Json r = call("index_codebase", {{"project_path", root_}, {"force", true}, {"custom_ignore", Json::array({"dup/"})}},
                      Json{{"progressToken", "idx"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(r["structuredContent"]["files"]["total"], 8);  // 10 - 3 in dup/ + fresh.py
  EXPECT_EQ(r["structuredContent"]["generation"], 2);
  EXPECT_EQ(text_of(r).rfind("Indexed " + root_, 0), 0u) << text_of(r);
  const auto progress = out_->with_method("notifications/progress");
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress[0]["params"]["progressToken"], "idx");
  // Several calls, so the workers that cached the old file each see the replaced one.
  for (int i = 0; i < 6; ++i) {
    const Json found = call("find_definition", {{"name", "brand_new_function"}});
    ASSERT_FALSE(is_error(found)) << text_of(found);
    EXPECT_EQ(found["structuredContent"]["definitions"][0]["path"], "pkg/fresh.py");
    EXPECT_TRUE(is_error(call("find_definition", {{"name", "use_shared"}})));
  }
}

TEST_F(CodeToolsTest, IndexCodebaseAcceptsThePathAlias) {
  testing::TempDir other;
  other.write("main.go", "package main\n\nfunc main() {\n\tgreet()\n}\n\nfunc greet() {}\n");
  const std::string where = canonical_root(other.path()).string();
  const Json r = call("index_codebase", {{"path", where}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(r["structuredContent"]["root"], where);
  EXPECT_EQ(r["structuredContent"]["incremental"], false);
  const Json refs = call("find_references", {{"name", "greet"}, {"project_path", where}});
  ASSERT_EQ(refs["structuredContent"]["references"].size(), 1u) << text_of(refs);
  EXPECT_EQ(refs["structuredContent"]["references"][0]["path"], "main.go");
  EXPECT_EQ(refs["structuredContent"]["references"][0]["line"], 4);
  EXPECT_EQ(call("list_indexed_projects", Json::object())["structuredContent"]["total"], 2);
}

TEST_F(CodeToolsTest, BookkeepingTools) {
  Json r = call("get_project_stats", Json::object());
  ASSERT_FALSE(is_error(r)) << text_of(r);
  EXPECT_EQ(r["structuredContent"]["files"], 10);
  EXPECT_EQ(r["structuredContent"]["files_by_language"]["python"], 6);

  r = call("list_indexed_projects", Json::object());
  ASSERT_EQ(r["structuredContent"]["projects"].size(), 1u);
  EXPECT_EQ(r["structuredContent"]["projects"][0]["root"], root_);

  r = call("query_important_code", {{"node_type", "class"}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  for (const auto& s : r["structuredContent"]["results"]) EXPECT_EQ(s["kind"], "class");
  EXPECT_EQ(r["structuredContent"]["results"].size(), 2u);

  r = call("manage_cache", {{"action", "stats"}});
  EXPECT_GE(r["structuredContent"]["total_connections"].get<int>(), 1);
  r = call("manage_cache", {{"action", "clear"}});
  EXPECT_GE(r["structuredContent"]["closed"].get<int>(), 1);
  EXPECT_FALSE(is_error(call("search_code", {{"terms", "helper"}})));  // reopens

  r = call("get_ignore_patterns", {{"custom_ignore", Json::array({"generated/"})}});
  ASSERT_FALSE(is_error(r)) << text_of(r);
  const Json& sources = r["structuredContent"]["sources"];
  EXPECT_EQ(sources.front()["origin"], "defaults");
  EXPECT_EQ(sources.back()["patterns"], Json::array({"generated/"}));
}

TEST_F(CodeToolsTest, FileAndSymbolResources) {
  const Json list = rpc("resources/list", Json::object());
  ASSERT_TRUE(list.contains("result")) << list.dump();
  bool found = false;
  for (const auto& res : list["result"]["resources"])
    if (res["uri"] == "cci://file/pkg/core.py") {
      found = true;
      EXPECT_EQ(res["mimeType"], "text/x-python");
    }
  EXPECT_TRUE(found) << list.dump();

  const Json read = rpc("resources/read", {{"uri", "cci://file/pkg/util.py"}});
  ASSERT_TRUE(read.contains("result")) << read.dump();
  EXPECT_EQ(read["result"]["contents"][0]["text"], kRepo.at("pkg/util.py"));

  const Json def = call("find_definition", {{"name", "helper"}});
  const std::string id = def["structuredContent"]["definitions"][0]["id"];
  const Json symbol = rpc("resources/read", {{"uri", "cci://symbol/" + id}});
  ASSERT_TRUE(symbol.contains("result")) << symbol.dump();
  const std::string text = symbol["result"]["contents"][0]["text"];
  EXPECT_NE(text.find("pkg/util.py:1-2"), std::string::npos) << text;
  EXPECT_NE(text.find("def helper(x):\n    return x + 1\n"), std::string::npos) << text;

  const Json templates = rpc("resources/templates/list", Json::object());
  ASSERT_TRUE(templates.contains("result")) << templates.dump();
  EXPECT_EQ(templates["result"]["resourceTemplates"].size(), 2u);
}

TEST_F(CodeToolsTest, PromptsEmbedIndexDataAndCompleteNames) {
  const Json orient = rpc("prompts/get", {{"name", "orient"}});
  ASSERT_TRUE(orient.contains("result")) << orient.dump();
  const std::string text = orient["result"]["messages"][0]["content"]["text"];
  EXPECT_NE(text.find("languages: python 6"), std::string::npos) << text;
  EXPECT_EQ(orient["result"]["messages"][0]["role"], "user");

  const Json explain = rpc("prompts/get", {{"name", "explain_symbol"}, {"arguments", {{"name", "helper"}}}});
  ASSERT_TRUE(explain.contains("result")) << explain.dump();
  EXPECT_NE(explain["result"]["messages"][0]["content"]["text"].get<std::string>().find("def helper(x):"), std::string::npos);

  const Json done = rpc("completion/complete", {{"ref", {{"type", "ref/prompt"}, {"name", "explain_symbol"}}},
                                                {"argument", {{"name", "name"}, {"value", "parse"}}}});
  ASSERT_TRUE(done.contains("result")) << done.dump();
  EXPECT_EQ(done["result"]["completion"]["values"][0], "parse_http_request");
}

// --- result cache --------------------------------------------------------------------------------

struct FileIdentity {
  std::uintmax_t device = 0, inode = 0;
  bool operator==(const FileIdentity&) const = default;
};

FileIdentity identity_of(const fs::path& path) {
  struct ::stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return {static_cast<std::uintmax_t>(st.st_dev), static_cast<std::uintmax_t>(st.st_ino)};
}

std::vector<std::string> names_of(const Json& result, const char* list) {
  std::vector<std::string> out;
  for (const auto& item : result["structuredContent"][list]) out.push_back(item["name"]);
  return out;
}

TEST_F(CodeToolsTest, ResultCacheHitsOnRepeatedCalls) {
  start(20000, 1 << 20);
  const Json first = call("search_code", {{"terms", "helper"}});
  ASSERT_FALSE(is_error(first)) << text_of(first);
  CodeToolsStats s = stats_();
  EXPECT_EQ(s.cache_misses, 1u);
  EXPECT_EQ(s.cache_hits, 0u);
  EXPECT_EQ(s.cache_entries, 1u);
  EXPECT_GT(s.cache_bytes, text_of(first).size());
  EXPECT_EQ(call("search_code", {{"terms", "helper"}}), first);
  s = stats_();
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_EQ(s.cache_entries, 1u);
  // Other arguments are another entry; the same arguments spelled with project_path (the default
  // project) too, since the requested directory is part of the key.
  EXPECT_FALSE(is_error(call("search_code", {{"terms", "helper"}, {"limit", 1}})));
  EXPECT_EQ(stats_().cache_entries, 2u);
  // Neither errors nor tools that look beyond the index are cached.
  EXPECT_TRUE(is_error(call("find_definition", {{"name", "no_such_symbol"}})));
  EXPECT_TRUE(is_error(call("find_definition", {{"name", "no_such_symbol"}})));
  EXPECT_FALSE(is_error(call("get_index_status", Json::object())));
  EXPECT_FALSE(is_error(call("get_index_status", Json::object())));
  s = stats_();
  EXPECT_EQ(s.cache_entries, 2u);
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_GE(s.projects_open, 1u);

  const Json cache_stats = call("manage_cache", {{"action", "stats"}});
  EXPECT_EQ(cache_stats["structuredContent"]["result_cache"]["entries"], 2);
  EXPECT_EQ(cache_stats["structuredContent"]["result_cache"]["hits"], 1);
  const Json cleared = call("manage_cache", {{"action", "clear"}});
  EXPECT_EQ(cleared["structuredContent"]["result_cache"]["cleared"], 2);
  EXPECT_EQ(stats_().cache_entries, 0u);
  EXPECT_EQ(stats_().cache_bytes, 0u);
  EXPECT_EQ(call("search_code", {{"terms", "helper"}}), first);  // recomputed after the clear
  EXPECT_EQ(stats_().cache_hits, 1u);
}

TEST_F(CodeToolsTest, ResultCacheNeverServesAnOlderIndex) {
  start(20000, 1 << 20);
  const auto definition = [&](const char* name) { return call("find_definition", {{"name", name}}); };
  ASSERT_FALSE(is_error(definition("helper")));
  ASSERT_FALSE(is_error(definition("helper")));
  EXPECT_EQ(stats_().cache_hits, 1u);
  const Json outline = call("get_file_outline", {{"path", "pkg/util.py"}});
  ASSERT_EQ(names_of(outline, "symbols"), (std::vector<std::string>{"helper", "parse_http_request", "unused_thing"}));

  // An incremental run (the generation moves; the database file stays).
  const auto db = fs::path(call("get_project_stats", Json::object())["structuredContent"]["database"].get<std::string>());
  const FileIdentity before = identity_of(db);
  std::string util = kRepo.at("pkg/util.py");
  util.replace(util.find("def helper"), 10, "def assistant");
  repo_.write("pkg/util.py", util);
  Json run = call("index_codebase", {{"project_path", root_}});
  ASSERT_FALSE(is_error(run)) << text_of(run);
  ASSERT_EQ(run["structuredContent"]["incremental"], true);
  EXPECT_EQ(identity_of(db), before);
  EXPECT_TRUE(is_error(definition("helper"))) << text_of(definition("helper"));
  EXPECT_FALSE(is_error(definition("assistant")));
  EXPECT_EQ(names_of(call("get_file_outline", {{"path", "pkg/util.py"}}), "symbols"),
            (std::vector<std::string>{"assistant", "parse_http_request", "unused_thing"}));

  // A forced full run builds a new file and renames it over the old one.
  ASSERT_FALSE(is_error(definition("assistant")));  // cached now
  util.replace(util.find("def assistant"), 13, "def aide");
  repo_.write("pkg/util.py", util);
  run = call("index_codebase", {{"project_path", root_}, {"force", true}});
  ASSERT_FALSE(is_error(run)) << text_of(run);
  EXPECT_NE(identity_of(db), before);
  EXPECT_TRUE(is_error(definition("assistant")));
  EXPECT_FALSE(is_error(definition("aide")));
  EXPECT_EQ(names_of(call("get_file_outline", {{"path", "pkg/util.py"}}), "symbols"),
            (std::vector<std::string>{"aide", "parse_http_request", "unused_thing"}));

  const CodeToolsStats s = stats_();
  EXPECT_EQ(s.index_jobs_total, 2u);
  EXPECT_EQ(s.index_jobs_running, 0u);
}

TEST_F(CodeToolsTest, ResultCacheIsBoundedByBytesAndEvictsTheLeastRecentlyUsed) {
  // Three calls that differ only in a limit above the number of hits: equal results, three
  // entries. Room for two of them, not three.
  const auto search = [&](int limit) {
    return call("search_code", {{"terms", "parse helper run step shared render add twice main"}, {"limit", limit}});
  };
  const Json sample = search(50);
  ASSERT_GE(sample["structuredContent"]["results"].size(), 10u);
  ASSERT_EQ(sample["structuredContent"]["truncated"], false);
  const std::size_t size = sample["content"].dump().size() + sample["structuredContent"].dump().size();
  ASSERT_GT(size, 4000u);  // so keys and bookkeeping are small beside it
  const std::size_t bound = size * 5 / 2;
  start(20000, bound);
  search(50);
  search(51);
  EXPECT_EQ(stats_().cache_entries, 2u);
  EXPECT_EQ(search(50), sample);  // a hit: 51 is now the least recently used
  EXPECT_EQ(stats_().cache_hits, 1u);
  search(52);  // evicts 51
  CodeToolsStats s = stats_();
  EXPECT_EQ(s.cache_entries, 2u);
  EXPECT_LE(s.cache_bytes, bound);
  search(50);
  EXPECT_EQ(stats_().cache_hits, 2u);
  search(51);
  s = stats_();
  EXPECT_EQ(s.cache_hits, 2u);
  EXPECT_EQ(s.cache_misses, 4u);
}

// Paths ("results[].body") of the object schemas inside `schema` that leave additionalProperties
// open. A map-like object (additionalProperties is a schema, no properties) is closed too.
void open_object_schemas(const Json& schema, const std::string& path, std::vector<std::string>& open) {
  if (!schema.is_object()) return;
  if (schema.value("type", "") == "object") {
    const auto additional = schema.find("additionalProperties");
    const bool closed = additional != schema.end() && (*additional == false || (additional->is_object() && !schema.contains("properties")));
    if (!closed) open.push_back(path.empty() ? std::string("(root)") : path);
  }
  if (const auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
    for (const auto& [name, sub] : props->items()) open_object_schemas(sub, path.empty() ? name : path + "." + name, open);
  }
  if (const auto items = schema.find("items"); items != schema.end()) open_object_schemas(*items, path + "[]", open);
  if (const auto additional = schema.find("additionalProperties"); additional != schema.end())
    open_object_schemas(*additional, path + ".*", open);
}

// Every tool, with arguments that bring out its optional fields (doc, body, next_offset, before/
// after, target_symbol, unresolved edges, skipped files, the result cache, changed paths), returns
// structuredContent that a strict outputSchema accepts; call() validates each one.
TEST_F(CodeToolsTest, EveryToolsStructuredContentMatchesItsStrictOutputSchema) {
  for (const auto& [name, tool] : schemas_) {
    std::vector<std::string> open;
    open_object_schemas(tool["outputSchema"], "", open);
    EXPECT_TRUE(open.empty()) << name << ": object schemas without additionalProperties: false: "
                              << Json(open).dump();
  }

  // A binary file is skipped (skipped_by_reason, skipped.files[].detail); the result cache and
  // the in-memory search index are on (manage_cache reports both).
  repo_.write("pkg/blob.py", std::string("\x00\x01\x02 not text\n", 13));
  start(20000, 1u << 20, true);
  std::set<std::string> answered;
  const auto ok = [&](const std::string& tool, Json arguments) {
    const Json r = call(tool, std::move(arguments));
    EXPECT_FALSE(is_error(r)) << tool << ": " << text_of(r);
    if (!is_error(r)) answered.insert(tool);
    return r.value("structuredContent", Json::object());
  };

  const Json indexed = ok("index_codebase", {{"project_path", root_}, {"custom_ignore", Json::array({"web/"})}});
  EXPECT_EQ(indexed["skipped_by_reason"]["binary"], 1) << indexed.dump();
  ok("index_codebase", {{"path", root_}, {"force", true}, {"workers", 1}});

  const Json page = ok("search_code", {{"terms", "helper parse step"}, {"limit", 1}});
  EXPECT_TRUE(page.contains("next_offset")) << page.dump();
  ok("search_code", {{"terms", "parse request"}, {"mode", "all"}, {"type", "function"}, {"lang", "python"}, {"path", "pkg"}});
  ok("search_code", {{"terms", "zzzz_no_such_symbol"}});

  EXPECT_TRUE(ok("query_important_code", {{"limit", 1}}).contains("next_offset"));
  ok("query_important_code", {{"node_type", "function"}, {"lang", "c"}});

  ok("get_project_stats", Json::object());
  EXPECT_TRUE(ok("list_indexed_projects", {{"limit", 1}, {"include_stats", true}})["projects"][0].contains("database"));
  ok("list_indexed_projects", {{"include_stats", false}});

  const Json stats = ok("manage_cache", {{"action", "stats"}});
  EXPECT_EQ(stats["result_cache"]["enabled"], true) << stats.dump();
  EXPECT_FALSE(stats["search_indexes"].empty()) << stats.dump();
  ok("manage_cache", {{"action", "clear"}});

  ok("get_ignore_patterns", {{"custom_ignore", Json::array({"vendor/", "*.gen.go"})}});

  const Json def = ok("find_definition", {{"name", "parse_http_request"}, {"include_body", true}});
  ASSERT_EQ(def["definitions"].size(), 1u) << def.dump();
  EXPECT_TRUE(def["definitions"][0].contains("doc"));
  EXPECT_TRUE(def["definitions"][0].contains("body"));
  EXPECT_EQ(ok("find_definition", {{"name", "shared"}, {"limit", 1}})["truncated"], true);

  const Json refs = ok("find_references", {{"name", "shared"}});
  EXPECT_FALSE(refs["unresolved"].empty()) << refs.dump();
  EXPECT_TRUE(ok("find_references", {{"name", "helper"}, {"limit", 1}}).contains("next_offset"));

  const Json callees = ok("find_callees", {{"name", "twice"}});
  ASSERT_FALSE(callees["callees"].empty()) << callees.dump();
  EXPECT_TRUE(callees["callees"][0].contains("target_symbol")) << callees.dump();
  ok("find_callees", {{"name", "step"}, {"limit", 1}});

  EXPECT_TRUE(ok("get_file_outline", {{"path", "pkg/core.py"}, {"limit", 1}}).contains("next_offset"));
  ok("get_codebase_overview", {{"limit", 100}});

  repo_.write("pkg/extra.py", "def extra():\n    pass\n");
  repo_.remove("dup/two.py");
  const Json status = ok("get_index_status", {{"limit", 1}});
  EXPECT_EQ(status["fresh"], false);
  ASSERT_EQ(status["skipped"]["files"].size(), 1u) << status.dump();

  const Json context = ok("search_text", {{"query", "return helper(1)"}, {"context", 2}});
  ASSERT_FALSE(context["matches"].empty());
  EXPECT_TRUE(context["matches"][0].contains("before"));
  EXPECT_TRUE(ok("search_text", {{"query", "def "}, {"limit", 1}}).contains("next_offset"));
  ok("search_text", {{"query", "ENGINE|util"}, {"regex", true}, {"case_sensitive", false}, {"lang", "python"}});

  std::set<std::string> all;
  for (const auto& [name, tool] : schemas_) all.insert(name);
  EXPECT_EQ(answered, all);
}

TEST_F(CodeToolsTest, IndexCodebaseRunsOnTheIndexPool) {
  CodeTools tools = make_code_tools(CodeToolsOptions{.data_dir = data_dir()});
  for (const auto& t : tools.tools) EXPECT_EQ(t.pool == ToolPool::Index, t.name == "index_codebase") << t.name;
}

TEST_F(CodeToolsTest, CodeServerHasTheProductDefaults) {
  CodeServer code = make_code_server(ServerOptions{.name = "", .title = "", .version = "9"},
                                     CodeToolsOptions{.data_dir = data_dir()});
  ASSERT_TRUE(code.server);
  auto out = std::make_shared<Recorder>();
  auto session = code.server->open_session(out, SessionInfo{"stdio", repo_.path()});
  session->receive(request_line(1, "initialize", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}));
  const Json init = out->response(1);
  EXPECT_EQ(init["result"]["serverInfo"]["name"], "cci");
  EXPECT_EQ(init["result"]["serverInfo"]["title"], "claude-code-indexer");
  EXPECT_EQ(init["result"]["serverInfo"]["version"], "9");
  EXPECT_NE(init["result"]["instructions"].get<std::string>().find("get_index_status"), std::string::npos);
  session->receive(request_line(2, "tools/list", Json::object()));
  EXPECT_EQ(out->response(2)["result"]["tools"].size(), 14u);
  EXPECT_EQ(code.stats().index_jobs_total, 0u);
  session->close();
}

TEST_F(CodeToolsTest, ResultCacheHitsAreAnsweredBeforeReceiveReturns) {
  start(20000, 1 << 20);
  const Json first = call("search_code", {{"terms", "helper"}});
  ASSERT_FALSE(is_error(first)) << text_of(first);
  // The hit is answered on the receiving thread (ToolSpec::answer_at_once), without a worker.
  const int id = ++next_id_;
  session_->receive(request_line(id, "tools/call", {{"name", "search_code"}, {"arguments", {{"terms", "helper"}}}}));
  const Json response = out_->response(id, 0ms);
  ASSERT_FALSE(response.is_null()) << "the cache hit waited for a worker";
  EXPECT_EQ(response["result"], first);
  const CodeToolsStats s = stats_();
  EXPECT_EQ(s.cache_hits, 1u);
  EXPECT_EQ(s.cache_misses, 1u);  // the miss before it is counted once, not once per lookup
}

}  // namespace
}  // namespace cci::mcp
