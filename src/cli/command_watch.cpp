// cli/command_watch.cpp — `cci watch on|off [PATH]` and `cci watch [status]`: whether the daemon
// keeps a project's index current as its files change.
//
// The setting lives in the registry (store::Registry::set_watch), so it survives daemon restarts
// and applies to a daemon started later. A running daemon is told at once by asking it for the
// project's get_index_status, which re-reads the setting before it reports. The status is read
// from the daemon's /status (one request, and asking for it starts watching nothing).
//
// Exit codes: 0 done; 1 PATH is in no indexed project; 2 usage or another failure.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tool_runner.h"
#include "core/paths.h"
#include "daemon/daemon.h"

namespace cci::cli {
namespace {

namespace fs = std::filesystem;
using rpc::Json;

struct WatchArgs {
  std::string path;  // on/off: a directory inside the project (default --project, else the working directory)
};

// The registered project enclosing `path` (or --project, or the working directory).
Result<store::ProjectRecord> find_project(const GlobalOptions& global, const std::string& path) {
  const fs::path start = canonical_root(!path.empty()            ? fs::path(path)
                                        : !global.project.empty() ? fs::path(global.project)
                                                                  : fs::current_path());
  auto registry = store::Registry::open(data_dir());
  if (!registry) return std::unexpected(registry.error());
  auto found = (*registry)->find_enclosing(start);
  if (!found) return std::unexpected(found.error());
  if (!*found)
    return make_error(ErrorCode::NotFound,
                      fmt::format("{} is not inside an indexed project: run `cci index` in the repository root first",
                                  start.string()));
  return std::move(**found);
}

int run_switch(const GlobalOptions& global, const WatchArgs& args, bool on) {
  auto project = find_project(global, args.path);
  if (!project) return fail(global, project.error());
  auto registry = store::Registry::open(data_dir());
  if (!registry) return fail(global, registry.error());
  if (auto set = (*registry)->set_watch(project->root, on); !set) return fail(global, set.error());
  registry->reset();  // closed before the daemon reads it
  GlobalOptions via_daemon = global;
  via_daemon.no_daemon = false;  // the setting concerns the daemon: always tell it
  const std::optional<Json> watch = daemon_watch(via_daemon, project->root);
  const std::string state = watch ? watch->value("state", "off") : std::string("off");
  if (global.json) {
    Json j = {{"root", project->root}, {"watch", on}, {"daemon", watch.has_value()}};
    if (watch) j["state"] = state;
    print_json(j);
    return kExitOk;
  }
  std::string out = fmt::format("watching {}: {}\n", project->root, on ? "on" : "off");
  if (!watch)
    out += on ? "daemon not running: it watches the project once it starts (`cci mcp-daemon start`)\n"
              : "daemon not running: not watched\n";
  else if (on && state == "off")
    out += fmt::format("daemon: not watching ({})\n", watch->value("detail", std::string("watching is off")));
  else
    out += fmt::format("daemon: {}\n", state);
  print(out);
  return kExitOk;
}

std::string pending_text(const Json& p) {
  const auto pending = p.value("pending_paths", std::uint64_t{0});
  return fmt::format("{} pending change{}", pending, pending == 1 ? "" : "s");
}

int run_status(const GlobalOptions& global) {
  auto registry = store::Registry::open(data_dir());
  if (!registry) return fail(global, registry.error());
  auto projects = (*registry)->list();
  if (!projects) return fail(global, projects.error());
  registry->reset();

  // What the daemon watches, by root; absent when no daemon answers.
  std::optional<std::map<std::string, Json>> watched;
  bool daemon_watching = false;
  std::string daemon_problem = "daemon not running";
  std::error_code ec;
  const fs::path absolute_data_dir = fs::absolute(data_dir(), ec);
  const daemon::DaemonFiles files = daemon::DaemonFiles::in(ec ? data_dir() : absolute_data_dir);
  if (auto running = daemon::probe(files); running && *running) {
    if (auto status = daemon::status(files)) {
      watched.emplace();
      const Json watch = status->value("watch", Json::object());
      daemon_watching = watch.value("enabled", false);
      for (const auto& p : watch.value("projects", Json::array()))
        if (p.is_object() && p.contains("root")) (*watched)[p.value("root", std::string())] = p;
    } else {
      daemon_problem = fmt::format("daemon not answering ({})", status.error().message);
    }
  }

  Json list = Json::array();
  std::string out;
  if (!watched) out += fmt::format("{}: not watched\n", daemon_problem);
  else if (!daemon_watching) out += "daemon running with --no-watch: not watched\n";
  for (const auto& project : *projects) {
    Json j = {{"root", project.root}, {"enabled", project.watch}};
    std::string state = "off";
    std::string detail;
    if (watched) {
      if (const auto it = watched->find(project.root); it != watched->end()) {
        j["watch"] = it->second;
        state = it->second.value("state", "off");
        detail = pending_text(it->second);
        if (const std::string why = it->second.value("detail", std::string()); !why.empty()) detail += "; " + why;
      } else if (daemon_watching) {
        detail = project.watch ? "not watched yet: served or started on first use" : "turned off";
      }
    }
    j["state"] = state;
    list.push_back(std::move(j));
    out += fmt::format("{:<3}  {:<11}  {}{}\n", project.watch ? "on" : "off", state, project.root,
                       detail.empty() ? "" : "  (" + detail + ")");
  }
  if (projects->empty()) out += "no indexed projects: run `cci index` in a repository\n";
  if (global.json) {
    print_json({{"daemon", {{"running", watched.has_value()}, {"watching", daemon_watching}}}, {"projects", list}});
  } else {
    print(out);
  }
  return kExitOk;
}

}  // namespace

void register_watch(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto args = std::make_shared<WatchArgs>();
  CLI::App* cmd = app.add_subcommand("watch", "Whether the daemon keeps a project's index current as files change");
  cmd->require_subcommand(0, 1);
  CLI::App* on = cmd->add_subcommand("on", "Keep the project's index current (the default)");
  on->add_option("path", args->path, "A directory inside the project (default: the working directory)");
  CLI::App* off = cmd->add_subcommand("off", "Stop keeping the project's index current (`cci index` updates it)");
  off->add_option("path", args->path, "A directory inside the project (default: the working directory)");
  CLI::App* status = cmd->add_subcommand("status", "Each project's setting and the daemon's watch (the default)");
  cmd->callback([on, off, status, args, &global, &exit_code] {
    (void)status;
    if (on->parsed()) exit_code = run_switch(global, *args, true);
    else if (off->parsed()) exit_code = run_switch(global, *args, false);
    else exit_code = run_status(global);
  });
}

}  // namespace cci::cli
