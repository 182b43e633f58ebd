// parse/extractors/py_js_walk.h — the tree walk shared by the Python and JavaScript/TypeScript
// extractors.
//
// A pre-order walk over named nodes with an explicit stack (never recursion: input may be nested
// 200k deep) that enumerates children with a reused TSTreeCursor (index-based child access is
// quadratic on wide nodes). Every visited node also receives the run of comment siblings directly
// before it, so doc comments cost O(1) per definition instead of a sibling rescan each; and, in
// class bodies where the grammar makes decorators siblings of the member they decorate
// (TypeScript), the decorators before it. Comment nodes themselves are never visited.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "parse/ts_util.h"

namespace cci::parse::detail {

struct Leading {
  std::span<const TSNode> comments;    // adjacent comment lines before the node, in source order
  std::span<const TSNode> decorators;  // sibling decorators before a class member (TypeScript)
};

template <class Scope>
class SyntaxWalker {
 public:
  SyntaxWalker() : cursor_(ts_tree_cursor_new(TSNode{})) {}
  ~SyntaxWalker() { ts_tree_cursor_delete(&cursor_); }
  SyntaxWalker(const SyntaxWalker&) = delete;
  SyntaxWalker& operator=(const SyntaxWalker&) = delete;

  // Queues `node` to be visited with `scope` (after the children of the node being visited).
  void push(TSNode node, Scope scope) { stack_.push_back(Frame{node, std::move(scope), 0, 0, 0, 0}); }

  // visit(node, scope, leading) returns the scope for the node's children, or nullopt to skip them.
  template <class Visit>
  void run(TSNode root, Scope scope, Visit&& visit) {
    push(root, std::move(scope));
    while (!stack_.empty()) {
      Frame frame = std::move(stack_.back());
      stack_.pop_back();
      const Leading leading{
          std::span<const TSNode>(comment_pool_).subspan(frame.comment_off, frame.comment_n),
          std::span<const TSNode>(decorator_pool_).subspan(frame.decorator_off, frame.decorator_n)};
      std::optional<Scope> child_scope = visit(frame.node, frame.scope, leading);
      if (child_scope) push_children(frame, std::move(*child_scope));
    }
  }

 private:
  struct Frame {
    TSNode node;
    Scope scope;
    std::uint32_t comment_off, comment_n, decorator_off, decorator_n;
  };

  void push_children(const Frame& parent_frame, Scope scope) {
    const TSNode parent = parent_frame.node;
    kids_.clear();
    append_named_children(parent, cursor_, kids_);
    if (kids_.empty()) return;
    const bool sibling_decorators = type(parent) == "class_body";
    pending_.clear();
    std::size_t run_start = comment_pool_.size();
    std::size_t deco_start = decorator_pool_.size();
    std::uint32_t prev_end_row = UINT32_MAX;  // end row of the previous non-comment sibling
    for (TSNode child : kids_) {
      const std::string_view t = type(child);
      const std::uint32_t start_row = ts_node_start_point(child).row;
      if (t == "comment") {
        if (comment_pool_.size() > run_start && ts_node_end_point(comment_pool_.back()).row + 1 < start_row)
          comment_pool_.resize(run_start);
        // A comment trailing the previous sibling's line belongs to that sibling, not to the next.
        if (start_row != prev_end_row || comment_pool_.size() > run_start) comment_pool_.push_back(child);
        continue;
      }
      if (sibling_decorators && t == "decorator") {
        decorator_pool_.push_back(child);
        prev_end_row = ts_node_end_point(child).row;
        continue;
      }
      // The comment run must touch the definition (or its first decorator): a blank line detaches it.
      const std::uint32_t anchor_row =
          decorator_pool_.size() > deco_start ? ts_node_start_point(decorator_pool_[deco_start]).row : start_row;
      if (comment_pool_.size() > run_start && ts_node_end_point(comment_pool_.back()).row + 1 < anchor_row)
        comment_pool_.resize(run_start);
      pending_.push_back(Frame{child, scope, static_cast<std::uint32_t>(run_start),
                               static_cast<std::uint32_t>(comment_pool_.size() - run_start),
                               static_cast<std::uint32_t>(deco_start),
                               static_cast<std::uint32_t>(decorator_pool_.size() - deco_start)});
      run_start = comment_pool_.size();
      deco_start = decorator_pool_.size();
      prev_end_row = ts_node_end_point(child).row;
    }
    comment_pool_.resize(run_start);  // comments after the last child describe nothing
    // A child starting where its parent starts (a Python block and its first statement) inherits
    // the parent's comments: tree-sitter-python puts a comment before a class's first method
    // outside the block.
    if (!pending_.empty() && pending_.front().comment_n == 0 &&
        ts_node_start_byte(pending_.front().node) == ts_node_start_byte(parent)) {
      pending_.front().comment_off = parent_frame.comment_off;
      pending_.front().comment_n = parent_frame.comment_n;
    }
    decorator_pool_.resize(deco_start);
    for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) stack_.push_back(std::move(*it));
  }

  TSTreeCursor cursor_;
  std::vector<Frame> stack_;
  std::vector<Frame> pending_;
  std::vector<TSNode> kids_;
  std::vector<TSNode> comment_pool_;    // runs referenced by queued frames; append-only per walk
  std::vector<TSNode> decorator_pool_;
};

}  // namespace cci::parse::detail
