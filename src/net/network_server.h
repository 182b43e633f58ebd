// net/network_server.h — MCP over the network: one TCP port serving WebSocket (subprotocol
// "mcp", one JSON-RPC message per text frame, connection = session) and Streamable HTTP on /mcp
// (POST with JSON or SSE responses, 202 for notifications/responses, GET standalone SSE stream,
// DELETE ends the session, Mcp-Session-Id, MCP-Protocol-Version checks, SSE priming event and
// `retry`, resumption with Last-Event-ID, SSE polling on request, idle-session expiry). Built on
// Boost.Asio/Beast.
//
// Security: binds loopback by default; validates Host and Origin on every request (403 on a
// present-and-foreign Origin, 421/403 on a foreign Host); when a bearer token is configured every
// request must carry `Authorization: Bearer <token>` (401 otherwise); binding a non-loopback
// address without a token is refused at start.
//
// Local clients: with `unix_socket` set the same server also accepts connections on that Unix
// domain socket (created 0600, a stale file at the path is replaced), one MCP session per
// connection, newline-delimited JSON-RPC exactly as on stdio. File permissions are its access
// control, so it needs no token.
//
// Extra HTTP routes (the daemon's /healthz, /metrics, /status) are answered on the io thread, so
// their handlers must be cheap; they pass the Host/Origin checks and, when `needs_token`, the
// bearer token check.
//
// Thread safety: start() returns a running server; stop() may be called from any thread
// (e.g. a signal handler thread) and waits for in-flight requests up to a bound.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "mcp/server.h"

namespace cci::net {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct HttpRoute {
  std::string path;              // exact match on the target's path, e.g. "/metrics"
  bool needs_token = true;       // false: answered without the bearer token (liveness probes)
  std::function<HttpReply()> handler;  // GET and HEAD only; other methods get 405
};

struct NetworkOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                          // 0 = an ephemeral port (see NetworkServer::port)
  std::string bearer_token;                        // empty = none (refused on non-loopback hosts)
  std::vector<std::string> allowed_origins;        // extra Origins besides http(s)://localhost|127.0.0.1|[::1][:port]
  std::size_t io_threads = 2;
  std::chrono::seconds session_idle_timeout{1800}; // Streamable HTTP sessions without traffic expire
  std::size_t max_message_bytes = 16u << 20;       // HTTP body / WebSocket message limit (413 / close 1009)
  std::filesystem::path working_directory;         // default project for sessions (empty = current dir)
  std::filesystem::path unix_socket;               // also serve NDJSON sessions here (empty = no)
  std::vector<HttpRoute> routes;                   // besides /mcp; a route for /healthz replaces the built-in one
  // SSE polling (2025-11-25): a POST carrying a request this returns true for is answered with an
  // SSE stream that the server ends right after the priming event (event id + `retry`) instead of
  // holding the connection open while the request runs; the client reconnects with GET and
  // Last-Event-ID and receives everything said on the stream, the response included. Applied only
  // to sessions that negotiated 2025-11-25 or later: older clients do not know to reconnect.
  // Called on an io thread with each request of the body (an object with a string `method` and
  // an `id`); it must be cheap and must not throw. Empty = never poll.
  std::function<bool(const mcp::Json& request)> poll_request;
};

class NetworkServer {
 public:
  // Binds and starts serving. Errors: the address is in use or not loopback without a token, ...
  static Result<std::unique_ptr<NetworkServer>> start(mcp::Server& server, NetworkOptions options);
  virtual ~NetworkServer() = default;

  virtual std::uint16_t port() const = 0;   // the bound port
  virtual std::string host() const = 0;
  virtual void stop() = 0;                  // graceful: stop accepting, close sessions, join threads
  virtual void wait() = 0;                  // blocks until stop() completes
  virtual std::size_t open_sessions() const = 0;  // WebSocket + Streamable HTTP + Unix socket
  virtual std::filesystem::path unix_socket() const = 0;  // empty when not serving one
};

}  // namespace cci::net
