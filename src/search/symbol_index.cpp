// search/symbol_index.cpp — building the in-memory symbol index and answering from it.
#include "search/symbol_index.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <limits>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "core/hash.h"

namespace cci::search {
namespace {

using store::TextColumn;

constexpr std::uint32_t kEnd = std::numeric_limits<std::uint32_t>::max();

// The FTS column each class stands for in a phrase's column mask: the classes' weights are the
// columns' weights (words and name weigh the same, so the name class answers for both).
constexpr std::array<TextColumn, SymbolIndex::kClassCount> kClassColumn{
    TextColumn::Words, TextColumn::QualifiedName, TextColumn::Path, TextColumn::Signature, TextColumn::Doc};

std::uint8_t column_bit(std::size_t cls) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(kClassColumn[cls])); }

void put_varint(std::vector<std::uint8_t>& out, std::uint32_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

struct TransparentHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// ---- cursors over posting lists (ranks ascending) ----------------------------------------------

class Cursor {
 public:
  virtual ~Cursor() = default;
  std::uint32_t current() const { return current_; }
  // Moves to the first rank >= target (kEnd when none).
  virtual void advance_to(std::uint32_t target) = 0;
  // How many ranks it yields at most: intersections probe their largest parts last.
  virtual std::uint64_t size_bound() const = 0;

 protected:
  std::uint32_t current_ = kEnd;
};

// Every kSkipSpan postings a list records where the next one starts, so that an intersection
// can jump over the long lists' stretches that the short list does not need.
constexpr std::uint32_t kSkipSpan = 64;

class ListCursor final : public Cursor {
 public:
  ListCursor(const std::uint8_t* data, std::uint32_t count, const SymbolIndex::Skip* skips, std::uint32_t skip_count)
      : base_(data), data_(data), remaining_(count), count_(count), skips_(skips), skip_count_(skip_count) {
    step();
  }
  void advance_to(std::uint32_t target) override {
    if (current_ >= target) return;
    // The last skip entry before `target` that lies ahead of where we are.
    std::uint32_t k = next_skip_;
    if (k < skip_count_ && skips_[k].rank < target) {
      while (k + 1 < skip_count_ && skips_[k + 1].rank < target) ++k;
      const std::uint32_t consumed = (k + 1) * kSkipSpan;  // postings up to and including the entry's
      if (consumed > count_ - remaining_) {
        value_ = skips_[k].rank;
        data_ = base_ + skips_[k].next_offset;
        remaining_ = count_ - consumed;
        current_ = value_;
      }
      next_skip_ = k + 1;
    }
    while (current_ < target) step();
  }
  std::uint64_t size_bound() const override { return count_; }

 private:
  void step() {
    if (remaining_ == 0) {
      current_ = kEnd;
      return;
    }
    --remaining_;
    std::uint32_t delta = 0;
    unsigned shift = 0;
    std::uint8_t byte = 0;
    do {
      byte = *data_++;
      delta |= static_cast<std::uint32_t>(byte & 0x7F) << shift;
      shift += 7;
    } while (byte & 0x80);
    // The first posting is stored as its rank, the others as the gap to the previous.
    value_ = started_ ? value_ + delta : delta;
    started_ = true;
    current_ = value_;
  }
  const std::uint8_t* base_;
  const std::uint8_t* data_;
  std::uint32_t remaining_;
  std::uint32_t count_;
  const SymbolIndex::Skip* skips_;
  std::uint32_t skip_count_;
  std::uint32_t next_skip_ = 0;
  std::uint32_t value_ = 0;
  bool started_ = false;
};

// The union of many lists (the terms a prefix expands to): a min-heap on their current ranks.
// The lists are held by value: a short prefix can expand to thousands of terms.
class UnionCursor final : public Cursor {
 public:
  explicit UnionCursor(std::vector<ListCursor> parts) : parts_(std::move(parts)) {
    heap_.reserve(parts_.size());
    for (std::uint32_t i = 0; i < parts_.size(); ++i) {
      size_ += parts_[i].size_bound();
      if (parts_[i].current() != kEnd) heap_.push_back(i);
    }
    std::make_heap(heap_.begin(), heap_.end(), later());
    refresh();
  }
  void advance_to(std::uint32_t target) override {
    while (!heap_.empty() && parts_[heap_.front()].current() < target) {
      std::pop_heap(heap_.begin(), heap_.end(), later());
      const std::uint32_t i = heap_.back();
      parts_[i].advance_to(target);
      if (parts_[i].current() == kEnd) {
        heap_.pop_back();
      } else {
        std::push_heap(heap_.begin(), heap_.end(), later());
      }
    }
    refresh();
  }
  std::uint64_t size_bound() const override { return size_; }

 private:
  struct Later {
    const std::vector<ListCursor>* parts;
    bool operator()(std::uint32_t a, std::uint32_t b) const { return (*parts)[a].current() > (*parts)[b].current(); }
  };
  Later later() const { return Later{&parts_}; }
  void refresh() { current_ = heap_.empty() ? kEnd : parts_[heap_.front()].current(); }
  std::vector<ListCursor> parts_;
  std::vector<std::uint32_t> heap_;
  std::uint64_t size_ = 0;
};

// Ranks present in every part (the words of one phrase in one column class).
class IntersectCursor final : public Cursor {
 public:
  // The smallest part proposes, the larger ones (a common word, a short prefix's many terms)
  // are only asked about ranks every smaller part holds.
  explicit IntersectCursor(std::vector<std::unique_ptr<Cursor>> parts) : parts_(std::move(parts)) {
    std::stable_sort(parts_.begin(), parts_.end(),
                     [](const auto& a, const auto& b) { return a->size_bound() < b->size_bound(); });
    settle(0);
  }
  void advance_to(std::uint32_t target) override {
    if (current_ < target) settle(target);
  }
  std::uint64_t size_bound() const override { return parts_.front()->size_bound(); }

 private:
  void settle(std::uint32_t target) {
    std::uint32_t candidate = target;
    for (;;) {
      bool agreed = true;
      for (auto& part : parts_) {
        part->advance_to(candidate);
        if (part->current() == kEnd) {
          current_ = kEnd;
          return;
        }
        if (part->current() > candidate) {
          candidate = part->current();
          agreed = false;
          break;  // back to the smallest part with the new candidate
        }
      }
      if (agreed) {
        current_ = candidate;
        return;
      }
    }
  }
  std::vector<std::unique_ptr<Cursor>> parts_;
};

struct Candidate {
  double score = 0.0;
  double text = 0.0;
  SymbolId id = 0;
  std::uint32_t rank = 0;
};

// Page order: score descending, then id ascending (as SQL's ORDER BY score DESC, s.id).
bool ranks_before(double score_a, SymbolId id_a, double score_b, SymbolId id_b) {
  return score_a != score_b ? score_a > score_b : id_a < id_b;
}

}  // namespace

// ================================================================================================
// Building
// ================================================================================================

class SymbolIndexBuilder {
 public:
  explicit SymbolIndexBuilder(SymbolIndex& index) : index_(index) {}

  Status read(store::IndexStore& store, const std::atomic<bool>* cancel) {
    auto files = store.files();
    if (!files) return std::unexpected(files.error());
    std::unordered_map<FileId, std::uint32_t> file_index;
    file_index.reserve(files->size());
    for (auto& f : *files) {
      file_index.emplace(f.id, static_cast<std::uint32_t>(index_.files_.size()));
      index_.files_.push_back({f.id, f.language, std::move(f.path)});
    }
    std::string scratch;
    std::size_t rows = 0;
    Status scanned = store.for_each_search_row([&](const store::SearchRow& row) {
      if ((++rows & 0x3FFF) == 0 && cancel != nullptr && cancel->load(std::memory_order_relaxed)) return false;
      const auto symbol = static_cast<std::uint32_t>(ids_.size());
      ids_.push_back(row.id);
      statics_.push_back(static_cast<float>(store::static_score(row.importance, row.name)));
      kinds_.push_back(static_cast<std::uint8_t>(row.kind));
      auto file = file_index.find(row.file_id);
      file_of_.push_back(file == file_index.end() ? 0 : file->second);
      key_hashes_.push_back(hash64(store::symbol_name_key(row.name)));
      const std::string_view class_texts[SymbolIndex::kClassCount][2] = {
          {row.words, row.name}, {row.qualified_name, {}}, {row.path, {}}, {row.signature, {}}, {row.doc, {}}};
      for (std::size_t cls = 0; cls < SymbolIndex::kClassCount; ++cls) {
        for (std::string_view text : class_texts[cls]) {
          if (text.empty()) continue;
          store::for_each_fts_token(text, scratch, [&](std::string_view token) { add(token, cls, symbol); });
        }
      }
      return true;
    });
    if (!scanned && scanned.error().code == ErrorCode::Cancelled)
      return make_error(ErrorCode::Cancelled, "building the search index was cancelled");
    return scanned;
  }

  // False when cancelled midway (the index is then unusable).
  bool finish(const std::atomic<bool>* cancel) {
    const std::size_t n = ids_.size();
    // Rank = position in (static descending, id ascending): the order every list is kept in.
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return statics_[a] != statics_[b] ? statics_[a] > statics_[b] : ids_[a] < ids_[b];
    });
    std::vector<std::uint32_t> rank_of(n);
    for (std::uint32_t r = 0; r < n; ++r) rank_of[order[r]] = r;
    index_.ids_.resize(n);
    index_.static_.resize(n);
    index_.kinds_.resize(n);
    index_.file_of_.resize(n);
    for (std::uint32_t r = 0; r < n; ++r) {
      const std::uint32_t s = order[r];
      index_.ids_[r] = ids_[s];
      index_.static_[r] = statics_[s];
      index_.kinds_[r] = kinds_[s];
      index_.file_of_[r] = file_of_[s];
    }
    release(ids_);
    release(statics_);
    release(kinds_);
    release(file_of_);

    // Name keys: (hash, rank) sorted, grouped per hash.
    {
      std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed(n);
      for (std::uint32_t s = 0; s < n; ++s) keyed[s] = {key_hashes_[s], rank_of[s]};
      release(key_hashes_);
      std::sort(keyed.begin(), keyed.end());
      index_.key_ranks_.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) {
        if (i == 0 || keyed[i].first != keyed[i - 1].first) index_.keys_.push_back({keyed[i].first, i});
        index_.key_ranks_[i] = keyed[i].second;
      }
    }

    // Terms in byte order, their lists renumbered and encoded in rank order.
    std::vector<std::uint32_t> term_order(terms_.size());
    std::iota(term_order.begin(), term_order.end(), 0U);
    std::sort(term_order.begin(), term_order.end(),
              [&](std::uint32_t a, std::uint32_t b) { return term_text_[a] < term_text_[b]; });
    index_.term_offsets_.reserve(term_order.size() + 1);
    index_.term_lists_.reserve(term_order.size());
    std::size_t postings = 0;
    for (std::uint32_t t : term_order) {
      if ((index_.term_lists_.size() & 0xFFF) == 0 && cancel != nullptr && cancel->load(std::memory_order_relaxed))
        return false;
      index_.term_offsets_.push_back(static_cast<std::uint32_t>(index_.term_chars_.size()));
      index_.term_chars_ += term_text_[t];
      std::array<std::uint32_t, SymbolIndex::kClassCount> lists{};
      for (std::size_t cls = 0; cls < SymbolIndex::kClassCount; ++cls) {
        const std::uint32_t list = term_class_lists_[t][cls];
        if (list == 0) continue;
        std::vector<std::uint32_t>& symbols = raw_lists_[list - 1];
        for (auto& s : symbols) s = rank_of[s];
        std::sort(symbols.begin(), symbols.end());
        SymbolIndex::ListInfo info{index_.postings_.size(), static_cast<std::uint32_t>(symbols.size()),
                                   static_cast<std::uint32_t>(index_.skips_.size())};
        std::uint32_t previous = 0;
        for (std::size_t i = 0; i < symbols.size(); ++i) {
          put_varint(index_.postings_, i == 0 ? symbols[i] : symbols[i] - previous);
          previous = symbols[i];
          if ((i + 1) % kSkipSpan == 0 && i + 1 < symbols.size())
            index_.skips_.push_back({symbols[i], static_cast<std::uint32_t>(index_.postings_.size() - info.offset)});
        }
        postings += symbols.size();
        release(symbols);
        index_.lists_.push_back(info);
        lists[cls] = static_cast<std::uint32_t>(index_.lists_.size());
      }
      index_.term_lists_.push_back(lists);
    }
    index_.term_offsets_.push_back(static_cast<std::uint32_t>(index_.term_chars_.size()));
    index_.postings_.shrink_to_fit();
    index_.skips_.shrink_to_fit();
    index_.term_chars_.shrink_to_fit();

    auto& st = index_.stats_;
    st.symbols = n;
    st.files = index_.files_.size();
    st.terms = term_order.size();
    st.lists = index_.lists_.size();
    st.postings = postings;
    st.bytes = n * (sizeof(SymbolId) + sizeof(float) + 1 + sizeof(std::uint32_t)) +
               index_.key_ranks_.size() * sizeof(std::uint32_t) + index_.keys_.size() * sizeof(SymbolIndex::KeyEntry) +
               index_.term_chars_.size() + index_.term_offsets_.size() * sizeof(std::uint32_t) +
               index_.term_lists_.size() * sizeof(index_.term_lists_[0]) +
               index_.lists_.size() * sizeof(SymbolIndex::ListInfo) + index_.postings_.size() +
               index_.skips_.size() * sizeof(SymbolIndex::Skip);
    for (const auto& f : index_.files_) st.bytes += sizeof(f) + f.path.size();
    return true;
  }

 private:
  template <class T>
  static void release(std::vector<T>& v) {
    std::vector<T>().swap(v);
  }

  void add(std::string_view token, std::size_t cls, std::uint32_t symbol) {
    auto it = terms_.find(token);
    std::uint32_t term = 0;
    if (it == terms_.end()) {
      term = static_cast<std::uint32_t>(term_text_.size());
      term_text_.emplace_back(token);
      terms_.emplace(term_text_.back(), term);
      term_class_lists_.push_back({});
      term_last_symbol_.push_back(0);
    } else {
      term = it->second;
    }
    // A token is recorded once per symbol, in the best class holding it (classes come in order
    // of weight): the text score only needs the best, and a phrase of several words looks in
    // the class and every better one (see word_cursor).
    if (term_last_symbol_[term] == symbol + 1) return;
    term_last_symbol_[term] = symbol + 1;
    std::uint32_t& list = term_class_lists_[term][cls];
    if (list == 0) {
      raw_lists_.emplace_back();
      list = static_cast<std::uint32_t>(raw_lists_.size());
    }
    raw_lists_[list - 1].push_back(symbol);
  }

  SymbolIndex& index_;
  // By scan position (id order) until finish() ranks them.
  std::vector<SymbolId> ids_;
  std::vector<float> statics_;
  std::vector<std::uint8_t> kinds_;
  std::vector<std::uint32_t> file_of_;
  std::vector<std::uint64_t> key_hashes_;
  // term_text_ is a deque-like store whose strings never move: terms_ keys view into them.
  std::deque<std::string> term_text_;
  std::unordered_map<std::string_view, std::uint32_t, TransparentHash, std::equal_to<>> terms_;
  std::vector<std::array<std::uint32_t, SymbolIndex::kClassCount>> term_class_lists_;
  std::vector<std::uint32_t> term_last_symbol_;  // 1 + the last symbol that recorded the term
  std::vector<std::vector<std::uint32_t>> raw_lists_;
};

SymbolIndex::SymbolIndex() = default;
SymbolIndex::~SymbolIndex() = default;

Result<std::shared_ptr<const SymbolIndex>> SymbolIndex::build(store::IndexStore& store,
                                                              const std::atomic<bool>* cancel) {
  const auto started = std::chrono::steady_clock::now();
  auto snapshot = store.read_snapshot();
  if (!snapshot) return std::unexpected(snapshot.error());
  std::shared_ptr<SymbolIndex> index(new SymbolIndex());
  auto generation = store.meta("generation");
  if (!generation) return std::unexpected(generation.error());
  auto indexed_at = store.meta("indexed_at");
  if (!indexed_at) return std::unexpected(indexed_at.error());
  index->generation_ = generation->value_or("");
  index->indexed_at_ = indexed_at->value_or("");
  {
    SymbolIndexBuilder builder(*index);
    if (Status read = builder.read(store, cancel); !read) return std::unexpected(read.error());
    if (!builder.finish(cancel)) return make_error(ErrorCode::Cancelled, "building the search index was cancelled");
  }
  index->stats_.build_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return std::shared_ptr<const SymbolIndex>(std::move(index));
}

// ================================================================================================
// Searching
// ================================================================================================

class SymbolIndexSearch {
 public:
  SymbolIndexSearch(const SymbolIndex& index, store::IndexStore& store, const SymbolIndexQuery& query)
      : ix_(index), store_(store), q_(query) {}

  Result<std::vector<store::SymbolHit>> run() {
    const std::size_t phrase_count = q_.phrases.size();
    if (phrase_count == 0) return std::vector<store::SymbolHit>{};
    wanted_ = q_.limit == 0 ? std::numeric_limits<std::size_t>::max() : q_.limit + q_.offset;
    if (q_.filter.kinds.size()) {
      kind_allowed_.fill(false);
      for (SymbolKind k : q_.filter.kinds) kind_allowed_[static_cast<std::size_t>(k)] = true;
    }
    if (!q_.filter.path_glob.empty()) glob_state_.assign(ix_.files_.size(), -1);

    // Which classes can hold each phrase; max_text bounds the text part of any symbol's score.
    std::vector<std::uint8_t> phrase_bits(phrase_count, 0);
    multiword_.resize(phrase_count);
    for (std::size_t p = 0; p < phrase_count; ++p) {
      multiword_[p] = q_.phrases[p].words.size() > 1;
      for (std::size_t cls = 0; cls < SymbolIndex::kClassCount; ++cls)
        if (class_has_phrase_words(q_.phrases[p], cls))
          phrase_bits[p] = static_cast<std::uint8_t>(phrase_bits[p] | column_bit(cls));
      if (q_.all && phrase_bits[p] == 0) return std::vector<store::SymbolHit>{};
    }
    max_text_ = store::text_score(phrase_bits);
    if (max_text_ <= 0.0) return std::vector<store::SymbolHit>{};

    if (Status named = score_exact_names(); !named) return std::unexpected(named.error());
    // The best symbol of all bounds every list: often the exact names already fill the page.
    if (!ix_.ids_.empty() && could_enter(max_text_ * ix_.static_[0], ix_.ids_[0])) {
      // Two passes. First the symbols with a phrase in their name: they fill the page with good
      // scores at once, and most of them need no text check. Then, above where the first pass
      // stopped, the symbols matching only in lesser columns, bounded by those columns' weights,
      // so that most of them (the costly multi-word candidates in signatures and docs) are ruled
      // out without reading their text.
      const std::uint8_t name_bit = column_bit(0);
      std::vector<std::uint8_t> lesser_bits(phrase_bits);
      for (auto& bits : lesser_bits) bits = static_cast<std::uint8_t>(bits & ~name_bit);
      open_cursors(phrase_bits, false);
      auto stopped = score_lists(Pass::WithName, max_text_, kEnd);
      if (!stopped) return std::unexpected(stopped.error());
      const double lesser_text = store::text_score(lesser_bits);
      if (lesser_text > 0.0 && *stopped > 0) {
        open_cursors(lesser_bits, true);
        auto rest = score_lists(Pass::WithoutName, lesser_text, *stopped);
        if (!rest) return std::unexpected(rest.error());
      }
    }

    std::vector<Candidate> page = std::move(top_);
    std::sort(page.begin(), page.end(),
              [](const Candidate& a, const Candidate& b) { return ranks_before(a.score, a.id, b.score, b.id); });
    std::vector<store::SymbolHit> hits;
    for (std::size_t i = q_.offset; i < page.size(); ++i) {
      const Candidate& c = page[i];
      auto record = fetch(c.rank);
      if (!record) return std::unexpected(record.error());
      hits.push_back({std::move(*record), c.text, c.score});
    }
    return hits;
  }

 private:
  // The terms a word stands for: itself, or every term it starts when it is a prefix.
  std::pair<std::size_t, std::size_t> term_range(std::string_view word, bool prefix) const {
    const std::size_t n = ix_.term_lists_.size();
    auto term_at = [&](std::size_t t) {
      return std::string_view(ix_.term_chars_).substr(ix_.term_offsets_[t], ix_.term_offsets_[t + 1] - ix_.term_offsets_[t]);
    };
    std::size_t lo = 0, hi = n;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (term_at(mid) < word) lo = mid + 1; else hi = mid;
    }
    std::size_t end = lo;
    if (prefix) {
      std::size_t a = lo, b = n;
      while (a < b) {
        const std::size_t mid = (a + b) / 2;
        if (term_at(mid).starts_with(word)) a = mid + 1; else b = mid;
      }
      end = a;
    } else if (lo < n && term_at(lo) == word) {
      end = lo + 1;
    }
    return {lo, end};
  }

  ListCursor list_cursor(std::uint32_t list) const {
    const auto& info = ix_.lists_[list - 1];
    const std::uint32_t skip_end =
        list < ix_.lists_.size() ? ix_.lists_[list].first_skip : static_cast<std::uint32_t>(ix_.skips_.size());
    return ListCursor(ix_.postings_.data() + info.offset, info.count, ix_.skips_.data() + info.first_skip,
                      skip_end - info.first_skip);
  }

  // Whether every word of `phrase` has a list in class `cls` (without building cursors).
  bool class_has_phrase_words(const store::SearchPhrase& phrase, std::size_t cls) const {
    const bool or_better = phrase.words.size() > 1;
    for (std::size_t i = 0; i < phrase.words.size(); ++i) {
      const bool last = i + 1 == phrase.words.size();
      auto [lo, hi] = term_range(phrase.words[i], last && phrase.prefix);
      bool any = false;
      for (std::size_t t = lo; t < hi && !any; ++t)
        for (std::size_t c = or_better ? 0 : cls; c <= cls && !any; ++c) any = ix_.term_lists_[t][c] != 0;
      if (!any) return false;
    }
    return true;
  }

  // The symbols holding every word of `phrase` in one class in [first_class, last_class]
  // (for one word: in exactly that class).
  std::unique_ptr<Cursor> phrase_cursor(const store::SearchPhrase& phrase, std::size_t first_class,
                                        std::size_t last_class) const {
    std::vector<std::unique_ptr<Cursor>> parts;
    for (std::size_t i = 0; i < phrase.words.size(); ++i) {
      const bool last = i + 1 == phrase.words.size();
      auto [lo, hi] = term_range(phrase.words[i], last && phrase.prefix);
      std::vector<ListCursor> lists;
      for (std::size_t t = lo; t < hi; ++t)
        for (std::size_t c = first_class; c <= last_class; ++c)
          if (std::uint32_t list = ix_.term_lists_[t][c]) lists.push_back(list_cursor(list));
      if (lists.empty()) return nullptr;
      if (lists.size() == 1) parts.push_back(std::make_unique<ListCursor>(lists.front()));
      else parts.push_back(std::make_unique<UnionCursor>(std::move(lists)));
    }
    if (parts.size() == 1) return std::move(parts.front());
    return std::make_unique<IntersectCursor>(std::move(parts));
  }

  bool passes_filter(std::uint32_t rank) {
    const auto& filter = q_.filter;
    if (!filter.kinds.empty() && !kind_allowed_[ix_.kinds_[rank]]) return false;
    const std::uint32_t file = ix_.file_of_[rank];
    if (!filter.languages.empty() &&
        std::find(filter.languages.begin(), filter.languages.end(), ix_.files_[file].language) == filter.languages.end())
      return false;
    if (!filter.path_glob.empty()) {
      std::int8_t& state = glob_state_[file];
      if (state < 0) state = store::glob_match(filter.path_glob, ix_.files_[file].path) ? 1 : 0;
      if (state == 0) return false;
    }
    return true;
  }

  Result<store::SymbolRecord> fetch(std::uint32_t rank) {
    auto record = store_.symbol(ix_.ids_[rank]);
    if (!record) return std::unexpected(record.error());
    if (!*record)
      return make_error(ErrorCode::Internal,
                        fmt::format("symbol {} of the in-memory search index is not in the database", ix_.ids_[rank]));
    return std::move(**record);
  }

  // The symbol's FTS column texts (into text_), for checking phrases word by word.
  Status read_text(std::uint32_t rank) {
    auto found = store_.symbol_text(ix_.ids_[rank], text_);
    if (!found) return std::unexpected(found.error());
    if (!*found)
      return make_error(ErrorCode::Internal,
                        fmt::format("symbol {} of the in-memory search index is not in the database", ix_.ids_[rank]));
    return {};
  }

  // The exact column masks of every phrase, from the symbol's text.
  std::vector<std::uint8_t> exact_masks(const std::array<std::string, store::kTextColumnCount>& columns) const {
    std::vector<std::uint8_t> masks(q_.phrases.size());
    for (std::size_t p = 0; p < q_.phrases.size(); ++p) masks[p] = store::phrase_columns(q_.phrases[p], columns);
    return masks;
  }

  bool matches(const std::vector<std::uint8_t>& masks) const {
    if (q_.all) return std::all_of(masks.begin(), masks.end(), [](std::uint8_t m) { return m != 0; });
    return std::any_of(masks.begin(), masks.end(), [](std::uint8_t m) { return m != 0; });
  }

  bool full() const { return top_.size() >= wanted_; }

  // Whether a symbol scoring at most `bound` with id `id` could still enter the page.
  bool could_enter(double bound, SymbolId id) const {
    if (!full()) return true;
    const Candidate& worst = top_.front();
    return ranks_before(bound, id, worst.score, worst.id);
  }

  void offer(Candidate candidate) {
    auto worse_first = [](const Candidate& a, const Candidate& b) { return ranks_before(a.score, a.id, b.score, b.id); };
    if (!full()) {
      top_.push_back(std::move(candidate));
      std::push_heap(top_.begin(), top_.end(), worse_first);
      return;
    }
    if (!ranks_before(candidate.score, candidate.id, top_.front().score, top_.front().id)) return;
    std::pop_heap(top_.begin(), top_.end(), worse_first);
    top_.back() = std::move(candidate);
    std::push_heap(top_.begin(), top_.end(), worse_first);
  }

  // Symbols named exactly like the query earn the bonus whatever their static score, so they
  // are looked at first, best static first, until none of them can enter the page.
  Status score_exact_names() {
    if (q_.exact_key.empty()) return {};
    const std::uint64_t hash = hash64(q_.exact_key);
    auto it = std::lower_bound(ix_.keys_.begin(), ix_.keys_.end(), hash,
                               [](const SymbolIndex::KeyEntry& e, std::uint64_t h) { return e.hash < h; });
    if (it == ix_.keys_.end() || it->hash != hash) return {};
    const std::uint32_t begin = it->start;
    const std::uint32_t end = std::next(it) == ix_.keys_.end() ? static_cast<std::uint32_t>(ix_.key_ranks_.size())
                                                             : std::next(it)->start;
    exact_ranks_.assign(ix_.key_ranks_.begin() + begin, ix_.key_ranks_.begin() + end);
    for (std::uint32_t rank : exact_ranks_) {
      const double bound = store::combined_score(max_text_, ix_.static_[rank], true);
      if (!could_enter(bound, ix_.ids_[rank])) break;
      if (!passes_filter(rank)) continue;
      if (Status read = read_text(rank); !read) return read;
      if (store::symbol_name_key(text_[1]) != q_.exact_key) continue;  // a hash collision
      const auto masks = exact_masks(text_);
      if (!matches(masks)) continue;
      const double text = store::text_score(masks);
      offer({store::combined_score(text, ix_.static_[rank], true), text, ix_.ids_[rank], rank});
    }
    return {};
  }

  // One cursor per (phrase, class) in `phrase_bits`. A phrase of several words gets at most two:
  // its name-class cursor (first pass only: it decides which pass a symbol belongs to), and one
  // over every class (its words may be adjacent in a signature while only scattered in the
  // name), filed under the best lesser class it can occur in, whose weight then bounds it.
  // Either one found makes the phrase's text be read, so its mask is then exact.
  void open_cursors(const std::vector<std::uint8_t>& phrase_bits, bool second_pass) {
    cursors_.clear();
    cursors_.resize(q_.phrases.size());
    for (std::size_t p = 0; p < q_.phrases.size(); ++p) {
      bool anywhere_open = false;
      for (std::size_t cls = 0; cls < SymbolIndex::kClassCount; ++cls) {
        if ((phrase_bits[p] & column_bit(cls)) == 0) continue;
        if (!multiword_[p]) {
          cursors_[p][cls] = phrase_cursor(q_.phrases[p], cls, cls);
        } else if (cls == 0) {
          if (!second_pass) cursors_[p][cls] = phrase_cursor(q_.phrases[p], 0, 0);
        } else if (!anywhere_open) {
          cursors_[p][cls] = phrase_cursor(q_.phrases[p], 0, SymbolIndex::kClassCount - 1);
          anywhere_open = true;
        }
      }
    }
  }

  enum class Pass { WithName, WithoutName };

  // The other matches of the pass, in rank order below `stop_rank`, until the page is full and
  // nothing further (text at most `max_text`) can beat it. Returns the rank it stopped at.
  Result<std::uint32_t> score_lists(Pass pass, double max_text, std::uint32_t stop_rank) {
    const std::size_t phrase_count = q_.phrases.size();
    const std::uint8_t name_bit = column_bit(0);
    std::vector<std::uint8_t> masks(phrase_count);
    std::size_t next_exact = 0;
    std::size_t next_named = 0;
    for (;;) {
      // The first pass only takes symbols with a phrase in their name, so only the name
      // cursors propose ranks there; the others are asked about those ranks.
      std::uint32_t rank = kEnd;
      for (auto& per_class : cursors_) {
        if (pass == Pass::WithName) {
          if (per_class[0]) rank = std::min(rank, per_class[0]->current());
          continue;
        }
        for (auto& cursor : per_class)
          if (cursor) rank = std::min(rank, cursor->current());
      }
      if (rank >= stop_rank) return rank;
      if (!could_enter(max_text * ix_.static_[rank], ix_.ids_[rank])) return rank;
      bool needs_text = false;
      bool has_name = false;
      for (std::size_t p = 0; p < phrase_count; ++p) {
        masks[p] = 0;
        for (std::size_t cls = 0; cls < SymbolIndex::kClassCount; ++cls) {
          auto& cursor = cursors_[p][cls];
          if (!cursor) continue;
          cursor->advance_to(rank);
          if (cursor->current() != rank) continue;
          masks[p] = static_cast<std::uint8_t>(masks[p] | column_bit(cls));
          cursor->advance_to(rank + 1);
        }
        if (masks[p] != 0 && multiword_[p]) needs_text = true;
        if ((masks[p] & name_bit) != 0) has_name = true;
      }
      // The second pass lists no name class: a symbol whose words are all in its name was the
      // first pass's.
      if (pass == Pass::WithName) {
        if (!has_name) continue;
        named_ranks_.push_back(rank);
      } else {
        while (next_named < named_ranks_.size() && named_ranks_[next_named] < rank) ++next_named;
        if (next_named < named_ranks_.size() && named_ranks_[next_named] == rank) continue;
      }
      // Exact-name symbols were scored with their bonus already.
      while (next_exact < exact_ranks_.size() && exact_ranks_[next_exact] < rank) ++next_exact;
      if (next_exact < exact_ranks_.size() && exact_ranks_[next_exact] == rank) continue;
      if (!matches(masks) || !passes_filter(rank)) continue;
      // The lists' masks bound the text: most non-adjacent word matches (signatures, docs) are
      // ruled out here, without reading their text.
      if (!could_enter(store::combined_score(store::text_score(masks), ix_.static_[rank], false), ix_.ids_[rank]))
        continue;
      if (needs_text) {
        // The lists say the words occur in a column class; adjacency needs the text.
        if (Status read = read_text(rank); !read) return std::unexpected(read.error());
        const auto exact = exact_masks(text_);
        if (!matches(exact)) continue;
        masks = exact;
      }
      const double text = store::text_score(masks);
      const double score = store::combined_score(text, ix_.static_[rank], false);
      if (!could_enter(score, ix_.ids_[rank])) continue;
      offer({score, text, ix_.ids_[rank], rank});
    }
  }

  const SymbolIndex& ix_;
  store::IndexStore& store_;
  const SymbolIndexQuery& q_;
  std::size_t wanted_ = 0;
  double max_text_ = 0.0;
  std::array<bool, 256> kind_allowed_{};
  std::vector<std::int8_t> glob_state_;  // per file: -1 unknown, 0 excluded, 1 included
  std::vector<std::array<std::unique_ptr<Cursor>, SymbolIndex::kClassCount>> cursors_;
  std::vector<bool> multiword_;
  std::vector<std::uint32_t> exact_ranks_;
  std::vector<std::uint32_t> named_ranks_;
  std::array<std::string, store::kTextColumnCount> text_;  // the symbol read_text() read last  // ranks the first pass looked at, ascending
  std::vector<Candidate> top_;  // heap, worst first
};

Result<std::vector<store::SymbolHit>> SymbolIndex::search(store::IndexStore& store,
                                                          const SymbolIndexQuery& query) const {
  return SymbolIndexSearch(*this, store, query).run();
}

}  // namespace cci::search
