// parse/extractors/python.cpp — symbols, references and imports of a Python module.
//
// Definitions: classes, functions (module level, and nested in functions with the enclosing
// function as parent, never exported), methods (defs directly in a class body, also under
// if/try there), module-level assignments (UPPER_CASE → Constant, else Variable; under top-level
// if/try/with too, first binding of a name only) and one Import symbol per imported module.
// References: calls (decorators count as calls from the decorated definition) and base classes.
// A call's qualifier is the receiver when it is a dotted path of identifiers ("self", "os.path"),
// "super" for super().m(), and "?" for any other receiver (a call result, a subscript, ...).
#include <string>
#include <string_view>
#include <unordered_set>

#include "parse/extractors/extractors.h"
#include "parse/extractors/py_js_walk.h"

namespace cci::parse::detail {
namespace {

enum class Region : std::uint8_t { Module, Class, Function };

struct Scope {
  std::int32_t sym = -1;  // enclosing symbol, -1 = the file
  Region region = Region::Module;
  TSNode emitted{};       // a definition already emitted by its decorated_definition parent
};

std::string module_name_of(std::string_view path) {
  for (std::string_view ext : {".pyi", ".py"}) {
    if (path.ends_with(ext)) {
      path.remove_suffix(ext.size());
      break;
    }
  }
  std::string mod(path);
  for (char& c : mod)
    if (c == '/' || c == '\\') c = '.';
  if (mod == "__init__") return {};
  if (mod.ends_with(".__init__")) mod.resize(mod.size() - 9);
  return mod;
}

bool is_constant_name(std::string_view name) {
  bool upper = false;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') return false;
    upper = upper || (c >= 'A' && c <= 'Z');
  }
  return upper;
}

bool is_public_name(std::string_view name) {
  return !name.starts_with('_') || (name.size() > 4 && name.starts_with("__") && name.ends_with("__"));
}

// identifier or attribute chain of identifiers ("os.path").
bool is_dotted_path(TSNode node) {
  for (;;) {
    const std::string_view t = type(node);
    if (t == "identifier") return true;
    if (t != "attribute" || type(field(node, "attribute")) != "identifier") return false;
    node = field(node, "object");
  }
}

// The docstring of a module/class/function body: inspect.cleandoc of its first statement when
// that is a string literal.
std::string docstring(TSNode body, std::string_view src) {
  const std::uint32_t n = ts_node_named_child_count(body);
  TSNode first{};
  for (std::uint32_t i = 0; i < n; ++i) {
    TSNode child = ts_node_named_child(body, i);
    if (type(child) != "comment") {
      first = child;
      break;
    }
  }
  if (type(first) != "expression_statement" || ts_node_named_child_count(first) != 1) return {};
  TSNode lit = ts_node_named_child(first, 0);
  if (type(lit) == "concatenated_string") lit = ts_node_named_child(lit, 0);
  if (type(lit) != "string") return {};
  const std::string raw = unquote(text(lit, src));
  // Dedent: the first line is taken as is, the others lose their common indentation.
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos <= raw.size();) {
    std::size_t nl = raw.find('\n', pos);
    if (nl == std::string::npos) nl = raw.size();
    std::string_view line(raw.data() + pos, nl - pos);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    lines.push_back(line);
    pos = nl + 1;
  }
  std::size_t indent = std::string::npos;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::size_t lead = lines[i].find_first_not_of(" \t");
    if (lead != std::string_view::npos) indent = std::min(indent, lead);
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view& line = lines[i];
    line.remove_prefix(std::min(line.size(), i == 0 ? line.find_first_not_of(" \t") : indent));
  }
  std::size_t begin = 0, last = lines.size();
  while (begin < last && lines[begin].empty()) ++begin;
  while (last > begin && lines[last - 1].empty()) --last;
  std::string doc;
  for (std::size_t i = begin; i < last && doc.size() <= 2000; ++i) {
    if (i > begin) doc += '\n';
    doc += lines[i];
  }
  if (doc.size() > 2000) doc.resize(2000);
  while (!doc.empty() && (static_cast<unsigned char>(doc.back()) & 0xC0) == 0x80) doc.pop_back();
  return doc;
}

class PythonExtractor {
 public:
  explicit PythonExtractor(Context& ctx) : src_(ctx.source), out_(ctx.out) {}

  void run(TSNode root) {
    out_.module_name = module_name_of(out_.path);
    out_.symbols[0].doc = docstring(root, src_);
    walker_.run(root, Scope{}, [this](TSNode node, const Scope& scope, const Leading& leading) {
      return visit(node, scope, leading);
    });
  }

 private:
  std::optional<Scope> visit(TSNode node, const Scope& scope, const Leading& leading) {
    const std::string_view t = type(node);
    if (t == "decorated_definition") {
      TSNode def = field(node, "definition");
      if (ts_node_is_null(def)) return scope;
      Scope inner = define(def, node, scope, leading);
      inner.emitted = def;
      return inner;
    }
    if (t == "class_definition" || t == "function_definition") {
      if (ts_node_eq(node, scope.emitted)) return Scope{scope.sym, scope.region, TSNode{}};
      return define(node, node, scope, leading);
    }
    if (t == "decorator") {
      // `@name` / `@a.b` are calls of the decorator; `@a.b(x)` is a call node handled below.
      TSNode expr = ts_node_named_child(node, 0);
      const std::string_view et = type(expr);
      if (et == "identifier" || et == "attribute") add_call(expr, scope.sym);
      return scope;
    }
    if (t == "call") {
      add_call(field(node, "function"), scope.sym);
      return scope;
    }
    if (t == "expression_statement") {
      if (scope.region == Region::Module) {
        TSNode child = ts_node_named_child(node, 0);
        if (type(child) == "assignment") add_assignment(node, child, scope, leading);
      }
      return scope;
    }
    if (t == "import_statement" || t == "import_from_statement" || t == "future_import_statement") {
      add_import(node, scope);
      return std::nullopt;
    }
    return scope;
  }

  std::string qualify(std::int32_t parent, std::string_view name) const {
    const std::string& prefix =
        parent >= 0 ? out_.symbols[static_cast<std::size_t>(parent)].qualified_name : out_.module_name;
    if (prefix.empty()) return std::string(name);
    std::string q;
    q.reserve(prefix.size() + 1 + name.size());
    q += prefix;
    q += '.';
    q += name;
    return q;
  }

  // The definition up to its last part before the body ("def f(a) -> int", "class A(B)"): a
  // comment between the ':' and the body must not leak into the signature.
  std::string head_of(TSNode def, bool is_class) const {
    static constexpr const char* kClassParts[] = {"superclasses", "type_parameters", "name"};
    static constexpr const char* kFunctionParts[] = {"return_type", "parameters", "name"};
    TSNode last{};
    for (const char* part : is_class ? kClassParts : kFunctionParts) {
      last = field(def, part);
      if (!ts_node_is_null(last)) break;
    }
    if (ts_node_is_null(last)) return signature_of(def, field(def, "body"), src_);
    const std::uint32_t start = ts_node_start_byte(def);
    return one_line(src_.substr(start, ts_node_end_byte(last) - start));
  }

  // The statement's text without the comments inside it (parenthesised import lists).
  std::string text_without_comments(TSNode node, std::size_t max) const {
    std::string raw;
    std::uint32_t at = ts_node_start_byte(node);
    const std::uint32_t n = ts_node_named_child_count(node);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode child = ts_node_named_child(node, i);
      if (type(child) != "comment") continue;
      raw += src_.substr(at, ts_node_start_byte(child) - at);
      at = ts_node_end_byte(child);
    }
    raw += src_.substr(at, ts_node_end_byte(node) - at);
    return one_line(raw, max);
  }

  std::string doc_for(TSNode body, const Leading& leading) const {
    std::string doc = docstring(body, src_);
    if (doc.empty() && !leading.comments.empty())
      doc = doc_from_comments(leading.comments.data(), leading.comments.size(), src_);
    return doc;
  }

  // Emits the class/function `def` (wrapped by `outer` when decorated); returns its children's scope.
  Scope define(TSNode def, TSNode outer, const Scope& scope, const Leading& leading) {
    const bool is_class = type(def) == "class_definition";
    const std::string_view name = text(field(def, "name"), src_);
    if (name.empty()) return scope;  // broken definition: keep walking its contents in place
    TSNode body = field(def, "body");
    Symbol sym;
    sym.kind = is_class ? SymbolKind::Class : scope.region == Region::Class ? SymbolKind::Method : SymbolKind::Function;
    sym.name = std::string(name);
    sym.qualified_name = qualify(scope.sym, name);
    sym.parent = scope.sym;
    sym.span = span_of(outer);
    sym.signature = head_of(def, is_class);
    sym.doc = doc_for(body, leading);
    sym.exported = scope.region != Region::Function && is_public_name(name);
    const std::int32_t index = add_symbol(out_, std::move(sym));
    if (is_class) add_bases(field(def, "superclasses"), index);
    return Scope{index, is_class ? Region::Class : Region::Function, TSNode{}};
  }

  void add_bases(TSNode args, std::int32_t from) {
    if (ts_node_is_null(args)) return;
    const std::uint32_t n = ts_node_named_child_count(args);
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode base = ts_node_named_child(args, i);
      if (type(base) == "subscript") base = field(base, "value");  // Generic[T] → Generic
      if (!is_dotted_path(base)) continue;                        // keyword args, calls, splats
      add_ref(RefKind::Inherit, base, from);
    }
  }

  // A reference to the last identifier of `target` (identifier or attribute).
  void add_ref(RefKind kind, TSNode target, std::int32_t from) {
    Reference ref;
    ref.kind = kind;
    TSNode name_node = target;
    if (type(target) == "attribute") {
      name_node = field(target, "attribute");
      TSNode object = field(target, "object");
      if (is_dotted_path(object)) {
        ref.qualifier = std::string(text(object, src_));
      } else if (type(object) == "call" && text(field(object, "function"), src_) == "super") {
        ref.qualifier = "super";
      } else {
        ref.qualifier = "?";
      }
    }
    ref.name = std::string(text(name_node, src_));
    if (ref.name.empty()) return;
    if (kind == RefKind::Inherit && ref.qualifier.empty() && ref.name == "object") return;
    const TSPoint at = ts_node_start_point(name_node);
    ref.from = from;
    ref.line = at.row + 1;
    ref.col = at.column + 1;
    out_.references.push_back(std::move(ref));
  }

  void add_call(TSNode function, std::int32_t from) {
    const std::string_view t = type(function);
    if (t == "identifier") {
      // super() only matters as the receiver of super().m(), recorded there as the qualifier.
      if (text(function, src_) != "super") add_ref(RefKind::Call, function, from);
    } else if (t == "attribute") {
      add_ref(RefKind::Call, function, from);
    }
  }

  void add_assignment(TSNode statement, TSNode assignment, const Scope& scope, const Leading& leading) {
    // `a = b = 1` binds both; `a, b = ...` binds each plain name of the pattern.
    for (TSNode node = assignment; type(node) == "assignment"; node = field(node, "right")) {
      TSNode left = field(node, "left");
      const std::string_view lt = type(left);
      if (lt == "identifier") {
        add_variable(left, statement, assignment, scope, leading);
      } else if (lt == "pattern_list" || lt == "tuple_pattern") {
        const std::uint32_t n = ts_node_named_child_count(left);
        for (std::uint32_t i = 0; i < n; ++i) {
          TSNode item = ts_node_named_child(left, i);
          if (type(item) == "identifier") add_variable(item, statement, assignment, scope, leading);
        }
      }
    }
  }

  void add_variable(TSNode name_node, TSNode statement, TSNode assignment, const Scope& scope, const Leading& leading) {
    const std::string_view name = text(name_node, src_);
    if (name.empty() || !module_names_.insert(name).second) return;  // rebinding: keep the first
    Symbol sym;
    sym.kind = is_constant_name(name) ? SymbolKind::Constant : SymbolKind::Variable;
    sym.name = std::string(name);
    sym.qualified_name = qualify(scope.sym, name);
    sym.parent = scope.sym;
    sym.span = span_of(statement);
    sym.signature = one_line(text(assignment, src_), 120);
    if (!leading.comments.empty()) sym.doc = doc_from_comments(leading.comments.data(), leading.comments.size(), src_);
    sym.exported = is_public_name(name);
    add_symbol(out_, std::move(sym));
  }

  void add_import(TSNode statement, const Scope& scope) {
    const std::string_view t = type(statement);
    const std::uint32_t line = ts_node_start_point(statement).row + 1;
    auto emit = [&](std::string module, std::string alias, std::vector<ImportedName> names) {
      Symbol sym;
      sym.kind = SymbolKind::Import;
      sym.name = module;
      sym.qualified_name = module;
      sym.parent = scope.sym;
      sym.span = span_of(statement);
      sym.signature = text_without_comments(statement, 200);
      sym.exported = false;  // an import binds a name locally; it defines nothing
      Import imp;
      imp.module = std::move(module);
      imp.alias = std::move(alias);
      imp.names = std::move(names);
      imp.symbol = add_symbol(out_, std::move(sym));
      imp.line = line;
      out_.imports.push_back(std::move(imp));
    };
    auto name_of = [&](TSNode item) -> ImportedName {
      if (type(item) == "aliased_import")
        return ImportedName{std::string(text(field(item, "name"), src_)), std::string(text(field(item, "alias"), src_))};
      if (type(item) == "wildcard_import") return ImportedName{"*", {}};
      return ImportedName{std::string(text(item, src_)), {}};
    };
    auto is_name = [](TSNode item) {
      const std::string_view it = type(item);
      return it == "dotted_name" || it == "aliased_import" || it == "wildcard_import";
    };

    const std::uint32_t n = ts_node_named_child_count(statement);
    if (t == "import_statement") {
      // `import a, b.c as d`: each module is its own binding.
      for (std::uint32_t i = 0; i < n; ++i) {
        TSNode item = ts_node_named_child(statement, i);
        if (!is_name(item)) continue;
        ImportedName bound = name_of(item);
        emit(std::move(bound.name), std::move(bound.alias), {});
      }
      return;
    }
    TSNode module_node = field(statement, "module_name");
    std::string module = t == "future_import_statement" ? "__future__" : std::string(text(module_node, src_));
    if (module.empty()) return;
    std::vector<ImportedName> names;
    for (std::uint32_t i = 0; i < n; ++i) {
      TSNode item = ts_node_named_child(statement, i);
      if (is_name(item) && !ts_node_eq(item, module_node)) names.push_back(name_of(item));
    }
    emit(std::move(module), {}, std::move(names));
  }

  std::string_view src_;
  ParsedFile& out_;
  SyntaxWalker<Scope> walker_;
  std::unordered_set<std::string_view> module_names_;  // module-level variables already bound
};

}  // namespace

void extract_python(TSNode root, Context& ctx) { PythonExtractor(ctx).run(root); }

}  // namespace cci::parse::detail
