// search_bench — the cost of search_code's query itself, without any transport: SQL (FTS5 +
// store/scoring.h) against the in-memory SymbolIndex on one index, side by side in one run, plus
// what building the SymbolIndex costs (time, memory). Driven by bench/run.sh --search.
//
//   search_bench --db INDEX.db --terms a,b,c [--rounds N] [--limit N] [--json OUT]
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "search/searcher.h"
#include "search/symbol_index.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); }

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

long rss_kib() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  std::fclose(f);
  return kib;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    std::size_t end = s.find(',', pos);
    if (end == std::string::npos) end = s.size();
    if (end > pos) out.push_back(s.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db_path, terms_arg, json_path;
  std::size_t rounds = 20, limit = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--db") db_path = value;
    else if (flag == "--terms") terms_arg = value;
    else if (flag == "--rounds") rounds = std::stoul(value);
    else if (flag == "--limit") limit = std::stoul(value);
    else if (flag == "--json") json_path = value;
    else {
      fmt::print(stderr, "unknown option {}\n", flag);
      return 2;
    }
  }
  if (db_path.empty() || terms_arg.empty()) {
    fmt::print(stderr, "usage: search_bench --db INDEX.db --terms a,b,c [--rounds N] [--limit N] [--json OUT]\n");
    return 2;
  }
  auto opened = cci::store::IndexStore::open(db_path, cci::store::OpenMode::ReadOnly);
  if (!opened) {
    fmt::print(stderr, "{}\n", opened.error().describe());
    return 1;
  }
  auto& db = **opened;
  const auto terms = split(terms_arg);

  const long rss_before = rss_kib();
  const auto build_start = Clock::now();
  auto built = cci::search::SymbolIndex::build(db);
  if (!built) {
    fmt::print(stderr, "build: {}\n", built.error().describe());
    return 1;
  }
  const double build_ms = ms_since(build_start);
  const auto& index = **built;
  const long rss_after = rss_kib();
  fmt::print("SymbolIndex: {} symbols, {} terms, {} postings, {:.1f} MiB (RSS +{:.1f} MiB) built in {:.0f} ms\n",
             index.stats().symbols, index.stats().terms, index.stats().postings,
             static_cast<double>(index.stats().bytes) / (1 << 20), static_cast<double>(rss_after - rss_before) / 1024,
             build_ms);

  cci::search::Searcher sql(db);
  cci::search::Searcher memory(db, &index);
  std::map<std::string, std::vector<double>> times;  // "sql" / "memory" / per term
  std::vector<double> all_sql, all_memory;
  std::size_t mismatches = 0;
  for (std::size_t round = 0; round < rounds; ++round) {
    for (const auto& term : terms) {
      const cci::search::SearchRequest request{{term}, cci::search::MatchMode::Any, {}, limit, 0};
      auto t0 = Clock::now();
      auto a = memory.search(request);
      const double memory_ms = ms_since(t0);
      // SQL is slow on generic terms: a few rounds are enough for its distribution.
      if (round < std::min<std::size_t>(rounds, 3)) {
        t0 = Clock::now();
        auto b = sql.search(request);
        const double sql_ms = ms_since(t0);
        all_sql.push_back(sql_ms);
        times["sql " + term].push_back(sql_ms);
        if (!a || !b || a->hits.size() != b->hits.size()) {
          ++mismatches;
        } else {
          for (std::size_t i = 0; i < a->hits.size(); ++i)
            if (a->hits[i].symbol.id != b->hits[i].symbol.id || a->hits[i].score != b->hits[i].score) ++mismatches;
        }
      }
      all_memory.push_back(memory_ms);
      times["memory " + term].push_back(memory_ms);
    }
  }
  fmt::print("{:<28} {:>12} {:>12} {:>12}\n", "term", "sql p50 ms", "memory p50", "memory max");
  for (const auto& term : terms)
    fmt::print("{:<28} {:>12.3f} {:>12.4f} {:>12.4f}\n", term, percentile(times["sql " + term], 0.5),
               percentile(times["memory " + term], 0.5), percentile(times["memory " + term], 1.0));
  fmt::print("all terms: sql p50 {:.3f} ms p99 {:.3f} ms; memory p50 {:.4f} ms p99 {:.4f} ms; {} mismatching pages\n",
             percentile(all_sql, 0.5), percentile(all_sql, 0.99), percentile(all_memory, 0.5),
             percentile(all_memory, 0.99), mismatches);
  if (!json_path.empty()) {
    std::ofstream out(json_path);
    out << fmt::format(
        "{{\"symbols\": {}, \"terms\": {}, \"postings\": {}, \"index_bytes\": {}, \"rss_growth_kib\": {}, "
        "\"build_ms\": {:.1f}, \"sql_p50_ms\": {:.4f}, \"sql_p99_ms\": {:.4f}, \"memory_p50_ms\": {:.5f}, "
        "\"memory_p99_ms\": {:.5f}, \"mismatches\": {}}}\n",
        index.stats().symbols, index.stats().terms, index.stats().postings, index.stats().bytes,
        rss_after - rss_before, build_ms, percentile(all_sql, 0.5), percentile(all_sql, 0.99),
        percentile(all_memory, 0.5), percentile(all_memory, 0.99), mismatches);
  }
  return mismatches == 0 ? 0 : 1;
}
