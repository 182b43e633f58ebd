// mcp/server.h — the Model Context Protocol server: lifecycle, tools, resources, prompts,
// progress, cancellation, logging, pagination and completion, independent of any transport.
//
// A Server holds what all sessions share (registries, the worker pool, open project indexes). A
// transport (stdio, WebSocket, Streamable HTTP in net/) opens one Session per connection and
// feeds it complete incoming messages with Session::receive(); the session writes everything it
// has to say through Outbound channels. Requests run on the server's worker pool, so a long tool
// call never blocks the transport or other sessions; responses may come out of order.
//
// Thread safety: Server and Session are thread-safe. Outbound::send may be called from any
// worker thread; implementations serialise their writes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "rpc/json.h"
#include "rpc/message.h"

namespace cci::mcp {

using rpc::Json;

inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
// Newest first; initialize echoes the client's version when it is one of these.
inline constexpr std::string_view kSupportedProtocolVersions[] = {"2025-11-25", "2025-06-18", "2025-03-26"};

// Where a session's outgoing messages go (one serialised JSON-RPC message per call, no newline).
class Outbound {
 public:
  virtual ~Outbound() = default;
  virtual void send(std::string message) = 0;
};

struct ToolAnnotations {
  std::optional<bool> read_only;     // readOnlyHint
  std::optional<bool> destructive;   // destructiveHint
  std::optional<bool> idempotent;    // idempotentHint
  std::optional<bool> open_world;    // openWorldHint
};

enum class LogLevel { Debug = 0, Info, Notice, Warning, Error, Critical, Alert, Emergency };

class ToolContext;

struct ToolResult {
  Json content = Json::array();         // [{type:"text", text:...}, ...]
  std::optional<Json> structured;       // structuredContent (must match outputSchema when declared)
  bool is_error = false;
  std::optional<Json> meta;             // _meta: what the result was computed from (e.g. index generation)
  // content, structuredContent and isError already serialised as one compact JSON object (what
  // the tools/call result would be without _meta), e.g. kept by a result cache. When set it
  // stands for `content` and `structured`, which are not read; `is_error` must agree with it and
  // `meta` is still added. Sessions send the text as it is: a cached answer is never re-serialised.
  std::shared_ptr<const std::string> serialized;

  static ToolResult text(std::string text);
  static ToolResult error(std::string message);  // isError: true, the message tells the model what to fix
};

// Which worker pool runs a tool: queries are short and many; indexing is long and must never
// occupy the threads that answer searches (ServerOptions::index_threads bounds it).
enum class ToolPool { Query, Index };

struct ToolSpec {
  std::string name;
  std::string title;
  std::string description;
  Json input_schema;                    // JSON Schema object; arguments are validated against it
  std::optional<Json> output_schema;
  ToolAnnotations annotations;
  std::function<Result<ToolResult>(ToolContext&)> handler;  // runs on a worker thread
  ToolPool pool = ToolPool::Query;
  // Optional, for ToolPool::Query tools: the answer when it can be given at once, on the thread
  // that received the call (a transport's), such as a result cache hit; nullopt = run `handler`
  // on the pool as usual. It saves the hop to a worker and back, so it must be cheap and never
  // block: its context's request_client() fails at once, and the session's default directory
  // comes from known_project_path(). Called with validated arguments.
  std::function<std::optional<ToolResult>(ToolContext&)> answer_at_once;
};

// What a tool handler can see and do while it runs.
class ToolContext {
 public:
  virtual ~ToolContext() = default;
  virtual const Json& arguments() const = 0;
  // notifications/progress to the requester, if it sent a progressToken (no-op otherwise).
  virtual void progress(double done, std::optional<double> total, std::string message = {}) = 0;
  virtual bool cancelled() const = 0;   // notifications/cancelled arrived, or the session closed
  virtual void log(LogLevel level, std::string logger, Json data) = 0;  // notifications/message, filtered by setLevel
  // A request to the client (roots/list, sampling/createMessage, elicitation/create), sent on
  // this request's channel; blocks this worker until the answer, the timeout or cancellation.
  virtual Result<Json> request_client(std::string method, Json params, std::chrono::milliseconds timeout) = 0;
  virtual const Json& client_capabilities() const = 0;
  virtual const Json& client_info() const = 0;
  // The directory tools default to: the client's first root (file:// URI), else the session's
  // working directory (see SessionInfo::working_directory).
  virtual std::filesystem::path default_project_path() = 0;
  // default_project_path() when it is known without asking the client (it declared no roots, or
  // they were listed already); nullopt when it would take a roots/list round trip.
  virtual std::optional<std::filesystem::path> known_project_path() { return default_project_path(); }
};

struct ResourceContent {
  std::string uri;
  std::string mime_type;
  std::optional<std::string> text;
  std::optional<std::string> blob_base64;
};

struct ResourceSpec {
  std::string uri;
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
  std::function<Result<std::vector<ResourceContent>>()> read;
};

// Dynamic resources: listed page by page (cursor = opaque string) and read by URI.
struct ResourceProvider {
  std::string name;  // for diagnostics
  // Returns resources after `cursor` (empty = from the start) and the next cursor (empty = end).
  std::function<Result<std::pair<std::vector<ResourceSpec>, std::string>>(ToolContext&, const std::string& cursor,
                                                                           std::size_t page_size)> list;
  // nullopt when the URI is not this provider's; an error when it is but cannot be read.
  std::function<std::optional<Result<std::vector<ResourceContent>>>(ToolContext&, const std::string& uri)> read;
};

struct ResourceTemplateSpec {
  std::string uri_template;  // RFC 6570, e.g. "cci://file/{path}"
  std::string name;
  std::string title;
  std::string description;
  std::string mime_type;
};

struct PromptArgument {
  std::string name;
  std::string description;
  bool required = false;
};

struct PromptSpec {
  std::string name;
  std::string title;
  std::string description;
  std::vector<PromptArgument> arguments;
  // Returns {description?, messages:[{role, content}]}.
  std::function<Result<Json>(ToolContext&, const Json& arguments)> get;
  // Completion values for one argument given its partial value (completion/complete).
  std::function<std::vector<std::string>(const std::string& argument, const std::string& value)> complete;
};

// One finished request, for metrics (ServerOptions::on_request). `outcome` is "ok", "error" (a
// JSON-RPC error), "tool_error" (an isError tool result) or "cancelled".
struct RequestRecord {
  std::string_view method;     // "tools/call", "resources/read", ...
  std::string_view tool;       // the tool name for tools/call, else empty
  std::string_view outcome;
  std::chrono::nanoseconds duration{};  // from receipt to response
};

struct ServerStats {
  std::size_t open_sessions = 0;
  std::size_t in_flight = 0;      // requests running or queued, all sessions
  std::size_t queued = 0;         // waiting for a worker
};

struct ServerOptions {
  std::string name = "cci";
  std::string title = "claude-code-indexer";
  std::string version;
  std::string instructions;
  std::size_t worker_threads = 0;               // 0 = hardware concurrency
  std::size_t max_message_bytes = 16u << 20;    // larger incoming messages are rejected
  std::size_t max_concurrent_requests = 64;     // per session; beyond it requests get an error
  std::size_t page_size = 100;                  // tools/list, resources/list, prompts/list
  // Declare `resources.subscribe` and answer resources/subscribe and resources/unsubscribe;
  // Server::notify_resource_updated then reaches the subscribed sessions. Off: both methods are
  // unknown (-32601), as for a server whose resources never change.
  bool resource_subscriptions = false;
  std::size_t index_threads = 1;                // the ToolPool::Index pool
  // Backpressure: requests waiting for a worker beyond this get -32000 "server busy" at once
  // instead of queueing without bound.
  std::size_t max_queued_requests = 1024;
  // Called on the worker thread after each request's response is sent (must be thread-safe and
  // cheap). ping and initialize, answered inline, are reported too.
  std::function<void(const RequestRecord&)> on_request;
};

// Per-connection facts a transport knows.
//
// A client may name its own working directory in initialize's `params._meta["cci/workingDirectory"]`
// (an absolute path; the proxy does, since the daemon's directory means nothing to the client);
// it then replaces `working_directory` for that session.
inline constexpr std::string_view kWorkingDirectoryMeta = "cci/workingDirectory";

struct SessionInfo {
  std::string transport;                        // "stdio", "websocket", "http", "unix"
  std::filesystem::path working_directory;      // default project when the client has no roots
};

class Session;

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Registration happens before sessions open (not synchronised with running sessions).
  void add_tool(ToolSpec tool);
  void add_resource(ResourceSpec resource);
  void add_resource_provider(ResourceProvider provider);
  void add_resource_template(ResourceTemplateSpec resource_template);
  void add_prompt(PromptSpec prompt);

  // `out` receives everything not tied to a request channel (and, for stdio and WebSocket,
  // everything: pass the same channel to receive()).
  std::shared_ptr<Session> open_session(std::shared_ptr<Outbound> out, SessionInfo info);

  const ServerOptions& options() const;
  ServerStats stats() const;

  // Sends notifications/resources/updated {uri} to every open session subscribed to `uri`
  // (needs ServerOptions::resource_subscriptions). Safe from any thread.
  void notify_resource_updated(const std::string& uri);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

class Session {
 public:
  virtual ~Session() = default;
  // One complete incoming message (a line, a frame, a POST body). Responses and notifications
  // about this message go to `channel` (Streamable HTTP passes the POST's stream; others pass
  // nullptr = the session's outbound). Oversized, malformed and batch input is answered with the
  // JSON-RPC error the spec names; nothing is ever thrown.
  virtual void receive(std::string_view message, std::shared_ptr<Outbound> channel = nullptr) = 0;
  // The transport is gone: in-flight work is cancelled and nothing more is sent.
  virtual void close() = 0;
  virtual bool initialized() const = 0;
  virtual std::string protocol_version() const = 0;  // negotiated, empty before initialize
  virtual std::size_t in_flight() const = 0;         // requests still running (for HTTP stream lifetime)
};

}  // namespace cci::mcp
