// tests/mcp/transcript_test.cpp — replays tests/mcp/transcripts/*.jsonl through a Session with a
// fixed test tool set (format: tests/mcp/transcripts/README.md).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "mcp/server.h"

namespace cci::mcp {
namespace {

using namespace std::chrono_literals;

// Structural comparison with "<any>" / "<optional>" wildcards.
bool matches(const Json& expected, const Json& actual) {
  if (expected.is_string() && (expected == "<any>" || expected == "<optional>")) return true;
  if (expected.is_number() && actual.is_number()) return expected.get<double>() == actual.get<double>();
  if (expected.is_object()) {
    if (!actual.is_object()) return false;
    for (const auto& [key, value] : expected.items()) {
      const auto it = actual.find(key);
      if (it == actual.end()) {
        if (value != "<optional>") return false;
      } else if (!matches(value, *it)) {
        return false;
      }
    }
    for (const auto& [key, value] : actual.items()) {
      if (!expected.contains(key)) return false;
    }
    return true;
  }
  if (expected.is_array()) {
    if (!actual.is_array() || actual.size() != expected.size()) return false;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      if (!matches(expected[i], actual[i])) return false;
    }
    return true;
  }
  return expected == actual;
}

class Inbox final : public Outbound {
 public:
  void send(std::string message) override {
    std::lock_guard lock(mutex_);
    messages_.push_back(Json::parse(message));
    changed_.notify_all();
  }
  // Consumes the first unconsumed message matching `expected`.
  bool take(const Json& expected, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      for (auto it = messages_.begin(); it != messages_.end(); ++it) {
        if (matches(expected, *it)) {
          messages_.erase(it);
          return true;
        }
      }
      return false;
    });
  }
  std::vector<Json> leftovers() {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Json> messages_;
};

void add_test_tools(Server& server) {
  server.add_tool(ToolSpec{
      .name = "echo",
      .description = "Returns its text",
      .input_schema = Json::parse(R"({"type":"object","properties":{"text":{"type":"string"}},"required":["text"]})"),
      .annotations = {.read_only = true, .open_world = false},
      .handler = [](ToolContext& ctx) -> Result<ToolResult> {
        return ToolResult::text(ctx.arguments()["text"].get<std::string>());
      }});
  server.add_tool(ToolSpec{
      .name = "add",
      .description = "Adds two integers",
      .input_schema = Json::parse(R"({"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"integer"}},
                                      "required":["a","b"],"additionalProperties":false})"),
      .output_schema = Json::parse(R"({"type":"object","properties":{"sum":{"type":"integer"}},"required":["sum"]})"),
      .handler = [](ToolContext& ctx) -> Result<ToolResult> {
        ctx.progress(1, 2, "adding");
        const auto sum = ctx.arguments()["a"].get<long>() + ctx.arguments()["b"].get<long>();
        ToolResult r = ToolResult::text(std::to_string(sum));
        r.structured = Json{{"sum", sum}};
        return r;
      }});
}

std::vector<std::filesystem::path> transcripts() {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(CCI_TRANSCRIPT_DIR)) {
    if (entry.path().extension() == ".jsonl") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Transcript : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(Transcript, Replays) {
  ServerOptions options;
  options.version = "test";
  options.instructions = "transcript server";
  options.worker_threads = 2;
  Server server(options);
  add_test_tools(server);
  auto inbox = std::make_shared<Inbox>();
  auto session = server.open_session(inbox, SessionInfo{"test", "/"});

  std::ifstream in(GetParam());
  ASSERT_TRUE(in) << GetParam();
  std::vector<std::pair<int, Json>> unordered;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line.front() == '#') continue;
    if (line.rfind("> ", 0) == 0) {
      session->receive(line.substr(2));
    } else if (line.rfind("<? ", 0) == 0) {
      unordered.emplace_back(number, Json::parse(line.substr(3)));
    } else if (line.rfind("< ", 0) == 0) {
      const Json expected = Json::parse(line.substr(2));
      EXPECT_TRUE(inbox->take(expected, 5s)) << GetParam().filename() << ":" << number << " expected " << expected.dump()
                                             << "\nunmatched: " << Json(inbox->leftovers()).dump();
    } else {
      ADD_FAILURE() << GetParam().filename() << ":" << number << ": unknown line kind: " << line;
    }
  }
  for (const auto& [at, expected] : unordered) {
    EXPECT_TRUE(inbox->take(expected, 5s)) << GetParam().filename() << ":" << at << " expected " << expected.dump();
  }
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(inbox->leftovers().empty()) << "unexpected messages: " << Json(inbox->leftovers()).dump();
  session->close();
}

INSTANTIATE_TEST_SUITE_P(Files, Transcript, ::testing::ValuesIn(transcripts()),
                         [](const ::testing::TestParamInfo<std::filesystem::path>& param_info) {
                           std::string name = param_info.param.stem().string();
                           for (auto& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(TranscriptMatch, Wildcards) {
  EXPECT_TRUE(matches(Json::parse(R"({"a":"<any>","b":"<optional>"})"), Json::parse(R"({"a":[1]})")));
  EXPECT_FALSE(matches(Json::parse(R"({"a":"<any>"})"), Json::parse(R"({})")));
  EXPECT_FALSE(matches(Json::parse(R"({"a":1})"), Json::parse(R"({"a":1,"b":2})")));
  EXPECT_TRUE(matches(Json::parse(R"({"p":1})"), Json::parse(R"({"p":1.0})")));
}

}  // namespace
}  // namespace cci::mcp
