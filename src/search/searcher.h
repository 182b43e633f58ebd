// search/searcher.h — the query interface over one project's index.
//
// Everything an agent or the CLI asks (search, definition, references/callers, callees,
// outline, most important symbols, stats) goes through a Searcher, so the CLI, the MCP server
// and the daemon return the same answers. Results are bounded by `limit` and carry file:line.
//
// Thread safety: a Searcher wraps one IndexStore connection; use one per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "search/symbol_index.h"
#include "store/index_store.h"
#include "store/scoring.h"

namespace cci::search {

enum class MatchMode { Any, All };

struct SearchRequest {
  std::vector<std::string> terms;   // free text; identifiers are split into words
  MatchMode mode = MatchMode::Any;
  store::SymbolFilter filter;
  std::size_t limit = 20;
  std::size_t offset = 0;
};

struct SearchResults {
  std::vector<store::SymbolHit> hits;
  std::string fts_query;            // the FTS5 expression of the query (for --explain / debugging)
  bool more = false;                // another page exists
  bool from_memory = false;         // answered by the in-memory SymbolIndex rather than SQL
};

// The phrases of a query: each whitespace-separated term becomes a phrase of its identifier
// words with the last word as a prefix ("parseHttp" -> "parse http"*). Terms without a
// searchable word are dropped.
std::vector<store::SearchPhrase> build_phrases(const std::vector<std::string>& terms);
// FTS5 expression for the terms: their phrases joined by OR (any) or AND (all); empty when no
// term has a searchable word.
std::string build_fts_query(const std::vector<std::string>& terms, MatchMode mode);
std::string fts_query_for(const std::vector<store::SearchPhrase>& phrases, MatchMode mode);

struct Definitions {
  std::vector<store::SymbolRecord> symbols;   // best first
  std::vector<std::string> suggestions;       // "did you mean" when nothing matched
};

struct Reference {
  store::EdgeRecord edge;
  std::optional<store::SymbolRecord> from;    // the caller/subclass/importer
};

struct References {
  std::vector<store::SymbolRecord> targets;   // the definitions the name resolved to
  std::vector<Reference> resolved;            // incoming edges to those definitions
  std::vector<Reference> unresolved;          // references by the same name that were not bound
  std::vector<std::string> suggestions;
};

struct Callees {
  std::vector<store::SymbolRecord> sources;
  std::vector<std::pair<store::EdgeRecord, std::optional<store::SymbolRecord>>> edges;  // with target symbol
};

class Searcher {
 public:
  // `memory`, when given, answers search() and must have been built from the state `store`
  // reads (same file, same generation); everything else always reads the store.
  explicit Searcher(store::IndexStore& store, const SymbolIndex* memory = nullptr) : store_(store), memory_(memory) {}

  Result<SearchResults> search(const SearchRequest& request);
  // `name` may be a simple name, a qualified name, or a numeric symbol id.
  Result<Definitions> find_definition(std::string_view name, const store::SymbolFilter& filter, std::size_t limit);
  // Incoming calls/inherits/implements/imports of the definitions named `name`.
  Result<References> find_references(std::string_view name, const store::SymbolFilter& filter, std::size_t limit);
  Result<Callees> find_callees(std::string_view name, const store::SymbolFilter& filter, std::size_t limit);
  Result<std::vector<store::SymbolRecord>> outline(std::string_view path);
  Result<std::vector<store::SymbolRecord>> important(const store::SymbolFilter& filter, std::size_t limit);

  store::IndexStore& store() { return store_; }

 private:
  store::IndexStore& store_;
  const SymbolIndex* memory_;
};

}  // namespace cci::search
