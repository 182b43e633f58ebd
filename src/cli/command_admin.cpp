// cli/command_admin.cpp — stats, projects and ignore: the index and registry bookkeeping.
//
// `cci stats` reads the index in this process; what only a running daemon knows (whether it
// keeps the index current, changes still pending) comes from the daemon's get_index_status.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ctime>
#include <filesystem>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/tool_runner.h"
#include "core/paths.h"
#include "scan/scanner.h"

namespace cci::cli {
namespace {

namespace fs = std::filesystem;

rpc::Json pairs_json(const std::vector<std::pair<std::string, std::size_t>>& items) {
  rpc::Json j = rpc::Json::object();
  for (const auto& [k, v] : items) j[k] = v;
  return j;
}

std::string pairs_text(const std::vector<std::pair<std::string, std::size_t>>& items) {
  std::string out;
  for (const auto& [k, v] : items) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", k, v);
  return out.empty() ? "none" : out;
}

std::string format_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string watch_line(const std::optional<rpc::Json>& watch) {
  if (!watch) return "off (no daemon)";
  const std::string state = watch->value("state", "off");
  const auto pending = watch->value("pending_paths", std::uint64_t{0});
  std::string line = fmt::format("{}, {} pending change{}", state, pending, pending == 1 ? "" : "s");
  if (const std::string detail = watch->value("detail", std::string()); !detail.empty()) line += " (" + detail + ")";
  return line;
}

}  // namespace

void register_stats(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  auto verify = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("stats", "Summarise the project's index: files, symbols, edges, skipped files");
  cmd->add_flag("--verify", *verify, "Also run SQLite's integrity check on the index");
  cmd->callback([verify, &global, &exit_code] {
    auto project = open_project(global);
    if (!project) {
      exit_code = fail(global, project.error());
      return;
    }
    auto& db = *project->store;
    auto stats = db.stats();
    if (!stats) {
      exit_code = fail(global, stats.error());
      return;
    }
    auto generation = db.meta("generation");
    auto indexed_at = db.meta("indexed_at");
    std::string integrity = "not checked";
    if (*verify) {
      auto ok = db.integrity_check();
      integrity = ok ? "ok" : ok.error().message;
    }
    auto graph_exact = db.meta("graph_exact");
    const std::string gen = generation && *generation ? **generation : "0";
    const std::int64_t at = indexed_at && *indexed_at ? std::stoll(**indexed_at) : 0;
    const bool ranks_exact = !graph_exact || !*graph_exact || **graph_exact != "0";
    const std::optional<rpc::Json> watch = daemon_watch(global, project->project.root);
    if (global.json) {
      print_json({{"root", project->project.root},
                  {"database", project->project.db_path},
                  {"generation", std::stoull(gen)},
                  {"indexed_at", at},
                  {"files", stats->files},
                  {"partial_files", stats->partial_files},
                  {"symbols", stats->symbols},
                  {"edges", stats->edges},
                  {"unresolved_edges", stats->unresolved_edges},
                  {"files_by_language", pairs_json(stats->files_by_language)},
                  {"symbols_by_kind", pairs_json(stats->symbols_by_kind)},
                  {"edges_by_kind", pairs_json(stats->edges_by_kind)},
                  {"edges_by_resolution", pairs_json(stats->edges_by_resolution)},
                  {"skipped_by_reason", pairs_json(stats->skipped_by_reason)},
                  {"database_bytes", stats->database_bytes},
                  {"integrity", integrity},
                  {"ranks_exact", ranks_exact},
                  {"watch", watch ? *watch : rpc::Json{{"state", "off"}, {"detail", "no daemon"}}},
                  {"daemon", watch.has_value()}});
    } else {
      std::string out;
      out += fmt::format("project     {}\n", project->project.root);
      out += fmt::format("indexed     {} (generation {}){}\n", format_time(at), gen,
                         ranks_exact ? "" : "; ranks approximate until the next `cci index`");
      out += fmt::format("watch       {}\n", watch_line(watch));
      out += fmt::format("files       {} ({}); {} partially parsed\n", stats->files, pairs_text(stats->files_by_language),
                         stats->partial_files);
      out += fmt::format("symbols     {} ({})\n", stats->symbols, pairs_text(stats->symbols_by_kind));
      out += fmt::format("edges       {} ({})\n", stats->edges, pairs_text(stats->edges_by_kind));
      out += fmt::format("resolution  {}\n", pairs_text(stats->edges_by_resolution));
      out += fmt::format("skipped     {}\n", pairs_text(stats->skipped_by_reason));
      out += fmt::format("database    {} ({})\n", project->project.db_path, format_bytes(stats->database_bytes));
      if (*verify) out += fmt::format("integrity   {}\n", integrity);
      print(out);
    }
    exit_code = (*verify && integrity != "ok") ? kExitUsage : kExitOk;
  });
}

void register_projects(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  CLI::App* cmd = app.add_subcommand("projects", "List, remove or clean indexed projects");
  auto target = std::make_shared<std::string>();
  CLI::App* list = cmd->add_subcommand("list", "List indexed projects (the default)");
  CLI::App* remove = cmd->add_subcommand("remove", "Forget a project and delete its index");
  remove->add_option("path", *target, "Project root")->required();
  CLI::App* clean = cmd->add_subcommand("clean", "Forget projects whose directory no longer exists");
  cmd->require_subcommand(0, 1);
  cmd->callback([cmd, list, remove, clean, target, &global, &exit_code] {
    auto registry = store::Registry::open(data_dir());
    if (!registry) {
      exit_code = fail(global, registry.error());
      return;
    }
    if (remove->parsed()) {
      const fs::path root = canonical_root(*target);
      auto found = (*registry)->find(root);
      if (!found) {
        exit_code = fail(global, found.error());
        return;
      }
      if (!*found) {
        exit_code = fail(global, Error{ErrorCode::NotFound, fmt::format("{} is not an indexed project (see `cci projects`)", root.string())});
        return;
      }
      if (auto s = (*registry)->remove(root); !s) {
        exit_code = fail(global, s.error());
        return;
      }
      if (global.json) print_json({{"removed", root.string()}});
      else print(fmt::format("removed {}\n", root.string()));
      exit_code = kExitOk;
      return;
    }
    auto projects = (*registry)->list();
    if (!projects) {
      exit_code = fail(global, projects.error());
      return;
    }
    if (clean->parsed()) {
      std::vector<std::string> removed;
      for (const auto& p : *projects) {
        std::error_code ec;
        if (fs::is_directory(p.root, ec)) continue;
        if (auto s = (*registry)->remove(p.root); !s) {
          exit_code = fail(global, s.error());
          return;
        }
        removed.push_back(p.root);
      }
      if (global.json) print_json({{"removed", removed}});
      else print(removed.empty() ? "nothing to clean\n" : fmt::format("removed {}\n", fmt::join(removed, "\nremoved ")));
      exit_code = kExitOk;
      return;
    }
    (void)list;
    (void)cmd;
    if (global.json) {
      rpc::Json arr = rpc::Json::array();
      for (const auto& p : *projects) {
        std::error_code ec;
        arr.push_back({{"root", p.root}, {"name", p.name}, {"database", p.db_path}, {"indexed_at", p.indexed_at},
                       {"files", p.files}, {"symbols", p.symbols}, {"exists", fs::is_directory(p.root, ec)}});
      }
      print_json({{"projects", arr}});
    } else if (projects->empty()) {
      print("no indexed projects: run `cci index` in a repository\n");
    } else {
      std::string out;
      for (const auto& p : *projects) {
        std::error_code ec;
        out += fmt::format("{:<24} {:>7} files {:>9} symbols  {}  {}{}\n", shorten(p.name, 24), p.files, p.symbols,
                           format_time(p.indexed_at), p.root, fs::is_directory(p.root, ec) ? "" : "  (missing)");
      }
      print(out);
    }
    exit_code = projects->empty() ? kExitNoMatch : kExitOk;
  });
}

void register_ignore(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    std::string path = ".";
    std::vector<std::string> excludes;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("ignore", "Show the effective ignore patterns for a repository");
  cmd->add_option("path", args->path, "Repository root (default: the working directory)");
  cmd->add_option("--exclude", args->excludes, "Extra pattern, as for `cci index --exclude`");
  cmd->callback([args, &global, &exit_code] {
    scan::ScanOptions options;
    options.extra_excludes = args->excludes;
    auto sources = scan::effective_ignore_patterns(canonical_root(args->path), options);
    if (!sources) {
      exit_code = fail(global, sources.error());
      return;
    }
    if (global.json) {
      rpc::Json arr = rpc::Json::array();
      for (const auto& s : *sources) arr.push_back({{"origin", s.origin}, {"patterns", s.patterns}});
      print_json({{"sources", arr}});
    } else {
      std::string out;
      for (const auto& s : *sources) {
        out += fmt::format("# {}\n", s.origin);
        for (const auto& p : s.patterns) out += fmt::format("{}\n", p);
      }
      print(out);
    }
    exit_code = kExitOk;
  });
}

}  // namespace cci::cli
