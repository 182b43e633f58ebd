// tests/mcp/watch_tools_test.cpp — the code tools with a real watch::FreshnessService over a
// temporary indexed repository: every result's _meta names the index generation it came from and
// the changes still pending (also on result-cache hits, where it is never cached), edits on disk
// show up in later answers without index_codebase, get_index_status reports the watch, and the
// registry's watch setting is re-read by get_index_status. Without a service: _meta still names
// the generation, and the watch is "off".
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "core/paths.h"
#include "index/indexer.h"
#include "mcp/code_tools.h"
#include "mcp/schema.h"
#include "mcp/tool_call.h"
#include "store/registry.h"
#include "temp_dir.h"
#include "watch/freshness.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::map<std::string, std::string> kRepo = {
    {"pkg/__init__.py", "from .core import Engine\n"},
    {"pkg/core.py",
     "from .util import helper\n\n\nclass Engine:\n    def run(self):\n        return helper(1)\n"},
    {"pkg/util.py", "def helper(x):\n    return x + 1\n"},
};

// Generous: the machine running the tests may be loaded.
constexpr auto kDeadline = 60s;

bool poll_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kDeadline) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

class WatchToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    repo_.write_all(kRepo);
    index::IndexOptions options;
    options.data_dir = data_dir();
    options.workers = 2;
    auto report = index::index_project(repo_.path(), options);
    ASSERT_TRUE(report.has_value()) << report.error().describe();
    root_ = canonical_root(repo_.path());
  }

  // The tools, with a freshness service whose debounce is `debounce` (none when `watching` is false).
  void start(bool watching, std::chrono::milliseconds debounce = 20ms) {
    if (watching) {
      watch::FreshnessOptions options;
      options.data_dir = data_dir();
      options.index_workers = 2;
      options.watch.debounce = debounce;
      options.watch.max_delay = std::max<std::chrono::milliseconds>(debounce, 500ms);
      auto service = watch::FreshnessService::create(std::move(options));
      ASSERT_TRUE(service.has_value()) << service.error().describe();
      freshness_ = std::shared_ptr<watch::FreshnessService>(std::move(*service));
    }
    tools_ = make_code_tools(CodeToolsOptions{.data_dir = data_dir(),
                                              .result_cache_bytes = 1u << 20,
                                              .freshness = freshness_});
  }

  void TearDown() override {
    tools_ = CodeTools{};
    freshness_.reset();
  }

  fs::path data_dir() const { return home_.path() / "data"; }

  // tools/call as the CLI's direct path makes it; a successful structuredContent is checked
  // against the tool's outputSchema.
  Json call(const std::string& name, Json arguments = Json::object()) {
    for (const auto& tool : tools_.tools) {
      if (tool.name != name) continue;
      Json result = invoke_tool(tool, std::move(arguments), repo_.path());
      if (!result.value("isError", false) && tool.output_schema) {
        const auto errors = validate_structured_content(*tool.output_schema, result["structuredContent"]);
        EXPECT_TRUE(errors.empty()) << name << ": " << (errors.empty() ? "" : errors.front());
      }
      return result;
    }
    ADD_FAILURE() << "no tool " << name;
    return Json::object();
  }

  static std::int64_t generation_of(const Json& result) {
    return result.at("_meta").at("cci/indexGeneration").get<std::int64_t>();
  }
  static std::int64_t pending_of(const Json& result) { return result.at("_meta").at("cci/pendingChanges").get<std::int64_t>(); }
  static std::string text_of(const Json& result) { return result["content"].back()["text"].get<std::string>(); }

  // Serves the project once (which starts watching it) and waits for the reconcile pass.
  void serve_and_settle() {
    call("get_index_status");
    ASSERT_TRUE(freshness_->wait_idle(root_, kDeadline));
    ASSERT_TRUE(poll_until([&] {
      auto status = freshness_->status(root_);
      return status && status->state == watch::ProjectWatchState::Watching;
    })) << "not watching";
  }

  std::uint64_t cache_hits() const { return tools_.stats().cache_hits; }

  testing::TempDir repo_;
  testing::TempDir home_;
  fs::path root_;
  std::shared_ptr<watch::FreshnessService> freshness_;
  CodeTools tools_;
};

TEST_F(WatchToolsTest, ServingAProjectStartsWatchingIt) {
  start(true);
  EXPECT_TRUE(freshness_->watched_roots().empty());
  const Json first = call("search_code", {{"terms", "helper"}});
  ASSERT_FALSE(first.value("isError", false)) << first.dump();
  EXPECT_GE(generation_of(first), 1);
  const auto roots = freshness_->watched_roots();
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots.front(), root_);
}

TEST_F(WatchToolsTest, IndexStatusReportsTheWatchWhenIdle) {
  start(true);
  serve_and_settle();
  const Json status = call("get_index_status");
  ASSERT_FALSE(status.value("isError", false)) << status.dump();
  const Json& s = status["structuredContent"];
  EXPECT_EQ(s["watch"]["state"], "watching");
  EXPECT_EQ(s["watch"]["enabled"], true);
  EXPECT_EQ(s["watch"]["pending_paths"], 0);
  EXPECT_EQ(s["watch"]["updating"], false);
  EXPECT_GT(s["watch"]["watched_directories"].get<std::int64_t>(), 0);
  EXPECT_EQ(s["ranks_exact"], true);
  EXPECT_EQ(s["generation"].get<std::int64_t>(), generation_of(status));
  EXPECT_EQ(pending_of(status), 0);
  EXPECT_NE(text_of(status).find("watching: 0 pending changes"), std::string::npos) << text_of(status);
  EXPECT_EQ(text_of(status).find("note:"), std::string::npos);
}

TEST_F(WatchToolsTest, GenerationInMetaFollowsEditsOnDisk) {
  start(true);
  serve_and_settle();
  const Json before = call("search_code", {{"terms", "brand new"}});
  const std::int64_t g0 = generation_of(before);
  EXPECT_EQ(before["structuredContent"]["results"].size(), 0u);

  repo_.write("pkg/fresh.py", "def brand_new_function():\n    return 1\n");
  Json after;
  ASSERT_TRUE(poll_until([&] {
    after = call("search_code", {{"terms", "brand new"}});
    return generation_of(after) > g0 && !after["structuredContent"]["results"].empty();
  })) << after.dump();
  EXPECT_EQ(after["structuredContent"]["results"][0]["name"], "brand_new_function");
  EXPECT_EQ(after["structuredContent"]["results"][0]["path"], "pkg/fresh.py");

  // Deleting the file is picked up the same way.
  const std::int64_t g1 = generation_of(after);
  repo_.remove("pkg/fresh.py");
  ASSERT_TRUE(poll_until([&] {
    after = call("search_code", {{"terms", "brand new"}});
    return generation_of(after) > g1 && after["structuredContent"]["results"].empty();
  })) << after.dump();
}

TEST_F(WatchToolsTest, CachedResultsCarryFreshMeta) {
  // A long debounce keeps the edit pending long enough to be seen on a cache hit.
  start(true, 3000ms);
  serve_and_settle();
  const Json args = {{"name", "helper"}};
  const Json first = call("find_definition", args);
  ASSERT_FALSE(first.value("isError", false)) << first.dump();
  const std::int64_t g0 = generation_of(first);
  EXPECT_EQ(pending_of(first), 0);

  repo_.write("pkg/other.py", "def other():\n    return 2\n");
  ASSERT_TRUE(poll_until([&] {
    auto status = freshness_->status(root_);
    return status && status->pending_paths > 0;
  })) << "the edit was never seen";

  const std::uint64_t hits = cache_hits();
  const Json cached = call("find_definition", args);
  ASSERT_EQ(cache_hits(), hits + 1) << "not answered from the cache";
  EXPECT_EQ(cached["structuredContent"], first["structuredContent"]);
  EXPECT_EQ(generation_of(cached), g0);
  EXPECT_GT(pending_of(cached), 0);
  const std::string note = text_of(cached);
  EXPECT_NE(note.find(fmt::format("being re-indexed; results are from generation {}", g0)), std::string::npos) << note;

  // Once applied: a new generation, nothing pending, and the note (never cached) is gone.
  ASSERT_TRUE(freshness_->wait_idle(root_, kDeadline));
  const Json later = call("find_definition", args);
  EXPECT_GT(generation_of(later), g0);
  EXPECT_EQ(pending_of(later), 0);
  EXPECT_EQ(text_of(later).find("note:"), std::string::npos) << text_of(later);
  const Json again = call("find_definition", args);  // a hit on the new generation: still no note
  EXPECT_EQ(generation_of(again), generation_of(later));
  EXPECT_EQ(text_of(again).find("note:"), std::string::npos) << text_of(again);
}

TEST_F(WatchToolsTest, IndexStatusRereadsTheWatchSetting) {
  start(true);
  serve_and_settle();
  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    ASSERT_TRUE((*registry)->set_watch(root_, false).has_value());
  }
  Json status = call("get_index_status");
  EXPECT_EQ(status["structuredContent"]["watch"]["state"], "off") << status.dump();
  EXPECT_EQ(status["structuredContent"]["watch"]["enabled"], false);
  EXPECT_NE(text_of(status).find("watch: off"), std::string::npos) << text_of(status);
  EXPECT_TRUE(freshness_->watched_roots().empty());

  {
    auto registry = store::Registry::open(data_dir());
    ASSERT_TRUE(registry.has_value());
    ASSERT_TRUE((*registry)->set_watch(root_, true).has_value());
  }
  status = call("get_index_status");
  const std::string state = status["structuredContent"]["watch"]["state"];
  EXPECT_TRUE(state == "reconciling" || state == "watching") << state;
  ASSERT_TRUE(freshness_->wait_idle(root_, kDeadline));
  ASSERT_TRUE(poll_until([&] {
    return call("get_index_status")["structuredContent"]["watch"]["state"] == "watching";
  }));
}

TEST_F(WatchToolsTest, IndexCodebaseStartsWatchingAndReportsItsGeneration) {
  start(true);
  const Json indexed = call("index_codebase", {{"project_path", repo_.path().string()}});
  ASSERT_FALSE(indexed.value("isError", false)) << indexed.dump();
  EXPECT_EQ(generation_of(indexed), indexed["structuredContent"]["generation"].get<std::int64_t>());
  const auto roots = freshness_->watched_roots();
  ASSERT_EQ(roots.size(), 1u);
  EXPECT_EQ(roots.front(), root_);
}

TEST_F(WatchToolsTest, WithoutAServiceMetaNamesTheGenerationAndTheWatchIsOff) {
  start(false);
  const Json found = call("find_definition", {{"name", "helper"}});
  ASSERT_FALSE(found.value("isError", false)) << found.dump();
  const std::int64_t generation = call("get_project_stats")["structuredContent"]["generation"].get<std::int64_t>();
  EXPECT_GE(generation, 1);
  EXPECT_EQ(generation_of(found), generation);
  EXPECT_EQ(pending_of(found), 0);
  const Json hit = call("find_definition", {{"name", "helper"}});
  EXPECT_EQ(hit, found);

  const Json status = call("get_index_status");
  EXPECT_EQ(status["structuredContent"]["watch"]["state"], "off");
  EXPECT_EQ(status["structuredContent"]["watch"]["pending_paths"], 0);
  EXPECT_NE(text_of(status).find("watch: off (no watcher in this process"), std::string::npos) << text_of(status);

  // An expected failure in a resolved project still says which index answered.
  const Json missing = call("find_definition", {{"name", "no_such_symbol_anywhere"}});
  EXPECT_TRUE(missing.value("isError", false));
  EXPECT_EQ(generation_of(missing), generation);

  // No project, no _meta.
  testing::TempDir elsewhere;
  const Json unindexed = call("search_code", {{"terms", "helper"}, {"project_path", elsewhere.path().string()}});
  EXPECT_TRUE(unindexed.value("isError", false));
  EXPECT_FALSE(unindexed.contains("_meta")) << unindexed.dump();
}

// The context a session gives ToolSpec::answer_at_once: the session's directory only when it is
// known without asking the client, and no client to ask.
class AtOnceContext final : public ToolContext {
 public:
  AtOnceContext(Json arguments, std::optional<fs::path> known) : arguments_(std::move(arguments)), known_(std::move(known)) {}
  const Json& arguments() const override { return arguments_; }
  void progress(double, std::optional<double>, std::string) override {}
  bool cancelled() const override { return false; }
  void log(LogLevel, std::string, Json) override {}
  Result<Json> request_client(std::string method, Json, std::chrono::milliseconds) override {
    ADD_FAILURE() << "answer_at_once asked the client: " << method;
    return make_error(ErrorCode::Unsupported, "no client");
  }
  const Json& client_capabilities() const override { return empty_; }
  const Json& client_info() const override { return empty_; }
  fs::path default_project_path() override {
    ADD_FAILURE() << "answer_at_once asked for the default directory";
    return known_.value_or(fs::path());
  }
  std::optional<fs::path> known_project_path() override { return known_; }

 private:
  Json arguments_;
  std::optional<fs::path> known_;
  const Json empty_ = Json::object();
};

TEST_F(WatchToolsTest, AnswersAtOnceOnlyCachedResultsWithNothingPending) {
  start(true, 3000ms);  // a long debounce keeps an edit pending while it is looked at
  serve_and_settle();
  const auto at_once = [&](const Json& arguments, std::optional<fs::path> known) -> std::optional<Json> {
    for (const auto& tool : tools_.tools) {
      if (tool.name != "find_definition") continue;
      if (!tool.answer_at_once) {
        ADD_FAILURE() << "find_definition cannot answer at once";
        return std::nullopt;
      }
      AtOnceContext context(arguments, std::move(known));
      auto result = tool.answer_at_once(context);
      if (!result) return std::nullopt;
      EXPECT_TRUE(result->serialized) << "a cached answer is sent as the text it was cached as";
      return detail::tool_result_json(std::move(*result));
    }
    return std::nullopt;
  };
  const Json args = {{"name", "helper"}};
  EXPECT_EQ(at_once(args, repo_.path()), std::nullopt) << "nothing cached yet";
  const Json first = call("find_definition", args);
  ASSERT_FALSE(first.value("isError", false)) << first.dump();
  const auto hit = at_once(args, repo_.path());
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(*hit, first);  // the same answer, _meta included
  // The directory named in the arguments needs no session directory; an unknown one is no hit.
  EXPECT_EQ(at_once({{"name", "helper"}, {"project_path", root_.string()}}, std::nullopt), std::nullopt);
  call("find_definition", {{"name", "helper"}, {"project_path", root_.string()}});
  EXPECT_TRUE(at_once({{"name", "helper"}, {"project_path", root_.string()}}, std::nullopt).has_value());
  EXPECT_EQ(at_once(args, std::nullopt), std::nullopt) << "the session's directory would need roots/list";

  // A pending change adds a note to the answer: that is a worker's job.
  repo_.write("pkg/other.py", "def other():\n    return 2\n");
  ASSERT_TRUE(poll_until([&] {
    auto status = freshness_->status(root_);
    return status && status->pending_paths > 0;
  })) << "the edit was never seen";
  EXPECT_EQ(at_once(args, repo_.path()), std::nullopt);
  EXPECT_GT(pending_of(call("find_definition", args)), 0);

  // Applied: a new generation, for which nothing is cached until a worker answers once.
  ASSERT_TRUE(freshness_->wait_idle(root_, kDeadline));
  EXPECT_EQ(at_once(args, repo_.path()), std::nullopt);
  const Json later = call("find_definition", args);
  EXPECT_GT(generation_of(later), generation_of(first));
  const auto fresh = at_once(args, repo_.path());
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(*fresh, later);
}

}  // namespace
}  // namespace cci::mcp
