// mcp/schema.h — a small JSON Schema validator for tool arguments and tool results (private to
// mcp/).
//
// Covers what tool input and output schemas use: type (incl. integer vs number and type arrays),
// properties, required, additionalProperties (false or a schema, at any depth), enum, const,
// items, min/max(+exclusive), minLength/maxLength, minItems/maxItems, anyOf. `default`,
// descriptions and unknown keywords are ignored. Messages are written for a model to act on:
// "argument 'limit' must be an integer (got string)".
#pragma once

#include <string>
#include <vector>

#include "rpc/json.h"

namespace cci::mcp {

// Returns every violation found (empty = valid). `value` is the tools/call `arguments` object.
std::vector<std::string> validate_arguments(const rpc::Json& schema, const rpc::Json& value);

// The same checks for a tool's structuredContent against its outputSchema, worded for results:
// "field 'results[0].rank' is not declared in the outputSchema (expected: id, name, ...)".
std::vector<std::string> validate_structured_content(const rpc::Json& schema, const rpc::Json& value);

}  // namespace cci::mcp
