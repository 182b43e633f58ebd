// bench/watch_bench.cpp — freshness benchmark (issue 5): how long from saving a file until the
// daemon answers with what was saved, on a real corpus the daemon watches.
//
//   save → searchable: N edits (default 50), one at a time, each appending a uniquely named
//     function to an existing indexed file (Python or C); the clock starts when the write has
//     returned and stops when search_code (through the C++ client library, polled every
//     --poll-us) returns the new name. Reported as p50/p95/max ms.
//   branch switch: M files (default 1,000, capped at the indexed candidates) rewritten at once,
//     each gaining a uniquely named function; the clock stops when a sample of the names is
//     found, then every name, and no change is pending (_meta cci/pendingChanges == 0). Then the
//     files are restored and the switch back is timed the same way (every name gone).
//
// The daemon is started here (`cci mcp-daemon start --port 0`, in the caller's CCI_HOME, which
// must hold a current index of --project) and stopped at the end. Every file touched is backed up
// first, in memory and under $CCI_HOME/watch-bench-backup/ (contents and mtimes), and restored
// exactly afterwards; a run that died half-way is repaired from that directory by the next run
// before it starts, so the corpus stays pristine. Output: a summary on stdout and, with --json,
// the figures as JSON.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/client.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string cci = "cci";
  std::string project;
  std::string name = "corpus";
  std::string language;            // python or c (default: from --name: linux → c)
  int edits = 50;
  int branch_files = 1000;
  int poll_us = 1000;              // between two polls of the same question
  int gap_ms = 100;                // pause between two edits (after the previous one is applied)
  int timeout_s = 60;              // per edit / per phase
  int startup_timeout_s = 1800;    // the start-up reconcile of a large tree
  std::string debounce_ms;         // passed to the daemon when given
  std::string json_out;
};

// Set while corpus files may be modified: puts them back and stops the daemon before exiting.
std::function<void()> g_cleanup;

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "watch_bench: %s\n", message.c_str());
  if (auto cleanup = std::exchange(g_cleanup, nullptr)) cleanup();
  std::exit(1);
}

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_bytes(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) die("cannot write " + path.string());
}

// ---- backups -------------------------------------------------------------------------------------

// One corpus file as it was: bytes and modification time (restored too, so `cci index` sees the
// file unchanged by size and mtime, as before the run).
struct Original {
  std::string relative;
  std::string content;
  timespec mtime{};
};

class Backups {
 public:
  Backups(fs::path project, fs::path dir) : project_(std::move(project)), dir_(std::move(dir)) {}

  // Repairs the corpus from a previous run that did not finish.
  void recover() const {
    const fs::path manifest = dir_ / "manifest.json";
    if (!fs::exists(manifest)) return;
    const Json entries = Json::parse(read_bytes(manifest), nullptr, false);
    if (entries.is_discarded()) die("unreadable " + manifest.string() + ": restore the corpus by hand");
    std::size_t restored = 0;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
      const Json& e = *it;
      Original o{e["path"].get<std::string>(), read_bytes(dir_ / std::to_string(e["slot"].get<std::size_t>())),
                 {e["mtime_s"].get<std::time_t>(), e["mtime_ns"].get<long>()}};
      put_back(o);
      ++restored;
    }
    fs::remove_all(dir_);
    std::printf("watch_bench: restored %zu corpus files left modified by an interrupted run\n", restored);
  }

  const Original& save(const std::string& relative) {
    const fs::path path = project_ / relative;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) die("cannot stat " + path.string());
    Original o{relative, read_bytes(path), st.st_mtim};
    fs::create_directories(dir_);
    write_bytes(dir_ / std::to_string(saved_.size()), o.content);
    manifest_.push_back({{"path", relative}, {"slot", saved_.size()}, {"mtime_s", o.mtime.tv_sec}, {"mtime_ns", o.mtime.tv_nsec}});
    // Written after the copy it names, so a manifest never points at a missing copy.
    write_bytes(dir_ / "manifest.json.tmp", manifest_.dump());
    fs::rename(dir_ / "manifest.json.tmp", dir_ / "manifest.json");
    saved_.push_back(std::move(o));
    return saved_.back();
  }

  // Restores the files saved since index `from`, newest first (so even a file saved twice ends
  // up as it was first).
  void restore_from(std::size_t from) {
    for (std::size_t i = saved_.size(); i > from; --i) put_back(saved_[i - 1]);
  }

  // Every saved file as it was first saved, bytes and mtime; the backups go once that holds.
  void verify_and_discard() const {
    std::set<std::string> checked;
    for (const Original& o : saved_) {
      if (!checked.insert(o.relative).second) continue;
      const fs::path path = project_ / o.relative;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || read_bytes(path) != o.content || st.st_mtim.tv_sec != o.mtime.tv_sec ||
          st.st_mtim.tv_nsec != o.mtime.tv_nsec)
        die(path.string() + " differs from its backup; the backups stay in " + dir_.string());
    }
    fs::remove_all(dir_);
  }

  void discard() const { fs::remove_all(dir_); }

 private:
  void put_back(const Original& o) const {
    const fs::path path = project_ / o.relative;
    write_bytes(path, o.content);
    const timespec times[2] = {{0, UTIME_OMIT}, o.mtime};
    if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0) die("cannot restore the mtime of " + path.string());
  }

  fs::path project_;
  fs::path dir_;
  std::vector<Original> saved_;
  Json manifest_ = Json::array();
};

// ---- the daemon ----------------------------------------------------------------------------------

int run_command(const std::vector<std::string>& argv, std::string* output = nullptr) {
  int out_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) die("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(out_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  std::string text;
  char chunk[4096];
  for (ssize_t n; (n = ::read(out_pipe[0], chunk, sizeof chunk)) > 0;) text.append(chunk, static_cast<std::size_t>(n));
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (output) *output = std::move(text);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class Bench {
 public:
  explicit Bench(Options options) : o_(std::move(options)) {
    const char* home = std::getenv("CCI_HOME");
    if (home == nullptr) die("needs CCI_HOME (the data directory holding the corpus's index)");
    home_ = home;
    project_ = fs::canonical(o_.project);
    backups_ = std::make_unique<Backups>(project_, home_ / "watch-bench-backup");
    stamp_ = std::to_string(std::time(nullptr) % 100000000);
    extension_ = o_.language == "c" ? ".c" : ".py";
  }

  int run() {
    backups_->recover();
    g_cleanup = [this] {
      backups_->restore_from(0);
      backups_->discard();
      if (daemon_running_) stop_daemon();
    };
    start_daemon();
    Json result = {{"corpus", o_.name}, {"project", project_.string()}, {"language", o_.language}};
    result["startup"] = wait_watching();
    choose_files();
    result["edits"] = measure_edits();
    result["branch"] = measure_branch();
    // From here a failure keeps the backups (the next run restores from them).
    g_cleanup = [this] { stop_daemon(); };
    backups_->verify_and_discard();
    g_cleanup = nullptr;
    stop_daemon();
    print_summary(result);
    if (!o_.json_out.empty()) std::ofstream(o_.json_out) << result.dump(2) << "\n";
    return 0;
  }

  ~Bench() {
    if (daemon_running_) stop_daemon();
  }

 private:
  // ---- daemon and calls ----

  void start_daemon() {
    std::vector<std::string> args{o_.cci, "mcp-daemon", "start", "--port", "0"};
    if (!o_.debounce_ms.empty()) args.insert(args.end(), {"--debounce-ms", o_.debounce_ms});
    std::string out;
    if (run_command(args, &out) != 0) die("cci mcp-daemon start failed: " + out);
    daemon_running_ = true;
    auto options = cci::client::ClientOptions::for_daemon(home_);
    options.working_directory = project_;
    options.pool_size = 2;
    options.client_name = "watch_bench";
    options.request_timeout = std::chrono::seconds(600);
    auto connected = cci::client::Client::connect(options);
    if (!connected) die("client library: " + connected.error().message);
    client_ = std::move(*connected);
  }

  void stop_daemon() {
    client_.reset();
    std::string out;
    run_command({o_.cci, "mcp-daemon", "stop"}, &out);
    daemon_running_ = false;
  }

  cci::client::ToolCallResult call(const std::string& tool, Json arguments) {
    auto r = client_->call_tool(tool, std::move(arguments));
    if (!r) die(tool + ": " + r.error().message);
    return std::move(*r);
  }

  static std::int64_t meta_value(const cci::client::ToolCallResult& r, const char* key) {
    if (!r.raw.contains("_meta") || !r.raw["_meta"].is_object()) die("a tool result without _meta: " + r.raw.dump().substr(0, 300));
    return r.raw["_meta"].value(key, std::int64_t{-1});
  }

  // One search for `name`: whether a symbol of exactly that name came back, and the changes still
  // pending in the daemon as the result's _meta says.
  struct Probe {
    bool found = false;
    std::int64_t pending = -1;
    std::int64_t generation = -1;
  };
  Probe probe(const std::string& name) {
    const auto r = call("search_code", {{"terms", name}, {"mode", "all"}, {"limit", 10}});
    Probe p;
    p.pending = meta_value(r, "cci/pendingChanges");
    p.generation = meta_value(r, "cci/indexGeneration");
    if (r.is_error) return p;
    for (const auto& hit : r.structured.value("results", Json::array()))
      if (hit.value("name", "") == name) p.found = true;
    return p;
  }

  Json index_status() { return call("get_index_status", {{"limit", 1}}).structured; }

  void sleep_poll() const { std::this_thread::sleep_for(std::chrono::microseconds(o_.poll_us)); }

  // Until no change is pending (cheap: the _meta of a search); returns false on timeout.
  bool wait_no_pending(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (probe("cciwatchbenchidle").pending == 0) return true;
      sleep_poll();
    }
    return false;
  }

  Json wait_watching() {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::seconds(o_.startup_timeout_s);
    std::string state;
    for (;;) {
      const Json status = index_status();
      state = status.value("watch", Json::object()).value("state", "(none)");
      if (state == "watching" && status["watch"].value("pending_paths", 1) == 0 && !status["watch"].value("updating", true))
        break;
      // Degraded (watch limit) or failed: edits would wait for the periodic reconcile, which is
      // not what this measures.
      if (state == "degraded" || state == "failed")
        die("watching is " + state + ": " + status["watch"].value("detail", "") +
            " (for degraded, raise fs.inotify.max_user_watches)");
      if (Clock::now() > deadline) die("the project is still " + state + " after the start-up timeout");
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    const double seconds = ms_since(start) / 1000;
    std::printf("%-9s watching after %.2f s (start-up reconcile)\n", o_.name.c_str(), seconds);
    return {{"watching_s", seconds}};
  }

  // ---- which files ----

  static bool ends_at_file_scope(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::size_t last = content.find_last_not_of(" \t\r\n");
    return last != std::string::npos && (content[last] == '}' || content[last] == ';');
  }

  // Indexed files of the language, spread over the whole tree (every k-th of the sorted list), so
  // edits land in directories of every size.
  void choose_files() {
    std::vector<std::string> candidates;
    std::set<std::pair<dev_t, ino_t>> inodes;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(project_, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string base = it->path().filename().string();
      if (it->is_directory() && base.starts_with(".")) {
        it.disable_recursion_pending();
        continue;
      }
      // Symlinks are skipped and hard links counted once: two paths to one file would back up an
      // already edited copy.
      if (it->is_symlink() || !it->is_regular_file() || it->path().extension() != extension_) continue;
      struct stat st {};
      if (::stat(it->path().c_str(), &st) != 0 || st.st_size > 256 * 1024) continue;
      if (!inodes.emplace(st.st_dev, st.st_ino).second) continue;
      // C files that end in a macro invocation without a semicolon (`module_platform_driver(x)`)
      // would make the appended function part of that statement: no new definition to find.
      if (o_.language == "c" && !ends_at_file_scope(it->path())) continue;
      candidates.push_back(fs::relative(it->path(), project_).string());
    }
    std::sort(candidates.begin(), candidates.end());
    const std::size_t wanted = static_cast<std::size_t>(o_.edits + o_.branch_files);
    const std::size_t stride = std::max<std::size_t>(1, candidates.size() / std::max<std::size_t>(1, wanted));
    std::vector<std::string> ordered;
    for (std::size_t offset = 0; offset < stride; ++offset)
      for (std::size_t i = offset; i < candidates.size(); i += stride) ordered.push_back(candidates[i]);
    std::vector<std::string> chosen;
    for (const auto& relative : ordered) {
      if (chosen.size() == wanted) break;
      const auto outline = call("get_file_outline", {{"path", relative}, {"limit", 1}});
      if (!outline.is_error) chosen.push_back(relative);
    }
    if (chosen.size() < static_cast<std::size_t>(o_.edits)) die("too few indexed " + extension_ + " files");
    edit_files_.assign(chosen.begin(), chosen.begin() + o_.edits);
    branch_files_.assign(chosen.begin() + o_.edits, chosen.end());
    std::printf("%-9s %zu files for edits, %zu for the branch switch (of %zu %s files)\n", o_.name.c_str(),
                edit_files_.size(), branch_files_.size(), candidates.size(), extension_.c_str());
  }

  // One identifier word of letters (digits spelled a-j, the index at a fixed width), so a search
  // for it matches exactly that name: no word splitting, and no name is a prefix of another.
  std::string function_name(std::string_view kind, std::size_t i) const {
    std::string index = std::to_string(i);
    index.insert(0, index.size() < 5 ? 5 - index.size() : 0, '0');
    std::string name = "cciwb" + std::string(kind) + stamp_ + "x" + index;
    for (char& c : name)
      if (c >= '0' && c <= '9') c = static_cast<char>('a' + (c - '0'));
    return name;
  }

  std::string with_function(const std::string& content, const std::string& name, std::size_t i) const {
    std::string out = content;
    if (!out.empty() && out.back() != '\n') out += '\n';
    if (o_.language == "c")
      out += "\nint " + name + "(void)\n{\n\treturn " + std::to_string(i) + ";\n}\n";
    else
      out += "\n\ndef " + name + "():\n    return " + std::to_string(i) + "\n";
    return out;
  }

  // ---- save → searchable ----

  Json measure_edits() {
    if (!wait_no_pending(std::chrono::seconds(o_.timeout_s))) die("changes still pending before the edits");
    const std::size_t first_backup = 0;
    std::vector<double> latencies;
    Json samples = Json::array();
    int timeouts = 0;
    for (std::size_t i = 0; i < edit_files_.size(); ++i) {
      const Original& original = backups_->save(edit_files_[i]);
      const std::string name = function_name("edit", i);
      if (!wait_no_pending(std::chrono::seconds(o_.timeout_s))) die("changes still pending before edit " + std::to_string(i));
      std::this_thread::sleep_for(std::chrono::milliseconds(o_.gap_ms));
      write_bytes(project_ / edit_files_[i], with_function(original.content, name, i));
      const auto saved = Clock::now();
      const auto deadline = saved + std::chrono::seconds(o_.timeout_s);
      int polls = 0;
      bool found = false;
      while (Clock::now() < deadline) {
        ++polls;
        if ((found = probe(name).found)) break;
        sleep_poll();
      }
      const double ms = ms_since(saved);
      if (!found) {
        ++timeouts;
        std::fprintf(stderr, "watch_bench: %s never became searchable (%s)\n", name.c_str(), edit_files_[i].c_str());
      } else {
        latencies.push_back(ms);
      }
      samples.push_back({{"file", edit_files_[i]}, {"ms", found ? ms : -1.0}, {"polls", polls}});
    }
    // Put the files back, and wait until the index has them back too.
    const auto restore_start = Clock::now();
    backups_->restore_from(first_backup);
    bool restored = false;
    const auto deadline = Clock::now() + std::chrono::seconds(o_.timeout_s);
    while (Clock::now() < deadline && !restored) {
      restored = true;
      for (std::size_t i = 0; i < edit_files_.size() && restored; ++i) restored = !probe(function_name("edit", i)).found;
      restored = restored && probe("cciwatchbenchidle").pending == 0;
      if (!restored) sleep_poll();
    }
    if (!restored) {
      std::vector<std::string> still;
      for (std::size_t i = 0; i < edit_files_.size(); ++i)
        if (probe(function_name("edit", i)).found) still.push_back(edit_files_[i]);
      die("the restored edit files were not re-indexed in time: " + std::to_string(still.size()) +
          " still have their new function (first: " + (still.empty() ? std::string("-") : still.front()) +
          "), pending " + std::to_string(probe("cciwatchbenchidle").pending));
    }
    const double restore_ms = ms_since(restore_start);

    std::sort(latencies.begin(), latencies.end());
    Json out = {{"count", edit_files_.size()}, {"timeouts", timeouts}, {"poll_us", o_.poll_us},
                {"restore_all_ms", restore_ms}, {"samples", samples}};
    if (!latencies.empty()) {
      double sum = 0;
      for (double v : latencies) sum += v;
      out["p50_ms"] = percentile(latencies, 50);
      out["p95_ms"] = percentile(latencies, 95);
      out["max_ms"] = latencies.back();
      out["min_ms"] = latencies.front();
      out["mean_ms"] = sum / static_cast<double>(latencies.size());
    }
    return out;
  }

  static double percentile(const std::vector<double>& sorted, double p) {
    const std::size_t rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
  }

  // ---- branch switch ----

  // Polls until every name in `names` is found (`present`) or gone, and nothing is pending. The
  // sample (every 50th name and the last written) is polled first; then every name is checked,
  // and the ones that disagree are polled again.
  struct Converged {
    bool ok = false;
    double sample_ms = 0, all_ms = 0;
    std::size_t unparsed = 0;  // appended functions the parser does not see (the file's own syntax)
  };
  // True when the file's outline lists `name`: the parser produced it, so search must find it.
  bool outline_lists(const std::string& file, const std::string& name) {
    const auto r = call("get_file_outline", {{"path", file}, {"limit", 5000}});
    return !r.is_error && r.structured.dump().find(name) != std::string::npos;
  }

  Converged wait_converged(const std::vector<std::string>& names, bool present, Clock::time_point start,
                           const std::vector<std::string>* files = nullptr) {
    Converged c;
    const auto deadline = start + std::chrono::seconds(o_.timeout_s);
    std::vector<std::string> sample;
    for (std::size_t i = 0; i < names.size(); i += 50) sample.push_back(names[i]);
    if (!names.empty()) sample.push_back(names.back());
    std::vector<std::string> waiting = sample;
    while (!waiting.empty() && Clock::now() < deadline) {
      std::erase_if(waiting, [&](const std::string& n) { return probe(n).found == present; });
      if (!waiting.empty()) sleep_poll();
    }
    c.sample_ms = ms_since(start);
    waiting = names;
    bool idle = false;
    while ((!waiting.empty() || !idle) && Clock::now() < deadline) {
      std::erase_if(waiting, [&](const std::string& n) { return probe(n).found == present; });
      const bool nothing_pending = probe("cciwatchbenchidle").pending == 0;
      if (present && files != nullptr && nothing_pending && !waiting.empty()) {
        // Everything is applied; a name still missing from its file's outline was never a
        // definition to the parser (e.g. a file ending inside a preprocessor block): not staleness.
        std::erase_if(waiting, [&](const std::string& n) {
          const auto it = std::find(names.begin(), names.end(), n);
          const std::string& file = (*files)[static_cast<std::size_t>(it - names.begin())];
          if (outline_lists(file, n)) return false;
          ++c.unparsed;
          return true;
        });
      }
      idle = waiting.empty() && nothing_pending;
      if (!waiting.empty() || !idle) sleep_poll();
    }
    c.all_ms = ms_since(start);
    c.ok = waiting.empty() && idle;
    if (!c.ok)
      std::fprintf(stderr, "watch_bench: %zu of %zu names still %s after %d s\n", waiting.size(), names.size(),
                   present ? "missing" : "present", o_.timeout_s);
    return c;
  }

  Json measure_branch() {
    if (branch_files_.empty()) return Json::object();
    if (!wait_no_pending(std::chrono::seconds(o_.timeout_s))) die("changes still pending before the branch switch");
    const std::uint64_t updates_before = index_status().value("watch", Json::object()).value("updates_applied", std::uint64_t{0});
    const std::int64_t generation_before = probe("cciwatchbenchidle").generation;
    // Backups first (not timed): the switch itself is one burst of writes.
    std::vector<std::string> contents, names;
    const std::size_t first_backup = edit_files_.size();
    for (std::size_t i = 0; i < branch_files_.size(); ++i) {
      const Original& original = backups_->save(branch_files_[i]);
      names.push_back(function_name("branch", i));
      contents.push_back(with_function(original.content, names.back(), i));
    }
    const auto start = Clock::now();
    for (std::size_t i = 0; i < branch_files_.size(); ++i) write_bytes(project_ / branch_files_[i], contents[i]);
    const double write_ms = ms_since(start);
    const Converged switched = wait_converged(names, true, start, &branch_files_);
    const std::int64_t generation_after = probe("cciwatchbenchidle").generation;
    const std::uint64_t updates_after = index_status().value("watch", Json::object()).value("updates_applied", std::uint64_t{0});

    const auto back_start = Clock::now();
    backups_->restore_from(first_backup);
    const double restore_write_ms = ms_since(back_start);
    const Converged back = wait_converged(names, false, back_start);
    const std::uint64_t updates_back = index_status().value("watch", Json::object()).value("updates_applied", std::uint64_t{0});
    if (!switched.ok || !back.ok) std::fprintf(stderr, "watch_bench: the branch switch did not converge in time\n");
    return {{"files", branch_files_.size()},
            {"converged", switched.ok && back.ok},
            {"unparsed", switched.unparsed},
            {"write_ms", write_ms},
            {"sample_searchable_s", switched.sample_ms / 1000},
            {"all_searchable_s", switched.all_ms / 1000},
            {"updates_applied", updates_after - updates_before},
            {"generations", generation_after - generation_before},
            {"restore_write_ms", restore_write_ms},
            {"restore_sample_gone_s", back.sample_ms / 1000},
            {"restore_all_gone_s", back.all_ms / 1000},
            {"restore_updates_applied", updates_back - updates_after}};
  }

  void print_summary(const Json& r) const {
    const Json& e = r["edits"];
    std::printf("%-9s save → searchable (%d edits, poll %d µs): p50 %.1f ms  p95 %.1f ms  max %.1f ms  (timeouts %d)\n",
                o_.name.c_str(), e.value("count", 0), o_.poll_us, e.value("p50_ms", -1.0), e.value("p95_ms", -1.0),
                e.value("max_ms", -1.0), e.value("timeouts", 0));
    const Json& b = r["branch"];
    if (b.empty()) return;
    std::printf("%-9s branch switch, %d files (written in %.0f ms): sample searchable %.2f s, all searchable + idle %.2f s, "
                "%d updates\n",
                o_.name.c_str(), b.value("files", 0), b.value("write_ms", 0.0), b.value("sample_searchable_s", 0.0),
                b.value("all_searchable_s", 0.0), b.value("updates_applied", 0));
    std::printf("%-9s switch back (restore): sample gone %.2f s, all gone + idle %.2f s, %d updates\n", o_.name.c_str(),
                b.value("restore_sample_gone_s", 0.0), b.value("restore_all_gone_s", 0.0),
                b.value("restore_updates_applied", 0));
  }

  Options o_;
  fs::path home_;
  fs::path project_;
  std::unique_ptr<Backups> backups_;
  std::unique_ptr<cci::client::Client> client_;
  bool daemon_running_ = false;
  std::string stamp_;
  std::string extension_;
  std::vector<std::string> edit_files_, branch_files_;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--cci") o.cci = value();
    else if (arg == "--project") o.project = value();
    else if (arg == "--name") o.name = value();
    else if (arg == "--language") o.language = value();
    else if (arg == "--edits") o.edits = std::stoi(value());
    else if (arg == "--branch-files") o.branch_files = std::stoi(value());
    else if (arg == "--poll-us") o.poll_us = std::stoi(value());
    else if (arg == "--gap-ms") o.gap_ms = std::stoi(value());
    else if (arg == "--timeout-s") o.timeout_s = std::stoi(value());
    else if (arg == "--debounce-ms") o.debounce_ms = value();
    else if (arg == "--json") o.json_out = value();
    else die("unknown option " + arg);
  }
  if (o.project.empty()) die("--project is required");
  if (o.language.empty()) o.language = o.name == "linux" ? "c" : "python";
  if (o.language != "c" && o.language != "python") die("--language is c or python");
  if (o.edits < 1 || o.branch_files < 0) die("--edits must be positive, --branch-files not negative");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Bench bench(parse(argc, argv));
  return bench.run();
}
