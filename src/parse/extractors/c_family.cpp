// parse/extractors/c_family.cpp — C and C++ extraction (ctx.out.language says which).
//
// Symbols: functions (definitions; prototypes only when the file has no definition of the same
// name), C++ methods (in-class definitions and declarations, out-of-line `A::b` definitions),
// structs/unions/classes/enums with a body, typedef names of struct/union (Struct) and enum (Enum)
// types (other typedefs and C++ `using` aliases are skipped), file/namespace-scope variables
// (Variable, `const`/`constexpr` → Constant), `#define NAME value` (Constant), function-like
// macros (Function: calls to macros are call_expressions and should resolve to the macro),
// namespaces (Namespace) and #include (Import). References: calls and C++ base classes.
//
// This runs over whole kernels, so node dispatch compares grammar symbol ids (not type strings),
// the walk is cursor based, and doc comments come from the walker's comment run.
#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>

#include "parse/extractors/extractors.h"

namespace cci::parse::detail {
namespace {

// Symbol 0 is the end-of-input token, never a named node; ERROR nodes are 0xFFFF.
constexpr TSSymbol kNone = 0;

// Grammar symbol ids for the node types the extractor dispatches on, looked up once per grammar.
struct Syms {
  TSSymbol translation_unit, preproc_include, preproc_def, preproc_function_def, preproc_if, preproc_ifdef,
      preproc_else, preproc_elif, preproc_elifdef, linkage_specification, declaration_list, function_definition,
      declaration, type_definition, struct_specifier, union_specifier, enum_specifier, class_specifier,
      field_declaration_list, field_declaration, call_expression, field_expression, identifier, field_identifier,
      type_identifier, comment, storage_class_specifier, type_qualifier, init_declarator, function_declarator,
      pointer_declarator, array_declarator, parenthesized_declarator, attributed_declarator, reference_declarator,
      compound_statement, namespace_definition, template_declaration, access_specifier, base_class_clause,
      qualified_identifier, template_function, template_type, template_method, field_initializer_list,
      destructor_name, operator_name, friend_declaration, namespace_identifier, nested_namespace_specifier,
      this_, using_declaration, alias_declaration, string_literal, system_lib_string, try_statement,
      lambda_expression, virtual_specifier;

  explicit Syms(const TSLanguage* lang) {
    auto sym = [lang](std::string_view name) {
      const TSSymbol s = ts_language_symbol_for_name(lang, name.data(), static_cast<std::uint32_t>(name.size()), true);
      return s == 0 ? kNone : s;
    };
    translation_unit = sym("translation_unit");
    preproc_include = sym("preproc_include");
    preproc_def = sym("preproc_def");
    preproc_function_def = sym("preproc_function_def");
    preproc_if = sym("preproc_if");
    preproc_ifdef = sym("preproc_ifdef");
    preproc_else = sym("preproc_else");
    preproc_elif = sym("preproc_elif");
    preproc_elifdef = sym("preproc_elifdef");
    linkage_specification = sym("linkage_specification");
    declaration_list = sym("declaration_list");
    function_definition = sym("function_definition");
    declaration = sym("declaration");
    type_definition = sym("type_definition");
    struct_specifier = sym("struct_specifier");
    union_specifier = sym("union_specifier");
    enum_specifier = sym("enum_specifier");
    class_specifier = sym("class_specifier");
    field_declaration_list = sym("field_declaration_list");
    field_declaration = sym("field_declaration");
    call_expression = sym("call_expression");
    field_expression = sym("field_expression");
    identifier = sym("identifier");
    field_identifier = sym("field_identifier");
    type_identifier = sym("type_identifier");
    comment = sym("comment");
    storage_class_specifier = sym("storage_class_specifier");
    type_qualifier = sym("type_qualifier");
    init_declarator = sym("init_declarator");
    function_declarator = sym("function_declarator");
    pointer_declarator = sym("pointer_declarator");
    array_declarator = sym("array_declarator");
    parenthesized_declarator = sym("parenthesized_declarator");
    attributed_declarator = sym("attributed_declarator");
    reference_declarator = sym("reference_declarator");
    compound_statement = sym("compound_statement");
    namespace_definition = sym("namespace_definition");
    template_declaration = sym("template_declaration");
    access_specifier = sym("access_specifier");
    base_class_clause = sym("base_class_clause");
    qualified_identifier = sym("qualified_identifier");
    template_function = sym("template_function");
    template_type = sym("template_type");
    template_method = sym("template_method");
    field_initializer_list = sym("field_initializer_list");
    destructor_name = sym("destructor_name");
    operator_name = sym("operator_name");
    friend_declaration = sym("friend_declaration");
    namespace_identifier = sym("namespace_identifier");
    nested_namespace_specifier = sym("nested_namespace_specifier");
    this_ = sym("this");
    using_declaration = sym("using_declaration");
    alias_declaration = sym("alias_declaration");
    string_literal = sym("string_literal");
    system_lib_string = sym("system_lib_string");
    try_statement = sym("try_statement");
    lambda_expression = sym("lambda_expression");
    virtual_specifier = sym("virtual_specifier");
  }
};

// ts_node_symbol() must not see a null node (absent optional fields are common here).
constexpr TSSymbol kNullNode = 0xFFFD;
inline TSSymbol sym_of(TSNode n) { return ts_node_is_null(n) ? kNullNode : ts_node_symbol(n); }

enum class Access : std::uint8_t { Public, Private };

struct Scope {
  std::int32_t parent = -1;  // parent for new symbols
  std::int32_t from = -1;    // source of references
  std::int32_t cls = -1;     // class whose member list we are directly in
  bool in_function = false;  // inside a body: only references are collected
  bool internal = false;     // anonymous namespace: nothing is exported
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string strip_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (!is_space(c)) out += c;
  return out;
}

class Extractor {
 public:
  Extractor(Context& ctx, const Syms& s) : ctx_(ctx), s_(s), cpp_(ctx.out.language == Language::Cpp) {}

  void run(TSNode root) {
    cursor_walk(
        root, Scope{},
        [this](TSNode n) {
          return sym_of(n) == s_.comment ? Trivia::Comment : Trivia::None;
        },
        [this](TSNode n, const Scope& sc, const TSNode* comments, std::size_t nc) { return visit(n, sc, comments, nc); });
    drop_shadowed_prototypes();
  }

 private:
  Context& ctx_;
  const Syms& s_;
  bool cpp_;
  std::string_view src() const { return ctx_.source; }

  // A declaration that wraps the node that will become the symbol (template<...>, `struct X {} x;`)
  // hands down its span start, signature start and doc.
  struct Pending {
    const void* id = nullptr;
    TSNode outer{};
    std::string doc;
  } pending_;
  std::vector<Access> access_;                              // by symbol index, for class members
  std::unordered_map<std::string, std::int32_t> by_qname_;  // types, namespaces, members (C++)
  std::unordered_map<std::string, std::int32_t> definitions_;  // free function definitions
  std::vector<std::int32_t> prototypes_;

  struct Outer {
    TSNode node;
    std::string doc;
  };
  Outer take_outer(TSNode node, const TSNode* comments, std::size_t nc) {
    if (pending_.id != nullptr && pending_.id == node.id) {
      Outer o{pending_.outer, std::move(pending_.doc)};
      pending_.id = nullptr;
      return o;
    }
    return Outer{node, nc ? doc_from_comments(comments, nc, src()) : std::string{}};
  }
  void hand_down(TSNode inner, TSNode outer, std::string doc) {
    pending_.id = inner.id;
    pending_.outer = outer;
    pending_.doc = std::move(doc);
  }

  std::string qualify(std::int32_t parent, std::string_view name) const {
    if (parent < 0 || !cpp_) return std::string(name);
    const Symbol& p = ctx_.out.symbols[static_cast<std::size_t>(parent)];
    if (p.kind == SymbolKind::File) return std::string(name);
    std::string q;
    q.reserve(p.qualified_name.size() + 2 + name.size());
    q += p.qualified_name;
    q += "::";
    q += name;
    return q;
  }

  bool has_child_of(TSNode node, TSSymbol sym, std::string_view txt) const {
    const std::uint32_t n = ts_node_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_child(node, i);
      if (sym_of(c) == sym && (txt.empty() || text(c, src()) == txt)) return true;
    }
    return false;
  }

  bool member_public(const Scope& sc) const {
    if (sc.cls < 0 || static_cast<std::size_t>(sc.cls) >= access_.size()) return true;
    return access_[static_cast<std::size_t>(sc.cls)] == Access::Public;
  }

  // Exported per the C/C++ rules: class members by access section, file/namespace scope by
  // linkage (`static`, anonymous namespace).
  bool exported_for(const Scope& sc, TSNode decl) const {
    if (sc.cls >= 0) return member_public(sc);
    if (sc.internal) return false;
    return !has_child_of(decl, s_.storage_class_specifier, "static");
  }

  std::int32_t add(SymbolKind kind, std::string_view name, std::string qname, std::int32_t parent, TSNode span_node,
                   std::string sig, std::string doc, bool exported) {
    Symbol sym;
    sym.kind = kind;
    sym.name = std::string(name);
    sym.qualified_name = std::move(qname);
    sym.parent = parent;
    sym.span = span_of(span_node);
    while (!sig.empty() && (sig.back() == ';' || sig.back() == ' ')) sig.pop_back();
    sym.signature = std::move(sig);
    sym.doc = std::move(doc);
    sym.exported = exported;
    return add_symbol(ctx_.out, std::move(sym));
  }

  // "a::b<T>::c" → "a::b::c" (template arguments dropped so definitions match declarations).
  std::string scope_path(TSNode scope) const {
    const TSSymbol t = sym_of(scope);
    if (t == s_.template_type) return std::string(text(field(scope, "name"), src()));
    if (t == s_.qualified_identifier) {
      std::string out;
      TSNode cur = scope;
      while (sym_of(cur) == s_.qualified_identifier) {
        TSNode sc = field(cur, "scope");
        if (!ts_node_is_null(sc)) {
          if (!out.empty()) out += "::";
          out += scope_path(sc);
        }
        cur = field(cur, "name");
      }
      if (!out.empty()) out += "::";
      out += sym_of(cur) == s_.template_type ? std::string(text(field(cur, "name"), src()))
                                                     : strip_spaces(text(cur, src()));
      return out;
    }
    return strip_spaces(text(scope, src()));
  }

  // Splits a declarator name into (scope path, final name node).
  std::pair<std::string, TSNode> split_name(TSNode name) const {
    std::string scope;
    while (sym_of(name) == s_.qualified_identifier) {
      TSNode sc = field(name, "scope");
      if (!ts_node_is_null(sc)) {
        if (!scope.empty()) scope += "::";
        scope += scope_path(sc);
      }
      TSNode next = field(name, "name");
      if (ts_node_is_null(next)) break;
      name = next;
    }
    return {std::move(scope), name};
  }

  std::string simple_name(TSNode name) const {
    const TSSymbol t = sym_of(name);
    if (t == s_.template_function || t == s_.template_type || t == s_.template_method)
      return std::string(text(field(name, "name"), src()));
    if (t == s_.operator_name) {
      std::string_view raw = text(name, src());
      std::string out = "operator";
      std::string_view rest = raw.substr(std::min<std::size_t>(8, raw.size()));
      while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      if (!rest.empty() && (std::isalpha(static_cast<unsigned char>(rest.front())) != 0)) out += ' ';
      out += one_line(rest);
      return out;
    }
    if (t == s_.destructor_name) return strip_spaces(text(name, src()));
    return std::string(text(name, src()));
  }

  // Unwraps pointer/reference/array/attributed declarators down to a function_declarator whose
  // own declarator is a name (a parenthesized one means a function *pointer*, not a function).
  TSNode function_declarator_of(TSNode d) const {
    for (int guard = 0; guard < 64 && !ts_node_is_null(d); ++guard) {
      const TSSymbol t = sym_of(d);
      if (t == s_.function_declarator) {
        TSNode inner = field(d, "declarator");
        const TSSymbol it = sym_of(inner);
        if (it == s_.parenthesized_declarator || it == s_.pointer_declarator) return TSNode{};
        return d;
      }
      if (t == s_.pointer_declarator || t == s_.reference_declarator || t == s_.attributed_declarator ||
          t == s_.init_declarator) {
        TSNode next = field(d, "declarator");
        d = ts_node_is_null(next) && t == s_.reference_declarator ? ts_node_named_child(d, 0) : next;
        continue;
      }
      return TSNode{};
    }
    return TSNode{};
  }

  // Variable name node under a declarator, or null for function declarators.
  TSNode variable_name_of(TSNode d) const {
    for (int guard = 0; guard < 64 && !ts_node_is_null(d); ++guard) {
      const TSSymbol t = sym_of(d);
      if (t == s_.identifier || t == s_.qualified_identifier) return d;
      if (t == s_.function_declarator) {
        // `int (*handler)(int)`: a function pointer variable.
        TSNode inner = field(d, "declarator");
        if (sym_of(inner) != s_.parenthesized_declarator) return TSNode{};
        d = inner;
        continue;
      }
      if (t == s_.pointer_declarator || t == s_.array_declarator || t == s_.attributed_declarator ||
          t == s_.init_declarator || t == s_.parenthesized_declarator) {
        TSNode next = field(d, "declarator");
        d = ts_node_is_null(next) ? ts_node_named_child(d, 0) : next;
        continue;
      }
      if (t == s_.reference_declarator) {
        d = ts_node_named_child(d, 0);
        continue;
      }
      return TSNode{};
    }
    return TSNode{};
  }

  // Defines a function or method from its function_declarator. `decl` is the whole definition or
  // declaration; `body` (may be null) ends the signature.
  std::int32_t add_function(TSNode decl, TSNode fdecl, TSNode body, const Scope& sc, const Outer& outer,
                            bool definition) {
    TSNode name_node = field(fdecl, "declarator");
    if (ts_node_is_null(name_node)) return -1;
    auto [scope, last] = split_name(name_node);
    std::string name = simple_name(last);
    if (name.empty()) return -1;
    std::int32_t parent = sc.parent;
    SymbolKind kind = sc.cls >= 0 ? SymbolKind::Method : SymbolKind::Function;
    std::string qname;
    bool exported = exported_for(sc, decl);
    if (!scope.empty()) {
      // Out-of-line member (or namespace-qualified) definition: find the class in this file.
      std::string full = qualify(sc.parent, scope);
      auto it = by_qname_.find(full);
      if (it == by_qname_.end()) it = by_qname_.find(scope);
      bool is_namespace = false;
      if (it != by_qname_.end()) {
        const Symbol& owner = ctx_.out.symbols[static_cast<std::size_t>(it->second)];
        is_namespace = owner.kind == SymbolKind::Namespace;
        parent = it->second;
        full = owner.qualified_name;
      }
      kind = is_namespace ? SymbolKind::Function : SymbolKind::Method;
      qname = full + "::" + name;
      if (auto decl_it = by_qname_.find(qname); decl_it != by_qname_.end())
        exported = ctx_.out.symbols[static_cast<std::size_t>(decl_it->second)].exported;
      else if (!is_namespace)
        exported = !sc.internal;
    } else {
      qname = qualify(sc.parent, name);
    }
    TSNode sig_end = body;
    if (!ts_node_is_null(body)) {
      // Constructor initializer lists are not part of the head.
      const std::uint32_t n = ts_node_named_child_count(decl);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode c = ts_node_named_child(decl, i);
        if (sym_of(c) == s_.field_initializer_list) {
          sig_end = c;
          break;
        }
      }
    }
    std::int32_t idx = add(kind, name, qname, parent, outer.node, signature_of(outer.node, sig_end, src()),
                           outer.doc, exported);
    if (kind == SymbolKind::Function && scope.empty()) {
      if (definition)
        definitions_.emplace(qname, idx);
      else
        prototypes_.push_back(idx);
    }
    if (cpp_ && !definition && kind == SymbolKind::Method) by_qname_.emplace(qname, idx);
    return idx;
  }

  // Preprocessor directives include their newline; end the span at the last token instead.
  static Span directive_span(TSNode node, TSNode last) {
    Span span = span_of(node);
    if (!ts_node_is_null(last)) {
      const TSPoint e = ts_node_end_point(last);
      span.end_line = e.row + 1;
      span.end_col = e.column + 1;
    }
    return span;
  }

  void add_import(TSNode node) {
    TSNode path = field(node, "path");
    if (ts_node_is_null(path)) return;
    Import imp;
    imp.system = sym_of(path) == s_.system_lib_string;
    imp.module = unquote(text(path, src()));
    imp.line = ts_node_start_point(node).row + 1;
    Symbol sym;
    sym.kind = SymbolKind::Import;
    sym.name = imp.module;
    sym.qualified_name = imp.module;
    sym.span = directive_span(node, path);
    sym.signature = one_line(text(node, src()));
    sym.exported = false;
    imp.symbol = add_symbol(ctx_.out, std::move(sym));
    ctx_.out.imports.push_back(std::move(imp));
  }

  void add_macro(TSNode node, const TSNode* comments, std::size_t nc, bool function_like) {
    TSNode name = field(node, "name");
    if (ts_node_is_null(name)) return;
    std::string sig;
    if (function_like) {
      sig = signature_of(node, field(node, "value"), src());
    } else {
      // Line continuations would otherwise leave stray backslashes in the one-line head.
      std::string_view raw = text(node, src());
      std::string joined;
      joined.reserve(std::min<std::size_t>(raw.size(), 400));
      for (std::size_t i = 0; i < raw.size() && joined.size() < 400; ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size() && (raw[i + 1] == '\n' || raw[i + 1] == '\r')) {
          joined += ' ';
          continue;
        }
        joined += raw[i];
      }
      sig = one_line(joined);
    }
    std::string_view n = text(name, src());
    TSNode last = field(node, "value");
    if (ts_node_is_null(last)) last = function_like ? field(node, "parameters") : name;
    const std::int32_t idx = add(function_like ? SymbolKind::Function : SymbolKind::Constant, n, std::string(n), -1,
                                 node, std::move(sig), nc ? doc_from_comments(comments, nc, src()) : std::string{}, true);
    ctx_.out.symbols[static_cast<std::size_t>(idx)].span = directive_span(node, last);
  }

  // struct/union/class/enum with a body. Returns the child scope.
  std::optional<Scope> visit_type(TSNode node, const Scope& sc, const TSNode* comments, std::size_t nc,
                                  TSSymbol t) {
    TSNode body = field(node, "body");
    TSNode name = field(node, "name");
    if (sc.in_function) return sc;
    if (ts_node_is_null(body)) return std::nullopt;  // a use of the type, not a definition
    Outer outer = take_outer(node, comments, nc);
    if (ts_node_is_null(name)) {
      // Anonymous: members belong to the enclosing scope; a typedef may name it (see type_definition).
      Scope child = sc;
      child.cls = -1;
      if (t == s_.enum_specifier) return std::nullopt;
      return child;
    }
    auto [scope, last] = split_name(name);
    std::string simple = simple_name(last);
    std::string qname = qualify(sc.parent, scope.empty() ? simple : scope + "::" + simple);
    SymbolKind kind = t == s_.class_specifier ? SymbolKind::Class
                      : t == s_.enum_specifier ? SymbolKind::Enum
                                               : SymbolKind::Struct;
    const bool exported = sc.cls >= 0 ? member_public(sc) : !sc.internal;
    std::int32_t idx = add(kind, simple, qname, sc.parent, outer.node, signature_of(outer.node, body, src()),
                           std::move(outer.doc), exported);
    if (cpp_) by_qname_.emplace(ctx_.out.symbols[static_cast<std::size_t>(idx)].qualified_name, idx);
    if (t == s_.enum_specifier) return std::nullopt;
    if (access_.size() <= static_cast<std::size_t>(idx)) access_.resize(static_cast<std::size_t>(idx) + 1, Access::Public);
    access_[static_cast<std::size_t>(idx)] = t == s_.class_specifier ? Access::Private : Access::Public;
    // Base classes.
    const std::uint32_t n = ts_node_named_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(node, i);
      if (sym_of(c) != s_.base_class_clause) continue;
      const std::uint32_t m = ts_node_named_child_count(c);
      for (std::uint32_t j = 0; j < m; ++j) {
        TSNode b = ts_node_named_child(c, j);
        const TSSymbol bt = sym_of(b);
        if (bt != s_.type_identifier && bt != s_.qualified_identifier && bt != s_.template_type) continue;
        auto [bscope, blast] = split_name(b);
        add_ref(RefKind::Inherit, simple_name(blast), bscope, idx, blast);
      }
    }
    return Scope{idx, idx, idx, false, sc.internal};
  }

  void add_ref(RefKind kind, std::string_view name, std::string qualifier, std::int32_t from, TSNode at) {
    add_reference(ctx_.out, kind, name, std::move(qualifier), from, at);
  }


  // `a`, `this`, `a.b`, `a->b->c`, `ns::x`: a receiver that names something; else "?".
  std::string receiver(TSNode arg) const {
    TSNode cur = arg;
    for (int guard = 0; guard < 32; ++guard) {
      const TSSymbol t = sym_of(cur);
      if (t == s_.identifier || t == s_.this_ || t == s_.field_identifier || t == s_.qualified_identifier ||
          t == s_.namespace_identifier)
        return strip_spaces(text(arg, src()));
      if (t != s_.field_expression) break;
      cur = field(cur, "argument");
    }
    return "?";
  }

  void visit_call(TSNode node, const Scope& sc) {
    TSNode fn = field(node, "function");
    const TSSymbol t = sym_of(fn);
    if (t == s_.identifier) {
      add_ref(RefKind::Call, std::string(text(fn, src())), {}, sc.from, fn);
    } else if (t == s_.field_expression) {
      TSNode f = field(fn, "field");
      auto [scope, last] = split_name(f);
      add_ref(RefKind::Call, simple_name(last), receiver(field(fn, "argument")), sc.from, last);
    } else if (t == s_.qualified_identifier) {
      auto [scope, last] = split_name(fn);
      add_ref(RefKind::Call, simple_name(last), std::move(scope), sc.from, last);
    } else if (t == s_.template_function) {
      TSNode n = field(fn, "name");
      add_ref(RefKind::Call, std::string(text(n, src())), {}, sc.from, n);
    }
  }

  std::optional<Scope> visit(TSNode node, const Scope& sc, const TSNode* comments, std::size_t nc) {
    const TSSymbol t = sym_of(node);
    if (t == s_.call_expression) {
      visit_call(node, sc);
      return sc;
    }
    if (sc.in_function) return sc;
    if (t == s_.translation_unit || t == s_.preproc_if || t == s_.preproc_ifdef || t == s_.preproc_else ||
        t == s_.preproc_elif || t == s_.preproc_elifdef || t == s_.declaration_list ||
        t == s_.linkage_specification || t == s_.field_declaration_list)
      return sc;
    if (t == s_.function_definition) {
      Outer outer = take_outer(node, comments, nc);
      TSNode fdecl = function_declarator_of(field(node, "declarator"));
      std::int32_t idx = ts_node_is_null(fdecl)
                             ? -1
                             : add_function(node, fdecl, field(node, "body"), sc, outer, true);
      Scope child = sc;
      child.cls = -1;
      child.in_function = true;
      if (idx >= 0) child.parent = child.from = idx;
      return child;
    }
    if (t == s_.declaration || t == s_.field_declaration) return visit_declaration(node, sc, comments, nc, t);
    if (t == s_.struct_specifier || t == s_.union_specifier || t == s_.enum_specifier || t == s_.class_specifier)
      return visit_type(node, sc, comments, nc, t);
    if (t == s_.type_definition) return visit_typedef(node, sc, comments, nc);
    if (t == s_.preproc_include) {
      add_import(node);
      return std::nullopt;
    }
    if (t == s_.preproc_def || t == s_.preproc_function_def) {
      if (sc.cls < 0) add_macro(node, comments, nc, t == s_.preproc_function_def);
      return std::nullopt;
    }
    if (t == s_.namespace_definition) {
      TSNode name = field(node, "name");
      Scope child = sc;
      if (ts_node_is_null(name)) {
        child.internal = true;
        return child;
      }
      Outer outer = take_outer(node, comments, nc);
      std::string path = strip_spaces(text(name, src()));
      const auto sep = path.rfind("::");
      std::string simple = sep == std::string::npos ? path : path.substr(sep + 2);
      std::string qname = qualify(sc.parent, path);
      auto it = by_qname_.find(qname);
      std::int32_t idx = -1;
      if (it != by_qname_.end() && ctx_.out.symbols[static_cast<std::size_t>(it->second)].kind == SymbolKind::Namespace) {
        idx = it->second;  // reopened namespace: one symbol, the first span
      } else {
        idx = add(SymbolKind::Namespace, simple, qname, sc.parent, outer.node,
                  signature_of(outer.node, field(node, "body"), src()), std::move(outer.doc), !sc.internal);
        by_qname_.emplace(qname, idx);
      }
      child.parent = idx;
      child.cls = -1;
      return child;
    }
    if (t == s_.template_declaration) {
      Outer outer = take_outer(node, comments, nc);
      const std::uint32_t n = ts_node_named_child_count(node);
      if (n > 0) {
        TSNode inner = ts_node_named_child(node, n - 1);
        hand_down(inner, outer.node, std::move(outer.doc));
      }
      return sc;
    }
    if (t == s_.access_specifier) {
      if (sc.cls >= 0 && static_cast<std::size_t>(sc.cls) < access_.size())
        access_[static_cast<std::size_t>(sc.cls)] = text(node, src()) == "public" ? Access::Public : Access::Private;
      return std::nullopt;
    }
    if (t == s_.friend_declaration || t == s_.using_declaration || t == s_.alias_declaration ||
        t == s_.comment || t == s_.base_class_clause)
      return std::nullopt;
    // Expressions at file scope (initializers, macro invocations) may still contain calls.
    return sc;
  }

  std::optional<Scope> visit_declaration(TSNode node, const Scope& sc, const TSNode* comments, std::size_t nc,
                                         TSSymbol t) {
    TSNode type_node = field(node, "type");
    const TSSymbol tt = sym_of(type_node);
    const bool type_has_body = (tt == s_.struct_specifier || tt == s_.union_specifier || tt == s_.enum_specifier ||
                                tt == s_.class_specifier) &&
                               !ts_node_is_null(field(type_node, "body"));
    Outer outer = take_outer(node, comments, nc);
    bool any_declarator = false;
    const std::uint32_t n = ts_node_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      const char* fname = ts_node_field_name_for_child(node, i);
      if (fname == nullptr || std::string_view(fname) != "declarator") continue;
      any_declarator = true;
      TSNode d = ts_node_child(node, i);
      TSNode fdecl = function_declarator_of(d);
      if (!ts_node_is_null(fdecl)) {
        add_function(node, fdecl, TSNode{}, sc, outer, false);
        continue;
      }
      if (t == s_.field_declaration || sc.cls >= 0) continue;  // data members are not symbols
      TSNode name = variable_name_of(d);
      if (ts_node_is_null(name)) continue;
      auto [scope, last] = split_name(name);
      std::string simple = simple_name(last);
      if (simple.empty()) continue;
      const bool is_const = has_child_of(node, s_.type_qualifier, "const") ||
                            has_child_of(node, s_.type_qualifier, "constexpr") ||
                            has_child_of(node, s_.storage_class_specifier, "constexpr");
      TSNode sig_end{};
      if (sym_of(d) == s_.init_declarator) sig_end = field(d, "value");
      std::string sig = ts_node_is_null(sig_end) ? signature_of(outer.node, TSNode{}, src())
                                                 : signature_of(outer.node, sig_end, src());
      if (type_has_body) sig = one_line(std::string(text(field(type_node, "name"), src())) + " " +
                                        std::string(text(d, src())).substr(0, 200));
      add(is_const ? SymbolKind::Constant : SymbolKind::Variable, simple,
          qualify(sc.parent, scope.empty() ? simple : scope + "::" + simple), sc.parent, outer.node, std::move(sig),
          outer.doc, exported_for(sc, node));
    }
    if (type_has_body && !any_declarator) hand_down(type_node, outer.node, std::move(outer.doc));
    return sc;
  }

  std::optional<Scope> visit_typedef(TSNode node, const Scope& sc, const TSNode* comments, std::size_t nc) {
    TSNode type_node = field(node, "type");
    const TSSymbol tt = sym_of(type_node);
    const bool named = !ts_node_is_null(field(type_node, "name"));
    Outer outer = take_outer(node, comments, nc);
    if (!sc.in_function && (tt == s_.struct_specifier || tt == s_.union_specifier || tt == s_.enum_specifier ||
                            tt == s_.class_specifier)) {
      TSNode body = field(type_node, "body");
      const std::uint32_t n = ts_node_child_count(node);
      for (std::uint32_t i = 0; i < n; ++i) {
        const char* fname = ts_node_field_name_for_child(node, i);
        if (fname == nullptr || std::string_view(fname) != "declarator") continue;
        TSNode d = ts_node_child(node, i);
        if (sym_of(d) != s_.type_identifier) continue;  // pointer typedefs are not the type
        std::string_view name = text(d, src());
        std::string sig = ts_node_is_null(body) ? signature_of(node, TSNode{}, src())
                                                : one_line(std::string(text(node, src()).substr(
                                                               0, ts_node_start_byte(body) - ts_node_start_byte(node))) +
                                                           " " + std::string(name));
        while (!sig.empty() && sig.back() == ' ') sig.pop_back();
        const bool exported = sc.cls >= 0 ? member_public(sc) : !sc.internal;
        std::int32_t idx = add(tt == s_.enum_specifier ? SymbolKind::Enum : SymbolKind::Struct, name,
                               qualify(sc.parent, name), sc.parent, node, std::move(sig), outer.doc, exported);
        if (cpp_) by_qname_.emplace(ctx_.out.symbols[static_cast<std::size_t>(idx)].qualified_name, idx);
      }
      // A named struct body still defines `struct name`; let the walker visit it with this doc.
      if (named && !ts_node_is_null(body)) hand_down(type_node, type_node, std::move(outer.doc));
    }
    return sc;
  }

  // `static int f(void);` followed by `static int f(void) {...}`: keep only the definition, and
  // let a `static` prototype make the definition internal.
  void drop_shadowed_prototypes() {
    if (prototypes_.empty() || definitions_.empty()) return;
    auto& syms = ctx_.out.symbols;
    std::vector<std::int32_t> remap(syms.size());
    bool any = false;
    std::vector<bool> drop(syms.size(), false);
    for (std::int32_t p : prototypes_) {
      auto it = definitions_.find(syms[static_cast<std::size_t>(p)].qualified_name);
      if (it == definitions_.end()) continue;
      if (!syms[static_cast<std::size_t>(p)].exported) syms[static_cast<std::size_t>(it->second)].exported = false;
      drop[static_cast<std::size_t>(p)] = true;
      any = true;
    }
    if (!any) return;
    std::int32_t next = 0;
    for (std::size_t i = 0; i < syms.size(); ++i) remap[i] = drop[i] ? -1 : next++;
    auto fix = [&](std::int32_t& idx) {
      if (idx < 0) return;
      std::int32_t m = remap[static_cast<std::size_t>(idx)];
      // Prototypes own nothing, so nothing points at a dropped one; keep -1 as a safe fallback.
      idx = m;
    };
    std::size_t w = 0;
    for (std::size_t i = 0; i < syms.size(); ++i) {
      if (drop[i]) continue;
      if (w != i) syms[w] = std::move(syms[i]);
      ++w;
    }
    syms.resize(w);
    for (Symbol& s : syms) fix(s.parent);
    for (Reference& r : ctx_.out.references) fix(r.from);
    for (Import& imp : ctx_.out.imports) fix(imp.symbol);
  }
};

const Syms& c_syms(const TSLanguage* lang) {
  static const Syms syms(lang);  // built once, on the first C file
  return syms;
}

const Syms& cpp_syms(const TSLanguage* lang) {
  static const Syms syms(lang);  // built once, on the first C++ file
  return syms;
}

}  // namespace

void extract_c_family(TSNode root, Context& ctx) {
  const TSLanguage* lang = ts_node_language(root);
  ctx.out.module_name.clear();
  const Syms& syms = ctx.out.language == Language::Cpp ? cpp_syms(lang) : c_syms(lang);
  Extractor(ctx, syms).run(root);
}

}  // namespace cci::parse::detail
