// mcp/search_indexes.cpp — building and handing out the per-project in-memory symbol indexes.
#include "mcp/search_indexes.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/log.h"

// mimalloc, when the binary links it: a build's transient tables (hundreds of MB on the kernel)
// go back to the OS once it is done. Absent with the system allocator.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace cci::mcp {

SearchIndexes::SearchIndexes(std::shared_ptr<ProjectService> service, Options options)
    : service_(std::move(service)), options_(options) {
  builder_ = std::thread([this] { run(); });
}

SearchIndexes::~SearchIndexes() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cancel_.store(true);
  changed_.notify_all();
  builder_.join();
}

std::shared_ptr<const search::SymbolIndex> SearchIndexes::get(const store::ProjectRecord& project,
                                                              const IndexState& state) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = entries_.try_emplace(project.db_path);
  Entry& e = it->second;
  if (inserted) e.project = project;
  e.last_used = ++tick_;
  e.last_seen = state;
  if (e.index && e.built_from == state) return e.index;
  if (!e.queued && !e.building && std::chrono::steady_clock::now() >= e.next_build_allowed) {
    e.queued = true;
    queue_.push_back(project.db_path);
    changed_.notify_all();
  }
  // Bound the memory: the least recently searched projects' indexes go first.
  while (entries_.size() > options_.max_projects) {
    auto victim = entries_.end();
    for (auto i = entries_.begin(); i != entries_.end(); ++i) {
      if (i->second.queued || i->second.building) continue;
      if (victim == entries_.end() || i->second.last_used < victim->second.last_used) victim = i;
    }
    if (victim == entries_.end()) break;
    entries_.erase(victim);
  }
  return nullptr;
}

void SearchIndexes::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    if (changed_.wait_for(lock, options_.start_delay, [&] { return stopping_; })) return;
    const std::string db_path = queue_.front();
    queue_.pop_front();
    auto it = entries_.find(db_path);
    if (it == entries_.end()) continue;
    it->second.queued = false;
    it->second.building = true;
    lock.unlock();
    build_one(db_path);
    lock.lock();
    changed_.notify_all();
  }
}

void SearchIndexes::build_one(const std::string& db_path) {
  store::ProjectRecord project;
  std::uint64_t epoch = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(db_path);
    if (it == entries_.end()) return;
    project = it->second.project;
    epoch = it->second.epoch = epoch_;
  }
  const auto started = std::chrono::steady_clock::now();
  std::shared_ptr<const search::SymbolIndex> index;
  IndexState state;
  std::string error;
  // A connection of its own, closed when done: the build reads the whole index once, and the
  // query connections' settings (the file mapped, a large page cache) would keep all of it.
  // The file is identified before it is opened, as ProjectService does: if a full re-index
  // replaces it in between, the index is marked with the old identity and simply never used.
  struct ::stat file{};
  if (::stat(project.db_path.c_str(), &file) != 0) {
    error = fmt::format("cannot read {}", project.db_path);
  } else if (auto opened = store::IndexStore::open(project.db_path, store::OpenMode::ReadOnly); !opened) {
    error = opened.error().message;
  } else if (Status scan = (*opened)->configure_for_scan(); !scan) {
    error = scan.error().message;
  } else if (auto built = search::SymbolIndex::build(**opened, &cancel_); !built) {
    error = built.error().message;
  } else {
    index = std::move(*built);
    state = {file.st_dev, file.st_ino, index->generation(), index->indexed_at()};
  }
  const auto took = std::chrono::steady_clock::now() - started;
  if (mi_collect != nullptr) mi_collect(true);

  std::lock_guard lock(mutex_);
  auto it = entries_.find(db_path);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.building = false;
  e.next_build_allowed =
      std::chrono::steady_clock::now() +
      std::max<std::chrono::steady_clock::duration>(options_.min_rebuild_interval, 2 * took);
  if (epoch != epoch_) return;  // cleared meanwhile
  if (!index) {
    e.last_error = error;
    log::warn("search index for {} not built: {}", project.root, error);
    return;
  }
  e.index = std::move(index);
  e.built_from = state;
  e.last_error.clear();
  ++e.builds;
  const auto& st = e.index->stats();
  log::info("search index for {} built: {} symbols, {} terms, {:.1f} MiB in {:.2f}s (generation {})", project.root,
            st.symbols, st.terms, static_cast<double>(st.bytes) / (1 << 20), st.build_seconds, state.generation);
}

std::vector<SearchIndexes::Info> SearchIndexes::info() const {
  std::lock_guard lock(mutex_);
  std::vector<Info> out;
  for (const auto& [path, e] : entries_) {
    Info i;
    i.root = e.project.root;
    i.building = e.building || e.queued;
    i.builds = e.builds;
    i.last_error = e.last_error;
    if (e.index) {
      i.generation = e.index->generation();
      i.current = e.built_from == e.last_seen;
      i.symbols = e.index->stats().symbols;
      i.bytes = e.index->stats().bytes;
      i.build_seconds = e.index->stats().build_seconds;
    }
    out.push_back(std::move(i));
  }
  return out;
}

std::size_t SearchIndexes::clear() {
  std::lock_guard lock(mutex_);
  std::size_t dropped = 0;
  ++epoch_;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.index) ++dropped;
    if (it->second.building || it->second.queued) {
      it->second.index.reset();
      ++it;
    } else {
      it = entries_.erase(it);
    }
  }
  return dropped;
}

bool SearchIndexes::wait_idle(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] {
    return queue_.empty() && std::none_of(entries_.begin(), entries_.end(), [](const auto& e) { return e.second.building; });
  });
}

}  // namespace cci::mcp
