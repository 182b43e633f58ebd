#include "search/searcher.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <tuple>

namespace cci::search {
namespace {

std::optional<SymbolId> parse_symbol_id(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  SymbolId id = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc{} || ptr != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

std::string quote_phrase(const store::SearchPhrase& phrase) {
  std::string out = "\"";
  for (std::size_t i = 0; i < phrase.words.size(); ++i) {
    if (i) out += ' ';
    out += phrase.words[i];  // identifier_words yields [a-z0-9] and other letters only: nothing to escape
  }
  out += phrase.prefix ? "\"*" : "\"";
  return out;
}

// Edges pointing at any of `targets`, with the referencing symbol looked up once per source.
// Non-structural edges at one end of `id`, in (line, col) order. Queried per kind so that a
// class's many contains edges never use up the limit meant for calls.
Result<std::vector<store::EdgeRecord>> reference_edges(store::IndexStore& db, SymbolId id, bool incoming_edges,
                                                        std::size_t limit) {
  std::vector<store::EdgeRecord> out;
  for (EdgeKind kind : {EdgeKind::Calls, EdgeKind::Inherits, EdgeKind::Implements, EdgeKind::Imports}) {
    auto edges = incoming_edges ? db.edges_to(id, kind, limit) : db.edges_from(id, kind, limit);
    if (!edges) return std::unexpected(edges.error());
    out.insert(out.end(), std::make_move_iterator(edges->begin()), std::make_move_iterator(edges->end()));
  }
  std::stable_sort(out.begin(), out.end(), [](const store::EdgeRecord& a, const store::EdgeRecord& b) {
    return std::tie(a.line, a.col) < std::tie(b.line, b.col);
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

// Edges pointing at any of `targets`, with the referencing symbol looked up once per source.
Result<std::vector<Reference>> incoming(store::IndexStore& db, const std::vector<store::SymbolRecord>& targets,
                                        std::size_t limit) {
  std::vector<Reference> out;
  for (const auto& target : targets) {
    auto edges = reference_edges(db, target.id, /*incoming_edges=*/true, limit);
    if (!edges) return std::unexpected(edges.error());
    for (auto& e : *edges) {
      if (out.size() >= limit) return out;
      auto from = db.symbol(e.source);
      if (!from) return std::unexpected(from.error());
      out.push_back({std::move(e), std::move(*from)});
    }
  }
  return out;
}

}  // namespace

std::vector<store::SearchPhrase> build_phrases(const std::vector<std::string>& terms) {
  std::vector<store::SearchPhrase> phrases;
  for (const auto& term : terms) {
    // A term may hold several whitespace-separated words when passed as one argument.
    std::size_t pos = 0;
    while (pos < term.size()) {
      std::size_t end = term.find_first_of(" \t\n", pos);
      if (end == std::string::npos) end = term.size();
      auto words = store::identifier_words(std::string_view(term).substr(pos, end - pos));
      if (!words.empty()) phrases.push_back({std::move(words), true});
      pos = end + 1;
    }
  }
  return phrases;
}

std::string fts_query_for(const std::vector<store::SearchPhrase>& phrases, MatchMode mode) {
  std::string query;
  for (std::size_t i = 0; i < phrases.size(); ++i) {
    if (i) query += mode == MatchMode::All ? " AND " : " OR ";
    query += quote_phrase(phrases[i]);
  }
  return query;
}

std::string build_fts_query(const std::vector<std::string>& terms, MatchMode mode) {
  return fts_query_for(build_phrases(terms), mode);
}

Result<SearchResults> Searcher::search(const SearchRequest& request) {
  SearchResults results;
  const auto phrases = build_phrases(request.terms);
  results.fts_query = fts_query_for(phrases, request.mode);
  if (phrases.empty())
    return make_error(ErrorCode::InvalidArgument, "no searchable words in the query (use letters or digits)");
  const bool all = request.mode == MatchMode::All;
  Result<std::vector<store::SymbolHit>> hits;
  if (memory_ != nullptr) {
    SymbolIndexQuery query{phrases, all, store::exact_query_key(phrases, all), request.filter, request.limit + 1,
                           request.offset};
    hits = memory_->search(store_, query);
    results.from_memory = true;
  } else {
    store::SymbolSearch query;
    query.fts_query = results.fts_query;
    query.filter = request.filter;
    query.limit = request.limit + 1;  // one extra tells whether another page exists
    query.offset = request.offset;
    query.exact_key = store::exact_query_key(phrases, all);
    hits = store_.search_symbols(query);
  }
  if (!hits) return std::unexpected(hits.error());
  results.hits = std::move(*hits);
  if (results.hits.size() > request.limit) {
    results.more = true;
    results.hits.resize(request.limit);
  }
  return results;
}

Result<Definitions> Searcher::find_definition(std::string_view name, const store::SymbolFilter& filter,
                                              std::size_t limit) {
  Definitions out;
  if (auto id = parse_symbol_id(name)) {
    auto symbol = store_.symbol(*id);
    if (!symbol) return std::unexpected(symbol.error());
    if (*symbol) {
      out.symbols.push_back(std::move(**symbol));
      return out;
    }
  }
  auto symbols = store_.symbols_named(name, filter, limit);
  if (!symbols) return std::unexpected(symbols.error());
  // Imports share the imported name but are not definitions; show them only if nothing else.
  std::vector<store::SymbolRecord> defs;
  for (auto& s : *symbols)
    if (s.kind != SymbolKind::Import) defs.push_back(std::move(s));
  out.symbols = std::move(defs);
  if (out.symbols.empty()) {
    auto similar = store_.similar_names(name, 5);
    if (!similar) return std::unexpected(similar.error());
    out.suggestions = std::move(*similar);
  }
  return out;
}

Result<References> Searcher::find_references(std::string_view name, const store::SymbolFilter& filter,
                                             std::size_t limit) {
  References out;
  auto defs = find_definition(name, filter, 50);
  if (!defs) return std::unexpected(defs.error());
  out.targets = std::move(defs->symbols);
  out.suggestions = std::move(defs->suggestions);
  auto resolved = incoming(store_, out.targets, limit);
  if (!resolved) return std::unexpected(resolved.error());
  out.resolved = std::move(*resolved);
  // Unresolved references are matched by their last name component.
  std::string_view leaf = name;
  for (std::string_view sep : {"::", ".", "->"}) {
    if (auto at = leaf.rfind(sep); at != std::string_view::npos) leaf = leaf.substr(at + sep.size());
  }
  if (!leaf.empty() && !parse_symbol_id(leaf)) {
    auto unresolved = store_.unresolved_named(leaf, limit);
    if (!unresolved) return std::unexpected(unresolved.error());
    for (auto& e : *unresolved) {
      auto from = store_.symbol(e.source);
      if (!from) return std::unexpected(from.error());
      out.unresolved.push_back({std::move(e), std::move(*from)});
    }
  }
  if (!out.targets.empty() || !out.unresolved.empty()) out.suggestions.clear();
  return out;
}

Result<Callees> Searcher::find_callees(std::string_view name, const store::SymbolFilter& filter, std::size_t limit) {
  Callees out;
  auto defs = find_definition(name, filter, 20);
  if (!defs) return std::unexpected(defs.error());
  out.sources = std::move(defs->symbols);
  for (const auto& source : out.sources) {
    auto edges = reference_edges(store_, source.id, /*incoming_edges=*/false, limit);
    if (!edges) return std::unexpected(edges.error());
    for (auto& e : *edges) {
      if (out.edges.size() >= limit) return out;
      std::optional<store::SymbolRecord> target;
      if (e.target != 0) {
        auto t = store_.symbol(e.target);
        if (!t) return std::unexpected(t.error());
        target = std::move(*t);
      }
      out.edges.emplace_back(std::move(e), std::move(target));
    }
  }
  return out;
}

Result<std::vector<store::SymbolRecord>> Searcher::outline(std::string_view path) {
  auto file = store_.file(path);
  if (!file) return std::unexpected(file.error());
  if (!*file) return make_error(ErrorCode::NotFound, fmt::format("{} is not in the index", path));
  return store_.symbols_in_file(path);
}

Result<std::vector<store::SymbolRecord>> Searcher::important(const store::SymbolFilter& filter, std::size_t limit) {
  return store_.important_symbols(filter, limit);
}

}  // namespace cci::search
