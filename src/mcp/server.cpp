// mcp/server.cpp — the MCP server core: session lifecycle, method dispatch on the worker pool,
// tool argument validation, pagination, progress, cancellation, logging and server→client requests.
#include "mcp/server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "core/log.h"
#include "core/thread_pool.h"
#include "mcp/schema.h"
#include "mcp/tool_call.h"

namespace cci::mcp {

namespace ec = rpc::error_code;
using rpc::Id;
using rpc::RpcError;

ToolResult ToolResult::text(std::string text) {
  ToolResult r;
  r.content.push_back(Json{{"type", "text"}, {"text", std::move(text)}});
  return r;
}

ToolResult ToolResult::error(std::string message) {
  ToolResult r = text(std::move(message));
  r.is_error = true;
  return r;
}

namespace {

constexpr std::array<std::string_view, 8> kLevelNames = {"debug",    "info",  "notice", "warning",
                                                         "error",    "critical", "alert", "emergency"};
constexpr std::size_t kMaxCompletionValues = 100;

std::optional<LogLevel> parse_level(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<LogLevel>(i);
  }
  return std::nullopt;
}

// Map key for an id: "i:7" and "s:7" must not collide.
std::string id_key(const Id& id) {
  if (const auto* n = std::get_if<std::int64_t>(&id)) return "i:" + std::to_string(*n);
  return "s:" + std::get<std::string>(id);
}

std::optional<Id> id_from_json(const Json& j) {
  if (j.is_string()) return Id{j.get<std::string>()};
  if (j.is_number_integer()) return Id{j.get<std::int64_t>()};
  return std::nullopt;
}

std::string format_size_limit(std::size_t bytes) {
  constexpr std::size_t kMiB = 1u << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  return std::to_string(bytes) + " bytes";
}

// --- opaque cursors -----------------------------------------------------------------------------
// A cursor is base64url(compact JSON) so clients treat it as opaque and we can detect tampering.

constexpr std::string_view kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    buf = (buf << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kB64[(buf >> bits) & 0x3F]);
    }
  }
  if (bits > 0) out.push_back(kB64[(buf << (6 - bits)) & 0x3F]);
  return out;
}

std::optional<std::string> b64_decode(std::string_view in) {
  std::string out;
  std::uint32_t buf = 0;
  int bits = 0;
  for (const char c : in) {
    const auto pos = kB64.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    buf = (buf << 6) | static_cast<std::uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return out;
}

std::string make_cursor(const Json& state) { return b64_encode(state.dump()); }

std::optional<Json> read_cursor(const std::string& cursor) {
  const auto raw = b64_decode(cursor);
  if (!raw) return std::nullopt;
  Json j = Json::parse(*raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

RpcError invalid_params(std::string message) { return RpcError{ec::kInvalidParams, std::move(message), std::nullopt}; }

// Reads the optional `cursor` param; nullopt state with error set when present but unusable.
struct CursorArg {
  std::optional<Json> state;  // nullopt = first page
  std::optional<RpcError> error;
};

CursorArg cursor_arg(const Json& params) {
  if (!params.is_object()) return {};
  const auto c = params.find("cursor");
  if (c == params.end() || c->is_null()) return {};
  if (!c->is_string()) return {std::nullopt, invalid_params("Invalid cursor: must be a string")};
  auto state = read_cursor(c->get<std::string>());
  if (!state) return {std::nullopt, invalid_params("Invalid cursor")};
  return {std::move(state), std::nullopt};
}

// Offset-based pagination over a registry vector.
template <class T, class ToJson>
std::expected<Json, RpcError> list_page(const std::vector<T>& items, const Json& params, std::size_t page_size,
                                        std::string_view key, std::string_view kind, ToJson to_json) {
  const auto cursor = cursor_arg(params);
  if (cursor.error) return std::unexpected(*cursor.error);
  std::size_t offset = 0;
  if (cursor.state) {
    const auto o = cursor.state->find("o");
    const auto k = cursor.state->find("k");
    if (o == cursor.state->end() || !o->is_number_unsigned() || k == cursor.state->end() || *k != kind ||
        o->get<std::size_t>() > items.size()) {
      return std::unexpected(invalid_params("Invalid cursor"));
    }
    offset = o->get<std::size_t>();
  }
  Json list = Json::array();
  const std::size_t end = std::min(items.size(), offset + std::max<std::size_t>(page_size, 1));
  for (std::size_t i = offset; i < end; ++i) list.push_back(to_json(items[i]));
  Json result = {{std::string(key), std::move(list)}};
  if (end < items.size()) result["nextCursor"] = make_cursor(Json{{"k", kind}, {"o", end}});
  return result;
}

Json tool_json(const ToolSpec& t) {
  Json j = {{"name", t.name}};
  if (!t.title.empty()) j["title"] = t.title;
  j["description"] = t.description;
  j["inputSchema"] = t.input_schema.is_object() ? t.input_schema : Json{{"type", "object"}};
  if (t.output_schema) j["outputSchema"] = *t.output_schema;
  Json a = Json::object();
  if (t.annotations.read_only) a["readOnlyHint"] = *t.annotations.read_only;
  if (t.annotations.destructive) a["destructiveHint"] = *t.annotations.destructive;
  if (t.annotations.idempotent) a["idempotentHint"] = *t.annotations.idempotent;
  if (t.annotations.open_world) a["openWorldHint"] = *t.annotations.open_world;
  if (!a.empty()) {
    if (!t.title.empty()) a["title"] = t.title;
    j["annotations"] = std::move(a);
  }
  return j;
}

Json resource_json(const ResourceSpec& r) {
  Json j = {{"uri", r.uri}, {"name", r.name}};
  if (!r.title.empty()) j["title"] = r.title;
  if (!r.description.empty()) j["description"] = r.description;
  if (!r.mime_type.empty()) j["mimeType"] = r.mime_type;
  return j;
}

Json template_json(const ResourceTemplateSpec& t) {
  Json j = {{"uriTemplate", t.uri_template}, {"name", t.name}};
  if (!t.title.empty()) j["title"] = t.title;
  if (!t.description.empty()) j["description"] = t.description;
  if (!t.mime_type.empty()) j["mimeType"] = t.mime_type;
  return j;
}

Json prompt_json(const PromptSpec& p) {
  Json j = {{"name", p.name}};
  if (!p.title.empty()) j["title"] = p.title;
  if (!p.description.empty()) j["description"] = p.description;
  if (!p.arguments.empty()) {
    Json args = Json::array();
    for (const auto& a : p.arguments) {
      Json arg = {{"name", a.name}};
      if (!a.description.empty()) arg["description"] = a.description;
      arg["required"] = a.required;
      args.push_back(std::move(arg));
    }
    j["arguments"] = std::move(args);
  }
  return j;
}

Json content_json(const ResourceContent& c) {
  Json j = {{"uri", c.uri}};
  if (!c.mime_type.empty()) j["mimeType"] = c.mime_type;
  if (c.blob_base64) {
    j["blob"] = *c.blob_base64;
  } else {
    j["text"] = c.text.value_or("");
  }
  return j;
}

// "file:///a/b%20c" -> "/a/b c"; nullopt for other schemes.
std::optional<std::filesystem::path> path_from_file_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "file://";
  if (uri.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  std::string_view rest = uri.substr(kScheme.size());
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  rest = rest.substr(slash);  // drops an authority such as "localhost"
  std::string decoded;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      decoded.push_back(static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(rest[i]);
    }
  }
  return std::filesystem::path(decoded);
}

// Which client capability a server→client request needs (MCP: only negotiated capabilities).
std::string_view capability_for(std::string_view method) {
  if (method == "roots/list") return "roots";
  if (method == "sampling/createMessage") return "sampling";
  if (method == "elicitation/create") return "elicitation";
  return {};
}

class SessionImpl;

// Collects the responses of one 2025-03-26 batch and sends them as one array.
class BatchCollector {
 public:
  BatchCollector(std::shared_ptr<Outbound> channel, std::size_t expected)
      : channel_(std::move(channel)), remaining_(expected) {}

  void add(std::string response) {
    std::lock_guard lock(mutex_);
    responses_.push_back(std::move(response));
    finish_one_locked();
  }
  void skip() {
    std::lock_guard lock(mutex_);
    finish_one_locked();
  }

 private:
  void finish_one_locked() {
    if (remaining_ == 0 || --remaining_ != 0) return;
    if (responses_.empty()) return;  // all notifications or cancelled: nothing to answer
    std::string out = "[";
    for (std::size_t i = 0; i < responses_.size(); ++i) {
      if (i != 0) out += ',';
      out += responses_[i];
    }
    out += ']';
    channel_->send(std::move(out));
  }

  std::mutex mutex_;
  std::shared_ptr<Outbound> channel_;
  std::size_t remaining_;
  std::vector<std::string> responses_;
};

using Clock = std::chrono::steady_clock;

// One in-flight client request.
struct RequestState {
  Id id;
  std::string method;
  std::string tool;  // params.name of a tools/call, for RequestRecord
  Clock::time_point received;
  Json params;
  std::shared_ptr<Outbound> channel;
  std::shared_ptr<BatchCollector> batch;
  std::optional<Json> progress_token;
  std::atomic<bool> cancelled{false};
  std::mutex progress_mutex;
  std::optional<double> last_progress;  // guarded by progress_mutex
  bool finished = false;                // guarded by progress_mutex: no progress after the response
};

// One outstanding server→client request.
struct PendingClientRequest {
  std::optional<rpc::Response> response;  // guarded by SessionImpl::mutex_
};

}  // namespace

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)) {}

  ServerOptions options;
  std::vector<ToolSpec> tools;
  std::map<std::string, std::size_t> tool_index;
  std::vector<ResourceSpec> resources;
  std::vector<ResourceProvider> providers;
  std::vector<ResourceTemplateSpec> templates;
  std::vector<PromptSpec> prompts;
  std::mutex sessions_mutex;
  std::vector<std::weak_ptr<Session>> sessions;  // guarded by sessions_mutex; closed on shutdown
  // Requests submitted to a pool whose task has not started yet (the backpressure bound), and
  // requests registered in some session until their task ends (running or queued).
  std::atomic<std::size_t> queued{0};
  std::atomic<std::size_t> in_flight{0};
  // Declared last so they are destroyed first: draining tasks still see the registries.
  std::unique_ptr<ThreadPool> pool;        // everything but ToolPool::Index tools
  std::unique_ptr<ThreadPool> index_pool;  // tools/call of ToolPool::Index tools
};

namespace {

class SessionImpl final : public Session, public std::enable_shared_from_this<SessionImpl> {
 public:
  SessionImpl(Server::Impl& server, std::shared_ptr<Outbound> out, SessionInfo info)
      : server_(server), out_(std::move(out)), info_(std::move(info)) {}

  void receive(std::string_view message, std::shared_ptr<Outbound> channel) override;
  void close() override;
  bool initialized() const override { return initialized_.load(std::memory_order_acquire); }
  std::string protocol_version() const override {
    std::lock_guard lock(mutex_);
    return protocol_version_;
  }
  std::size_t in_flight() const override {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }

  // Used by ToolContextImpl.
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  void send(const std::shared_ptr<Outbound>& channel, std::string message) {
    if (closed()) return;
    (channel ? channel : out_)->send(std::move(message));
  }
  void log(LogLevel level, const std::string& logger, Json data, const std::shared_ptr<Outbound>& channel) {
    if (static_cast<int>(level) < log_level_.load(std::memory_order_relaxed)) return;
    Json params = {{"level", kLevelNames[static_cast<std::size_t>(level)]}};
    if (!logger.empty()) params["logger"] = logger;
    params["data"] = std::move(data);
    send(channel, rpc::serialize_notification("notifications/message", std::move(params)));
  }
  Result<Json> request_client(const RequestState& state, std::string method, Json params,
                              std::chrono::milliseconds timeout);
  std::filesystem::path default_project_path(const RequestState& state);
  std::optional<std::filesystem::path> known_project_path() const;
  const Json& client_capabilities() const { return client_capabilities_; }
  const Json& client_info() const { return client_info_; }
  // notifications/resources/updated on the session's own channel, if the client subscribed.
  void resource_updated(const std::string& uri);

 private:
  void handle(rpc::Message message, const std::shared_ptr<Outbound>& channel,
              const std::shared_ptr<BatchCollector>& batch);
  void handle_request(rpc::Request request, const std::shared_ptr<Outbound>& channel,
                      const std::shared_ptr<BatchCollector>& batch);
  void handle_notification(const rpc::Notification& notification);
  void handle_response(rpc::Response response);
  void handle_batch(std::string_view message, const std::shared_ptr<Outbound>& channel);
  void respond(const std::shared_ptr<Outbound>& channel, const std::shared_ptr<BatchCollector>& batch,
               std::string text);
  std::expected<Json, RpcError> initialize(const Json& params);
  void adopt_working_directory(const Json& params);  // guarded by mutex_ (called from initialize)
  void run(const std::shared_ptr<RequestState>& state);
  // ToolSpec::answer_at_once for a registered tools/call; true when it answered (then finished).
  bool answer_at_once(const std::shared_ptr<RequestState>& state);
  // ServerOptions::on_request, once the response is out (or suppressed).
  void report(std::string_view method, std::string_view tool, std::string_view outcome, Clock::time_point received) const;
  // A method's result, serialised: tools/call results may come serialised already (a cached
  // answer), so every result is turned into text here, once, and spliced into the response.
  struct Answer {
    std::string text;
    bool tool_error = false;  // an isError tool result (RequestRecord's "tool_error")
  };
  std::expected<Answer, RpcError> answer(RequestState& state);
  // A registered request's end: unregistered, then answered unless it was cancelled, and reported.
  void finish(const std::shared_ptr<RequestState>& state, std::expected<Answer, RpcError> outcome);
  std::expected<Json, RpcError> dispatch(RequestState& state);  // every method but tools/call

  std::expected<ToolResult, RpcError> tools_call(RequestState& state);
  std::expected<Json, RpcError> resources_list(RequestState& state);
  std::expected<Json, RpcError> resources_read(RequestState& state);
  std::expected<Json, RpcError> prompts_get(RequestState& state);
  std::expected<Json, RpcError> complete(RequestState& state);
  std::expected<Json, RpcError> set_level(const Json& params);
  std::expected<Json, RpcError> subscription(const Json& params, bool subscribe);

  Server::Impl& server_;
  std::shared_ptr<Outbound> out_;
  SessionInfo info_;
  std::atomic<bool> initialized_{false};
  std::atomic<bool> closed_{false};
  std::atomic<bool> client_ready_{false};  // notifications/initialized arrived
  std::atomic<int> log_level_{static_cast<int>(LogLevel::Info)};
  std::atomic<std::int64_t> next_client_id_{1};

  mutable std::mutex mutex_;
  std::condition_variable client_answered_;  // waits on mutex_
  std::string protocol_version_;             // guarded by mutex_
  // Written once by initialize (before initialized_ is published), read-only afterwards.
  Json client_capabilities_ = Json::object();
  Json client_info_ = Json::object();
  std::map<std::string, std::shared_ptr<RequestState>> requests_;               // guarded by mutex_
  std::map<std::string, std::shared_ptr<PendingClientRequest>> client_requests_;  // guarded by mutex_
  std::optional<std::optional<std::filesystem::path>> root_cache_;               // guarded by mutex_
  std::set<std::string> subscriptions_;                                          // guarded by mutex_
};

class ToolContextImpl final : public ToolContext {
 public:
  // `at_once`: the context of ToolSpec::answer_at_once, on the receiving thread, which must never
  // wait for the client (its answer would arrive on this very thread).
  ToolContextImpl(std::shared_ptr<SessionImpl> session, RequestState& state, Json arguments, bool at_once = false)
      : session_(std::move(session)), state_(state), arguments_(std::move(arguments)), at_once_(at_once) {}

  const Json& arguments() const override { return arguments_; }

  void progress(double done, std::optional<double> total, std::string message) override {
    if (!state_.progress_token) return;
    std::lock_guard lock(state_.progress_mutex);
    // Progress MUST increase and stop after the response; anything else is dropped, not sent.
    if (state_.finished || (state_.last_progress && done <= *state_.last_progress)) return;
    state_.last_progress = done;
    Json params = {{"progressToken", *state_.progress_token}, {"progress", done}};
    if (total) params["total"] = *total;
    if (!message.empty()) params["message"] = std::move(message);
    session_->send(state_.channel, rpc::serialize_notification("notifications/progress", std::move(params)));
  }

  bool cancelled() const override { return state_.cancelled.load(std::memory_order_acquire) || session_->closed(); }

  void log(LogLevel level, std::string logger, Json data) override {
    session_->log(level, logger, std::move(data), state_.channel);
  }

  Result<Json> request_client(std::string method, Json params, std::chrono::milliseconds timeout) override {
    if (at_once_) {
      return make_error(ErrorCode::Unsupported, method + " cannot be sent from a call answered at once");
    }
    return session_->request_client(state_, std::move(method), std::move(params), timeout);
  }

  const Json& client_capabilities() const override { return session_->client_capabilities(); }
  const Json& client_info() const override { return session_->client_info(); }
  std::filesystem::path default_project_path() override { return session_->default_project_path(state_); }
  std::optional<std::filesystem::path> known_project_path() override { return session_->known_project_path(); }

 private:
  std::shared_ptr<SessionImpl> session_;
  RequestState& state_;
  Json arguments_;
  bool at_once_;
};

void SessionImpl::receive(std::string_view message, std::shared_ptr<Outbound> channel) {
  if (closed()) return;
  if (!channel) channel = out_;
  const std::size_t limit = server_.options.max_message_bytes;
  if (limit != 0 && message.size() > limit) {
    send(channel, rpc::serialize_error(std::nullopt, RpcError{ec::kInvalidRequest,
                                                              "message of " + std::to_string(message.size()) +
                                                                  " bytes exceeds the " + format_size_limit(limit) +
                                                                  " limit",
                                                              std::nullopt}));
    return;
  }
  if (rpc::looks_like_batch(message)) {
    handle_batch(message, channel);
    return;
  }
  auto parsed = rpc::parse_message(message);
  if (!parsed) {
    send(channel, rpc::serialize_error(parsed.error().id, parsed.error().error));
    return;
  }
  handle(std::move(*parsed), channel, nullptr);
}

void SessionImpl::handle_batch(std::string_view message, const std::shared_ptr<Outbound>& channel) {
  const std::string version = protocol_version();
  if (version != "2025-03-26") {
    send(channel, rpc::serialize_error(
                      std::nullopt,
                      RpcError{ec::kInvalidRequest,
                               "JSON-RPC batches are not supported" +
                                   (version.empty() ? std::string(" (they need protocol version 2025-03-26)")
                                                    : " in protocol version " + version),
                               std::nullopt}));
    return;
  }
  auto items = rpc::parse_batch(message);
  std::size_t answers = 0;
  for (const auto& item : items) answers += !item || std::holds_alternative<rpc::Request>(*item);
  auto batch = std::make_shared<BatchCollector>(channel, answers);
  for (auto& item : items) {
    if (!item) {
      batch->add(rpc::serialize_error(item.error().id, item.error().error));
      continue;
    }
    handle(std::move(*item), channel, batch);
  }
}

void SessionImpl::handle(rpc::Message message, const std::shared_ptr<Outbound>& channel,
                         const std::shared_ptr<BatchCollector>& batch) {
  if (auto* request = std::get_if<rpc::Request>(&message)) {
    handle_request(std::move(*request), channel, batch);
  } else if (auto* notification = std::get_if<rpc::Notification>(&message)) {
    handle_notification(*notification);
  } else {
    handle_response(std::move(std::get<rpc::Response>(message)));
  }
}

void SessionImpl::respond(const std::shared_ptr<Outbound>& channel, const std::shared_ptr<BatchCollector>& batch,
                          std::string text) {
  if (closed()) return;
  if (batch) {
    batch->add(std::move(text));
  } else {
    send(channel, std::move(text));
  }
}

bool known_method(std::string_view method) {
  static constexpr std::string_view kMethods[] = {
      "tools/list",   "tools/call",  "resources/list",      "resources/read",  "resources/templates/list",
      "prompts/list", "prompts/get", "completion/complete", "logging/setLevel"};
  return std::find(std::begin(kMethods), std::end(kMethods), method) != std::end(kMethods);
}

void SessionImpl::report(std::string_view method, std::string_view tool, std::string_view outcome,
                         Clock::time_point received) const {
  if (!server_.options.on_request) return;
  server_.options.on_request(RequestRecord{method, tool, outcome, Clock::now() - received});
}

// Which pool a request runs on: only tools/call is routed by the tool's ToolSpec::pool.
ThreadPool& pool_for(Server::Impl& server, const RequestState& state) {
  if (state.method != "tools/call" || !server.index_pool) return *server.pool;
  const auto found = server.tool_index.find(state.tool);
  if (found == server.tool_index.end() || server.tools[found->second].pool != ToolPool::Index) return *server.pool;
  return *server.index_pool;
}

std::string tool_name_of(const rpc::Request& request) {
  if (request.method != "tools/call" || !request.params.is_object()) return {};
  const auto name = request.params.find("name");
  return name != request.params.end() && name->is_string() ? name->get<std::string>() : std::string();
}

void SessionImpl::handle_request(rpc::Request request, const std::shared_ptr<Outbound>& channel,
                                 const std::shared_ptr<BatchCollector>& batch) {
  const Clock::time_point received = Clock::now();
  const std::string tool = tool_name_of(request);
  // Answers given here, without a worker; reported like the ones run() sends.
  auto reply = [&](std::expected<Json, RpcError> outcome) {
    const bool ok = outcome.has_value();
    respond(channel, batch,
            ok ? rpc::serialize_result(request.id, std::move(*outcome)) : rpc::serialize_error(request.id, outcome.error()));
    report(request.method, tool, ok ? "ok" : "error", received);
  };
  if (!request.params.is_null() && !request.params.is_object()) {
    reply(std::unexpected(invalid_params("params must be an object")));
    return;
  }
  // ping and initialize are answered inline so they stay prompt while tools run.
  if (request.method == "ping") {
    reply(Json::object());
    return;
  }
  if (request.method == "initialize") {
    reply(initialize(request.params));
    return;
  }
  if (!initialized()) {
    reply(std::unexpected(RpcError{ec::kInvalidRequest, "Server not initialized: send initialize first", std::nullopt}));
    return;
  }
  const bool subscription_method = request.method == "resources/subscribe" || request.method == "resources/unsubscribe";
  if (!known_method(request.method) && !(subscription_method && server_.options.resource_subscriptions)) {
    reply(std::unexpected(RpcError{ec::kMethodNotFound, "Method not found: " + request.method, std::nullopt}));
    return;
  }

  auto state = std::make_shared<RequestState>();
  state->id = request.id;
  state->tool = tool;
  state->received = received;
  state->method = request.method;
  state->params = request.params.is_null() ? Json::object() : std::move(request.params);
  state->channel = channel;
  state->batch = batch;
  if (const auto meta = state->params.find("_meta"); meta != state->params.end() && meta->is_object()) {
    if (const auto token = meta->find("progressToken");
        token != meta->end() && (token->is_string() || token->is_number_integer())) {
      state->progress_token = *token;
    }
  }
  // Backpressure across all sessions: a slot in the queue is reserved first and given back when
  // the request is refused, so concurrent sessions can never overshoot the bound together.
  // 0 = no bound, as for max_message_bytes.
  const std::size_t max_queued = server_.options.max_queued_requests;
  const std::size_t queued_before = server_.queued.fetch_add(1, std::memory_order_acq_rel);
  std::optional<RpcError> refused;
  if (max_queued != 0 && queued_before >= max_queued) {
    refused = RpcError{ec::kServerError,
                       "server busy: " + std::to_string(queued_before) + " requests queued; retry shortly",
                       std::nullopt};
  } else {
    std::lock_guard lock(mutex_);
    const std::string key = id_key(state->id);
    if (requests_.contains(key)) {
      // Reusing an in-flight id would make the responses ambiguous.
      refused = RpcError{ec::kInvalidRequest, "request id " + rpc::to_string(state->id) + " is already in use",
                         std::nullopt};
    } else if (requests_.size() >= server_.options.max_concurrent_requests) {
      refused = RpcError{ec::kServerError,
                         "too many concurrent requests (limit " +
                             std::to_string(server_.options.max_concurrent_requests) + ")",
                         std::nullopt};
    } else {
      requests_.emplace(key, state);
      server_.in_flight.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (refused) {
    server_.queued.fetch_sub(1, std::memory_order_acq_rel);
    reply(std::unexpected(*refused));
    return;
  }
  if (answer_at_once(state)) {
    server_.queued.fetch_sub(1, std::memory_order_acq_rel);
    return;
  }
  pool_for(server_, *state).submit([self = shared_from_this(), state] {
    self->server_.queued.fetch_sub(1, std::memory_order_acq_rel);
    self->run(state);
  });
}

void SessionImpl::run(const std::shared_ptr<RequestState>& state) {
  std::expected<Answer, RpcError> outcome;
  if (state->cancelled.load() || closed()) {
    outcome = std::unexpected(RpcError{ec::kInternalError, "cancelled", std::nullopt});
  } else {
    try {
      outcome = answer(*state);
    } catch (const std::exception& e) {
      log::error("mcp: {} failed: {}", state->method, e.what());
      outcome = std::unexpected(RpcError{ec::kInternalError, std::string("internal error: ") + e.what(), std::nullopt});
    }
  }
  finish(state, std::move(outcome));
}

bool SessionImpl::answer_at_once(const std::shared_ptr<RequestState>& state) {
  if (state->method != "tools/call") return false;
  const auto found = server_.tool_index.find(state->tool);
  if (found == server_.tool_index.end()) return false;
  const ToolSpec& tool = server_.tools[found->second];
  if (!tool.answer_at_once || tool.pool != ToolPool::Query) return false;
  // Anything unusual (arguments that are no object, or invalid) is left to the pool path, which
  // reports it.
  Json arguments = Json::object();
  if (const auto a = state->params.find("arguments"); a != state->params.end() && !a->is_null()) {
    if (!a->is_object()) return false;
    arguments = *a;
  }
  if (!validate_arguments(tool.input_schema, arguments).empty()) return false;
  std::optional<ToolResult> result;
  try {
    ToolContextImpl context(shared_from_this(), *state, std::move(arguments), /*at_once=*/true);
    result = tool.answer_at_once(context);
  } catch (const std::exception& e) {
    // The pool path runs the call again and reports what it finds.
    log::error("mcp: answering {} at once failed: {}", tool.name, e.what());
    return false;
  }
  if (!result) return false;
  const bool tool_error = result->is_error;
  finish(state, Answer{detail::tool_result_text(std::move(*result)), tool_error});
  return true;
}

void SessionImpl::finish(const std::shared_ptr<RequestState>& state, std::expected<Answer, RpcError> outcome) {
  {
    std::lock_guard lock(state->progress_mutex);
    state->finished = true;
  }
  {
    std::lock_guard lock(mutex_);
    requests_.erase(id_key(state->id));
  }
  server_.in_flight.fetch_sub(1, std::memory_order_relaxed);
  // A cancelled request gets no response at all (MCP cancellation).
  if (state->cancelled.load(std::memory_order_acquire)) {
    if (state->batch) state->batch->skip();
    report(state->method, state->tool, "cancelled", state->received);
    return;
  }
  const std::string_view result = !outcome ? "error" : outcome->tool_error ? "tool_error" : "ok";
  respond(state->channel, state->batch,
          outcome ? rpc::serialize_result_text(state->id, outcome->text)
                  : rpc::serialize_error(state->id, outcome.error()));
  report(state->method, state->tool, result, state->received);
}

std::expected<Json, RpcError> SessionImpl::initialize(const Json& params) {
  if (initialized()) {
    return std::unexpected(RpcError{ec::kInvalidRequest, "initialize was already called in this session", std::nullopt});
  }
  const auto version = params.is_object() ? params.find("protocolVersion") : Json::const_iterator{};
  if (!params.is_object() || version == params.end() || !version->is_string()) {
    return std::unexpected(invalid_params("initialize needs params.protocolVersion (a string)"));
  }
  const std::string& requested = version->get_ref<const std::string&>();
  std::string negotiated(kLatestProtocolVersion);
  for (const auto supported : kSupportedProtocolVersions) {
    if (supported == requested) negotiated = requested;
  }
  {
    std::lock_guard lock(mutex_);
    if (initialized()) {
      return std::unexpected(
          RpcError{ec::kInvalidRequest, "initialize was already called in this session", std::nullopt});
    }
    if (const auto caps = params.find("capabilities"); caps != params.end() && caps->is_object()) {
      client_capabilities_ = *caps;
    }
    if (const auto ci = params.find("clientInfo"); ci != params.end() && ci->is_object()) client_info_ = *ci;
    adopt_working_directory(params);
    protocol_version_ = negotiated;
    initialized_.store(true, std::memory_order_release);
  }
  const auto& o = server_.options;
  Json server_info = {{"name", o.name}, {"version", o.version.empty() ? std::string("0.0.0") : o.version}};
  if (!o.title.empty()) server_info["title"] = o.title;
  // Only what this server implements: no subscriptions and no list_changed notifications.
  Json caps = {{"tools", {{"listChanged", false}}},
               {"resources", o.resource_subscriptions ? Json{{"subscribe", true}} : Json::object()},
               {"prompts", Json::object()},
               {"logging", Json::object()},
               {"completions", Json::object()}};
  Json result = {{"protocolVersion", negotiated}, {"capabilities", std::move(caps)}, {"serverInfo", std::move(server_info)}};
  if (!o.instructions.empty()) result["instructions"] = o.instructions;
  log::info("mcp: session initialized ({}, protocol {}, client {})", info_.transport, negotiated,
            client_info_.value("name", std::string("?")));
  return result;
}

// A client that runs elsewhere than this process (the proxy in front of the daemon) names its own
// directory; only an absolute path means the same thing here. Written before initialized_ is
// published, like client_info_, so workers read it without the lock.
void SessionImpl::adopt_working_directory(const Json& params) {
  const auto meta = params.find("_meta");
  if (meta == params.end() || !meta->is_object()) return;
  const auto dir = meta->find(std::string(kWorkingDirectoryMeta));
  if (dir == meta->end()) return;
  if (!dir->is_string() || !std::filesystem::path(dir->get_ref<const std::string&>()).is_absolute()) {
    log::debug("mcp: ignoring initialize _meta {}: not an absolute path ({})", kWorkingDirectoryMeta, dir->dump());
    return;
  }
  info_.working_directory = dir->get<std::string>();
}

void SessionImpl::handle_notification(const rpc::Notification& notification) {
  const auto& m = notification.method;
  const Json& params = notification.params;
  if (m == "notifications/initialized") {
    client_ready_.store(true);
  } else if (m == "notifications/cancelled") {
    if (!params.is_object()) return;
    const auto rid = params.find("requestId");
    if (rid == params.end()) return;
    const auto id = id_from_json(*rid);
    if (!id) return;
    std::lock_guard lock(mutex_);
    // Unknown or finished ids are ignored: cancellation races with completion by design.
    if (const auto it = requests_.find(id_key(*id)); it != requests_.end()) {
      it->second->cancelled.store(true, std::memory_order_release);
      client_answered_.notify_all();  // wakes a worker blocked in request_client
    }
  } else if (m == "notifications/roots/list_changed") {
    std::lock_guard lock(mutex_);
    root_cache_.reset();
  }
  // Any other notification is ignored silently (never answered).
}

void SessionImpl::handle_response(rpc::Response response) {
  std::lock_guard lock(mutex_);
  const auto it = client_requests_.find(id_key(response.id));
  if (it == client_requests_.end()) {
    log::debug("mcp: ignoring a response to unknown request {}", rpc::to_string(response.id));
    return;
  }
  it->second->response = std::move(response);
  client_requests_.erase(it);
  client_answered_.notify_all();
}

void SessionImpl::close() {
  std::lock_guard lock(mutex_);
  closed_.store(true, std::memory_order_release);
  for (auto& [key, state] : requests_) state->cancelled.store(true, std::memory_order_release);
  client_answered_.notify_all();
}

Result<Json> SessionImpl::request_client(const RequestState& state, std::string method, Json params,
                                         std::chrono::milliseconds timeout) {
  if (const auto cap = capability_for(method); !cap.empty() && !client_capabilities_.contains(std::string(cap))) {
    return make_error(ErrorCode::Unsupported,
                      "the client did not declare the '" + std::string(cap) + "' capability needed for " + method);
  }
  const Id id{"srv-" + std::to_string(next_client_id_.fetch_add(1))};
  const std::string key = id_key(id);
  auto pending = std::make_shared<PendingClientRequest>();
  {
    std::lock_guard lock(mutex_);
    if (closed()) return make_error(ErrorCode::Cancelled, "the session is closed");
    client_requests_.emplace(key, pending);
  }
  send(state.channel, rpc::serialize_request(id, method, std::move(params)));
  std::unique_lock lock(mutex_);
  const bool done = client_answered_.wait_for(lock, timeout, [&] {
    return pending->response.has_value() || closed() || state.cancelled.load(std::memory_order_acquire);
  });
  if (pending->response) {
    rpc::Response response = std::move(*pending->response);
    if (response.error) {
      return make_error(ErrorCode::Internal, "the client answered " + method + " with error " +
                                                 std::to_string(response.error->code) + ": " +
                                                 response.error->message);
    }
    return response.result.value_or(Json::object());
  }
  client_requests_.erase(key);
  lock.unlock();
  if (done) return make_error(ErrorCode::Cancelled, method + " was abandoned: the request was cancelled");
  // Tell the client to stop working on it, as the spec asks of a requester that times out.
  send(state.channel, rpc::serialize_notification(
                          "notifications/cancelled",
                          Json{{"requestId", rpc::to_json(id)}, {"reason", "timed out"}}));
  return make_error(ErrorCode::Internal,
                    "the client did not answer " + method + " within " + std::to_string(timeout.count()) + " ms");
}

std::optional<std::filesystem::path> SessionImpl::known_project_path() const {
  if (!client_capabilities_.contains("roots")) return info_.working_directory;
  std::lock_guard lock(mutex_);
  if (root_cache_) return root_cache_->value_or(info_.working_directory);
  return std::nullopt;
}

std::filesystem::path SessionImpl::default_project_path(const RequestState& state) {
  if (!client_capabilities_.contains("roots")) return info_.working_directory;
  {
    std::lock_guard lock(mutex_);
    if (root_cache_) return root_cache_->value_or(info_.working_directory);
  }
  std::optional<std::filesystem::path> root;
  if (auto roots = request_client(state, "roots/list", Json::object(), std::chrono::seconds(10))) {
    if (const auto list = roots->find("roots"); list != roots->end() && list->is_array()) {
      for (const auto& r : *list) {
        if (!r.is_object() || !r.contains("uri") || !r["uri"].is_string()) continue;
        if ((root = path_from_file_uri(r["uri"].get<std::string>()))) break;
      }
    }
    std::lock_guard lock(mutex_);
    root_cache_ = root;
  } else {
    log::warn("mcp: roots/list failed ({}); using {}", roots.error().message, info_.working_directory.string());
  }
  return root.value_or(info_.working_directory);
}

std::expected<SessionImpl::Answer, RpcError> SessionImpl::answer(RequestState& state) {
  if (state.method == "tools/call") {
    auto result = tools_call(state);
    if (!result) return std::unexpected(result.error());
    const bool tool_error = result->is_error;
    return Answer{detail::tool_result_text(std::move(*result)), tool_error};
  }
  auto value = dispatch(state);
  if (!value) return std::unexpected(value.error());
  return Answer{rpc::to_text(*value), false};
}

std::expected<Json, RpcError> SessionImpl::dispatch(RequestState& state) {
  const auto& m = state.method;
  const auto ps = server_.options.page_size;
  if (m == "tools/list") return list_page(server_.tools, state.params, ps, "tools", "tools", tool_json);
  if (m == "resources/list") return resources_list(state);
  if (m == "resources/read") return resources_read(state);
  if (m == "resources/templates/list") {
    return list_page(server_.templates, state.params, ps, "resourceTemplates", "templates", template_json);
  }
  if (m == "prompts/list") return list_page(server_.prompts, state.params, ps, "prompts", "prompts", prompt_json);
  if (m == "prompts/get") return prompts_get(state);
  if (m == "completion/complete") return complete(state);
  if (m == "logging/setLevel") return set_level(state.params);
  if (server_.options.resource_subscriptions) {
    if (m == "resources/subscribe") return subscription(state.params, true);
    if (m == "resources/unsubscribe") return subscription(state.params, false);
  }
  return std::unexpected(RpcError{ec::kMethodNotFound, "Method not found: " + m, std::nullopt});
}

std::expected<ToolResult, RpcError> SessionImpl::tools_call(RequestState& state) {
  const Json& p = state.params;
  const auto name = p.find("name");
  if (name == p.end() || !name->is_string()) return std::unexpected(invalid_params("tools/call needs params.name"));
  const auto found = server_.tool_index.find(name->get<std::string>());
  if (found == server_.tool_index.end()) {
    return std::unexpected(invalid_params("Unknown tool: " + name->get<std::string>()));
  }
  const ToolSpec& tool = server_.tools[found->second];
  Json arguments = Json::object();
  if (const auto a = p.find("arguments"); a != p.end() && !a->is_null()) {
    if (!a->is_object()) return std::unexpected(invalid_params("tools/call params.arguments must be an object"));
    arguments = *a;
  }
  return detail::run_tool(tool, std::move(arguments), [&](Json validated) {
    ToolContextImpl context(shared_from_this(), state, std::move(validated));
    return tool.handler(context);
  });
}

std::expected<Json, RpcError> SessionImpl::resources_list(RequestState& state) {
  const auto cursor = cursor_arg(state.params);
  if (cursor.error) return std::unexpected(*cursor.error);
  const std::size_t page = std::max<std::size_t>(server_.options.page_size, 1);
  const auto& statics = server_.resources;
  const auto& providers = server_.providers;
  // Position: phase -1 = static resources at offset o; phase i >= 0 = provider i at its cursor c.
  long phase = -1;
  std::size_t offset = 0;
  std::string provider_cursor;
  if (cursor.state) {
    const Json& s = *cursor.state;
    if (s.value("k", "") != "resources" || !s.contains("p") || !s["p"].is_number_integer()) {
      return std::unexpected(invalid_params("Invalid cursor"));
    }
    phase = s["p"].get<long>();
    if (phase < -1 || phase >= static_cast<long>(providers.size())) return std::unexpected(invalid_params("Invalid cursor"));
    if (phase == -1) {
      if (!s.contains("o") || !s["o"].is_number_unsigned() || s["o"].get<std::size_t>() > statics.size()) {
        return std::unexpected(invalid_params("Invalid cursor"));
      }
      offset = s["o"].get<std::size_t>();
    } else {
      if (!s.contains("c") || !s["c"].is_string()) return std::unexpected(invalid_params("Invalid cursor"));
      provider_cursor = s["c"].get<std::string>();
    }
  }
  Json list = Json::array();
  std::optional<Json> next;
  if (phase == -1) {
    const std::size_t end = std::min(statics.size(), offset + page);
    for (std::size_t i = offset; i < end; ++i) list.push_back(resource_json(statics[i]));
    if (end < statics.size()) {
      next = Json{{"k", "resources"}, {"p", -1}, {"o", end}};
    } else if (!providers.empty()) {
      if (list.empty()) {
        phase = 0;
      } else {
        next = Json{{"k", "resources"}, {"p", 0}, {"c", ""}};
      }
    }
  }
  ToolContextImpl context(shared_from_this(), state, Json::object());
  // Providers fill pages one call at a time; empty pages with a continuation are skipped.
  while (!next && phase >= 0 && phase < static_cast<long>(providers.size()) && list.empty()) {
    const auto& provider = providers[static_cast<std::size_t>(phase)];
    if (provider.list) {
      auto got = provider.list(context, provider_cursor, page);
      if (!got) return std::unexpected(rpc::to_rpc_error(got.error()));
      for (const auto& r : got->first) list.push_back(resource_json(r));
      if (!got->second.empty()) {
        next = Json{{"k", "resources"}, {"p", phase}, {"c", got->second}};
        break;
      }
    }
    ++phase;
    provider_cursor.clear();
    if (phase < static_cast<long>(providers.size()) && !list.empty()) {
      next = Json{{"k", "resources"}, {"p", phase}, {"c", ""}};
    }
  }
  Json result = {{"resources", std::move(list)}};
  if (next) result["nextCursor"] = make_cursor(*next);
  return result;
}

std::expected<Json, RpcError> SessionImpl::resources_read(RequestState& state) {
  const auto uri_it = state.params.find("uri");
  if (uri_it == state.params.end() || !uri_it->is_string()) {
    return std::unexpected(invalid_params("resources/read needs params.uri"));
  }
  const std::string uri = uri_it->get<std::string>();
  auto not_found = [&] {
    return std::unexpected(RpcError{ec::kResourceNotFound, "Resource not found: " + uri, Json{{"uri", uri}}});
  };
  auto contents_json = [&](Result<std::vector<ResourceContent>> contents) -> std::expected<Json, RpcError> {
    if (!contents) {
      if (contents.error().code == ErrorCode::NotFound) return not_found();
      return std::unexpected(rpc::to_rpc_error(contents.error()));
    }
    Json list = Json::array();
    for (const auto& c : *contents) list.push_back(content_json(c));
    return Json{{"contents", std::move(list)}};
  };
  for (const auto& r : server_.resources) {
    if (r.uri != uri) continue;
    if (!r.read) return not_found();
    return contents_json(r.read());
  }
  ToolContextImpl context(shared_from_this(), state, Json::object());
  for (const auto& provider : server_.providers) {
    if (!provider.read) continue;
    if (auto contents = provider.read(context, uri)) return contents_json(std::move(*contents));
  }
  return not_found();
}

std::expected<Json, RpcError> SessionImpl::prompts_get(RequestState& state) {
  const auto name = state.params.find("name");
  if (name == state.params.end() || !name->is_string()) {
    return std::unexpected(invalid_params("prompts/get needs params.name"));
  }
  const auto prompt = std::find_if(server_.prompts.begin(), server_.prompts.end(),
                                   [&](const PromptSpec& p) { return p.name == name->get_ref<const std::string&>(); });
  if (prompt == server_.prompts.end()) {
    return std::unexpected(invalid_params("Unknown prompt: " + name->get<std::string>()));
  }
  Json arguments = Json::object();
  if (const auto a = state.params.find("arguments"); a != state.params.end() && !a->is_null()) {
    if (!a->is_object()) return std::unexpected(invalid_params("prompts/get params.arguments must be an object"));
    arguments = *a;
  }
  for (const auto& arg : prompt->arguments) {
    if (arg.required && !arguments.contains(arg.name)) {
      return std::unexpected(
          invalid_params("Missing required argument '" + arg.name + "' for prompt '" + prompt->name + "'"));
    }
  }
  for (const auto& [key, value] : arguments.items()) {
    if (!value.is_string()) {
      return std::unexpected(invalid_params("Prompt argument '" + key + "' must be a string"));
    }
  }
  if (!prompt->get) return std::unexpected(RpcError{ec::kInternalError, "prompt has no content", std::nullopt});
  ToolContextImpl context(shared_from_this(), state, arguments);
  auto result = prompt->get(context, arguments);
  if (!result) return std::unexpected(rpc::to_rpc_error(result.error()));
  return *result;
}

std::expected<Json, RpcError> SessionImpl::complete(RequestState& state) {
  const Json& p = state.params;
  const auto ref = p.find("ref");
  const auto argument = p.find("argument");
  if (ref == p.end() || !ref->is_object() || !ref->contains("type") || !(*ref)["type"].is_string()) {
    return std::unexpected(invalid_params("completion/complete needs params.ref {type, ...}"));
  }
  if (argument == p.end() || !argument->is_object() || !argument->contains("name") ||
      !(*argument)["name"].is_string()) {
    return std::unexpected(invalid_params("completion/complete needs params.argument {name, value}"));
  }
  const std::string arg_name = (*argument)["name"].get<std::string>();
  const std::string arg_value = argument->value("value", std::string());
  std::vector<std::string> values;
  const std::string type = (*ref)["type"].get<std::string>();
  if (type == "ref/prompt") {
    const std::string name = ref->value("name", std::string());
    const auto prompt = std::find_if(server_.prompts.begin(), server_.prompts.end(),
                                     [&](const PromptSpec& s) { return s.name == name; });
    if (prompt == server_.prompts.end()) return std::unexpected(invalid_params("Unknown prompt: " + name));
    if (prompt->complete) values = prompt->complete(arg_name, arg_value);
  } else if (type != "ref/resource") {
    return std::unexpected(invalid_params("Unknown completion reference type: " + type));
  }
  const std::size_t total = values.size();
  if (values.size() > kMaxCompletionValues) values.resize(kMaxCompletionValues);
  return Json{{"completion", {{"values", values}, {"total", total}, {"hasMore", total > kMaxCompletionValues}}}};
}

std::expected<Json, RpcError> SessionImpl::set_level(const Json& params) {
  const auto level = params.find("level");
  std::optional<LogLevel> parsed;
  if (level != params.end() && level->is_string()) parsed = parse_level(level->get_ref<const std::string&>());
  if (!parsed) {
    return std::unexpected(invalid_params(
        "Invalid log level: expected one of debug, info, notice, warning, error, critical, alert, emergency"));
  }
  log_level_.store(static_cast<int>(*parsed), std::memory_order_relaxed);
  return Json::object();
}

std::expected<Json, RpcError> SessionImpl::subscription(const Json& params, bool subscribe) {
  const auto uri = params.find("uri");
  if (uri == params.end() || !uri->is_string()) {
    return std::unexpected(invalid_params(std::string(subscribe ? "resources/subscribe" : "resources/unsubscribe") +
                                          " needs params.uri"));
  }
  std::lock_guard lock(mutex_);
  if (subscribe) {
    subscriptions_.insert(uri->get<std::string>());
  } else {
    subscriptions_.erase(uri->get<std::string>());
  }
  return Json::object();
}

void SessionImpl::resource_updated(const std::string& uri) {
  {
    std::lock_guard lock(mutex_);
    if (!subscriptions_.contains(uri)) return;
  }
  send(nullptr, rpc::serialize_notification("notifications/resources/updated", Json{{"uri", uri}}));
}

}  // namespace

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  // At least four workers even on tiny machines: a handler waiting on the client (roots/list,
  // sampling) occupies one while the rest keep serving.
  const std::size_t threads = impl_->options.worker_threads != 0 ? impl_->options.worker_threads
                                                                  : std::max<std::size_t>(default_worker_count(), 4);
  impl_->pool = std::make_unique<ThreadPool>(threads);
  impl_->index_pool = std::make_unique<ThreadPool>(std::max<std::size_t>(impl_->options.index_threads, 1));
}

Server::~Server() {
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) session->close();
    }
  }
  // Drain queued work (now cancelled) before the registries go away.
  impl_->index_pool.reset();
  impl_->pool.reset();
}

void Server::add_tool(ToolSpec tool) {
  const auto existing = impl_->tool_index.find(tool.name);
  if (existing != impl_->tool_index.end()) {
    impl_->tools[existing->second] = std::move(tool);  // re-registration replaces
    return;
  }
  impl_->tool_index.emplace(tool.name, impl_->tools.size());
  impl_->tools.push_back(std::move(tool));
}

void Server::add_resource(ResourceSpec resource) { impl_->resources.push_back(std::move(resource)); }
void Server::add_resource_provider(ResourceProvider provider) { impl_->providers.push_back(std::move(provider)); }
void Server::add_resource_template(ResourceTemplateSpec t) { impl_->templates.push_back(std::move(t)); }
void Server::add_prompt(PromptSpec prompt) { impl_->prompts.push_back(std::move(prompt)); }

std::shared_ptr<Session> Server::open_session(std::shared_ptr<Outbound> out, SessionInfo info) {
  auto session = std::make_shared<SessionImpl>(*impl_, std::move(out), std::move(info));
  std::lock_guard lock(impl_->sessions_mutex);
  std::erase_if(impl_->sessions, [](const std::weak_ptr<Session>& w) { return w.expired(); });
  impl_->sessions.push_back(session);
  return session;
}

const ServerOptions& Server::options() const { return impl_->options; }

ServerStats Server::stats() const {
  ServerStats stats;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (const auto& weak : impl_->sessions) {
      // Every Session this server hands out is a SessionImpl (open_session).
      if (const auto session = weak.lock(); session && !std::static_pointer_cast<SessionImpl>(session)->closed()) {
        ++stats.open_sessions;
      }
    }
  }
  stats.in_flight = impl_->in_flight.load(std::memory_order_relaxed);
  stats.queued = impl_->queued.load(std::memory_order_relaxed);
  return stats;
}

void Server::notify_resource_updated(const std::string& uri) {
  std::vector<std::shared_ptr<Session>> open;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (const auto& weak : impl_->sessions) {
      if (auto session = weak.lock()) open.push_back(std::move(session));
    }
  }
  // Every Session this server hands out is a SessionImpl (open_session).
  for (const auto& session : open) std::static_pointer_cast<SessionImpl>(session)->resource_updated(uri);
}

namespace detail {

Json tool_result_json(ToolResult r) {
  Json j = Json::object();
  if (r.serialized) {
    j = Json::parse(*r.serialized, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      log::error("mcp: a serialised tool result is not a JSON object");
      j = tool_result_json(ToolResult::error("internal error: unreadable serialised tool result"));
    }
  } else {
    j["content"] = r.content.is_array() ? std::move(r.content) : Json::array();
    if (r.structured) j["structuredContent"] = std::move(*r.structured);
    if (r.is_error) j["isError"] = true;
  }
  if (r.meta) j["_meta"] = std::move(*r.meta);
  return j;
}

std::string tool_result_text(ToolResult r) {
  if (!r.serialized) return rpc::to_text(tool_result_json(std::move(r)));
  const std::string& body = *r.serialized;
  if (!r.meta) return body;
  // "_meta" sorts before every other member, so it goes first, as a dump of the value would put it.
  std::string out = "{\"_meta\":" + rpc::to_text(*r.meta);
  if (body.size() > 2) {  // not "{}": the members follow after a comma
    out += ',';
    out.append(body, 1);
  } else {
    out += '}';
  }
  return out;
}

ToolResult run_tool(const ToolSpec& tool, Json arguments, const std::function<Result<ToolResult>(Json)>& run_handler) {
  if (const auto errors = validate_arguments(tool.input_schema, arguments); !errors.empty()) {
    std::string text = "Invalid arguments for tool '" + tool.name + "': ";
    for (std::size_t i = 0; i < errors.size(); ++i) text += (i ? "; " : "") + errors[i];
    text += ".";
    return ToolResult::error(std::move(text));
  }
  if (!tool.handler) return ToolResult::error("tool '" + tool.name + "' has no handler");
  Result<ToolResult> result = run_handler(std::move(arguments));
  if (!result) return ToolResult::error(result.error().message);
  // A contract check on our own tools, not input validation: it walks the whole result, which
  // costs as much as answering from the result cache, so it runs when debugging (CCI_LOG=debug);
  // the SDK end-to-end tests validate every structuredContent against its schema client-side.
  if (tool.output_schema && !result->is_error && log::level() >= log::Level::Debug) {
    std::optional<Json> structured = result->structured;
    if (result->serialized) {
      const Json whole = Json::parse(*result->serialized, nullptr, false);
      if (whole.is_object() && whole.contains("structuredContent")) structured = whole["structuredContent"];
    }
    if (!structured) {
      log::warn("mcp: tool {} declares an outputSchema but returned no structuredContent", tool.name);
    } else if (const auto errors = validate_structured_content(*tool.output_schema, *structured); !errors.empty()) {
      log::warn("mcp: tool {} returned structuredContent that does not match its outputSchema: {}", tool.name,
                errors.front());
    }
  }
  return std::move(*result);
}

Json call_tool(const ToolSpec& tool, Json arguments, const std::function<Result<ToolResult>(Json)>& run_handler) {
  return tool_result_json(run_tool(tool, std::move(arguments), run_handler));
}

}  // namespace detail

}  // namespace cci::mcp
