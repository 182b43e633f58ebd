// mcp/code_tools.cpp — the code-intelligence tools, resources and prompts of the MCP server.
//
// Handlers mirror the CLI's semantics (cli/command_*.cpp) through search::Searcher so both give
// the same answers, and add what agents need on top: bounded pages with a continuation offset,
// file:line on every item, symbol ids as strings (they are 63-bit and would lose precision as
// JSON numbers in JavaScript clients), and isError messages that name the next call to make.
#include "mcp/code_tools.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <ctime>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/paths.h"
#include "index/indexer.h"
#include "scan/scanner.h"
#include "mcp/search_indexes.h"
#include "mcp/tool_call.h"
#include "search/searcher.h"
#include "watch/freshness.h"

namespace cci::mcp {
namespace {

namespace fs = std::filesystem;

// Sent once in the initialize result; hosts put it in the model's context, so it says which tool
// answers which question and in what order to use them.
constexpr const char* kInstructions =
    "cci indexes the current project into a code graph (definitions, calls, imports, inheritance, "
    "ranked by importance). Start with get_index_status; if the project is not indexed or is stale, "
    "run index_codebase (incremental, fast on re-runs). For orientation use get_codebase_overview "
    "and query_important_code; to find code by meaning or name use search_code (identifier words, "
    "e.g. \"parse request\"), and search_text for exact strings, comments or literals. Navigate with "
    "find_definition (signature, doc, file:line), find_references (callers, subclasses, importers, "
    "each with how it was resolved), find_callees and get_file_outline; file contents are readable "
    "as cci://file/<path> resources. Prefer these tools over reading whole files or grepping: "
    "results are ranked and much smaller. get_project_stats, list_indexed_projects, "
    "get_ignore_patterns and manage_cache are for bookkeeping.";

// ================================================================================================
// Results and errors
// ================================================================================================

ToolResult text_result(std::string text, Json structured) {
  ToolResult r;
  r.content = Json::array({Json{{"type", "text"}, {"text", std::move(text)}}});
  r.structured = std::move(structured);
  return r;
}

ToolResult error_result(std::string message) {
  ToolResult r;
  r.content = Json::array({Json{{"type", "text"}, {"text", std::move(message)}}});
  r.is_error = true;
  return r;
}

std::unexpected<Error> bad_argument(std::string message) {
  return std::unexpected(Error{ErrorCode::InvalidArgument, std::move(message)});
}

using Handler = std::function<Result<ToolResult>(ToolContext&)>;

// Every expected failure becomes an isError result the model can act on; exceptions from
// std::filesystem or nlohmann (a malformed argument the schema let through) too.
ToolResult as_tool_result(const std::function<Result<ToolResult>()>& run) {
  try {
    auto result = run();
    if (!result) return error_result(result.error().message);
    return std::move(*result);
  } catch (const std::exception& e) {
    return error_result(fmt::format("internal error: {}", e.what()));
  }
}

Handler guarded(Handler fn) {
  return [fn = std::move(fn)](ToolContext& ctx) -> Result<ToolResult> {
    return as_tool_result([&] { return fn(ctx); });
  };
}

// ================================================================================================
// Arguments
// ================================================================================================

const Json& empty_object() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

const Json& args_of(ToolContext& ctx) {
  const Json& a = ctx.arguments();
  return a.is_object() ? a : empty_object();
}

const Json* find_arg(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::string> get_string(const Json& args, const char* key, std::string fallback = {}) {
  const Json* v = find_arg(args, key);
  if (v == nullptr) return fallback;
  if (!v->is_string()) return bad_argument(fmt::format("{} must be a string", key));
  return v->get<std::string>();
}

Result<bool> get_bool(const Json& args, const char* key, bool fallback) {
  const Json* v = find_arg(args, key);
  if (v == nullptr) return fallback;
  if (!v->is_boolean()) return bad_argument(fmt::format("{} must be true or false", key));
  return v->get<bool>();
}

Result<std::size_t> get_count(const Json& args, const char* key, std::size_t fallback, std::size_t min,
                              std::size_t max) {
  const Json* v = find_arg(args, key);
  if (v == nullptr) return fallback;
  const auto out_of_range = [&] {
    return bad_argument(fmt::format("{} must be an integer from {} to {}", key, min, max));
  };
  std::uint64_t n = 0;
  if (v->is_number_unsigned()) {
    n = v->get<std::uint64_t>();
  } else if (v->is_number_integer()) {
    const auto i = v->get<std::int64_t>();
    if (i < 0) return out_of_range();
    n = static_cast<std::uint64_t>(i);
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    if (d < 0 || d != static_cast<double>(static_cast<std::uint64_t>(d))) return out_of_range();
    n = static_cast<std::uint64_t>(d);
  } else {
    return out_of_range();
  }
  if (n < min || n > max) return out_of_range();
  return static_cast<std::size_t>(n);
}

Result<std::vector<std::string>> get_strings(const Json& args, const char* key) {
  std::vector<std::string> out;
  const Json* v = find_arg(args, key);
  if (v == nullptr) return out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
    return out;
  }
  if (!v->is_array()) return bad_argument(fmt::format("{} must be an array of strings", key));
  for (const Json& item : *v) {
    if (!item.is_string()) return bad_argument(fmt::format("{} must be an array of strings", key));
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<std::string> split_words(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find_first_of(separators, pos), text.size());
    if (end > pos) out.emplace_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string valid_kinds() {
  std::string out;
  for (int k = static_cast<int>(SymbolKind::File); k <= static_cast<int>(SymbolKind::Import); ++k)
    out += fmt::format("{}{}", out.empty() ? "" : ", ", to_string(static_cast<SymbolKind>(k)));
  return out;
}

std::string valid_languages() {
  std::string out;
  for (Language l : kAllLanguages) out += fmt::format("{}{}", out.empty() ? "" : ", ", to_string(l));
  return out;
}

// type / lang / path filters, as the CLI's --type/--lang/--path (comma-separated lists allowed).
Result<store::SymbolFilter> parse_filter(const Json& args, const store::ProjectRecord& project,
                                         const char* kind_key = "type") {
  store::SymbolFilter filter;
  auto kinds = get_string(args, kind_key);
  if (!kinds) return std::unexpected(kinds.error());
  for (const auto& k : split_words(*kinds, ", ")) {
    auto kind = symbol_kind_from_string(k);
    if (!kind) return bad_argument(fmt::format("unknown {} '{}' (one of: {})", kind_key, k, valid_kinds()));
    filter.kinds.push_back(*kind);
  }
  auto langs = get_string(args, "lang");
  if (!langs) return std::unexpected(langs.error());
  for (const auto& l : split_words(*langs, ", ")) {
    auto lang = language_from_string(l);
    if (!lang) return bad_argument(fmt::format("unknown lang '{}' (one of: {})", l, valid_languages()));
    filter.languages.push_back(*lang);
  }
  auto glob = get_string(args, "path");
  if (!glob) return std::unexpected(glob.error());
  if (!glob->empty()) {
    std::string pattern = *glob;
    if (pattern.front() == '/') {  // an absolute path inside the root is accepted as its relative spelling
      auto rel = ProjectService::relative_path(project, pattern);
      if (!rel) return std::unexpected(rel.error());
      pattern = *rel == "." ? "" : *rel;
    }
    if (!pattern.empty() && pattern.find_first_of("*?[") == std::string::npos) pattern += "*";  // a plain prefix
    filter.path_glob = pattern;
  }
  return filter;
}

// SQLite GLOB semantics (what `path` means for the symbol tools: '*' crosses '/'), so search_text
// filters files exactly as the other tools do.
bool sql_glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star_p = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star_p = p++;
      star_t = t;
      continue;
    }
    if (p < pattern.size() && pattern[p] == '[') {
      std::size_t q = p + 1;
      const bool negate = q < pattern.size() && pattern[q] == '^';
      if (negate) ++q;
      bool matched = false;
      bool first = true;
      while (q < pattern.size() && (first || pattern[q] != ']')) {
        first = false;
        if (q + 2 < pattern.size() && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
          matched = matched || (text[t] >= pattern[q] && text[t] <= pattern[q + 2]);
          q += 3;
        } else {
          matched = matched || text[t] == pattern[q];
          ++q;
        }
      }
      if (q < pattern.size() && matched != negate) {
        p = q + 1;
        ++t;
        continue;
      }
    } else if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p + 1;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// ================================================================================================
// Rendering
// ================================================================================================

std::string shorten(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max > 3 ? max - 3 : max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return std::string(s.substr(0, cut)) + "...";
}

std::string first_line(std::string_view s, std::size_t max) { return shorten(s.substr(0, s.find('\n')), max); }

std::string id_string(SymbolId id) { return std::to_string(id); }

std::string display_name(const store::SymbolRecord& s) {
  return s.qualified_name.empty() ? s.name : s.qualified_name;
}

std::string location(const store::SymbolRecord& s) { return fmt::format("{}:{}", s.path, s.span.start_line); }

std::string plural(std::size_t n, std::string_view word) {
  const bool sibilant = word.ends_with("ch") || word.ends_with("s");
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : sibilant ? "es" : "s");
}

std::string iso_time(std::int64_t unix_seconds) {
  if (unix_seconds <= 0) return "never";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Json symbol_json(const store::SymbolRecord& s) {
  Json j = {{"id", id_string(s.id)},
            {"name", s.name},
            {"qualified_name", s.qualified_name},
            {"kind", to_string(s.kind)},
            {"language", to_string(s.language)},
            {"path", s.path},
            {"line", s.span.start_line},
            {"end_line", s.span.end_line},
            {"signature", s.signature},
            {"importance", s.importance},
            {"callers", s.in_degree},
            {"callees", s.out_degree},
            {"tags", s.tags}};
  if (!s.doc.empty()) j["doc"] = first_line(s.doc, 200);
  return j;
}

// "1. function parse_args  argparse.py:1843  (importance 0.82)\n   def parse_args(self, args=None)\n"
std::string symbol_entry(std::size_t rank, const store::SymbolRecord& s) {
  std::string tags;
  for (const auto& t : s.tags) tags += ", " + t;
  std::string out = fmt::format("{}. {} {}  {}  (importance {:.2f}{})\n", rank, to_string(s.kind), display_name(s),
                                location(s), s.importance, tags);
  if (!s.signature.empty()) out += fmt::format("   {}\n", shorten(s.signature, 160));
  return out;
}

std::string edge_label(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::Calls: return "call";
    case EdgeKind::Inherits: return "inherits";
    case EdgeKind::Implements: return "implements";
    case EdgeKind::Imports: return "import";
    case EdgeKind::Contains: return "contains";
  }
  return "ref";
}

std::string mime_for(Language language) {
  switch (language) {
    case Language::Python: return "text/x-python";
    case Language::JavaScript: return "text/javascript";
    case Language::TypeScript:
    case Language::Tsx: return "text/x-typescript";
    case Language::Java: return "text/x-java";
    case Language::Go: return "text/x-go";
    case Language::Rust: return "text/x-rust";
    case Language::C: return "text/x-c";
    case Language::Cpp: return "text/x-c++";
    case Language::Unknown: break;
  }
  return "text/plain";
}

// Lines [first, last] (1-based, inclusive) of `content`.
std::vector<std::string_view> lines_between(std::string_view content, std::uint32_t first, std::uint32_t last) {
  std::vector<std::string_view> out;
  std::uint32_t line = 1;
  std::size_t pos = 0;
  while (pos <= content.size() && line <= last) {
    std::size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) end = content.size();
    if (line >= first) out.push_back(content.substr(pos, end - pos));
    if (end == content.size()) break;
    pos = end + 1;
    ++line;
  }
  return out;
}

// Caps the text and the structured content of one result at the same number of characters. The
// first item always fits, so a page always makes progress; items are whole or absent.
class Budget {
 public:
  explicit Budget(std::size_t max_chars) : max_(max_chars) {}
  bool take(std::size_t text_chars, std::size_t json_chars) {
    if (items_ > 0 && (text_ + text_chars > max_ || json_ + json_chars > max_)) return false;
    text_ += text_chars;
    json_ += json_chars;
    ++items_;
    return true;
  }
  bool take(const std::string& text, const Json& json) { return take(text.size(), json.dump().size()); }
  std::size_t remaining() const { return text_ >= max_ ? 0 : max_ - text_; }

 private:
  std::size_t max_;
  std::size_t text_ = 0;
  std::size_t json_ = 0;
  std::size_t items_ = 0;
};

void add_paging(Json& structured, std::string& text, bool truncated, std::size_t next_offset, std::string_view hint = {}) {
  structured["truncated"] = truncated;
  if (!truncated) return;
  structured["next_offset"] = next_offset;
  text += fmt::format("... truncated: call again with offset={} for more{}\n", next_offset, hint);
}

// ================================================================================================
// Schemas
// ================================================================================================

Json prop(const char* type, std::string description) { return {{"type", type}, {"description", std::move(description)}}; }

Json int_prop(std::string description, std::size_t min, std::size_t max, std::optional<std::size_t> fallback) {
  Json j = {{"type", "integer"}, {"description", std::move(description)}, {"minimum", min}, {"maximum", max}};
  if (fallback) j["default"] = *fallback;
  return j;
}

Json bool_prop(std::string description, bool fallback) {
  return {{"type", "boolean"}, {"description", std::move(description)}, {"default", fallback}};
}

Json enum_prop(std::string description, std::vector<std::string> values, std::string fallback) {
  return {{"type", "string"}, {"description", std::move(description)}, {"enum", std::move(values)}, {"default", std::move(fallback)}};
}

Json array_of(Json items, std::string description = {}) {
  Json j = {{"type", "array"}, {"items", std::move(items)}};
  if (!description.empty()) j["description"] = std::move(description);
  return j;
}

Json project_path_prop() {
  return prop("string",
              "Directory inside an indexed project (absolute, or relative to the session's directory). Default: the "
              "client's first root, else the server's working directory.");
}

Json input_schema(Json properties, std::vector<std::string> required = {}) {
  properties["project_path"] = project_path_prop();
  Json j = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) j["required"] = std::move(required);
  return j;
}

// Strict: a field the tool returns but does not declare here fails clients that validate
// structuredContent (the TypeScript SDK does), so every object lists all it may carry.
Json output_schema(Json properties, std::vector<std::string> required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

Json counts_schema(std::string description) {
  return {{"type", "object"}, {"description", std::move(description)}, {"additionalProperties", {{"type", "integer"}}}};
}

Json string_array() { return array_of(Json{{"type", "string"}}); }

Json symbol_schema() {
  return output_schema(
      {{"id", prop("string", "Stable symbol id (decimal string; pass it as `name` to find_definition)")},
       {"name", prop("string", "Simple name")},
       {"qualified_name", prop("string", "Qualified name")},
       {"kind", prop("string", "Symbol kind")},
       {"language", prop("string", "Language")},
       {"path", prop("string", "File path relative to the project root")},
       {"line", prop("integer", "First line (1-based)")},
       {"end_line", prop("integer", "Last line")},
       {"signature", prop("string", "Declaration head")},
       {"importance", prop("number", "PageRank-based importance in [0, 1]")},
       {"callers", prop("integer", "Incoming edges (in-degree)")},
       {"callees", prop("integer", "Outgoing edges (out-degree)")},
       {"tags", string_array()},
       {"doc", prop("string", "First line of the doc comment")},
       {"rank", prop("integer", "Position in the full result list (1-based)")},
       {"score", prop("number", "Search score")}},
      {"id", "name", "qualified_name", "kind", "path", "line", "end_line"});
}

Json paging_schema_props(Json props) {
  props["truncated"] = prop("boolean", "True when more items exist than were returned");
  props["next_offset"] = prop("integer", "Pass as `offset` to continue (present when truncated)");
  return props;
}

Json filter_props(Json props) {
  props["type"] = prop("string", fmt::format("Only symbols of these kinds, comma-separated (one of: {})", valid_kinds()));
  props["lang"] = prop("string", fmt::format("Only these languages, comma-separated (one of: {})", valid_languages()));
  props["path"] = prop("string",
                       "Only files whose relative path matches this glob ('*' also matches '/'); a plain prefix such "
                       "as 'src/net' matches everything under it");
  return props;
}

ToolAnnotations query_annotations() {
  ToolAnnotations a;
  a.read_only = true;
  a.idempotent = true;
  a.open_world = false;
  return a;
}

// ================================================================================================
// Result cache
// ================================================================================================

// Results of the read-only index queries, LRU-bounded by bytes. Keys carry the index's identity
// and stamp (Tools::call), so an entry is never found again once the index it was computed from
// has changed; stale entries simply age out. An entry is the result serialised (the tools/call
// result object without _meta, ToolResult::serialized): a hit is answered without copying or
// serialising a JSON tree, and the text is what the entry costs to keep. Entries are immutable
// and shared, so the lock only covers list and map surgery.
class ResultCache {
 public:
  using Text = std::shared_ptr<const std::string>;
  explicit ResultCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // `count_miss` false: a probe whose miss is counted by the lookup that follows it.
  Text find(const std::string& key, bool count_miss = true) {
    std::lock_guard lock(mutex_);
    const auto it = index_.find(key);
    if (it == index_.end()) {
      if (count_miss) ++misses_;
      return nullptr;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->result;
  }

  void insert(std::string key, Text shared) {
    const std::size_t bytes = key.size() + shared->size() + kEntryOverhead;
    if (bytes > max_bytes_) return;  // would evict everything and still not fit
    std::list<Entry> evicted;  // destroyed after the lock is released
    std::lock_guard lock(mutex_);
    if (const auto it = index_.find(key); it != index_.end()) {
      bytes_ -= it->second->bytes;
      it->second->result = std::move(shared);
      it->second->bytes = bytes;
      bytes_ += bytes;
      lru_.splice(lru_.begin(), lru_, it->second);
    } else {
      lru_.push_front(Entry{std::move(key), std::move(shared), bytes});
      index_.emplace(lru_.front().key, lru_.begin());
      bytes_ += bytes;
    }
    while (bytes_ > max_bytes_ && !lru_.empty()) {
      const auto oldest = std::prev(lru_.end());
      bytes_ -= oldest->bytes;
      index_.erase(oldest->key);
      evicted.splice(evicted.end(), lru_, oldest);
    }
  }

  // Drops every entry; returns how many there were.
  std::size_t clear() {
    std::list<Entry> dropped;
    std::lock_guard lock(mutex_);
    const std::size_t n = lru_.size();
    index_.clear();
    dropped.swap(lru_);
    bytes_ = 0;
    return n;
  }

  struct Counters {
    std::uint64_t hits = 0, misses = 0, entries = 0, bytes = 0;
  };
  Counters counters() const {
    std::lock_guard lock(mutex_);
    return {hits_, misses_, lru_.size(), bytes_};
  }
  std::size_t max_bytes() const { return max_bytes_; }

 private:
  // Per-entry bookkeeping (list node, map node, shared_ptr control block), roughly.
  static constexpr std::size_t kEntryOverhead = 160;

  struct Entry {
    std::string key;
    Text result;
    std::size_t bytes = 0;
  };

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> lru_;                                                    // most recent first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;  // keys point into lru_
  std::size_t bytes_ = 0;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
};

// What a cached result belongs to: the database file (a full re-index replaces it) and the
// stamp every index run writes (generation; indexed_at also moves on runs that change nothing
// but the skipped list). Read through the connection the tool itself uses.
struct IndexStamp {
  std::string db_path;
  dev_t device = 0;
  ino_t inode = 0;
  std::string generation;
  std::string indexed_at;
  bool operator==(const IndexStamp&) const = default;
};

Result<IndexStamp> read_stamp(ProjectService& service, const store::ProjectRecord& project) {
  auto opened = service.open_identified(project);
  if (!opened) return std::unexpected(opened.error());
  auto generation = opened->store->meta("generation");
  if (!generation) return std::unexpected(generation.error());
  auto indexed_at = opened->store->meta("indexed_at");
  if (!indexed_at) return std::unexpected(indexed_at.error());
  return IndexStamp{project.db_path, opened->device, opened->inode, generation->value_or(""),
                    indexed_at->value_or("")};
}

// ================================================================================================
// The tools
// ================================================================================================

struct ProjectCall {
  store::ProjectRecord project;
  std::shared_ptr<store::IndexStore> db;
};

class Tools {
 public:
  Tools(std::shared_ptr<ProjectService> service, CodeToolsOptions options)
      : service_(std::move(service)),
        max_chars_(std::max<std::size_t>(1000, options.max_result_chars)),
        cache_(options.result_cache_bytes > 0 ? std::make_unique<ResultCache>(options.result_cache_bytes) : nullptr),
        freshness_(std::move(options.freshness)),
        search_indexes_(options.memory_search_index
                            ? std::make_unique<SearchIndexes>(service_, SearchIndexes::Options{})
                            : nullptr) {}

  CodeToolsStats stats() const;

  std::vector<ToolSpec> specs(const std::shared_ptr<Tools>& self) const;
  ResourceProvider resource_provider(const std::shared_ptr<Tools>& self) const;
  std::vector<PromptSpec> prompts(const std::shared_ptr<Tools>& self) const;

  using Query = Result<ToolResult> (Tools::*)(ToolContext&);
  // Every tool call: resolves the project the call is about (and starts watching it), runs the
  // tool (a read-only index query through the result cache when `cacheable`), and stamps the
  // result's _meta with the index generation it came from and the changes still pending.
  Result<ToolResult> call(ToolContext& ctx, std::string_view tool, Query query, bool cacheable);
  // ToolSpec::answer_at_once of the cached tools: call()'s answer when it is a result cache hit
  // that can be given on the receiving thread (see the definition); nullopt otherwise.
  std::optional<ToolResult> answer_from_cache(ToolContext& ctx, std::string_view tool);
  // index_codebase with the job counters around it.
  Result<ToolResult> counted_index_codebase(ToolContext& ctx);

  // --- tools ---
  Result<ToolResult> index_codebase(ToolContext& ctx);
  Result<ToolResult> search_code(ToolContext& ctx);
  Result<ToolResult> query_important_code(ToolContext& ctx);
  Result<ToolResult> get_project_stats(ToolContext& ctx);
  Result<ToolResult> list_indexed_projects(ToolContext& ctx);
  Result<ToolResult> manage_cache(ToolContext& ctx);
  Result<ToolResult> get_ignore_patterns(ToolContext& ctx);
  Result<ToolResult> find_definition(ToolContext& ctx);
  Result<ToolResult> find_references(ToolContext& ctx);
  Result<ToolResult> find_callees(ToolContext& ctx);
  Result<ToolResult> get_file_outline(ToolContext& ctx);
  Result<ToolResult> get_codebase_overview(ToolContext& ctx);
  Result<ToolResult> get_index_status(ToolContext& ctx);
  Result<ToolResult> search_text(ToolContext& ctx);

  // --- resources and prompts ---
  Result<std::pair<std::vector<ResourceSpec>, std::string>> list_files(ToolContext& ctx, const std::string& cursor,
                                                                       std::size_t page_size);
  std::optional<Result<std::vector<ResourceContent>>> read_resource(ToolContext& ctx, const std::string& uri);
  Result<Json> orient_prompt(ToolContext& ctx);
  Result<Json> explain_prompt(ToolContext& ctx, const Json& arguments);
  std::vector<std::string> complete_symbol(const std::string& value);

 private:
  struct Rendered {
    std::string text;
    Json json;
    bool truncated = false;
  };

  Result<fs::path> requested_path(ToolContext& ctx, const char* key = "project_path");
  Result<ProjectCall> open_project(ToolContext& ctx);
  Result<ProjectCall> open_default(ToolContext& ctx);
  Result<Rendered> render_definitions(ProjectCall& call, std::string_view name, const store::SymbolFilter& filter,
                                      std::size_t limit, bool include_body, std::size_t budget_chars);
  Result<Rendered> render_overview(ProjectCall& call, std::size_t limit, std::size_t budget_chars);
  Result<std::string> symbol_source(ProjectCall& call, const store::SymbolRecord& s);

  std::shared_ptr<ProjectService> service_;
  std::size_t max_chars_;
  std::unique_ptr<ResultCache> cache_;  // null: caching off
  std::shared_ptr<watch::FreshnessService> freshness_;  // null: nothing is watched
  std::unique_ptr<SearchIndexes> search_indexes_;        // null: search_code always asks SQL
  std::atomic<std::size_t> index_jobs_running_{0};
  std::atomic<std::uint64_t> index_jobs_total_{0};
};

CodeToolsStats Tools::stats() const {
  CodeToolsStats out;
  if (cache_) {
    const auto c = cache_->counters();
    out.cache_hits = c.hits;
    out.cache_misses = c.misses;
    out.cache_entries = c.entries;
    out.cache_bytes = c.bytes;
  }
  out.projects_open = service_->open_indexes();
  out.index_jobs_running = index_jobs_running_.load(std::memory_order_relaxed);
  out.index_jobs_total = index_jobs_total_.load(std::memory_order_relaxed);
  return out;
}

std::optional<std::int64_t> parse_generation(std::string_view text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return n;
}

// A serialised result (ToolResult::serialized) as a value again, to be changed (pending note).
ToolResult parse_tool_result(const std::string& text, std::optional<Json> meta) {
  Json whole = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!whole.is_object()) return ToolResult::error("internal error: unreadable cached result");
  ToolResult result;
  if (auto content = whole.find("content"); content != whole.end()) result.content = std::move(*content);
  if (auto structured = whole.find("structuredContent"); structured != whole.end())
    result.structured = std::move(*structured);
  result.is_error = whole.value("isError", false);
  result.meta = std::move(meta);
  return result;
}

// "note: 3 changed files are being re-indexed; results are from generation 7", as the last line
// of the result's text, so a model reading only the text knows the answer may lag the disk.
void append_pending_note(ToolResult& result, std::size_t pending, std::int64_t generation) {
  std::string note = fmt::format("note: {} {} being re-indexed; results are from generation {}\n",
                                 plural(pending, "changed file"), pending == 1 ? "is" : "are", generation);
  if (!result.content.is_array()) result.content = Json::array();
  for (auto it = result.content.rbegin(); it != result.content.rend(); ++it) {
    if (!it->is_object() || it->value("type", "") != "text" || !(*it)["text"].is_string()) continue;
    std::string& text = (*it)["text"].get_ref<std::string&>();
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += note;
    return;
  }
  result.content.push_back(Json{{"type", "text"}, {"text", std::move(note)}});
}

// A result cache key. The requested directory (the session's default when project_path is
// absent or relative) is part of it: it picks the project, and relative arguments are read
// against it.
std::string cache_key(std::string_view tool, const IndexStamp& stamp, const fs::path& requested, const Json& args) {
  return fmt::format("{}\n{}\n{}:{}\n{}\n{}\n{}\n{}", tool, stamp.db_path, stamp.device, stamp.inode,
                     stamp.generation, stamp.indexed_at, requested.string(), args.dump());
}

// Every result's _meta: the index generation it was computed from and the changes not in it yet.
Json result_meta(std::int64_t generation, std::size_t pending) {
  return Json{{"cci/indexGeneration", generation}, {"cci/pendingChanges", pending}};
}

// The same answer call() would give, read the same way as its cache lookup, but only when that is
// a hit and giving it takes no step that may block or work hard: the session's directory must be
// known without asking the client, the project already watched, and no change pending (the note
// rewrites the result). Anything else is left to call() on a worker. The stamp is read through
// this thread's own connection, opened on first use.
std::optional<ToolResult> Tools::answer_from_cache(ToolContext& ctx, std::string_view tool) {
  if (!cache_) return std::nullopt;
  auto given = get_string(args_of(ctx), "project_path");
  if (!given) return std::nullopt;
  fs::path path(*given);
  if (given->empty() || path.is_relative()) {
    auto base = ctx.known_project_path();
    if (!base) return std::nullopt;
    path = given->empty() ? std::move(*base) : *base / path;
  }
  auto project = service_->resolve(path);
  if (!project) return std::nullopt;
  if (freshness_) {
    const auto status = freshness_->status(project->root);
    if (!status || status->pending_paths > 0) return std::nullopt;
  }
  auto stamp = read_stamp(*service_, *project);
  if (!stamp) return std::nullopt;
  auto hit = cache_->find(cache_key(tool, *stamp, path, args_of(ctx)), /*count_miss=*/false);
  if (!hit) return std::nullopt;
  ToolResult result;
  result.serialized = std::move(hit);
  result.meta = result_meta(parse_generation(stamp->generation).value_or(0), 0);
  return result;
}

Result<ToolResult> Tools::call(ToolContext& ctx, std::string_view tool, Query query, bool cacheable) {
  const bool indexing = tool == "index_codebase";
  // The directory the call is about: index_codebase also accepts it as `path`.
  const auto requested = [&]() -> Result<fs::path> {
    if (indexing) {
      auto given = get_string(args_of(ctx), "project_path");
      if (given && given->empty()) return requested_path(ctx, "path");
    }
    return requested_path(ctx);
  };
  // Whatever keeps the project from being resolved (not indexed, bad path) is the tool's own
  // error to report: then the result has no _meta and is not cached.
  auto path = requested();
  std::optional<store::ProjectRecord> project;
  if (path && !indexing) {
    if (auto resolved = service_->resolve(*path)) project = std::move(*resolved);
  }
  // Watching begins the first time a project is served. index_codebase starts it only after
  // indexing, so its own run and a reconcile pass do not race over the same index.
  if (project && freshness_) freshness_->watch_project(project->root);

  std::optional<std::string> generation;  // the index the result was computed from, when known
  ToolResult result;
  const bool caching = cacheable && cache_ && project;
  const auto key_of = [&](const IndexStamp& stamp) { return cache_key(tool, stamp, *path, args_of(ctx)); };
  // A hit needs nothing from the index but its stamp, so it is looked up before a snapshot is
  // pinned (pinning costs more than the rest of a hit). Its two reads may straddle a commit; the
  // pair then names either a state no result was stored under (a miss) or a state that really
  // had that generation and indexed_at, whose result the entry is: a hit is always answered, and
  // labelled, as of one committed index.
  bool answered = false;
  if (caching) {
    if (auto stamp = read_stamp(*service_, *project)) {
      if (auto hit = cache_->find(key_of(*stamp))) {
        result.serialized = std::move(hit);
        generation = std::move(stamp->generation);
        answered = true;
      }
    }
  }

  // Every read of the call (stamp, query, generation) answers from one committed index: an update
  // committing meanwhile is not seen halfway, and the generation reported is the one answered from.
  std::shared_ptr<store::IndexStore> pinned;
  store::ReadSnapshot snapshot;
  if (!answered && project && !indexing) {
    if (auto opened = service_->open(*project)) {
      pinned = std::move(*opened);
      if (auto pinned_snapshot = pinned->read_snapshot()) snapshot = std::move(*pinned_snapshot);
    }
  }
  if (!answered) {
    std::optional<IndexStamp> before;
    if (caching) {
      if (auto stamp = read_stamp(*service_, *project)) before = std::move(*stamp);
    }
    result = as_tool_result([&] { return (this->*query)(ctx); });
    if (before) {
      // Kept only if the index did not move while the query ran: then every read it made saw
      // the stamp the key names (a commit in between would have changed it).
      // (The snapshot pins it, unless a full re-index replaced the file and the connection.)
      auto after = read_stamp(*service_, *project);
      if (after) generation = after->generation;
      if (!result.is_error && after && *after == *before) {
        // Serialised once: the entry, and this answer (the session sends the text as it is).
        auto text = std::make_shared<const std::string>(detail::tool_result_text(std::move(result)));
        result = ToolResult{};
        result.serialized = text;
        cache_->insert(key_of(*before), std::move(text));
      }
    }
  }

  if (indexing && path && !result.is_error) {
    if (auto resolved = service_->resolve(*path)) project = std::move(*resolved);
  }
  if (!project) return result;
  if (!generation) {
    // Read after the tool ran, so index_codebase reports the generation it just wrote.
    auto db = service_->open(*project);
    if (!db) return result;
    auto value = (*db)->meta("generation");
    if (!value) return result;
    generation = value->value_or("0");
  }
  // After reading the generation: the reconcile pass this starts may commit the next one.
  if (indexing && freshness_) freshness_->watch_project(project->root);
  const std::int64_t gen = parse_generation(*generation).value_or(0);
  std::size_t pending = 0;
  if (freshness_) {
    if (auto status = freshness_->status(project->root)) pending = status->pending_paths;
  }
  result.meta = result_meta(gen, pending);
  if (pending > 0) {
    if (result.serialized) result = parse_tool_result(*result.serialized, std::move(result.meta));
    append_pending_note(result, pending, gen);
  }
  return result;
}

Result<ToolResult> Tools::counted_index_codebase(ToolContext& ctx) {
  index_jobs_running_.fetch_add(1, std::memory_order_relaxed);
  struct Finish {
    Tools& tools;
    ~Finish() {
      tools.index_jobs_running_.fetch_sub(1, std::memory_order_relaxed);
      tools.index_jobs_total_.fetch_add(1, std::memory_order_relaxed);
    }
  } finish{*this};
  return index_codebase(ctx);
}

Result<fs::path> Tools::requested_path(ToolContext& ctx, const char* key) {
  auto given = get_string(args_of(ctx), key);
  if (!given) return std::unexpected(given.error());
  if (given->empty()) return ctx.default_project_path();
  fs::path p(*given);
  if (p.is_relative()) p = ctx.default_project_path() / p;
  return p;
}

Result<ProjectCall> Tools::open_project(ToolContext& ctx) {
  auto path = requested_path(ctx);
  if (!path) return std::unexpected(path.error());
  auto project = service_->resolve(*path);
  if (!project) return std::unexpected(project.error());
  auto db = service_->open(*project);
  if (!db) return std::unexpected(db.error());
  return ProjectCall{std::move(*project), std::move(*db)};
}

Result<ProjectCall> Tools::open_default(ToolContext& ctx) {
  auto project = service_->resolve(ctx.default_project_path());
  if (!project) return std::unexpected(project.error());
  auto db = service_->open(*project);
  if (!db) return std::unexpected(db.error());
  return ProjectCall{std::move(*project), std::move(*db)};
}

// --- index_codebase -----------------------------------------------------------------------------

Result<ToolResult> Tools::index_codebase(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto given = get_string(a, "project_path");
  if (!given) return std::unexpected(given.error());
  const char* key = given->empty() ? "path" : "project_path";  // `path` is the reference's alias
  auto path = requested_path(ctx, key);
  if (!path) return std::unexpected(path.error());
  const fs::path root = canonical_root(*path);
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return bad_argument(fmt::format("{} is not a directory", root.string()));
  auto force = get_bool(a, "force", false);
  auto workers = get_count(a, "workers", 0, 0, 256);
  auto excludes = get_strings(a, "custom_ignore");
  if (!force) return std::unexpected(force.error());
  if (!workers) return std::unexpected(workers.error());
  if (!excludes) return std::unexpected(excludes.error());

  std::atomic<bool> cancel{false};
  double last_sent = -1;
  index::IndexOptions options;
  options.force = *force;
  options.workers = *workers;
  options.scan.extra_excludes = *excludes;
  options.data_dir = service_->data_dir();
  options.cancel = &cancel;
  // The indexer calls back from this thread (throttled): the place to poll for cancellation.
  // Progress values must only grow, so phases that do not advance the file count are not sent.
  options.on_progress = [&](const index::Progress& p) {
    if (ctx.cancelled()) cancel.store(true);
    const double done = static_cast<double>(p.files_done);
    if (done <= last_sent) return;
    last_sent = done;
    const auto total = p.files_total > 0 ? std::optional<double>(static_cast<double>(p.files_total)) : std::nullopt;
    if (p.phase == index::Progress::Phase::Parsing)
      ctx.progress(done, total, fmt::format("parsing {}/{}", p.files_done, p.files_total));
    else
      ctx.progress(done, total, fmt::format("{} ({}/{} files parsed)", index::to_string(p.phase), p.files_done, p.files_total));
  };
  auto report = index::index_project(root, options);
  if (!report) {
    const Error& e = report.error();
    if (e.code == ErrorCode::Cancelled || cancel.load())
      return std::unexpected(Error{ErrorCode::Cancelled,
                                   fmt::format("indexing {} was cancelled; the previous index is unchanged", root.string())});
    if (e.code == ErrorCode::Refused)
      return std::unexpected(Error{e.code, fmt::format("{} (pass force=true to index it anyway)", e.message)});
    return std::unexpected(e);
  }
  const index::IndexReport& r = *report;
  Json langs = Json::object();
  for (const auto& [k, v] : r.files_by_language) langs[k] = v;
  std::map<std::string, std::size_t> reasons;
  for (const auto& s : r.skipped) ++reasons[s.reason];
  Json skipped_by_reason = Json::object();
  for (const auto& [k, v] : reasons) skipped_by_reason[k] = v;
  Json structured = {{"root", r.root.string()},
                     {"database", r.db_path.string()},
                     {"incremental", r.incremental},
                     {"generation", r.generation},
                     {"files",
                      {{"total", r.files_total},
                       {"parsed", r.files_parsed},
                       {"unchanged", r.files_unchanged},
                       {"removed", r.files_removed},
                       {"partial", r.files_partial}}},
                     {"files_by_language", langs},
                     {"symbols", r.symbols},
                     {"edges", r.edges},
                     {"unresolved_references", r.unresolved_references},
                     {"skipped", r.skipped.size()},
                     {"skipped_by_reason", skipped_by_reason},
                     {"ignored", r.ignored},
                     {"seconds", r.seconds_total}};
  std::string lang_text, reason_text;
  for (const auto& [k, v] : r.files_by_language) lang_text += fmt::format("{}{} {}", lang_text.empty() ? "" : ", ", k, v);
  for (const auto& [k, v] : reasons) reason_text += fmt::format("{}{} {}", reason_text.empty() ? "" : ", ", k, v);
  std::string text = fmt::format("Indexed {} in {:.2f}s{}\n", r.root.string(), r.seconds_total,
                                 r.incremental ? fmt::format(" (incremental: {} parsed, {} unchanged, {} removed)",
                                                             r.files_parsed, r.files_unchanged, r.files_removed)
                                               : "");
  text += fmt::format("files    {} ({}){}\n", r.files_total, lang_text.empty() ? "none" : lang_text,
                      r.files_partial ? fmt::format("; {} partially parsed (syntax errors)", r.files_partial) : "");
  text += fmt::format("symbols  {}\nedges    {}; {} unresolved references kept by name\n", r.symbols, r.edges,
                      r.unresolved_references);
  text += fmt::format("skipped  {}{}; {} paths ignored by rules\n", r.skipped.size(),
                      reason_text.empty() ? "" : fmt::format(" ({})", reason_text), r.ignored);
  text += fmt::format("index    {} (generation {})\n", r.db_path.string(), r.generation);
  return text_result(std::move(text), std::move(structured));
}

// --- search_code ---------------------------------------------------------------------------------

Result<ToolResult> Tools::search_code(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto terms = get_string(a, "terms");
  auto mode = get_string(a, "mode", "any");
  auto limit = get_count(a, "limit", 10, 1, 200);
  auto offset = get_count(a, "offset", 0, 0, 1000000);
  if (!terms) return std::unexpected(terms.error());
  if (!mode) return std::unexpected(mode.error());
  if (!limit) return std::unexpected(limit.error());
  if (!offset) return std::unexpected(offset.error());
  if (*mode != "any" && *mode != "all") return bad_argument(fmt::format("unknown mode '{}' (one of: any, all)", *mode));
  auto words = split_words(*terms, " \t\n");
  if (words.empty()) return bad_argument("terms is empty: pass words to search for, e.g. \"parse args\"");
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto filter = parse_filter(a, call->project);
  if (!filter) return std::unexpected(filter.error());

  // The in-memory index answers when it was built from the very state this call reads.
  std::shared_ptr<const search::SymbolIndex> memory;
  if (search_indexes_) {
    if (auto stamp = read_stamp(*service_, call->project))
      memory = search_indexes_->get(call->project,
                                    {stamp->device, stamp->inode, std::move(stamp->generation), std::move(stamp->indexed_at)});
  }
  search::Searcher searcher(*call->db, memory.get());
  search::SearchRequest request{words, *mode == "all" ? search::MatchMode::All : search::MatchMode::Any, *filter,
                                *limit, *offset};
  auto results = searcher.search(request);
  if (!results) return std::unexpected(results.error());

  Budget budget(max_chars_);
  Json hits = Json::array();
  std::string body;
  std::size_t shown = 0;
  for (const auto& h : results->hits) {
    const std::size_t rank = *offset + shown + 1;
    Json j = symbol_json(h.symbol);
    j["rank"] = rank;
    j["score"] = h.score;
    std::string entry = symbol_entry(rank, h.symbol);
    if (!budget.take(entry, j)) break;
    body += entry;
    hits.push_back(std::move(j));
    ++shown;
  }
  const bool truncated = results->more || shown < results->hits.size();
  std::string text;
  if (hits.empty())
    text = fmt::format("no symbols match '{}' ({}) — try fewer or shorter words, mode=any, or search_text for literal text\n",
                       *terms, *mode);
  else
    text = fmt::format("{} for '{}' ({}){}:\n", plural(shown, "symbol"), *terms, *mode,
                       *offset ? fmt::format(", from #{}", *offset + 1) : "") + body;
  Json structured = {{"project", call->project.root}, {"query", *terms}, {"mode", *mode}, {"results", std::move(hits)}};
  add_paging(structured, text, truncated, *offset + shown);
  return text_result(std::move(text), std::move(structured));
}

// --- query_important_code ------------------------------------------------------------------------

Result<ToolResult> Tools::query_important_code(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto limit = get_count(a, "limit", 20, 1, 200);
  auto offset = get_count(a, "offset", 0, 0, 100000);
  if (!limit) return std::unexpected(limit.error());
  if (!offset) return std::unexpected(offset.error());
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto filter = parse_filter(a, call->project, "node_type");
  if (!filter) return std::unexpected(filter.error());
  // The kind filter runs in SQL over the importance order, so a rare kind is found however far
  // down the ranking it sits.
  auto symbols = call->db->important_symbols(*filter, *offset + *limit + 1);
  if (!symbols) return std::unexpected(symbols.error());

  Budget budget(max_chars_);
  Json list = Json::array();
  std::string body;
  std::size_t shown = 0;
  for (std::size_t i = *offset; i < symbols->size() && shown < *limit; ++i) {
    Json j = symbol_json((*symbols)[i]);
    j["rank"] = i + 1;
    std::string entry = symbol_entry(i + 1, (*symbols)[i]);
    if (!budget.take(entry, j)) break;
    body += entry;
    list.push_back(std::move(j));
    ++shown;
  }
  const bool truncated = symbols->size() > *offset + shown;
  std::string text = list.empty() ? std::string("no symbols of that kind in the index\n")
                                  : fmt::format("{} by importance:\n", plural(shown, "symbol")) + body;
  Json structured = {{"project", call->project.root}, {"results", std::move(list)}};
  add_paging(structured, text, truncated, *offset + shown);
  return text_result(std::move(text), std::move(structured));
}

// --- get_project_stats ---------------------------------------------------------------------------

Json pairs_json(const std::vector<std::pair<std::string, std::size_t>>& items) {
  Json j = Json::object();
  for (const auto& [k, v] : items) j[k] = v;
  return j;
}

std::string pairs_text(const std::vector<std::pair<std::string, std::size_t>>& items) {
  std::string out;
  for (const auto& [k, v] : items) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", k, v);
  return out.empty() ? "none" : out;
}

std::int64_t meta_int(store::IndexStore& db, std::string_view key) {
  auto value = db.meta(key);
  if (!value || !*value) return 0;
  std::int64_t n = 0;
  const std::string& s = **value;
  std::from_chars(s.data(), s.data() + s.size(), n);
  return n;
}

Result<ToolResult> Tools::get_project_stats(ToolContext& ctx) {
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto stats = call->db->stats();
  if (!stats) return std::unexpected(stats.error());
  const std::int64_t generation = meta_int(*call->db, "generation");
  const std::int64_t indexed_at = meta_int(*call->db, "indexed_at");
  Json structured = {{"root", call->project.root},
                     {"database", call->project.db_path},
                     {"generation", generation},
                     {"indexed_at", iso_time(indexed_at)},
                     {"files", stats->files},
                     {"partial_files", stats->partial_files},
                     {"symbols", stats->symbols},
                     {"edges", stats->edges},
                     {"unresolved_edges", stats->unresolved_edges},
                     {"files_by_language", pairs_json(stats->files_by_language)},
                     {"symbols_by_kind", pairs_json(stats->symbols_by_kind)},
                     {"edges_by_kind", pairs_json(stats->edges_by_kind)},
                     {"edges_by_resolution", pairs_json(stats->edges_by_resolution)},
                     {"skipped_by_reason", pairs_json(stats->skipped_by_reason)},
                     {"database_bytes", stats->database_bytes}};
  std::string text;
  text += fmt::format("project     {}\n", call->project.root);
  text += fmt::format("indexed     {} (generation {})\n", iso_time(indexed_at), generation);
  text += fmt::format("files       {} ({}); {} partially parsed\n", stats->files, pairs_text(stats->files_by_language),
                      stats->partial_files);
  text += fmt::format("symbols     {} ({})\n", stats->symbols, pairs_text(stats->symbols_by_kind));
  text += fmt::format("edges       {} ({}); {} unresolved\n", stats->edges, pairs_text(stats->edges_by_kind),
                      stats->unresolved_edges);
  text += fmt::format("resolution  {}\n", pairs_text(stats->edges_by_resolution));
  text += fmt::format("skipped     {}\n", pairs_text(stats->skipped_by_reason));
  text += fmt::format("database    {} ({})\n", call->project.db_path, format_bytes(stats->database_bytes));
  return text_result(std::move(text), std::move(structured));
}

// --- list_indexed_projects -----------------------------------------------------------------------

Result<ToolResult> Tools::list_indexed_projects(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto limit = get_count(a, "limit", 20, 1, 1000);
  auto offset = get_count(a, "offset", 0, 0, 1000000);
  auto include_stats = get_bool(a, "include_stats", true);
  if (!limit) return std::unexpected(limit.error());
  if (!offset) return std::unexpected(offset.error());
  if (!include_stats) return std::unexpected(include_stats.error());
  auto projects = service_->list_projects();
  if (!projects) return std::unexpected(projects.error());
  Budget budget(max_chars_);
  Json list = Json::array();
  std::string body;
  std::size_t shown = 0;
  for (std::size_t i = *offset; i < projects->size() && shown < *limit; ++i) {
    const auto& p = (*projects)[i];
    std::error_code ec;
    const bool exists = fs::is_directory(p.root, ec);
    Json j = {{"root", p.root}, {"name", p.name}, {"indexed_at", iso_time(p.indexed_at)}, {"exists", exists}};
    std::string entry = fmt::format("{}. {}  {}", i + 1, p.name, p.root);
    if (*include_stats) {
      j["files"] = p.files;
      j["symbols"] = p.symbols;
      j["database"] = p.db_path;
      entry += fmt::format("  ({} files, {} symbols, indexed {})", p.files, p.symbols, iso_time(p.indexed_at));
    }
    if (!exists) entry += "  (directory missing)";
    entry += "\n";
    if (!budget.take(entry, j)) break;
    body += entry;
    list.push_back(std::move(j));
    ++shown;
  }
  std::string text = projects->empty() ? std::string("no indexed projects: call index_codebase with project_path=<repository>\n")
                                       : fmt::format("{} indexed:\n", plural(projects->size(), "project")) + body;
  Json structured = {{"projects", std::move(list)}, {"total", projects->size()}};
  add_paging(structured, text, projects->size() > *offset + shown, *offset + shown);
  return text_result(std::move(text), std::move(structured));
}

// --- manage_cache --------------------------------------------------------------------------------

Result<ToolResult> Tools::manage_cache(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto action = get_string(a, "action", "stats");
  if (!action) return std::unexpected(action.error());
  // The result cache is reported (and cleared) beside the connections it sits on top of.
  const auto result_cache = [this](std::size_t cleared) {
    const ResultCache::Counters c = cache_ ? cache_->counters() : ResultCache::Counters{};
    return Json{{"enabled", cache_ != nullptr},
                {"entries", c.entries},
                {"bytes", c.bytes},
                {"max_bytes", cache_ ? cache_->max_bytes() : 0},
                {"hits", c.hits},
                {"misses", c.misses},
                {"cleared", cleared}};
  };
  // The in-memory search indexes, one per recently searched project.
  const auto search_indexes = [this]() {
    Json list = Json::array();
    if (!search_indexes_) return list;
    for (const auto& i : search_indexes_->info())
      list.push_back({{"root", i.root},
                      {"generation", i.generation},
                      {"current", i.current},
                      {"building", i.building},
                      {"symbols", i.symbols},
                      {"bytes", i.bytes},
                      {"build_seconds", i.build_seconds}});
    return list;
  };
  if (*action == "clear") {
    const std::size_t closed = service_->close_all();
    const std::size_t cleared = cache_ ? cache_->clear() : 0;
    const std::size_t dropped = search_indexes_ ? search_indexes_->clear() : 0;
    std::string text = fmt::format("closed {} cached index connection{}; they reopen on next use\n", closed,
                                   closed == 1 ? "" : "s");
    if (cache_) text += fmt::format("dropped {} cached result{}\n", cleared, cleared == 1 ? "" : "s");
    if (search_indexes_)
      text += fmt::format("dropped {} in-memory search index{}; rebuilt on next search\n", dropped,
                          dropped == 1 ? "" : "es");
    return text_result(std::move(text), Json{{"action", "clear"},
                                             {"closed", closed},
                                             {"connections", Json::array()},
                                             {"total_connections", 0},
                                             {"result_cache", result_cache(cleared)},
                                             {"search_indexes", search_indexes()}});
  }
  if (*action != "stats") return bad_argument(fmt::format("unknown action '{}' (one of: stats, clear)", *action));
  Json list = Json::array();
  std::size_t total = 0;
  std::string text;
  for (const auto& c : service_->connections()) {
    total += c.connections;
    list.push_back({{"root", c.root}, {"database", c.db_path}, {"connections", c.connections}, {"database_bytes", c.database_bytes}});
    text += fmt::format("  {}  {} open  {} ({})\n", c.root, c.connections, c.db_path, format_bytes(c.database_bytes));
  }
  text = fmt::format("{} cached read-only index connection{} (one per worker thread and project):\n", total,
                     total == 1 ? "" : "s") + text;
  if (cache_) {
    const auto c = cache_->counters();
    text += fmt::format("result cache: {} entr{}, {} of {}; {} hits, {} misses\n", c.entries, c.entries == 1 ? "y" : "ies",
                        format_bytes(c.bytes), format_bytes(cache_->max_bytes()), c.hits, c.misses);
  }
  Json indexes = search_indexes();
  for (const auto& i : indexes)
    text += fmt::format("search index: {}  {} symbols, {} in memory, built in {:.2f}s{}{}\n", i["root"].get<std::string>(),
                        i["symbols"].get<std::size_t>(), format_bytes(i["bytes"].get<std::uint64_t>()),
                        i["build_seconds"].get<double>(), i["current"].get<bool>() ? "" : " (stale: SQL answers)",
                        i["building"].get<bool>() ? "; building" : "");
  return text_result(std::move(text), Json{{"action", "stats"},
                                           {"closed", 0},
                                           {"connections", std::move(list)},
                                           {"total_connections", total},
                                           {"result_cache", result_cache(0)},
                                           {"search_indexes", std::move(indexes)}});
}

// --- get_ignore_patterns -------------------------------------------------------------------------

Result<ToolResult> Tools::get_ignore_patterns(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto path = requested_path(ctx);
  auto excludes = get_strings(a, "custom_ignore");
  if (!path) return std::unexpected(path.error());
  if (!excludes) return std::unexpected(excludes.error());
  // An indexed project's root; otherwise the directory itself (patterns are useful before indexing).
  fs::path root = canonical_root(*path);
  if (auto project = service_->resolve(root)) root = project->root;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return bad_argument(fmt::format("{} is not a directory", root.string()));
  scan::ScanOptions options;
  options.extra_excludes = *excludes;
  auto sources = scan::effective_ignore_patterns(root, options);
  if (!sources) return std::unexpected(sources.error());
  Budget budget(max_chars_);
  Json list = Json::array();
  std::string text = fmt::format("ignore patterns for {} (later sources override earlier ones):\n", root.string());
  bool truncated = false;
  for (const auto& s : *sources) {
    Json patterns = Json::array();
    std::string section = fmt::format("# {}\n", s.origin);
    for (const auto& p : s.patterns) {
      if (!budget.take(p.size() + 1, p.size() + 3)) {
        truncated = true;
        break;
      }
      section += p + "\n";
      patterns.push_back(p);
    }
    text += section;
    list.push_back({{"origin", s.origin}, {"patterns", std::move(patterns)}});
    if (truncated) break;
  }
  if (truncated) text += "... truncated at the size limit\n";
  return text_result(std::move(text), Json{{"root", root.string()}, {"sources", std::move(list)}, {"truncated", truncated}});
}

// --- find_definition -----------------------------------------------------------------------------

Result<std::string> Tools::symbol_source(ProjectCall& call, const store::SymbolRecord& s) {
  auto content = call.db->file_content(s.file_id);
  if (!content) return std::unexpected(content.error());
  if (!*content) return make_error(ErrorCode::NotFound, fmt::format("the content of {} is not in the index", s.path));
  std::string out;
  for (auto line : lines_between(**content, s.span.start_line, s.span.end_line)) {
    out.append(line);
    out += '\n';
  }
  return out;
}

std::string not_found_message(std::string_view name, const std::vector<std::string>& suggestions) {
  if (suggestions.empty())
    return fmt::format("no symbol named {} — search_code finds symbols by words of their names", name);
  std::string list;
  for (const auto& s : suggestions) list += fmt::format("{}{}", list.empty() ? "" : ", ", s);
  return fmt::format("no symbol named {}; did you mean: {}", name, list);
}

Result<Tools::Rendered> Tools::render_definitions(ProjectCall& call, std::string_view name,
                                                  const store::SymbolFilter& filter, std::size_t limit,
                                                  bool include_body, std::size_t budget_chars) {
  search::Searcher searcher(*call.db);
  auto defs = searcher.find_definition(name, filter, limit + 1);
  if (!defs) return std::unexpected(defs.error());
  if (defs->symbols.empty()) return make_error(ErrorCode::NotFound, not_found_message(name, defs->suggestions));
  Rendered out;
  out.json = Json::array();
  Budget budget(budget_chars);
  std::size_t shown = 0;
  for (const auto& s : defs->symbols) {
    if (shown == limit) {
      out.truncated = true;
      break;
    }
    Json j = symbol_json(s);
    if (!s.doc.empty()) j["doc"] = shorten(s.doc, 2000);
    std::string entry = fmt::format("{} {}  {}:{}-{}  (importance {:.2f}, callers {}, callees {}, id {})\n",
                                    to_string(s.kind), display_name(s), s.path, s.span.start_line, s.span.end_line,
                                    s.importance, s.in_degree, s.out_degree, s.id);
    if (!s.signature.empty()) entry += fmt::format("   {}\n", shorten(s.signature, 200));
    if (!s.doc.empty()) {
      const auto doc_lines = lines_between(s.doc, 1, 6);
      for (auto line : doc_lines) entry += fmt::format("   | {}\n", shorten(line, 160));
    }
    if (!budget.take(entry, j)) {
      out.truncated = true;
      break;
    }
    if (include_body) {
      auto source = symbol_source(call, s);
      if (!source) return std::unexpected(source.error());
      // The body gets what is left of the budget, cut at a line boundary; a symbol bigger than
      // that says so and where to read the rest.
      std::string body_text;
      std::string raw;
      std::uint32_t line_no = s.span.start_line;
      bool cut = false;
      const std::size_t room = budget.remaining();
      for (auto line : lines_between(*source, 1, s.span.end_line - s.span.start_line + 1)) {
        std::string rendered = fmt::format("{:>5} | {}\n", line_no, line);
        if (body_text.size() + rendered.size() > room && !body_text.empty()) {
          cut = true;
          break;
        }
        body_text += rendered;
        raw.append(line);
        raw += '\n';
        ++line_no;
      }
      budget.take(body_text.size(), raw.size());
      const std::uint32_t last = line_no > s.span.start_line ? line_no - 1 : s.span.start_line;
      j["body"] = {{"start_line", s.span.start_line}, {"end_line", last}, {"text", raw}, {"truncated", cut}};
      entry += body_text;
      if (cut) {
        entry += fmt::format("   ... body truncated at line {} of {}; read resource cci://symbol/{} for all of it\n", last,
                             s.span.end_line, s.id);
        out.truncated = true;
      }
    }
    out.text += entry;
    out.json.push_back(std::move(j));
    ++shown;
  }
  return out;
}

Json definitions_output_schema() {
  Json def = symbol_schema();
  def["properties"]["body"] = output_schema({{"start_line", prop("integer", "First line of `text`")},
                                             {"end_line", prop("integer", "Last line of `text`")},
                                             {"text", prop("string", "Source lines of the symbol")},
                                             {"truncated", prop("boolean", "True when the body was cut at the size limit")}},
                                            {"start_line", "end_line", "text", "truncated"});
  def["properties"]["doc"] = prop("string", "Doc comment");
  return output_schema({{"project", prop("string", "Project root")},
                        {"name", prop("string", "The name asked for")},
                        {"definitions", array_of(def)},
                        {"truncated", prop("boolean", "True when more definitions exist or a body was cut")}},
                       {"project", "name", "definitions", "truncated"});
}

// The arguments find_references and find_callees share: a symbol and a page of its edges.
struct SymbolPageQuery {
  std::string name;
  std::size_t limit = 0;
  std::size_t offset = 0;
};

Result<SymbolPageQuery> symbol_page_query(const Json& a) {
  auto name = get_string(a, "name");
  if (!name) return std::unexpected(name.error());
  if (name->empty()) return bad_argument("name is empty: pass a symbol name, qualified name or id");
  auto limit = get_count(a, "limit", 50, 1, 500);
  if (!limit) return std::unexpected(limit.error());
  auto offset = get_count(a, "offset", 0, 0, 1000000);
  if (!offset) return std::unexpected(offset.error());
  return SymbolPageQuery{std::move(*name), *limit, *offset};
}

Result<ToolResult> Tools::find_definition(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto name = get_string(a, "name");
  auto include_body = get_bool(a, "include_body", false);
  auto limit = get_count(a, "limit", 5, 1, 50);
  if (!name) return std::unexpected(name.error());
  if (!include_body) return std::unexpected(include_body.error());
  if (!limit) return std::unexpected(limit.error());
  if (name->empty()) return bad_argument("name is empty: pass a symbol name, qualified name or id");
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto filter = parse_filter(a, call->project);
  if (!filter) return std::unexpected(filter.error());
  auto rendered = render_definitions(*call, *name, *filter, *limit, *include_body, max_chars_);
  if (!rendered) return std::unexpected(rendered.error());
  std::string text = std::move(rendered->text);
  if (rendered->truncated && !*include_body)
    text += fmt::format("... more definitions: raise limit, or narrow with type/lang/path\n");
  return text_result(std::move(text), Json{{"project", call->project.root},
                                           {"name", *name},
                                           {"definitions", std::move(rendered->json)},
                                           {"truncated", rendered->truncated}});
}

// --- find_references / find_callees --------------------------------------------------------------

Json edge_json(const store::EdgeRecord& e, const std::optional<store::SymbolRecord>& from) {
  Json j = {{"path", from ? from->path : std::string()},
            {"line", e.line},
            {"column", e.col},
            {"kind", to_string(e.kind)},
            {"resolution", to_string(e.resolution)},
            {"name", e.target_name}};
  if (from) j["from"] = {{"id", id_string(from->id)}, {"qualified_name", display_name(*from)}, {"kind", to_string(from->kind)}};
  if (e.target != 0) j["target"] = id_string(e.target);
  return j;
}

Json edge_schema() {
  return output_schema({{"path", prop("string", "File of the reference")},
                        {"line", prop("integer", "Line of the reference")},
                        {"column", prop("integer", "Column of the reference (1-based, bytes)")},
                        {"kind", prop("string", "Edge kind: calls, inherits, implements, imports")},
                        {"resolution", prop("string",
                                            "How the target was found: local, member, import, qualified, unique-name "
                                            "(most to least certain), or unresolved")},
                        {"name", prop("string", "The referenced name as written")},
                        {"from", output_schema({{"id", prop("string", "Symbol id")},
                                                {"qualified_name", prop("string", "Referencing symbol")},
                                                {"kind", prop("string", "Its kind")}},
                                               {"id", "qualified_name", "kind"})},
                        {"target", prop("string", "Target symbol id (resolved edges)")},
                        {"target_symbol", symbol_schema()}},
                       {"path", "line", "kind", "resolution", "name"});
}

Result<ToolResult> Tools::find_references(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto query = symbol_page_query(a);
  if (!query) return std::unexpected(query.error());
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto filter = parse_filter(a, call->project);
  if (!filter) return std::unexpected(filter.error());
  search::Searcher searcher(*call->db);
  // Resolved and unresolved lists are each capped at `cap`; read as one list (resolved first),
  // that is enough to cut the page [offset, offset + limit) and know whether more exist.
  const std::size_t cap = query->offset + query->limit + 1;
  auto refs = searcher.find_references(query->name, *filter, cap);
  if (!refs) return std::unexpected(refs.error());
  if (refs->targets.empty() && refs->resolved.empty() && refs->unresolved.empty())
    return make_error(ErrorCode::NotFound, not_found_message(query->name, refs->suggestions));

  Budget budget(max_chars_);
  Json targets = Json::array();
  std::string text;
  for (std::size_t i = 0; i < refs->targets.size(); ++i) {
    const auto& t = refs->targets[i];
    if (i < 10) text += fmt::format("{} {}  {}\n", to_string(t.kind), display_name(t), location(t));
    targets.push_back(symbol_json(t));
  }
  if (refs->targets.size() > 10) text += fmt::format("  (and {} more definitions)\n", refs->targets.size() - 10);
  if (refs->targets.empty()) text += fmt::format("no definition of {} in the project (external or not indexed)\n", query->name);
  budget.take(text.size(), targets.dump().size());

  const std::size_t total = refs->resolved.size() + refs->unresolved.size();
  Json resolved = Json::array(), unresolved = Json::array();
  std::string resolved_text, unresolved_text;
  std::size_t shown = 0;
  for (std::size_t i = query->offset; i < total && shown < query->limit; ++i) {
    const bool is_resolved = i < refs->resolved.size();
    const search::Reference& r = is_resolved ? refs->resolved[i] : refs->unresolved[i - refs->resolved.size()];
    Json j = edge_json(r.edge, r.from);
    const std::string from_name = r.from ? display_name(*r.from) : "?";
    std::string entry = is_resolved ? fmt::format("  {}:{}  {:<10} {}  [{}]\n", r.from ? r.from->path : "?", r.edge.line,
                                                  edge_label(r.edge.kind), from_name, to_string(r.edge.resolution))
                                    : fmt::format("  {}:{}  {:<10} {}  -> {}\n", r.from ? r.from->path : "?", r.edge.line,
                                                  edge_label(r.edge.kind), from_name, r.edge.target_name);
    if (!budget.take(entry, j)) break;
    (is_resolved ? resolved_text : unresolved_text) += entry;
    (is_resolved ? resolved : unresolved).push_back(std::move(j));
    ++shown;
  }
  text += resolved.empty() ? std::string("no resolved references\n")
                           : fmt::format("{} (resolved; [how]):\n", plural(resolved.size(), "reference")) + resolved_text;
  if (!unresolved.empty())
    text += fmt::format("{} by name (ambiguous or external, not bound to a definition):\n",
                        plural(unresolved.size(), "unresolved reference")) +
            unresolved_text;
  Json structured = {{"project", call->project.root},
                     {"name", query->name},
                     {"definitions", std::move(targets)},
                     {"references", std::move(resolved)},
                     {"unresolved", std::move(unresolved)}};
  add_paging(structured, text, total > query->offset + shown, query->offset + shown);
  return text_result(std::move(text), std::move(structured));
}

struct CalleeList {
  std::vector<store::SymbolRecord> sources;
  std::vector<std::pair<store::EdgeRecord, std::optional<store::SymbolRecord>>> edges;
  std::vector<std::string> suggestions;
};

// Searcher::find_callees plus the "did you mean" names when nothing is defined under `name`.
Result<CalleeList> collect_callees(store::IndexStore& db, std::string_view name, const store::SymbolFilter& filter,
                                   std::size_t cap) {
  search::Searcher searcher(db);
  auto callees = searcher.find_callees(name, filter, cap);
  if (!callees) return std::unexpected(callees.error());
  CalleeList out{std::move(callees->sources), std::move(callees->edges), {}};
  if (out.sources.empty()) {
    auto defs = searcher.find_definition(name, filter, 1);
    if (!defs) return std::unexpected(defs.error());
    out.suggestions = std::move(defs->suggestions);
  }
  return out;
}

Result<ToolResult> Tools::find_callees(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto query = symbol_page_query(a);
  if (!query) return std::unexpected(query.error());
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto filter = parse_filter(a, call->project);
  if (!filter) return std::unexpected(filter.error());
  auto callees = collect_callees(*call->db, query->name, *filter, query->offset + query->limit + 1);
  if (!callees) return std::unexpected(callees.error());
  if (callees->sources.empty()) return make_error(ErrorCode::NotFound, not_found_message(query->name, callees->suggestions));
  std::unordered_map<SymbolId, const store::SymbolRecord*> sources;
  Json defs = Json::array();
  for (const auto& s : callees->sources) {
    sources.emplace(s.id, &s);
    defs.push_back(symbol_json(s));
  }
  Budget budget(max_chars_);
  budget.take(0, defs.dump().size());
  Json list = Json::array();
  std::string text;
  SymbolId current = 0;
  std::size_t shown = 0;
  for (std::size_t i = query->offset; i < callees->edges.size() && shown < query->limit; ++i) {
    const auto& [e, target] = callees->edges[i];
    auto it = sources.find(e.source);
    const store::SymbolRecord* source = it == sources.end() ? nullptr : it->second;
    Json j = edge_json(e, source ? std::optional<store::SymbolRecord>(*source) : std::nullopt);
    if (target) j["target_symbol"] = symbol_json(*target);
    std::string entry;
    if (e.source != current && source != nullptr)
      entry += fmt::format("{} {}  {}:{}-{}\n", to_string(source->kind), display_name(*source), source->path,
                           source->span.start_line, source->span.end_line);
    entry += fmt::format("  {}:{}  {:<10} {}  [{}]\n", source ? source->path : "?", e.line, edge_label(e.kind),
                         target ? fmt::format("{}  {}", display_name(*target), location(*target))
                                : fmt::format("{} (unresolved)", e.target_name),
                         to_string(e.resolution));
    if (!budget.take(entry, j)) break;
    current = e.source;
    text += entry;
    list.push_back(std::move(j));
    ++shown;
  }
  if (list.empty()) {
    for (const auto& s : callees->sources) text += fmt::format("{} {}  {}\n", to_string(s.kind), display_name(s), location(s));
    text += query->offset ? "no more callees\n" : "calls nothing in the index\n";
  }
  Json structured = {{"project", call->project.root}, {"name", query->name}, {"definitions", std::move(defs)}, {"callees", std::move(list)}};
  add_paging(structured, text, callees->edges.size() > query->offset + shown, query->offset + shown);
  return text_result(std::move(text), std::move(structured));
}

// --- get_file_outline ----------------------------------------------------------------------------

Result<ToolResult> Tools::get_file_outline(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto path = get_string(a, "path");
  auto limit = get_count(a, "limit", 200, 1, 2000);
  auto offset = get_count(a, "offset", 0, 0, 1000000);
  if (!path) return std::unexpected(path.error());
  if (!limit) return std::unexpected(limit.error());
  if (!offset) return std::unexpected(offset.error());
  if (path->empty()) return bad_argument("path is empty: pass a file path relative to the project root");
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto rel = ProjectService::relative_path(call->project, *path);
  if (!rel) return std::unexpected(rel.error());
  auto file = call->db->file(*rel);
  if (!file) return std::unexpected(file.error());
  if (!*file) {
    // Same file name elsewhere in the index: the usual mistake is a wrong directory.
    std::string similar;
    const std::string base = fs::path(*rel).filename().string();
    if (auto files = call->db->files()) {
      std::size_t n = 0;
      for (const auto& f : *files)
        if (n < 5 && fs::path(f.path).filename().string() == base) {
          similar += fmt::format("{}{}", n++ ? ", " : "", f.path);
        }
    }
    return make_error(ErrorCode::NotFound,
                      similar.empty() ? fmt::format("{} is not in the index (see get_index_status for new or skipped files)", *rel)
                                      : fmt::format("{} is not in the index; did you mean: {}", *rel, similar));
  }
  auto symbols = call->db->symbols_in_file(*rel);
  if (!symbols) return std::unexpected(symbols.error());
  std::unordered_map<SymbolId, int> depth;
  std::vector<std::pair<const store::SymbolRecord*, int>> items;
  for (const auto& s : *symbols) {
    if (s.kind == SymbolKind::File) {
      depth[s.id] = -1;
      continue;
    }
    auto it = depth.find(s.parent_id);
    const int d = it == depth.end() ? 0 : it->second + 1;
    depth[s.id] = d;
    items.emplace_back(&s, d);
  }
  Budget budget(max_chars_);
  std::string text = fmt::format("{} ({}, {}, {})\n", (*file)->path, to_string((*file)->language),
                                 plural((*file)->line_count, "line"), plural(items.size(), "symbol"));
  Json list = Json::array();
  std::size_t shown = 0;
  for (std::size_t i = *offset; i < items.size() && shown < *limit; ++i) {
    const auto& [s, d] = items[i];
    Json j = {{"id", id_string(s->id)},   {"name", s->name},          {"qualified_name", s->qualified_name},
              {"kind", to_string(s->kind)}, {"line", s->span.start_line}, {"end_line", s->span.end_line},
              {"depth", d},                {"signature", s->signature}};
    // A signature that only repeats "class Base" adds nothing to the line.
    const bool show_signature = !s->signature.empty() && s->kind != SymbolKind::Import &&
                                s->signature != fmt::format("{} {}", to_string(s->kind), s->name);
    std::string entry = fmt::format("{}{} {}  {}-{}{}\n", std::string(static_cast<std::size_t>(d + 1) * 2, ' '),
                                    to_string(s->kind), s->name, s->span.start_line, s->span.end_line,
                                    show_signature ? "  " + shorten(s->signature, 120) : "");
    if (!budget.take(entry, j)) break;
    text += entry;
    list.push_back(std::move(j));
    ++shown;
  }
  Json structured = {{"project", call->project.root},     {"path", (*file)->path},
                     {"language", to_string((*file)->language)}, {"line_count", (*file)->line_count},
                     {"total", items.size()},             {"symbols", std::move(list)}};
  add_paging(structured, text, items.size() > *offset + shown, *offset + shown);
  return text_result(std::move(text), std::move(structured));
}

// --- get_codebase_overview -----------------------------------------------------------------------

// The directory a file is grouped under in the overview: its first two directory levels.
std::string module_of(std::string_view path) {
  const std::size_t first = path.find('/');
  if (first == std::string_view::npos) return ".";
  const std::size_t second = path.find('/', first + 1);
  if (second == std::string_view::npos) return std::string(path.substr(0, first));
  return std::string(path.substr(0, second));
}

Result<Tools::Rendered> Tools::render_overview(ProjectCall& call, std::size_t limit, std::size_t budget_chars) {
  auto stats = call.db->stats();
  if (!stats) return std::unexpected(stats.error());
  auto files = call.db->files();
  if (!files) return std::unexpected(files.error());
  Rendered out;
  Budget budget(budget_chars);
  const std::int64_t indexed_at = meta_int(*call.db, "indexed_at");
  out.text = fmt::format("{} — {}, {}, {} (indexed {})\n", call.project.root, plural(stats->files, "file"),
                         plural(stats->symbols, "symbol"), plural(stats->edges, "edge"), iso_time(indexed_at));

  auto languages = stats->files_by_language;
  std::stable_sort(languages.begin(), languages.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
  Json lang_json = Json::array();
  for (const auto& [k, v] : languages) lang_json.push_back({{"language", k}, {"files", v}});
  out.text += fmt::format("languages: {}\n", pairs_text(languages));

  struct Dir {
    std::size_t files = 0;
    std::size_t symbols = 0;
  };
  std::map<std::string, Dir> dirs;
  for (const auto& f : *files) {
    Dir& d = dirs[module_of(f.path)];
    ++d.files;
    d.symbols += f.symbol_count;
  }
  std::vector<std::pair<std::string, Dir>> dir_list(dirs.begin(), dirs.end());
  std::stable_sort(dir_list.begin(), dir_list.end(),
                   [](const auto& x, const auto& y) { return x.second.symbols > y.second.symbols; });
  Json dir_json = Json::array();
  out.text += "directories by symbols:\n";
  for (std::size_t i = 0; i < dir_list.size() && i < 15; ++i) {
    const auto& [path, d] = dir_list[i];
    dir_json.push_back({{"path", path}, {"files", d.files}, {"symbols", d.symbols}});
    out.text += fmt::format("  {:<32} {:>5} files {:>7} symbols\n", path, d.files, d.symbols);
  }
  if (dir_list.size() > 15) out.text += fmt::format("  (and {} more)\n", dir_list.size() - 15);

  // Entry points are tagged on files, functions and methods; they are rarely the most important
  // symbols, so a generous slice of the ranking is scanned for them.
  store::SymbolFilter entry_filter;
  entry_filter.kinds = {SymbolKind::File, SymbolKind::Function, SymbolKind::Method};
  auto ranked = call.db->important_symbols(entry_filter, 5000);
  if (!ranked) return std::unexpected(ranked.error());
  Json entry_json = Json::array();
  std::string entry_text;
  for (const auto& s : *ranked) {
    if (entry_json.size() >= 10) break;
    if (std::find(s.tags.begin(), s.tags.end(), "entry-point") == s.tags.end()) continue;
    entry_json.push_back(symbol_json(s));
    entry_text += fmt::format("  {} {}  {}\n", to_string(s.kind), display_name(s), location(s));
  }
  out.text += entry_json.empty() ? std::string("entry points: none found\n") : "entry points:\n" + entry_text;
  budget.take(out.text.size(), lang_json.dump().size() + dir_json.dump().size() + entry_json.dump().size());

  store::SymbolFilter top_filter;
  top_filter.kinds = {SymbolKind::Class,     SymbolKind::Struct,   SymbolKind::Interface, SymbolKind::Trait,
                      SymbolKind::Enum,      SymbolKind::Function, SymbolKind::Method,    SymbolKind::Module,
                      SymbolKind::Namespace};
  auto top = call.db->important_symbols(top_filter, limit);
  if (!top) return std::unexpected(top.error());
  Json top_json = Json::array();
  out.text += "most important symbols:\n";
  for (std::size_t i = 0; i < top->size(); ++i) {
    Json j = symbol_json((*top)[i]);
    std::string entry = symbol_entry(i + 1, (*top)[i]);
    if (!budget.take(entry, j)) {
      out.truncated = true;
      break;
    }
    out.text += entry;
    top_json.push_back(std::move(j));
  }
  out.json = {{"project", call.project.root},
              {"indexed_at", iso_time(indexed_at)},
              {"files", stats->files},
              {"symbols", stats->symbols},
              {"edges", stats->edges},
              {"languages", std::move(lang_json)},
              {"directories", std::move(dir_json)},
              {"entry_points", std::move(entry_json)},
              {"top_symbols", std::move(top_json)},
              {"truncated", out.truncated}};
  return out;
}

Result<ToolResult> Tools::get_codebase_overview(ToolContext& ctx) {
  auto limit = get_count(args_of(ctx), "limit", 15, 1, 100);
  if (!limit) return std::unexpected(limit.error());
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  auto rendered = render_overview(*call, *limit, max_chars_);
  if (!rendered) return std::unexpected(rendered.error());
  if (rendered->truncated) rendered->text += "... truncated at the size limit: lower limit\n";
  return text_result(std::move(rendered->text), std::move(rendered->json));
}

// --- get_index_status ----------------------------------------------------------------------------

// The watch part of get_index_status: structured, and one line of text.
std::pair<Json, std::string> watch_report(const store::ProjectRecord& project,
                                          const std::optional<watch::ProjectFreshness>& status, bool service_running,
                                          std::int64_t generation) {
  const watch::ProjectFreshness f = status.value_or(watch::ProjectFreshness{});
  std::string detail = f.detail;
  if (f.state == watch::ProjectWatchState::Off && detail.empty()) {
    detail = !service_running  ? "no watcher in this process: the daemon (`cci mcp-daemon start`) keeps indexes current"
             : !project.watch ? "turned off for this project (`cci watch on` turns it back on)"
                              : "not watched";
  }
  Json json = {{"state", std::string(watch::to_string(f.state))},
               {"enabled", project.watch},
               {"pending_paths", f.pending_paths},
               {"updating", f.updating},
               {"updates_applied", f.updates_applied},
               {"last_update_ms", f.last_update_ms},
               {"watched_directories", f.watched_directories},
               {"graph_exact", f.graph_exact},
               {"detail", detail}};
  std::string text;
  const std::string pending = plural(f.pending_paths, "pending change");
  switch (f.state) {
    case watch::ProjectWatchState::Off:
      text = fmt::format("watch: off ({})\n", detail);
      break;
    case watch::ProjectWatchState::Reconciling:
      text = fmt::format("reconciling: bringing the index up to date with the disk; answers come from generation {} "
                         "meanwhile\n",
                         generation);
      break;
    case watch::ProjectWatchState::Watching:
      text = fmt::format("watching: {}{}; {} updates applied{}\n", pending, f.updating ? " (updating now)" : "",
                         f.updates_applied,
                         f.updates_applied > 0 ? fmt::format(", the last in {:.1f} ms", f.last_update_ms) : "");
      break;
    case watch::ProjectWatchState::Degraded:
      text = fmt::format("watching degraded ({}): reconciled periodically; {}\n", detail, pending);
      break;
    case watch::ProjectWatchState::Failed:
      text = fmt::format("watch failed: {}; retried on the next change; {}\n", detail, pending);
      break;
  }
  return {std::move(json), std::move(text)};
}

Result<ToolResult> Tools::get_index_status(ToolContext& ctx) {
  auto limit = get_count(args_of(ctx), "limit", 10, 1, 200);
  if (!limit) return std::unexpected(limit.error());
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  // `cci watch on|off` changes the registry and then asks for this tool: the setting is re-read
  // here, so the daemon starts or stops watching before it reports.
  std::optional<watch::ProjectFreshness> freshness;
  if (freshness_) {
    freshness_->refresh_setting(call->project.root);
    freshness = freshness_->status(call->project.root);
  }
  auto files = call->db->files();
  if (!files) return std::unexpected(files.error());
  auto skipped = call->db->skipped();
  if (!skipped) return std::unexpected(skipped.error());
  const std::int64_t indexed_at = meta_int(*call->db, "indexed_at");
  const std::int64_t generation = meta_int(*call->db, "generation");
  // "0" after an incremental update that carried ranks over; absent means a full run wrote them.
  auto graph_exact = call->db->meta("graph_exact");
  const bool ranks_exact = !graph_exact || !*graph_exact || **graph_exact != "0";

  std::error_code ec;
  const bool root_exists = fs::is_directory(call->project.root, ec);
  std::vector<std::string> added, modified, deleted;
  if (root_exists) {
    // The same walk the indexer does (default rules; extra excludes of the last run are not
    // recorded), compared by size and mtime as the indexer's own change detection does.
    auto scanned = scan::scan_tree(call->project.root, scan::ScanOptions{});
    if (!scanned) return std::unexpected(scanned.error());
    std::unordered_map<std::string_view, const store::FileRecord*> indexed;
    for (const auto& f : *files) indexed.emplace(f.path, &f);
    std::unordered_set<std::string_view> skipped_paths;
    for (const auto& s : *skipped) skipped_paths.insert(s.path);
    std::unordered_set<std::string_view> seen;
    for (const auto& f : scanned->files) {
      auto it = indexed.find(f.path);
      if (it == indexed.end()) {
        if (!skipped_paths.contains(f.path)) added.push_back(f.path);
        continue;
      }
      seen.insert(it->first);
      if (it->second->size != f.size || it->second->mtime_ns != f.mtime_ns) modified.push_back(f.path);
    }
    for (const auto& f : *files)
      if (!seen.contains(f.path)) deleted.push_back(f.path);
  } else {
    for (const auto& f : *files) deleted.push_back(f.path);
  }
  const std::size_t changed = added.size() + modified.size() + deleted.size();
  const auto head = [&](const std::vector<std::string>& paths) {
    return std::vector<std::string>(paths.begin(), paths.begin() + static_cast<std::ptrdiff_t>(std::min(paths.size(), *limit)));
  };
  std::map<std::string, std::size_t> reasons;
  for (const auto& s : *skipped) ++reasons[s.reason];
  Json by_reason = Json::object();
  for (const auto& [k, v] : reasons) by_reason[k] = v;
  Json skipped_list = Json::array();
  for (std::size_t i = 0; i < skipped->size() && i < *limit; ++i)
    skipped_list.push_back({{"path", (*skipped)[i].path}, {"reason", (*skipped)[i].reason}, {"detail", (*skipped)[i].detail}});

  std::string text = fmt::format("index of {}: generation {}, indexed {}, {}\n", call->project.root, generation,
                                 iso_time(indexed_at), plural(files->size(), "file"));
  auto [watch_json, watch_text] = watch_report(call->project, freshness, freshness_ != nullptr, generation);
  text += watch_text;
  if (!ranks_exact || (freshness && !freshness->graph_exact))
    text += "ranks are approximate until the next full recompute (`cci index` forces one)\n";
  if (!root_exists) text += "the project directory no longer exists\n";
  if (changed == 0) {
    text += "up to date: no files changed since the index\n";
  } else {
    text += fmt::format("stale: {} new, {} modified, {} deleted since the index — call index_codebase to update\n",
                        added.size(), modified.size(), deleted.size());
    const auto list = [&](std::string_view label, const std::vector<std::string>& paths) {
      for (std::size_t i = 0; i < paths.size() && i < *limit; ++i) text += fmt::format("  {:<9}{}\n", label, paths[i]);
      if (paths.size() > *limit) text += fmt::format("  {:<9}(and {} more)\n", label, paths.size() - *limit);
    };
    list("new", added);
    list("modified", modified);
    list("deleted", deleted);
  }
  std::string reason_text;
  for (const auto& [k, v] : reasons) reason_text += fmt::format("{}{} {}", reason_text.empty() ? "" : ", ", k, v);
  text += skipped->empty() ? std::string("skipped: none\n")
                           : fmt::format("skipped {} ({}):\n", plural(skipped->size(), "file"), reason_text);
  for (std::size_t i = 0; i < skipped->size() && i < *limit; ++i)
    text += fmt::format("  {} [{}] {}\n", (*skipped)[i].path, (*skipped)[i].reason, (*skipped)[i].detail);
  if (skipped->size() > *limit) text += fmt::format("  (and {} more)\n", skipped->size() - *limit);

  Json structured = {{"project", call->project.root},
                     {"indexed_at", iso_time(indexed_at)},
                     {"generation", generation},
                     {"files_indexed", files->size()},
                     {"root_exists", root_exists},
                     {"fresh", changed == 0},
                     {"changed",
                      {{"new", added.size()},
                       {"modified", modified.size()},
                       {"deleted", deleted.size()},
                       {"new_paths", head(added)},
                       {"modified_paths", head(modified)},
                       {"deleted_paths", head(deleted)}}},
                     {"skipped", {{"total", skipped->size()}, {"by_reason", by_reason}, {"files", skipped_list}}},
                     {"ranks_exact", ranks_exact},
                     {"watch", std::move(watch_json)}};
  return text_result(std::move(text), std::move(structured));
}

// --- search_text ---------------------------------------------------------------------------------

// Finds matching lines of one file: (line number, byte offset of the line start, match column).
class LineMatcher {
 public:
  static constexpr std::size_t kMaxRegexLine = 4096;

  static Result<LineMatcher> make(const std::string& query, bool regex, bool case_sensitive) {
    LineMatcher m;
    m.case_sensitive_ = case_sensitive;
    if (regex) {
      try {
        auto flags = std::regex::ECMAScript | std::regex::optimize;
        if (!case_sensitive) flags |= std::regex::icase;
        m.regex_.emplace(query, flags);
      } catch (const std::regex_error& e) {
        return bad_argument(fmt::format("invalid regex '{}': {}", query, e.what()));
      }
    } else {
      m.needle_ = case_sensitive ? query : lower(query);
    }
    return m;
  }

  struct Hit {
    std::uint32_t line = 0;
    std::size_t line_start = 0;
    std::size_t line_end = 0;
    std::size_t column = 0;  // 1-based, bytes
  };

  // Calls `on_hit` for each matching line (first match of the line) until it returns false.
  // Regex matching skips lines longer than kMaxRegexLine (std::regex recurses per character);
  // they are counted in long_lines_skipped so the answer says so.
  template <class Fn>
  bool scan(std::string_view content, Fn&& on_hit) {
    if (regex_) return scan_regex(content, on_hit);
    std::string lowered;
    std::string_view hay = content;
    if (!case_sensitive_) {
      lowered = lower(content);
      hay = lowered;
    }
    const std::boyer_moore_horspool_searcher searcher(needle_.begin(), needle_.end());
    // `line` is 1 + the number of newlines before `counted_to`.
    std::size_t pos = 0, counted_to = 0;
    std::uint32_t line = 1;
    while (pos < hay.size()) {
      const auto found = std::search(hay.begin() + static_cast<std::ptrdiff_t>(pos), hay.end(), searcher);
      if (found == hay.end()) break;
      const std::size_t at = static_cast<std::size_t>(found - hay.begin());
      line += static_cast<std::uint32_t>(std::count(hay.begin() + static_cast<std::ptrdiff_t>(counted_to), found, '\n'));
      const std::size_t nl = at == 0 ? std::string_view::npos : hay.rfind('\n', at - 1);
      const std::size_t start = nl == std::string_view::npos ? 0 : nl + 1;
      const std::size_t end = std::min(hay.find('\n', at), hay.size());
      if (!on_hit(Hit{line, start, end, at - start + 1})) return false;
      // One hit per line: continue after this line's newline.
      ++line;
      counted_to = pos = end + 1;
    }
    return true;
  }

  std::size_t long_lines_skipped() const { return long_lines_skipped_; }

 private:
  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }

  template <class Fn>
  bool scan_regex(std::string_view content, Fn& on_hit) {
    std::size_t pos = 0;
    std::uint32_t line = 1;
    while (pos < content.size()) {
      std::size_t end = content.find('\n', pos);
      if (end == std::string_view::npos) end = content.size();
      const std::string_view text = content.substr(pos, end - pos);
      if (text.size() > kMaxRegexLine) {
        ++long_lines_skipped_;
      } else {
        std::match_results<std::string_view::const_iterator> m;
        if (std::regex_search(text.begin(), text.end(), m, *regex_)) {
          if (!on_hit(Hit{line, pos, end, static_cast<std::size_t>(m.position(0)) + 1})) return false;
        }
      }
      pos = end + 1;
      ++line;
    }
    return true;
  }

  bool case_sensitive_ = true;
  std::string needle_;
  std::optional<std::regex> regex_;
  std::size_t long_lines_skipped_ = 0;
};

Result<ToolResult> Tools::search_text(ToolContext& ctx) {
  const Json& a = args_of(ctx);
  auto query = get_string(a, "query");
  auto regex = get_bool(a, "regex", false);
  auto case_sensitive = get_bool(a, "case_sensitive", true);
  auto glob = get_string(a, "path");
  auto lang = get_string(a, "lang");
  auto context = get_count(a, "context", 0, 0, 5);
  auto limit = get_count(a, "limit", 50, 1, 500);
  auto offset = get_count(a, "offset", 0, 0, 1000000);
  for (const Error* e : {query ? nullptr : &query.error(), regex ? nullptr : &regex.error(),
                         case_sensitive ? nullptr : &case_sensitive.error(), glob ? nullptr : &glob.error(),
                         lang ? nullptr : &lang.error(), context ? nullptr : &context.error(),
                         limit ? nullptr : &limit.error(), offset ? nullptr : &offset.error()})
    if (e != nullptr) return std::unexpected(*e);
  if (query->empty()) return bad_argument("query is empty: pass the text (or regex with regex=true) to find");
  auto matcher = LineMatcher::make(*query, *regex, *case_sensitive);
  if (!matcher) return std::unexpected(matcher.error());
  auto call = open_project(ctx);
  if (!call) return std::unexpected(call.error());
  std::optional<Language> language;
  if (!lang->empty()) {
    language = language_from_string(*lang);
    if (!language) return bad_argument(fmt::format("unknown lang '{}' (one of: {})", *lang, valid_languages()));
  }
  std::string pattern = *glob;
  if (!pattern.empty() && pattern.front() == '/') {
    auto rel = ProjectService::relative_path(call->project, pattern);
    if (!rel) return std::unexpected(rel.error());
    pattern = *rel == "." ? "" : *rel;
  }
  if (!pattern.empty() && pattern.find_first_of("*?[") == std::string::npos) pattern += "*";

  auto files = call->db->files();
  if (!files) return std::unexpected(files.error());
  std::sort(files->begin(), files->end(), [](const auto& x, const auto& y) { return x.path < y.path; });

  Budget budget(max_chars_);
  Json matches = Json::array();
  std::string text;
  std::size_t seen = 0, shown = 0, files_searched = 0;
  bool truncated = false;
  for (const auto& f : *files) {
    if (truncated) break;
    if (language && f.language != *language) continue;
    if (!pattern.empty() && !sql_glob_match(pattern, f.path)) continue;
    if (ctx.cancelled()) return make_error(ErrorCode::Cancelled, "search_text was cancelled");
    auto content = call->db->file_content(f.id);
    if (!content) return std::unexpected(content.error());
    if (!*content) continue;
    ++files_searched;
    const std::string_view body = **content;
    matcher->scan(body, [&](const LineMatcher::Hit& hit) {
      if (seen++ < *offset) return true;
      if (shown >= *limit) {
        truncated = true;
        return false;
      }
      const std::string line_text = shorten(body.substr(hit.line_start, hit.line_end - hit.line_start), 400);
      Json j = {{"path", f.path}, {"line", hit.line}, {"column", hit.column}, {"text", line_text}};
      std::string entry;
      if (*context > 0) {
        const std::uint32_t first = hit.line > *context ? hit.line - static_cast<std::uint32_t>(*context) : 1;
        const auto around = lines_between(body, first, hit.line + static_cast<std::uint32_t>(*context));
        Json before = Json::array(), after = Json::array();
        std::uint32_t n = first;
        for (auto l : around) {
          if (n < hit.line) {
            before.push_back(shorten(l, 400));
            entry += fmt::format("{}-{}-{}\n", f.path, n, shorten(l, 400));
          } else if (n == hit.line) {
            entry += fmt::format("{}:{}:{}: {}\n", f.path, hit.line, hit.column, line_text);
          } else {
            after.push_back(shorten(l, 400));
            entry += fmt::format("{}-{}-{}\n", f.path, n, shorten(l, 400));
          }
          ++n;
        }
        entry += "--\n";
        j["before"] = std::move(before);
        j["after"] = std::move(after);
      } else {
        entry = fmt::format("{}:{}:{}: {}\n", f.path, hit.line, hit.column, line_text);
      }
      if (!budget.take(entry, j)) {
        truncated = true;
        return false;
      }
      text += entry;
      matches.push_back(std::move(j));
      ++shown;
      return true;
    });
  }
  std::string header = shown == 0 ? fmt::format("no matches for {} '{}' in {}\n", *regex ? "regex" : "text", *query,
                                                plural(files_searched, "file"))
                                  : fmt::format("{} for {} '{}':\n", plural(shown, "match"), *regex ? "regex" : "text", *query);
  if (matcher->long_lines_skipped() > 0)
    header += fmt::format("({} skipped: longer than {} bytes, too long for regex matching)\n",
                          plural(matcher->long_lines_skipped(), "line"), LineMatcher::kMaxRegexLine);
  text = header + text;
  Json structured = {{"project", call->project.root},
                     {"query", *query},
                     {"regex", *regex},
                     {"matches", std::move(matches)},
                     {"files_searched", files_searched},
                     {"long_lines_skipped", matcher->long_lines_skipped()}};
  add_paging(structured, text, truncated, *offset + shown);
  return text_result(std::move(text), std::move(structured));
}

// ================================================================================================
// Resources
// ================================================================================================

constexpr std::string_view kFilePrefix = "cci://file/";
constexpr std::string_view kSymbolPrefix = "cci://symbol/";

std::string percent_encode_path(std::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= s.size()) return bad_argument(fmt::format("bad percent-escape in {}", s));
    auto [ptr, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16);
    if (ec != std::errc{} || ptr != s.data() + i + 3) return bad_argument(fmt::format("bad percent-escape in {}", s));
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

Result<std::pair<std::vector<ResourceSpec>, std::string>> Tools::list_files(ToolContext& ctx, const std::string& cursor,
                                                                            std::size_t page_size) {
  std::pair<std::vector<ResourceSpec>, std::string> page;
  auto call = open_default(ctx);
  if (!call) {
    // A session whose directory is not indexed simply has no file resources.
    if (call.error().code == ErrorCode::NotIndexed) return page;
    return std::unexpected(call.error());
  }
  std::size_t offset = 0;
  if (!cursor.empty()) {
    auto [ptr, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), offset);
    if (ec != std::errc{} || ptr != cursor.data() + cursor.size()) return bad_argument("invalid cursor");
  }
  auto files = call->db->files();
  if (!files) return std::unexpected(files.error());
  std::sort(files->begin(), files->end(), [](const auto& x, const auto& y) { return x.path < y.path; });
  const std::size_t size = std::max<std::size_t>(1, page_size);
  for (std::size_t i = offset; i < files->size() && page.first.size() < size; ++i) {
    const auto& f = (*files)[i];
    ResourceSpec spec;
    spec.uri = std::string(kFilePrefix) + percent_encode_path(f.path);
    spec.name = f.path;
    spec.title = fs::path(f.path).filename().string();
    spec.description = fmt::format("{} source, {}, {}", to_string(f.language), plural(f.line_count, "line"),
                                   plural(f.symbol_count, "symbol"));
    spec.mime_type = mime_for(f.language);
    page.first.push_back(std::move(spec));
  }
  if (offset + page.first.size() < files->size()) page.second = std::to_string(offset + page.first.size());
  return page;
}

std::optional<Result<std::vector<ResourceContent>>> Tools::read_resource(ToolContext& ctx, const std::string& uri) {
  using Contents = Result<std::vector<ResourceContent>>;
  const std::string_view u = uri;
  if (u.starts_with(kFilePrefix)) {
    auto run = [&]() -> Contents {
      auto path = percent_decode(u.substr(kFilePrefix.size()));
      if (!path) return std::unexpected(path.error());
      auto call = open_default(ctx);
      if (!call) return std::unexpected(call.error());
      auto rel = ProjectService::relative_path(call->project, *path);
      if (!rel) return std::unexpected(rel.error());
      auto file = call->db->file(*rel);
      if (!file) return std::unexpected(file.error());
      if (!*file) return make_error(ErrorCode::NotFound, fmt::format("{} is not in the index", *rel));
      auto content = call->db->file_content((*file)->id);
      if (!content) return std::unexpected(content.error());
      if (!*content) return make_error(ErrorCode::NotFound, fmt::format("the content of {} is not in the index", *rel));
      return std::vector<ResourceContent>{{uri, mime_for((*file)->language), std::move(**content), std::nullopt}};
    };
    return run();
  }
  if (u.starts_with(kSymbolPrefix)) {
    auto run = [&]() -> Contents {
      const std::string_view digits = u.substr(kSymbolPrefix.size());
      SymbolId id = 0;
      auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || id <= 0)
        return bad_argument(fmt::format("{} does not name a symbol id (cci://symbol/<decimal id>)", uri));
      auto call = open_default(ctx);
      if (!call) return std::unexpected(call.error());
      auto symbol = call->db->symbol(id);
      if (!symbol) return std::unexpected(symbol.error());
      if (!*symbol) return make_error(ErrorCode::NotFound, fmt::format("no symbol with id {} in {}", id, call->project.root));
      const auto& s = **symbol;
      auto source = symbol_source(*call, s);
      if (!source) return std::unexpected(source.error());
      std::string text = fmt::format("{} {}  {}:{}-{}\n", to_string(s.kind), display_name(s), s.path, s.span.start_line,
                                     s.span.end_line);
      if (!s.signature.empty()) text += fmt::format("signature: {}\n", s.signature);
      if (!s.doc.empty()) text += fmt::format("doc: {}\n", s.doc);
      text += "\n" + *source;
      return std::vector<ResourceContent>{{uri, "text/plain", std::move(text), std::nullopt}};
    };
    return run();
  }
  return std::nullopt;
}

// ================================================================================================
// Prompts
// ================================================================================================

Json user_message(std::string text) {
  return Json{{"role", "user"}, {"content", {{"type", "text"}, {"text", std::move(text)}}}};
}

Result<Json> Tools::orient_prompt(ToolContext& ctx) {
  auto call = open_default(ctx);
  if (!call) return std::unexpected(call.error());
  auto overview = render_overview(*call, 20, max_chars_);
  if (!overview) return std::unexpected(overview.error());
  std::string text = fmt::format(
      "Orient me in this repository ({}). Below is the overview from its code index: languages, directories by "
      "symbol count, entry points and the most important symbols by PageRank.\n\n{}\n"
      "Explain the architecture: the main components and what each does, how they depend on each other, where "
      "execution starts, and which files to read first. Check details with get_file_outline, find_definition and "
      "find_references before stating them.",
      call->project.root, overview->text);
  return Json{{"description", fmt::format("Orientation in {}", call->project.root)},
              {"messages", Json::array({user_message(std::move(text))})}};
}

Result<Json> Tools::explain_prompt(ToolContext& ctx, const Json& arguments) {
  const std::string name = arguments.is_object() && arguments.contains("name") && arguments["name"].is_string()
                               ? arguments["name"].get<std::string>()
                               : std::string();
  if (name.empty()) return bad_argument("the name argument is required");
  auto call = open_default(ctx);
  if (!call) return std::unexpected(call.error());
  auto defs = render_definitions(*call, name, {}, 3, true, max_chars_ / 2);
  if (!defs) return std::unexpected(defs.error());
  search::Searcher searcher(*call->db);
  std::string related;
  if (auto refs = searcher.find_references(name, {}, 15)) {
    related += fmt::format("\nReferenced from ({} shown):\n", refs->resolved.size());
    for (const auto& r : refs->resolved)
      related += fmt::format("  {}:{}  {} {}  [{}]\n", r.from ? r.from->path : "?", r.edge.line, edge_label(r.edge.kind),
                             r.from ? display_name(*r.from) : "?", to_string(r.edge.resolution));
  }
  if (auto callees = collect_callees(*call->db, name, {}, 20)) {
    related += fmt::format("\nCalls ({} shown):\n", callees->edges.size());
    for (const auto& [e, target] : callees->edges)
      related += fmt::format("  line {}  {}  [{}]\n", e.line, target ? display_name(*target) : e.target_name,
                             to_string(e.resolution));
  }
  std::string text = fmt::format(
      "Explain what `{}` does in this repository ({}): its purpose, inputs and outputs, side effects, and how it "
      "fits with its callers and callees. The index has:\n\n{}{}",
      name, call->project.root, defs->text, related);
  return Json{{"description", fmt::format("Explain {}", name)}, {"messages", Json::array({user_message(std::move(text))})}};
}

std::vector<std::string> Tools::complete_symbol(const std::string& value) {
  std::vector<std::string> out;
  auto project = service_->last_project();
  if (!project) {
    std::error_code ec;
    auto resolved = service_->resolve(fs::current_path(ec));
    if (!resolved) return out;
    project = std::move(*resolved);
  }
  auto db = service_->open(*project);
  if (!db) return out;
  std::vector<store::SymbolRecord> candidates;
  if (value.empty()) {
    if (auto top = (*db)->important_symbols({}, 50)) candidates = std::move(*top);
  } else {
    search::Searcher searcher(**db);
    search::SearchRequest request;
    request.terms = {value};
    request.mode = search::MatchMode::All;
    request.limit = 200;
    if (auto found = searcher.search(request))
      for (auto& h : found->hits) candidates.push_back(std::move(h.symbol));
  }
  const auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string prefix = lower(value);
  std::set<std::string> seen;
  // Names that start with what was typed come first, then the other word matches, each best-ranked first.
  for (int pass = 0; pass < 2 && out.size() < 100; ++pass) {
    for (const auto& s : candidates) {
      if (s.kind == SymbolKind::File || s.kind == SymbolKind::Import) continue;
      const bool starts = lower(s.name).starts_with(prefix);
      if ((pass == 0) != starts || seen.contains(s.name)) continue;
      seen.insert(s.name);
      out.push_back(s.name);
      if (out.size() >= 100) break;
    }
  }
  return out;
}

// ================================================================================================
// Specs
// ================================================================================================

std::vector<ToolSpec> Tools::specs(const std::shared_ptr<Tools>& self) const {
  const auto bind = [&self](std::string tool, Query fn) {
    return guarded([self, tool = std::move(tool), fn](ToolContext& ctx) { return self->call(ctx, tool, fn, false); });
  };
  // The read-only index queries: answers depend only on the index and the arguments.
  std::set<std::string> cached;  // the tools bound by bind_cached: they can answer from the cache at once
  const auto bind_cached = [&self, &cached](std::string tool, Query fn) {
    cached.insert(tool);
    return guarded([self, tool = std::move(tool), fn](ToolContext& ctx) { return self->call(ctx, tool, fn, true); });
  };
  const Json symbol = symbol_schema();
  const Json project_prop = prop("string", "Project root");
  std::vector<ToolSpec> tools;

  {
    ToolSpec t;
    t.name = "index_codebase";
    t.title = "Index a codebase";
    t.description =
        "Build or update the code index of a repository (incremental: only changed files are re-parsed). Reports "
        "progress while parsing and can be cancelled; a cancelled or failed run leaves the previous index intact. "
        "Call this when a tool says a project is not indexed, or get_index_status reports changed files.";
    Json props = {{"path", prop("string", "Alias of project_path (repository root to index)")},
                  {"force", bool_prop("Re-parse every file; also required to index / or the home directory", false)},
                  {"workers", int_prop("Parser threads (0 = all cores)", 0, 256, 0)},
                  {"custom_ignore", array_of(Json{{"type", "string"}},
                                             "Extra ignore patterns, gitignore syntax, relative to the root (e.g. "
                                             "\"vendor/\", \"*.gen.go\")")}};
    t.input_schema = input_schema(std::move(props));
    t.output_schema = output_schema(
        {{"root", prop("string", "Indexed root")},
         {"database", prop("string", "Index database path")},
         {"incremental", prop("boolean", "A previous index was updated")},
         {"generation", prop("integer", "Index generation (increments per run)")},
         {"files", output_schema({{"total", prop("integer", "Indexed files")},
                                  {"parsed", prop("integer", "Parsed this run")},
                                  {"unchanged", prop("integer", "Unchanged, not re-parsed")},
                                  {"removed", prop("integer", "Removed from the index")},
                                  {"partial", prop("integer", "Parsed with syntax errors")}},
                                 {"total", "parsed", "unchanged", "removed", "partial"})},
         {"files_by_language", counts_schema("Files per language")},
         {"symbols", prop("integer", "Symbols")},
         {"edges", prop("integer", "Edges")},
         {"unresolved_references", prop("integer", "References kept by name (ambiguous or external)")},
         {"skipped", prop("integer", "Files skipped (binary, too large, ...)")},
         {"skipped_by_reason", counts_schema("Skipped files per reason")},
         {"ignored", prop("integer", "Paths ignored by rules")},
         {"seconds", prop("number", "Wall time")}},
        {"root", "database", "incremental", "generation", "files", "symbols", "edges"});
    t.annotations.read_only = false;
    t.annotations.destructive = false;
    t.annotations.idempotent = true;
    t.annotations.open_world = false;
    t.handler = bind(t.name, &Tools::counted_index_codebase);
    t.pool = ToolPool::Index;
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "search_code";
    t.title = "Search symbols";
    t.description =
        "Ranked search over symbol names, qualified names, paths, signatures and docs (identifiers are split into "
        "words: 'parseHttp' finds parse_http_request; the last word is a prefix). Ordered by relevance combined with "
        "PageRank importance. Each hit has file:line and signature. For literal text in file contents use "
        "search_text.";
    Json props = filter_props({{"terms", prop("string", "Space-separated search words, e.g. \"parse args\"")},
                               {"mode", enum_prop("any: a hit matches at least one term; all: every term", {"any", "all"}, "any")},
                               {"limit", int_prop("Maximum results", 1, 200, 10)},
                               {"offset", int_prop("Skip this many results (paging)", 0, 1000000, 0)},
                               {"use_fts", bool_prop("Accepted for compatibility; the full-text index is always used", true)}});
    t.input_schema = input_schema(std::move(props), {"terms"});
    t.output_schema = output_schema(paging_schema_props({{"project", project_prop},
                                                         {"query", prop("string", "The terms")},
                                                         {"mode", prop("string", "any or all")},
                                                         {"results", array_of(symbol)}}),
                                    {"project", "query", "mode", "results", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::search_code);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "query_important_code";
    t.title = "Most important symbols";
    t.description =
        "The most central symbols of the project by PageRank over the call/inheritance/import graph, optionally of "
        "one kind, language or directory.";
    Json props = filter_props({{"limit", int_prop("Maximum results", 1, 200, 20)},
                               {"offset", int_prop("Skip this many results (paging)", 0, 100000, 0)}});
    props.erase("type");
    props["node_type"] = prop("string", fmt::format("Only symbols of these kinds, comma-separated (one of: {})", valid_kinds()));
    t.input_schema = input_schema(std::move(props));
    t.output_schema = output_schema(paging_schema_props({{"project", project_prop}, {"results", array_of(symbol)}}),
                                    {"project", "results", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::query_important_code);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "get_project_stats";
    t.title = "Index statistics";
    t.description = "Counts of the project's index: files by language, symbols by kind, edges by kind and by how they were resolved, skipped files by reason, database size.";
    t.input_schema = input_schema(Json::object());
    t.output_schema = output_schema({{"root", project_prop},
                                     {"database", prop("string", "Index database path")},
                                     {"generation", prop("integer", "Index generation")},
                                     {"indexed_at", prop("string", "Time of the last index (UTC, ISO 8601)")},
                                     {"files", prop("integer", "Indexed files")},
                                     {"partial_files", prop("integer", "Files parsed with syntax errors")},
                                     {"symbols", prop("integer", "Symbols")},
                                     {"edges", prop("integer", "Edges")},
                                     {"unresolved_edges", prop("integer", "References kept by name")},
                                     {"files_by_language", counts_schema("Files per language")},
                                     {"symbols_by_kind", counts_schema("Symbols per kind")},
                                     {"edges_by_kind", counts_schema("Edges per kind")},
                                     {"edges_by_resolution", counts_schema("Edges per resolution")},
                                     {"skipped_by_reason", counts_schema("Skipped files per reason")},
                                     {"database_bytes", prop("integer", "Database size")}},
                                    {"root", "files", "symbols", "edges"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::get_project_stats);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "list_indexed_projects";
    t.title = "Indexed projects";
    t.description = "The projects that have an index, with file and symbol counts and when they were indexed.";
    Json props = {{"limit", int_prop("Maximum projects", 1, 1000, 20)},
                  {"offset", int_prop("Skip this many projects (paging)", 0, 1000000, 0)},
                  {"include_stats", bool_prop("Include file/symbol counts and database paths", true)}};
    Json schema = input_schema(std::move(props));
    schema["properties"].erase("project_path");
    t.input_schema = std::move(schema);
    t.output_schema = output_schema(
        paging_schema_props({{"projects", array_of(output_schema({{"root", prop("string", "Project root")},
                                                                  {"name", prop("string", "Basename of the root")},
                                                                  {"indexed_at", prop("string", "Last index (UTC)")},
                                                                  {"exists", prop("boolean", "The directory still exists")},
                                                                  {"files", prop("integer", "Indexed files")},
                                                                  {"symbols", prop("integer", "Symbols")},
                                                                  {"database", prop("string", "Index database path")}},
                                                                 {"root", "name", "indexed_at", "exists"}))},
                             {"total", prop("integer", "Registered projects")}}),
        {"projects", "total", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind(t.name, &Tools::list_indexed_projects);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "manage_cache";
    t.title = "Index connection cache";
    t.description =
        "stats: the server's cached read-only index connections (per worker thread and project), database sizes "
        "and the query result cache. clear: close them all and drop cached results (connections reopen on next "
        "use; indexes on disk are untouched).";
    Json props = {{"action", enum_prop("stats or clear", {"stats", "clear"}, "stats")},
                  {"days", int_prop("Accepted for compatibility; connections have no age-based expiry", 0, 100000, std::nullopt)}};
    t.input_schema = input_schema(std::move(props));
    t.output_schema = output_schema(
        {{"action", prop("string", "stats or clear")},
         {"closed", prop("integer", "Connections closed (clear)")},
         {"total_connections", prop("integer", "Open cached connections")},
         {"connections", array_of(output_schema({{"root", prop("string", "Project root")},
                                                 {"database", prop("string", "Index database path")},
                                                 {"connections", prop("integer", "Open connections")},
                                                 {"database_bytes", prop("integer", "Database size")}},
                                                {"root", "database", "connections"}))},
         {"result_cache", output_schema({{"enabled", prop("boolean", "Results of index queries are cached")},
                                         {"entries", prop("integer", "Cached results")},
                                         {"bytes", prop("integer", "Approximate size of the cached results")},
                                         {"max_bytes", prop("integer", "Size bound (0 = caching off)")},
                                         {"hits", prop("integer", "Calls answered from the cache")},
                                         {"misses", prop("integer", "Calls that had to query the index")},
                                         {"cleared", prop("integer", "Results dropped (clear)")}},
                                        {"enabled", "entries", "bytes", "hits", "misses"})},
         {"search_indexes",
          array_of(output_schema({{"root", prop("string", "Project root")},
                                  {"generation", prop("string", "Index generation it was built from (empty while "
                                                                "the first build runs)")},
                                  {"current", prop("boolean", "Built from the state the last query saw")},
                                  {"building", prop("boolean", "A build is running")},
                                  {"symbols", prop("integer", "Symbols in memory")},
                                  {"bytes", prop("integer", "Approximate memory size")},
                                  {"build_seconds", prop("number", "Duration of the last build")}},
                                 {"root", "generation", "current", "building", "symbols", "bytes", "build_seconds"}),
                   "In-memory search indexes, one per recently searched project")}},
        {"action", "closed", "total_connections", "connections"});
    t.annotations.read_only = false;
    t.annotations.destructive = false;
    t.annotations.idempotent = true;
    t.annotations.open_world = false;
    t.handler = bind(t.name, &Tools::manage_cache);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "get_ignore_patterns";
    t.title = "Effective ignore patterns";
    t.description =
        "The ignore rules indexing applies to a directory, in order: built-in defaults, .gitignore files, "
        ".git/info/exclude, .cciignore, and custom_ignore. Works before a directory is indexed.";
    Json props = {{"custom_ignore", array_of(Json{{"type", "string"}}, "Extra patterns to preview, as for index_codebase")}};
    t.input_schema = input_schema(std::move(props));
    t.output_schema = output_schema({{"root", prop("string", "Directory")},
                                     {"sources", array_of(output_schema({{"origin", prop("string", "Where the patterns come from")},
                                                                         {"patterns", string_array()}},
                                                                        {"origin", "patterns"}))},
                                     {"truncated", prop("boolean", "True when cut at the size limit")}},
                                    {"root", "sources", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind(t.name, &Tools::get_ignore_patterns);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "find_definition";
    t.title = "Find a definition";
    t.description =
        "Where a symbol is defined: kind, file:line range, signature, doc, importance and degree; with "
        "include_body=true also its source lines (cut at the size limit). `name` may be a simple name, a qualified "
        "name (pkg.mod.Class.method, ns::f) or a symbol id. Suggests near names when nothing matches.";
    Json props = filter_props({{"name", prop("string", "Symbol name, qualified name or id")},
                               {"include_body", bool_prop("Include the symbol's source lines", false)},
                               {"limit", int_prop("Maximum definitions", 1, 50, 5)}});
    t.input_schema = input_schema(std::move(props), {"name"});
    t.output_schema = definitions_output_schema();
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::find_definition);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "find_references";
    t.title = "Find references";
    t.description =
        "Callers, subclasses, implementers and importers of a symbol, each with file:line and how the edge was "
        "resolved (local, member, import, qualified, unique-name). References by the same name that could not be "
        "bound (ambiguous or external) are listed separately as unresolved, never guessed.";
    Json props = filter_props({{"name", prop("string", "Symbol name, qualified name or id")},
                               {"limit", int_prop("Maximum references per page", 1, 500, 50)},
                               {"offset", int_prop("Skip this many references (paging)", 0, 1000000, 0)}});
    t.input_schema = input_schema(std::move(props), {"name"});
    t.output_schema = output_schema(paging_schema_props({{"project", project_prop},
                                                         {"name", prop("string", "The name asked for")},
                                                         {"definitions", array_of(symbol)},
                                                         {"references", array_of(edge_schema())},
                                                         {"unresolved", array_of(edge_schema())}}),
                                    {"project", "name", "definitions", "references", "unresolved", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::find_references);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "find_callees";
    t.title = "Find callees";
    t.description =
        "What a function or method calls (and what a class inherits or a file imports): resolved targets with "
        "their file:line, and unresolved names, each with the call site and how it was resolved.";
    Json props = filter_props({{"name", prop("string", "Symbol name, qualified name or id")},
                               {"limit", int_prop("Maximum callees per page", 1, 500, 50)},
                               {"offset", int_prop("Skip this many callees (paging)", 0, 1000000, 0)}});
    t.input_schema = input_schema(std::move(props), {"name"});
    t.output_schema = output_schema(paging_schema_props({{"project", project_prop},
                                                         {"name", prop("string", "The name asked for")},
                                                         {"definitions", array_of(symbol)},
                                                         {"callees", array_of(edge_schema())}}),
                                    {"project", "name", "definitions", "callees", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::find_callees);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "get_file_outline";
    t.title = "File outline";
    t.description =
        "The symbols of one file in source order, nested, with line ranges and signatures: a cheap way to see a "
        "file's structure before reading it.";
    Json props = {{"path", prop("string", "File path relative to the project root, or absolute inside it")},
                  {"limit", int_prop("Maximum symbols", 1, 2000, 200)},
                  {"offset", int_prop("Skip this many symbols (paging)", 0, 1000000, 0)}};
    t.input_schema = input_schema(std::move(props), {"path"});
    t.output_schema = output_schema(
        paging_schema_props({{"project", project_prop},
                             {"path", prop("string", "Relative path")},
                             {"language", prop("string", "Language")},
                             {"line_count", prop("integer", "Lines in the file")},
                             {"total", prop("integer", "Symbols in the file")},
                             {"symbols", array_of(output_schema({{"id", prop("string", "Symbol id")},
                                                                 {"name", prop("string", "Name")},
                                                                 {"qualified_name", prop("string", "Qualified name")},
                                                                 {"kind", prop("string", "Kind")},
                                                                 {"line", prop("integer", "First line")},
                                                                 {"end_line", prop("integer", "Last line")},
                                                                 {"depth", prop("integer", "Nesting depth (0 = top level)")},
                                                                 {"signature", prop("string", "Declaration head")}},
                                                                {"id", "name", "kind", "line", "end_line", "depth"}))}}),
        {"project", "path", "language", "total", "symbols", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::get_file_outline);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "get_codebase_overview";
    t.title = "Codebase overview";
    t.description =
        "A cold-start map of the project: languages with file counts, directories by symbol count, entry points, "
        "and the most important symbols by PageRank. Start here in an unfamiliar repository.";
    t.input_schema = input_schema({{"limit", int_prop("How many top symbols", 1, 100, 15)}});
    t.output_schema = output_schema(
        {{"project", project_prop},
         {"indexed_at", prop("string", "Last index (UTC)")},
         {"files", prop("integer", "Indexed files")},
         {"symbols", prop("integer", "Symbols")},
         {"edges", prop("integer", "Edges")},
         {"languages", array_of(output_schema({{"language", prop("string", "Language")}, {"files", prop("integer", "Files")}},
                                              {"language", "files"}))},
         {"directories", array_of(output_schema({{"path", prop("string", "Directory (two levels at most; '.' = root)")},
                                                 {"files", prop("integer", "Files")},
                                                 {"symbols", prop("integer", "Symbols")}},
                                                {"path", "files", "symbols"}))},
         {"entry_points", array_of(symbol)},
         {"top_symbols", array_of(symbol)},
         {"truncated", prop("boolean", "True when cut at the size limit")}},
        {"project", "files", "symbols", "languages", "directories", "entry_points", "top_symbols", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::get_codebase_overview);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "get_index_status";
    t.title = "Index freshness";
    t.description =
        "Whether the index matches the working tree: when it was built, its generation, whether it is being kept "
        "current (watch state, changes pending), files new, modified (size or mtime) or deleted since, and every "
        "file indexing skipped with the reason. Call index_codebase when it is stale and not watched.";
    t.input_schema = input_schema({{"limit", int_prop("How many paths to list per category", 1, 200, 10)}});
    t.output_schema = output_schema(
        {{"project", project_prop},
         {"indexed_at", prop("string", "Last index (UTC)")},
         {"generation", prop("integer", "Index generation")},
         {"files_indexed", prop("integer", "Files in the index")},
         {"root_exists", prop("boolean", "The project directory exists")},
         {"fresh", prop("boolean", "No file changed since the index")},
         {"changed", output_schema({{"new", prop("integer", "Source files not in the index")},
                                    {"modified", prop("integer", "Indexed files whose size or mtime changed")},
                                    {"deleted", prop("integer", "Indexed files that no longer exist")},
                                    {"new_paths", string_array()},
                                    {"modified_paths", string_array()},
                                    {"deleted_paths", string_array()}},
                                   {"new", "modified", "deleted", "new_paths", "modified_paths", "deleted_paths"})},
         {"skipped", output_schema({{"total", prop("integer", "Skipped files")},
                                    {"by_reason", counts_schema("Skipped files per reason")},
                                    {"files", array_of(output_schema({{"path", prop("string", "Path")},
                                                                      {"reason", prop("string", "Reason")},
                                                                      {"detail", prop("string", "Detail")}},
                                                                     {"path", "reason"}))}},
                                   {"total", "by_reason", "files"})},
         {"ranks_exact", prop("boolean", "False while ranks are carried over from before incremental updates")},
         {"watch",
          output_schema(
              {{"state", Json{{"type", "string"},
                              {"description",
                               "Whether the index is kept current: off, reconciling (catching up with the disk), "
                               "watching, degraded (watch limit reached: reconciled periodically) or failed"},
                              {"enum", {"off", "reconciling", "watching", "degraded", "failed"}}}},
               {"enabled", prop("boolean", "The project's watch setting (`cci watch on|off`)")},
               {"pending_paths", prop("integer", "Changed paths not yet in the index")},
               {"updating", prop("boolean", "An update is being applied now")},
               {"updates_applied", prop("integer", "Updates committed since watching began")},
               {"last_update_ms", prop("number", "Duration of the last update")},
               {"watched_directories", prop("integer", "Directories with a watch")},
               {"graph_exact", prop("boolean", "False while the watcher's updates left ranks approximate")},
               {"detail", prop("string", "Why it is off, degraded or failed")}},
              {"state", "pending_paths", "updating", "updates_applied", "watched_directories", "graph_exact"})}},
        {"project", "indexed_at", "generation", "files_indexed", "fresh", "changed", "skipped", "watch"});
    t.annotations = query_annotations();
    t.handler = bind(t.name, &Tools::get_index_status);
    tools.push_back(std::move(t));
  }
  {
    ToolSpec t;
    t.name = "search_text";
    t.title = "Search file contents";
    t.description =
        "grep over the indexed files' contents: a literal substring (default) or an ECMAScript regex "
        "(regex=true; lines over 4096 bytes are skipped and counted). Results are path:line:col with the line and "
        "optional context lines, in path order.";
    Json props = {{"query", prop("string", "Text to find (or a regex with regex=true)")},
                  {"regex", bool_prop("Treat query as an ECMAScript regular expression", false)},
                  {"case_sensitive", bool_prop("Match case exactly", true)},
                  {"path", prop("string",
                                "Only files whose relative path matches this glob ('*' also matches '/'); a plain "
                                "prefix such as 'src/net' matches everything under it")},
                  {"lang", prop("string", fmt::format("Only files of this language (one of: {})", valid_languages()))},
                  {"context", int_prop("Lines of context before and after each match", 0, 5, 0)},
                  {"limit", int_prop("Maximum matching lines", 1, 500, 50)},
                  {"offset", int_prop("Skip this many matching lines (paging)", 0, 1000000, 0)}};
    t.input_schema = input_schema(std::move(props), {"query"});
    t.output_schema = output_schema(
        paging_schema_props({{"project", project_prop},
                             {"query", prop("string", "The query")},
                             {"regex", prop("boolean", "Whether it was a regex")},
                             {"matches", array_of(output_schema({{"path", prop("string", "Relative path")},
                                                                 {"line", prop("integer", "Line (1-based)")},
                                                                 {"column", prop("integer", "Column of the match (1-based, bytes)")},
                                                                 {"text", prop("string", "The line")},
                                                                 {"before", string_array()},
                                                                 {"after", string_array()}},
                                                                {"path", "line", "column", "text"}))},
                             {"files_searched", prop("integer", "Files whose content was searched")},
                             {"long_lines_skipped", prop("integer", "Lines too long for regex matching")}}),
        {"project", "query", "matches", "files_searched", "truncated"});
    t.annotations = query_annotations();
    t.handler = bind_cached(t.name, &Tools::search_text);
    tools.push_back(std::move(t));
  }
  if (cache_) {
    for (auto& t : tools) {
      if (!cached.contains(t.name)) continue;
      t.answer_at_once = [self, tool = t.name](ToolContext& ctx) { return self->answer_from_cache(ctx, tool); };
    }
  }
  return tools;
}

ResourceProvider Tools::resource_provider(const std::shared_ptr<Tools>& self) const {
  ResourceProvider provider;
  provider.name = "cci-files";
  provider.list = [self](ToolContext& ctx, const std::string& cursor, std::size_t page_size) {
    return self->list_files(ctx, cursor, page_size);
  };
  provider.read = [self](ToolContext& ctx, const std::string& uri) { return self->read_resource(ctx, uri); };
  return provider;
}

std::vector<PromptSpec> Tools::prompts(const std::shared_ptr<Tools>& self) const {
  std::vector<PromptSpec> out;
  PromptSpec orient;
  orient.name = "orient";
  orient.title = "Orient me in this repository";
  orient.description = "An overview of the repository from its index (languages, directories, entry points, top symbols) with a request to explain its architecture.";
  orient.get = [self](ToolContext& ctx, const Json&) { return self->orient_prompt(ctx); };
  out.push_back(std::move(orient));

  PromptSpec explain;
  explain.name = "explain_symbol";
  explain.title = "Explain a symbol";
  explain.description = "A symbol's definition, source, callers and callees from the index, with a request to explain it.";
  explain.arguments = {{"name", "Symbol name, qualified name or id", true}};
  explain.get = [self](ToolContext& ctx, const Json& arguments) { return self->explain_prompt(ctx, arguments); };
  explain.complete = [self](const std::string& argument, const std::string& value) {
    return argument == "name" ? self->complete_symbol(value) : std::vector<std::string>{};
  };
  out.push_back(std::move(explain));
  return out;
}

}  // namespace

CodeTools make_code_tools(CodeToolsOptions options) {
  CodeTools out;
  out.service = std::make_shared<ProjectService>(options.data_dir, options.max_open_connections);
  auto tools = std::make_shared<Tools>(out.service, options);
  out.stats = [tools] { return tools->stats(); };
  out.tools = tools->specs(tools);
  out.resources = tools->resource_provider(tools);
  out.resource_templates = {
      {"cci://file/{+path}", "file", "Indexed source file",
       "A file of the default project as stored in the index; path is relative to the project root", "text/plain"},
      {"cci://symbol/{id}", "symbol", "Symbol source",
       "A symbol's signature, doc and source lines; id as returned by the tools", "text/plain"},
  };
  out.prompts = tools->prompts(tools);
  return out;
}

namespace {

void register_all(Server& server, CodeTools& tools) {
  for (auto& t : tools.tools) server.add_tool(std::move(t));
  server.add_resource_provider(std::move(tools.resources));
  for (auto& t : tools.resource_templates) server.add_resource_template(std::move(t));
  for (auto& p : tools.prompts) server.add_prompt(std::move(p));
}

}  // namespace

std::function<CodeToolsStats()> register_code_tools(Server& server, CodeToolsOptions options) {
  CodeTools tools = make_code_tools(std::move(options));
  register_all(server, tools);
  return std::move(tools.stats);
}

CodeServer make_code_server(ServerOptions server_options, CodeToolsOptions tools_options) {
  if (server_options.name.empty()) server_options.name = "cci";
  if (server_options.title.empty()) server_options.title = "claude-code-indexer";
  if (server_options.instructions.empty()) server_options.instructions = kInstructions;
  if (server_options.version.empty()) server_options.version = CCI_VERSION;
  CodeServer out;
  out.server = std::make_unique<Server>(std::move(server_options));
  CodeTools tools = make_code_tools(std::move(tools_options));
  register_all(*out.server, tools);
  out.stats = std::move(tools.stats);
  out.projects = std::move(tools.service);
  return out;
}

}  // namespace cci::mcp
