// The daemon's metrics: Prometheus text exposition format (0.0.4) that a scraper accepts, and
// latency percentiles over the window of recent requests.
#include "daemon/metrics.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace cci::daemon {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The sample value of the line starting with `prefix` (name and labels exactly).
std::optional<double> sample(const std::string& text, const std::string& prefix) {
  for (const auto& line : lines_of(text))
    if (line.starts_with(prefix + " ")) return std::stod(line.substr(prefix.size() + 1));
  return std::nullopt;
}

TEST(MetricsFormat, EveryLineIsACommentOrAWellFormedSampleOfADeclaredFamily) {
  Metrics metrics;
  metrics.record("tools/call", "search_code", "ok", 120us);
  metrics.record("tools/call", "search_code", "tool_error", 3ms);
  metrics.record("initialize", "", "ok", 40us);
  metrics.record_watch_update("update", "ok", 0.004);
  metrics.record_watch_update("reconcile", "error", std::nullopt);
  MetricsGauges gauges;
  gauges.open_sessions = 2;
  gauges.watched_projects = 3;
  gauges.watch_pending_paths = 7;
  gauges.process = read_process_stats();
  const std::string text = metrics.render_prometheus(gauges);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');

  // name{label="value",...} value — label values may hold escaped quotes and backslashes.
  const std::regex sample_line(R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (\S+)$)re");
  const std::regex help_line(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$)");
  const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  std::map<std::string, std::string> types;
  std::set<std::string> helped;
  for (const auto& line : lines_of(text)) {
    std::smatch m;
    if (std::regex_match(line, m, help_line)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "HELP twice: " << line;
    } else if (std::regex_match(line, m, type_line)) {
      EXPECT_TRUE(helped.contains(m[1])) << "TYPE before HELP: " << line;
      EXPECT_TRUE(types.emplace(m[1], m[2]).second) << "TYPE twice: " << line;
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample_line)) << "malformed: " << line;
      std::string family = m[1];
      for (const char* suffix : {"_bucket", "_sum", "_count"})
        if (!types.contains(family) && family.ends_with(suffix)) family.resize(family.size() - std::strlen(suffix));
      EXPECT_TRUE(types.contains(family)) << "sample before its TYPE: " << line;
      EXPECT_NO_THROW((void)std::stod(m[5])) << line;
    }
  }
  for (const char* family :
       {"cci_requests_total", "cci_request_duration_seconds", "cci_open_sessions", "cci_projects_loaded",
        "cci_result_cache_hits_total", "cci_result_cache_misses_total", "cci_result_cache_hit_ratio",
        "cci_result_cache_bytes", "cci_index_jobs_running", "cci_index_jobs_total", "process_resident_memory_bytes",
        "process_cpu_seconds_total", "process_start_time_seconds", "cci_uptime_seconds", "cci_watch_updates_total",
        "cci_watch_update_seconds", "cci_watched_projects", "cci_watch_pending_paths"})
    EXPECT_TRUE(types.contains(family)) << family;
  EXPECT_EQ(types["cci_requests_total"], "counter");
  EXPECT_EQ(types["cci_request_duration_seconds"], "histogram");
  EXPECT_EQ(types["cci_open_sessions"], "gauge");

  EXPECT_EQ(sample(text, R"(cci_requests_total{method="tools/call",tool="search_code",outcome="ok"})"), 1);
  EXPECT_EQ(sample(text, R"(cci_requests_total{method="tools/call",tool="search_code",outcome="tool_error"})"), 1);
  EXPECT_EQ(sample(text, R"(cci_requests_total{method="initialize",tool="",outcome="ok"})"), 1);
  EXPECT_EQ(sample(text, "cci_open_sessions"), 2);
  EXPECT_GT(*sample(text, "process_resident_memory_bytes"), 0);
  EXPECT_EQ(types["cci_watch_updates_total"], "counter");
  EXPECT_EQ(types["cci_watch_update_seconds"], "histogram");
  EXPECT_EQ(sample(text, "cci_watched_projects"), 3);
  EXPECT_EQ(sample(text, "cci_watch_pending_paths"), 7);
}

TEST(MetricsWatch, UpdatesAreCountedByKindAndOutcomeAndTimedWhenCommitted) {
  Metrics metrics;
  metrics.record_watch_update("update", "ok", 0.004);     // <= 5 ms
  metrics.record_watch_update("update", "ok", 0.2);       // <= 250 ms
  metrics.record_watch_update("update", "error", std::nullopt);
  metrics.record_watch_update("reconcile", "ok", 400.0);  // beyond 300 s: +Inf only
  metrics.record_watch_update("made-up", "ok", 0.001);    // folded into "(other)"
  const std::string text = metrics.render_prometheus({});
  EXPECT_EQ(sample(text, R"(cci_watch_updates_total{kind="update",outcome="ok"})"), 2);
  EXPECT_EQ(sample(text, R"(cci_watch_updates_total{kind="update",outcome="error"})"), 1);
  EXPECT_EQ(sample(text, R"(cci_watch_updates_total{kind="reconcile",outcome="ok"})"), 1);
  EXPECT_EQ(sample(text, R"x(cci_watch_updates_total{kind="(other)",outcome="ok"})x"), 1);
  EXPECT_EQ(sample(text, R"(cci_watch_updates_total{kind="made-up",outcome="ok"})"), std::nullopt);
  auto bucket = [&](const std::string& kind, const std::string& le) {
    return sample(text, "cci_watch_update_seconds_bucket{kind=\"" + kind + "\",le=\"" + le + "\"}");
  };
  EXPECT_EQ(bucket("update", "0.005"), 1);
  EXPECT_EQ(bucket("update", "0.1"), 1);
  EXPECT_EQ(bucket("update", "0.25"), 2);
  EXPECT_EQ(bucket("update", "+Inf"), 2);  // the failure has no duration
  EXPECT_EQ(sample(text, R"(cci_watch_update_seconds_count{kind="update"})"), 2);
  EXPECT_NEAR(*sample(text, R"(cci_watch_update_seconds_sum{kind="update"})"), 0.204, 1e-9);
  EXPECT_EQ(bucket("reconcile", "300"), 0);
  EXPECT_EQ(bucket("reconcile", "+Inf"), 1);
}

TEST(MetricsFormat, HistogramBucketsAreCumulativeAndEndWithInfEqualToCount) {
  Metrics metrics;
  metrics.record("tools/call", "find_definition", "ok", 30us);   // <= 50us
  metrics.record("tools/call", "find_definition", "ok", 700us);  // <= 1ms
  metrics.record("tools/call", "find_definition", "ok", 20s);    // beyond 10s: +Inf only
  const std::string text = metrics.render_prometheus({});
  const std::string labels = R"(method="tools/call",tool="find_definition")";
  auto bucket = [&](const std::string& le) {
    return sample(text, "cci_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"}");
  };
  EXPECT_EQ(bucket("5e-05"), 1);
  EXPECT_EQ(bucket("0.0005"), 1);
  EXPECT_EQ(bucket("0.001"), 2);
  EXPECT_EQ(bucket("10"), 2);
  EXPECT_EQ(bucket("+Inf"), 3);
  EXPECT_EQ(sample(text, "cci_request_duration_seconds_count{" + labels + "}"), 3);
  EXPECT_NEAR(*sample(text, "cci_request_duration_seconds_sum{" + labels + "}"), 20.00073, 1e-6);
  // Monotonic over all buckets in order.
  double previous = 0;
  int buckets = 0;
  for (const auto& line : lines_of(text)) {
    if (!line.starts_with("cci_request_duration_seconds_bucket{" + labels)) continue;
    const double value = std::stod(line.substr(line.rfind(' ') + 1));
    EXPECT_GE(value, previous) << line;
    previous = value;
    ++buckets;
  }
  EXPECT_EQ(buckets, static_cast<int>(Metrics::kBucketBounds.size()) + 1);
}

TEST(MetricsFormat, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a"b\c)"), R"(a\"b\\c)");
  EXPECT_EQ(escape_label_value("line\nbreak"), "line\\nbreak");
  Metrics metrics;
  metrics.record("tools/call", "we\"ird\\tool\n", "ok", 1ms);
  const std::string text = metrics.render_prometheus({});
  EXPECT_NE(text.find(R"(tool="we\"ird\\tool\n")"), std::string::npos) << text;
  for (const auto& line : lines_of(text)) EXPECT_FALSE(line.empty());  // no raw newline split a sample
}

TEST(MetricsFormat, MadeUpToolNamesCannotGrowTheRegistryWithoutBound) {
  Metrics metrics;
  for (int i = 0; i < 1000; ++i) metrics.record("tools/call", "tool" + std::to_string(i), "error", 1ms);
  const std::string text = metrics.render_prometheus({});
  std::size_t series = 0;
  for (const auto& line : lines_of(text)) series += line.starts_with("cci_requests_total{");
  EXPECT_EQ(series, Metrics::kMaxSeries + 1);
  EXPECT_EQ(sample(text, R"x(cci_requests_total{method="(other)",tool="(other)",outcome="error"})x"),
            1000 - static_cast<double>(Metrics::kMaxSeries));
  EXPECT_EQ(metrics.requests_total(), 1000u);
}

TEST(MetricsLatency, PercentilesAreNearestRankOverTheWindow) {
  Metrics metrics;
  EXPECT_EQ(metrics.latency().samples, 0u);
  for (int ms = 100; ms >= 1; --ms) metrics.record("ping", "", "ok", std::chrono::milliseconds(ms));
  LatencyPercentiles p = metrics.latency();
  EXPECT_EQ(p.samples, 100u);
  EXPECT_DOUBLE_EQ(p.p50_ms, 50);
  EXPECT_DOUBLE_EQ(p.p90_ms, 90);
  EXPECT_DOUBLE_EQ(p.p99_ms, 99);
}

TEST(MetricsLatency, OnlyTheLastWindowOfRequestsCounts) {
  Metrics metrics;
  for (std::size_t i = 0; i < Metrics::kLatencyWindow; ++i) metrics.record("ping", "", "ok", 1s);
  for (std::size_t i = 0; i < Metrics::kLatencyWindow; ++i) metrics.record("ping", "", "ok", 2ms);
  const LatencyPercentiles p = metrics.latency();
  EXPECT_EQ(p.samples, Metrics::kLatencyWindow);
  EXPECT_DOUBLE_EQ(p.p99_ms, 2);
  EXPECT_EQ(metrics.requests_total(), 2 * Metrics::kLatencyWindow);
}

TEST(MetricsGauges, CacheHitRatio) {
  EXPECT_EQ(hit_ratio(0, 0), 0);
  EXPECT_DOUBLE_EQ(hit_ratio(3, 1), 0.75);
  MetricsGauges g;
  g.cache_hits = 3;
  g.cache_misses = 1;
  EXPECT_EQ(sample(Metrics().render_prometheus(g), "cci_result_cache_hit_ratio"), 0.75);
}

TEST(ProcessStats, ReadsThisProcess) {
  const ProcessStats stats = read_process_stats();
  EXPECT_GT(stats.rss_bytes, 1u << 20);
  EXPECT_GE(stats.cpu_seconds, 0);
}

}  // namespace
}  // namespace cci::daemon
