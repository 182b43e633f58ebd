// client/client.cpp — the daemon client: a lazily grown pool of initialized MCP sessions over
// net::MessageConnection, integer request ids matched per connection, deadlines, reconnection.
//
// One mutex guards the whole pool. A sync call costs one promise: it registers its id, sends
// outside the lock and waits on the future with its own timeout, so no timer thread is involved;
// async calls with a timeout are kept in a deadline map served by one lazily started timer thread.
// Connection handlers capture only a weak pointer to the pool and the connection's generation, so a
// late message from a replaced connection is recognised and dropped, and no reader thread ever owns
// (and so destroys) its own connection.
#include "client/client.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/paths.h"
#include "net/client_connection.h"
#include "rpc/message.h"

namespace cci::client {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Callback = Client::Callback;

constexpr std::string_view kProtocolVersion = "2025-11-25";
constexpr std::string_view kWorkingDirectoryMeta = "cci/workingDirectory";  // mcp/server.h's key

// A JSON-RPC error object from the server as a cci::Error carrying the server's message.
Error to_error(const Json& error) {
  int code = rpc::error_code::kInternalError;
  std::string message = "the server returned an error";
  if (error.is_object()) {
    if (auto it = error.find("code"); it != error.end() && it->is_number_integer()) code = it->get<int>();
    if (auto it = error.find("message"); it != error.end() && it->is_string()) message = it->get<std::string>();
  }
  ErrorCode kind = ErrorCode::Internal;
  if (code == rpc::error_code::kInvalidParams) kind = ErrorCode::InvalidArgument;
  else if (code == rpc::error_code::kResourceNotFound) kind = ErrorCode::NotFound;
  else if (code == rpc::error_code::kMethodNotFound) kind = ErrorCode::Unsupported;
  return Error{kind, std::move(message)};
}

struct TimerKey {
  std::size_t slot = 0;
  std::uint64_t generation = 0;
  std::int64_t id = 0;
};
using TimerMap = std::multimap<Clock::time_point, TimerKey>;

struct Pending {
  Callback done;
  bool has_timer = false;
  TimerMap::iterator timer;
};

// One connection of a slot. A slot's link is replaced (never reused) when it reconnects.
struct Link {
  enum class State { Initializing, Ready, Closed };
  std::shared_ptr<net::MessageConnection> connection;
  std::uint64_t generation = 0;
  State state = State::Closed;
  std::int64_t next_id = 1;
  std::unordered_map<std::int64_t, Pending> pending;
};

struct Slot {
  Link link;
  bool connecting = false;
  std::uint64_t connecting_generation = 0;  // the generation being connected, for an early close
  bool closed_while_connecting = false;
  bool ever_connected = false;
};

// Where a request went, so a timeout can find and withdraw it.
struct Ticket {
  std::size_t slot = 0;
  std::uint64_t generation = 0;
  std::int64_t id = 0;
};

std::string cancelled_notification(std::int64_t id, std::string_view reason) {
  return rpc::serialize_notification("notifications/cancelled", Json{{"requestId", id}, {"reason", std::string(reason)}});
}

class Pool : public std::enable_shared_from_this<Pool> {
 public:
  Pool(ClientOptions options, net::Endpoint endpoint)
      : options_(std::move(options)), endpoint_(std::move(endpoint)), slots_(std::max<std::size_t>(1, options_.pool_size)) {}

  // Registers a request on the least busy connection (growing or reconnecting the pool when that
  // helps) and sends it. `done` runs exactly once unless the caller withdraws the ticket first.
  Result<Ticket> start(std::string_view method, Json params, Callback done,
                       std::optional<Clock::time_point> deadline) {
    std::unique_lock lock(mutex_);
    const auto wait_limit = Clock::now() + options_.connect_timeout;
    bool grow_failed = false;  // one failed connect per call: do not hammer a daemon that is down
    for (;;) {
      if (stopping_) return make_error(ErrorCode::Unavailable, "the client is shutting down");
      Slot* best = nullptr;
      std::size_t idle = slots_.size();  // a slot that could be (re)connected
      for (std::size_t i = 0; i < slots_.size(); ++i) {
        Slot& s = slots_[i];
        if (s.link.state == Link::State::Ready) {
          if (best == nullptr || s.link.pending.size() < best->link.pending.size()) best = &s;
        } else if (!s.connecting && s.link.state == Link::State::Closed && idle == slots_.size()) {
          idle = i;
        }
      }
      const bool busy = best == nullptr || !best->link.pending.empty();
      if (busy && idle < slots_.size() && !grow_failed) {
        auto connected = connect_slot(lock, idle);
        grow_failed = !connected;
        if (!connected && best == nullptr) {
          // Another thread may have connected a slot meanwhile; otherwise report why we could not.
          if (std::none_of(slots_.begin(), slots_.end(),
                           [](const Slot& s) { return s.link.state == Link::State::Ready || s.connecting; })) {
            return std::unexpected(connected.error());
          }
        }
        continue;
      }
      if (best == nullptr) {
        if (std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.connecting; })) {
          return make_error(ErrorCode::Unavailable, "no connection to the cci daemon");
        }
        // Every slot is being connected by other callers: wait for one of them.
        if (changed_.wait_until(lock, wait_limit) == std::cv_status::timeout) {
          return make_error(ErrorCode::Unavailable, "timed out waiting for a connection to the cci daemon");
        }
        continue;
      }
      const std::size_t slot = static_cast<std::size_t>(best - slots_.data());
      ++requests_;
      return send_on(lock, slot, method, std::move(params), std::move(done), deadline);
    }
  }

  // Withdraws a request whose caller stopped waiting; true when it was still pending (then its
  // callback will never run and the server has been told to cancel it).
  bool withdraw(const Ticket& ticket, std::string_view reason) {
    std::shared_ptr<net::MessageConnection> connection;
    {
      std::lock_guard lock(mutex_);
      Link& link = slots_[ticket.slot].link;
      if (link.generation != ticket.generation) return false;
      auto it = link.pending.find(ticket.id);
      if (it == link.pending.end()) return false;
      if (it->second.has_timer) timers_.erase(it->second.timer);
      link.pending.erase(it);
      if (link.state != Link::State::Closed) connection = link.connection;
    }
    if (connection) connection->send(cancelled_notification(ticket.id, reason));
    return true;
  }

  // The first connection, opened by Client::connect.
  Status open_first() {
    std::unique_lock lock(mutex_);
    return connect_slot(lock, 0);
  }

  PoolStats stats() const {
    std::lock_guard lock(mutex_);
    PoolStats s;
    for (const Slot& slot : slots_) {
      if (slot.link.state == Link::State::Ready) ++s.connections_open;
      s.in_flight += slot.link.pending.size();
    }
    s.requests = requests_;
    s.reconnects = reconnects_;
    return s;
  }

  // Closes every connection and waits (bounded) for their readers to finish, so no handler runs
  // after the client is gone. Returns the connections for the caller to release on its thread.
  std::vector<std::shared_ptr<net::MessageConnection>> shut_down() {
    std::vector<std::shared_ptr<net::MessageConnection>> connections;
    std::thread timer;
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      for (Slot& s : slots_) {
        if (s.link.connection) connections.push_back(s.link.connection);
      }
      timer = std::move(timer_thread_);
    }
    timer_wake_.notify_all();
    if (timer.joinable()) timer.join();
    for (auto& c : connections) c->close();
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(5), [&] {
      return std::all_of(slots_.begin(), slots_.end(),
                         [](const Slot& s) { return s.link.state == Link::State::Closed && !s.connecting; });
    });
    for (Slot& s : slots_) s.link.connection.reset();
    return connections;
  }

 private:
  // Registers and sends one request on a slot whose link is not closed. Called with the lock held;
  // releases it.
  Result<Ticket> send_on(std::unique_lock<std::mutex>& lock, std::size_t slot, std::string_view method, Json params,
                         Callback done, std::optional<Clock::time_point> deadline) {
    Link& link = slots_[slot].link;
    const std::int64_t id = link.next_id++;
    Pending& pending = link.pending[id];
    pending.done = std::move(done);
    if (deadline) {
      pending.has_timer = true;
      pending.timer = timers_.emplace(*deadline, TimerKey{slot, link.generation, id});
      ensure_timer_thread();
      if (pending.timer == timers_.begin()) timer_wake_.notify_one();
    }
    Ticket ticket{slot, link.generation, id};
    std::shared_ptr<net::MessageConnection> connection = link.connection;
    lock.unlock();
    // A failed send means the connection is closing: its on_close fails this request.
    connection->send(rpc::serialize_request(rpc::Id{id}, method, std::move(params)));
    return ticket;
  }

  // Connects slot `index` (which must be closed and not connecting) and initializes the session.
  // Called with the lock held; returns with it held, having released it while waiting.
  Status connect_slot(std::unique_lock<std::mutex>& lock, std::size_t index) {
    Slot& slot = slots_[index];
    slot.connecting = true;
    slot.closed_while_connecting = false;
    const std::uint64_t generation = ++generations_;
    slot.connecting_generation = generation;
    const bool reconnect = slot.ever_connected;
    std::string token = options_.bearer_token;
    lock.unlock();

    net::ConnectOptions connect_options;
    connect_options.bearer_token = std::move(token);
    connect_options.timeout = options_.connect_timeout;
    std::weak_ptr<Pool> weak = weak_from_this();
    auto connected = net::MessageConnection::connect(
        endpoint_, connect_options,
        [weak, index, generation](std::string message) {
          if (auto self = weak.lock()) self->on_message(index, generation, message);
        },
        [weak, index, generation](std::string reason) {
          if (auto self = weak.lock()) self->on_close(index, generation, std::move(reason));
        });

    lock.lock();
    auto finish = [&](Status status) {
      slot.connecting = false;
      changed_.notify_all();
      return status;
    };
    if (!connected) return finish(std::unexpected(connected.error()));
    std::shared_ptr<net::MessageConnection> connection = std::move(*connected);
    if (stopping_ || slot.closed_while_connecting) {
      lock.unlock();
      connection->close();
      lock.lock();
      return finish(make_error(ErrorCode::Unavailable, "the connection to the cci daemon closed during its handshake"));
    }
    // The old link (if any) is closed and has no pending requests left; release it here, on a
    // caller's thread, rather than on a reader thread.
    std::shared_ptr<net::MessageConnection> previous = std::move(slot.link.connection);
    slot.link = Link{};
    slot.link.connection = connection;
    slot.link.generation = generation;
    slot.link.state = Link::State::Initializing;

    // initialize goes through the ordinary pending table, so its answer is matched like any other.
    auto answer = std::make_shared<std::promise<Result<Json>>>();
    auto answered = answer->get_future();
    Json params = {{"protocolVersion", std::string(kProtocolVersion)},
                   {"capabilities", Json::object()},
                   {"clientInfo", {{"name", options_.client_name}, {"version", options_.client_version}}},
                   {"_meta", {{std::string(kWorkingDirectoryMeta), options_.working_directory.string()}}}};
    auto ticket = send_on(lock, index, "initialize", std::move(params),
                          [answer](Result<Json> r) { answer->set_value(std::move(r)); }, std::nullopt);
    previous.reset();
    Result<Json> init = make_error(ErrorCode::Timeout, "the cci daemon did not answer initialize in time");
    if (answered.wait_for(options_.connect_timeout) == std::future_status::ready) {
      init = answered.get();
    } else if (!withdraw(*ticket, "timeout")) {
      init = answered.get();  // answered (or lost) while we gave up: take that outcome
    }
    if (init && !init->is_object()) init = make_error(ErrorCode::Internal, "initialize returned a non-object result");
    if (init) connection->send(rpc::serialize_notification("notifications/initialized", Json::object()));

    lock.lock();
    if (!init) {
      Error error = init.error();
      if (error.code != ErrorCode::Unavailable && error.code != ErrorCode::Timeout) {
        error.message = "initialize failed: " + error.message;
      }
      lock.unlock();
      connection->close();
      lock.lock();
      return finish(std::unexpected(std::move(error)));
    }
    if (slot.link.generation == generation && slot.link.state == Link::State::Initializing) {
      slot.link.state = Link::State::Ready;
      slot.ever_connected = true;
      if (reconnect) ++reconnects_;
      return finish({});
    }
    return finish(make_error(ErrorCode::Unavailable, "the connection to the cci daemon closed during its handshake"));
  }

  void on_message(std::size_t index, std::uint64_t generation, const std::string& text) {
    Json message = Json::parse(text, nullptr, false);
    if (!message.is_object()) {
      log::warn("client: ignoring a malformed message from the daemon");
      return;
    }
    const auto id = message.find("id");
    const auto method = message.find("method");
    if (method != message.end()) {
      if (id == message.end() || id->is_null()) return;  // a notification: nothing to do
      // A server-to-client request: this client offers no roots, sampling or elicitation.
      std::string reply;
      if (method->is_string() && *method == "ping") {
        reply = Json{{"jsonrpc", "2.0"}, {"id", *id}, {"result", Json::object()}}.dump();
      } else {
        reply = Json{{"jsonrpc", "2.0"},
                     {"id", *id},
                     {"error", {{"code", rpc::error_code::kMethodNotFound}, {"message", "not supported by this client"}}}}
                    .dump();
      }
      std::shared_ptr<net::MessageConnection> connection;
      {
        std::lock_guard lock(mutex_);
        const Link& link = slots_[index].link;
        if (link.generation == generation && link.state != Link::State::Closed) connection = link.connection;
      }
      if (connection) connection->send(std::move(reply));
      return;
    }
    if (id == message.end() || !id->is_number_integer()) return;  // not one of our ids
    Callback done;
    {
      std::lock_guard lock(mutex_);
      Link& link = slots_[index].link;
      if (link.generation != generation) return;
      auto it = link.pending.find(id->get<std::int64_t>());
      if (it == link.pending.end()) return;  // withdrawn (timed out) meanwhile
      if (it->second.has_timer) timers_.erase(it->second.timer);
      done = std::move(it->second.done);
      link.pending.erase(it);
    }
    if (auto error = message.find("error"); error != message.end()) {
      done(std::unexpected(to_error(*error)));
    } else if (auto result = message.find("result"); result != message.end()) {
      done(std::move(*result));
    } else {
      done(make_error(ErrorCode::Internal, "the daemon sent a response with neither result nor error"));
    }
  }

  void on_close(std::size_t index, std::uint64_t generation, std::string reason) {
    std::unordered_map<std::int64_t, Pending> orphaned;
    {
      std::lock_guard lock(mutex_);
      Slot& slot = slots_[index];
      if (slot.link.generation != generation) {
        if (slot.connecting && slot.connecting_generation == generation) slot.closed_while_connecting = true;
        return;
      }
      slot.link.state = Link::State::Closed;
      orphaned.swap(slot.link.pending);
      for (auto& [id, pending] : orphaned) {
        if (pending.has_timer) timers_.erase(pending.timer);
      }
      changed_.notify_all();
    }
    if (!orphaned.empty()) log::info("client: connection to the daemon lost ({})", reason);
    const std::string message =
        "connection to the cci daemon was lost" + (reason.empty() ? std::string() : " (" + reason + ")");
    for (auto& [id, pending] : orphaned) pending.done(make_error(ErrorCode::Unavailable, message));
  }

  void ensure_timer_thread() {
    if (!timer_thread_.joinable()) timer_thread_ = std::thread([this] { run_timers(); });
  }

  // Fails async requests whose deadline passed (and tells the server to stop working on them).
  void run_timers() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (timers_.empty()) {
        timer_wake_.wait(lock);
        continue;
      }
      const auto next = timers_.begin()->first;
      if (Clock::now() < next) {
        timer_wake_.wait_until(lock, next);
        continue;
      }
      std::vector<std::pair<Callback, std::shared_ptr<net::MessageConnection>>> expired;
      std::vector<std::int64_t> ids;
      const auto now = Clock::now();
      while (!timers_.empty() && timers_.begin()->first <= now) {
        const TimerKey key = timers_.begin()->second;
        timers_.erase(timers_.begin());
        Link& link = slots_[key.slot].link;
        if (link.generation != key.generation) continue;
        auto it = link.pending.find(key.id);
        if (it == link.pending.end()) continue;
        expired.emplace_back(std::move(it->second.done),
                             link.state == Link::State::Closed ? nullptr : link.connection);
        ids.push_back(key.id);
        link.pending.erase(it);
      }
      lock.unlock();
      for (std::size_t i = 0; i < expired.size(); ++i) {
        if (expired[i].second) expired[i].second->send(cancelled_notification(ids[i], "timeout"));
        expired[i].first(make_error(ErrorCode::Timeout, "the cci daemon did not answer in time"));
      }
      expired.clear();
      lock.lock();
    }
  }

  const ClientOptions options_;
  const net::Endpoint endpoint_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;     // a slot finished connecting or closed
  std::condition_variable timer_wake_;  // a new earliest deadline, or stopping
  std::vector<Slot> slots_;
  TimerMap timers_;
  std::thread timer_thread_;
  std::uint64_t generations_ = 0;
  std::uint64_t requests_ = 0;
  std::uint64_t reconnects_ = 0;
  bool stopping_ = false;
};

class PooledClient final : public Client {
 public:
  explicit PooledClient(std::shared_ptr<Pool> pool, ClientOptions options)
      : pool_(std::move(pool)), options_(std::move(options)) {}

  ~PooledClient() override {
    auto connections = pool_->shut_down();
    pool_.reset();  // a reader thread finishing its last handler may hold the final reference
    connections.clear();
  }

  Result<Json> request(const std::string& method, Json params,
                       std::optional<std::chrono::milliseconds> timeout) override {
    auto answer = std::make_shared<std::promise<Result<Json>>>();
    auto answered = answer->get_future();
    auto ticket = pool_->start(method, std::move(params),
                               [answer](Result<Json> r) { answer->set_value(std::move(r)); }, std::nullopt);
    if (!ticket) return std::unexpected(ticket.error());
    const auto limit = timeout.value_or(options_.request_timeout);
    if (answered.wait_for(limit) == std::future_status::timeout && pool_->withdraw(*ticket, "timeout")) {
      return make_error(ErrorCode::Timeout, "the cci daemon did not answer " + method + " within " +
                                                std::to_string(limit.count()) + " ms");
    }
    return answered.get();
  }

  Result<ToolCallResult> call_tool(const std::string& name, Json arguments,
                                   std::optional<std::chrono::milliseconds> timeout) override {
    auto result = request("tools/call", tool_call_params(name, std::move(arguments)), timeout);
    if (!result) return std::unexpected(result.error());
    return to_tool_call_result(std::move(*result));
  }

  void request_async(const std::string& method, Json params, Callback done,
                     std::optional<std::chrono::milliseconds> timeout) override {
    auto shared_done = std::make_shared<Callback>(std::move(done));
    const auto deadline = Clock::now() + timeout.value_or(options_.request_timeout);
    auto ticket = pool_->start(method, std::move(params),
                               [shared_done](Result<Json> r) { (*shared_done)(std::move(r)); }, deadline);
    if (!ticket) (*shared_done)(std::unexpected(ticket.error()));
  }

  std::future<Result<ToolCallResult>> call_tool_async(const std::string& name, Json arguments) override {
    auto promise = std::make_shared<std::promise<Result<ToolCallResult>>>();
    auto future = promise->get_future();
    request_async("tools/call", tool_call_params(name, std::move(arguments)), [promise](Result<Json> r) {
      if (!r) {
        promise->set_value(std::unexpected(r.error()));
      } else {
        promise->set_value(to_tool_call_result(std::move(*r)));
      }
    }, std::nullopt);
    return future;
  }

  PoolStats stats() const override { return pool_->stats(); }

 private:
  static Json tool_call_params(const std::string& name, Json arguments) {
    if (arguments.is_null()) arguments = Json::object();
    return Json{{"name", name}, {"arguments", std::move(arguments)}};
  }

  std::shared_ptr<Pool> pool_;
  const ClientOptions options_;
};

}  // namespace

ClientOptions ClientOptions::for_daemon(const std::filesystem::path& data_dir) {
  const DaemonPaths paths = DaemonPaths::in(data_dir.empty() ? cci::data_dir() : data_dir);
  ClientOptions options;
  options.url = "unix:" + paths.socket.string();
  // The Unix socket needs no token; reading it anyway lets the caller switch the URL to ws://.
  if (auto token = read_token_file(paths.token)) options.bearer_token = std::move(*token);
  return options;
}

Result<std::unique_ptr<Client>> Client::connect(ClientOptions options) {
  auto endpoint = net::Endpoint::parse(options.url);
  if (!endpoint) return std::unexpected(endpoint.error());
  if (options.working_directory.empty()) {
    std::error_code ec;
    options.working_directory = fs::current_path(ec);
  } else if (options.working_directory.is_relative()) {
    std::error_code ec;
    options.working_directory = fs::absolute(options.working_directory, ec);
  }
  auto pool = std::make_shared<Pool>(options, std::move(*endpoint));
  if (auto opened = pool->open_first(); !opened) {
    pool->shut_down();
    return std::unexpected(opened.error());
  }
  return std::unique_ptr<Client>(std::make_unique<PooledClient>(std::move(pool), std::move(options)));
}

ToolCallResult to_tool_call_result(Json result) {
  ToolCallResult out;
  if (result.is_object()) {
    if (auto it = result.find("structuredContent"); it != result.end()) out.structured = *it;
    if (auto it = result.find("content"); it != result.end() && it->is_array()) {
      for (const Json& block : *it) {
        if (!block.is_object() || block.value("type", Json()) != "text") continue;
        auto text = block.find("text");
        if (text == block.end() || !text->is_string()) continue;
        if (!out.text.empty()) out.text += '\n';
        out.text += text->get_ref<const std::string&>();
      }
    }
    if (auto it = result.find("isError"); it != result.end() && it->is_boolean()) out.is_error = it->get<bool>();
  }
  out.raw = std::move(result);
  return out;
}

}  // namespace cci::client
