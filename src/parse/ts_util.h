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

// Strips quotes/prefixes from a string literal node's text: 'x', "x", `x`, r"x", """x""".
std::string unquote(std::string_view literal);

// Collapses whitespace, trims, caps at `max` bytes (on a UTF-8 boundary).
std::string one_line(std::string_view s, std::size_t max = 300);

std::uint32_t count_error_nodes(TSNode root);

int32_t add_symbol(ParsedFile& out, Symbol symbol);

// Appends a reference located at the start of `at` (1-based line and column) and returns its
// index; an empty name is dropped (-1).
std::int32_t add_reference(ParsedFile& out, RefKind kind, std::string_view name, std::string qualifier,
                           std::int32_t from, TSNode at);


}  // namespace cci::parse::detail

// --- cursor walk with doc-comment runs (used by the Java/Go/Rust/C/C++ extractors) ---
namespace cci::parse::detail {

// How cursor_walk treats a sibling when collecting the comment run before a node.
enum class Trivia : std::uint8_t { None, Comment, Transparent /* e.g. Rust #[attr]: keeps the run */ };

// Same text as leading_comment() would give for exactly these comment nodes (in source order).
std::string doc_from_comments(const TSNode* comments, std::size_t count, std::string_view src);

// Iterative pre-order walk over named nodes using a TSTreeCursor: O(1) per step, where
// index-based child access is O(index) and makes wide nodes (20k-entry tables) quadratic.
// `visit(node, scope, comments, n_comments)` sees the run of comment siblings directly preceding
// `node` (adjacent lines, not trailing a previous sibling's line) and returns the scope for its
// children, or nullopt to skip them.
template <class Scope, class Classify, class Visit>
void cursor_walk(TSNode root, Scope root_scope, Classify&& classify, Visit&& visit) {
  struct Frame {
    Scope scope;
    std::size_t comment_base;
    std::uint32_t prev_end_row;  // end row of the previous non-comment sibling, UINT32_MAX if none
  };
  std::vector<TSNode> comments;
  std::vector<Frame> frames;
  std::optional<Scope> first = visit(root, root_scope, static_cast<const TSNode*>(nullptr), std::size_t{0});
  if (!first) return;
  TSTreeCursor cursor = ts_tree_cursor_new(root);
  if (!ts_tree_cursor_goto_first_child(&cursor)) {
    ts_tree_cursor_delete(&cursor);
    return;
  }
  frames.push_back(Frame{std::move(*first), 0, UINT32_MAX});
  for (;;) {
    TSNode node = ts_tree_cursor_current_node(&cursor);
    Frame& frame = frames.back();
    bool descended = false;
    if (ts_node_is_named(node)) {
      const Trivia trivia = classify(node);
      const std::uint32_t start_row = ts_node_start_point(node).row;
      // Preprocessor directives end at column 0 of the next line; their last line is the one before.
      const TSPoint end_point = ts_node_end_point(node);
      const std::uint32_t end_row = end_point.column == 0 && end_point.row > start_row ? end_point.row - 1 : end_point.row;
      const std::size_t run = comments.size() - frame.comment_base;
      const std::uint32_t last_row =
          run > 0 ? ts_node_end_point(comments.back()).row : UINT32_MAX;
      if (trivia == Trivia::Comment) {
        if (run > 0 && last_row + 1 < start_row) comments.resize(frame.comment_base);
        if (start_row != frame.prev_end_row) comments.push_back(node);  // else: trailing comment
      } else if (trivia == Trivia::Transparent) {
        frame.prev_end_row = end_row;
      } else {
        if (run > 0 && last_row + 1 < start_row) comments.resize(frame.comment_base);
        const std::size_t base = frame.comment_base;
        const std::size_t n = comments.size() - base;
        std::optional<Scope> child = visit(node, frame.scope, n ? comments.data() + base : nullptr, n);
        comments.resize(base);
        frames.back().prev_end_row = end_row;
        if (child && ts_tree_cursor_goto_first_child(&cursor)) {
          frames.push_back(Frame{std::move(*child), comments.size(), UINT32_MAX});
          descended = true;
        }
      }
    }
    if (descended) continue;
    while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
      comments.resize(frames.back().comment_base);
      frames.pop_back();
      if (frames.empty() || !ts_tree_cursor_goto_parent(&cursor)) {
        ts_tree_cursor_delete(&cursor);
        return;
      }
    }
  }
}

}  // namespace cci::parse::detail

// --- linear child enumeration (used by the Python/JavaScript extractors) ---
namespace cci::parse::detail {

// Appends the named children of `node` to `out`, in order. Linear in the child count, unlike a
// ts_node_named_child(node, i) loop, which rescans from the first child on every call (quadratic
// on a 200k-element array literal). `cursor` is caller-owned scratch, reused to avoid allocation.
void append_named_children(TSNode node, TSTreeCursor& cursor, std::vector<TSNode>& out);

}  // namespace cci::parse::detail
