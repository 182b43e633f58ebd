// parse/extractors/rust.cpp — Rust extraction.
//
// Module path from the file path: src/lib.rs, src/main.rs → "crate"; src/a/b.rs → "crate::a::b";
// src/a/mod.rs → "crate::a"; outside src/ the path without extension ("tests/x.rs" → "tests::x").
// Symbols: mod (Module), struct/union (Struct), enum (Enum), trait (Trait, its fns as Method
// children), impl methods (Method; parent = the implementing type when declared in this file,
// qualified "crate::m::Type::method"), free fns (Function), const (Constant), static (Variable),
// type aliases (Class, as in Go), macro_rules! (Function, so macro calls resolve to it), `use`
// (Import). References: calls, user macro invocations (Call named without '!'; std/core macros
// such as println!/vec!/assert! are skipped), `impl Trait for T` (Implement from T).
// Exported = has a `pub` visibility; trait items and trait-impl methods follow the trait (pub).
#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parse/extractors/extractors.h"

namespace cci::parse::detail {
namespace {

struct Scope {
  std::int32_t parent = -1;  // enclosing mod/trait/type symbol
  std::int32_t module = -1;  // enclosing mod symbol (-1 = the file's module)
  std::int32_t from = -1;
  std::int32_t impl = -1;    // index into RustExtractor::impls_
  bool in_function = false;
  bool in_trait = false;
};

constexpr std::array<std::string_view, 34> kStdMacros = {
    "assert",      "assert_eq",   "assert_ne",    "cfg",          "column",       "compile_error", "concat",
    "dbg",         "debug_assert", "debug_assert_eq", "debug_assert_ne", "env", "eprint",        "eprintln",
    "file",        "format",      "format_args",  "include",      "include_bytes", "include_str",  "line",
    "matches",     "module_path", "option_env",   "panic",        "print",        "println",       "stringify",
    "todo",        "unimplemented", "unreachable", "vec",         "write",        "writeln"};

std::string module_path_for(std::string_view path) {
  std::string_view rel = path;
  const auto src = rel.rfind("src/");
  const bool in_src = src != std::string_view::npos && (src == 0 || rel[src - 1] == '/');
  if (in_src) rel.remove_prefix(src + 4);
  if (rel.ends_with(".rs")) rel.remove_suffix(3);
  if (in_src && (rel == "lib" || rel == "main")) return "crate";
  if (rel.ends_with("/mod")) rel.remove_suffix(4);
  std::string out = in_src ? "crate::" : "";
  for (char c : rel) {
    if (c == '/')
      out += "::";
    else
      out += c;
  }
  return out;
}

class RustExtractor {
 public:
  explicit RustExtractor(Context& ctx) : ctx_(ctx), module_(module_path_for(ctx.out.path)) {}

  void run(TSNode root) {
    ctx_.out.module_name = module_;
    cursor_walk(
        root, Scope{},
        [](TSNode n) {
          const std::string_view t = type(n);
          if (t == "line_comment" || t == "block_comment") return Trivia::Comment;
          return t == "attribute_item" ? Trivia::Transparent : Trivia::None;
        },
        [this](TSNode n, const Scope& sc, const TSNode* c, std::size_t nc) { return visit(n, sc, c, nc); });
    // impl blocks may precede the type they implement.
    for (const PendingOwner& p : pending_) {
      auto it = types_.find(p.key);
      const std::int32_t owner = it == types_.end() ? -1 : it->second;
      if (p.symbol >= 0) ctx_.out.symbols[static_cast<std::size_t>(p.symbol)].parent = owner;
      if (p.reference >= 0) ctx_.out.references[static_cast<std::size_t>(p.reference)].from = owner;
    }
  }

 private:
  struct Impl {
    std::string type_name;
    bool trait = false;
  };
  struct PendingOwner {
    std::string key;  // qualified type name
    std::int32_t symbol = -1;
    std::int32_t reference = -1;
  };

  Context& ctx_;
  std::string module_;
  std::vector<Impl> impls_;
  std::unordered_map<std::string, std::int32_t> types_;
  std::vector<PendingOwner> pending_;

  std::string_view src() const { return ctx_.source; }

  std::string prefix(std::int32_t parent) const {
    return parent >= 0 ? ctx_.out.symbols[static_cast<std::size_t>(parent)].qualified_name : module_;
  }
  std::string qualify(std::int32_t parent, std::string_view name) const {
    std::string p = prefix(parent);
    if (p.empty()) return std::string(name);
    return p + "::" + std::string(name);
  }

  static bool has_pub(TSNode node) {
    const std::uint32_t n = ts_node_named_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i)
      if (type(ts_node_named_child(node, i)) == "visibility_modifier") return true;
    return false;
  }

  std::int32_t add(SymbolKind kind, std::string_view name, std::string qname, std::int32_t parent, TSNode node,
                   TSNode body, const TSNode* c, std::size_t nc, bool exported) {
    Symbol s;
    s.kind = kind;
    s.name = std::string(name);
    s.qualified_name = std::move(qname);
    s.parent = parent;
    s.span = span_of(node);
    s.signature = signature_of(node, body, src());
    while (!s.signature.empty() && s.signature.back() == ';') s.signature.pop_back();
    s.doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
    s.exported = exported;
    return add_symbol(ctx_.out, std::move(s));
  }

  std::int32_t add_ref(RefKind kind, std::string_view name, std::string qualifier, std::int32_t from, TSNode at) {
    return add_reference(ctx_.out, kind, name, std::move(qualifier), from, at);
  }


  // `Foo<T>`, `a::Foo`, `&mut Foo` → the simple name node.
  static TSNode type_name_node(TSNode t) {
    for (int guard = 0; guard < 16 && !ts_node_is_null(t); ++guard) {
      const std::string_view ty = type(t);
      if (ty == "type_identifier" || ty == "identifier") return t;
      if (ty == "generic_type") {
        t = field(t, "type");
      } else if (ty == "scoped_type_identifier" || ty == "scoped_identifier") {
        t = field(t, "name");
      } else if (ty == "reference_type" || ty == "pointer_type") {
        t = field(t, "type");
      } else {
        break;
      }
    }
    return TSNode{};
  }

  std::string receiver(TSNode value) const {
    TSNode cur = value;
    for (int guard = 0; guard < 32; ++guard) {
      const std::string_view t = type(cur);
      if (t == "identifier" || t == "self") return std::string(text(value, src()));
      if (t != "field_expression") break;
      cur = field(cur, "value");
    }
    return "?";
  }

  void add_import(TSNode decl, std::string module, std::string alias, std::vector<ImportedName> names) {
    Import imp;
    imp.module = std::move(module);
    imp.alias = std::move(alias);
    imp.names = std::move(names);
    imp.line = ts_node_start_point(decl).row + 1;
    Symbol s;
    s.kind = SymbolKind::Import;
    s.name = imp.module;
    s.qualified_name = imp.module;
    s.span = span_of(decl);
    s.signature = one_line(text(decl, src()));
    while (!s.signature.empty() && s.signature.back() == ';') s.signature.pop_back();
    s.exported = has_pub(decl);
    imp.symbol = add_symbol(ctx_.out, std::move(s));
    ctx_.out.imports.push_back(std::move(imp));
  }

  static std::string join(std::string_view base, std::string_view rest) {
    if (base.empty()) return std::string(rest);
    if (rest.empty()) return std::string(base);
    return std::string(base) + "::" + std::string(rest);
  }

  // Use trees, flattened with an explicit stack: each brace list becomes one Import whose module
  // is the path before the braces; nested paths inside the braces become their own Imports.
  void visit_use(TSNode decl) {
    struct Item {
      TSNode node;
      std::string base;
    };
    std::vector<Item> stack{{field(decl, "argument"), {}}};
    while (!stack.empty()) {
      Item item = std::move(stack.back());
      stack.pop_back();
      const std::string_view t = type(item.node);
      if (t == "use_as_clause") {
        add_import(decl, join(item.base, text(field(item.node, "path"), src())),
                   std::string(text(field(item.node, "alias"), src())), {});
      } else if (t == "use_wildcard") {
        TSNode path = ts_node_named_child(item.node, 0);
        add_import(decl, join(item.base, text(path, src())), {}, {ImportedName{"*", {}}});
      } else if (t == "scoped_use_list" || t == "use_list") {
        std::string base = item.base;
        TSNode list = item.node;
        if (t == "scoped_use_list") {
          base = join(base, text(field(item.node, "path"), src()));
          list = field(item.node, "list");
        }
        std::vector<ImportedName> names;
        std::vector<Item> nested;
        const std::uint32_t n = ts_node_named_child_count(list);
        for (std::uint32_t i = 0; i < n; ++i) {
          TSNode c = ts_node_named_child(list, i);
          const std::string_view ct = type(c);
          if (ct == "identifier" || ct == "self" || ct == "super" || ct == "crate") {
            names.push_back(ImportedName{std::string(text(c, src())), {}});
          } else if (ct == "use_as_clause" && type(field(c, "path")) != "scoped_identifier") {
            names.push_back(ImportedName{std::string(text(field(c, "path"), src())),
                                         std::string(text(field(c, "alias"), src()))});
          } else if (ct == "use_wildcard" && ts_node_named_child_count(c) == 0) {
            names.push_back(ImportedName{"*", {}});
          } else {
            nested.push_back(Item{c, base});
          }
        }
        if (!names.empty() || nested.empty()) add_import(decl, base, {}, std::move(names));
        for (auto it = nested.rbegin(); it != nested.rend(); ++it) stack.push_back(std::move(*it));
      } else if (!ts_node_is_null(item.node)) {
        add_import(decl, join(item.base, text(item.node, src())), {}, {});
      }
    }
  }

  void visit_call(TSNode node, const Scope& sc) {
    TSNode fn = field(node, "function");
    if (type(fn) == "generic_function") fn = field(fn, "function");
    const std::string_view ft = type(fn);
    if (ft == "identifier") {
      add_ref(RefKind::Call, text(fn, src()), {}, sc.from, fn);
    } else if (ft == "field_expression") {
      TSNode f = field(fn, "field");
      add_ref(RefKind::Call, text(f, src()), receiver(field(fn, "value")), sc.from, f);
    } else if (ft == "scoped_identifier") {
      TSNode name = field(fn, "name");
      TSNode path = field(fn, "path");
      // `Vec::<u8>::new` → qualifier "Vec": turbofish arguments are not part of the path.
      std::string qual;
      int depth = 0;
      for (char ch : text(path, src())) {
        if (ch == '<') ++depth;
        if (depth == 0 && ch != ' ' && ch != '\n' && ch != '\t') qual += ch;
        if (ch == '>' && depth > 0) --depth;
      }
      while (qual.ends_with("::")) qual.resize(qual.size() - 2);
      for (std::size_t at; (at = qual.find("::::")) != std::string::npos;) qual.erase(at, 2);
      add_ref(RefKind::Call, text(name, src()), std::move(qual), sc.from, name);
    }
  }

  std::optional<Scope> visit(TSNode node, const Scope& sc, const TSNode* c, std::size_t nc) {
    const std::string_view t = type(node);
    if (t == "call_expression") {
      visit_call(node, sc);
      return sc;
    }
    if (t == "macro_invocation") {
      TSNode m = field(node, "macro");
      TSNode name = type(m) == "scoped_identifier" ? field(m, "name") : m;
      const std::string_view n = text(name, src());
      if (std::find(kStdMacros.begin(), kStdMacros.end(), n) == kStdMacros.end()) {
        std::string qual;
        if (type(m) == "scoped_identifier") qual = std::string(text(field(m, "path"), src()));
        add_ref(RefKind::Call, n, std::move(qual), sc.from, name);
      }
      return std::nullopt;  // token trees are unparsed
    }
    if (sc.in_function) return sc;
    if (t == "source_file" || t == "declaration_list") return sc;
    if (t == "use_declaration") {
      visit_use(node);
      return std::nullopt;
    }
    if (t == "mod_item") {
      TSNode name = field(node, "name");
      TSNode body = field(node, "body");
      const std::int32_t idx = add(SymbolKind::Module, text(name, src()), qualify(sc.module, text(name, src())),
                                   sc.module, node, body, c, nc, has_pub(node));
      Scope child;
      child.parent = child.module = idx;
      return child;
    }
    if (t == "struct_item" || t == "enum_item" || t == "union_item" || t == "trait_item") {
      TSNode name = field(node, "name");
      const SymbolKind kind = t == "enum_item"    ? SymbolKind::Enum
                              : t == "trait_item" ? SymbolKind::Trait
                                                  : SymbolKind::Struct;
      TSNode body = field(node, "body");
      const std::int32_t idx = add(kind, text(name, src()), qualify(sc.module, text(name, src())), sc.module,
                                   node, body, c, nc, has_pub(node));
      types_.emplace(ctx_.out.symbols[static_cast<std::size_t>(idx)].qualified_name, idx);
      if (kind != SymbolKind::Trait) return std::nullopt;
      Scope child = sc;
      child.parent = child.from = idx;
      child.in_trait = true;
      return child;
    }
    if (t == "impl_item") {
      TSNode ty = type_name_node(field(node, "type"));
      TSNode trait = field(node, "trait");
      Impl impl;
      impl.type_name = std::string(text(ty, src()));
      impl.trait = !ts_node_is_null(trait);
      const std::string key = qualify(sc.module, impl.type_name);
      if (impl.trait) {
        TSNode tn = type_name_node(trait);
        std::string qual;
        if (type(trait) == "scoped_type_identifier") qual = std::string(text(field(trait, "path"), src()));
        const std::int32_t r = add_ref(RefKind::Implement, text(tn, src()), std::move(qual), -1, tn);
        if (r >= 0 && !impl.type_name.empty()) pending_.push_back(PendingOwner{key, -1, r});
      }
      impls_.push_back(std::move(impl));
      Scope child = sc;
      child.impl = static_cast<std::int32_t>(impls_.size() - 1);
      return child;
    }
    if (t == "function_item" || t == "function_signature_item") {
      TSNode name = field(node, "name");
      const std::string_view n = text(name, src());
      TSNode body = field(node, "body");
      std::int32_t idx = -1;
      if (sc.impl >= 0) {
        const Impl& impl = impls_[static_cast<std::size_t>(sc.impl)];
        const std::string type_q = qualify(sc.module, impl.type_name);
        idx = add(SymbolKind::Method, n, type_q + "::" + std::string(n), -1, node, body, c, nc,
                  impl.trait || has_pub(node));
        pending_.push_back(PendingOwner{type_q, idx, -1});
      } else if (sc.in_trait) {
        idx = add(SymbolKind::Method, n, qualify(sc.parent, n), sc.parent, node, body, c, nc,
                  ctx_.out.symbols[static_cast<std::size_t>(sc.parent)].exported);
      } else {
        idx = add(SymbolKind::Function, n, qualify(sc.module, n), sc.module, node, body, c, nc, has_pub(node));
      }
      Scope child = sc;
      child.parent = child.from = idx;
      child.in_function = true;
      return child;
    }
    if (t == "const_item" || t == "static_item") {
      TSNode name = field(node, "name");
      add(t == "const_item" ? SymbolKind::Constant : SymbolKind::Variable, text(name, src()),
          qualify(sc.module, text(name, src())), sc.module, node, field(node, "value"), c, nc, has_pub(node));
      Scope child = sc;
      child.in_function = true;  // initializer calls only
      return child;
    }
    if (t == "type_item") {
      TSNode name = field(node, "name");
      add(SymbolKind::Class, text(name, src()), qualify(sc.module, text(name, src())), sc.module, node, TSNode{}, c,
          nc, has_pub(node));
      return std::nullopt;
    }
    if (t == "macro_definition") {
      TSNode name = field(node, "name");
      const std::string_view n = text(name, src());
      Symbol s;
      s.kind = SymbolKind::Function;
      s.name = std::string(n);
      s.qualified_name = qualify(sc.module, n);
      s.parent = sc.module;
      s.span = span_of(node);
      s.signature = "macro_rules! " + std::string(n);
      s.doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
      s.exported = true;  // #[macro_export] is the norm for macros others call
      add_symbol(ctx_.out, std::move(s));
      return std::nullopt;
    }
    return sc;
  }
};

}  // namespace

void extract_rust(TSNode root, Context& ctx) { RustExtractor(ctx).run(root); }

}  // namespace cci::parse::detail
