// daemon/metrics.h — the daemon's request metrics: counters and latency histograms by method and
// tool, a window of recent durations for percentiles, the index updates the watcher applied (by
// kind and outcome, with their durations), process figures from /proc, and their rendering in the
// Prometheus text exposition format (0.0.4) for GET /metrics.
//
// Thread safety: record() is called on every worker thread after each response; everything is
// guarded by one mutex held for a map lookup, so it stays cheap next to a request.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace cci::daemon {

// Figures about this process (Linux /proc and getrusage).
struct ProcessStats {
  std::uint64_t rss_bytes = 0;
  double cpu_seconds = 0;  // user + system
};
ProcessStats read_process_stats();

// The gauges /metrics reports besides the request series, read at scrape time.
struct MetricsGauges {
  std::size_t open_sessions = 0;
  std::size_t projects_loaded = 0;
  std::uint64_t cache_hits = 0;
  std::uint64_t cache_misses = 0;
  std::uint64_t cache_bytes = 0;
  std::uint64_t cache_entries = 0;
  std::size_t index_jobs_running = 0;
  std::uint64_t index_jobs_total = 0;
  std::size_t watched_projects = 0;     // projects the freshness service watches
  std::size_t watch_pending_paths = 0;  // changed paths not yet in an index, over all of them
  ProcessStats process;
  double start_time_seconds = 0;  // Unix time the daemon started
  double uptime_seconds = 0;
};

struct LatencyPercentiles {
  std::size_t samples = 0;  // durations in the window (at most Metrics::kLatencyWindow)
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
};

// Hits over lookups; 0 before the first lookup.
double hit_ratio(std::uint64_t hits, std::uint64_t misses);

// A Prometheus label value with backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

class Metrics {
 public:
  static constexpr std::size_t kLatencyWindow = 4096;
  // Upper bounds of the latency histogram buckets, in seconds (+Inf is implicit).
  static constexpr std::array<double, 17> kBucketBounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                          0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
                                                          0.5,     1,      2.5,     5,      10};
  // Distinct (method, tool) pairs kept; further ones are counted as tool "(other)" so a client
  // sending made-up tool names cannot grow the registry without bound.
  static constexpr std::size_t kMaxSeries = 256;

  void record(std::string_view method, std::string_view tool, std::string_view outcome,
              std::chrono::nanoseconds duration);

  // Upper bounds of the index update histogram buckets, in seconds: updates take milliseconds,
  // reconcile passes of big trees minutes.
  static constexpr std::array<double, 14> kUpdateBucketBounds = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                                 1,     2.5,  5,     10,   30,  60,   300};
  // One index update the watcher applied (`kind`: update, reconcile, exact; `outcome`: ok or
  // error). `seconds` is its duration; failed updates are counted without one.
  void record_watch_update(std::string_view kind, std::string_view outcome, std::optional<double> seconds);

  std::uint64_t requests_total() const;
  LatencyPercentiles latency() const;
  std::string render_prometheus(const MetricsGauges& gauges) const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBucketBounds.size()> buckets{};  // non-cumulative; rendered cumulative
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  using SeriesKey = std::pair<std::string, std::string>;                   // method, tool
  using CounterKey = std::tuple<std::string, std::string, std::string>;    // method, tool, outcome
  // Compares keys of strings with keys of string_views, so a lookup allocates nothing.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return views(a) < views(b);
    }
    template <class... T>
    static auto views(const std::tuple<T...>& key) {
      return std::apply([](const auto&... part) { return std::make_tuple(std::string_view(part)...); }, key);
    }
    template <class A, class B>
    static auto views(const std::pair<A, B>& key) {
      return std::make_tuple(std::string_view(key.first), std::string_view(key.second));
    }
  };

  mutable std::mutex mutex_;
  std::map<CounterKey, std::uint64_t, KeyLess> requests_;
  std::map<SeriesKey, Histogram, KeyLess> durations_;
  std::vector<std::uint64_t> window_ns_;  // ring buffer of the last kLatencyWindow durations
  std::size_t window_next_ = 0;
  std::uint64_t total_ = 0;

  struct UpdateHistogram {
    std::array<std::uint64_t, kUpdateBucketBounds.size()> buckets{};
    std::uint64_t count = 0;
    double sum_seconds = 0;
  };
  std::map<std::pair<std::string, std::string>, std::uint64_t, KeyLess> watch_updates_;  // (kind, outcome)
  std::map<std::string, UpdateHistogram, std::less<>> watch_update_seconds_;              // by kind
};

}  // namespace cci::daemon
