// parse/extractors/go.cpp — Go extraction.
//
// Symbols: package (Module), funcs (Function), methods (Method, parent = the receiver's type when
// it is declared in this file, qualified "pkg.Type.Method" either way), struct types (Struct),
// interface types (Interface, with their methods as Method children), other named types and
// aliases (Class: Go has no separate kind for `type ID int`), top-level const (Constant) and var
// (Variable), imports. References: calls, and embedded struct fields / embedded interfaces as
// Inherit. Exported = the name starts with an upper-case letter.
#include <string>
#include <string_view>
#include <unordered_map>

#include "parse/extractors/extractors.h"

namespace cci::parse::detail {
namespace {

struct Scope {
  std::int32_t parent = -1;
  std::int32_t from = -1;
  bool in_function = false;
};

bool go_exported(std::string_view name) { return !name.empty() && name.front() >= 'A' && name.front() <= 'Z'; }

class GoExtractor {
 public:
  explicit GoExtractor(Context& ctx) : ctx_(ctx) {}

  void run(TSNode root) {
    cursor_walk(
        root, Scope{}, [](TSNode n) { return type(n) == "comment" ? Trivia::Comment : Trivia::None; },
        [this](TSNode n, const Scope& sc, const TSNode* c, std::size_t nc) { return visit(n, sc, c, nc); });
    // Methods may precede their receiver type's declaration.
    for (auto& [method, receiver] : pending_methods_) {
      auto it = types_.find(receiver);
      if (it != types_.end()) ctx_.out.symbols[static_cast<std::size_t>(method)].parent = it->second;
    }
  }

 private:
  Context& ctx_;
  std::string pkg_;
  std::string group_doc_;  // doc of the enclosing type/const/var declaration
  TSNode group_node_{};    // that declaration, when it holds a single spec: the span starts at the keyword
  std::unordered_map<std::string, std::int32_t> types_;
  std::vector<std::pair<std::int32_t, std::string>> pending_methods_;

  std::string_view src() const { return ctx_.source; }

  std::string qualify(std::string_view name) const {
    return pkg_.empty() ? std::string(name) : pkg_ + "." + std::string(name);
  }

  std::int32_t add(SymbolKind kind, std::string_view name, std::string qname, std::int32_t parent, TSNode node,
                   std::string sig, std::string doc) {
    Symbol s;
    s.kind = kind;
    s.name = std::string(name);
    s.qualified_name = std::move(qname);
    s.parent = parent;
    s.span = span_of(node);
    s.signature = std::move(sig);
    s.doc = std::move(doc);
    s.exported = go_exported(name);
    return add_symbol(ctx_.out, std::move(s));
  }

  void add_ref(RefKind kind, std::string_view name, std::string qualifier, std::int32_t from, TSNode at) {
    add_reference(ctx_.out, kind, name, std::move(qualifier), from, at);
  }


  TSNode span_node(TSNode spec) const {
    return !ts_node_is_null(group_node_) && ts_node_named_child(group_node_, 0).id == spec.id ? group_node_ : spec;
  }

  std::string doc_of(const TSNode* c, std::size_t nc) const {
    return nc ? doc_from_comments(c, nc, src()) : group_doc_;
  }

  void add_import_spec(TSNode spec) {
    TSNode path = field(spec, "path");
    if (ts_node_is_null(path)) return;
    Import imp;
    imp.module = unquote(text(path, src()));
    imp.alias = std::string(text(field(spec, "name"), src()));
    imp.line = ts_node_start_point(spec).row + 1;
    Symbol s;
    s.kind = SymbolKind::Import;
    s.name = imp.module;
    s.qualified_name = imp.module;
    s.span = span_of(spec);
    s.signature = one_line(text(spec, src()));
    s.exported = false;
    imp.symbol = add_symbol(ctx_.out, std::move(s));
    ctx_.out.imports.push_back(std::move(imp));
  }

  // The named type inside a receiver or embedded field: `*pkg.T[K]` → ("pkg", "T", node of T).
  std::pair<std::string_view, TSNode> type_name(TSNode t) const {
    for (int guard = 0; guard < 16 && !ts_node_is_null(t); ++guard) {
      const std::string_view ty = type(t);
      if (ty == "type_identifier") return {{}, t};
      if (ty == "qualified_type") return {text(field(t, "package"), src()), field(t, "name")};
      if (ty == "generic_type") {
        t = field(t, "type");
      } else if (ty == "pointer_type" || ty == "parameter_declaration" || ty == "type_elem") {
        TSNode next = field(t, "type");
        t = ts_node_is_null(next) ? ts_node_named_child(t, 0) : next;
      } else {
        break;
      }
    }
    return {{}, TSNode{}};
  }

  // `a`, `a.b.c` name something; any other receiver expression is "?".
  std::string receiver(TSNode operand) const {
    TSNode cur = operand;
    for (int guard = 0; guard < 32; ++guard) {
      const std::string_view t = type(cur);
      if (t == "identifier" || t == "field_identifier" || t == "package_identifier")
        return std::string(text(operand, src()));
      if (t != "selector_expression") break;
      cur = field(cur, "operand");
    }
    return "?";
  }

  void visit_type_spec(TSNode spec, const Scope& sc, const TSNode* c, std::size_t nc) {
    TSNode name_node = field(spec, "name");
    TSNode ty = field(spec, "type");
    if (ts_node_is_null(name_node)) return;
    const std::string_view name = text(name_node, src());
    const std::string_view tt = type(ty);
    SymbolKind kind = tt == "struct_type" ? SymbolKind::Struct
                      : tt == "interface_type" ? SymbolKind::Interface
                                               : SymbolKind::Class;
    std::string sig = "type " + std::string(text(name_node, src()));
    TSNode tparams = field(spec, "type_parameters");
    if (!ts_node_is_null(tparams)) sig += one_line(text(tparams, src()));
    if (type(spec) == "type_alias") sig += " =";
    if (kind == SymbolKind::Struct)
      sig += " struct";
    else if (kind == SymbolKind::Interface)
      sig += " interface";
    else
      sig += " " + one_line(text(ty, src()), 120);
    const std::int32_t idx = add(kind, name, qualify(name), sc.parent, span_node(spec), std::move(sig), doc_of(c, nc));
    types_.emplace(std::string(name), idx);
    if (kind == SymbolKind::Struct) {
      TSNode list = ts_node_named_child(ty, 0);
      const std::uint32_t n = ts_node_named_child_count(list);
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode f = ts_node_named_child(list, i);
        if (type(f) != "field_declaration" || !ts_node_is_null(field(f, "name"))) continue;
        auto [qual, tn] = type_name(field(f, "type"));
        if (!ts_node_is_null(tn)) add_ref(RefKind::Inherit, text(tn, src()), std::string(qual), idx, tn);
      }
    } else if (kind == SymbolKind::Interface) {
      const std::uint32_t n = ts_node_named_child_count(ty);
      TSNode prev{};
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode m = ts_node_named_child(ty, i);
        const std::string_view mt = type(m);
        if (mt == "method_elem" || mt == "method_spec") {
          TSNode mn = field(m, "name");
          std::string doc;
          if (!ts_node_is_null(prev) && type(prev) == "comment" &&
              ts_node_end_point(prev).row + 1 >= ts_node_start_point(m).row)
            doc = doc_from_comments(&prev, 1, src());
          const std::string_view mname = text(mn, src());
          add(SymbolKind::Method, mname, qualify(std::string(name) + "." + std::string(mname)), idx, m,
              one_line(text(m, src())), std::move(doc));
        } else if (mt == "type_elem") {
          auto [qual, tn] = type_name(m);
          if (!ts_node_is_null(tn)) add_ref(RefKind::Inherit, text(tn, src()), std::string(qual), idx, tn);
        }
        prev = m;
      }
    }
  }

  void visit_value_spec(TSNode spec, const Scope& sc, const TSNode* c, std::size_t nc, bool is_const) {
    const std::uint32_t n = ts_node_child_count(spec);
    for (std::uint32_t i = 0; i < n; ++i) {
      const char* fname = ts_node_field_name_for_child(spec, i);
      if (fname == nullptr || std::string_view(fname) != "name") continue;
      TSNode name_node = ts_node_child(spec, i);
      if (type(name_node) != "identifier") continue;
      const std::string_view name = text(name_node, src());
      if (name == "_") continue;
      std::string sig = std::string(is_const ? "const " : "var ") + one_line(text(spec, src()), 120);
      add(is_const ? SymbolKind::Constant : SymbolKind::Variable, name, qualify(name), sc.parent, span_node(spec),
          std::move(sig), doc_of(c, nc));
    }
  }

  std::optional<Scope> visit(TSNode node, const Scope& sc, const TSNode* c, std::size_t nc) {
    const std::string_view t = type(node);
    if (t == "call_expression") {
      TSNode fn = field(node, "function");
      const std::string_view ft = type(fn);
      if (ft == "identifier") {
        add_ref(RefKind::Call, text(fn, src()), {}, sc.from, fn);
      } else if (ft == "selector_expression") {
        TSNode f = field(fn, "field");
        add_ref(RefKind::Call, text(f, src()), receiver(field(fn, "operand")), sc.from, f);
      }
      return sc;
    }
    if (sc.in_function) return sc;
    if (t == "source_file") return sc;
    if (t == "package_clause") {
      TSNode name = ts_node_named_child(node, 0);
      pkg_ = std::string(text(name, src()));
      ctx_.out.module_name = pkg_;
      Symbol s;
      s.kind = SymbolKind::Module;
      s.name = pkg_;
      s.qualified_name = pkg_;
      s.span = span_of(node);
      s.signature = one_line(text(node, src()));
      s.doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
      add_symbol(ctx_.out, std::move(s));
      return std::nullopt;
    }
    if (t == "import_declaration" || t == "import_spec_list") return sc;
    if (t == "import_spec") {
      add_import_spec(node);
      return std::nullopt;
    }
    if (t == "function_declaration" || t == "method_declaration") {
      TSNode name_node = field(node, "name");
      const std::string_view name = text(name_node, src());
      if (name.empty()) return sc;
      std::string doc = nc ? doc_from_comments(c, nc, src()) : std::string{};
      std::string sig = signature_of(node, field(node, "body"), src());
      std::int32_t idx = -1;
      if (t == "method_declaration") {
        TSNode recv = field(node, "receiver");
        TSNode param = ts_node_named_child(recv, 0);
        auto [qual, tn] = type_name(param);
        const std::string_view recv_type = text(tn, src());
        idx = add(SymbolKind::Method, name,
                  qualify(recv_type.empty() ? std::string(name) : std::string(recv_type) + "." + std::string(name)),
                  -1, node, std::move(sig), std::move(doc));
        if (!recv_type.empty()) pending_methods_.emplace_back(idx, std::string(recv_type));
      } else {
        idx = add(SymbolKind::Function, name, qualify(name), -1, node, std::move(sig), std::move(doc));
      }
      return Scope{idx, idx, true};
    }
    if (t == "type_declaration" || t == "const_declaration" || t == "var_declaration") {
      group_doc_ = nc ? doc_from_comments(c, nc, src()) : std::string{};
      TSNode only = ts_node_named_child(node, 0);
      const std::string_view ot = type(only);
      const bool single = ts_node_named_child_count(node) == 1 && ot != "var_spec_list" && ot != "comment";
      group_node_ = single ? node : TSNode{};
      return sc;
    }
    if (t == "var_spec_list") return sc;
    if (t == "type_spec" || t == "type_alias") {
      visit_type_spec(node, sc, c, nc);
      return std::nullopt;  // struct tags and method signatures hold no calls
    }
    if (t == "const_spec" || t == "var_spec") {
      visit_value_spec(node, sc, c, nc, t == "const_spec");
      return sc;  // initializers may call functions
    }
    return sc;
  }
};

}  // namespace

void extract_go(TSNode root, Context& ctx) { GoExtractor(ctx).run(root); }

}  // namespace cci::parse::detail
