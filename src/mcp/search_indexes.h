// mcp/search_indexes.h — the in-memory symbol indexes (search/symbol_index.h) a long-lived server
// keeps, one per project it serves, so search_code does not pay FTS5's cost per match.
//
// An index answers only for the exact state it was built from (index file, generation,
// indexed_at): a query against any other state goes to SQL, and asks for a rebuild. Builds run
// on one background thread, never on a tool call's thread; a project is rebuilt at most once per
// max(min_rebuild_interval, 2 × its last build time), so a project changing every second (the
// watcher on a busy tree) costs at most half a core while searches use SQL in between. Indexes of
// the projects searched least recently are dropped beyond `max_projects`.
//
// Thread safety: every member may be called from any thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mcp/project_service.h"
#include "search/symbol_index.h"

namespace cci::mcp {

// The state of an index a result is computed from.
struct IndexState {
  dev_t device = 0;
  ino_t inode = 0;
  std::string generation;
  std::string indexed_at;
  bool operator==(const IndexState&) const = default;
};

class SearchIndexes {
 public:
  struct Options {
    std::size_t max_projects = 4;
    std::chrono::milliseconds min_rebuild_interval{2000};
    // A build starts this long after it is asked for: a process that answers one call and exits
    // (a host spawning `cci mcp-server` per request) never pays for one.
    std::chrono::milliseconds start_delay{300};
  };
  struct Info {
    std::string root;
    std::string generation;    // of the built index ("" while the first build runs)
    bool current = false;      // built from the state the last query saw
    bool building = false;
    std::size_t symbols = 0;
    std::size_t bytes = 0;
    double build_seconds = 0.0;
    std::uint64_t builds = 0;
    std::string last_error;
  };

  SearchIndexes(std::shared_ptr<ProjectService> service, Options options);
  ~SearchIndexes();  // cancels a running build and joins the builder thread
  SearchIndexes(const SearchIndexes&) = delete;
  SearchIndexes& operator=(const SearchIndexes&) = delete;

  // The index built from exactly `state`, or null (and a build is scheduled when allowed).
  std::shared_ptr<const search::SymbolIndex> get(const store::ProjectRecord& project, const IndexState& state);

  std::vector<Info> info() const;
  // Drops every index (manage_cache clear); a running build finishes but is discarded.
  std::size_t clear();
  // Blocks until no build is queued or running (tests, benchmarks); false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout) const;

 private:
  struct Entry {
    store::ProjectRecord project;
    std::shared_ptr<const search::SymbolIndex> index;
    IndexState built_from;
    IndexState last_seen;
    bool queued = false;
    bool building = false;
    std::chrono::steady_clock::time_point next_build_allowed{};
    std::uint64_t last_used = 0;
    std::uint64_t builds = 0;
    std::uint64_t epoch = 0;  // bumped by clear(): a build of an older epoch is discarded
    std::string last_error;
  };

  void run();
  void build_one(const std::string& db_path);

  std::shared_ptr<ProjectService> service_;
  Options options_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::map<std::string, Entry> entries_;  // by db path
  std::deque<std::string> queue_;
  std::uint64_t tick_ = 0;
  std::uint64_t epoch_ = 0;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  std::thread builder_;
};

}  // namespace cci::mcp
