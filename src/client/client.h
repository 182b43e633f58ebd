// client/client.h — the C++ client library for the cci daemon: a pool of MCP sessions over the
// Unix socket or WebSocket, with request-id matching, many concurrent calls per connection,
// timeouts, and transparent reconnection.
//
//   auto client = cci::client::Client::connect(cci::client::ClientOptions::for_daemon(data_dir));
//   if (!client) return fail(client.error());
//   auto hits = (*client)->call_tool("search_code", {{"terms", "parse http"}, {"limit", 5}});
//   if (hits && !hits->is_error) use(hits->structured);
//
// Each pooled connection is initialized once (initialize + notifications/initialized, with the
// client's working directory in _meta so tools default to the right project); a call goes to the
// least busy connection; a connection that dropped is re-established on its next use. Server
// to client requests (roots/list, sampling, elicitation) are answered with "not supported".
//
// Thread safety: every member may be called from any thread concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>

#include "core/result.h"
#include "rpc/json.h"

namespace cci::client {

using rpc::Json;

struct ClientOptions {
  std::string url;                                // ws://host:port/ or unix:/path
  std::string bearer_token;                       // for ws:// (for_daemon reads daemon.token)
  std::size_t pool_size = 2;                      // connections, opened lazily
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds request_timeout{60000};
  std::filesystem::path working_directory;        // sent in initialize _meta; empty = current dir
  std::string client_name = "cci-client";
  std::string client_version = "0";

  // The local daemon of `data_dir` (empty = cci::data_dir()) over its Unix socket.
  static ClientOptions for_daemon(const std::filesystem::path& data_dir = {});
};

struct ToolCallResult {
  Json structured;        // structuredContent (null when absent)
  std::string text;       // the text content blocks, joined
  bool is_error = false;  // isError
  Json raw;               // the whole tools/call result
};

struct PoolStats {
  std::size_t connections_open = 0;
  std::size_t in_flight = 0;
  std::uint64_t requests = 0;
  std::uint64_t reconnects = 0;
};

class Client {
 public:
  // Opens the first connection eagerly (so a missing daemon fails here, with Unavailable).
  static Result<std::unique_ptr<Client>> connect(ClientOptions options);
  virtual ~Client() = default;

  // Sync: blocks until the response, the timeout (Timeout; a notifications/cancelled is sent),
  // or the connection's loss (Unavailable). A JSON-RPC error response becomes an Error whose
  // message is the server's.
  virtual Result<Json> request(const std::string& method, Json params,
                               std::optional<std::chrono::milliseconds> timeout = std::nullopt) = 0;
  virtual Result<ToolCallResult> call_tool(const std::string& name, Json arguments,
                                           std::optional<std::chrono::milliseconds> timeout = std::nullopt) = 0;

  // Async: the callback runs once, on a connection's reader thread (keep it short).
  using Callback = std::function<void(Result<Json>)>;
  virtual void request_async(const std::string& method, Json params, Callback done,
                             std::optional<std::chrono::milliseconds> timeout = std::nullopt) = 0;
  virtual std::future<Result<ToolCallResult>> call_tool_async(const std::string& name, Json arguments) = 0;

  virtual PoolStats stats() const = 0;
};

// Converts a tools/call result object into a ToolCallResult.
ToolCallResult to_tool_call_result(Json result);

}  // namespace cci::client
