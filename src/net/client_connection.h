// net/client_connection.h — the client side of our transports: one message connection to an
// MCP server over WebSocket (`ws://host:port/path`, subprotocol "mcp", bearer token in the
// Authorization header) or over a Unix domain socket (`unix:/path/to/socket`, newline-delimited
// JSON-RPC as on stdio), plus a minimal HTTP GET for the daemon's status endpoints.
//
// The proxy and the client library build on this; neither sees Boost.
//
// Thread safety: send() and close() may be called from any thread. Handlers run on the
// connection's own reader thread, one at a time, in arrival order; on_close runs exactly once,
// after the last on_message, whether the peer, an error or close() ended the connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cci::net {

struct Endpoint {
  enum class Kind { WebSocket, Unix };
  Kind kind = Kind::WebSocket;
  std::string host = "127.0.0.1";   // WebSocket
  std::uint16_t port = 8765;        // WebSocket
  std::string target = "/";         // WebSocket request target
  std::filesystem::path socket_path;  // Unix

  // "ws://127.0.0.1:8765", "ws://[::1]:9000/mcp", "unix:/run/cci.sock", "unix:///run/cci.sock".
  // InvalidArgument names what is wrong (wss:// and http:// are refused with a hint).
  static Result<Endpoint> parse(std::string_view url);
  std::string to_string() const;  // the URL form parse() accepts
};

struct ConnectOptions {
  std::string bearer_token;                       // WebSocket only; empty = no Authorization header
  std::chrono::milliseconds timeout{2000};        // connect + handshake
  std::size_t max_message_bytes = 64u << 20;      // larger incoming messages close the connection
};

class MessageConnection {
 public:
  using MessageHandler = std::function<void(std::string message)>;
  using CloseHandler = std::function<void(std::string reason)>;

  // Connects and completes the handshake. Errors: Unavailable when nothing listens (connection
  // refused, no such socket file), Refused on 401/403 (message says which), Timeout, IoError.
  static Result<std::shared_ptr<MessageConnection>> connect(const Endpoint& endpoint, const ConnectOptions& options,
                                                            MessageHandler on_message, CloseHandler on_close);
  virtual ~MessageConnection() = default;

  // Queues one serialised JSON-RPC message (no trailing newline). False when already closed.
  virtual bool send(std::string message) = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;
};

// GET http://host:port{target} with an optional bearer token; the status and body.
Result<std::pair<int, std::string>> http_get(const std::string& host, std::uint16_t port, const std::string& target,
                                             const std::string& bearer_token, std::chrono::milliseconds timeout);

}  // namespace cci::net
