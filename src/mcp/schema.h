// mcp/schema.h — a small JSON Schema validator for tool arguments (private to mcp/).
//
// Covers what tool input schemas use: type (incl. integer vs number and type arrays), properties,
// required, additionalProperties, enum, const, items, min/max(+exclusive), minLength/maxLength,
// minItems/maxItems, anyOf. `default`, descriptions and unknown keywords are ignored. Messages are
// written for a model to act on: "argument 'limit' must be an integer (got string)".
#pragma once

#include <string>
#include <vector>

#include "rpc/json.h"

namespace cci::mcp {

// Returns every violation found (empty = valid). `value` is the tools/call `arguments` object.
std::vector<std::string> validate_arguments(const rpc::Json& schema, const rpc::Json& value);

}  // namespace cci::mcp
