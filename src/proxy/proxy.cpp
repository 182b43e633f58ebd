// proxy/proxy.cpp — `cci mcp-proxy`: one stdio MCP session bridged to the daemon, with daemon
// auto-start, reconnection with re-initialize and replay of read-only calls, and an in-process
// fallback (see proxy.h for the behaviour the host sees).
//
// Threads: the caller's thread reads stdin; the daemon connection's reader thread forwards the
// daemon's messages to stdout; a supervisor thread reconnects after a loss and enforces the
// reconnect deadline. One mutex (Proxy::mutex_) guards the session state; the stdout writer has its
// own mutex, always taken after (never before) the session's, and the in-process session is only
// ever fed through an Outbound that does not touch the session's mutex.
//
// Daemon lifecycle: at startup a missing daemon is started; after a loss only a daemon that died
// (its lock free, daemon.json left behind) is restarted. One stopped on purpose (`cci mcp-daemon
// stop` removes daemon.json) stays stopped: otherwise every running host would undo the stop at
// once. A restart (`cci mcp-daemon restart`) is simply reconnected to.
//
// Hot path: messages are forwarded as the exact bytes received. The proxy only needs the top-level
// `id` and `method` of each message, which skim() finds in one pass without building a DOM; full
// JSON parsing is reserved for the rare messages that need it (initialize, cancellation,
// tools/list answers, replay decisions).
#include "proxy/proxy.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/log.h"
#include "core/paths.h"
#include "core/result.h"
#include "mcp/code_tools.h"
#include "mcp/server.h"
#include "net/client_connection.h"
#include "net/stdio_io.h"
#include "rpc/json.h"
#include "rpc/message.h"

extern char** environ;

namespace cci::proxy {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using rpc::Json;
using std::chrono::milliseconds;

constexpr std::string_view kDefaultServerUrl = "ws://127.0.0.1:8765";
constexpr std::string_view kPrivateIdPrefix = "cci-proxy-";
// After `mcp-daemon start` failed, connecting is retried this long (another proxy's daemon may
// still be coming up: its start answered "already running" before it listened).
constexpr milliseconds kStartFailureGrace{1000};
constexpr milliseconds kMaxBackoff{100};
constexpr milliseconds kDownRetryInterval{2000};      // no fallback: how often to look for a daemon again
constexpr milliseconds kDownRespawnInterval{30000};   // ... and to try starting one
constexpr milliseconds kDrainTimeout{2000};           // EOF: in-flight requests get this long to finish

// ---------------------------------------------------------------------------------------------
// Top-level skimming of one JSON-RPC message.

struct Skim {
  bool object = false;
  std::string_view id;      // the raw token ("7", "\"a\""), empty when absent or null
  std::string_view method;  // the raw token ("\"tools/call\""), empty when absent

  bool is_request() const { return !method.empty() && !id.empty(); }
  bool is_notification() const { return !method.empty() && id.empty(); }
  bool is_response() const { return method.empty() && !id.empty(); }
  bool method_is(std::string_view name) const {
    return method.size() == name.size() + 2 && method.substr(1, name.size()) == name;
  }
};

constexpr auto npos = std::string_view::npos;

// Index after the string starting at t[i] (a quote), or npos when it does not end.
std::size_t skip_string(std::string_view t, std::size_t i) {
  for (++i;;) {
    i = t.find_first_of("\"\\", i);
    if (i == npos) return npos;
    if (t[i] == '"') return i + 1;
    i += 2;  // an escape and the character it escapes
  }
}

std::size_t skip_space(std::string_view t, std::size_t i) {
  while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r')) ++i;
  return i;
}

// Index after the value starting at t[i], or npos when malformed.
std::size_t skip_value(std::string_view t, std::size_t i) {
  if (i >= t.size()) return npos;
  if (t[i] == '"') return skip_string(t, i);
  if (t[i] == '{' || t[i] == '[') {
    std::size_t depth = 0;
    while (i < t.size()) {
      i = t.find_first_of("\"{}[]", i);
      if (i == npos) return npos;
      const char c = t[i];
      if (c == '"') {
        i = skip_string(t, i);
        if (i == npos) return npos;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (--depth == 0) {
        return i + 1;
      }
      ++i;
    }
    return npos;
  }
  const std::size_t end = t.find_first_of(",}] \t\r\n", i);
  return end == npos ? t.size() : end;
}

Skim skim(std::string_view t) {
  Skim s;
  std::size_t i = skip_space(t, 0);
  if (i >= t.size() || t[i] != '{') return s;
  i = skip_space(t, i + 1);
  if (i < t.size() && t[i] == '}') {
    s.object = true;
    return s;
  }
  while (i < t.size()) {
    if (t[i] != '"') return Skim{};
    const std::size_t key_end = skip_string(t, i);
    if (key_end == npos) return Skim{};
    const std::string_view key = t.substr(i + 1, key_end - i - 2);
    i = skip_space(t, key_end);
    if (i >= t.size() || t[i] != ':') return Skim{};
    i = skip_space(t, i + 1);
    const std::size_t value_end = skip_value(t, i);
    if (value_end == npos) return Skim{};
    const std::string_view value = t.substr(i, value_end - i);
    if (key == "id") {
      s.id = value == "null" ? std::string_view() : value;
    } else if (key == "method") {
      s.method = value;
    }
    i = skip_space(t, value_end);
    if (i < t.size() && t[i] == '}') {
      s.object = true;
      return s;
    }
    if (i >= t.size() || t[i] != ',') return Skim{};
    i = skip_space(t, i + 1);
  }
  return Skim{};
}

// The map key of a raw id token: the token itself unless it needs normalising (escapes, odd
// number spellings), so the same id written two ways matches.
std::string id_key(std::string_view raw) {
  const bool plain_string = raw.size() >= 2 && raw.front() == '"' && raw.find('\\') == npos;
  const bool plain_integer =
      !raw.empty() && raw.find_first_not_of("-0123456789") == npos && raw != "-";
  if (plain_string || plain_integer) return std::string(raw);
  Json parsed = Json::parse(raw, nullptr, false);
  if (parsed.is_discarded()) return std::string(raw);
  return parsed.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string id_key(const Json& id) { return id.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

std::string error_response(const Json& id, int code, std::string message) {
  return dump(Json{{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", std::move(message)}}}});
}

// The method named by a raw token, empty when it is not a string.
std::string method_name(std::string_view raw) {
  if (raw.size() >= 2 && raw.front() == '"' && raw.find('\\') == npos) return std::string(raw.substr(1, raw.size() - 2));
  Json parsed = Json::parse(raw, nullptr, false);
  return parsed.is_string() ? parsed.get<std::string>() : std::string();
}

std::string raw_id_json(std::string_view raw) {
  Json id = Json::parse(raw, nullptr, false);
  return id.is_discarded() ? std::string("null") : dump(id);
}

// ---------------------------------------------------------------------------------------------
// Starting the daemon.

// Runs `<binary> mcp-daemon start [--host H --port P]` without waiting. Its stdin and stdout are
// /dev/null (our stdout is the protocol channel); stderr is ours, so its diagnostics reach the host's log.
Result<pid_t> spawn_daemon_start(const fs::path& binary, const net::Endpoint& endpoint, const fs::path& data_dir) {
  std::vector<std::string> args = {binary.string(), "mcp-daemon", "start"};
  if (endpoint.kind == net::Endpoint::Kind::WebSocket) {
    args.insert(args.end(), {"--host", endpoint.host, "--port", std::to_string(endpoint.port)});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  // The daemon must use the data directory this proxy reads the token and socket from.
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("CCI_HOME=")) continue;
    env_storage.emplace_back(*e);
  }
  env_storage.push_back("CCI_HOME=" + data_dir.string());
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // Boost.Asio opens its sockets without O_CLOEXEC: without this the daemon would inherit our
  // connections (and whatever else the host left open), keeping them alive past our exit.
  posix_spawn_file_actions_addclosefrom_np(&actions, STDERR_FILENO + 1);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // ignored here; an ignored disposition would survive exec
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (rc != 0) {
    return make_error(ErrorCode::IoError, "cannot run " + binary.string() + " mcp-daemon start: " + std::strerror(rc));
  }
  return pid;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "ended";
}

// ---------------------------------------------------------------------------------------------
// The in-process fallback.

// The in-process session's output: stdout, minus the answers to the proxy's own requests.
class FallbackOutbound final : public mcp::Outbound {
 public:
  explicit FallbackOutbound(net::LineWriter& out) : out_(out) {}

  void swallow(std::string key) {
    std::lock_guard lock(mutex_);
    swallowed_.insert(std::move(key));
  }

  void send(std::string message) override {
    {
      std::lock_guard lock(mutex_);
      if (!swallowed_.empty()) {
        const Skim s = skim(message);
        if (s.is_response() && swallowed_.erase(id_key(s.id)) > 0) return;
      }
    }
    out_.write(std::move(message));
  }

 private:
  net::LineWriter& out_;
  std::mutex mutex_;
  std::unordered_set<std::string> swallowed_;
};

struct Fallback {
  mcp::CodeServer code;
  std::shared_ptr<FallbackOutbound> out;
  std::shared_ptr<mcp::Session> session;
};

// ---------------------------------------------------------------------------------------------
// The proxy.

// A client request the daemon has not answered yet.
struct InFlight {
  Json id;
  std::string method;
  std::string line;        // as forwarded (initialize: with the working directory added)
  bool delivered = false;  // sent to the current daemon session; false = still in the queue
  int replays = 0;
  std::uint64_t sequence = 0;
};

struct Queued {
  std::string line;
  std::string key;  // the request's id key; empty for notifications
};

enum class Mode {
  Starting,      // first connection attempt (before the first stdin read)
  Forwarding,    // connected to the daemon
  Reconnecting,  // connection lost: queueing, answering ping, reconnecting until the deadline
  Fallback,      // serving in-process
  Down,          // no daemon and no fallback: requests are answered with errors
};

enum class Private { Initialize, ToolsList, Other };

// When establish() may run `cci mcp-daemon start`.
enum class Spawn {
  Never,
  Always,         // at startup: the host is opening a session and needs a daemon
  UnlessStopped,  // after a loss: restart a daemon that died, not one stopped on purpose
};

enum class DaemonFate { Running, Stopped, Died };

// What became of the data directory's daemon, from its lock (held for its whole life) and
// daemon.json (removed on a clean exit, left behind by a crash). A shared lock probe is part of
// the daemon's protocol (it retries its own exclusive lock briefly for such probes).
DaemonFate daemon_fate(const fs::path& data_dir) {
  const DaemonPaths paths = DaemonPaths::in(data_dir);
  const int fd = ::open(paths.lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // drops the probe's lock, if it got one
    if (held) return DaemonFate::Running;
  }
  std::error_code ec;
  return fs::exists(paths.state, ec) ? DaemonFate::Died : DaemonFate::Stopped;
}

struct Connected {
  std::shared_ptr<net::MessageConnection> connection;
  std::uint64_t generation = 0;
};

class Proxy : public std::enable_shared_from_this<Proxy> {
 public:
  Proxy(const ProxyOptions& options, net::Endpoint endpoint, fs::path data_dir)
      : options_(options), endpoint_(std::move(endpoint)), data_dir_(std::move(data_dir)), out_(options.out_fd) {
    std::error_code ec;
    working_directory_ = fs::current_path(ec);
  }

  int serve();

 private:
  // --- stdin side ---
  int read_loop(int signal_fd);
  void on_client_line(std::string line);
  void answer_locally(const Skim& s);
  // --- daemon side ---
  void on_daemon_message(std::uint64_t generation, std::string message);
  void on_daemon_close(std::uint64_t generation, std::string reason);
  void on_private_answer(Private purpose, const std::string& message);
  void learn_tools(const InFlight& request, const std::string& message);
  // --- connection management ---
  Result<Connected> connect_once(milliseconds timeout);
  Result<Connected> establish(Clock::time_point deadline, bool wait_for_restart, Spawn spawn);
  bool install_locked(Connected& connected);
  void resume_locked();
  void supervise();
  void reconnect_or_give_up(std::unique_lock<std::mutex>& lock);
  void retry_while_down(std::unique_lock<std::mutex>& lock);
  void fail_in_flight_locked(const std::string& message, bool keep_undelivered);
  void enter_fallback_locked(std::unique_ptr<Fallback> fallback);
  std::unique_ptr<Fallback> make_fallback();
  void reap_starters_locked();
  std::string private_id(Private purpose);
  bool replayable(const InFlight& request) const;
  void shut_down();

  const ProxyOptions options_;
  const net::Endpoint endpoint_;
  const fs::path data_dir_;
  fs::path working_directory_;
  net::LineWriter out_;

  std::mutex mutex_;
  std::condition_variable changed_;  // mode changes, stop, in-flight drained
  Mode mode_ = Mode::Starting;
  bool stopping_ = false;
  bool draining_ = false;
  std::string loss_reason_;
  Clock::time_point reconnect_deadline_{};

  // The daemon connection. Every connection ever made stays here until its reader has finished
  // (on_close), so none is destroyed on its own reader thread.
  std::shared_ptr<net::MessageConnection> connection_;
  std::uint64_t current_generation_ = 0;
  std::uint64_t generations_ = 0;
  std::vector<Connected> connections_;
  std::unordered_set<std::uint64_t> closed_generations_;
  std::vector<pid_t> starters_;  // `mcp-daemon start` processes not yet reaped
  Clock::time_point last_spawn_{};

  // The host's session, to replay on a new daemon session.
  std::optional<Json> initialize_params_;
  std::string initialize_key_;
  bool client_initialized_ = false;
  std::optional<Json> logging_level_params_;
  std::optional<std::size_t> tools_hash_;
  std::unordered_map<std::string, bool> tool_read_only_;  // from the daemon's tools/list annotations

  std::unordered_map<std::string, InFlight> in_flight_;
  std::deque<Queued> queue_;
  std::uint64_t sequence_ = 0;
  std::unordered_map<std::string, Private> private_requests_;
  std::uint64_t private_ids_ = 0;

  std::unique_ptr<Fallback> fallback_;
  std::thread supervisor_;
};

bool Proxy::replayable(const InFlight& request) const {
  static const std::unordered_set<std::string_view> kSafeMethods = {
      "initialize",     "ping",       "tools/list",          "resources/list",    "resources/read",
      "resources/templates/list", "prompts/list", "prompts/get", "completion/complete", "logging/setLevel"};
  if (request.method != "tools/call") return kSafeMethods.contains(request.method);
  // value() with a typed default throws on a type mismatch: compare as Json, never get<>.
  const Json message = Json::parse(request.line, nullptr, false);
  std::string tool;
  if (message.is_object()) {
    const Json params = message.value("params", Json::object());
    if (const Json name = params.is_object() ? params.value("name", Json()) : Json(); name.is_string()) {
      tool = name.get<std::string>();
    }
  }
  if (auto known = tool_read_only_.find(tool); known != tool_read_only_.end()) return known->second;
  // Not listed by the host yet: every code tool reads, except these two.
  return tool != "index_codebase" && tool != "manage_cache";
}

std::string Proxy::private_id(Private purpose) {
  static constexpr std::string_view kNames[] = {"reinit", "tools", "other"};
  const std::string id = std::string(kPrivateIdPrefix) + std::string(kNames[static_cast<int>(purpose)]) + "-" +
                         std::to_string(++private_ids_);
  private_requests_[id_key(Json(id))] = purpose;
  return id;
}

// --- stdin side ------------------------------------------------------------------------------

void Proxy::answer_locally(const Skim& s) {
  const std::string id = raw_id_json(s.id);
  if (s.method_is("ping")) {
    out_.write("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}");
    return;
  }
  out_.write(error_response(Json::parse(id, nullptr, false), rpc::error_code::kInternalError,
                            "cci daemon unavailable: " + loss_reason_ + "; retrying in the background"));
}

void Proxy::on_client_line(std::string line) {
  Skim s = skim(line);
  std::unique_lock lock(mutex_);
  if (mode_ == Mode::Fallback) {
    auto session = fallback_->session;
    lock.unlock();
    session->receive(line);
    return;
  }
  if (!s.object) {
    // Not a JSON object (malformed, or a batch): the daemon answers it with the right error.
    if (mode_ == Mode::Forwarding && connection_->send(line)) return;
    if (mode_ == Mode::Reconnecting) {
      queue_.push_back({std::move(line), {}});
      return;
    }
    out_.write(rpc::serialize_error(std::nullopt, {rpc::error_code::kInvalidRequest,
                                                   "not a JSON-RPC message object", std::nullopt}));
    return;
  }
  if (s.is_request()) {
    if (mode_ == Mode::Down || (mode_ == Mode::Reconnecting && s.method_is("ping"))) {
      answer_locally(s);
      return;
    }
    InFlight request;
    request.id = Json::parse(s.id, nullptr, false);
    request.method = method_name(s.method);
    if (request.id.is_discarded() || !(request.id.is_string() || request.id.is_number()) || request.method.empty()) {
      // Malformed: not tracked; the daemon answers it with the right error.
      if (mode_ == Mode::Forwarding && connection_->send(line)) return;
      if (mode_ == Mode::Reconnecting) queue_.push_back({std::move(line), {}});
      return;
    }
    std::string key = id_key(request.id);
    request.sequence = ++sequence_;
    if (s.method_is("initialize")) {
      // Remembered for re-initializing a restarted daemon; the working directory tells the daemon
      // which project this host means.
      Json message = Json::parse(line, nullptr, false);
      if (message.is_object() && message.contains("params") && message["params"].is_object()) {
        Json& params = message["params"];
        if (!params.contains("_meta") || !params["_meta"].is_object()) params["_meta"] = Json::object();
        if (!params["_meta"].contains(mcp::kWorkingDirectoryMeta)) {
          params["_meta"][std::string(mcp::kWorkingDirectoryMeta)] = working_directory_.string();
        }
        initialize_params_ = params;
        initialize_key_ = key;
        line = dump(message);
      }
    } else if (s.method_is("logging/setLevel")) {
      Json message = Json::parse(line, nullptr, false);
      if (message.is_object() && message.contains("params")) logging_level_params_ = message["params"];
    }
    request.line = line;
    log::debug("mcp-proxy: client request {} {}", request.method, key);
    if (mode_ == Mode::Forwarding && connection_->send(line)) {
      request.delivered = true;
      log::debug("mcp-proxy: forwarded {} {}", request.method, key);
    } else {
      queue_.push_back({std::move(line), key});  // the connection is closing: on_close follows
    }
    in_flight_.insert_or_assign(std::move(key), std::move(request));
    return;
  }
  if (s.is_notification()) {
    if (s.method_is("notifications/initialized")) client_initialized_ = true;
    if (s.method_is("notifications/cancelled")) {
      const Json message = Json::parse(line, nullptr, false);
      const Json params = message.is_object() ? message.value("params", Json::object()) : Json::object();
      if (params.is_object() && params.contains("requestId")) {
        auto it = in_flight_.find(id_key(params["requestId"]));
        if (it != in_flight_.end()) {
          const bool delivered = it->second.delivered;
          in_flight_.erase(it);
          if (draining_) changed_.notify_all();
          // Never delivered (queued) or delivered to a daemon session that is gone: nothing to tell.
          if (!delivered || mode_ != Mode::Forwarding) return;
        }
      }
    }
    if (mode_ == Mode::Forwarding && connection_->send(line)) return;
    if (mode_ == Mode::Forwarding || mode_ == Mode::Reconnecting) queue_.push_back({std::move(line), {}});
    return;
  }
  // A response: the host answering a daemon's request (roots/list, sampling, elicitation). It only
  // means something to the session that asked.
  if (mode_ == Mode::Forwarding) connection_->send(std::move(line));
}

int Proxy::read_loop(int signal_fd) {
  const std::size_t limit = mcp::ServerOptions{}.max_message_bytes;
  const net::ReadEnd end = net::read_lines(
      options_.in_fd, signal_fd, limit, [&](std::string line) { on_client_line(std::move(line)); },
      [&](std::size_t bytes) { out_.write(net::oversized_message_error(bytes, limit)); }, "mcp-proxy");
  return end == net::ReadEnd::Failed ? 1 : 0;
}

// --- daemon side -----------------------------------------------------------------------------

void Proxy::on_daemon_message(std::uint64_t generation, std::string message) {
  const Skim s = skim(message);
  if (s.is_response()) {
    std::unique_lock lock(mutex_);
    if (generation != current_generation_) return;
    const std::string key = id_key(s.id);
    if (!private_requests_.empty() && s.id.size() > kPrivateIdPrefix.size() &&
        s.id.substr(1, kPrivateIdPrefix.size()) == kPrivateIdPrefix) {
      auto it = private_requests_.find(key);
      if (it != private_requests_.end()) {
        const Private purpose = it->second;
        private_requests_.erase(it);
        on_private_answer(purpose, message);
        return;
      }
    }
    auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      if (it->second.method == "tools/list") learn_tools(it->second, message);
      in_flight_.erase(it);
      if (draining_) changed_.notify_all();
    }
  } else {
    std::lock_guard lock(mutex_);
    if (generation != current_generation_) return;
  }
  out_.write(std::move(message));
}

// Called with the lock held: the answers to the proxy's own requests never reach the host.
void Proxy::on_private_answer(Private purpose, const std::string& message) {
  if (purpose == Private::Initialize) {
    if (message.find("\"error\"") != std::string::npos && skim(message).is_response()) {
      const Json parsed = Json::parse(message, nullptr, false);
      if (parsed.is_object() && parsed.contains("error")) {
        log::warn("mcp-proxy: the restarted daemon refused the session's initialize: {}", dump(parsed["error"]));
      }
    }
    return;
  }
  if (purpose != Private::ToolsList) return;
  const Json parsed = Json::parse(message, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("result") || !parsed["result"].is_object()) return;
  const Json& tools = parsed["result"].value("tools", Json::array());
  const std::size_t hash = std::hash<std::string>{}(dump(tools));
  if (tools_hash_ && *tools_hash_ != hash) {
    log::info("mcp-proxy: the restarted daemon offers different tools; telling the host");
    out_.write(rpc::serialize_notification("notifications/tools/list_changed", Json()));
  }
  tools_hash_ = hash;
}

// Remembers which tools are read-only (to decide replays) and what the first page looked like
// (to tell the host when a restarted daemon offers different tools).
void Proxy::learn_tools(const InFlight& request, const std::string& message) {
  const Json parsed = Json::parse(message, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("result") || !parsed["result"].is_object()) return;
  const Json& tools = parsed["result"].value("tools", Json::array());
  if (!tools.is_array()) return;
  for (const Json& tool : tools) {
    if (!tool.is_object() || !tool.contains("name") || !tool["name"].is_string()) continue;
    bool read_only = false;
    if (auto a = tool.find("annotations"); a != tool.end() && a->is_object()) {
      read_only = a->value("readOnlyHint", Json(false)) == true;
    }
    tool_read_only_[tool["name"].get<std::string>()] = read_only;
  }
  const Json request_message = Json::parse(request.line, nullptr, false);
  const bool first_page = !request_message.is_object() || !request_message.contains("params") ||
                          !request_message["params"].is_object() || !request_message["params"].contains("cursor");
  if (first_page) tools_hash_ = std::hash<std::string>{}(dump(tools));
}

void Proxy::on_daemon_close(std::uint64_t generation, std::string reason) {
  std::lock_guard lock(mutex_);
  closed_generations_.insert(generation);
  changed_.notify_all();
  if (generation != current_generation_ || stopping_ || mode_ != Mode::Forwarding) return;
  mode_ = Mode::Reconnecting;
  loss_reason_ = reason.empty() ? "the connection closed" : reason;
  reconnect_deadline_ = Clock::now() + options_.reconnect_deadline;
  log::warn("mcp-proxy: lost the connection to the cci daemon ({}); reconnecting", loss_reason_);
}

// --- connection management -------------------------------------------------------------------

// The Unix socket of the daemon that `endpoint` names, when that daemon is this data directory's
// own (its daemon.json gives the same loopback port): the same sessions without TCP, WebSocket
// framing or a token, measurably faster per message (BENCHMARKS.md).
std::optional<net::Endpoint> local_socket_of(const net::Endpoint& endpoint, const fs::path& data_dir) {
  if (endpoint.kind != net::Endpoint::Kind::WebSocket) return std::nullopt;
  if (endpoint.host != "127.0.0.1" && endpoint.host != "localhost" && endpoint.host != "::1" &&
      endpoint.host != "[::1]") {
    return std::nullopt;
  }
  const DaemonPaths paths = DaemonPaths::in(data_dir);
  std::ifstream in(paths.state);
  if (!in) return std::nullopt;
  const rpc::Json state = rpc::Json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!state.is_object()) return std::nullopt;
  const auto port = state.find("port");
  const auto socket = state.find("socket");
  if (port == state.end() || !port->is_number_unsigned() || port->get<std::uint64_t>() != endpoint.port ||
      socket == state.end() || !socket->is_string()) {
    return std::nullopt;
  }
  net::Endpoint local;
  local.kind = net::Endpoint::Kind::Unix;
  local.socket_path = socket->get<std::string>();
  std::error_code ec;
  if (!fs::exists(local.socket_path, ec)) return std::nullopt;
  return local;
}

Result<Connected> Proxy::connect_once(milliseconds timeout) {
  net::ConnectOptions connect_options;
  connect_options.timeout = timeout;
  net::Endpoint endpoint = endpoint_;
  if (auto local = local_socket_of(endpoint_, data_dir_)) {
    log::debug("mcp-proxy: {} is this data directory's daemon; using its Unix socket {}", endpoint_.to_string(),
               local->socket_path.string());
    endpoint = std::move(*local);
  }
  if (endpoint.kind == net::Endpoint::Kind::WebSocket) {
    // Read at every attempt: a daemon started meanwhile may have created it.
    if (auto token = read_token_file(DaemonPaths::in(data_dir_).token)) connect_options.bearer_token = std::move(*token);
  }
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    generation = ++generations_;
  }
  std::weak_ptr<Proxy> weak = weak_from_this();
  auto connected = net::MessageConnection::connect(
      endpoint, connect_options,
      [weak, generation](std::string message) {
        if (auto self = weak.lock()) self->on_daemon_message(generation, std::move(message));
      },
      [weak, generation](std::string reason) {
        if (auto self = weak.lock()) self->on_daemon_close(generation, std::move(reason));
      });
  if (!connected) return std::unexpected(connected.error());
  std::lock_guard lock(mutex_);
  connections_.push_back({*connected, generation});
  return Connected{std::move(*connected), generation};
}

// Connects, starting the daemon when nothing listens (at most once per call), until `deadline`.
// Without a way to start one, gives up at once unless `wait_for_restart` (after a loss the daemon
// may be restarting by itself).
Result<Connected> Proxy::establish(Clock::time_point deadline, bool wait_for_restart, Spawn spawn) {
  pid_t starter = -1;
  bool spawned = false;
  bool started = false;  // a starter ran: its daemon (or a racing proxy's) may still be coming up
  std::string start_note;
  Clock::time_point give_up = deadline;
  milliseconds backoff{10};
  for (;;) {
    const auto now = Clock::now();
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - now);
    auto attempt = connect_once(std::clamp(remaining, milliseconds(50), milliseconds(2000)));
    if (attempt) return attempt;
    Error error = attempt.error();
    if (error.code == ErrorCode::Refused || error.code == ErrorCode::InvalidArgument) return std::unexpected(error);
    if (error.code == ErrorCode::Unavailable && options_.auto_start && spawn != Spawn::Never && !spawned) {
      const DaemonFate fate = spawn == Spawn::UnlessStopped ? daemon_fate(data_dir_) : DaemonFate::Died;
      if (fate == DaemonFate::Stopped) {
        spawned = true;
        start_note = "it was stopped (`cci mcp-daemon stop`), so it is not restarted";
        log::info("mcp-proxy: the cci daemon was stopped on purpose; not restarting it");
      } else if (fate == DaemonFate::Died) {
        spawned = true;
        const fs::path binary = options_.cci_binary.empty() ? fs::path("/proc/self/exe") : options_.cci_binary;
        auto pid = spawn_daemon_start(binary, endpoint_, data_dir_);
        if (pid) {
          log::info("mcp-proxy: no daemon at {}; starting one", endpoint_.to_string());
          starter = *pid;
          started = true;
          std::lock_guard lock(mutex_);
          last_spawn_ = Clock::now();
        } else {
          start_note = pid.error().message;
        }
      }
      // Running: it is shutting down or (re)starting; wait for it rather than race it.
    }
    if (starter > 0) {
      int status = 0;
      if (::waitpid(starter, &status, WNOHANG) == starter) {
        starter = -1;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
          start_note = "`cci mcp-daemon start` " + describe_exit(status);
          give_up = std::min(give_up, Clock::now() + kStartFailureGrace);
        } else {
          backoff = milliseconds(1);  // it returns once the daemon listens: connect right away
        }
      }
    }
    if (!start_note.empty()) error.message += "; " + start_note;
    const bool can_wait = wait_for_restart || started;
    if (!can_wait || Clock::now() + backoff >= give_up) {
      if (starter > 0) {
        std::lock_guard lock(mutex_);
        starters_.push_back(starter);
      }
      return std::unexpected(error);
    }
    std::unique_lock lock(mutex_);
    if (changed_.wait_for(lock, backoff, [&] { return stopping_ || net::TerminationSignals::signalled(); })) {
      if (starter > 0) starters_.push_back(starter);
      return make_error(ErrorCode::Cancelled, "the proxy is stopping");
    }
    lock.unlock();
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

// Makes a fresh connection the current one unless it already closed during setup.
bool Proxy::install_locked(Connected& connected) {
  if (closed_generations_.contains(connected.generation)) return false;
  connection_ = connected.connection;
  current_generation_ = connected.generation;
  return true;
}

// Brings a new daemon session to where the host's session was, then resumes forwarding: the
// host's initialize (answer swallowed), initialized, logging level; read-only in-flight requests
// again, the others failed; then what the host sent meanwhile, in order.
void Proxy::resume_locked() {
  net::MessageConnection& daemon = *connection_;
  const bool client_initialize_pending = !initialize_key_.empty() && in_flight_.contains(initialize_key_);
  if (initialize_params_ && !client_initialize_pending) {
    daemon.send(rpc::serialize_request(rpc::Id{private_id(Private::Initialize)}, "initialize", *initialize_params_));
    if (client_initialized_) daemon.send(rpc::serialize_notification("notifications/initialized", Json::object()));
    if (logging_level_params_) {
      daemon.send(rpc::serialize_request(rpc::Id{private_id(Private::Other)}, "logging/setLevel", *logging_level_params_));
    }
  }
  std::vector<InFlight*> interrupted;
  for (auto& [key, request] : in_flight_) {
    if (request.delivered) interrupted.push_back(&request);
  }
  std::sort(interrupted.begin(), interrupted.end(),
            [](const InFlight* a, const InFlight* b) { return a->sequence < b->sequence; });
  std::vector<std::string> failed;
  for (InFlight* request : interrupted) {
    if (replayable(*request) && request->replays == 0) {
      ++request->replays;
      log::info("mcp-proxy: repeating {} on the restarted daemon", request->method);
      daemon.send(request->line);
      continue;
    }
    const char* why = request->replays > 0
                          ? "the cci daemon stopped twice while this request was running; it was not repeated again — "
                            "retry it"
                          : "the cci daemon restarted while this request was running; it was not repeated because it "
                            "is not read-only — retry it";
    out_.write(error_response(request->id, rpc::error_code::kInternalError, why));
    failed.push_back(id_key(request->id));
  }
  for (const auto& key : failed) in_flight_.erase(key);
  for (Queued& queued : queue_) {
    if (!queued.key.empty()) {
      auto it = in_flight_.find(queued.key);
      if (it == in_flight_.end() || it->second.delivered) continue;  // cancelled while queued
      it->second.delivered = true;
    }
    daemon.send(std::move(queued.line));
  }
  queue_.clear();
  if (tools_hash_ && initialize_params_ && !client_initialize_pending) {
    daemon.send(rpc::serialize_request(rpc::Id{private_id(Private::ToolsList)}, "tools/list", Json::object()));
  }
  if (draining_) changed_.notify_all();
  mode_ = Mode::Forwarding;
}

// Answers every request the daemon will not answer now. With the fallback coming, requests that
// never reached the daemon (queued) stay: the in-process session answers them.
void Proxy::fail_in_flight_locked(const std::string& message, bool keep_undelivered) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    const bool client_initialize = it->first == initialize_key_;
    if (keep_undelivered && (!it->second.delivered || client_initialize)) {
      it->second.delivered = false;
      ++it;
      continue;
    }
    out_.write(error_response(it->second.id, rpc::error_code::kInternalError, message));
    it = in_flight_.erase(it);
  }
  if (!keep_undelivered) queue_.clear();
  if (draining_) changed_.notify_all();
}

std::unique_ptr<Fallback> Proxy::make_fallback() {
  auto fallback = std::make_unique<Fallback>();
  mcp::ServerOptions server_options;
  server_options.version = options_.version;
  mcp::CodeToolsOptions tools_options;
  tools_options.data_dir = data_dir_;
  fallback->code = mcp::make_code_server(std::move(server_options), std::move(tools_options));
  fallback->out = std::make_shared<FallbackOutbound>(out_);
  fallback->session = fallback->code.server->open_session(fallback->out, mcp::SessionInfo{"stdio", working_directory_});
  return fallback;
}

// Switches to the in-process session and brings it to where the host's session is: the host's
// initialize (answer swallowed) unless the host's own is still unanswered, then the queue.
void Proxy::enter_fallback_locked(std::unique_ptr<Fallback> fallback) {
  fallback_ = std::move(fallback);
  mode_ = Mode::Fallback;
  mcp::Session& session = *fallback_->session;
  const bool client_initialize_pending = !initialize_key_.empty() && in_flight_.contains(initialize_key_);
  std::vector<std::string> lines;
  if (initialize_params_ && !client_initialize_pending) {
    const std::string id = private_id(Private::Initialize);
    fallback_->out->swallow(id_key(Json(id)));
    lines.push_back(rpc::serialize_request(rpc::Id{id}, "initialize", *initialize_params_));
    if (client_initialized_) lines.push_back(rpc::serialize_notification("notifications/initialized", Json::object()));
  }
  if (client_initialize_pending) lines.push_back(in_flight_[initialize_key_].line);
  for (Queued& queued : queue_) {
    if (!queued.key.empty() && (!in_flight_.contains(queued.key) || queued.key == initialize_key_)) continue;
    lines.push_back(std::move(queued.line));
  }
  queue_.clear();
  in_flight_.clear();  // the in-process session answers these from now on
  private_requests_.clear();
  for (const auto& line : lines) session.receive(line);
  if (draining_) changed_.notify_all();
}

void Proxy::reap_starters_locked() {
  std::erase_if(starters_, [](pid_t pid) {
    int status = 0;
    return ::waitpid(pid, &status, WNOHANG) != 0;
  });
}

// After a loss: reconnect until the deadline, else answer everything and fall back (or go down).
void Proxy::reconnect_or_give_up(std::unique_lock<std::mutex>& lock) {
  const auto deadline = reconnect_deadline_;
  Error last{ErrorCode::Unavailable, loss_reason_};
  while (!stopping_ && Clock::now() < deadline) {
    lock.unlock();
    auto connected = establish(deadline, /*wait_for_restart=*/true, Spawn::UnlessStopped);
    lock.lock();
    if (stopping_) return;
    if (!connected) {
      last = connected.error();
      if (last.code == ErrorCode::Refused || last.code == ErrorCode::InvalidArgument) break;
      continue;
    }
    if (!install_locked(*connected)) continue;
    log::info("mcp-proxy: reconnected to the cci daemon at {}", endpoint_.to_string());
    resume_locked();
    return;
  }
  if (stopping_) return;
  const std::string reason = last.message.empty() ? loss_reason_ : last.message;
  if (!options_.allow_fallback) {
    fail_in_flight_locked("cci daemon unavailable: " + reason + "; retrying in the background", false);
    loss_reason_ = reason;
    mode_ = Mode::Down;
    log::warn("mcp-proxy: daemon unavailable ({}); answering requests with errors until it is back", reason);
    return;
  }
  fail_in_flight_locked("cci daemon unavailable: " + reason +
                            "; this request was not repeated; the session continues in-process — retry it",
                        true);
  log::warn("mcp-proxy: daemon unavailable ({}); serving in-process", reason);
  lock.unlock();
  auto fallback = make_fallback();  // the host's new messages keep queueing meanwhile
  lock.lock();
  enter_fallback_locked(std::move(fallback));
}

// No daemon and no fallback: look for (or start) one now and then.
void Proxy::retry_while_down(std::unique_lock<std::mutex>& lock) {
  if (changed_.wait_for(lock, kDownRetryInterval, [&] { return stopping_; })) return;
  const bool spawn = Clock::now() - last_spawn_ >= kDownRespawnInterval;
  lock.unlock();
  auto connected =
      establish(Clock::now() + milliseconds(1000), /*wait_for_restart=*/false, spawn ? Spawn::Always : Spawn::Never);
  lock.lock();
  if (stopping_ || !connected || !install_locked(*connected)) return;
  log::info("mcp-proxy: connected to the cci daemon at {}", endpoint_.to_string());
  resume_locked();
}

void Proxy::supervise() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Connections whose reader has finished can be released here, off their own threads.
    std::vector<Connected> finished;
    std::erase_if(connections_, [&](Connected& c) {
      if (c.generation == current_generation_ || !closed_generations_.contains(c.generation)) return false;
      finished.push_back(std::move(c));
      return true;
    });
    if (!finished.empty()) {
      lock.unlock();
      finished.clear();
      lock.lock();
      continue;
    }
    reap_starters_locked();
    if (mode_ == Mode::Reconnecting) {
      reconnect_or_give_up(lock);
    } else if (mode_ == Mode::Down) {
      retry_while_down(lock);
    } else {
      changed_.wait(lock);
    }
  }
}

void Proxy::shut_down() {
  std::vector<Connected> connections;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    connections = connections_;
  }
  changed_.notify_all();
  if (supervisor_.joinable()) supervisor_.join();
  for (auto& c : connections) c.connection->close();
  {
    // Wait (bounded) for the readers to finish, so no handler runs once we are gone.
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, std::chrono::seconds(2), [&] {
      return std::all_of(connections_.begin(), connections_.end(),
                         [&](const Connected& c) { return closed_generations_.contains(c.generation); });
    });
    connection_.reset();
    connections.clear();
    connections.swap(connections_);
    reap_starters_locked();
  }
  connections.clear();  // outside the lock: a connection's destructor may wait for its reader
  if (fallback_) {
    const auto deadline = Clock::now() + kDrainTimeout;
    while (fallback_->session->in_flight() > 0 && Clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(5));
    }
    fallback_->session->close();
  }
}

int Proxy::serve() {
  net::TerminationSignals signals;
  auto connected = establish(Clock::now() + options_.start_deadline, /*wait_for_restart=*/false, Spawn::Always);
  std::string reason;
  {
    std::lock_guard lock(mutex_);
    if (connected && install_locked(*connected)) {
      mode_ = Mode::Forwarding;
      log::debug("mcp-proxy: connected to the cci daemon at {}", endpoint_.to_string());
    } else {
      reason = connected ? "the connection closed during its handshake" : connected.error().message;
      loss_reason_ = reason;
    }
  }
  if (!reason.empty()) {
    if (options_.allow_fallback && !net::TerminationSignals::signalled()) {
      log::warn("mcp-proxy: daemon unavailable ({}); serving in-process", reason);
      auto fallback = make_fallback();
      std::lock_guard lock(mutex_);
      enter_fallback_locked(std::move(fallback));
    } else {
      log::warn("mcp-proxy: daemon unavailable ({}); answering requests with errors until it is back", reason);
      std::lock_guard lock(mutex_);
      mode_ = Mode::Down;
    }
  }
  supervisor_ = std::thread([this] { supervise(); });

  const int exit_code = net::TerminationSignals::signalled() ? 0 : read_loop(signals.read_fd());

  // End of input: let the daemon answer what the host already asked (bounded), then close.
  {
    std::unique_lock lock(mutex_);
    draining_ = true;
    changed_.wait_for(lock, kDrainTimeout, [&] { return in_flight_.empty() || mode_ == Mode::Fallback; });
  }
  shut_down();
  return exit_code;
}

}  // namespace

int run(const ProxyOptions& options) {
  std::string url = options.server_url;
  if (url.empty()) {
    const char* env = std::getenv("MCP_SERVER_URL");
    url = env != nullptr && *env != '\0' ? env : std::string(kDefaultServerUrl);
  }
  auto endpoint = net::Endpoint::parse(url);
  if (!endpoint) {
    log::error("mcp-proxy: bad server URL '{}': {}", url, endpoint.error().message);
    return 2;
  }
  const fs::path data_dir = options.data_dir.empty() ? cci::data_dir() : options.data_dir;
  auto proxy = std::make_shared<Proxy>(options, std::move(*endpoint), data_dir);
  const int exit_code = proxy->serve();
  return exit_code;
}

}  // namespace cci::proxy
