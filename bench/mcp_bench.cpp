// bench/mcp_bench.cpp — MCP round-trip benchmark: `tools/call search_code` against a running
// `cci mcp-server` over stdio (pipes), WebSocket and Streamable HTTP, with 1 and N concurrent
// clients, and the same questions through a fresh `cci search` process, all in one run.
//
// With --daemon it measures every path a user can take to the persistent daemon (issue 4) side
// by side: a fresh `cci mcp-server` process per request (stdio-per-request), a long-lived
// `cci mcp-proxy` session bridged over WebSocket (proxy-ws) and the Unix socket (proxy-unix), a
// direct WebSocket session (daemon-ws), the C++ client library (client-lib), a fresh `cci search`
// process with and without the daemon, `rg -w` over the corpus, and proxy spawn → first answer.
// The daemon is started here (`cci mcp-daemon start --port 0`, in the caller's CCI_HOME) with the
// result cache on or off (--cache-mb), and its RSS is read from its own status report.
//
// Each client is a thread with its own connection and session: initialize, notifications/
// initialized, warm-up calls, then timed sequential round trips (send, wait for the matching
// response). All clients of a run start together; requests/s = all calls / wall time of the run.
// The servers are started by this program (stdio: one process per client, as hosts launch it;
// network: one `--listen 127.0.0.1:0` process all clients connect to). CCI_HOME comes from the
// environment, so the caller chooses which index is read. Requests are serialised before the
// clock starts and answers are checked without a full parse, so the client side costs as little
// as it can of the cores it shares with the server; the CPU time per call of both sides (this
// process, and the one server process of a run: the daemon or `--listen`) is reported too.
// Output: a table on stdout and, with --json, the figures as JSON.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <atomic>
#include <barrier>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string cci = "cci";
  std::string project = ".";
  std::string name = "corpus";
  std::vector<std::string> terms = {"parse", "open", "read", "write", "init", "get", "close", "error",
                                    "buffer", "lock", "list", "create", "free", "request", "connect", "format"};
  std::vector<std::string> transports = {"stdio", "websocket", "http"};
  std::vector<int> clients = {1, 16};
  int requests = 2000;   // timed calls per client
  int warmup = 200;      // untimed calls per client first (page cache, SQLite statement caches)
  int cli_runs = 10;     // fresh `cci search` processes per term
  std::string json_out;
  bool daemon = false;   // start a daemon and measure the daemon paths
  int cache_mb = 64;     // the daemon's result cache (0 = off: every call runs the query)
  int fresh_runs = 30;   // stdio-per-request calls, proxy spawns, rg runs
  std::string corpus_dir;  // for rg (default: --project)
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, sep);) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "mcp_bench: %s\n", message.c_str());
  std::exit(1);
}

// The project directory, absolute: a direct daemon session has no working directory of its own
// that means anything, so the client names it in initialize's _meta (as the proxy does).
std::string g_project_dir;

std::string initialize_message() {
  return Json{{"jsonrpc", "2.0"},
              {"id", 0},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", "2025-11-25"},
                {"capabilities", Json::object()},
                {"clientInfo", {{"name", "mcp_bench"}, {"version", "1"}}},
                {"_meta", {{"cci/workingDirectory", g_project_dir}}}}}}
      .dump();
}

const std::string kInitialized = R"({"jsonrpc":"2.0","method":"notifications/initialized"})";

std::string search_message(std::int64_t id, const std::string& term) {
  return Json{{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "tools/call"},
              {"params", {{"name", "search_code"}, {"arguments", {{"terms", term}, {"limit", 10}}}}}}
      .dump();
}

// A response must carry our id and a successful, non-error tool result; anything else means the
// benchmark is not measuring what it claims (e.g. the project is not indexed).
void check_response_parsed(const std::string& text, std::int64_t id) {
  const Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.contains("id") || j["id"] != id) die("unexpected message: " + text.substr(0, 300));
  if (!j.contains("result")) die("error response: " + text.substr(0, 300));
  if (j["result"].value("isError", false)) die("tool error: " + text.substr(0, 500));
}

// The same check without parsing a whole result (the client shares the machine with the server,
// so a full parse per call would be measured as server throughput lost). Our servers write
// compact JSON with sorted keys, so a well-formed answer starts with {"id":N,"jsonrpc":"2.0",
// "result":{ and a raw "isError":true can only be the result's own flag (inside a string the
// quotes would be escaped). Anything else gets the full parse and its diagnostics.
void check_response(const std::string& text, std::int64_t id) {
  const std::string head = "{\"id\":" + std::to_string(id) + ",\"jsonrpc\":\"2.0\",\"result\":{";
  static const std::string kIsError = "\"isError\":true";
  static const std::boyer_moore_horspool_searcher kFindIsError(kIsError.begin(), kIsError.end());
  if (text.size() > head.size() && text.compare(0, head.size(), head) == 0 && text.back() == '}' &&
      std::search(text.begin(), text.end(), kFindIsError) == text.end()) {
    return;
  }
  check_response_parsed(text, id);
}

// One client: a connection with an initialised session that does blocking round trips.
class Client {
 public:
  virtual ~Client() = default;
  virtual std::string call(const std::string& message) = 0;  // sends a request, returns its response
  virtual void notify(const std::string& message) = 0;
};

// ---- child processes -------------------------------------------------------------------------

struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin (we write)
  int out = -1;  // its stdout (we read)
  int err = -1;  // its stderr, when captured
};

Child spawn(const std::vector<std::string>& argv, const std::string& cwd, bool pipe_stdio, bool pipe_stderr,
            const std::vector<std::string>& env = {}) {
  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  if (pipe_stdio && (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0)) die("pipe failed");
  if (pipe_stderr && pipe2(err_pipe, O_CLOEXEC) != 0) die("pipe failed");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDWR);
    dup2(pipe_stdio ? in_pipe[0] : null_fd, 0);
    dup2(pipe_stdio ? out_pipe[1] : null_fd, 1);
    dup2(pipe_stderr ? err_pipe[1] : null_fd, 2);
    if (chdir(cwd.c_str()) != 0) _exit(126);
    for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
    execvp(args[0], args.data());
    _exit(127);
  }
  Child child;
  child.pid = pid;
  if (pipe_stdio) {
    close(in_pipe[0]);
    close(out_pipe[1]);
    child.in = in_pipe[1];
    child.out = out_pipe[0];
  }
  if (pipe_stderr) {
    close(err_pipe[1]);
    child.err = err_pipe[0];
  }
  return child;
}

int wait_child(Child& child) {
  if (child.in >= 0) close(child.in);
  int status = 0;
  waitpid(child.pid, &status, 0);
  if (child.out >= 0) close(child.out);
  if (child.err >= 0) close(child.err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

double percentile(std::vector<double>& sorted, double p);

// ---- stdio -----------------------------------------------------------------------------------

class StdioClient final : public Client {
 public:
  explicit StdioClient(const Options& options) : StdioClient(options, {options.cci, "mcp-server"}, {}) {}
  // Any stdio MCP server: `cci mcp-server`, or `cci mcp-proxy` with MCP_SERVER_URL in `env`.
  StdioClient(const Options& options, const std::vector<std::string>& argv, const std::vector<std::string>& env)
      : child_(spawn(argv, options.project, true, false, env)) {}
  ~StdioClient() override { wait_child(child_); }  // EOF on stdin ends the server

  std::string call(const std::string& message) override {
    write_line(message);
    return read_line();
  }
  void notify(const std::string& message) override { write_line(message); }

 private:
  void write_line(const std::string& message) {
    std::string line = message + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = write(child_.in, line.data() + done, line.size() - done);
      if (n <= 0) die("write to mcp-server failed");
      done += static_cast<std::size_t>(n);
    }
  }
  std::string read_line() {
    while (true) {
      if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return line;
      }
      char chunk[65536];
      const ssize_t n = read(child_.out, chunk, sizeof chunk);
      if (n <= 0) die("mcp-server closed stdout");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  Child child_;
  std::string buffer_;
};

// ---- WebSocket -------------------------------------------------------------------------------

class WebSocketClient final : public Client {
 public:
  explicit WebSocketClient(std::uint16_t port, const std::string& token = {}) : ws_(io_) {
    tcp::resolver resolver(io_);
    asio::connect(beast::get_lowest_layer(ws_), resolver.resolve("127.0.0.1", std::to_string(port)));
    beast::get_lowest_layer(ws_).set_option(tcp::no_delay(true));
    ws_.set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, "mcp");
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    ws_.handshake("127.0.0.1:" + std::to_string(port), "/mcp");
    ws_.text(true);
  }
  ~WebSocketClient() override {
    beast::error_code ec;
    ws_.close(websocket::close_code::normal, ec);
  }

  std::string call(const std::string& message) override {
    ws_.write(asio::buffer(message));
    buffer_.clear();
    ws_.read(buffer_);
    return beast::buffers_to_string(buffer_.data());
  }
  void notify(const std::string& message) override { ws_.write(asio::buffer(message)); }

 private:
  asio::io_context io_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer buffer_;
};

// ---- Streamable HTTP -------------------------------------------------------------------------

class HttpClient final : public Client {
 public:
  explicit HttpClient(std::uint16_t port) : socket_(io_), host_("127.0.0.1:" + std::to_string(port)) {
    tcp::resolver resolver(io_);
    asio::connect(socket_, resolver.resolve("127.0.0.1", std::to_string(port)));
    socket_.set_option(tcp::no_delay(true));
  }
  ~HttpClient() override {
    if (session_.empty()) return;
    http::request<http::string_body> req{http::verb::delete_, "/mcp", 11};
    req.set(http::field::host, host_);
    req.set("Mcp-Session-Id", session_);
    beast::error_code ec;
    http::write(socket_, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(socket_, buffer_, res, ec);
  }

  std::string call(const std::string& message) override { return body_message(post(message)); }
  void notify(const std::string& message) override {
    auto res = post(message);
    if (res.result_int() != 202) die("notification answered " + std::to_string(res.result_int()));
  }

 private:
  http::response<http::string_body> post(const std::string& message) {
    http::request<http::string_body> req{http::verb::post, "/mcp", 11};
    req.set(http::field::host, host_);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json, text/event-stream");
    if (!session_.empty()) {
      req.set("Mcp-Session-Id", session_);
      req.set("MCP-Protocol-Version", "2025-11-25");
    }
    req.body() = message;
    req.prepare_payload();
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res);
    if (session_.empty()) {
      if (auto it = res.find("Mcp-Session-Id"); it != res.end()) session_ = std::string(it->value());
    }
    return res;
  }

  // A JSON body, or the last `data:` event of an SSE body that holds a response.
  static std::string body_message(const http::response<http::string_body>& res) {
    if (res.result_int() != 200) die("HTTP " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 300));
    const auto type = res[http::field::content_type];
    if (type.find("text/event-stream") == std::string_view::npos) return res.body();
    std::string last;
    std::istringstream in(res.body());
    for (std::string line; std::getline(in, line);) {
      if (line.rfind("data:", 0) != 0) continue;
      std::string data = line.substr(5);
      if (!data.empty() && data.front() == ' ') data.erase(0, 1);
      if (!data.empty() && data.back() == '\r') data.pop_back();
      if (data.find("\"result\"") != std::string::npos || data.find("\"error\"") != std::string::npos) last = data;
    }
    return last;
  }

  asio::io_context io_;
  tcp::socket socket_;
  std::string host_;
  std::string session_;
  beast::flat_buffer buffer_;
};

// ---- a fresh `cci mcp-server` process per request --------------------------------------------

// What a host without our daemon pays per question: spawn, initialize, one call, exit. The
// session-level initialize of run() is answered locally; each timed call does the real one.
class FreshProcessClient final : public Client {
 public:
  explicit FreshProcessClient(const Options& options) : options_(options) {}
  std::string call(const std::string& message) override {
    const Json request = Json::parse(message);
    if (request["method"] == "initialize") return Json{{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", Json::object()}}.dump();
    StdioClient server(options_);
    check_response(server.call(initialize_message()), 0);
    server.notify(kInitialized);
    return server.call(message);
  }
  void notify(const std::string&) override {}

 private:
  const Options& options_;
};

// ---- the C++ client library ------------------------------------------------------------------

// run() speaks JSON-RPC text; the library speaks methods and results, so this adapter pays one
// parse and one dump per call (a few microseconds) on top of the library's own round trip.
class LibraryClient final : public Client {
 public:
  explicit LibraryClient(cci::client::Client& client) : client_(client) {}
  std::string call(const std::string& message) override {
    Json request = Json::parse(message);
    if (request["method"] == "initialize") return Json{{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", Json::object()}}.dump();
    auto result = client_.request(request["method"].get<std::string>(), std::move(request["params"]));
    if (!result) die("client library: " + result.error().message);
    return Json{{"jsonrpc", "2.0"}, {"id", request["id"]}, {"result", std::move(*result)}}.dump();
  }
  void notify(const std::string&) override {}

 private:
  cci::client::Client& client_;
};

// ---- the daemon --------------------------------------------------------------------------------

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string run_capture(const std::vector<std::string>& argv, const std::string& cwd) {
  Child child = spawn(argv, cwd, true, false);
  close(child.in);
  child.in = -1;
  std::string out;
  char chunk[4096];
  for (ssize_t n; (n = read(child.out, chunk, sizeof chunk)) > 0;) out.append(chunk, static_cast<std::size_t>(n));
  const int rc = wait_child(child);
  if (rc != 0) die(argv[1] + " " + argv[2] + " exited with " + std::to_string(rc) + ": " + out);
  return out;
}

struct Daemon {
  const Options& options;
  std::string home;
  std::uint16_t port = 0;
  std::string socket;
  std::string token;
  long pid = 0;

  explicit Daemon(const Options& o) : options(o) {
    const char* env_home = std::getenv("CCI_HOME");
    if (env_home == nullptr) die("--daemon needs CCI_HOME (the data directory holding the index)");
    home = env_home;
    run_capture({options.cci, "mcp-daemon", "start", "--port", "0", "--cache-mb", std::to_string(options.cache_mb)},
                options.project);
    const Json state = Json::parse(read_text(home + "/daemon.json"));
    port = state["port"].get<std::uint16_t>();
    socket = state["socket"].get<std::string>();
    pid = state["pid"].get<long>();
    token = read_text(home + "/daemon.token");
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
    wait_for_search_index();
  }

  // The daemon builds a project's in-memory search index in the background at its first search
  // (the kernel's takes tens of seconds); until then SQL answers. Timed runs start once it is
  // current, so they measure the path a warm daemon takes.
  void wait_for_search_index() const {
    auto client = cci::client::Client::connect(cci::client::ClientOptions::for_daemon(home));
    if (!client) die("cannot connect to the daemon: " + client.error().message);
    const Json project = {{"project_path", options.project}};
    Json first = project;
    first["terms"] = options.terms.front();
    if (!(*client)->call_tool("search_code", first)) die("search_code failed");
    const auto start = Clock::now();
    for (;;) {
      auto stats = (*client)->call_tool("manage_cache", {{"action", "stats"}});
      if (!stats) die("manage_cache failed: " + stats.error().message);
      for (const auto& index : stats->structured.value("search_indexes", Json::array()))
        if (index.value("current", false) && !index.value("building", true)) {
          std::fprintf(stderr, "%s: search index ready (%zu symbols, built in %.1f s)\n", options.name.c_str(),
                       index.value("symbols", std::size_t{0}), index.value("build_seconds", 0.0));
          return;
        }
      if (Clock::now() - start > std::chrono::minutes(10)) die("the daemon's search index was not built in 10 minutes");
      if (!(*client)->call_tool("search_code", first)) die("search_code failed");
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
  ~Daemon() { run_capture({options.cci, "mcp-daemon", "stop"}, options.project); }

  Json status() const { return Json::parse(run_capture({options.cci, "--json", "mcp-daemon", "status"}, options.project)); }
};

// Median and p99 of `runs` timings of `body` (ms).
Json time_runs(int runs, const std::function<void()>& body) {
  std::vector<double> walls;
  for (int r = 0; r < runs; ++r) {
    const auto start = Clock::now();
    body();
    walls.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(walls.begin(), walls.end());
  return {{"runs", runs}, {"p50_ms", percentile(walls, 0.5)}, {"p99_ms", percentile(walls, 0.99)}, {"max_ms", walls.back()}};
}

// ---- the network server process ----------------------------------------------------------------

struct NetworkProcess {
  Child child;
  std::uint16_t port = 0;
  std::thread drain;  // keeps reading its stderr so logging never blocks the server

  explicit NetworkProcess(const Options& options) {
    child = spawn({options.cci, "mcp-server", "--listen", "127.0.0.1:0"}, options.project, false, true);
    std::string seen;
    const auto deadline = Clock::now() + std::chrono::seconds(20);
    while (port == 0) {
      if (Clock::now() > deadline) die("mcp-server --listen did not report its port: " + seen);
      pollfd p{child.err, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char chunk[4096];
      const ssize_t n = read(child.err, chunk, sizeof chunk);
      if (n <= 0) die("mcp-server --listen exited: " + seen);
      seen.append(chunk, static_cast<std::size_t>(n));
      const auto at = seen.find("listening on http://127.0.0.1:");
      if (at != std::string::npos) {
        const auto digits = at + std::strlen("listening on http://127.0.0.1:");
        const auto end = seen.find('/', digits);
        if (end != std::string::npos) port = static_cast<std::uint16_t>(std::stoi(seen.substr(digits, end - digits)));
      }
    }
    drain = std::thread([fd = child.err] {
      char chunk[4096];
      while (read(fd, chunk, sizeof chunk) > 0) {
      }
    });
  }
  ~NetworkProcess() {
    kill(child.pid, SIGTERM);
    int status = 0;
    waitpid(child.pid, &status, 0);
    drain.join();
    close(child.err);
  }
};

// ---- measurement -------------------------------------------------------------------------------

struct Figures {
  std::string transport;
  int clients = 0;
  std::size_t calls = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0, mean_ms = 0;
  double requests_per_s = 0;
  double wall_s = 0;
  double client_cpu_us = 0;  // CPU per call of this benchmark process (all client threads)
  double server_cpu_us = 0;  // CPU per call of the server process, when one process serves all
};

double percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)];
}

// CPU time (user + system) of this process, or of another one from /proc/<pid>/stat: what the
// client side and the server spent on the timed calls (they share the machine's cores).
double process_cpu_seconds(long pid = 0) {
  if (pid == 0) {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  const std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  const auto close_paren = stat.rfind(')');  // the command name may contain spaces
  if (close_paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close_paren + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {  // field 3 is the state; utime is 14, stime 15
    if (i == 14) utime = std::stoull(field);
    if (i == 15) {
      stime = std::stoull(field);
      break;
    }
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// `server_pid`: the process answering (0 = not measured, e.g. one process per client).
Figures run(const Options& options, const std::string& transport, int clients,
            const std::function<std::unique_ptr<Client>()>& connect, long server_pid = 0) {
  std::vector<std::vector<double>> samples(static_cast<std::size_t>(clients));
  std::barrier ready(clients + 1);
  std::barrier done(clients + 1);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto client = connect();
      check_response(client->call(initialize_message()), 0);
      client->notify(kInitialized);
      std::int64_t id = 1;
      const auto& terms = options.terms;
      for (int i = 0; i < options.warmup; ++i, ++id) {
        check_response(client->call(search_message(id, terms[static_cast<std::size_t>(id + c) % terms.size()])), id);
      }
      auto& mine = samples[static_cast<std::size_t>(c)];
      mine.reserve(static_cast<std::size_t>(options.requests));
      // Serialised before the clock starts: building requests is the host's cost, not the path's.
      std::vector<std::string> messages;
      messages.reserve(static_cast<std::size_t>(options.requests));
      for (int i = 0; i < options.requests; ++i) {
        const std::int64_t n = id + i;
        messages.push_back(search_message(n, terms[static_cast<std::size_t>(n + c) % terms.size()]));
      }
      ready.arrive_and_wait();
      for (int i = 0; i < options.requests; ++i, ++id) {
        const auto start = Clock::now();
        const std::string response = client->call(messages[static_cast<std::size_t>(i)]);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        check_response(response, id);
      }
      done.arrive_and_wait();
    });
  }
  ready.arrive_and_wait();
  const double client_cpu_before = process_cpu_seconds();
  const double server_cpu_before = server_pid > 0 ? process_cpu_seconds(server_pid) : 0;
  const auto start = Clock::now();
  done.arrive_and_wait();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double client_cpu = process_cpu_seconds() - client_cpu_before;
  const double server_cpu = server_pid > 0 ? process_cpu_seconds(server_pid) - server_cpu_before : 0;
  for (auto& t : threads) t.join();

  std::vector<double> all;
  for (const auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  Figures f;
  f.transport = transport;
  f.clients = clients;
  f.calls = all.size();
  f.p50_ms = percentile(all, 0.50);
  f.p90_ms = percentile(all, 0.90);
  f.p99_ms = percentile(all, 0.99);
  f.max_ms = all.empty() ? 0 : all.back();
  double sum = 0;
  for (double v : all) sum += v;
  f.mean_ms = all.empty() ? 0 : sum / static_cast<double>(all.size());
  f.wall_s = wall;
  f.requests_per_s = static_cast<double>(all.size()) / wall;
  if (!all.empty()) {
    f.client_cpu_us = client_cpu * 1e6 / static_cast<double>(all.size());
    if (server_pid > 0) f.server_cpu_us = server_cpu * 1e6 / static_cast<double>(all.size());
  }
  return f;
}

// Median wall time of a fresh `cci search TERM --limit 10 --json` per term, then the median of those.
Json cli_search(const Options& options, double& overall_median_ms, const std::vector<std::string>& env = {}) {
  Json per_term = Json::array();
  std::vector<double> medians;
  for (std::size_t t = 0; t < std::min<std::size_t>(options.terms.size(), 4); ++t) {
    std::vector<double> walls;
    for (int r = 0; r < options.cli_runs; ++r) {
      const auto start = Clock::now();
      Child child =
          spawn({options.cci, "search", options.terms[t], "--limit", "10", "--json"}, options.project, false, false, env);
      const int rc = wait_child(child);
      walls.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (rc != 0 && rc != 1) die("cci search exited with " + std::to_string(rc));
    }
    std::sort(walls.begin(), walls.end());
    const double median = walls[walls.size() / 2];
    medians.push_back(median);
    per_term.push_back({{"term", options.terms[t]}, {"median_ms", median}});
  }
  std::sort(medians.begin(), medians.end());
  overall_median_ms = medians[medians.size() / 2];
  return per_term;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--cci") o.cci = value();
    else if (a == "--project") o.project = value();
    else if (a == "--name") o.name = value();
    else if (a == "--terms") o.terms = split(value(), ',');
    else if (a == "--transports") o.transports = split(value(), ',');
    else if (a == "--clients") {
      o.clients.clear();
      for (const auto& c : split(value(), ',')) o.clients.push_back(std::stoi(c));
    } else if (a == "--requests") o.requests = std::stoi(value());
    else if (a == "--warmup") o.warmup = std::stoi(value());
    else if (a == "--cli-runs") o.cli_runs = std::stoi(value());
    else if (a == "--json") o.json_out = value();
    else if (a == "--daemon") o.daemon = true;
    else if (a == "--cache-mb") o.cache_mb = std::stoi(value());
    else if (a == "--fresh-runs") o.fresh_runs = std::stoi(value());
    else if (a == "--corpus-dir") o.corpus_dir = value();
    else die("unknown option " + a +
             " (options: --cci --project --name --terms a,b --transports stdio,websocket,http --clients 1,16 "
             "--requests N --warmup N --cli-runs N --json FILE --daemon --cache-mb N --fresh-runs N --corpus-dir DIR)");
  }
  if (o.terms.empty()) die("--terms is empty");
  return o;
}

// Spawn `cci mcp-proxy` → initialize → one search_code answer, as a host starting a session does.
Json proxy_first_answer(const Options& options, const std::string& url) {
  std::vector<double> to_initialize, to_answer;
  for (int r = 0; r < options.fresh_runs; ++r) {
    const auto start = Clock::now();
    StdioClient proxy(options, {options.cci, "mcp-proxy"}, {"MCP_SERVER_URL=" + url});
    check_response(proxy.call(initialize_message()), 0);
    to_initialize.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    proxy.notify(kInitialized);
    check_response(proxy.call(search_message(1, options.terms[static_cast<std::size_t>(r) % options.terms.size()])), 1);
    to_answer.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  std::sort(to_initialize.begin(), to_initialize.end());
  std::sort(to_answer.begin(), to_answer.end());
  return {{"runs", options.fresh_runs},
          {"initialize_p50_ms", percentile(to_initialize, 0.5)},
          {"first_answer_p50_ms", percentile(to_answer, 0.5)},
          {"first_answer_p99_ms", percentile(to_answer, 0.99)}};
}

// `rg -w TERM` over the corpus, output discarded: the grep an agent would otherwise run.
Json ripgrep(const Options& options) {
  const std::string dir = options.corpus_dir.empty() ? options.project : options.corpus_dir;
  std::size_t t = 0;
  return time_runs(options.fresh_runs, [&] {
    Child child = spawn({"rg", "-w", "-n", options.terms[t++ % std::min<std::size_t>(options.terms.size(), 4)], dir},
                        options.project, false, false);
    const int rc = wait_child(child);
    if (rc != 0 && rc != 1) die("rg exited with " + std::to_string(rc));
  });
}

void print_figures(const Options& options, const Figures& f) {
  std::printf("%-9s %-17s clients %2d  p50 %8.3f ms  p90 %8.3f ms  p99 %8.3f ms  max %8.2f ms  %9.0f req/s"
              "  cpu/call client %6.1f us server %6.1f us\n",
              options.name.c_str(), f.transport.c_str(), f.clients, f.p50_ms, f.p90_ms, f.p99_ms, f.max_ms,
              f.requests_per_s, f.client_cpu_us, f.server_cpu_us);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  const Options options = parse_args(argc, argv);
  {
    char resolved[PATH_MAX];
    if (realpath(options.project.c_str(), resolved) == nullptr) die("no such project directory: " + options.project);
    g_project_dir = resolved;
  }
  std::vector<Figures> results;
  std::unique_ptr<NetworkProcess> network;
  std::unique_ptr<Daemon> daemon;
  if (options.daemon) daemon = std::make_unique<Daemon>(options);
  Options fresh = options;  // a process per call is ~100x slower: fewer calls
  fresh.requests = options.fresh_runs;
  fresh.warmup = 1;
  for (const auto& transport : options.transports) {
    const bool daemon_path = transport.starts_with("proxy-") || transport == "daemon-ws" || transport == "client-lib";
    if (daemon_path && !daemon) die(transport + " needs --daemon");
    if (!daemon_path && transport != "stdio" && transport != "stdio-per-request" && !network) {
      network = std::make_unique<NetworkProcess>(options);
    }
    for (const int clients : options.clients) {
      std::function<std::unique_ptr<Client>()> connect;
      std::unique_ptr<cci::client::Client> library;
      if (transport == "stdio") {
        connect = [&] { return std::make_unique<StdioClient>(options); };
      } else if (transport == "stdio-per-request") {
        if (clients != 1) continue;
        connect = [&] { return std::make_unique<FreshProcessClient>(options); };
      } else if (transport == "websocket") {
        connect = [&] { return std::make_unique<WebSocketClient>(network->port); };
      } else if (transport == "http") {
        connect = [&] { return std::make_unique<HttpClient>(network->port); };
      } else if (transport == "proxy-ws" || transport == "proxy-unix") {
        const std::string url = transport == "proxy-ws" ? "ws://127.0.0.1:" + std::to_string(daemon->port) + "/"
                                                        : "unix:" + daemon->socket;
        connect = [&options, url] {
          return std::make_unique<StdioClient>(options, std::vector<std::string>{options.cci, "mcp-proxy"},
                                               std::vector<std::string>{"MCP_SERVER_URL=" + url});
        };
      } else if (transport == "daemon-ws") {
        connect = [&] { return std::make_unique<WebSocketClient>(daemon->port, daemon->token); };
      } else if (transport == "client-lib") {
        auto client_options = cci::client::ClientOptions::for_daemon(daemon->home);
        client_options.pool_size = static_cast<std::size_t>(std::min(clients, 4));
        client_options.working_directory = options.project;
        auto connected = cci::client::Client::connect(client_options);
        if (!connected) die("client library: " + connected.error().message);
        library = std::move(*connected);
        connect = [&] { return std::make_unique<LibraryClient>(*library); };
      } else {
        die("unknown transport " + transport);
      }
      // The one process answering every client of the run, whose CPU is measured.
      long server_pid = 0;
      if (transport == "websocket" || transport == "http") server_pid = network->child.pid;
      if (transport == "daemon-ws" || transport == "client-lib" || transport.starts_with("proxy-")) server_pid = daemon->pid;
      results.push_back(run(transport == "stdio-per-request" ? fresh : options, transport, clients, connect, server_pid));
      print_figures(options, results.back());
    }
  }
  network.reset();

  Json extra = Json::object();
  double cli_median = 0;
  Json cli = Json::array();
  if (options.cli_runs > 0) {
    cli = cli_search(options, cli_median, {"CCI_NO_DAEMON=1"});
    std::printf("%-9s %-17s fresh `cci search` process (direct): median %.2f ms\n", options.name.c_str(), "cli", cli_median);
    if (daemon) {
      double via_daemon = 0;
      extra["cli_search_via_daemon"] = {{"median_ms", 0}, {"per_term", cli_search(options, via_daemon)}};
      extra["cli_search_via_daemon"]["median_ms"] = via_daemon;
      std::printf("%-9s %-17s fresh `cci search` process (via daemon): median %.2f ms\n", options.name.c_str(), "cli",
                  via_daemon);
    }
  }
  if (daemon) {
    extra["proxy_spawn"] = proxy_first_answer(options, "ws://127.0.0.1:" + std::to_string(daemon->port) + "/");
    std::printf("%-9s %-17s spawn → initialize p50 %.2f ms, → first answer p50 %.2f ms p99 %.2f ms\n",
                options.name.c_str(), "proxy spawn", extra["proxy_spawn"]["initialize_p50_ms"].get<double>(),
                extra["proxy_spawn"]["first_answer_p50_ms"].get<double>(),
                extra["proxy_spawn"]["first_answer_p99_ms"].get<double>());
    extra["ripgrep"] = ripgrep(options);
    std::printf("%-9s %-17s rg -w (fresh process): p50 %.1f ms p99 %.1f ms\n", options.name.c_str(), "rg",
                extra["ripgrep"]["p50_ms"].get<double>(), extra["ripgrep"]["p99_ms"].get<double>());
    const Json status = daemon->status();
    extra["daemon"] = {{"rss_bytes", status.value("rss_bytes", 0)}, {"cache_mb", options.cache_mb},
                       {"cache", status.value("cache", Json::object())}, {"projects_loaded", status.value("projects_loaded", 0)}};
    std::printf("%-9s %-17s daemon RSS %.1f MiB after the runs (result cache %d MiB)\n", options.name.c_str(), "daemon",
                static_cast<double>(status.value("rss_bytes", 0)) / (1024.0 * 1024.0), options.cache_mb);
    daemon.reset();
  }

  if (!options.json_out.empty()) {
    Json runs = Json::array();
    for (const auto& f : results) {
      runs.push_back({{"transport", f.transport}, {"clients", f.clients}, {"calls", f.calls},
                      {"p50_ms", f.p50_ms}, {"p90_ms", f.p90_ms}, {"p99_ms", f.p99_ms}, {"max_ms", f.max_ms},
                      {"mean_ms", f.mean_ms}, {"requests_per_s", f.requests_per_s}, {"wall_s", f.wall_s},
                      {"client_cpu_us_per_call", f.client_cpu_us}, {"server_cpu_us_per_call", f.server_cpu_us}});
    }
    Json out = {{"corpus", options.name},
                {"project", options.project},
                {"requests_per_client", options.requests},
                {"warmup_per_client", options.warmup},
                {"terms", options.terms},
                {"runs", runs},
                {"cli_search", {{"median_ms", cli_median}, {"per_term", cli}, {"runs_per_term", options.cli_runs}}}};
    out.update(extra);
    std::ofstream(options.json_out) << out.dump(2) << "\n";
  }
  return 0;
}
