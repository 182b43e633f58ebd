// cli/command_index.cpp — `cci index`: build or update a project's index, with a progress bar.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>

#include <unistd.h>

#include "cli/commands.h"
#include "cli/output.h"
#include "core/paths.h"
#include "index/indexer.h"

namespace cci::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) { g_interrupted.store(true); }

// Redraws one stderr line: phase, files, rate, ETA.
class ProgressBar {
 public:
  void update(const index::Progress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.phase == index::Progress::Phase::Parsing && p.files_done == 0) parse_start_ = now;
    std::string line;
    if (p.phase == index::Progress::Phase::Parsing && p.files_total > 0) {
      const double elapsed = std::chrono::duration<double>(now - parse_start_).count();
      const double rate = elapsed > 0 ? static_cast<double>(p.files_done) / elapsed : 0;
      const double eta = rate > 0 ? static_cast<double>(p.files_total - p.files_done) / rate : 0;
      constexpr int kWidth = 28;
      const int filled = static_cast<int>(kWidth * p.files_done / p.files_total);
      line = fmt::format("parsing [{}{}] {}/{} files  {:.0f} files/s  {:.1f} MiB  ETA {:.0f}s",
                         std::string(static_cast<std::size_t>(filled), '#'),
                         std::string(static_cast<std::size_t>(kWidth - filled), ' '), p.files_done, p.files_total,
                         rate, static_cast<double>(p.bytes_done) / (1 << 20), eta);
    } else {
      line = fmt::format("{}...", index::to_string(p.phase));
    }
    if (p.phase == index::Progress::Phase::Done) line.clear();
    std::string out = "\r" + line;
    if (line.size() < last_width_) out += std::string(last_width_ - line.size(), ' ');
    if (line.empty()) out += "\r";
    last_width_ = line.size();
    print_error_raw(out);
  }

 private:
  static void print_error_raw(const std::string& s) { [[maybe_unused]] auto n = ::write(2, s.data(), s.size()); }
  std::chrono::steady_clock::time_point parse_start_ = std::chrono::steady_clock::now();
  std::size_t last_width_ = 0;
};

std::string counts(const std::vector<std::pair<std::string, std::size_t>>& items) {
  std::string out;
  for (const auto& [name, n] : items) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {}", name, n);
  }
  return out;
}

rpc::Json report_json(const index::IndexReport& r) {
  rpc::Json skipped = rpc::Json::array();
  for (const auto& s : r.skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}, {"detail", s.detail}});
  rpc::Json langs = rpc::Json::object();
  for (const auto& [k, v] : r.files_by_language) langs[k] = v;
  rpc::Json edges = rpc::Json::object();
  for (const auto& [k, v] : r.edges_by_kind) edges[k] = v;
  return {{"root", r.root.string()},
          {"database", r.db_path.string()},
          {"incremental", r.incremental},
          {"generation", r.generation},
          {"files", {{"total", r.files_total}, {"parsed", r.files_parsed}, {"unchanged", r.files_unchanged},
                     {"removed", r.files_removed}, {"partial", r.files_partial}, {"by_language", langs},
                     {"ignored", r.ignored}, {"unsupported", r.unsupported}}},
          {"bytes_parsed", r.bytes_parsed},
          {"symbols", r.symbols},
          {"edges", {{"total", r.edges}, {"by_kind", edges}, {"unresolved", r.unresolved_references}}},
          {"skipped", skipped},
          {"seconds", {{"total", r.seconds_total}, {"scan", r.seconds_scan}, {"parse", r.seconds_parse},
                       {"graph", r.seconds_graph}, {"write", r.seconds_write}}},
          {"peak_rss_bytes", r.peak_rss_bytes}};
}

void print_report(const index::IndexReport& r) {
  std::string out;
  out += fmt::format("Indexed {}{}\n", r.root.string(),
                     r.incremental ? fmt::format("  (incremental: {} parsed, {} unchanged, {} removed)", r.files_parsed,
                                                 r.files_unchanged, r.files_removed)
                                   : "");
  out += fmt::format("  files     {:>9}  ({}){}\n", r.files_total, counts(r.files_by_language),
                     r.files_partial ? fmt::format("; {} with syntax errors (partially parsed)", r.files_partial) : "");
  out += fmt::format("  symbols   {:>9}\n", r.symbols);
  out += fmt::format("  edges     {:>9}  ({}); {} unresolved references kept by name\n", r.edges,
                     counts(r.edges_by_kind), r.unresolved_references);
  std::map<std::string, std::size_t> reasons;
  for (const auto& s : r.skipped) ++reasons[s.reason];
  std::vector<std::pair<std::string, std::size_t>> reason_list(reasons.begin(), reasons.end());
  out += fmt::format("  skipped   {:>9}  ({}{}{} ignored by rules, {} not source)\n", r.skipped.size(), counts(reason_list),
                     reason_list.empty() ? "" : "; ", r.ignored, r.unsupported);
  for (std::size_t i = 0; i < r.skipped.size() && i < 10; ++i)
    if (r.skipped[i].reason != "ignored")
      out += fmt::format("              {} [{}] {}\n", r.skipped[i].path, r.skipped[i].reason, r.skipped[i].detail);
  out += fmt::format("  time      {:>8.2f}s  (scan {:.2f}, parse {:.2f}, graph {:.2f}, write {:.2f}); {:.1f} MiB parsed\n",
                     r.seconds_total, r.seconds_scan, r.seconds_parse, r.seconds_graph, r.seconds_write,
                     static_cast<double>(r.bytes_parsed) / (1 << 20));
  out += fmt::format("  memory    {:>9}  peak RSS\n", format_bytes(r.peak_rss_bytes));
  out += fmt::format("  index     {}\n", r.db_path.string());
  print(out);
}

}  // namespace

void register_index(CLI::App& app, GlobalOptions& global, ExitSink exit_code) {
  struct Args {
    std::string path = ".";
    bool force = false;
    std::size_t workers = 0;
    std::vector<std::string> excludes;
    std::uint64_t max_file_size = 1 << 20;
    bool show_ignored = false;
    bool quiet = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("index", "Index a repository (incremental: only changed files are re-parsed)");
  cmd->add_option("path", args->path, "Repository root (default: the working directory)");
  cmd->add_flag("--force", args->force, "Re-parse every file; also required to index / or your home directory");
  cmd->add_option("--workers", args->workers, "Parser threads (default: all cores)");
  cmd->add_option("--exclude", args->excludes, "Extra ignore pattern, gitignore syntax (repeatable)");
  cmd->add_option("--max-file-size", args->max_file_size, "Skip files larger than this many bytes (default 1 MiB)");
  cmd->add_flag("--show-ignored", args->show_ignored, "List every ignored path");
  cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
  cmd->callback([args, &global, &exit_code] {
    index::IndexOptions options;
    options.force = args->force;
    options.workers = args->workers;
    options.scan.extra_excludes = args->excludes;
    options.scan.max_file_size = args->max_file_size;
    options.scan.record_ignored = args->show_ignored;
    options.cancel = &g_interrupted;
    std::signal(SIGINT, on_interrupt);
    std::signal(SIGTERM, on_interrupt);
    ProgressBar bar;
    if (!global.json && !args->quiet && stderr_is_terminal())
      options.on_progress = [&bar](const index::Progress& p) { bar.update(p); };
    auto report = index::index_project(args->path, options);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (!report) {
      exit_code = fail(global, report.error());
      return;
    }
    if (global.json) {
      print_json(report_json(*report));
    } else {
      print_report(*report);
      if (args->show_ignored) {
        std::string out = "ignored:\n";
        for (const auto& s : report->skipped)
          if (s.reason == "ignored") out += fmt::format("  {}  ({})\n", s.path, s.detail);
        print(out);
      }
    }
    exit_code = kExitOk;
  });
}

}  // namespace cci::cli
