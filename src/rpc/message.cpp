// rpc/message.cpp — JSON-RPC 2.0 parsing, validation and compact single-line serialisation.
#include "rpc/message.h"

#include <limits>
#include <utility>

namespace cci::rpc {
namespace {

std::unexpected<ParseFailure> fail(int code, std::string message, std::optional<Id> id = std::nullopt) {
  return std::unexpected(ParseFailure{RpcError{code, std::move(message), std::nullopt}, std::move(id)});
}

// Reads an id if it has a legal type; anything else (null, float, bool, object) is nullopt.
std::optional<Id> read_id(const Json& value) {
  if (value.is_string()) return Id{value.get<std::string>()};
  if (value.is_number_integer() && !value.is_number_unsigned()) return Id{value.get<std::int64_t>()};
  if (value.is_number_unsigned()) {
    const auto u = value.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Id{static_cast<std::int64_t>(u)};
    }
  }
  return std::nullopt;
}

std::string_view type_name(const Json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number()) return "number";
  return value.type_name();
}

// Takes the value apart: params, result and error data are moved out, not copied.
std::expected<Message, ParseFailure> parse_value(Json& json) {
  if (json.is_array()) return fail(error_code::kInvalidRequest, "batch (array) messages are not supported");
  if (!json.is_object()) {
    return fail(error_code::kInvalidRequest,
                std::string("a JSON-RPC message must be an object, not ") + std::string(type_name(json)));
  }
  std::optional<Id> id;
  const auto id_it = json.find("id");
  if (id_it != json.end()) id = read_id(*id_it);

  const auto version = json.find("jsonrpc");
  if (version == json.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
    return fail(error_code::kInvalidRequest, "\"jsonrpc\" must be \"2.0\"", id);
  }

  const auto method = json.find("method");
  if (method != json.end()) {
    if (!method->is_string()) return fail(error_code::kInvalidRequest, "\"method\" must be a string", id);
    Json params = nullptr;
    if (const auto p = json.find("params"); p != json.end()) {
      if (!p->is_object() && !p->is_array()) {
        return fail(error_code::kInvalidRequest, "\"params\" must be an object or an array", id);
      }
      params = std::move(*p);
    }
    if (id_it == json.end()) return Notification{method->get<std::string>(), std::move(params)};
    if (id_it->is_null()) return fail(error_code::kInvalidRequest, "\"id\" must not be null");
    if (!id) return fail(error_code::kInvalidRequest, "\"id\" must be a string or an integer");
    return Request{*id, method->get<std::string>(), std::move(params)};
  }

  // No method: a response.
  if (id_it == json.end() || id_it->is_null()) {
    return fail(error_code::kInvalidRequest, "a message without \"method\" must be a response with an \"id\"");
  }
  if (!id) return fail(error_code::kInvalidRequest, "\"id\" must be a string or an integer");
  const auto result = json.find("result");
  const auto error = json.find("error");
  const bool has_result = result != json.end();
  const bool has_error = error != json.end();
  if (has_result == has_error) {
    return fail(error_code::kInvalidRequest, "a response must have exactly one of \"result\" and \"error\"", id);
  }
  Response response{*id, std::nullopt, std::nullopt};
  if (has_result) {
    response.result = std::move(*result);
    return response;
  }
  if (!error->is_object()) return fail(error_code::kInvalidRequest, "\"error\" must be an object", id);
  const auto code = error->find("code");
  const auto message = error->find("message");
  if (code == error->end() || !code->is_number_integer()) {
    return fail(error_code::kInvalidRequest, "\"error.code\" must be an integer", id);
  }
  if (message == error->end() || !message->is_string()) {
    return fail(error_code::kInvalidRequest, "\"error.message\" must be a string", id);
  }
  RpcError rpc_error{code->get<int>(), message->get<std::string>(), std::nullopt};
  if (const auto data = error->find("data"); data != error->end()) rpc_error.data = std::move(*data);
  response.error = std::move(rpc_error);
  return response;
}

std::optional<Json> parse_json(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return std::nullopt;
  return json;
}

std::string dump(const Json& json) {
  // Compact output escapes every control character, so no raw newline can appear; invalid UTF-8
  // is replaced rather than thrown on, because a tool may return arbitrary file bytes.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json error_json(const RpcError& error) {
  Json out = {{"code", error.code}, {"message", error.message}};
  if (error.data) out["data"] = *error.data;
  return out;
}

}  // namespace

std::string to_string(const Id& id) {
  if (const auto* n = std::get_if<std::int64_t>(&id)) return std::to_string(*n);
  return std::get<std::string>(id);
}

Json to_json(const Id& id) {
  if (const auto* n = std::get_if<std::int64_t>(&id)) return Json(*n);
  return Json(std::get<std::string>(id));
}

RpcError to_rpc_error(const Error& error) {
  switch (error.code) {
    case ErrorCode::InvalidArgument:
    case ErrorCode::NotFound:
      return RpcError{error_code::kInvalidParams, error.message, std::nullopt};
    default:
      return RpcError{error_code::kInternalError, error.describe(), std::nullopt};
  }
}

std::expected<Message, ParseFailure> parse_message(std::string_view text) {
  auto json = parse_json(text);
  if (!json) return fail(error_code::kParseError, "Parse error: the message is not valid JSON");
  return parse_value(*json);
}

std::vector<std::expected<Message, ParseFailure>> parse_batch(std::string_view text) {
  std::vector<std::expected<Message, ParseFailure>> out;
  auto json = parse_json(text);
  if (!json) {
    out.push_back(fail(error_code::kParseError, "Parse error: the message is not valid JSON"));
    return out;
  }
  if (!json->is_array()) {
    out.push_back(parse_value(*json));
    return out;
  }
  if (json->empty()) {
    out.push_back(fail(error_code::kInvalidRequest, "an empty batch is not a valid request"));
    return out;
  }
  out.reserve(json->size());
  for (auto& element : *json) {
    if (element.is_array()) {
      out.push_back(fail(error_code::kInvalidRequest, "a batch must not contain nested arrays"));
    } else {
      out.push_back(parse_value(element));
    }
  }
  return out;
}

bool looks_like_batch(std::string_view text) {
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '[';
  }
  return false;
}

std::string serialize(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::string {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Request>) {
          return serialize_request(m.id, m.method, m.params);
        } else if constexpr (std::is_same_v<T, Notification>) {
          return serialize_notification(m.method, m.params);
        } else {
          if (m.error) return serialize_error(m.id, *m.error);
          return serialize_result(m.id, m.result.value_or(Json::object()));
        }
      },
      message);
}

std::string serialize_result(const Id& id, Json result) {
  Json out = {{"jsonrpc", "2.0"}, {"id", to_json(id)}, {"result", std::move(result)}};
  return dump(out);
}

std::string serialize_result_text(const Id& id, std::string_view result_text) {
  // Keys in the order the Json object would dump them (sorted): id, jsonrpc, result.
  std::string out;
  const std::string id_text = dump(to_json(id));
  out.reserve(result_text.size() + id_text.size() + 32);
  out += "{\"id\":";
  out += id_text;
  out += ",\"jsonrpc\":\"2.0\",\"result\":";
  out += result_text;
  out += '}';
  return out;
}

std::string to_text(const Json& value) { return dump(value); }

std::string serialize_error(const std::optional<Id>& id, const RpcError& error) {
  Json out = {{"jsonrpc", "2.0"}, {"id", id ? to_json(*id) : Json(nullptr)}, {"error", error_json(error)}};
  return dump(out);
}

std::string serialize_notification(std::string_view method, Json params) {
  Json out = {{"jsonrpc", "2.0"}, {"method", method}};
  if (!params.is_null()) out["params"] = std::move(params);
  return dump(out);
}

std::string serialize_request(const Id& id, std::string_view method, Json params) {
  Json out = {{"jsonrpc", "2.0"}, {"id", to_json(id)}, {"method", method}};
  if (!params.is_null()) out["params"] = std::move(params);
  return dump(out);
}

}  // namespace cci::rpc
