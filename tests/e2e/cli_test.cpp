// The `cci` command line, end to end: the real binary, a real temporary repository, a real
// SQLite index in a private CCI_HOME. Asserts exact answers, exit codes and messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "cci_runner.h"

namespace cci {
namespace {

using testing::Cci;
using testing::ProcessResult;

const std::map<std::string, std::string> kFixture = {
    {"src/shapes/base.py",
     "class Shape:\n    \"\"\"Abstract shape.\"\"\"\n\n    def area(self):\n        raise NotImplementedError\n\n"
     "    def describe(self):\n        return f'{self.name()} of area {self.area()}'\n\n    def name(self):\n        return 'shape'\n"},
    {"src/shapes/circle.py",
     "from .base import Shape\nfrom ..mathutil import square\n\nPI = 3.14159\n\n\nclass Circle(Shape):\n"
     "    def __init__(self, r):\n        self.r = r\n\n    def area(self):\n        return PI * square(self.r)\n"},
    {"src/shapes/__init__.py", ""},
    {"src/__init__.py", ""},
    {"src/mathutil.py",
     "def square(x):\n    \"\"\"Returns x squared.\"\"\"\n    return x * x\n\n\ndef cube(x):\n    return x * square(x)\n"},
    {"src/main.py",
     "from src.shapes.circle import Circle\nfrom src.mathutil import cube\n\n\ndef main():\n"
     "    print(Circle(2).describe(), cube(3))\n\n\nif __name__ == '__main__':\n    main()\n"},
    {"node_modules/dep/index.js", "function shouldNotBeIndexed() {}\n"},
    {".gitignore", "generated/\n"},
    {"generated/out.py", "def also_not_indexed():\n    pass\n"},
};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write_all(kFixture);
    auto r = cci_.run({"index", repo_.path().string(), "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  testing::TempDir repo_;
  testing::TempDir home_;
  Cci cci_{home_.path() / "cci-home"};
};

TEST(CliBasics, VersionHelpAndUsageErrors) {
  testing::TempDir home;
  Cci cci(home.path());
  auto version = cci.run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.out.find("cci "), std::string::npos);
  auto help = cci.run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* cmd : {"index", "search", "def", "refs", "outline", "query", "stats", "projects", "ignore"})
    EXPECT_NE(help.out.find(cmd), std::string::npos) << cmd;
  EXPECT_EQ(cci.run({"no-such-command"}).exit_code, 2);
  EXPECT_EQ(cci.run({}).exit_code, 2);
}

TEST(CliBasics, NotIndexedTellsWhatToRun) {
  testing::TempDir repo, home;
  repo.write("a.py", "def f():\n    pass\n");
  Cci cci(home.path());
  ProcessResult r = cci.run({"search", "f"}, repo.path());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cci index"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(CliBasics, MainJobSymlinkNameWorks) {
  const std::string alias = std::filesystem::path(CCI_BINARY).parent_path() / "claude-code-indexer";
  ProcessResult r = testing::run_process({alias, "--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(CliTest, IndexJsonReportsFilesSymbolsAndSkips) {
  int code = -1;
  auto report = cci_.json({"index", repo_.path().string()}, {}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(report["files"]["total"], 6);
  EXPECT_EQ(report["files"]["parsed"], 0);  // second run: nothing changed
  EXPECT_TRUE(report["incremental"].get<bool>());
  EXPECT_GE(report["files"]["ignored"].get<int>(), 2);  // node_modules/, generated/
  EXPECT_GT(report["symbols"].get<int>(), 10);
  EXPECT_GT(report["edges"]["by_kind"]["calls"].get<int>(), 3);
}

TEST_F(CliTest, SearchRanksAndFilters) {
  int code = -1;
  auto results = cci_.json({"search", "square"}, repo_.path(), &code);
  ASSERT_EQ(code, 0);
  ASSERT_FALSE(results["results"].empty());
  EXPECT_EQ(results["results"][0]["qualified_name"], "src.mathutil.square");
  EXPECT_EQ(results["results"][0]["path"], "src/mathutil.py");
  EXPECT_EQ(results["results"][0]["line"], 1);

  auto classes = cci_.json({"search", "shape", "--type", "class"}, repo_.path());
  for (const auto& hit : classes["results"]) EXPECT_EQ(hit["kind"], "class");
  ASSERT_FALSE(classes["results"].empty());

  auto all = cci_.json({"search", "shape", "area", "--mode", "all"}, repo_.path());
  for (const auto& hit : all["results"]) {
    const std::string text = hit["qualified_name"].get<std::string>() + hit["path"].get<std::string>() +
                             hit["signature"].get<std::string>();
    EXPECT_NE(text.find("rea"), std::string::npos) << text;
  }

  EXPECT_EQ(cci_.run({"search", "zzzqqqnothing"}, repo_.path()).exit_code, 1);
  ProcessResult bad_type = cci_.run({"search", "x", "--type", "gizmo"}, repo_.path());
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_NE(bad_type.err.find("unknown --type"), std::string::npos);
  EXPECT_EQ(cci_.run({"search", "x", "--mode", "sometimes"}, repo_.path()).exit_code, 2);
  EXPECT_EQ(cci_.run({"search", "shouldNotBeIndexed"}, repo_.path()).exit_code, 1);
  EXPECT_EQ(cci_.run({"search", "also_not_indexed"}, repo_.path()).exit_code, 1);
}

TEST_F(CliTest, DefinitionsReferencesAndSuggestions) {
  auto def = cci_.json({"def", "square"}, repo_.path());
  ASSERT_EQ(def["definitions"].size(), 1u);
  EXPECT_EQ(def["definitions"][0]["doc"], "Returns x squared.");
  EXPECT_EQ(def["definitions"][0]["signature"], "def square(x)");

  auto qualified = cci_.json({"def", "src.shapes.base.Shape.area"}, repo_.path());
  ASSERT_EQ(qualified["definitions"].size(), 1u);
  EXPECT_EQ(qualified["definitions"][0]["kind"], "method");

  ProcessResult typo = cci_.run({"def", "sqare"}, repo_.path());
  EXPECT_EQ(typo.exit_code, 1);
  int code = -1;
  auto suggestions = cci_.json({"def", "squar"}, repo_.path(), &code);
  EXPECT_EQ(code, 1);
  ASSERT_TRUE(suggestions["suggestions"].is_array());

  auto refs = cci_.json({"refs", "square"}, repo_.path());
  std::vector<std::string> callers;
  for (const auto& r : refs["references"])
    if (r["kind"] == "calls") callers.push_back(r["from"]["qualified_name"]);
  std::sort(callers.begin(), callers.end());
  EXPECT_EQ(callers, (std::vector<std::string>{"src.mathutil.cube", "src.shapes.circle.Circle.area"}));

  ProcessResult text = cci_.run({"refs", "square"}, repo_.path());
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("src/mathutil.py:7"), std::string::npos) << text.out;
}

TEST_F(CliTest, OutlineQueryStatsProjectsIgnore) {
  auto outline = cci_.json({"outline", "src/shapes/base.py"}, repo_.path());
  std::vector<std::string> names;
  for (const auto& s : outline["symbols"]) names.push_back(s["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"Shape", "area", "describe", "name"}));
  EXPECT_EQ(outline["path"], "src/shapes/base.py");
  EXPECT_EQ(cci_.run({"outline", "src/nope.py"}, repo_.path()).exit_code, 1);
  // A path relative to the working directory names the same file.
  auto from_subdir = cci_.json({"outline", "base.py"}, repo_.path() / "src/shapes");
  EXPECT_EQ(from_subdir["symbols"], outline["symbols"]);

  ProcessResult text = cci_.run({"outline", "src/shapes/base.py"}, repo_.path());
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_EQ(text.out.substr(0, text.out.find('\n')), "src/shapes/base.py (python)");
  EXPECT_NE(text.out.find("\n  class Shape  1-11  class Shape\n    method area  4-5  def area(self)\n"), std::string::npos)
      << text.out;

  // From a subdirectory, the project is found by walking up.
  auto important = cci_.json({"query", "--important", "--type", "function", "--limit", "3"}, repo_.path() / "src/shapes");
  ASSERT_FALSE(important["results"].empty());
  EXPECT_EQ(important["results"][0]["name"], "square");

  auto stats = cci_.json({"stats", "--verify"}, repo_.path());
  EXPECT_EQ(stats["files"], 6);
  EXPECT_EQ(stats["integrity"], "ok");
  EXPECT_GT(stats["edges_by_kind"]["calls"].get<int>(), 0);

  auto projects = cci_.json({"projects"});
  ASSERT_EQ(projects["projects"].size(), 1u);
  EXPECT_EQ(projects["projects"][0]["files"], 6);

  ProcessResult ignore = cci_.run({"ignore", repo_.path().string()});
  EXPECT_EQ(ignore.exit_code, 0);
  EXPECT_NE(ignore.out.find("node_modules"), std::string::npos);
  EXPECT_NE(ignore.out.find("generated/"), std::string::npos);

  EXPECT_EQ(cci_.run({"projects", "remove", repo_.path().string()}).exit_code, 0);
  EXPECT_EQ(cci_.run({"search", "square"}, repo_.path()).exit_code, 2);
}

// A tool answers at most ~20 KB per call; the commands page through it so that --limit (and a
// whole outline) is honoured however large the answer.
TEST(CliPaging, LargeAnswersArriveWhole) {
  testing::TempDir repo, home;
  std::string big;
  for (int i = 0; i < 300; ++i) {
    const std::string n = std::to_string(i);
    big += "def handler_number_" + n + "(request, response, context, options=None):\n    return " + n + "\n\n\n";
  }
  repo.write("big.py", big);
  Cci cci(home.path());
  ASSERT_EQ(cci.run({"index", repo.path().string(), "--quiet"}).exit_code, 0);

  int code = -1;
  auto outline = cci.json({"outline", "big.py"}, repo.path(), &code);
  EXPECT_EQ(code, 0);
  ASSERT_EQ(outline["symbols"].size(), 300u);
  EXPECT_EQ(outline["truncated"], false);
  EXPECT_EQ(outline["symbols"][299]["name"], "handler_number_299");

  auto hits = cci.json({"search", "handler", "--limit", "250"}, repo.path(), &code);
  EXPECT_EQ(code, 0);
  ASSERT_EQ(hits["results"].size(), 250u);
  EXPECT_EQ(hits["truncated"], true);
  EXPECT_EQ(hits["next_offset"], 250);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < hits["results"].size(); ++i) {
    EXPECT_EQ(hits["results"][i]["rank"], i + 1);
    ids.insert(hits["results"][i]["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 250u);  // pages neither overlap nor skip

  ProcessResult text = cci.run({"search", "handler", "--limit", "150", "--offset", "100"}, repo.path());
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_TRUE(text.out.starts_with("101. function ")) << text.out.substr(0, 300);
  EXPECT_NE(text.out.find("\n250. function "), std::string::npos);
  EXPECT_EQ(text.out.find("\n251. "), std::string::npos);
  EXPECT_TRUE(text.out.ends_with("  ... more: --offset 250\n")) << text.out.substr(text.out.size() - 300);
  ProcessResult rest = cci.run({"search", "handler", "--offset", "250", "--limit", "100"}, repo.path());
  EXPECT_EQ(rest.exit_code, 0);
  EXPECT_TRUE(rest.out.starts_with("251. function ")) << rest.out.substr(0, 300);
  EXPECT_EQ(rest.out.find("... more"), std::string::npos);
}

// The persistent daemon of one CCI_HOME (`cci mcp-daemon start --port 0`), stopped however the
// test ends.
class DaemonGuard {
 public:
  explicit DaemonGuard(const Cci& cci) : cci_(cci), start_(cci.run({"mcp-daemon", "start", "--port", "0"})) {}
  ~DaemonGuard() {
    if (start_.exit_code == 0) cci_.run({"mcp-daemon", "stop"});
  }
  DaemonGuard(const DaemonGuard&) = delete;
  DaemonGuard& operator=(const DaemonGuard&) = delete;
  const ProcessResult& start() const { return start_; }

 private:
  const Cci& cci_;
  ProcessResult start_;
};

// stderr without core/log's lines ("cci: debug: ..."), which say which path answered.
std::string without_log_lines(const std::string& err) {
  std::istringstream in(err);
  std::string line, out;
  while (std::getline(in, line))
    if (!line.starts_with("cci: debug: ") && !line.starts_with("cci: info: ")) out += line + "\n";
  return out;
}

// "Identical output either way" (issue 4): every query command, text and --json, answers with the
// same bytes and exit code from the index opened in-process and through a running daemon.
TEST_F(CliTest, SameOutputWithAndWithoutTheDaemon) {
  struct Query {
    std::vector<std::string> args;
    bool asks_a_tool = true;  // false: a usage error the command line reports itself
  };
  const std::vector<Query> queries = {
      {{"search", "square"}},
      {{"search", "shape", "--type", "class"}},
      {{"search", "shape", "area", "--mode", "all", "--lang", "python", "--path", "src/shapes"}},
      {{"search", "s", "--limit", "2"}},  // paged: prints the --offset hint
      {{"search", "s", "--limit", "2", "--offset", "2"}},
      {{"search", "zzzqqqnothing"}},
      {{"search", "x", "--type", "gizmo"}, false},
      {{"def", "square"}},
      {{"def", "src.shapes.base.Shape.area"}},
      {{"def", "squar"}},
      {{"refs", "square"}},
      {{"refs", "area"}},
      {{"refs", "no_such_symbol_anywhere"}},
      {{"callees", "cube"}},
      {{"callees", "main"}},
      {{"callees", "PI"}},
      {{"outline", "src/shapes/base.py"}},
      {{"outline", "src/nope.py"}},
      {{"query", "--important"}},
      {{"query", "--important", "--type", "function", "--limit", "3"}},
  };
  struct Answer {
    ProcessResult result;
    std::string label;
  };
  const auto ask_all = [&](const std::map<std::string, std::string>& env, const std::vector<std::string>& extra,
                           const std::string& expected_log) {
    std::vector<Answer> answers;
    for (const auto& q : queries) {
      for (const bool json : {false, true}) {
        std::vector<std::string> args = extra;
        args.insert(args.end(), q.args.begin(), q.args.end());
        if (json) args.push_back("--json");
        std::string label;
        for (const auto& a : args) label += a + " ";
        ProcessResult r = cci_.run(args, repo_.path(), env);
        if (q.asks_a_tool) {
          EXPECT_NE(r.err.find(expected_log), std::string::npos) << label << "\n" << r.err;
        }
        answers.push_back({std::move(r), std::move(label)});
      }
    }
    return answers;
  };
  const auto expect_same = [](const std::vector<Answer>& expected, const std::vector<Answer>& actual,
                              const std::string& how) {
    ASSERT_EQ(expected.size(), actual.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(actual[i].result.exit_code, expected[i].result.exit_code) << how << ": " << expected[i].label;
      EXPECT_EQ(actual[i].result.out, expected[i].result.out) << how << ": " << expected[i].label;
      EXPECT_EQ(without_log_lines(actual[i].result.err), without_log_lines(expected[i].result.err))
          << how << ": " << expected[i].label;
    }
  };

  const std::map<std::string, std::string> debug = {{"CCI_LOG", "debug"}};
  const std::vector<Answer> direct = ask_all({{"CCI_LOG", "debug"}, {"CCI_NO_DAEMON", "1"}}, {}, "answered in-process");
  // The answers themselves are real ones (not, say, every query failing the same way).
  EXPECT_EQ(direct[0].result.exit_code, 0);
  EXPECT_NE(direct[0].result.out.find("src.mathutil.square"), std::string::npos) << direct[0].result.out;
  EXPECT_NE(direct[6].result.out.find("  ... more: --offset 2\n"), std::string::npos) << direct[6].result.out;
  EXPECT_EQ(direct[11].result.exit_code, 1);  // search zzzqqqnothing --json
  EXPECT_EQ(direct[13].result.exit_code, 2);  // --type gizmo --json
  EXPECT_EQ(direct[19].result.exit_code, 1);  // def squar --json

  // No daemon running: the default path silently answers in-process, with the same output.
  expect_same(direct, ask_all(debug, {}, "answered in-process"), "no daemon");

  DaemonGuard daemon(cci_);
  ASSERT_EQ(daemon.start().exit_code, 0) << daemon.start().out << daemon.start().err;
  expect_same(direct, ask_all(debug, {}, "answered by the daemon"), "daemon");
  expect_same(direct, ask_all(debug, {"--no-daemon"}, "answered in-process"), "--no-daemon");
  expect_same(direct, ask_all({{"CCI_LOG", "debug"}, {"CCI_NO_DAEMON", "1"}}, {}, "answered in-process"),
              "CCI_NO_DAEMON=1");
}

}  // namespace
}  // namespace cci
