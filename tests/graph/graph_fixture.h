// tests/graph/graph_fixture.h — builds ParsedFile values by hand for graph tests (no parsing).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "core/symbol_id.h"
#include "graph/code_graph.h"

namespace cci::graph::testing {

// A tiny project under construction: files, their symbols, references and imports.
class Project {
 public:
  ParsedFile& file(const std::string& path, Language lang, const std::string& module = "") {
    ParsedFile& f = files_.emplace_back();
    f.path = path;
    f.language = lang;
    f.module_name = module;
    const auto slash = path.rfind('/');
    f.symbols.push_back(Symbol{.kind = SymbolKind::File,
                               .name = slash == std::string::npos ? path : path.substr(slash + 1),
                               .qualified_name = path});
    return f;
  }

  static int add(ParsedFile& f, SymbolKind kind, const std::string& name, const std::string& qname,
                 int parent = -1, bool exported = true, const std::string& signature = "") {
    f.symbols.push_back(Symbol{.kind = kind, .name = name, .qualified_name = qname, .parent = parent,
                               .signature = signature, .exported = exported});
    return static_cast<int>(f.symbols.size()) - 1;
  }

  static void call(ParsedFile& f, int from, const std::string& name, const std::string& qualifier = "",
                   std::uint32_t line = 0) {
    f.references.push_back(Reference{.kind = RefKind::Call, .name = name, .qualifier = qualifier, .from = from,
                                     .line = line == 0 ? next_line(f) : line, .col = 1});
  }

  static void inherit(ParsedFile& f, int from, const std::string& name, const std::string& qualifier = "",
                      RefKind kind = RefKind::Inherit) {
    f.references.push_back(
        Reference{.kind = kind, .name = name, .qualifier = qualifier, .from = from, .line = next_line(f), .col = 1});
  }

  static void import(ParsedFile& f, Import imp) {
    if (imp.line == 0) imp.line = next_line(f);
    f.imports.push_back(std::move(imp));
  }

  GraphResult build(bool reverse = false) {
    ids_.clear();
    for (const ParsedFile& f : files_) ids_.push_back(assign_symbol_ids(f));
    std::vector<FileInput> inputs;
    for (std::size_t i = 0; i < files_.size(); ++i) inputs.push_back({&files_[i], &ids_[i]});
    if (reverse) std::reverse(inputs.begin(), inputs.end());
    return build_graph(inputs);
  }

  GraphResult build_permuted(const std::vector<std::size_t>& order) {
    ids_.clear();
    for (const ParsedFile& f : files_) ids_.push_back(assign_symbol_ids(f));
    std::vector<FileInput> inputs;
    for (std::size_t i : order) inputs.push_back({&files_[i], &ids_[i]});
    return build_graph(inputs);
  }

  // Id of the symbol with this qualified name in the file at `path` (the file itself for path).
  SymbolId id(const std::string& path, const std::string& qname = "") const {
    for (const ParsedFile& f : files_) {
      if (f.path != path) continue;
      const auto ids = assign_symbol_ids(f);
      if (qname.empty()) return ids[0];
      for (std::size_t i = 1; i < f.symbols.size(); ++i) {
        if (f.symbols[i].qualified_name == qname) return ids[i];
      }
    }
    ADD_FAILURE() << "no symbol " << qname << " in " << path;
    return -1;
  }

  std::deque<ParsedFile>& files() { return files_; }

 private:
  static std::uint32_t next_line(const ParsedFile& f) {
    return static_cast<std::uint32_t>(10 + f.references.size() + f.imports.size());
  }

  std::deque<ParsedFile> files_;
  std::deque<std::vector<SymbolId>> ids_;
};

inline std::vector<Edge> edges_from(const GraphResult& r, SymbolId source, EdgeKind kind) {
  std::vector<Edge> out;
  for (const Edge& e : r.edges) {
    if (e.source == source && e.kind == kind) out.push_back(e);
  }
  return out;
}

// The single edge of `kind` from `source` whose target_name is `name`.
inline std::optional<Edge> edge_named(const GraphResult& r, SymbolId source, EdgeKind kind, const std::string& name) {
  std::optional<Edge> found;
  for (const Edge& e : r.edges) {
    if (e.source == source && e.kind == kind && e.target_name == name) {
      EXPECT_FALSE(found.has_value()) << "several edges named " << name;
      found = e;
    }
  }
  return found;
}

// The rank of `id`; a default rank (and a test failure) when the symbol is missing.
inline SymbolRank rank_of(const GraphResult& r, SymbolId id) {
  auto it = std::lower_bound(r.ranks.begin(), r.ranks.end(), id,
                             [](const SymbolRank& a, SymbolId b) { return a.id < b; });
  if (it != r.ranks.end() && it->id == id) return *it;
  ADD_FAILURE() << "no rank for id " << id;
  return {};
}

inline bool has_tag(const GraphResult& r, SymbolId id, std::string_view tag) {
  const SymbolRank rank = rank_of(r, id);
  return std::find(rank.tags.begin(), rank.tags.end(), tag) != rank.tags.end();
}

}  // namespace cci::graph::testing
