// graph/project_index.cpp — builds the global symbol layout and the name/module/path tables.
#include "graph/project_index.h"

#include <algorithm>
#include <functional>

namespace cci::graph::detail {
namespace {

// Python files without a module_name still need one to be importable: "a/b/__init__.py" → "a.b".
std::string python_module_from_path(std::string_view path) {
  std::string_view p = path;
  if (p.ends_with(".pyi")) p.remove_suffix(4);
  else if (p.ends_with(".py")) p.remove_suffix(3);
  if (p == "__init__") return {};
  if (p.ends_with("/__init__")) p.remove_suffix(9);
  std::string out(p);
  std::replace(out.begin(), out.end(), '/', '.');
  return out;
}

std::string_view last_segment(std::string_view text) {
  auto segs = split_segments(text);
  return segs.empty() ? std::string_view{} : segs.back();
}

}  // namespace

Family family_of(Language lang) {
  switch (lang) {
    case Language::Python: return Family::Python;
    case Language::JavaScript:
    case Language::TypeScript:
    case Language::Tsx: return Family::Js;
    case Language::Java: return Family::Java;
    case Language::Go: return Family::Go;
    case Language::Rust: return Family::Rust;
    case Language::C:
    case Language::Cpp: return Family::CFamily;
    case Language::Unknown: break;
  }
  return Family::Other;
}

namespace {

// Calls emit(segment) for each non-empty segment of text; separators are ".", "/", "::" and "->".
template <typename Emit>
void for_each_segment(std::string_view text, Emit&& emit) {
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    std::size_t sep = 0;
    if (c == '.' || c == '/') sep = 1;
    else if (c == ':' && i + 1 < text.size() && text[i + 1] == ':') sep = 2;
    else if (c == '-' && i + 1 < text.size() && text[i + 1] == '>') sep = 2;
    if (sep == 0) {
      ++i;
      continue;
    }
    if (i > start) emit(text.substr(start, i - start));
    i += sep;
    start = i;
  }
  if (text.size() > start) emit(text.substr(start));
}

// The segment before the last one ("b" in "a.b.c", "" for "c"), without allocating: this runs
// once per symbol of the project.
std::string_view second_last_segment(std::string_view text) {
  std::string_view prev;
  std::string_view last;
  for_each_segment(text, [&](std::string_view seg) {
    prev = last;
    last = seg;
  });
  return prev;
}

}  // namespace

std::vector<std::string_view> split_segments(std::string_view text) {
  std::vector<std::string_view> out;
  for_each_segment(text, [&](std::string_view seg) { out.push_back(seg); });
  return out;
}

std::uint64_t ProjectIndex::tail_key(std::string_view segment, std::string_view name) {
  const std::uint64_t a = std::hash<std::string_view>{}(segment);
  const std::uint64_t b = std::hash<std::string_view>{}(name);
  return a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL + (a << 6) + (a >> 2));
}

std::string ProjectIndex::family_key(Family fam, std::string_view text) {
  std::string key;
  key.reserve(text.size() + 1);
  key += static_cast<char>('0' + static_cast<int>(fam));
  key += text;
  return key;
}

ProjectIndex::ProjectIndex(std::vector<FileRec> files) : files_(std::move(files)) {
  std::uint32_t total = 0;
  for (FileRec& f : files_) {
    f.base = total;
    total += static_cast<std::uint32_t>(f.parsed->symbols.size());
    f.end = total;
    const std::string_view path = f.parsed->path;
    const auto slash = path.rfind('/');
    f.dir = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
    f.basename = slash == std::string_view::npos ? path : path.substr(slash + 1);
    f.family = family_of(f.parsed->language);
    f.module = f.parsed->module_name;
    if (f.module.empty() && f.family == Family::Python) f.module = python_module_from_path(path);
  }

  sym_file_.resize(total);
  sym_parent_.resize(total);
  sym_id_.resize(total);
  for (std::uint32_t fi = 0; fi < files_.size(); ++fi) {
    const FileRec& f = files_[fi];
    const auto& syms = f.parsed->symbols;
    for (std::uint32_t i = 0; i < syms.size(); ++i) {
      const std::uint32_t g = f.base + i;
      sym_file_[g] = fi;
      sym_id_[g] = i < f.ids->size() ? (*f.ids)[i] : 0;
      const std::int32_t p = syms[i].parent;
      // Parents must precede children; anything else is treated as file scope rather than trusted.
      if (i == 0) sym_parent_[g] = kNone;
      else if (p > 0 && static_cast<std::uint32_t>(p) < i) sym_parent_[g] = f.base + static_cast<std::uint32_t>(p);
      else sym_parent_[g] = f.base;
    }
  }

  auto indexed = [&](std::uint32_t g) {
    const SymbolKind k = symbol(g).kind;
    return k != SymbolKind::File && k != SymbolKind::Import && !is_file_symbol(g);
  };
  auto tail_of = [&](std::uint32_t g) {
    const Symbol& s = symbol(g);
    return tail_key(second_last_segment(s.qualified_name), s.name);
  };
  for (std::uint32_t g = 0; g < total; ++g) {
    if (!indexed(g)) continue;
    const Symbol& s = symbol(g);
    by_name_.count(s.name);
    if (!s.qualified_name.empty()) by_qname_.count(s.qualified_name);
    by_tail_.count(tail_of(g));
  }
  by_name_.finish_counting();
  by_qname_.finish_counting();
  by_tail_.finish_counting();
  for (std::uint32_t g = 0; g < total; ++g) {
    if (!indexed(g)) continue;
    const Symbol& s = symbol(g);
    by_name_.add(s.name, g);
    if (!s.qualified_name.empty()) by_qname_.add(s.qualified_name, g);
    by_tail_.add(tail_of(g), g);
  }

  for (std::uint32_t fi = 0; fi < files_.size(); ++fi) {
    const FileRec& f = files_[fi];
    by_path_.emplace(f.parsed->path, fi);
    by_basename_[f.basename].push_back(fi);
    if (!f.module.empty()) {
      by_module_[family_key(f.family, f.module)].push_back(fi);
      by_module_tail_[family_key(f.family, last_segment(f.module))].push_back(fi);
    }
    by_dir_[family_key(f.family, f.dir)].push_back(fi);
  }
}

bool ProjectIndex::is_top_level(std::uint32_t g) const {
  const std::uint32_t p = sym_parent_[g];
  if (p == kNone) return false;
  if (is_file_symbol(p)) return true;
  const SymbolKind k = kind(p);
  return k == SymbolKind::Namespace || k == SymbolKind::Module;
}

std::span<const std::uint32_t> ProjectIndex::named_in_file(std::string_view name, std::uint32_t f) const {
  const auto all = named(name);
  const auto lo = std::lower_bound(all.begin(), all.end(), files_[f].base);
  const auto hi = std::lower_bound(lo, all.end(), files_[f].end);
  return {lo, hi};
}

std::uint32_t ProjectIndex::file_by_path(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? kNone : it->second;
}

std::span<const std::uint32_t> ProjectIndex::files_with_basename(std::string_view basename) const {
  auto it = by_basename_.find(basename);
  if (it == by_basename_.end()) return {};
  return it->second;
}

std::span<const std::uint32_t> ProjectIndex::files_in_module(Family fam, std::string_view module) const {
  auto it = by_module_.find(family_key(fam, module));
  if (it == by_module_.end()) return {};
  return it->second;
}

std::span<const std::uint32_t> ProjectIndex::files_with_module_tail(Family fam, std::string_view segment) const {
  auto it = by_module_tail_.find(family_key(fam, segment));
  if (it == by_module_tail_.end()) return {};
  return it->second;
}

std::span<const std::uint32_t> ProjectIndex::files_in_dir(Family fam, std::string_view dir) const {
  auto it = by_dir_.find(family_key(fam, dir));
  if (it == by_dir_.end()) return {};
  return it->second;
}

}  // namespace cci::graph::detail
