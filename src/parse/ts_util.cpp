#include "parse/ts_util.h"

#include <algorithm>
#include <cstring>

namespace cci::parse::detail {

Span span_of(TSNode node) {
  const TSPoint s = ts_node_start_point(node);
  const TSPoint e = ts_node_end_point(node);
  return Span{s.row + 1, s.column + 1, e.row + 1, e.column + 1};
}

std::string one_line(std::string_view s, std::size_t max) {
  std::string out;
  out.reserve(std::min(s.size(), max));
  bool pending_space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
    if (out.size() >= max) break;
  }
  if (out.size() > max) out.resize(max);
  // Do not cut a UTF-8 sequence in half.
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0xC0) out.pop_back();
  return out;
}

std::string signature_of(TSNode decl, TSNode body, std::string_view src) {
  const std::uint32_t start = ts_node_start_byte(decl);
  std::uint32_t end = ts_node_is_null(body) ? ts_node_end_byte(decl) : ts_node_start_byte(body);
  if (start >= src.size()) return {};
  end = std::min<std::uint32_t>(end, static_cast<std::uint32_t>(src.size()));
  if (end <= start) return {};
  std::string sig = one_line(src.substr(start, end - start));
  while (!sig.empty() && (sig.back() == '{' || sig.back() == ':' || sig.back() == ' ' || sig.back() == '='))
    sig.pop_back();
  return sig;
}

namespace {

std::string strip_comment_markers(std::string_view raw) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= raw.size()) {
    std::size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) nl = raw.size();
    std::string_view line = raw.substr(pos, nl - pos);
    auto trim_front = [&] {
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    };
    trim_front();
    for (std::string_view marker : {"///", "//!", "//", "/**", "/*!", "/*", "#"}) {
      if (line.starts_with(marker)) {
        line.remove_prefix(marker.size());
        break;
      }
    }
    if (line.ends_with("*/")) line.remove_suffix(2);
    trim_front();
    if (line.starts_with("*") && !line.starts_with("*/")) {
      line.remove_prefix(1);
      trim_front();
    }
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    if (!line.empty() || !out.empty()) {
      if (!out.empty()) out += '\n';
      out += line;
    }
    pos = nl + 1;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

std::string unquote(std::string_view lit) {
  while (!lit.empty() && std::strchr("rRbBuUfF", lit.front()) != nullptr) lit.remove_prefix(1);
  for (std::string_view q : {"\"\"\"", "'''", "\"", "'", "`", "<"}) {
    if (lit.starts_with(q)) {
      lit.remove_prefix(q.size());
      std::string_view close = q == "<" ? ">" : q;
      if (lit.ends_with(close)) lit.remove_suffix(close.size());
      break;
    }
  }
  return std::string(lit);
}

std::uint32_t count_error_nodes(TSNode root) {
  if (!ts_node_has_error(root)) return 0;
  std::uint32_t errors = 0;
  std::vector<TSNode> stack{root};
  while (!stack.empty()) {
    TSNode node = stack.back();
    stack.pop_back();
    if (ts_node_is_error(node) || ts_node_is_missing(node)) {
      ++errors;
      continue;
    }
    if (!ts_node_has_error(node)) continue;
    const std::uint32_t n = ts_node_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) stack.push_back(ts_node_child(node, i));
  }
  return errors;
}

std::int32_t add_reference(ParsedFile& out, RefKind kind, std::string_view name, std::string qualifier,
                           std::int32_t from, TSNode at) {
  if (name.empty()) return -1;
  Reference r;
  r.kind = kind;
  r.name = std::string(name);
  r.qualifier = std::move(qualifier);
  r.from = from;
  const TSPoint p = ts_node_start_point(at);
  r.line = p.row + 1;
  r.col = p.column + 1;
  out.references.push_back(std::move(r));
  return static_cast<std::int32_t>(out.references.size() - 1);
}

int32_t add_symbol(ParsedFile& out, Symbol symbol) {
  out.symbols.push_back(std::move(symbol));
  return static_cast<int32_t>(out.symbols.size() - 1);
}

}  // namespace cci::parse::detail

namespace cci::parse::detail {

std::string doc_from_comments(const TSNode* comments, std::size_t count, std::string_view src) {
  std::string doc;
  for (std::size_t i = 0; i < count; ++i) {
    std::string part = strip_comment_markers(text(comments[i], src));
    if (part.empty()) continue;
    if (!doc.empty()) doc += '\n';
    doc += part;
  }
  if (doc.size() > 2000) doc.resize(2000);
  while (!doc.empty() && (static_cast<unsigned char>(doc.back()) & 0xC0) == 0x80) doc.pop_back();
  return doc;
}

}  // namespace cci::parse::detail

// --- linear child enumeration (used by the Python/JavaScript extractors) ---
namespace cci::parse::detail {

void append_named_children(TSNode node, TSTreeCursor& cursor, std::vector<TSNode>& out) {
  ts_tree_cursor_reset(&cursor, node);
  if (!ts_tree_cursor_goto_first_child(&cursor)) return;
  do {
    TSNode child = ts_tree_cursor_current_node(&cursor);
    if (ts_node_is_named(child)) out.push_back(child);
  } while (ts_tree_cursor_goto_next_sibling(&cursor));
}

}  // namespace cci::parse::detail
