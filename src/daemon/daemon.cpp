// daemon/daemon.cpp — the daemon's life: run() (lock, token, freshness service, server,
// listeners, signals, clean exit), start() (detach and report the child's startup outcome), stop()
// and status().
#include "daemon/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "core/log.h"
#include "daemon/metrics.h"
#include "daemon/state.h"
#include "mcp/code_tools.h"
#include "mcp/server.h"
#include "net/client_connection.h"
#include "net/network_server.h"
#include "watch/freshness.h"

namespace cci::daemon {
namespace {

namespace fs = std::filesystem;
using namespace detail;
using Clock = std::chrono::steady_clock;

constexpr int kKeepLogFiles = 3;
constexpr auto kStartDeadline = std::chrono::seconds(10);

// The one line run() owes its starter on `ready_fd`. A failure is reported from the destructor:
// `ready` is run()'s first local, so by then the lock and the listeners are released and a
// starter that reacts at once (tries again, checks status) sees no half-dead daemon.
class ReadyChannel {
 public:
  explicit ReadyChannel(int fd) : fd_(fd) {}
  ~ReadyChannel() { send(failure_.empty() ? "error the daemon stopped before it was ready" : "error " + failure_); }
  ReadyChannel(const ReadyChannel&) = delete;
  ReadyChannel& operator=(const ReadyChannel&) = delete;
  void ok() { send("ok"); }
  void fail(const std::string& message) { failure_ = message; }

 private:
  void send(std::string line) {
    if (fd_ < 0) return;
    std::replace(line.begin(), line.end(), '\n', ' ');
    line += '\n';
    [[maybe_unused]] auto n = ::write(fd_, line.data(), line.size());
    ::close(fd_);
    fd_ = -1;
  }
  int fd_;
  std::string failure_;
};

// What run() learned, for start() in the foreground.
struct RunOutcome {
  int exit_code = 0;
  std::optional<Error> startup_error;
  DaemonState state;
};

// The flock, taken for the daemon's lifetime. A probe (status, a proxy) holds the lock for a
// moment, so a failure is retried briefly before it counts as another daemon.
Result<UniqueFd> take_lock(const DaemonFiles& files) {
  UniqueFd fd(::open(files.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return make_error(ErrorCode::IoError, fmt::format("cannot open {}: {}", files.lock.string(), std::strerror(errno)));
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK)
      return make_error(ErrorCode::IoError, fmt::format("cannot lock {}: {}", files.lock.string(), std::strerror(errno)));
    if (Clock::now() >= deadline) {
      auto running = probe(files);
      DaemonState owner;
      if (running && *running) owner = **running;
      else owner.pid = read_lock_pid(files.lock);
      return make_error(ErrorCode::Refused, already_running_message(owner));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return make_error(ErrorCode::IoError, fmt::format("cannot write {}: {}", files.lock.string(), std::strerror(errno)));
  return fd;
}

double unix_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Numbers the HTTP routes read while the daemon runs (on io threads, so atomics and set-once).
struct LiveState {
  Metrics metrics;
  std::function<mcp::CodeToolsStats()> tool_stats;  // set before the listeners start
  mcp::Server* server = nullptr;                    // likewise
  mutable std::mutex state_mutex;
  DaemonState state;                                // guarded: host and port are known only once listening
  double start_unix = unix_time_now();
  Clock::time_point start_steady = Clock::now();
  std::uint64_t watch_debounce_ms = 0;
  // Last member: destroyed first, so an update finishing during its shutdown still finds the
  // metrics its callback records into.
  std::shared_ptr<watch::FreshnessService> freshness;  // null: watching off or unavailable

  DaemonState current_state() const {
    std::lock_guard lock(state_mutex);
    return state;
  }
  void set_state(DaemonState next) {
    std::lock_guard lock(state_mutex);
    state = std::move(next);
  }

  double uptime() const { return std::chrono::duration<double>(Clock::now() - start_steady).count(); }

  MetricsGauges gauges() const {
    MetricsGauges g;
    if (server != nullptr) g.open_sessions = server->stats().open_sessions;
    if (tool_stats) {
      const mcp::CodeToolsStats s = tool_stats();
      g.projects_loaded = s.projects_open;
      g.cache_hits = s.cache_hits;
      g.cache_misses = s.cache_misses;
      g.cache_bytes = s.cache_bytes;
      g.cache_entries = s.cache_entries;
      g.index_jobs_running = s.index_jobs_running;
      g.index_jobs_total = s.index_jobs_total;
    }
    if (freshness) {
      for (const auto& root : freshness->watched_roots()) {
        ++g.watched_projects;
        if (auto f = freshness->status(root)) g.watch_pending_paths += f->pending_paths;
      }
    }
    g.process = read_process_stats();
    g.start_time_seconds = start_unix;
    g.uptime_seconds = uptime();
    return g;
  }

  rpc::Json watch_json() const {
    rpc::Json projects = rpc::Json::array();
    if (freshness) {
      for (const auto& root : freshness->watched_roots()) {
        const auto f = freshness->status(root);
        if (!f) continue;
        projects.push_back({{"root", root.string()},
                            {"state", std::string(watch::to_string(f->state))},
                            {"pending_paths", f->pending_paths},
                            {"updating", f->updating},
                            {"updates_applied", f->updates_applied},
                            {"last_update_ms", f->last_update_ms},
                            {"last_update_unix_ms", f->last_update_unix_ms},
                            {"watched_directories", f->watched_directories},
                            {"graph_exact", f->graph_exact},
                            {"detail", f->detail}});
      }
    }
    return {{"enabled", freshness != nullptr}, {"debounce_ms", watch_debounce_ms}, {"projects", std::move(projects)}};
  }

  rpc::Json status_json() const {
    const MetricsGauges g = gauges();
    const LatencyPercentiles latency = metrics.latency();
    const mcp::ServerStats server_stats = server != nullptr ? server->stats() : mcp::ServerStats{};
    const DaemonState now = current_state();
    return rpc::Json{
        {"pid", static_cast<long>(::getpid())},
        {"version", now.version},
        {"host", now.host},
        {"port", now.port},
        {"socket", now.socket},
        {"started_at", now.started_at},
        {"uptime_seconds", g.uptime_seconds},
        {"rss_bytes", g.process.rss_bytes},
        {"cpu_seconds", g.process.cpu_seconds},
        {"sessions", g.open_sessions},
        {"projects_loaded", g.projects_loaded},
        {"requests_total", metrics.requests_total()},
        {"requests_in_flight", server_stats.in_flight},
        {"latency_ms",
         {{"p50", latency.p50_ms}, {"p90", latency.p90_ms}, {"p99", latency.p99_ms}, {"samples", latency.samples}}},
        {"cache",
         {{"hits", g.cache_hits},
          {"misses", g.cache_misses},
          {"hit_ratio", hit_ratio(g.cache_hits, g.cache_misses)},
          {"bytes", g.cache_bytes},
          {"entries", g.cache_entries}}},
        {"index_jobs", {{"running", g.index_jobs_running}, {"total", g.index_jobs_total}}},
        {"watch", watch_json()},
    };
  }
};

std::vector<net::HttpRoute> make_routes(const LiveState& live) {
  std::vector<net::HttpRoute> routes;
  routes.push_back({"/healthz", false, [] { return net::HttpReply{200, "text/plain; charset=utf-8", "ok\n"}; }});
  routes.push_back({"/metrics", true, [&live] {
                      return net::HttpReply{200, "text/plain; version=0.0.4; charset=utf-8",
                                            live.metrics.render_prometheus(live.gauges())};
                    }});
  routes.push_back({"/status", true, [&live] {
                      return net::HttpReply{200, "application/json", live.status_json().dump() + "\n"};
                    }});
  return routes;
}

// One JSON-lines log record and the metrics for each update the watcher applies.
void record_update(LiveState& live, const fs::path& root, const Result<index::IndexReport>& outcome,
                   std::string_view kind) {
  if (!outcome) {
    live.metrics.record_watch_update(kind, "error", std::nullopt);
    log::warn("watch {} of {} failed: {}", kind, root.string(), outcome.error().message);
    return;
  }
  const index::IndexReport& r = *outcome;
  live.metrics.record_watch_update(kind, "ok", r.seconds_total);
  log::info("watch {} of {}: generation {}, files parsed {}, removed {}, re-resolved {}, in {:.1f} ms{}", kind,
            root.string(), r.generation, r.files_parsed, r.files_removed, r.files_reresolved, r.seconds_total * 1000,
            r.graph_exact ? "" : " (ranks approximate)");
}

// The freshness service, or null when watching is off or inotify is unavailable (then the
// daemon serves the indexes as they are, as before watching existed).
std::shared_ptr<watch::FreshnessService> start_freshness(const DaemonOptions& options, LiveState& live) {
  if (!options.watch) {
    log::info("daemon: watching is off (--no-watch): indexes change only when index_codebase runs");
    return nullptr;
  }
  watch::FreshnessOptions freshness_options;
  freshness_options.data_dir = options.data_dir;
  freshness_options.watch.debounce = options.watch_debounce;
  if (options.exact_max_symbols) freshness_options.exact_max_symbols = *options.exact_max_symbols;
  freshness_options.on_update = [&live](const fs::path& root, const Result<index::IndexReport>& outcome,
                                        std::string_view kind) { record_update(live, root, outcome, kind); };
  auto service = watch::FreshnessService::create(std::move(freshness_options));
  if (!service) {
    log::warn("daemon: cannot watch projects ({}); indexes change only when index_codebase runs",
              service.error().message);
    return nullptr;
  }
  return std::shared_ptr<watch::FreshnessService>(std::move(*service));
}

// Watches every registered project whose setting is on and whose index exists: each begins with
// a reconcile pass, so edits made while no daemon ran are picked up. Runs beside the listeners
// (placing watches on big trees takes a while) and stops early when the daemon does.
void watch_registered_projects(const std::stop_token& stop, mcp::ProjectService& projects,
                               watch::FreshnessService& freshness) {
  auto list = projects.list_projects();
  if (!list) {
    log::warn("daemon: cannot read the project registry to start watching: {}", list.error().message);
    return;
  }
  std::size_t started = 0;
  for (const auto& project : *list) {
    if (stop.stop_requested()) return;
    std::error_code ec;
    if (!project.watch || !fs::exists(project.db_path, ec)) continue;
    freshness.watch_project(project.root);
    ++started;
  }
  log::info("daemon: watching {} of {} registered projects", started, list->size());
}

// Blocked in every thread (they inherit the mask), so only sigwait() in run() sees them.
sigset_t daemon_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Removes daemon.json unless a later daemon has replaced it.
void remove_own_state(const DaemonFiles& files) {
  auto state = read_state(files.state);
  if (state && state->pid == static_cast<long>(::getpid())) ::unlink(files.state.c_str());
}

RunOutcome run_daemon(DaemonOptions options, int ready_fd) {
  ReadyChannel ready(ready_fd);
  RunOutcome outcome;
  options.data_dir = resolve_data_dir(options.data_dir);
  const DaemonFiles files = DaemonFiles::in(options.data_dir);

  // Before any thread exists: every thread the server starts inherits this mask.
  const sigset_t signals = daemon_signals();
  sigset_t previous_mask;
  pthread_sigmask(SIG_BLOCK, &signals, &previous_mask);
  ::signal(SIGPIPE, SIG_IGN);
  struct MaskRestorer {
    const sigset_t* mask;
    ~MaskRestorer() { pthread_sigmask(SIG_SETMASK, mask, nullptr); }
  } restore_mask{&previous_mask};

  auto fail = [&](const Error& error) {
    // A detached daemon's stderr is /dev/null; its log file is where a person will look.
    if (!options.foreground) log::error("daemon: {}", error.message);
    ready.fail(error.message);
    outcome.exit_code = 1;
    outcome.startup_error = error;
    return outcome;
  };

  if (auto made = ensure_data_dir(files.dir); !made) return fail(made.error());
  auto lock = take_lock(files);
  if (!lock) return fail(lock.error());

  // The log belongs to the lock holder, so rotation never races another writer.
  log::set_stderr_enabled(options.foreground);
  if (!log::level_from_environment()) log::set_level(log::Level::Info);
  if (auto opened = log::open_file(files.log, options.log_max_bytes, kKeepLogFiles); !opened)
    return fail(opened.error());
  struct LogCloser {
    ~LogCloser() { log::close_file(); }
  } close_log;

  auto token = read_or_create_token(files);
  if (!token) return fail(token.error());

  if (is_remote_address(options.host))
    log::warn("daemon: listening on non-loopback address {}; network clients must present the token in {}",
              options.host, files.token.string());

  auto live = std::make_unique<LiveState>();
  live->freshness = start_freshness(options, *live);
  live->watch_debounce_ms = static_cast<std::uint64_t>(options.watch_debounce.count());
  DaemonState state;
  state.pid = ::getpid();
  state.version = options.version;
  state.watch = options.watch;
  state.search_index = options.search_index;
  state.watch_debounce_ms = static_cast<std::uint64_t>(options.watch_debounce.count());
  if (options.exact_max_symbols) state.exact_max_symbols = *options.exact_max_symbols;
  state.socket = files.socket.string();
  state.started_at = now_iso8601();
  live->set_state(state);

  mcp::ServerOptions server_options;
  server_options.version = options.version;
  server_options.worker_threads =
      options.workers != 0 ? options.workers : std::max<std::size_t>(4, std::thread::hardware_concurrency());
  server_options.index_threads = std::max<std::size_t>(1, options.index_workers);
  server_options.on_request = [metrics = &live->metrics](const mcp::RequestRecord& r) {
    metrics->record(r.method, r.tool, r.outcome, r.duration);
    log::debug("request {}{}{} {} in {:.3f} ms", r.method, r.tool.empty() ? "" : " ", r.tool, r.outcome,
               std::chrono::duration<double, std::milli>(r.duration).count());
  };
  mcp::CodeToolsOptions tools_options;
  tools_options.data_dir = options.data_dir;
  tools_options.result_cache_bytes = options.result_cache_bytes;
  tools_options.max_open_connections = options.max_open_connections;
  tools_options.freshness = live->freshness;
  tools_options.memory_search_index = options.search_index;
  mcp::CodeServer code = mcp::make_code_server(std::move(server_options), std::move(tools_options));
  live->server = code.server.get();
  live->tool_stats = code.stats;

  net::NetworkOptions net_options;
  net_options.host = options.host;
  net_options.port = options.port;
  net_options.bearer_token = *token;  // always: any local user can reach a loopback port
  net_options.allowed_origins = options.allow_origins;
  net_options.working_directory = "/";  // clients name their own in initialize _meta
  net_options.unix_socket = files.socket;
  net_options.routes = make_routes(*live);
  auto network = net::NetworkServer::start(*code.server, std::move(net_options));
  if (!network) {
    Error error = network.error();
    if (error.code == ErrorCode::IoError && !error.message.starts_with("cannot listen"))
      error.message = fmt::format("cannot listen on {}:{}: {}", options.host, options.port, error.message);
    return fail(error);
  }
  std::string bound_host = (*network)->host();
  if (bound_host.size() > 2 && bound_host.front() == '[' && bound_host.back() == ']')
    bound_host = bound_host.substr(1, bound_host.size() - 2);
  state.host = bound_host;
  state.port = (*network)->port();
  const fs::path bound_socket = (*network)->unix_socket();
  if (!bound_socket.empty()) state.socket = bound_socket.string();
  live->set_state(state);

  if (auto written = write_file_atomically(files.state, state_to_json(state).dump(2) + "\n", 0600); !written) {
    (*network)->stop();
    return fail(written.error());
  }
  outcome.state = state;
  log::info("daemon {} started: pid {}, {} and {}, socket {}, data in {}", options.version, state.pid, state.ws_url(),
            state.http_url(), state.socket, options.data_dir.string());
  if (options.foreground) {
    std::fprintf(stderr, "cci daemon: listening on %s (WebSocket) and %s (Streamable HTTP), socket %s, pid %ld\n",
                 state.ws_url().c_str(), state.http_url().c_str(), state.socket.c_str(), state.pid);
    std::fflush(stderr);
  }
  ready.ok();
  std::jthread start_watching;
  if (live->freshness)
    start_watching = std::jthread([projects = code.projects, freshness = live->freshness](std::stop_token stop) {
      watch_registered_projects(stop, *projects, *freshness);
    });

  for (;;) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      auto reopened = log::reopen();
      log::info("daemon: SIGHUP, log file reopened{}", reopened ? "" : ": " + reopened.error().message);
      continue;
    }
    log::info("daemon: {}, shutting down", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  const auto stopping = Clock::now();
  (*network)->stop();
  start_watching.request_stop();
  if (start_watching.joinable()) start_watching.join();
  remove_own_state(files);
  log::info("daemon: stopped after {:.1f} s ({} requests served; shutdown took {} ms)", live->uptime(),
            live->metrics.requests_total(),
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stopping).count());
  network->reset();
  code.server.reset();
  code.projects.reset();
  live->freshness.reset();  // an update in progress finishes or rolls back; its callback still logs
  outcome.exit_code = 0;
  return outcome;
}

// Reads the child's one line ("ok" / "error <message>") until the deadline.
Result<std::string> read_ready_line(int fd, Clock::time_point deadline, const DaemonFiles& files) {
  std::string line;
  char buffer[512];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0)
      return make_error(ErrorCode::Timeout, fmt::format("the daemon did not report ready within {} s; see {}",
                                                        kStartDeadline.count(), files.log.string()));
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.append(buffer, static_cast<std::size_t>(n));
    if (const auto nl = line.find('\n'); nl != std::string::npos) return line.substr(0, nl);
  }
  if (!line.empty()) return line;
  return make_error(ErrorCode::Internal,
                    fmt::format("the daemon exited during startup without a word; see {}", files.log.string()));
}

// The child's "error <message>" as this process's error.
Error startup_error(std::string message) {
  if (message.starts_with("already running")) return Error{ErrorCode::Refused, std::move(message)};
  if (message.starts_with("cannot listen")) return Error{ErrorCode::IoError, std::move(message)};
  if (message.starts_with("refusing")) return Error{ErrorCode::Refused, std::move(message)};
  if (message.starts_with("not an IP address")) return Error{ErrorCode::InvalidArgument, std::move(message)};
  return Error{ErrorCode::Internal, std::move(message)};
}

[[noreturn]] void become_daemon(const DaemonOptions& options, int ready_fd) {
  ::setsid();
  // The second fork leaves a process that is no session leader (it can never acquire a
  // terminal) and whose parent exits at once, so nobody has to reap it.
  const pid_t grandchild = ::fork();
  if (grandchild < 0) {
    const std::string line = fmt::format("error cannot fork the daemon: {}\n", std::strerror(errno));
    [[maybe_unused]] auto n = ::write(ready_fd, line.data(), line.size());
    ::_exit(1);
  }
  if (grandchild > 0) ::_exit(0);
  [[maybe_unused]] auto chdir_result = ::chdir("/");
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    if (null_fd > STDERR_FILENO) ::close(null_fd);
  }
  // Whatever the starter had open (a proxy's sockets, which Boost.Asio does not mark O_CLOEXEC,
  // or a host's pipes) must not live as long as the daemon: its peers would never see EOF.
  for (int fd = STDERR_FILENO + 1; fd < ready_fd; ++fd) ::close(fd);
  ::closefrom(std::max(ready_fd, STDERR_FILENO) + 1);
  DaemonOptions detached = options;
  detached.foreground = false;
  ::_exit(run(detached, ready_fd));
}

}  // namespace

int run(const DaemonOptions& options, int ready_fd) { return run_daemon(options, ready_fd).exit_code; }

Result<DaemonState> start(const DaemonOptions& options) {
  DaemonOptions resolved = options;
  resolved.data_dir = resolve_data_dir(options.data_dir);
  const DaemonFiles files = DaemonFiles::in(resolved.data_dir);

  if (is_remote_address(resolved.host))
    log::warn("the daemon will listen on {}, reachable from other machines; clients must present the token in {}",
              resolved.host, files.token.string());

  auto running = probe(files);
  if (!running) return std::unexpected(running.error());
  if (*running) return make_error(ErrorCode::Refused, already_running_message(**running));

  if (resolved.foreground) {
    RunOutcome outcome = run_daemon(resolved, -1);
    if (outcome.startup_error) return std::unexpected(*outcome.startup_error);
    return outcome.state;
  }

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return make_error(ErrorCode::IoError, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  // Forked before this process starts any thread (the CLI has none): the child runs the server.
  const pid_t child = ::fork();
  if (child < 0) return make_error(ErrorCode::IoError, fmt::format("cannot fork: {}", std::strerror(errno)));
  if (child == 0) {
    ::close(read_end.release());
    become_daemon(resolved, write_end.release());
  }
  write_end.reset();
  int child_status = 0;
  while (::waitpid(child, &child_status, 0) < 0 && errno == EINTR) {
  }

  auto line = read_ready_line(read_end.get(), Clock::now() + kStartDeadline, files);
  if (!line) return std::unexpected(line.error());
  if (line->starts_with("error ")) return std::unexpected(startup_error(line->substr(6)));
  if (*line != "ok") return make_error(ErrorCode::Internal, "unexpected startup report from the daemon: " + *line);
  auto state = probe(files);
  if (!state) return std::unexpected(state.error());
  if (!*state)
    return make_error(ErrorCode::Internal,
                      fmt::format("the daemon reported ready but exited at once; see {}", files.log.string()));
  return **state;
}

Result<DaemonState> stop(const DaemonFiles& files, std::chrono::milliseconds timeout) {
  auto running = probe(files);
  if (!running) return std::unexpected(running.error());
  if (!*running) return make_error(ErrorCode::NotFound, "daemon is not running");
  const DaemonState state = **running;
  if (state.pid <= 1) return make_error(ErrorCode::Internal, fmt::format("{} names no process", files.lock.string()));
  const auto pid = static_cast<pid_t>(state.pid);
  if (::kill(pid, SIGTERM) != 0 && errno != ESRCH)
    return make_error(ErrorCode::Refused, fmt::format("cannot signal pid {}: {}", pid, std::strerror(errno)));
  if (wait_lock_free(files.lock, Clock::now() + timeout, pid)) return state;

  log::warn("daemon pid {} did not stop within {} ms; killing it", pid, timeout.count());
  ::kill(pid, SIGKILL);
  if (!wait_lock_free(files.lock, Clock::now() + std::chrono::seconds(5), pid))
    return make_error(ErrorCode::Timeout, fmt::format("daemon pid {} is still holding {}", pid, files.lock.string()));
  // It had no chance to clean up.
  if (auto left = read_state(files.state); left && left->pid == state.pid) ::unlink(files.state.c_str());
  return state;
}

Result<rpc::Json> status(const DaemonFiles& files) {
  auto running = probe(files);
  if (!running) return std::unexpected(running.error());
  if (!*running) return make_error(ErrorCode::Unavailable, "daemon is not running");
  const DaemonState& state = **running;
  if (state.port == 0) return make_error(ErrorCode::Unavailable, fmt::format("daemon pid {} is still starting", state.pid));
  auto token = read_token_file(files.token);
  if (!token) return std::unexpected(token.error());
  auto reply = net::http_get(connect_host(state.host), state.port, "/status", *token, std::chrono::seconds(5));
  if (!reply) return std::unexpected(reply.error());
  const auto& [code, body] = *reply;
  if (code == 401 || code == 403)
    return make_error(ErrorCode::Refused, fmt::format("the daemon refused the status request (HTTP {}); is {} the "
                                                      "token of the daemon on port {}?",
                                                      code, files.token.string(), state.port));
  if (code != 200) return make_error(ErrorCode::IoError, fmt::format("the daemon answered /status with HTTP {}", code));
  rpc::Json json = rpc::Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return make_error(ErrorCode::Corrupt, "the daemon's /status is not a JSON object");
  return json;
}

}  // namespace cci::daemon
