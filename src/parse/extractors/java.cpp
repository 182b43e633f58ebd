// parse/extractors/java.cpp — Java extraction.
//
// Symbols: package (Module), classes/records (Class), interfaces/annotation types (Interface),
// enums (Enum), methods and constructors (Method), `static final` fields and interface constants
// (Constant; other fields are state, not API, and are skipped), imports. Types declared inside
// method bodies (local/anonymous classes) are not symbols, but their calls are recorded.
// References: method calls, `new T()` (Call named T), extends (Inherit), implements (Implement).
// Exported = `public`, or a member of an interface.
#include <string>
#include <string_view>

#include "parse/extractors/extractors.h"

namespace cci::parse::detail {
namespace {

struct Scope {
  std::int32_t parent = -1;
  std::int32_t from = -1;
  bool in_function = false;
  bool in_interface = false;
};

class JavaExtractor {
 public:
  explicit JavaExtractor(Context& ctx) : ctx_(ctx) {}

  void run(TSNode root) {
    cursor_walk(
        root, Scope{},
        [](TSNode n) {
          const std::string_view t = type(n);
          return t == "line_comment" || t == "block_comment" ? Trivia::Comment : Trivia::None;
        },
        [this](TSNode n, const Scope& sc, const TSNode* c, std::size_t nc) { return visit(n, sc, c, nc); });
  }

 private:
  Context& ctx_;
  std::string pkg_;

  std::string_view src() const { return ctx_.source; }

  std::string qualify(std::int32_t parent, std::string_view name) const {
    std::string_view prefix = pkg_;
    if (parent >= 0) prefix = ctx_.out.symbols[static_cast<std::size_t>(parent)].qualified_name;
    if (prefix.empty()) return std::string(name);
    std::string q(prefix);
    q += '.';
    q += name;
    return q;
  }

  // Whether the declaration's `modifiers` child holds the keyword.
  static bool has_modifier(TSNode decl, std::string_view word, std::string_view src) {
    const std::uint32_t n = ts_node_named_child_count(decl);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode m = ts_node_named_child(decl, i);
      if (type(m) != "modifiers") continue;
      const std::uint32_t k = ts_node_child_count(m);
      for (std::uint32_t j = 0; j < k; ++j)
        if (text(ts_node_child(m, j), src) == word) return true;
      return false;
    }
    return false;
  }

  std::int32_t add(SymbolKind kind, std::string_view name, const Scope& sc, TSNode node, TSNode body,
                   const TSNode* c, std::size_t nc) {
    Symbol s;
    s.kind = kind;
    s.name = std::string(name);
    s.qualified_name = qualify(sc.parent, name);
    s.parent = sc.parent;
    s.span = span_of(node);
    s.signature = signature_of(node, body, src());
    while (!s.signature.empty() && s.signature.back() == ';') s.signature.pop_back();
    s.doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
    s.exported = sc.in_interface || has_modifier(node, "public", src());
    return add_symbol(ctx_.out, std::move(s));
  }

  void add_ref(RefKind kind, std::string_view name, std::string qualifier, std::int32_t from, TSNode at) {
    add_reference(ctx_.out, kind, name, std::move(qualifier), from, at);
  }


  // A type use → (qualifier, simple-name node): `a.b.Foo<T>` → ("a.b", Foo).
  std::pair<std::string, TSNode> type_name(TSNode t) const {
    for (int guard = 0; guard < 16 && !ts_node_is_null(t); ++guard) {
      const std::string_view ty = type(t);
      if (ty == "type_identifier" || ty == "identifier") return {{}, t};
      if (ty == "generic_type") {
        t = ts_node_named_child(t, 0);
        continue;
      }
      if (ty == "scoped_type_identifier") {
        const std::uint32_t n = ts_node_named_child_count(t);
        TSNode last = ts_node_named_child(t, n - 1);
        const std::uint32_t start = ts_node_start_byte(t);
        const std::uint32_t end = ts_node_start_byte(last);
        std::string qual = one_line(src().substr(start, end - start));
        while (!qual.empty() && (qual.back() == '.' || qual.back() == ' ')) qual.pop_back();
        std::string compact;
        for (char ch : qual)
          if (ch != ' ') compact += ch;
        return {compact, last};
      }
      break;
    }
    return {{}, TSNode{}};
  }

  void add_type_refs(TSNode list_holder, RefKind kind, std::int32_t from) {
    // superclass → _type; super_interfaces / extends_interfaces → type_list → _type...
    const std::uint32_t n = ts_node_named_child_count(list_holder);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(list_holder, i);
      if (type(c) == "type_list") {
        const std::uint32_t m = ts_node_named_child_count(c);
        for (std::uint32_t j = 0; j < m; ++j) {
          auto [qual, tn] = type_name(ts_node_named_child(c, j));
          if (!ts_node_is_null(tn)) add_ref(kind, text(tn, src()), std::move(qual), from, tn);
        }
      } else {
        auto [qual, tn] = type_name(c);
        if (!ts_node_is_null(tn)) add_ref(kind, text(tn, src()), std::move(qual), from, tn);
      }
    }
  }

  std::string receiver(TSNode obj) const {
    TSNode cur = obj;
    for (int guard = 0; guard < 32; ++guard) {
      const std::string_view t = type(cur);
      if (t == "identifier" || t == "this" || t == "super") {
        std::string out;
        for (char ch : text(obj, src()))
          if (ch != ' ' && ch != '\n' && ch != '\t' && ch != '\r') out += ch;
        return out;
      }
      if (t == "field_access") {
        cur = field(cur, "object");
        continue;
      }
      if (t == "scoped_identifier") {
        cur = field(cur, "scope");
        continue;
      }
      break;
    }
    return "?";
  }

  void add_import(TSNode node) {
    Import imp;
    bool wildcard = false;
    const std::uint32_t n = ts_node_named_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode c = ts_node_named_child(node, i);
      const std::string_view t = type(c);
      if (t == "identifier" || t == "scoped_identifier") imp.module = std::string(text(c, src()));
      if (t == "asterisk") wildcard = true;
    }
    if (imp.module.empty()) return;
    if (wildcard) imp.names.push_back(ImportedName{"*", {}});
    imp.line = ts_node_start_point(node).row + 1;
    Symbol s;
    s.kind = SymbolKind::Import;
    s.name = imp.module;
    s.qualified_name = imp.module;
    s.span = span_of(node);
    s.signature = one_line(text(node, src()));
    while (!s.signature.empty() && s.signature.back() == ';') s.signature.pop_back();
    s.exported = false;
    imp.symbol = add_symbol(ctx_.out, std::move(s));
    ctx_.out.imports.push_back(std::move(imp));
  }

  std::optional<Scope> visit(TSNode node, const Scope& sc, const TSNode* c, std::size_t nc) {
    const std::string_view t = type(node);
    if (t == "method_invocation") {
      TSNode name = field(node, "name");
      TSNode obj = field(node, "object");
      std::string qual;
      if (!ts_node_is_null(obj)) {
        qual = receiver(obj);
      } else if (ts_node_named_child_count(node) > 0 && type(ts_node_named_child(node, 0)) == "super") {
        qual = "super";
      }
      add_ref(RefKind::Call, text(name, src()), std::move(qual), sc.from, name);
      return sc;
    }
    if (t == "object_creation_expression") {
      auto [qual, tn] = type_name(field(node, "type"));
      if (!ts_node_is_null(tn)) add_ref(RefKind::Call, text(tn, src()), std::move(qual), sc.from, tn);
      return sc;
    }
    if (sc.in_function) return sc;
    if (t == "program" || t == "class_body" || t == "interface_body" || t == "enum_body" ||
        t == "enum_body_declarations" || t == "annotation_type_body")
      return sc;
    if (t == "package_declaration") {
      const std::uint32_t n = ts_node_named_child_count(node);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode ch = ts_node_named_child(node, i);
        if (type(ch) == "identifier" || type(ch) == "scoped_identifier") pkg_ = std::string(text(ch, src()));
      }
      ctx_.out.module_name = pkg_;
      Symbol s;
      s.kind = SymbolKind::Module;
      s.name = pkg_;
      s.qualified_name = pkg_;
      s.span = span_of(node);
      s.signature = one_line(text(node, src()));
      while (!s.signature.empty() && s.signature.back() == ';') s.signature.pop_back();
      s.doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
      add_symbol(ctx_.out, std::move(s));
      return std::nullopt;
    }
    if (t == "import_declaration") {
      add_import(node);
      return std::nullopt;
    }
    if (t == "class_declaration" || t == "record_declaration" || t == "interface_declaration" ||
        t == "enum_declaration" || t == "annotation_type_declaration") {
      TSNode name = field(node, "name");
      TSNode body = field(node, "body");
      const SymbolKind kind = t == "interface_declaration" || t == "annotation_type_declaration"
                                  ? SymbolKind::Interface
                              : t == "enum_declaration" ? SymbolKind::Enum
                                                        : SymbolKind::Class;
      const std::int32_t idx = add(kind, text(name, src()), sc, node, body, c, nc);
      const std::uint32_t n = ts_node_named_child_count(node);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode ch = ts_node_named_child(node, i);
        const std::string_view ct = type(ch);
        if (ct == "superclass" || ct == "extends_interfaces")
          add_type_refs(ch, RefKind::Inherit, idx);
        else if (ct == "super_interfaces")
          add_type_refs(ch, RefKind::Implement, idx);
      }
      Scope child{idx, idx, false, kind == SymbolKind::Interface};
      return child;
    }
    if (t == "method_declaration" || t == "constructor_declaration" || t == "compact_constructor_declaration") {
      TSNode name = field(node, "name");
      const std::int32_t idx = add(SymbolKind::Method, text(name, src()), sc, node, field(node, "body"), c, nc);
      return Scope{idx, idx, true, false};
    }
    if (t == "field_declaration" || t == "constant_declaration") {
      const bool constant = t == "constant_declaration" || sc.in_interface ||
                            (has_modifier(node, "static", src()) && has_modifier(node, "final", src()));
      if (!constant) return Scope{sc.parent, sc.from, true, false};  // initializer calls only
      const std::uint32_t n = ts_node_named_child_count(node);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode d = ts_node_named_child(node, i);
        if (type(d) != "variable_declarator") continue;
        TSNode name = field(d, "name");
        Symbol s;
        s.kind = SymbolKind::Constant;
        s.name = std::string(text(name, src()));
        s.qualified_name = qualify(sc.parent, s.name);
        s.parent = sc.parent;
        s.span = span_of(node);
        // `static final int A = 1, B = 2;` → "static final int B": the head up to the type, then the name.
        s.signature = signature_of(node, d, src()) + " " + s.name;
        s.doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
        s.exported = sc.in_interface || has_modifier(node, "public", src());
        add_symbol(ctx_.out, std::move(s));
      }
      return Scope{sc.parent, sc.from, true, false};
    }
    if (t == "static_initializer" || t == "block") return Scope{sc.parent, sc.from, true, false};
    return sc;
  }
};

}  // namespace

void extract_java(TSNode root, Context& ctx) { JavaExtractor(ctx).run(root); }

}  // namespace cci::parse::detail
