// cli/command_daemon.cpp — `cci mcp-daemon start|stop|restart|status|logs|config`: managing the
// persistent MCP daemon of the data directory (daemon/daemon.h) and configuring MCP clients to
// reach it through `cci mcp-proxy`.
//
// Exit codes: 0 done; 1 the daemon is not in the state the command needs ("not running",
// "already running") or another runtime failure; 2 usage.
#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/paths.h"
#include "daemon/daemon.h"

#ifndef CCI_VERSION
#define CCI_VERSION "0.0.0"
#endif

namespace cci::cli {
namespace {

namespace fs = std::filesystem;

struct StartFlags {
  std::string host = "127.0.0.1";
  std::uint16_t port = daemon::kDefaultPort;
  bool foreground = false;
  std::size_t workers = 0;
  std::size_t index_workers = 1;
  std::size_t cache_mb = 64;
  std::vector<std::string> allow_origins;
  bool watch = true;
  bool search_index = true;
  std::uint64_t debounce_ms = 30;
  std::uint64_t exact_max_symbols = 0;
  std::optional<std::uint64_t> kept_exact_max_symbols;  // restart: the running daemon's value
  CLI::Option* host_option = nullptr;  // to tell "--host given" from the default (restart)
  CLI::Option* port_option = nullptr;
  CLI::Option* watch_option = nullptr;
  CLI::Option* search_index_option = nullptr;
  CLI::Option* debounce_option = nullptr;
  CLI::Option* exact_option = nullptr;
};

struct DaemonFlags {
  StartFlags start;
  StartFlags restart;
  std::size_t log_lines = 50;
  bool follow = false;
  std::string client = "claude-desktop";
  bool install = false;
};

fs::path daemon_data_dir() {
  std::error_code ec;
  fs::path dir = fs::absolute(data_dir(), ec);
  return ec ? data_dir() : dir;
}

daemon::DaemonFiles daemon_files() { return daemon::DaemonFiles::in(daemon_data_dir()); }

daemon::DaemonOptions to_options(const StartFlags& flags) {
  daemon::DaemonOptions options;
  options.data_dir = daemon_data_dir();
  options.host = flags.host;
  options.port = flags.port;
  options.foreground = flags.foreground;
  options.allow_origins = flags.allow_origins;
  options.workers = flags.workers;
  options.index_workers = flags.index_workers;
  options.result_cache_bytes = flags.cache_mb << 20;
  options.version = CCI_VERSION;
  options.watch = flags.watch;
  options.search_index = flags.search_index;
  options.watch_debounce = std::chrono::milliseconds(flags.debounce_ms);
  if (flags.exact_option->count() > 0) options.exact_max_symbols = flags.exact_max_symbols;
  else options.exact_max_symbols = flags.kept_exact_max_symbols;
  return options;
}

// Prints the error (text on stderr, or {"error": ...} on stdout with --json) and returns its exit code.
int report_error(const GlobalOptions& global, const Error& error) {
  if (global.json) {
    print_json({{"error", {{"code", to_string(error.code)}, {"message", error.message}}}});
  } else {
    print_error(error.message);
  }
  return error.code == ErrorCode::InvalidArgument ? kExitUsage : 1;
}

rpc::Json state_json(const daemon::DaemonState& state) {
  return {{"running", true},          {"pid", state.pid},         {"host", state.host},
          {"port", state.port},       {"socket", state.socket},   {"version", state.version},
          {"started_at", state.started_at}, {"url", state.ws_url()}, {"http_url", state.http_url()}};
}

int report_started(const GlobalOptions& global, const daemon::DaemonState& state) {
  if (global.json) {
    print_json(state_json(state));
  } else {
    print(fmt::format("cci daemon: started (pid {}) on {} and {}, socket {}\n", state.pid, state.ws_url(),
                      state.http_url(), state.socket));
  }
  return kExitOk;
}

int run_start(const GlobalOptions& global, const StartFlags& flags) {
  auto started = daemon::start(to_options(flags));
  if (!started) return report_error(global, started.error());
  if (flags.foreground) return kExitOk;  // ran until a signal; it said everything on stderr
  return report_started(global, *started);
}

int run_stop(const GlobalOptions& global) {
  auto stopped = daemon::stop(daemon_files());
  if (!stopped) return report_error(global, stopped.error());
  if (global.json) {
    print_json({{"stopped", true}, {"pid", stopped->pid}});
  } else {
    print(fmt::format("cci daemon: stopped (pid {})\n", stopped->pid));
  }
  return kExitOk;
}

int run_restart(const GlobalOptions& global, StartFlags flags) {
  const daemon::DaemonFiles files = daemon_files();
  auto running = daemon::probe(files);
  if (!running) return report_error(global, running.error());
  if (*running) {
    // Clients are configured for this address: the new daemon keeps it unless told otherwise.
    const daemon::DaemonState& old = **running;
    if (flags.host_option->count() == 0 && !old.host.empty()) flags.host = old.host;
    if (flags.port_option->count() == 0 && old.port != 0) flags.port = old.port;
    // So are its watch options.
    if (flags.watch_option->count() == 0) flags.watch = old.watch;
    if (flags.search_index_option->count() == 0) flags.search_index = old.search_index;
    if (flags.debounce_option->count() == 0) flags.debounce_ms = old.watch_debounce_ms;
    flags.kept_exact_max_symbols = old.exact_max_symbols;
    auto stopped = daemon::stop(files);
    if (!stopped && stopped.error().code != ErrorCode::NotFound) return report_error(global, stopped.error());
    if (!global.json && stopped) print(fmt::format("cci daemon: stopped (pid {})\n", stopped->pid));
    // A connected proxy notices the daemon going away and starts a new one on the same address
    // at once; if it won the race, that daemon is the restarted one.
    if (auto now = daemon::probe(files); now && *now && (!stopped || (*now)->pid != stopped->pid)) {
      if (global.json) {
        print_json(state_json(**now));
      } else {
        print(fmt::format("cci daemon: running again (pid {}, started by a connected client) on {}\n", (*now)->pid,
                          (*now)->ws_url()));
      }
      return kExitOk;
    }
  }
  auto started = daemon::start(to_options(flags));
  if (!started && started.error().code == ErrorCode::Refused) {
    // Lost the start race to a client's auto-start between the probe and now: same outcome.
    if (auto now = daemon::probe(files); now && *now) {
      if (!global.json) print(fmt::format("cci daemon: running again (pid {}) on {}\n", (*now)->pid, (*now)->ws_url()));
      else print_json(state_json(**now));
      return kExitOk;
    }
  }
  if (!started) return report_error(global, started.error());
  if (flags.foreground) return kExitOk;
  return report_started(global, *started);
}

std::string format_duration(double seconds) {
  const auto total = static_cast<long long>(seconds);
  const long long days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60, secs = total % 60;
  if (days > 0) return fmt::format("{}d {}h {:02}m", days, hours, minutes);
  if (hours > 0) return fmt::format("{}h {:02}m {:02}s", hours, minutes, secs);
  if (minutes > 0) return fmt::format("{}m {:02}s", minutes, secs);
  return fmt::format("{:.1f}s", seconds);
}

// A number from the daemon's JSON, 0 when absent (an older daemon may lack a field).
template <class T>
T field(const rpc::Json& json, std::initializer_list<const char*> path) {
  const rpc::Json* at = &json;
  for (const char* key : path) {
    if (!at->is_object()) return T{};
    const auto found = at->find(key);
    if (found == at->end()) return T{};
    at = &*found;
  }
  if constexpr (std::is_same_v<T, std::string>) {
    return at->is_string() ? at->get<std::string>() : std::string();
  } else {
    return at->is_number() ? at->get<T>() : T{};
  }
}

std::string status_table(const rpc::Json& s, const daemon::DaemonState& state) {
  std::string out = "cci daemon: running\n";
  auto row = [&out](std::string_view label, const std::string& value) {
    out += fmt::format("  {:<12} {}\n", label, value);
  };
  row("pid", std::to_string(field<long>(s, {"pid"})));
  row("address", fmt::format("{}  {}", state.ws_url(), state.http_url()));
  row("socket", field<std::string>(s, {"socket"}));
  row("version", field<std::string>(s, {"version"}));
  row("uptime", fmt::format("{} (since {})", format_duration(field<double>(s, {"uptime_seconds"})),
                            field<std::string>(s, {"started_at"})));
  row("memory", format_bytes(field<std::uint64_t>(s, {"rss_bytes"})) + " resident");
  row("cpu", fmt::format("{:.2f} s", field<double>(s, {"cpu_seconds"})));
  row("sessions", std::to_string(field<std::uint64_t>(s, {"sessions"})));
  row("projects", fmt::format("{} loaded", field<std::uint64_t>(s, {"projects_loaded"})));
  row("requests", std::to_string(field<std::uint64_t>(s, {"requests_total"})));
  row("latency", fmt::format("p50 {:.3f} ms  p90 {:.3f} ms  p99 {:.3f} ms", field<double>(s, {"latency_ms", "p50"}),
                             field<double>(s, {"latency_ms", "p90"}), field<double>(s, {"latency_ms", "p99"})));
  const auto hits = field<std::uint64_t>(s, {"cache", "hits"});
  const auto misses = field<std::uint64_t>(s, {"cache", "misses"});
  row("cache", fmt::format("{:.1f}% hits ({} hits, {} misses), {} in {} entries",
                           100.0 * field<double>(s, {"cache", "hit_ratio"}), hits, misses,
                           format_bytes(field<std::uint64_t>(s, {"cache", "bytes"})),
                           field<std::uint64_t>(s, {"cache", "entries"})));
  row("index jobs", fmt::format("{} running, {} finished", field<std::uint64_t>(s, {"index_jobs", "running"}),
                                field<std::uint64_t>(s, {"index_jobs", "total"})));
  const rpc::Json* watch = s.contains("watch") ? &s["watch"] : nullptr;
  if (watch != nullptr && watch->is_object() && watch->value("enabled", false)) {
    std::size_t pending = 0;
    const rpc::Json projects = watch->value("projects", rpc::Json::array());
    for (const auto& p : projects) pending += field<std::size_t>(p, {"pending_paths"});
    row("watch", fmt::format("{} project{} watched, {} pending change{} (debounce {} ms)", projects.size(),
                             projects.size() == 1 ? "" : "s", pending, pending == 1 ? "" : "s",
                             field<std::uint64_t>(*watch, {"debounce_ms"})));
  } else {
    row("watch", "off");
  }
  return out;
}

int run_status(const GlobalOptions& global) {
  const daemon::DaemonFiles files = daemon_files();
  auto running = daemon::probe(files);
  if (!running) return report_error(global, running.error());
  if (!*running) {
    if (global.json) {
      print_json({{"running", false}});
    } else {
      print("cci daemon: not running\n");
    }
    return 1;
  }
  const daemon::DaemonState& state = **running;
  auto report = daemon::status(files);
  if (!report) {
    // It holds the lock but does not answer: say what is known and that something is wrong.
    if (global.json) {
      rpc::Json j = state_json(state);
      j["error"] = report.error().message;
      print_json(j);
    } else {
      print(fmt::format("cci daemon: running (pid {}, {}) but its status is unavailable: {}\n", state.pid,
                        state.port != 0 ? state.ws_url() : std::string("still starting"), report.error().message));
    }
    return 1;
  }
  if (global.json) {
    rpc::Json j = *report;
    j["running"] = true;
    print_json(j);
  } else {
    print(status_table(*report, state));
  }
  return kExitOk;
}

int run_logs(const GlobalOptions& global, const DaemonFlags& flags) {
  auto printed = daemon::print_log(daemon_files(), flags.log_lines, flags.follow);
  if (!printed) return report_error(global, printed.error());
  return kExitOk;
}

fs::path home_directory() {
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr) return pw->pw_dir;
  return fs::current_path();
}

// The installed binary, symlinks resolved, so the client keeps working from any directory.
fs::path own_binary() {
  char buffer[PATH_MAX];
  if (::realpath("/proc/self/exe", buffer) != nullptr) return buffer;
  return "cci";
}

int run_config(const GlobalOptions& global, const DaemonFlags& flags) {
  const auto kind = daemon::client_kind_from_string(flags.client);
  if (!kind) {
    print_error("--client must be one of claude-desktop, claude-code, cursor, vscode (got '" + flags.client + "')");
    return kExitUsage;
  }
  const daemon::ClientConfig config = daemon::client_config(*kind, own_binary(), home_directory());
  std::optional<fs::path> backup;
  if (flags.install) {
    auto installed = daemon::install_client_config(config);
    if (!installed) return report_error(global, installed.error());
    backup = *installed;
  }
  if (global.json) {
    rpc::Json j = {{"client", flags.client},
                   {"config_file", config.config_file.string()},
                   {"server_name", "claude-code-indexer"},
                   {"entry", config.server_entry},
                   {"snippet", config.snippet},
                   {"installed", flags.install}};
    if (!config.command_line.empty()) j["command_line"] = config.command_line;
    if (backup) j["backup"] = backup->empty() ? rpc::Json(nullptr) : rpc::Json(backup->string());
    print_json(j);
    return kExitOk;
  }
  if (flags.install) {
    print(fmt::format("Installed claude-code-indexer in {}{}.\nRestart the client to pick it up.\n",
                      config.config_file.string(),
                      backup->empty() ? " (new file)" : fmt::format(" (previous version saved as {})", backup->string())));
    return kExitOk;
  }
  print(fmt::format("Add this to {} (or run this command with --install):\n\n{}", config.config_file.string(),
                    config.snippet));
  if (!config.command_line.empty()) print(fmt::format("\nOr let Claude Code add it:\n\n  {}\n", config.command_line));
  return kExitOk;
}

void add_start_flags(CLI::App* cmd, StartFlags& flags) {
  flags.host_option = cmd->add_option("--host", flags.host, "Address to listen on (default 127.0.0.1; others need the token)");
  flags.port_option = cmd->add_option("--port", flags.port, "TCP port for WebSocket and Streamable HTTP (0 = any free port)")
                          ->check(CLI::Range(0, 65535));
  cmd->add_flag("--foreground", flags.foreground, "Run in this terminal instead of detaching (logs on stderr too)");
  cmd->add_option("--workers", flags.workers, "Threads answering queries (default: one per core, at least 4)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--index-workers", flags.index_workers, "Concurrent index_codebase jobs")->check(CLI::PositiveNumber);
  cmd->add_option("--cache-mb", flags.cache_mb, "Result cache size in MiB (0 = no cache)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--allow-origin", flags.allow_origins,
                  "Also accept browser requests from ORIGIN (repeatable; localhost origins always pass)");
  flags.watch_option = cmd->add_flag("--watch,!--no-watch", flags.watch,
                                     "Keep served indexes current as files change (default; --no-watch: only on request)");
  flags.search_index_option =
      cmd->add_flag("--search-index,!--no-search-index", flags.search_index,
                    "Keep an in-memory search index per searched project (default; --no-search-index: SQL "
                    "answers search_code, saving its memory)");
  flags.debounce_option = cmd->add_option("--debounce-ms", flags.debounce_ms,
                                          "Quiet time before a batch of file changes is applied (default 30)")
                              ->check(CLI::Range(0, 60000));
  flags.exact_option = cmd->add_option("--exact-max-symbols", flags.exact_max_symbols,
                                       "Recompute exact ranks after updates for projects up to this many symbols")
                           ->check(CLI::NonNegativeNumber);
}

}  // namespace

void register_daemon(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto flags = std::make_shared<DaemonFlags>();
  CLI::App* group = app.add_subcommand(
      "mcp-daemon", "The persistent MCP daemon: indexes and caches stay warm; clients connect through `cci mcp-proxy`");
  group->require_subcommand(1);

  CLI::App* start = group->add_subcommand("start", "Start the daemon in the background (one per data directory)");
  add_start_flags(start, flags->start);
  start->callback([flags, &global, &exit_code] { exit_code = run_start(global, flags->start); });

  CLI::App* stop = group->add_subcommand("stop", "Stop the daemon (in-flight requests finish first)");
  stop->callback([&global, &exit_code] { exit_code = run_stop(global); });

  CLI::App* restart = group->add_subcommand("restart", "Stop and start the daemon, keeping its address");
  add_start_flags(restart, flags->restart);
  restart->callback([flags, &global, &exit_code] { exit_code = run_restart(global, flags->restart); });

  CLI::App* status = group->add_subcommand("status", "Is the daemon running: address, uptime, memory, load, latency");
  status->callback([&global, &exit_code] { exit_code = run_status(global); });

  CLI::App* logs = group->add_subcommand("logs", "Print the daemon's log (JSON lines)");
  logs->add_option("-n,--lines", flags->log_lines, "How many of the last lines to print")->check(CLI::NonNegativeNumber);
  logs->add_flag("-f,--follow", flags->follow, "Keep printing new lines until Ctrl-C");
  logs->callback([flags, &global, &exit_code] { exit_code = run_logs(global, *flags); });

  CLI::App* config = group->add_subcommand("config", "Print (or --install) the MCP client configuration for the daemon");
  config->add_option("--client", flags->client, "claude-desktop (default), claude-code, cursor or vscode");
  config->add_flag("--install", flags->install, "Merge it into the client's config file (a backup is written first)");
  config->callback([flags, &global, &exit_code] { exit_code = run_config(global, *flags); });
}

}  // namespace cci::cli
