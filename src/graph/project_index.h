// graph/project_index.h — the lookup tables that cross-file resolution runs on.
//
// Every symbol of the project gets a dense global index ("g"): files are sorted by path and laid
// out one after another, so a file's symbols form the contiguous range [base, end). All name
// tables store g values in ascending order, which makes every candidate list deterministic and
// lets "symbols named X in file F" be a binary search. Internal to graph/.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/model.h"
#include "core/symbol_id.h"

namespace cci::graph::detail {

inline constexpr std::uint32_t kNone = 0xffffffffU;

// Languages whose symbols may bind to each other. C and C++ share headers; JS and TS share modules.
enum class Family : std::uint8_t { Other, Python, Js, Java, Go, Rust, CFamily };
Family family_of(Language lang);

struct FileRec {
  const ParsedFile* parsed = nullptr;
  const std::vector<SymbolId>* ids = nullptr;
  std::uint32_t base = 0;  // g of symbols[0]
  std::uint32_t end = 0;   // one past the last g of this file
  Family family = Family::Other;
  std::string_view dir;       // "a/b" for "a/b/c.py", "" at the root
  std::string_view basename;  // "c.py"
  std::string module;         // module_name, or derived from the path for Python when empty
};

// Splits "a.b::c/d->e" into {"a","b","c","d","e"}: qualified names and qualifiers use different
// separators per language, and matching is done on segments.
std::vector<std::string_view> split_segments(std::string_view text);

// A key → ascending list of g values, stored as one flat array behind an open-addressing table:
// 2M symbols must mean neither 2M small vectors nor 2M hash nodes to chase on every lookup.
template <typename Key, typename Hash = std::hash<Key>>
class MultiIndex {
 public:
  void count(const Key& key) {
    if ((used_ + 1) * 4 > slots_.size() * 3) grow();
    Slot& s = slots_[probe(key, tag_of(key))];
    if (s.tag == 0) {
      s.tag = tag_of(key);
      s.key = key;
      ++used_;
    }
    ++s.count;
  }
  void finish_counting() {
    std::uint32_t offset = 0;
    for (Slot& s : slots_) {
      if (s.tag == 0) continue;
      s.first = offset;
      offset += s.count;
      s.count = 0;
    }
    values_.resize(offset);
  }
  // Must be called in ascending value order, once per counted key occurrence.
  void add(const Key& key, std::uint32_t value) {
    Slot& s = slots_[probe(key, tag_of(key))];
    values_[s.first + s.count++] = value;
  }
  std::span<const std::uint32_t> find(const Key& key) const {
    if (slots_.empty()) return {};
    const Slot& s = slots_[probe(key, tag_of(key))];
    if (s.tag == 0) return {};
    return {values_.data() + s.first, s.count};
  }
  // Position of a found span in the flat array: a dense per-key slot for caches.
  std::size_t offset_of(std::span<const std::uint32_t> found) const {
    return static_cast<std::size_t>(found.data() - values_.data());
  }
  std::size_t value_count() const { return values_.size(); }

 private:
  struct Slot {
    Key key{};
    std::uint32_t tag = 0;  // 0 = empty; else the key's hash with the low bit set
    std::uint32_t first = 0;
    std::uint32_t count = 0;
  };

  static std::uint32_t tag_of(const Key& key) {
    const auto h = static_cast<std::uint64_t>(Hash{}(key));
    return static_cast<std::uint32_t>(h ^ (h >> 32)) | 1U;
  }

  // Index of the key's slot, or of the empty slot where it would go.
  std::size_t probe(const Key& key, std::uint32_t tag) const {
    const std::size_t mask = slots_.size() - 1;
    // Mix the tag so keys whose hashes differ only in high bits still spread.
    std::size_t i = (static_cast<std::size_t>(tag) * 0x9e3779b1U) & mask;
    while (true) {
      const Slot& s = slots_[i];
      if (s.tag == 0 || (s.tag == tag && s.key == key)) return i;
      i = (i + 1) & mask;
    }
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (Slot& s : old) {
      if (s.tag != 0) slots_[probe(s.key, s.tag)] = s;
    }
  }

  std::vector<Slot> slots_;
  std::size_t used_ = 0;
  std::vector<std::uint32_t> values_;
};

struct U64Identity {
  std::size_t operator()(std::uint64_t v) const { return static_cast<std::size_t>(v); }
};

class ProjectIndex {
 public:
  // `files` must be sorted by path with unique paths; base/end are filled in here.
  explicit ProjectIndex(std::vector<FileRec> files);

  const std::vector<FileRec>& files() const { return files_; }
  const FileRec& file(std::uint32_t f) const { return files_[f]; }
  std::uint32_t symbol_count() const { return static_cast<std::uint32_t>(sym_file_.size()); }

  const Symbol& symbol(std::uint32_t g) const {
    const FileRec& f = files_[sym_file_[g]];
    return f.parsed->symbols[g - f.base];
  }
  SymbolKind kind(std::uint32_t g) const { return symbol(g).kind; }
  std::uint32_t file_of(std::uint32_t g) const { return sym_file_[g]; }
  std::uint32_t parent(std::uint32_t g) const { return sym_parent_[g]; }  // kNone for file symbols
  SymbolId id(std::uint32_t g) const { return sym_id_[g]; }
  const std::vector<SymbolId>& ids() const { return sym_id_; }
  Family family(std::uint32_t g) const { return files_[sym_file_[g]].family; }
  bool is_file_symbol(std::uint32_t g) const { return files_[sym_file_[g]].base == g; }

  // A symbol directly in file scope, or in a namespace/module (C++ namespaces, Rust inline mods):
  // the places an import or an include can expose a name from.
  bool is_top_level(std::uint32_t g) const;

  // Definitions (every symbol except File and Import symbols) by simple name, ascending g.
  std::span<const std::uint32_t> named(std::string_view name) const { return by_name_.find(name); }
  // Dense slot of a non-empty named() result, in [0, named_slot_count()): keys per-name caches.
  std::size_t named_slot(std::span<const std::uint32_t> found) const { return by_name_.offset_of(found); }
  std::size_t named_slot_count() const { return by_name_.value_count(); }
  // The subset of named(name) inside file f.
  std::span<const std::uint32_t> named_in_file(std::string_view name, std::uint32_t f) const;
  std::span<const std::uint32_t> qualified(std::string_view qname) const { return by_qname_.find(qname); }
  // Definitions whose qualified name ends in "<segment>.<name>" (up to hash collisions: verify).
  std::span<const std::uint32_t> by_tail(std::string_view segment, std::string_view name) const {
    return by_tail_.find(tail_key(segment, name));
  }

  std::uint32_t file_by_path(std::string_view path) const;
  std::span<const std::uint32_t> files_with_basename(std::string_view basename) const;
  std::span<const std::uint32_t> files_in_module(Family fam, std::string_view module) const;
  // Files whose module's last segment is `segment` (for suffix matching of module names).
  std::span<const std::uint32_t> files_with_module_tail(Family fam, std::string_view segment) const;
  std::span<const std::uint32_t> files_in_dir(Family fam, std::string_view dir) const;

  static std::uint64_t tail_key(std::string_view segment, std::string_view name);

 private:
  static std::string family_key(Family fam, std::string_view text);

  std::vector<FileRec> files_;
  std::vector<std::uint32_t> sym_file_;
  std::vector<std::uint32_t> sym_parent_;
  std::vector<SymbolId> sym_id_;
  MultiIndex<std::string_view> by_name_;
  MultiIndex<std::string_view> by_qname_;
  MultiIndex<std::uint64_t, U64Identity> by_tail_;
  std::unordered_map<std::string_view, std::uint32_t> by_path_;
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> by_basename_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_module_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_module_tail_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> by_dir_;
};

}  // namespace cci::graph::detail
