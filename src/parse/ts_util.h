// parse/ts_util.h — small helpers over the tree-sitter C API shared by the language extractors.
// Internal to parse/ (includes tree_sitter/api.h, which no other module may see).
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/model.h"

namespace cci::parse::detail {

struct Context {
  std::string_view source;
  ParsedFile& out;
};

inline std::string_view text(TSNode node, std::string_view src) {
  if (ts_node_is_null(node)) return {};
  const std::uint32_t start = ts_node_start_byte(node);
  const std::uint32_t end = ts_node_end_byte(node);
  if (start >= src.size() || end <= start) return {};
  return src.substr(start, std::min<std::size_t>(end, src.size()) - start);
}

inline std::string_view type(TSNode node) { return ts_node_is_null(node) ? std::string_view{} : ts_node_type(node); }

inline TSNode field(TSNode node, const char* name) {
  return ts_node_child_by_field_name(node, name, static_cast<std::uint32_t>(std::char_traits<char>::length(name)));
}

Span span_of(TSNode node);

// The declaration head: source text from the start of `decl` up to the start of `body` (or the
// whole node when body is null), whitespace runs collapsed to one space, trailing '{' / ':'
// trimmed, capped at 300 bytes.
std::string signature_of(TSNode decl, TSNode body, std::string_view src);

// Comments immediately before `node` (consecutive comment siblings, no blank line between),
// with comment markers (//, ///, /* */, /** */, #, leading *) removed, lines joined by '\n'.
// `comment_type` is the grammar's comment node type ("comment", "line_comment", ...).
std::string leading_comment(TSNode node, std::string_view src, std::initializer_list<std::string_view> comment_types);

// Strips quotes/prefixes from a string literal node's text: 'x', "x", `x`, r"x", """x""".
std::string unquote(std::string_view literal);

// Collapses whitespace, trims, caps at `max` bytes (on a UTF-8 boundary).
std::string one_line(std::string_view s, std::size_t max = 300);

std::uint32_t count_error_nodes(TSNode root);

int32_t add_symbol(ParsedFile& out, Symbol symbol);

// Iterative pre-order walk with a scope value carried down the tree. `visit(node, scope)`
// returns the scope for the node's children, or nullopt to skip them. No recursion: safe on
// arbitrarily deep trees.
template <class Scope, class Visit>
void walk(TSNode root, Scope root_scope, Visit&& visit) {
  std::vector<std::pair<TSNode, Scope>> stack;
  stack.emplace_back(root, root_scope);
  while (!stack.empty()) {
    auto [node, scope] = stack.back();
    stack.pop_back();
    std::optional<Scope> child_scope = visit(node, scope);
    if (!child_scope) continue;
    const std::uint32_t n = ts_node_named_child_count(node);
    for (std::uint32_t i = n; i-- > 0;) stack.emplace_back(ts_node_named_child(node, i), *child_scope);
  }
}

}  // namespace cci::parse::detail
