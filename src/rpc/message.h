// rpc/message.h — JSON-RPC 2.0 messages: parsing, validation and compact serialisation.
//
// Knows nothing of MCP. One message per call: a request, a notification or a response. Batches
// (JSON arrays) are parsed only when the caller allows them (MCP 2025-03-26); otherwise they are
// an InvalidRequest error. Serialised messages never contain a raw newline (stdio framing).
//
// Thread safety: free functions, reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"
#include "rpc/json.h"

namespace cci::rpc {

// JSON-RPC ids are strings or integers; never null.
using Id = std::variant<std::int64_t, std::string>;
std::string to_string(const Id& id);
Json to_json(const Id& id);

namespace error_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kResourceNotFound = -32002;   // MCP 2025-11-25
inline constexpr int kRequestTimeout = -32001;     // SDK convention
inline constexpr int kServerError = -32000;        // SDK convention ("Bad Request: ...")
}  // namespace error_code

struct RpcError {
  int code = error_code::kInternalError;
  std::string message;
  std::optional<Json> data;
};

// Maps a cci::Error from the lower layers to a JSON-RPC error (InvalidArgument -> -32602, ...).
RpcError to_rpc_error(const Error& error);

struct Request {
  Id id;
  std::string method;
  Json params;  // object, or null when absent
};

struct Notification {
  std::string method;
  Json params;
};

struct Response {
  Id id;
  std::optional<Json> result;    // exactly one of result / error is set
  std::optional<RpcError> error;
};

using Message = std::variant<Request, Notification, Response>;

// A message that could not be accepted, with the id when one could be read (so the error
// response can carry it).
struct ParseFailure {
  RpcError error;
  std::optional<Id> id;
};

// Parses and validates one JSON-RPC 2.0 message (jsonrpc == "2.0", id type, method string,
// params object/array, result xor error). Arrays are rejected with InvalidRequest.
std::expected<Message, ParseFailure> parse_message(std::string_view text);

// Parses a batch (JSON array) or a single message; each element is parsed independently.
// An empty array is one InvalidRequest failure.
std::vector<std::expected<Message, ParseFailure>> parse_batch(std::string_view text);
bool looks_like_batch(std::string_view text);  // first non-space character is '['

// Compact, single-line JSON (invalid UTF-8 replaced, so output is always valid JSON).
std::string serialize(const Message& message);
std::string serialize_result(const Id& id, Json result);
// The same response for a result already serialised by to_text (e.g. kept by a result cache):
// spliced in as it is, never parsed again; the bytes equal serialize_result's for that value.
std::string serialize_result_text(const Id& id, std::string_view result_text);
// One value as compact single-line JSON, exactly as the serialisers write it inside a message.
std::string to_text(const Json& value);
std::string serialize_error(const std::optional<Id>& id, const RpcError& error);
std::string serialize_notification(std::string_view method, Json params);
std::string serialize_request(const Id& id, std::string_view method, Json params);

}  // namespace cci::rpc
