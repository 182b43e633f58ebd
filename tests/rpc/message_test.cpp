// tests/rpc/message_test.cpp — JSON-RPC 2.0 parsing, validation and serialisation.
#include "rpc/message.h"

#include <gtest/gtest.h>

namespace cci::rpc {
namespace {

const ParseFailure& failure(const std::expected<Message, ParseFailure>& r) { return r.error(); }

TEST(Message, ParsesRequestWithIntegerAndStringIds) {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  ASSERT_TRUE(r);
  const auto& req = std::get<Request>(*r);
  EXPECT_EQ(std::get<std::int64_t>(req.id), 7);
  EXPECT_EQ(req.method, "tools/list");
  EXPECT_EQ(req.params["cursor"], "x");

  r = parse_message(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<std::string>(std::get<Request>(*r).id), "abc");
  EXPECT_TRUE(std::get<Request>(*r).params.is_null());
}

TEST(Message, ParsesNotification) {
  auto r = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(std::get<Notification>(*r).method, "notifications/initialized");
}

TEST(Message, ParsesArrayParams) {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":1,"method":"m","params":[1,2]})");
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::get<Request>(*r).params.is_array());
}

TEST(Message, ParsesResultAndErrorResponses) {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":"srv-1","result":{"roots":[]}})");
  ASSERT_TRUE(r);
  const auto& ok = std::get<Response>(*r);
  ASSERT_TRUE(ok.result);
  EXPECT_FALSE(ok.error);

  r = parse_message(R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"nope","data":{"x":1}}})");
  ASSERT_TRUE(r);
  const auto& err = std::get<Response>(*r);
  ASSERT_TRUE(err.error);
  EXPECT_EQ(err.error->code, -32601);
  EXPECT_EQ(err.error->message, "nope");
  EXPECT_EQ((*err.error->data)["x"], 1);
}

TEST(Message, MalformedJsonIsParseError) {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":1,)");
  ASSERT_FALSE(r);
  EXPECT_EQ(failure(r).error.code, error_code::kParseError);
  EXPECT_FALSE(failure(r).id);
}

TEST(Message, NullIdIsInvalidRequest) {
  auto r = parse_message(R"({"jsonrpc":"2.0","id":null,"method":"ping"})");
  ASSERT_FALSE(r);
  EXPECT_EQ(failure(r).error.code, error_code::kInvalidRequest);
  EXPECT_FALSE(failure(r).id);
}

TEST(Message, InvalidMessagesAreInvalidRequestsWithIdWhenReadable) {
  struct Case {
    const char* text;
    bool has_id;
  };
  const Case cases[] = {
      {R"({"id":1,"method":"ping"})", true},                                   // no jsonrpc
      {R"({"jsonrpc":"1.0","id":1,"method":"ping"})", true},                  // wrong version
      {R"({"jsonrpc":"2.0","id":1,"method":5})", true},                       // method not a string
      {R"({"jsonrpc":"2.0","id":1,"method":"m","params":"x"})", true},        // params scalar
      {R"({"jsonrpc":"2.0","id":1.5,"method":"m"})", false},                  // float id
      {R"({"jsonrpc":"2.0","id":true,"method":"m"})", false},                 // bool id
      {R"({"jsonrpc":"2.0","id":{},"method":"m"})", false},                   // object id
      {R"({"jsonrpc":"2.0","id":1})", true},                                  // neither result nor error
      {R"({"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"x"}})", true},
      {R"({"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"m"}})", true},
      {R"({"jsonrpc":"2.0","id":1,"error":{"code":1}})", true},
      {R"({"jsonrpc":"2.0","result":{}})", false},                             // response without id
      {R"("just a string")", false},
      {R"(42)", false},
  };
  for (const auto& c : cases) {
    auto r = parse_message(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(failure(r).error.code, error_code::kInvalidRequest) << c.text;
    EXPECT_EQ(failure(r).id.has_value(), c.has_id) << c.text;
  }
}

TEST(Message, BatchRejectedByParseMessage) {
  auto r = parse_message(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])");
  ASSERT_FALSE(r);
  EXPECT_EQ(failure(r).error.code, error_code::kInvalidRequest);
}

TEST(Message, ParseBatchParsesEachElement) {
  EXPECT_TRUE(looks_like_batch("  [1]"));
  EXPECT_FALSE(looks_like_batch("{}"));
  auto items = parse_batch(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"n"},5])");
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0] && std::holds_alternative<Request>(*items[0]));
  EXPECT_TRUE(items[1] && std::holds_alternative<Notification>(*items[1]));
  EXPECT_FALSE(items[2]);

  auto empty = parse_batch("[]");
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].error().error.code, error_code::kInvalidRequest);

  auto broken = parse_batch("[{");
  ASSERT_EQ(broken.size(), 1u);
  EXPECT_EQ(broken[0].error().error.code, error_code::kParseError);
}

TEST(Message, SerialisationRoundTrips) {
  const Message messages[] = {
      Request{Id{std::int64_t{1}}, "tools/call", Json{{"name", "x"}, {"arguments", {{"a", "line1\nline2"}}}}},
      Request{Id{std::string("s-1")}, "ping", nullptr},
      Notification{"notifications/progress", Json{{"progress", 0.5}}},
      Response{Id{std::int64_t{2}}, Json{{"ok", true}}, std::nullopt},
      Response{Id{std::string("x")}, std::nullopt, RpcError{-32602, "bad", Json{{"f", 1}}}},
  };
  for (const auto& m : messages) {
    const std::string text = serialize(m);
    EXPECT_EQ(text.find('\n'), std::string::npos) << text;
    auto back = parse_message(text);
    ASSERT_TRUE(back) << text;
    EXPECT_EQ(serialize(*back), text);
  }
}

TEST(Message, ResultSplicedAsTextEqualsTheSerialisedValue) {
  // A cached result is sent as text: the bytes must be those of serialising the value itself.
  const Json result = {{"content", {{{"type", "text"}, {"text", "a \"quoted\"\nline \xff"}}}},
                       {"structuredContent", {{"n", 1.5}, {"list", {1, 2}}}},
                       {"_meta", {{"cci/indexGeneration", 7}}}};
  for (const Id& id : {Id{std::int64_t{42}}, Id{std::int64_t{-1}}, Id{std::string("req \"7\"\n")}}) {
    EXPECT_EQ(serialize_result_text(id, to_text(result)), serialize_result(id, result));
  }
  EXPECT_EQ(serialize_result_text(Id{std::int64_t{1}}, to_text(Json::object())),
            serialize_result(Id{std::int64_t{1}}, Json::object()));
  EXPECT_EQ(to_text(Json{{"b", 1}, {"a", "x\ny"}}), R"({"a":"x\ny","b":1})");
}

TEST(Message, SerialisedOutputHasNoRawNewlinesAndReplacesInvalidUtf8) {
  const std::string text = serialize_result(Id{std::int64_t{1}}, Json{{"text", std::string("a\nb\r\t\xff\xfe z")}});
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_TRUE(Json::accept(text));
}

TEST(Message, ErrorWithoutIdSerialisesNullId) {
  const auto text = serialize_error(std::nullopt, RpcError{-32700, "Parse error", std::nullopt});
  const auto j = Json::parse(text);
  EXPECT_TRUE(j["id"].is_null());
  EXPECT_EQ(j["error"]["code"], -32700);
  EXPECT_FALSE(j["error"].contains("data"));
}

TEST(Message, NotificationOmitsNullParams) {
  const auto j = Json::parse(serialize_notification("notifications/initialized", nullptr));
  EXPECT_FALSE(j.contains("params"));
  EXPECT_FALSE(j.contains("id"));
}

TEST(Message, MapsCoreErrors) {
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::InvalidArgument, "x"}).code, error_code::kInvalidParams);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::NotFound, "x"}).code, error_code::kInvalidParams);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::IoError, "x"}).code, error_code::kInternalError);
  EXPECT_EQ(to_rpc_error(Error{ErrorCode::Internal, "x"}).code, error_code::kInternalError);
}

TEST(Message, IdHelpers) {
  EXPECT_EQ(to_string(Id{std::int64_t{5}}), "5");
  EXPECT_EQ(to_json(Id{std::string("a")}), Json("a"));
  EXPECT_EQ(to_json(Id{std::int64_t{5}}), Json(5));
}

}  // namespace
}  // namespace cci::rpc
