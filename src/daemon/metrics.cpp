// daemon/metrics.cpp — request counters, latency histograms and percentiles, /proc figures, and
// the Prometheus text format.
#include "daemon/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <type_traits>

namespace cci::daemon {

ProcessStats read_process_stats() {
  ProcessStats stats;
  // statm: size resident shared ... in pages.
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    const long page = ::sysconf(_SC_PAGESIZE);
    stats.rss_bytes = resident_pages * static_cast<std::uint64_t>(page > 0 ? page : 4096);
  }
  rusage usage{};
  if (::getrusage(RUSAGE_SELF, &usage) == 0) {
    auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    stats.cpu_seconds = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  }
  return stats;
}

double hit_ratio(std::uint64_t hits, std::uint64_t misses) {
  const std::uint64_t lookups = hits + misses;
  return lookups == 0 ? 0.0 : static_cast<double>(hits) / static_cast<double>(lookups);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

void Metrics::record(std::string_view method, std::string_view tool, std::string_view outcome,
                     std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kBucketBounds.begin(), kBucketBounds.end(), seconds) - kBucketBounds.begin());
  const std::uint64_t ns = duration.count() > 0 ? static_cast<std::uint64_t>(duration.count()) : 0;

  std::lock_guard lock(mutex_);
  auto series = durations_.find(std::make_pair(method, tool));
  if (series == durations_.end()) {
    if (durations_.size() >= kMaxSeries) {
      method = "(other)";
      tool = "(other)";
      series = durations_.find(std::make_pair(method, tool));
    }
    if (series == durations_.end())
      series = durations_.emplace(SeriesKey{std::string(method), std::string(tool)}, Histogram{}).first;
  }
  Histogram& h = series->second;
  if (bucket < h.buckets.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum_seconds += seconds;

  const auto key = std::make_tuple(method, tool, outcome);
  auto counter = requests_.find(key);
  if (counter == requests_.end())
    counter = requests_.emplace(std::make_tuple(std::string(method), std::string(tool), std::string(outcome)), 0).first;
  ++counter->second;

  if (window_ns_.size() < kLatencyWindow) {
    window_ns_.push_back(ns);
  } else {
    window_ns_[window_next_] = ns;
  }
  window_next_ = (window_next_ + 1) % kLatencyWindow;
  ++total_;
}

void Metrics::record_watch_update(std::string_view kind, std::string_view outcome, std::optional<double> seconds) {
  std::lock_guard lock(mutex_);
  // The freshness service names a handful of kinds; anything else is folded so the series stay few.
  if (kind != "update" && kind != "reconcile" && kind != "exact") kind = "(other)";
  auto counter = watch_updates_.find(std::make_pair(kind, outcome));
  if (counter == watch_updates_.end())
    counter = watch_updates_.emplace(std::make_pair(std::string(kind), std::string(outcome)), 0).first;
  ++counter->second;
  if (!seconds) return;
  auto series = watch_update_seconds_.find(kind);
  if (series == watch_update_seconds_.end()) series = watch_update_seconds_.emplace(std::string(kind), UpdateHistogram{}).first;
  UpdateHistogram& h = series->second;
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(kUpdateBucketBounds.begin(), kUpdateBucketBounds.end(), *seconds) - kUpdateBucketBounds.begin());
  if (bucket < h.buckets.size()) ++h.buckets[bucket];
  ++h.count;
  h.sum_seconds += *seconds;
}

std::uint64_t Metrics::requests_total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

LatencyPercentiles Metrics::latency() const {
  std::vector<std::uint64_t> sorted;
  {
    std::lock_guard lock(mutex_);
    sorted = window_ns_;
  }
  LatencyPercentiles p;
  p.samples = sorted.size();
  if (sorted.empty()) return p;
  std::sort(sorted.begin(), sorted.end());
  // Nearest-rank: the smallest sample with at least q of the window at or below it.
  auto at = [&](double q) {
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    const std::size_t index = std::clamp<std::size_t>(rank, 1, sorted.size()) - 1;
    return static_cast<double>(sorted[index]) / 1e6;
  };
  p.p50_ms = at(0.50);
  p.p90_ms = at(0.90);
  p.p99_ms = at(0.99);
  return p;
}

namespace {

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

// Prometheus floats: integers without a fraction, others in shortest round-trip form.
std::string number(double value) { return fmt::format("{}", value); }

// One Prometheus histogram series: cumulative buckets, +Inf, sum and count.
template <typename Out, typename Bounds, typename Histogram>
void write_histogram(Out it, std::string_view name, std::string_view labels, const Bounds& bounds, const Histogram& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    cumulative += h.buckets[i];
    fmt::format_to(it, "{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, number(bounds[i]), cumulative);
  }
  fmt::format_to(it, "{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, h.count);
  fmt::format_to(it, "{}_sum{{{}}} {}\n", name, labels, number(h.sum_seconds));
  fmt::format_to(it, "{}_count{{{}}} {}\n", name, labels, h.count);
}

}  // namespace

std::string Metrics::render_prometheus(const MetricsGauges& g) const {
  std::string out;
  auto it = std::back_inserter(out);
  {
    std::lock_guard lock(mutex_);
    header(out, "cci_requests_total", "counter", "MCP requests answered, by method, tool (tools/call) and outcome.");
    for (const auto& [key, count] : requests_) {
      const auto& [method, tool, outcome] = key;
      fmt::format_to(it, "cci_requests_total{{method=\"{}\",tool=\"{}\",outcome=\"{}\"}} {}\n",
                     escape_label_value(method), escape_label_value(tool), escape_label_value(outcome), count);
    }
    header(out, "cci_request_duration_seconds", "histogram",
           "Time from receiving an MCP request to sending its response, by method and tool.");
    for (const auto& [key, h] : durations_) {
      const std::string labels =
          fmt::format("method=\"{}\",tool=\"{}\"", escape_label_value(key.first), escape_label_value(key.second));
      write_histogram(it, "cci_request_duration_seconds", labels, kBucketBounds, h);
    }
    header(out, "cci_watch_updates_total", "counter",
           "Index updates applied by the watcher, by kind (update, reconcile, exact) and outcome (ok, error).");
    for (const auto& [key, count] : watch_updates_)
      fmt::format_to(it, "cci_watch_updates_total{{kind=\"{}\",outcome=\"{}\"}} {}\n", escape_label_value(key.first),
                     escape_label_value(key.second), count);
    header(out, "cci_watch_update_seconds", "histogram", "Duration of the index updates the watcher committed, by kind.");
    for (const auto& [kind, h] : watch_update_seconds_) {
      const std::string label = fmt::format("kind=\"{}\"", escape_label_value(kind));
      write_histogram(it, "cci_watch_update_seconds", label, kUpdateBucketBounds, h);
    }
  }
  auto gauge = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
    header(out, name, type, help);
    if constexpr (std::is_floating_point_v<decltype(value)>) {
      fmt::format_to(it, "{} {}\n", name, number(value));
    } else {
      fmt::format_to(it, "{} {}\n", name, value);
    }
  };
  gauge("cci_open_sessions", "gauge", "MCP sessions open (WebSocket, Streamable HTTP and Unix socket).", g.open_sessions);
  gauge("cci_projects_loaded", "gauge", "Project indexes with an open connection.", g.projects_loaded);
  gauge("cci_result_cache_hits_total", "counter", "Tool results served from the result cache.", g.cache_hits);
  gauge("cci_result_cache_misses_total", "counter", "Tool results computed because the cache had none.", g.cache_misses);
  gauge("cci_result_cache_hit_ratio", "gauge", "Result cache hits over lookups since start.",
        hit_ratio(g.cache_hits, g.cache_misses));
  gauge("cci_result_cache_bytes", "gauge", "Bytes held by the result cache.", g.cache_bytes);
  gauge("cci_result_cache_entries", "gauge", "Entries in the result cache.", g.cache_entries);
  gauge("cci_index_jobs_running", "gauge", "index_codebase calls running now.", g.index_jobs_running);
  gauge("cci_index_jobs_total", "counter", "index_codebase calls finished, any outcome.", g.index_jobs_total);
  gauge("cci_watched_projects", "gauge", "Projects whose index the daemon keeps current.", g.watched_projects);
  gauge("cci_watch_pending_paths", "gauge", "Changed paths not yet applied to an index, over all watched projects.",
        g.watch_pending_paths);
  gauge("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", g.process.rss_bytes);
  gauge("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", g.process.cpu_seconds);
  gauge("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
        g.start_time_seconds);
  gauge("cci_uptime_seconds", "gauge", "Seconds since the daemon started.", g.uptime_seconds);
  return out;
}

}  // namespace cci::daemon
