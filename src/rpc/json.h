// rpc/json.h — the JSON value type of the protocol layers (nlohmann::json, owned by rpc/).
// Modules above rpc/ (mcp, net, cli) use rpc::Json rather than including nlohmann directly.
#pragma once

#include <nlohmann/json.hpp>

namespace cci::rpc {

using Json = nlohmann::json;
// Keeps object keys in insertion order: for rewriting files people wrote (client configs).
using OrderedJson = nlohmann::ordered_json;

}  // namespace cci::rpc
