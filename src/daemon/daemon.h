// daemon/daemon.h — the persistent MCP daemon: one process per data directory serving every
// indexed project over WebSocket + Streamable HTTP (one TCP port) and a Unix socket, with the
// indexes, prepared statements and result cache kept warm between requests.
//
// Files in the data directory (DaemonFiles):
//   daemon.lock   flock()ed by the running daemon for its whole life. The lock, not the pid in a
//                 file, says whether a daemon runs: the kernel drops it when the process dies, so a
//                 crash never leaves a lock that blocks the next start, and two racing starts
//                 cannot both win.
//   daemon.json   {pid, host, port, socket, version, started_at}: written (atomically) once the
//                 daemon listens, removed on clean exit. Trusted only while the lock is held.
//   daemon.token  the bearer token network clients must present (0600, created once, reused).
//   daemon.sock   the Unix domain socket (0600; local clients need no token).
//   daemon.log    JSON-lines log, rotated by size (daemon.log.1 ... .3); SIGHUP reopens it.
//
// Lifecycle: SIGTERM/SIGINT drain in-flight requests (bounded) and exit 0; SIGHUP reopens the log.
//
// Thread safety: the free functions are for one CLI thread; run() owns the process it runs in.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/paths.h"
#include "core/result.h"
#include "rpc/json.h"

namespace cci::daemon {

inline constexpr std::uint16_t kDefaultPort = 8765;

using DaemonFiles = cci::DaemonPaths;  // core/paths.h

struct DaemonOptions {
  std::filesystem::path data_dir;            // empty = cci::data_dir()
  std::string host = "127.0.0.1";
  std::uint16_t port = kDefaultPort;         // 0 = any free port (tests)
  bool foreground = false;                   // run in this process, log to stderr too
  std::vector<std::string> allow_origins;
  std::size_t workers = 0;                   // query pool (0 = per core, at least 4)
  std::size_t index_workers = 1;             // concurrent index_codebase jobs
  std::size_t result_cache_bytes = 64u << 20;
  std::size_t max_open_connections = 64;
  std::uint64_t log_max_bytes = 10u << 20;   // rotate beyond this
  std::string version;                       // reported in status and serverInfo
  // Keeping indexes current (watch/freshness.h): every project served, and at start every
  // registered project whose watch setting is on, is watched and updated on change.
  bool watch = true;                                    // false (--no-watch): indexes change only on request
  std::chrono::milliseconds watch_debounce{30};         // quiet time before a batch of changes is applied
  std::optional<std::size_t> exact_max_symbols;         // exact rank recompute up to this size; empty = default
  // An in-memory search index per searched project (mcp/search_indexes.h): search_code in
  // microseconds for the memory it takes (187 MiB for the Linux kernel); off = SQL answers.
  bool search_index = true;
};

// What daemon.json says about the running daemon.
struct DaemonState {
  long pid = 0;
  std::string host;
  std::uint16_t port = 0;
  std::string socket;
  std::string version;
  std::string started_at;                    // ISO 8601 UTC
  // The watch options it runs with (so `restart` keeps them).
  bool watch = true;
  std::uint64_t watch_debounce_ms = 30;
  std::optional<std::uint64_t> exact_max_symbols;
  bool search_index = true;
  std::string ws_url() const;                // ws://host:port/
  std::string http_url() const;              // http://host:port/mcp
};

// The running daemon's state, or nullopt when none holds the lock (stale daemon.json and socket
// files are then ignored; start() replaces them).
Result<std::optional<DaemonState>> probe(const DaemonFiles& files);

// Starts the daemon. Background (default): forks a detached child (own session, stdio on
// /dev/null) and returns once it listens, with its state; a failure in the child (port in use,
// already running) comes back as this call's error with the child's message. Foreground: runs
// the daemon in this process until a termination signal and returns its exit status as
// Result<DaemonState> only on startup failure (otherwise it does not return until exit: see run).
// Errors: Refused "already running (pid N, ws://...)", IoError "cannot listen on ...: Address
// already in use", Refused for a non-loopback host without a token file.
Result<DaemonState> start(const DaemonOptions& options);

// Runs the daemon in this process (the body of `start --foreground` and of the forked child).
// `ready_fd` >= 0 receives one line, "ok\n" once listening or "error <message>\n", then is closed.
// Returns the process exit code.
int run(const DaemonOptions& options, int ready_fd = -1);

// SIGTERM, then waits up to `timeout` for the lock to be released (SIGKILL after it). Returns the
// state of the daemon it stopped; NotFound "not running" when none was.
Result<DaemonState> stop(const DaemonFiles& files, std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The daemon's own report (GET /status with the token): pid, address, uptime, rss, cpu,
// sessions, projects, requests and latency percentiles, and the watch: {enabled, debounce_ms,
// projects: [{root, state, pending_paths, ...}]}. Unavailable when not running.
Result<rpc::Json> status(const DaemonFiles& files);

// The token (creating daemon.token, 0600, with 256 random bits, when missing).
Result<std::string> read_or_create_token(const DaemonFiles& files);

// The last `lines` lines of daemon.log; with `follow`, keeps printing appended lines (across
// rotation) to stdout until interrupted.
Status print_log(const DaemonFiles& files, std::size_t lines, bool follow);

// --- client configuration (`cci mcp-daemon config`) -------------------------------------------
enum class ClientKind { ClaudeDesktop, ClaudeCode, Cursor, VSCode };
std::optional<ClientKind> client_kind_from_string(std::string_view name);

struct ClientConfig {
  std::filesystem::path config_file;   // where that client keeps its MCP servers
  rpc::Json server_entry;              // {"command": "/abs/cci", "args": ["mcp-proxy"], ...}
  std::string snippet;                 // the JSON to paste, whole file form
  std::string command_line;            // Claude Code: `claude mcp add ...`; else empty
};

// `binary` is the absolute path of the installed cci; `home` the user's home directory.
ClientConfig client_config(ClientKind kind, const std::filesystem::path& binary, const std::filesystem::path& home);

// Merges the entry into config_file (created when missing, a backup `<file>.bak-<timestamp>`
// written first when present, other servers untouched). InvalidArgument, file untouched, when
// the existing file is not valid JSON or its server map is not an object. Returns the backup path
// (empty when there was no file).
Result<std::filesystem::path> install_client_config(const ClientConfig& config);

}  // namespace cci::daemon
