// search/symbol_index.h — search_code answered from memory: an inverted index over one project's
// symbols, built from the store by a long-lived server (the daemon, `cci mcp-server`).
//
// It returns what IndexStore::search_symbols returns for the same state of the index: the same
// matches, in the same order, with the same scores (both score with store/scoring.h). What
// differs is the cost. FTS5 must visit every match of a query before it can sort them; here the
// symbols are numbered by the query-independent part of their score, every posting list is kept
// in that order, and the search stops as soon as no symbol further down the lists can enter the
// requested page. A generic word on the Linux index (hundreds of thousands of matches) costs
// about as much as a rare one.
//
// Matching is by tokens as FTS5 makes them from ASCII text (store::for_each_fts_token); the
// lists record which tokens each column class of a symbol holds, so a one-word phrase is decided
// from the lists alone, and a phrase of several words is confirmed on the symbol's text (the
// lists only say the words occur, not that they are adjacent).
//
// Thread safety: immutable once built; search() may run on any number of threads at once, each
// with its own IndexStore connection to the same index (records of the page are read from it).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/index_store.h"
#include "store/scoring.h"

namespace cci::search {

struct SymbolIndexQuery {
  std::vector<store::SearchPhrase> phrases;
  bool all = false;             // every phrase must match (else at least one)
  std::string exact_key;        // name key earning store::kExactNameBonus; empty = none
  store::SymbolFilter filter;
  std::size_t limit = 20;       // 0 = every match
  std::size_t offset = 0;
};

class SymbolIndex {
 public:
  struct Stats {
    std::size_t symbols = 0;
    std::size_t files = 0;
    std::size_t terms = 0;
    std::size_t lists = 0;
    std::size_t postings = 0;
    std::size_t bytes = 0;        // memory held by the index
    double build_seconds = 0.0;
  };

  // Reads every symbol of `store` inside one read snapshot. `cancel` (optional) is polled; a
  // cancelled build returns ErrorCode::Cancelled.
  static Result<std::shared_ptr<const SymbolIndex>> build(store::IndexStore& store,
                                                          const std::atomic<bool>* cancel = nullptr);

  // The page of hits for `query`. `store` must read the same state of the index the index was
  // built from (same file, same generation); it supplies the records.
  Result<std::vector<store::SymbolHit>> search(store::IndexStore& store, const SymbolIndexQuery& query) const;

  const Stats& stats() const { return stats_; }
  // meta "generation" and "indexed_at" of the state the index was built from.
  const std::string& generation() const { return generation_; }
  const std::string& indexed_at() const { return indexed_at_; }

  SymbolIndex(const SymbolIndex&) = delete;
  SymbolIndex& operator=(const SymbolIndex&) = delete;
  ~SymbolIndex();

  // Column classes the lists are kept for: name (words and name columns share a weight),
  // qualified name, path, signature, doc.
  static constexpr std::size_t kClassCount = 5;

  // Where a list continues after every kSkipSpan-th posting (symbol_index.cpp).
  struct Skip {
    std::uint32_t rank = 0;         // of that posting
    std::uint32_t next_offset = 0;  // of the posting after it, from the list's start
  };

 private:
  SymbolIndex();
  friend class SymbolIndexBuilder;
  friend class SymbolIndexSearch;

  struct FileInfo {
    FileId id = 0;
    Language language = Language::Unknown;
    std::string path;
  };
  struct ListInfo {
    std::uint64_t offset = 0;      // into postings_
    std::uint32_t count = 0;
    std::uint32_t first_skip = 0;  // into skips_; a list's entries end where the next list's start
  };
  struct KeyEntry {
    std::uint64_t hash = 0;
    std::uint32_t start = 0;    // into key_ranks_; the entry's ranks end where the next entry's start
  };

  // Per symbol, by rank (descending static score, then ascending id).
  std::vector<SymbolId> ids_;
  std::vector<float> static_;
  std::vector<std::uint8_t> kinds_;
  std::vector<std::uint32_t> file_of_;
  std::vector<FileInfo> files_;

  // Terms in byte order; term_lists_[t][c] = 1 + index into lists_, 0 = no list.
  std::string term_chars_;
  std::vector<std::uint32_t> term_offsets_;  // terms + 1 entries
  std::vector<std::array<std::uint32_t, kClassCount>> term_lists_;
  std::vector<ListInfo> lists_;
  std::vector<std::uint8_t> postings_;       // per list: rank deltas, LEB128
  std::vector<Skip> skips_;

  // Symbols by name key (hash), ranks ascending within a key.
  std::vector<KeyEntry> keys_;
  std::vector<std::uint32_t> key_ranks_;

  std::string generation_;
  std::string indexed_at_;
  Stats stats_;
};

}  // namespace cci::search
