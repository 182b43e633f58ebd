// tests/mcp/schema_test.cpp — the JSON Schema validator and its messages, for tool arguments and
// for structuredContent against a strict outputSchema.
#include "mcp/schema.h"

#include <gtest/gtest.h>

namespace cci::mcp {
namespace {

using rpc::Json;

std::string first_error(const Json& schema, const Json& value) {
  const auto errors = validate_arguments(schema, value);
  return errors.empty() ? std::string() : errors.front();
}

TEST(Schema, AcceptsValidArgumentsAndIgnoresDefault) {
  const Json schema = Json::parse(R"({"type":"object","properties":{
      "q":{"type":"string","default":"x"},"n":{"type":"integer","default":5},"kinds":{"type":"array","items":{"enum":["a","b"]}}},
      "required":["q"],"additionalProperties":false})");
  EXPECT_TRUE(validate_arguments(schema, Json{{"q", "foo"}}).empty());
  EXPECT_TRUE(validate_arguments(schema, Json{{"q", "foo"}, {"n", 3}, {"kinds", {"a", "b"}}}).empty());
}

TEST(Schema, NamesTheFieldAndWhatToFix) {
  const Json schema = Json::parse(R"({"type":"object","properties":{
      "limit":{"type":"integer","minimum":1,"maximum":50},"kind":{"enum":["function","class"]},
      "paths":{"type":"array","items":{"type":"string"},"maxItems":2},"opts":{"type":"object","properties":{"deep":{"type":"boolean"}}},
      "ratio":{"type":"number","exclusiveMinimum":0},"name":{"type":["string","null"],"maxLength":3}}})");
  EXPECT_EQ(first_error(schema, Json{{"limit", "10"}}), "argument 'limit' must be an integer (got string)");
  EXPECT_EQ(first_error(schema, Json{{"limit", 0}}), "argument 'limit' must be >= 1 (got 0)");
  EXPECT_EQ(first_error(schema, Json{{"limit", 51}}), "argument 'limit' must be <= 50 (got 51)");
  EXPECT_EQ(first_error(schema, Json{{"kind", "enum"}}), R"(argument 'kind' must be one of "function", "class" (got "enum"))");
  EXPECT_EQ(first_error(schema, Json{{"paths", {"a", 1}}}), "argument 'paths[1]' must be a string (got integer)");
  EXPECT_EQ(first_error(schema, Json{{"paths", {"a", "b", "c"}}}), "argument 'paths' must have at most 2 items");
  EXPECT_EQ(first_error(schema, Json{{"opts", {{"deep", 1}}}}), "argument 'opts.deep' must be a boolean (got integer)");
  EXPECT_EQ(first_error(schema, Json{{"ratio", 0}}), "argument 'ratio' must be > 0 (got 0)");
  EXPECT_EQ(first_error(schema, Json{{"name", 5}}), "argument 'name' must be a string or a null (got integer)");
  EXPECT_TRUE(validate_arguments(schema, Json{{"name", nullptr}}).empty());
  EXPECT_EQ(first_error(schema, Json{{"name", "abcd"}}), "argument 'name' must be at most 3 characters long");
}

TEST(Schema, StringLengthCountsCodePoints) {
  const Json schema = Json::parse(R"({"type":"object","properties":{"s":{"type":"string","maxLength":2}}})");
  EXPECT_TRUE(validate_arguments(schema, Json{{"s", "\xc3\xa9\xc3\xa9"}}).empty());
}

TEST(Schema, RequiredAndAdditionalProperties) {
  const Json schema = Json::parse(R"({"type":"object","properties":{"a":{}},"required":["a"],"additionalProperties":false})");
  const auto errors = validate_arguments(schema, Json{{"b", 1}});
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0], "argument 'a' is required");
  EXPECT_EQ(errors[1], "argument 'b' is not a known argument (expected: a)");
  const Json none = Json::parse(R"({"type":"object","additionalProperties":false})");
  EXPECT_EQ(first_error(none, Json{{"x", 1}}), "argument 'x' is not a known argument (this tool takes none)");
}

TEST(Schema, NumberAcceptsIntegersAndIntegerAcceptsIntegralFloats) {
  const Json schema = Json::parse(R"({"type":"object","properties":{"n":{"type":"number"},"i":{"type":"integer"}}})");
  EXPECT_TRUE(validate_arguments(schema, Json{{"n", 3}, {"i", 4.0}}).empty());
  EXPECT_EQ(first_error(schema, Json{{"i", 4.5}}), "argument 'i' must be an integer (got number)");
}

TEST(Schema, AnyOf) {
  const Json schema = Json::parse(R"({"type":"object","properties":{"v":{"anyOf":[{"type":"string"},{"type":"integer"}]}}})");
  EXPECT_TRUE(validate_arguments(schema, Json{{"v", 1}}).empty());
  EXPECT_TRUE(validate_arguments(schema, Json{{"v", "x"}}).empty());
  EXPECT_FALSE(validate_arguments(schema, Json{{"v", true}}).empty());
}

// A strict outputSchema: additionalProperties false on the result, on objects inside it and on
// objects inside arrays; a map-like object constrains its values instead.
const Json kStrictOutput = Json::parse(R"({"type":"object","additionalProperties":false,"required":["results"],
    "properties":{"results":{"type":"array","items":{"type":"object","additionalProperties":false,"required":["id"],
                   "properties":{"id":{"type":"string"},"body":{"type":"object","additionalProperties":false,
                                 "properties":{"text":{"type":"string"}}}}}},
                  "counts":{"type":"object","additionalProperties":{"type":"integer"}},
                  "empty":{"type":"object","additionalProperties":false,"properties":{}},
                  "truncated":{"type":"boolean"}}})");

TEST(Schema, StructuredContentMatchingAStrictSchemaIsValid) {
  const Json value = Json::parse(R"({"results":[{"id":"1","body":{"text":"x"}},{"id":"2"}],
                                     "counts":{"python":3,"c":1},"empty":{},"truncated":false})");
  EXPECT_TRUE(validate_structured_content(kStrictOutput, value).empty());
}

TEST(Schema, StructuredContentNamesUndeclaredFieldsAtAnyDepth) {
  const auto errors_for = [](const char* json) { return validate_structured_content(kStrictOutput, Json::parse(json)); };
  EXPECT_EQ(errors_for(R"({"results":[],"next_offset":3})"),
            std::vector<std::string>{"field 'next_offset' is not declared in the outputSchema (expected: counts, empty, "
                                     "results, truncated)"});
  EXPECT_EQ(errors_for(R"({"results":[{"id":"1"},{"id":"2","rank":2}]})"),
            std::vector<std::string>{"field 'results[1].rank' is not declared in the outputSchema (expected: body, id)"});
  EXPECT_EQ(errors_for(R"({"results":[{"id":"1","body":{"text":"x","truncated":true}}]})"),
            std::vector<std::string>{"field 'results[0].body.truncated' is not declared in the outputSchema (expected: "
                                     "text)"});
  EXPECT_EQ(errors_for(R"({"results":[],"empty":{"x":1}})"),
            std::vector<std::string>{"field 'empty.x' is not declared in the outputSchema (none declared)"});
  EXPECT_EQ(errors_for(R"({"results":[],"counts":{"python":"3"}})"),
            std::vector<std::string>{"field 'counts.python' must be an integer (got string)"});
  EXPECT_EQ(errors_for(R"({"results":[{}]})"), std::vector<std::string>{"field 'results[0].id' is required"});
  EXPECT_EQ(errors_for(R"([])"), std::vector<std::string>{"structuredContent must be an object (got array)"});
}

}  // namespace
}  // namespace cci::mcp
