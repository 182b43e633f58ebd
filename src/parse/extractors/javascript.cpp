// parse/extractors/javascript.cpp — symbols, references and imports of JavaScript (with JSX),
// TypeScript and TSX files; the three grammars share node names for everything used here.
//
// Definitions: classes (also `const X = class ...`), methods (incl. constructor, accessors,
// static, abstract, and arrow-function class fields), functions (declarations anywhere, with
// nested ones parented to the enclosing function; module-level `const f = () => ...`), module-
// level variables (`const` with an UPPER_CASE name or exported → Constant, else Variable),
// TypeScript interfaces and their method signatures, enums, namespaces/modules (Module), and type
// aliases, recorded as Interface because the model has no kind for them and an alias names a type
// the way an interface does. Import symbols stand for import statements, `export ... from`
// re-exports, `require('m')` and `import('m')`.
// References: calls and `new`, decorators, JSX elements naming a component (capitalised, so a
// component use counts as a call of it), `extends` (Inherit) and `implements` (Implement).
// A call's qualifier is the receiver when it is a dotted path of identifiers/this/super, "?" for
// any other receiver; `super(...)` is recorded as a call of "constructor" qualified by "super".
#include <string>
#include <utility>
#include <string_view>
#include <unordered_set>

#include "parse/extractors/extractors.h"
#include "parse/extractors/py_js_walk.h"

namespace cci::parse::detail {
namespace {

enum class Region : std::uint8_t { Module, Class, Interface, Function };

struct Scope {
  std::int32_t sym = -1;  // enclosing symbol, -1 = the file
  Region region = Region::Module;
  bool ambient = false;   // inside `declare ...`: everything there describes an existing API
  bool recovering = false;  // direct child of an ERROR node
  TSNode emitted{};       // a declaration already emitted by its parent (export, variable)
};

std::string module_name_of(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  const std::size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  for (std::string_view ext : {".d.ts", ".d.mts", ".d.cts"}) {
    if (path.ends_with(ext)) return std::string(path.substr(0, path.size() - ext.size()));
  }
  const std::size_t dot = path.rfind('.');
  if (dot != std::string_view::npos && dot > base) path = path.substr(0, dot);
  return std::string(path);
}

bool is_constant_name(std::string_view name) {
  bool upper = false;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') return false;
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  return upper;
}

bool is_function_value(TSNode value) {
  const std::string_view t = type(value);
  return t == "arrow_function" || t == "function_expression" || t == "function" || t == "generator_function";
}

TSNode first_named_child_of_type(TSNode node, std::string_view wanted) {
  const std::uint32_t n = ts_node_named_child_count(node);
  for (std::uint32_t i = 0; i < n; ++i) {
    TSNode child = ts_node_named_child(node, i);
    if (type(child) == wanted) return child;
  }
  return TSNode{};
}

class JavaScriptExtractor {
 public:
  explicit JavaScriptExtractor(Context& ctx) : src_(ctx.source), out_(ctx.out) {}

  void run(TSNode root) {
    out_.module_name = module_name_of(out_.path);
    walker_.run(root, Scope{}, [this](TSNode node, const Scope& scope, const Leading& leading) {
      return visit(node, scope, leading);
    });
    // `export { a, b as c }` and `export default a` publish declarations made elsewhere in the file.
    if (!exported_names_.empty()) {
      for (Symbol& sym : out_.symbols)
        if (sym.parent == -1 && sym.kind != SymbolKind::Import && sym.kind != SymbolKind::File &&
            exported_names_.contains(sym.name))
          sym.exported = true;
    }
  }

 private:
  std::optional<Scope> visit(TSNode node, Scope scope, const Leading& leading) {
    if (ts_node_eq(node, scope.emitted)) return Scope{scope.sym, scope.region, scope.ambient, false, TSNode{}};
    const std::string_view t = type(node);
    const bool recovering = std::exchange(scope.recovering, false);
    if (t == "ERROR") {
      scope.recovering = true;
      return scope;
    }
    if (recovering && t == "function_expression" && scope.region == Region::Module &&
        !ts_node_is_null(field(node, "name"))) {
      // A declaration the parser could only recover as an expression (after a syntax error).
      const std::int32_t index = add(SymbolKind::Function, text(field(node, "name"), src_), span_of(node),
                                     signature(node, field(node, "body")), leading, scope, false);
      return Scope{index, Region::Function, scope.ambient, false, TSNode{}};
    }
    if (t == "export_statement") return visit_export(node, scope, leading);
    if (auto defined = define(node, node, scope, leading, false)) return defined->child;
    if (t == "call_expression") {
      visit_call(node, scope);
      return scope;
    }
    if (t == "new_expression") {
      add_ref(RefKind::Call, field(node, "constructor"), scope.sym);
      return scope;
    }
    if (t == "decorator") {
      // `@name` / `@a.b` apply the decorator; `@a.b(x)` is a call expression handled above.
      TSNode expr = ts_node_named_child(node, 0);
      const std::string_view et = type(expr);
      if (et == "identifier" || et == "member_expression") add_ref(RefKind::Call, expr, scope.sym);
      return scope;
    }
    if (t == "jsx_opening_element" || t == "jsx_self_closing_element") {
      TSNode name = field(node, "name");
      const std::string_view jsx = text(name, src_);
      if (!jsx.empty() && ((jsx.front() >= 'A' && jsx.front() <= 'Z') || jsx.find('.') != std::string_view::npos))
        add_ref(RefKind::Call, name, scope.sym);
      return scope;
    }
    if (t == "import_statement") {
      add_import_statement(node, scope);
      return std::nullopt;
    }
    if (t == "ambient_declaration") return Scope{scope.sym, scope.region, true, false, TSNode{}};  // declare global
    if (t == "type_annotation" || t == "type_arguments" || t == "type_parameters") return std::nullopt;
    return scope;
  }

  struct Defined {
    std::int32_t index;            // the new symbol, -1 when the node defined nothing
    std::optional<Scope> child;    // scope for the node's children
  };

  // Emits the symbol declared by `node` (wrapped by `outer`: an export statement, or node itself).
  // nullopt when `node` is not a declaration.
  std::optional<Defined> define(TSNode node, TSNode outer, const Scope& scope, const Leading& leading, bool exported) {
    const std::string_view t = type(node);
    const bool top = scope.region == Region::Module;
    const bool visible = exported || scope.ambient;
    if (t == "class_declaration" || t == "abstract_class_declaration") {
      return define_class(node, outer, text(field(node, "name"), src_), scope, leading, top && visible);
    }
    if (t == "function_declaration" || t == "generator_function_declaration" ||
        (t == "function_signature" && scope.ambient)) {
      if (scope.region == Region::Class || scope.region == Region::Interface) return std::nullopt;
      const std::int32_t index =
          add(SymbolKind::Function, text(field(node, "name"), src_), span_of(outer),
              signature(outer, field(node, "body")), leading, scope, top && visible);
      return Defined{index, Scope{index, Region::Function, scope.ambient, false, TSNode{}}};
    }
    if (t == "function_signature") return Defined{-1, std::nullopt};  // an overload: the implementation follows
    if (t == "method_definition" || t == "abstract_method_signature" ||
        (t == "method_signature" && scope.region == Region::Interface)) {
      if (scope.region != Region::Class && scope.region != Region::Interface) return std::nullopt;  // object literal
      return define_method(node, field(node, "body"), scope, leading);
    }
    if (t == "method_signature") return Defined{-1, std::nullopt};  // a class overload
    if ((t == "public_field_definition" || t == "field_definition") && scope.region == Region::Class) {
      TSNode value = field(node, "value");
      if (!is_function_value(value)) return std::nullopt;  // plain field: its initializer runs in the class
      Defined method = define_method(node, field(value, "body"), scope, leading);
      return method;
    }
    if (t == "interface_declaration") {
      const std::int32_t index = add(SymbolKind::Interface, text(field(node, "name"), src_), span_of(outer),
                                     signature(outer, field(node, "body")), leading, scope, top && visible);
      if (TSNode ext = first_named_child_of_type(node, "extends_type_clause"); !ts_node_is_null(ext))
        add_type_refs(RefKind::Inherit, ext, index);
      return Defined{index, Scope{index, Region::Interface, scope.ambient, false, TSNode{}}};
    }
    if (t == "type_alias_declaration" || t == "enum_declaration") {
      const SymbolKind kind = t == "enum_declaration" ? SymbolKind::Enum : SymbolKind::Interface;
      const std::uint32_t start = signature_start(outer);
      const std::int32_t index = add(kind, text(field(node, "name"), src_), span_of(outer),
                                     kind == SymbolKind::Enum ? signature(outer, field(node, "body"))
                                                              : one_line(src_.substr(start, ts_node_end_byte(node) - start), 120),
                                     leading, scope, top && visible);
      while (kind == SymbolKind::Interface && !out_.symbols.back().signature.empty() &&
             out_.symbols.back().signature.back() == ';')
        out_.symbols.back().signature.pop_back();
      return Defined{index, std::nullopt};  // type-level only: no calls inside
    }
    if (t == "internal_module" || t == "module") {
      TSNode name = field(node, "name");
      const std::string module = type(name) == "string" ? unquote(text(name, src_)) : std::string(text(name, src_));
      const bool ambient = scope.ambient || type(name) == "string";
      const std::int32_t index = add(SymbolKind::Module, module, span_of(outer),
                                     signature(outer, field(node, "body")), leading, scope, top && (visible || ambient));
      return Defined{index, Scope{index, top ? Region::Module : scope.region, ambient, false, TSNode{}}};
    }
    if (t == "ambient_declaration") {
      // `declare function f(): void;` — the declaration inside, spanning from `declare`.
      TSNode inner = ts_node_named_child(node, 0);
      Scope ambient = scope;
      ambient.ambient = true;
      auto defined = define(inner, outer, ambient, leading, exported);
      if (defined && defined->child) defined->child->emitted = inner;
      return defined;
    }
    if (t == "lexical_declaration" || t == "variable_declaration") {
      if (!top) return std::nullopt;
      define_variables(node, outer, scope, leading, exported);
      return Defined{-1, std::nullopt};
    }
    return std::nullopt;
  }

  std::optional<Scope> visit_export(TSNode node, const Scope& scope, const Leading& leading) {
    TSNode source = field(node, "source");
    if (!ts_node_is_null(source)) {
      add_reexport(node, source, scope);
      return std::nullopt;
    }
    if (TSNode decl = field(node, "declaration"); !ts_node_is_null(decl)) {
      auto defined = define(decl, node, scope, leading, true);
      if (!defined) return scope;
      if (!defined->child) return std::nullopt;
      Scope child = *defined->child;
      child.emitted = decl;  // the export's decorators apply to the declaration
      return child;
    }
    TSNode value = field(node, "value");
    const std::string_view vt = type(value);
    if (vt == "identifier") {
      exported_names_.insert(text(value, src_));
      return std::nullopt;
    }
    if (vt == "class") {
      TSNode name = field(value, "name");
      auto defined = define_class(value, node, ts_node_is_null(name) ? "default" : text(name, src_), scope, leading, true);
      Scope child = *defined.child;
      child.emitted = value;
      return child;
    }
    if (is_function_value(value)) {
      TSNode name = field(value, "name");
      const std::int32_t index = add(SymbolKind::Function, ts_node_is_null(name) ? "default" : text(name, src_),
                                     span_of(node), signature(node, field(value, "body")), leading, scope, true);
      return Scope{index, Region::Function, scope.ambient, false, value};
    }
    if (TSNode clause = first_named_child_of_type(node, "export_clause"); !ts_node_is_null(clause)) {
      const std::uint32_t n = ts_node_named_child_count(clause);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode spec = ts_node_named_child(clause, i);
        if (type(spec) == "export_specifier") exported_names_.insert(text(field(spec, "name"), src_));
      }
      return std::nullopt;
    }
    return scope;  // `export default <expression>`: walk it for calls
  }

  Defined define_class(TSNode node, TSNode outer, std::string_view name, const Scope& scope, const Leading& leading,
                       bool exported) {
    TSNode body = field(node, "body");
    const std::int32_t index =
        add(SymbolKind::Class, name, span_of(outer), signature(outer, body), leading, scope, exported);
    if (TSNode heritage = first_named_child_of_type(node, "class_heritage"); !ts_node_is_null(heritage)) {
      const std::uint32_t n = ts_node_named_child_count(heritage);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode clause = ts_node_named_child(heritage, i);
        const std::string_view ct = type(clause);
        if (ct == "extends_clause") {
          add_type_ref(RefKind::Inherit, field(clause, "value"), index);
        } else if (ct == "implements_clause") {
          add_type_refs(RefKind::Implement, clause, index);
        } else if (ct != "comment") {
          add_type_ref(RefKind::Inherit, clause, index);  // JavaScript: the superclass expression itself
        }
      }
    }
    return Defined{index, Scope{index, Region::Class, scope.ambient, false, TSNode{}}};
  }

  Defined define_method(TSNode node, TSNode body, const Scope& scope, const Leading& leading) {
    TSNode name_node = field(node, "name");
    if (ts_node_is_null(name_node)) name_node = field(node, "property");  // JavaScript field_definition
    std::string name =
        type(name_node) == "string" ? unquote(text(name_node, src_)) : std::string(text(name_node, src_));
    TSNode access = first_named_child_of_type(node, "accessibility_modifier");
    const bool is_private = name.starts_with('#') || text(access, src_) == "private";
    Span span = span_of(node);
    if (!leading.decorators.empty()) {
      const Span first = span_of(leading.decorators.front());
      span.start_line = first.start_line;
      span.start_col = first.start_col;
    }
    const std::int32_t index =
        add(SymbolKind::Method, name, span, signature(node, body), leading, scope, !is_private);
    // TypeScript puts a member's decorators before it in the class body; they belong to it.
    for (auto it = leading.decorators.rbegin(); it != leading.decorators.rend(); ++it)
      walker_.push(*it, Scope{index, Region::Function, scope.ambient, false, TSNode{}});
    return Defined{index, Scope{index, Region::Function, scope.ambient, false, TSNode{}}};
  }

  void define_variables(TSNode decl, TSNode outer, const Scope& scope, const Leading& leading, bool exported) {
    const bool is_const = text(field(decl, "kind"), src_) == "const";
    std::uint32_t declarators = 0;
    const std::uint32_t n = ts_node_named_child_count(decl);
    for (std::uint32_t i = 0; i < n; ++i) declarators += type(ts_node_named_child(decl, i)) == "variable_declarator";
    const bool visible = exported || scope.ambient;
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode d = ts_node_named_child(decl, i);
      if (type(d) != "variable_declarator") continue;
      TSNode name = field(d, "name");
      TSNode value = field(d, "value");
      // One declarator: the whole statement is the definition; several: each declarator is.
      TSNode extent = declarators == 1 ? outer : d;
      const Span span = span_of(extent);
      const std::uint32_t start = declarators == 1 ? signature_start(outer) : ts_node_start_byte(d);
      if (is_require(value)) {
        add_import(unquote(text(ts_node_named_child(field(value, "arguments"), 0), src_)),
                   type(name) == "identifier" ? std::string(text(name, src_)) : std::string(),
                   type(name) == "object_pattern" ? pattern_names(name) : std::vector<ImportedName>{}, extent, scope,
                   false);
        continue;
      }
      if (type(name) != "identifier") {
        if (!ts_node_is_null(value)) walker_.push(value, scope);
        continue;
      }
      const std::string_view var = text(name, src_);
      if (is_function_value(value)) {
        const std::int32_t index = add(SymbolKind::Function, var, span,
                                       signature_between(start, ts_node_start_byte(field(value, "body"))),
                                       leading, scope, visible);
        walker_.push(value, Scope{index, Region::Function, scope.ambient, false, TSNode{}});
      } else if (type(value) == "class") {
        auto defined = define_class(value, extent, var, scope, leading, visible);
        Scope child = *defined.child;
        child.emitted = value;
        walker_.push(value, child);
      } else {
        const SymbolKind kind = is_const && (is_constant_name(var) || visible) ? SymbolKind::Constant : SymbolKind::Variable;
        std::string sig = one_line(src_.substr(start, ts_node_end_byte(d) - start), 120);
        add(kind, var, span, std::move(sig), leading, scope, visible);
        if (!ts_node_is_null(value)) walker_.push(value, scope);
      }
    }
  }

  bool is_require(TSNode value) const {
    if (type(value) != "call_expression" || text(field(value, "function"), src_) != "require") return false;
    TSNode args = field(value, "arguments");
    return ts_node_named_child_count(args) == 1 && type(ts_node_named_child(args, 0)) == "string";
  }

  std::vector<ImportedName> pattern_names(TSNode pattern) const {
    std::vector<ImportedName> names;
    const std::uint32_t n = ts_node_named_child_count(pattern);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode item = ts_node_named_child(pattern, i);
      if (type(item) == "shorthand_property_identifier_pattern") {
        names.push_back(ImportedName{std::string(text(item, src_)), {}});
      } else if (type(item) == "pair_pattern") {
        names.push_back(ImportedName{std::string(text(field(item, "key"), src_)), std::string(text(field(item, "value"), src_))});
      }
    }
    return names;
  }

  void visit_call(TSNode call, const Scope& scope) {
    TSNode fn = field(call, "function");
    const std::string_view ft = type(fn);
    TSNode args = field(call, "arguments");
    if (ft == "import" || is_require(call)) {
      // Dynamic import('m') / require('m') outside a declaration: an import without a binding.
      TSNode arg = ts_node_named_child(args, 0);
      if (type(arg) == "string") add_import(unquote(text(arg, src_)), {}, {}, call, scope, false);
      return;
    }
    if (ft == "super") {
      Reference ref{RefKind::Call, "constructor", "super", scope.sym, ts_node_start_point(fn).row + 1,
                    ts_node_start_point(fn).column + 1};
      out_.references.push_back(std::move(ref));
      return;
    }
    add_ref(RefKind::Call, fn, scope.sym);
  }

  // identifier / this / super, or a member/nested-identifier chain of them: "this.items", "React".
  bool is_dotted_path(TSNode node) const {
    for (;;) {
      const std::string_view t = type(node);
      if (t == "identifier" || t == "this" || t == "super" || t == "type_identifier") return true;
      if (t == "member_expression") {
        if (type(field(node, "property")) != "property_identifier") return false;
        node = field(node, "object");
      } else if (t == "nested_identifier" || t == "nested_type_identifier") {
        node = ts_node_named_child(node, 0);
      } else {
        return false;
      }
    }
  }

  // A reference to the last name of `target`: identifier, member expression, type name.
  void add_ref(RefKind kind, TSNode target, std::int32_t from) {
    const std::string_view t = type(target);
    TSNode name_node = target;
    TSNode object{};
    if (t == "member_expression") {
      name_node = field(target, "property");
      object = field(target, "object");
    } else if (t == "nested_identifier" || t == "nested_type_identifier") {
      const std::uint32_t n = ts_node_named_child_count(target);
      name_node = ts_node_named_child(target, n - 1);
      object = ts_node_named_child(target, 0);
    } else if (t != "identifier" && t != "type_identifier" && t != "property_identifier") {
      return;  // calls of calls, subscripts, parenthesised functions: no name to record
    }
    Reference ref;
    ref.kind = kind;
    ref.name = std::string(text(name_node, src_));
    if (ref.name.empty()) return;
    if (!ts_node_is_null(object)) {
      if (is_dotted_path(object)) {
        ref.qualifier = std::string(text(object, src_));
        // `a?.b` and line-broken chains: keep only the names and dots.
        std::erase_if(ref.qualifier, [](char c) { return c == '?' || c == ' ' || c == '\n' || c == '\t' || c == '\r'; });
      } else {
        ref.qualifier.push_back('?');  // not `= "?"`: GCC 12 -Wrestrict false positive
      }
    }
    const TSPoint at = ts_node_start_point(name_node);
    ref.from = from;
    ref.line = at.row + 1;
    ref.col = at.column + 1;
    out_.references.push_back(std::move(ref));
  }

  void add_type_ref(RefKind kind, TSNode type_node, std::int32_t from) {
    if (type(type_node) == "generic_type") type_node = field(type_node, "name");  // Base<T> → Base
    add_ref(kind, type_node, from);
  }

  void add_type_refs(RefKind kind, TSNode clause, std::int32_t from) {
    const std::uint32_t n = ts_node_named_child_count(clause);
    for (std::uint32_t i = 0; i < n; ++i) add_type_ref(kind, ts_node_named_child(clause, i), from);
  }

  void add_import_statement(TSNode node, const Scope& scope) {
    TSNode source = field(node, "source");
    std::string alias;
    std::vector<ImportedName> names;
    const std::uint32_t n = ts_node_named_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode child = ts_node_named_child(node, i);
      const std::string_view ct = type(child);
      if (ct == "import_require_clause") {  // TypeScript `import x = require('m')`
        alias = std::string(text(ts_node_named_child(child, 0), src_));
        source = field(child, "source");
      }
      if (ct != "import_clause") continue;
      const std::uint32_t m = ts_node_named_child_count(child);
      for (std::uint32_t j = 0; j < m; ++j) {
        TSNode part = ts_node_named_child(child, j);
        const std::string_view pt = type(part);
        if (pt == "identifier") {
          names.push_back(ImportedName{"default", std::string(text(part, src_))});
        } else if (pt == "namespace_import") {
          alias = std::string(text(ts_node_named_child(part, 0), src_));
          names.push_back(ImportedName{"*", {}});
        } else if (pt == "named_imports") {
          const std::uint32_t k = ts_node_named_child_count(part);
          for (std::uint32_t s = 0; s < k; ++s) {
            TSNode spec = ts_node_named_child(part, s);
            if (type(spec) != "import_specifier") continue;
            TSNode name = field(spec, "name");
            names.push_back(ImportedName{type(name) == "string" ? unquote(text(name, src_)) : std::string(text(name, src_)),
                                         std::string(text(field(spec, "alias"), src_))});
          }
        }
      }
    }
    if (ts_node_is_null(source)) return;
    add_import(unquote(text(source, src_)), std::move(alias), std::move(names), node, scope, false);
  }

  void add_reexport(TSNode node, TSNode source, const Scope& scope) {
    std::string alias;
    std::vector<ImportedName> names;
    if (TSNode clause = first_named_child_of_type(node, "export_clause"); !ts_node_is_null(clause)) {
      const std::uint32_t n = ts_node_named_child_count(clause);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode spec = ts_node_named_child(clause, i);
        if (type(spec) == "export_specifier")
          names.push_back(ImportedName{unquote(text(field(spec, "name"), src_)), unquote(text(field(spec, "alias"), src_))});
      }
    } else {
      // `export * from 'm'` / `export * as ns from 'm'`
      if (TSNode ns = first_named_child_of_type(node, "namespace_export"); !ts_node_is_null(ns))
        alias = unquote(text(ts_node_named_child(ns, 0), src_));
      names.push_back(ImportedName{"*", {}});
    }
    add_import(unquote(text(source, src_)), std::move(alias), std::move(names), node, scope, true);
  }

  void add_import(std::string module, std::string alias, std::vector<ImportedName> names, TSNode node,
                  const Scope& scope, bool reexport) {
    if (module.empty()) return;
    Symbol sym;
    sym.kind = SymbolKind::Import;
    sym.name = module;
    sym.qualified_name = module;
    sym.parent = scope.sym;
    sym.span = span_of(node);
    sym.signature = one_line(text(node, src_), 200);
    while (!sym.signature.empty() && sym.signature.back() == ';') sym.signature.pop_back();
    sym.exported = reexport;  // an import binds a name locally; a re-export publishes it
    Import imp;
    imp.module = std::move(module);
    imp.alias = std::move(alias);
    imp.names = std::move(names);
    imp.symbol = add_symbol(out_, std::move(sym));
    imp.line = ts_node_start_point(node).row + 1;
    out_.imports.push_back(std::move(imp));
  }

  std::int32_t add(SymbolKind kind, std::string_view name, Span span, std::string sig,
                   const Leading& leading, const Scope& scope, bool exported) {
    Symbol sym;
    sym.kind = kind;
    sym.name = name.empty() ? std::string("<anonymous>") : std::string(name);
    const std::string& prefix =
        scope.sym >= 0 ? out_.symbols[static_cast<std::size_t>(scope.sym)].qualified_name : out_.module_name;
    sym.qualified_name = prefix.empty() ? sym.name : prefix + "." + sym.name;
    sym.parent = scope.sym;
    sym.span = span;
    sym.signature = std::move(sig);
    if (!leading.comments.empty()) sym.doc = doc_from_comments(leading.comments.data(), leading.comments.size(), src_);
    sym.exported = exported;
    return add_symbol(out_, std::move(sym));
  }

  // Where a declaration's head starts: after its decorators (which are not part of the signature).
  std::uint32_t signature_start(TSNode node) const {
    const std::uint32_t n = ts_node_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode child = ts_node_child(node, i);
      const std::string_view t = type(child);
      if (t != "decorator" && t != "comment") return ts_node_start_byte(child);
    }
    return ts_node_start_byte(node);
  }

  std::string signature(TSNode decl, TSNode body) const {
    return signature_between(signature_start(decl), ts_node_is_null(body) ? ts_node_end_byte(decl) : ts_node_start_byte(body));
  }

  // Same normalisation as signature_of(), over a byte range.
  std::string signature_between(std::uint32_t start, std::uint32_t end) const {
    end = std::min<std::uint32_t>(end, static_cast<std::uint32_t>(src_.size()));
    if (end <= start) return {};
    std::string sig = one_line(src_.substr(start, end - start));
    while (!sig.empty() && (sig.back() == '{' || sig.back() == ';' || sig.back() == ' ' || sig.back() == '='))
      sig.pop_back();
    return sig;
  }

  std::string_view src_;
  ParsedFile& out_;
  SyntaxWalker<Scope> walker_;
  std::unordered_set<std::string_view> exported_names_;
};

}  // namespace

void extract_javascript(TSNode root, Context& ctx) { JavaScriptExtractor(ctx).run(root); }

}  // namespace cci::parse::detail
