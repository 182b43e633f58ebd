// graph/resolver.cpp — cross-file resolution: imports to files, references to definitions.
//
// Every step accepts a target only when it is unique after folding overloads and
// declaration/definition pairs; an ambiguous step falls through to the next, and whatever is
// left is kept as an Unresolved edge carrying the name as written. See docs/ranking.md.
#include "graph/resolver.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace cci::graph::detail {
namespace {

using Cands = std::vector<std::uint32_t>;

enum class Want : std::uint8_t { Call, Type };

// What a local name means in one file, as established by its imports.
struct Binding {
  std::vector<std::uint32_t> files;    // module/package files the name refers to
  std::vector<std::uint32_t> symbols;  // definitions bound directly (Java class import, Rust use of an item)
  std::string member;                  // the name imported from `files`; empty when the name is the module
  bool external = false;               // bound to something outside the project: never guess past it
};

struct FileBindings {
  std::unordered_map<std::string, Binding> names;
  std::vector<std::uint32_t> wildcard_files;  // from m import *, Java pkg.*, Go dot import, C includes
};

bool has_suffix_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; });
}

// Declarations that stand in for a definition elsewhere: C/C++ headers and TypeScript .d.ts files.
bool is_declaration_file(std::string_view path) {
  for (std::string_view ext : {".h", ".hh", ".hpp", ".hxx", ".h++", ".inl", ".d.ts"}) {
    if (has_suffix_ci(path, ext)) return true;
  }
  return false;
}

// Resolves "a/./b/../c" to "a/c"; returns nullopt when it climbs above the project root.
std::optional<std::string> normalize_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (part == "..") {
      if (parts.empty()) return std::nullopt;
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  std::string out;
  for (std::string_view p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

std::string join_path(std::string_view dir, std::string_view rel) {
  if (dir.empty()) return std::string(rel);
  std::string out(dir);
  out += '/';
  out += rel;
  return out;
}

std::string_view strip_last_segment(std::string_view dotted, std::string_view sep) {
  const auto pos = dotted.rfind(sep);
  return pos == std::string_view::npos ? std::string_view{} : dotted.substr(0, pos);
}

std::string_view last_after(std::string_view text, std::string_view sep) {
  const auto pos = text.rfind(sep);
  return pos == std::string_view::npos ? text : text.substr(pos + sep.size());
}

bool is_identifier_path(std::string_view q) {
  if (q.empty()) return false;
  for (char c : q) {
    const auto u = static_cast<unsigned char>(c);
    if (!(std::isalnum(u) || c == '_' || c == '$' || c == '.' || c == ':' || u >= 0x80)) return false;
  }
  return true;
}

bool is_self_qualifier(std::string_view q) {
  return q == "self" || q == "this" || q == "cls" || q == "Self" || q == "this()" || q == "self()";
}
bool is_super_qualifier(std::string_view q) { return q == "super" || q == "super()" || q == "base"; }

void sort_unique(Cands& c) {
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
}

class Resolver {
 public:
  explicit Resolver(const ProjectIndex& ix) : ix_(ix), bindings_(ix.files().size()) {
    decl_file_.reserve(ix.files().size());
    for (const FileRec& f : ix.files()) decl_file_.push_back(is_declaration_file(f.parsed->path));
  }

  std::vector<RawEdge> run(const std::vector<bool>* focus) {
    const auto nfiles = static_cast<std::uint32_t>(ix_.files().size());
    auto wanted = [&](std::uint32_t f) { return focus == nullptr || (*focus)[f]; };
    for (std::uint32_t f = 0; f < nfiles; ++f)
      if (wanted(f)) emit_contains(f);
    // Every file's imports and bases, focus or not: member calls walk the inheritance edges found
    // here, and bases are resolved through their own file's imports.
    for (std::uint32_t f = 0; f < nfiles; ++f) resolve_imports(f);
    for (std::uint32_t f = 0; f < nfiles; ++f) resolve_type_refs(f);
    for (std::uint32_t f = 0; f < nfiles; ++f)
      if (wanted(f)) resolve_calls(f);
    return std::move(edges_);
  }

 private:
  // ---- candidate filtering -------------------------------------------------------------------

  bool compatible(std::uint32_t g, Want want, bool bound) const {
    const SymbolKind k = ix_.kind(g);
    if (want == Want::Type) return is_type_kind(k);
    if (is_callable_kind(k) || is_type_kind(k)) return true;
    // A name explicitly bound in scope may hold a callable value (JS `const f = () => ...`).
    return bound && (k == SymbolKind::Variable || k == SymbolKind::Constant);
  }

  bool nested_in_callable(std::uint32_t g) const {
    const std::uint32_t p = ix_.parent(g);
    return p != kNone && is_callable_kind(ix_.kind(p));
  }

  // Folds candidates that are one entity seen several times: an overload set (same file, kind and
  // qualified name) or a header declaration plus its single definition. Arity is unknown, so an
  // overload set binds to its first declaration.
  Cands collapse(Cands c) const {
    sort_unique(c);
    if (c.size() <= 1) return c;
    const Symbol& first = ix_.symbol(c[0]);
    const bool same_name = std::all_of(c.begin(), c.end(), [&](std::uint32_t g) {
      return ix_.symbol(g).qualified_name == first.qualified_name && ix_.family(g) == ix_.family(c[0]);
    });
    if (!same_name) return c;
    Cands defs;
    for (std::uint32_t g : c) {
      if (!decl_file_[ix_.file_of(g)]) defs.push_back(g);
    }
    const Cands& pool = defs.empty() ? c : defs;
    const std::uint32_t file = ix_.file_of(pool[0]);
    const bool one_file = std::all_of(pool.begin(), pool.end(), [&](std::uint32_t g) { return ix_.file_of(g) == file; });
    if (one_file) return {pool[0]};
    return c;
  }

  static std::optional<std::uint32_t> unique(const Cands& c) {
    if (c.size() == 1) return c[0];
    return std::nullopt;
  }

  // Definitions named `name` exposed at the top level of `files`.
  Cands top_level_named(std::span<const std::uint32_t> files, std::string_view name, Want want,
                        bool allow_methods) const {
    Cands out;
    for (std::uint32_t f : files) {
      for (std::uint32_t g : ix_.named_in_file(name, f)) {
        if (!ix_.is_top_level(g) || !compatible(g, want, true)) continue;
        if (!allow_methods && ix_.kind(g) == SymbolKind::Method) continue;
        out.push_back(g);
      }
    }
    return collapse(std::move(out));
  }

  // ---- structure -----------------------------------------------------------------------------

  void emit_contains(std::uint32_t f) {
    const FileRec& fr = ix_.file(f);
    for (std::uint32_t g = fr.base + 1; g < fr.end; ++g) {
      edges_.push_back(RawEdge{.source = ix_.parent(g), .target = g, .kind = EdgeKind::Contains,
                               .resolution = Resolution::Structural});
    }
  }

  // ---- imports -------------------------------------------------------------------------------

  void bind(std::uint32_t f, const std::string& local, Binding b) {
    if (local.empty()) return;
    auto [it, inserted] = bindings_[f].names.try_emplace(local, std::move(b));
    if (inserted) return;
    // Re-imports of one name (try/except fallbacks, conditional includes): a resolved binding wins.
    Binding& cur = it->second;
    if (cur.external && !b.external) cur = std::move(b);
  }

  void emit_import(std::uint32_t f, const Import& imp, Cands targets) {
    const std::uint32_t src = ix_.file(f).base;
    sort_unique(targets);
    const bool found_any = !targets.empty();
    targets.erase(std::remove(targets.begin(), targets.end(), f), targets.end());
    if (targets.empty() && found_any) return;  // the file itself (a package __init__ importing `.`)
    if (targets.empty()) {
      edges_.push_back(RawEdge{.source = src, .kind = EdgeKind::Imports, .resolution = Resolution::Unresolved,
                               .line = imp.line, .target_name = imp.module});
      return;
    }
    for (std::uint32_t t : targets) {
      edges_.push_back(RawEdge{.source = src, .target = ix_.file(t).base, .kind = EdgeKind::Imports,
                               .resolution = Resolution::Import, .line = imp.line, .target_name = imp.module});
    }
  }

  void resolve_imports(std::uint32_t f) {
    const FileRec& fr = ix_.file(f);
    for (const Import& imp : fr.parsed->imports) {
      switch (fr.family) {
        case Family::Python: import_python(f, imp); break;
        case Family::Js: import_js(f, imp); break;
        case Family::Java: import_java(f, imp); break;
        case Family::Go: import_go(f, imp); break;
        case Family::Rust: import_rust(f, imp); break;
        case Family::CFamily: import_c(f, imp); break;
        case Family::Other: emit_import(f, imp, {}); break;
      }
    }
  }

  // -- Python

  // The absolute dotted module an import names, resolving leading dots against the file's package.
  std::optional<std::string> python_absolute(std::uint32_t f, std::string_view module) const {
    std::size_t dots = 0;
    while (dots < module.size() && module[dots] == '.') ++dots;
    if (dots == 0) return std::string(module);
    const FileRec& fr = ix_.file(f);
    std::string_view pkg = fr.module;
    if (fr.basename != "__init__.py" && fr.basename != "__init__.pyi") pkg = strip_last_segment(pkg, ".");
    for (std::size_t i = 1; i < dots; ++i) {
      if (pkg.empty()) return std::nullopt;
      pkg = strip_last_segment(pkg, ".");
    }
    std::string out(pkg);
    const std::string_view rest = module.substr(dots);
    if (!rest.empty()) {
      if (!out.empty()) out += '.';
      out += rest;
    }
    return out;
  }

  Cands python_module_files(std::string_view absolute) const {
    if (absolute.empty()) return {};
    auto exact = ix_.files_in_module(Family::Python, absolute);
    if (!exact.empty()) return {exact.begin(), exact.end()};
    // Source roots ("src/pkg/mod.py" importable as "pkg.mod"): accept a module whose name ends in the
    // import when the extra prefix is not itself a package, and only if exactly one file matches.
    const auto segs = split_segments(absolute);
    if (segs.empty()) return {};
    Cands found;
    for (std::uint32_t cand : ix_.files_with_module_tail(Family::Python, segs.back())) {
      const std::string& m = ix_.file(cand).module;
      if (m.size() <= absolute.size() || !m.ends_with(absolute) || m[m.size() - absolute.size() - 1] != '.') continue;
      const std::string_view prefix = std::string_view(m).substr(0, m.size() - absolute.size() - 1);
      if (!ix_.files_in_module(Family::Python, prefix).empty()) continue;
      found.push_back(cand);
    }
    return found.size() == 1 ? found : Cands{};
  }

  void import_python(std::uint32_t f, const Import& imp) {
    const bool relative = imp.module.starts_with('.');
    const auto absolute = python_absolute(f, imp.module);
    const Cands base = absolute ? python_module_files(*absolute) : Cands{};
    Cands targets = base;
    const bool external = base.empty() && !relative;
    if (imp.names.empty()) {
      bind(f, imp.alias.empty() ? imp.module : imp.alias, Binding{.files = base, .external = external});
      if (imp.alias.empty() && !relative) {
        // `import a.b` also binds `a`.
        const auto segs = split_segments(imp.module);
        if (segs.size() > 1) {
          Cands top = python_module_files(segs[0]);
          const bool top_external = top.empty();
          bind(f, std::string(segs[0]), Binding{.files = std::move(top), .external = top_external});
        }
      }
    }
    for (const ImportedName& n : imp.names) {
      if (n.name == "*") {
        bindings_[f].wildcard_files.insert(bindings_[f].wildcard_files.end(), base.begin(), base.end());
        continue;
      }
      const std::string& local = n.alias.empty() ? n.name : n.alias;
      Cands sub;
      if (absolute) sub = python_module_files(absolute->empty() ? n.name : *absolute + "." + n.name);
      if (!sub.empty()) {
        targets.insert(targets.end(), sub.begin(), sub.end());
        bind(f, local, Binding{.files = std::move(sub)});
      } else {
        bind(f, local, Binding{.files = base, .member = n.name, .external = external});
      }
    }
    emit_import(f, imp, std::move(targets));
  }

  // -- JavaScript / TypeScript

  Cands js_module_files(std::uint32_t f, std::string_view spec) const {
    if (!spec.starts_with("./") && !spec.starts_with("../") && spec != "." && spec != "..") return {};
    const auto joined = normalize_path(join_path(ix_.file(f).dir, spec));
    if (!joined) return {};
    std::string base = *joined;
    static constexpr std::string_view kExts[] = {".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".d.ts"};
    auto try_path = [&](const std::string& p) { return ix_.file_by_path(p); };
    std::vector<std::string> attempts;
    attempts.push_back(base);
    for (std::string_view e : kExts) attempts.push_back(base + std::string(e));
    for (std::string_view e : kExts) attempts.push_back(join_path(base, "index") + std::string(e));
    // TS ESM code imports "./x.js" while the source is x.ts.
    for (std::string_view e : {".js", ".jsx", ".mjs", ".cjs"}) {
      if (base.ends_with(e)) {
        const std::string stem = base.substr(0, base.size() - e.size());
        for (std::string_view t : {".ts", ".tsx", ".mts", ".cts"}) attempts.push_back(stem + std::string(t));
      }
    }
    for (const std::string& p : attempts) {
      const std::uint32_t hit = try_path(p);
      if (hit != kNone) return {hit};
    }
    return {};
  }

  void import_js(std::uint32_t f, const Import& imp) {
    const Cands files = js_module_files(f, imp.module);
    const bool relative = imp.module.starts_with('.');
    const bool external = files.empty() && !relative;
    if (!imp.alias.empty()) bind(f, imp.alias, Binding{.files = files, .external = external});
    for (const ImportedName& n : imp.names) {
      if (n.name == "*") {
        if (imp.alias.empty()) {
          bindings_[f].wildcard_files.insert(bindings_[f].wildcard_files.end(), files.begin(), files.end());
        }
        continue;
      }
      const std::string& local = n.alias.empty() ? n.name : n.alias;
      // A default import is looked up by its local name (the usual `export default function Name`).
      const std::string member = n.name == "default" ? std::string() : n.name;
      bind(f, local, Binding{.files = files, .member = member, .external = external});
    }
    emit_import(f, imp, files);
  }

  // -- Java

  Cands java_types(std::string_view qname) const {
    Cands out;
    for (std::uint32_t g : ix_.qualified(qname)) {
      if (ix_.family(g) == Family::Java) out.push_back(g);
    }
    return collapse(std::move(out));
  }

  void import_java(std::uint32_t f, const Import& imp) {
    std::string_view mod = imp.module;
    Cands targets;
    if (mod.ends_with(".*")) {
      mod.remove_suffix(2);
      auto pkg = ix_.files_in_module(Family::Java, mod);
      Cands files(pkg.begin(), pkg.end());
      if (files.empty()) {
        // `import static a.B.*`: the members of one class.
        for (std::uint32_t g : java_types(mod)) files.push_back(ix_.file_of(g));
      }
      auto& wild = bindings_[f].wildcard_files;
      wild.insert(wild.end(), files.begin(), files.end());
      emit_import(f, imp, std::move(files));
      return;
    }
    const Cands syms = java_types(mod);
    const std::string local = imp.alias.empty() ? std::string(last_after(mod, ".")) : imp.alias;
    if (!syms.empty()) {
      for (std::uint32_t g : syms) targets.push_back(ix_.file_of(g));
      bind(f, local, Binding{.symbols = syms});
    } else {
      bind(f, local, Binding{.external = true});
    }
    for (const ImportedName& n : imp.names) {
      const Cands named_syms = java_types(std::string(mod) + "." + n.name);
      for (std::uint32_t g : named_syms) targets.push_back(ix_.file_of(g));
      bind(f, n.alias.empty() ? n.name : n.alias, Binding{.symbols = named_syms, .external = named_syms.empty()});
    }
    emit_import(f, imp, std::move(targets));
  }

  // -- Go

  // The package directory an import path names: the longest directory of Go files that the import
  // path ends with ("example.com/m/util" → "m/util" before "util").
  Cands go_package_files(std::string_view path) const {
    std::size_t pos = 0;
    std::vector<std::string_view> suffixes;
    suffixes.push_back(path);
    while ((pos = path.find('/', pos)) != std::string_view::npos) {
      ++pos;
      suffixes.push_back(path.substr(pos));
    }
    for (std::string_view s : suffixes) {
      auto files = ix_.files_in_dir(Family::Go, s);
      if (!files.empty()) return {files.begin(), files.end()};
    }
    return {};
  }

  void import_go(std::uint32_t f, const Import& imp) {
    const Cands files = go_package_files(imp.module);
    const bool external = files.empty();
    if (imp.alias == ".") {
      bindings_[f].wildcard_files.insert(bindings_[f].wildcard_files.end(), files.begin(), files.end());
    } else if (imp.alias != "_") {
      const std::string last(last_after(imp.module, "/"));
      if (!imp.alias.empty()) {
        bind(f, imp.alias, Binding{.files = files, .external = external});
      } else {
        bind(f, last, Binding{.files = files, .external = external});
        // The package clause may differ from the directory name ("go-yaml" → yaml).
        if (!files.empty() && ix_.file(files[0]).module != last) {
          bind(f, ix_.file(files[0]).module, Binding{.files = files});
        }
      }
    }
    emit_import(f, imp, files);
  }

  // -- Rust

  struct RustTarget {
    Cands files;    // the path names a module
    Cands symbols;  // the path names an item
  };

  std::string rust_absolute(std::uint32_t f, std::string_view path) const {
    std::string_view own = ix_.file(f).module;
    auto parent_of = [](std::string_view m) { return strip_last_segment(m, "::"); };
    std::string_view rest = path;
    std::string_view anchor;
    bool anchored = false;
    if (rest == "self" || rest.starts_with("self::")) {
      anchor = own;
      anchored = true;
      rest = rest.size() > 4 ? rest.substr(6) : std::string_view{};
    }
    while (rest == "super" || rest.starts_with("super::")) {
      anchor = parent_of(anchored ? anchor : own);
      anchored = true;
      rest = rest.size() > 5 ? rest.substr(7) : std::string_view{};
    }
    if (!anchored) return std::string(path);
    std::string out(anchor);
    if (!rest.empty()) {
      if (!out.empty()) out += "::";
      out += rest;
    }
    return out;
  }

  RustTarget rust_lookup(std::string_view absolute) const {
    RustTarget t;
    auto add_module = [&](std::string_view m) {
      auto files = ix_.files_in_module(Family::Rust, m);
      t.files.insert(t.files.end(), files.begin(), files.end());
    };
    add_module(absolute);
    // Extractors may spell crate-relative modules with or without the leading "crate::".
    if (t.files.empty() && absolute.starts_with("crate::")) add_module(absolute.substr(7));
    if (t.files.empty() && !absolute.starts_with("crate::")) add_module("crate::" + std::string(absolute));
    if (!t.files.empty()) return t;
    for (std::uint32_t g : ix_.qualified(absolute)) {
      if (ix_.family(g) != Family::Rust) continue;
      if (ix_.kind(g) == SymbolKind::Module) t.files.push_back(ix_.file_of(g));
      else t.symbols.push_back(g);
    }
    t.symbols = collapse(std::move(t.symbols));
    if (!t.files.empty() || !t.symbols.empty()) return t;
    // Fall back to the file layout: crate::a::b → .../a/b.rs or .../a/b/mod.rs, when unique.
    auto segs = split_segments(absolute);
    if (!segs.empty() && segs[0] == "crate") segs.erase(segs.begin());
    if (segs.empty()) return t;
    std::string rel;
    for (std::string_view s : segs) {
      if (!rel.empty()) rel += '/';
      rel += s;
    }
    for (const std::string& p : {rel + ".rs", rel + "/mod.rs"}) {
      Cands hits;
      for (std::uint32_t cand : ix_.files_with_basename(last_after(p, "/"))) {
        const std::string& cp = ix_.file(cand).parsed->path;
        if (ix_.file(cand).family == Family::Rust && (cp == p || cp.ends_with("/" + p))) hits.push_back(cand);
      }
      if (hits.size() == 1) {
        t.files = hits;
        return t;
      }
    }
    return t;
  }

  static bool rust_is_local_path(std::string_view path) {
    return path.starts_with("crate") || path.starts_with("self") || path.starts_with("super");
  }

  // Binds `local` to what `absolute` names and returns the files to draw an import edge to.
  Cands rust_bind(std::uint32_t f, std::string_view absolute, const std::string& local, bool local_path) {
    RustTarget t = rust_lookup(absolute);
    if (!t.symbols.empty()) {
      Cands files;
      for (std::uint32_t g : t.symbols) files.push_back(ix_.file_of(g));
      bind(f, local, Binding{.symbols = std::move(t.symbols)});
      return files;
    }
    if (!t.files.empty()) {
      bind(f, local, Binding{.files = t.files});
      return t.files;
    }
    // `use a::b::f` where a::b is a module file and f an item in it.
    const std::string_view parent = strip_last_segment(absolute, "::");
    RustTarget p = parent.empty() ? RustTarget{} : rust_lookup(parent);
    if (!p.files.empty()) {
      bind(f, local, Binding{.files = p.files, .member = std::string(last_after(absolute, "::"))});
      return p.files;
    }
    bind(f, local, Binding{.external = !local_path});
    return {};
  }

  void import_rust(std::uint32_t f, const Import& imp) {
    const std::string absolute = rust_absolute(f, imp.module);
    const bool local_path = rust_is_local_path(imp.module);
    Cands targets;
    if (imp.names.empty()) {
      const std::string local = imp.alias.empty() ? std::string(last_after(absolute, "::")) : imp.alias;
      targets = rust_bind(f, absolute, local, local_path);
    }
    for (const ImportedName& n : imp.names) {
      if (n.name == "*") {
        const RustTarget t = rust_lookup(absolute);
        bindings_[f].wildcard_files.insert(bindings_[f].wildcard_files.end(), t.files.begin(), t.files.end());
        targets.insert(targets.end(), t.files.begin(), t.files.end());
        continue;
      }
      if (n.name == "self") {
        const std::string local = n.alias.empty() ? std::string(last_after(absolute, "::")) : n.alias;
        const Cands got = rust_bind(f, absolute, local, local_path);
        targets.insert(targets.end(), got.begin(), got.end());
        continue;
      }
      const std::string local = n.alias.empty() ? n.name : n.alias;
      const Cands got = rust_bind(f, absolute + "::" + n.name, local, local_path);
      targets.insert(targets.end(), got.begin(), got.end());
    }
    emit_import(f, imp, std::move(targets));
  }

  // -- C / C++

  Cands c_include_files(std::uint32_t f, std::string_view inc) const {
    if (auto rel = normalize_path(join_path(ix_.file(f).dir, inc))) {
      const std::uint32_t hit = ix_.file_by_path(*rel);
      if (hit != kNone) return {hit};
    }
    const auto clean = normalize_path(inc);
    if (!clean) return {};
    Cands hits;
    for (std::uint32_t cand : ix_.files_with_basename(last_after(*clean, "/"))) {
      const std::string& p = ix_.file(cand).parsed->path;
      if (p == *clean || (p.size() > clean->size() && p.ends_with(*clean) && p[p.size() - clean->size() - 1] == '/')) {
        hits.push_back(cand);
      }
    }
    return hits.size() == 1 ? hits : Cands{};
  }

  // <a/b.h> names a file under some include directory. Projects such as the Linux kernel keep
  // those directories in the tree (include/linux/slab.h), so a project file ending in /a/b.h is
  // the target; among several, the one nearest the including file (longest shared directory
  // prefix, then the shortest path) is what an include path would find. A tie stays unresolved,
  // and a header the project does not have (<stdio.h>) stays external.
  Cands c_system_include_files(std::uint32_t f, std::string_view inc) const {
    const auto clean = normalize_path(inc);
    if (!clean) return {};
    const std::string& from = ix_.file(f).parsed->path;
    auto shared_dirs = [&](const std::string& p) {
      std::size_t common = 0, i = 0;
      while (i < p.size() && i < from.size() && p[i] == from[i]) {
        if (p[i] == '/') common = i + 1;
        ++i;
      }
      return common;
    };
    Cands best;
    std::size_t best_shared = 0, best_len = 0;
    for (std::uint32_t cand : ix_.files_with_basename(last_after(*clean, "/"))) {
      const std::string& p = ix_.file(cand).parsed->path;
      if (!(p == *clean || (p.size() > clean->size() && p.ends_with(*clean) && p[p.size() - clean->size() - 1] == '/')))
        continue;
      const std::size_t shared = shared_dirs(p);
      if (best.empty() || shared > best_shared || (shared == best_shared && p.size() < best_len)) {
        best = {cand};
        best_shared = shared;
        best_len = p.size();
      } else if (shared == best_shared && p.size() == best_len) {
        best.push_back(cand);
      }
    }
    return best.size() == 1 ? best : Cands{};
  }

  void import_c(std::uint32_t f, const Import& imp) {
    const Cands files = imp.system ? c_system_include_files(f, imp.module) : c_include_files(f, imp.module);
    auto& wild = bindings_[f].wildcard_files;
    wild.insert(wild.end(), files.begin(), files.end());
    emit_import(f, imp, files);
  }

  // ---- scopes and members --------------------------------------------------------------------

  std::uint32_t from_symbol(std::uint32_t f, std::int32_t from) const {
    const FileRec& fr = ix_.file(f);
    if (from <= 0 || static_cast<std::uint32_t>(from) >= fr.end - fr.base) return fr.base;
    return fr.base + static_cast<std::uint32_t>(from);
  }

  // The type whose members `self`/`this` refers to inside g.
  std::uint32_t enclosing_type(std::uint32_t g) const {
    for (std::uint32_t s = g; s != kNone; s = ix_.parent(s)) {
      if (is_type_kind(ix_.kind(s)) && !ix_.is_file_symbol(s)) return s;
    }
    // Go and Rust methods live outside their type's body: "pkg.Type.Method" names it.
    if (ix_.is_file_symbol(g)) return kNone;
    const std::string& q = ix_.symbol(g).qualified_name;
    const auto segs = split_segments(q);
    if (segs.size() < 2) return kNone;
    const std::string_view owner(q.data(), static_cast<std::size_t>(segs[segs.size() - 2].end() - q.data()));
    Cands types;
    for (std::uint32_t t : ix_.qualified(owner)) {
      if (is_type_kind(ix_.kind(t)) && ix_.family(t) == ix_.family(g)) types.push_back(t);
    }
    types = collapse(std::move(types));
    return types.size() == 1 ? types[0] : kNone;
  }

  // Methods named `name` declared on type t itself (in its body or, for Go/Rust, by qualified name).
  Cands own_methods(std::uint32_t t, std::string_view name) const {
    Cands out;
    for (std::uint32_t g : ix_.named_in_file(name, ix_.file_of(t))) {
      if (ix_.parent(g) == t && is_callable_kind(ix_.kind(g))) out.push_back(g);
    }
    const std::string& tq = ix_.symbol(t).qualified_name;
    if (!tq.empty()) {
      for (std::string_view sep : {".", "::"}) {
        std::string q = tq;
        q += sep;
        q += name;
        for (std::uint32_t g : ix_.qualified(q)) {
          if (is_callable_kind(ix_.kind(g)) && ix_.family(g) == ix_.family(t)) out.push_back(g);
        }
      }
    }
    return collapse(std::move(out));
  }

  // Depth-first in declaration order of the bases: Python's MRO and Java's single inheritance both
  // reach the nearest definition first.
  std::optional<std::uint32_t> member_lookup(std::uint32_t t, std::string_view name, bool skip_self) const {
    std::vector<std::uint32_t> stack;
    std::unordered_set<std::uint32_t> seen;
    auto push_bases = [&](std::uint32_t type) {
      auto it = bases_.find(type);
      if (it == bases_.end()) return;
      for (auto b = it->second.rbegin(); b != it->second.rend(); ++b) stack.push_back(*b);
    };
    if (skip_self) {
      seen.insert(t);
      push_bases(t);
    } else {
      stack.push_back(t);
    }
    while (!stack.empty() && seen.size() < 256) {
      const std::uint32_t cur = stack.back();
      stack.pop_back();
      if (!seen.insert(cur).second) continue;
      const Cands m = own_methods(cur, name);
      if (m.size() == 1) return m[0];
      if (m.size() > 1) return std::nullopt;
      push_bases(cur);
    }
    return std::nullopt;
  }

  // Innermost enclosing lexical scope that defines `name`. Class bodies are not lexical scopes
  // for their methods (Python, JS); implicit members are handled by member_lookup.
  std::optional<std::uint32_t> local_lookup(std::uint32_t f, std::uint32_t from_g, std::string_view name,
                                            Want want) const {
    const auto in_file = ix_.named_in_file(name, f);
    if (in_file.empty()) return std::nullopt;
    for (std::uint32_t scope = from_g; scope != kNone; scope = ix_.parent(scope)) {
      if (is_type_kind(ix_.kind(scope)) && !ix_.is_file_symbol(scope)) continue;
      Cands hits;
      for (std::uint32_t g : in_file) {
        if (ix_.parent(g) == scope && compatible(g, want, true)) hits.push_back(g);
      }
      if (hits.empty()) continue;
      return unique(collapse(std::move(hits)));
    }
    return std::nullopt;
  }

  // Go/Java: other files of the same package share its top-level scope.
  Cands same_package_files(std::uint32_t f) const {
    const FileRec& fr = ix_.file(f);
    Cands out;
    if (fr.family == Family::Go) {
      for (std::uint32_t o : ix_.files_in_dir(Family::Go, fr.dir)) {
        if (o != f && ix_.file(o).module == fr.module) out.push_back(o);
      }
    } else if (fr.family == Family::Java && !fr.module.empty()) {
      for (std::uint32_t o : ix_.files_in_module(Family::Java, fr.module)) {
        if (o != f) out.push_back(o);
      }
    }
    return out;
  }

  struct Lookup {
    std::optional<std::uint32_t> target;
    bool stop = false;  // the name is bound to something outside the project
  };

  Lookup bare_import_lookup(std::uint32_t f, const std::string& name, Want want) const {
    const FileBindings& fb = bindings_[f];
    if (auto it = fb.names.find(name); it != fb.names.end()) {
      const Binding& b = it->second;
      Cands c;
      if (!b.symbols.empty()) {
        for (std::uint32_t g : b.symbols) {
          if (compatible(g, want, true)) c.push_back(g);
        }
        c = collapse(std::move(c));
      } else if (b.external) {
        return {.stop = true};
      } else {
        c = top_level_named(b.files, b.member.empty() ? std::string_view(name) : std::string_view(b.member),
                            want, false);
      }
      if (auto u = unique(c)) return {.target = u};
    }
    if (!fb.wildcard_files.empty()) {
      if (auto u = unique(top_level_named(fb.wildcard_files, name, want, false))) return {.target = u};
    }
    const Cands pkg = same_package_files(f);
    if (!pkg.empty()) {
      if (auto u = unique(top_level_named(pkg, name, want, false))) return {.target = u};
    }
    return {};
  }

  // `mod.f()`, `pkg.Func()`, `ImportedClass.static_method()`: the qualifier is an import binding.
  Lookup qualified_import_lookup(std::uint32_t f, const std::string& qualifier, std::string_view name,
                                 Want want) const {
    const FileBindings& fb = bindings_[f];
    auto it = fb.names.find(qualifier);
    if (it == fb.names.end()) {
      // `os.path.join` with only `import os`: the root is external, so is the rest.
      const auto segs = split_segments(qualifier);
      if (segs.size() > 1) {
        auto root = fb.names.find(std::string(segs[0]));
        if (root != fb.names.end() && root->second.external) return {.stop = true};
      }
      return {};
    }
    const Binding& b = it->second;
    if (b.external) return {.stop = true};
    Cands types;
    Cands c;
    if (!b.symbols.empty()) {
      for (std::uint32_t g : b.symbols) {
        if (is_type_kind(ix_.kind(g))) types.push_back(g);
      }
    } else if (!b.member.empty()) {
      types = top_level_named(b.files, b.member, Want::Type, false);
    } else {
      c = top_level_named(b.files, name, want, false);
    }
    for (std::uint32_t t : types) {
      if (want == Want::Type) {
        for (std::uint32_t g : ix_.named_in_file(name, ix_.file_of(t))) {
          if (ix_.parent(g) == t && is_type_kind(ix_.kind(g))) c.push_back(g);
        }
      } else if (auto m = member_lookup(t, name, false)) {
        c.push_back(*m);
      }
    }
    if (auto u = unique(collapse(std::move(c)))) return {.target = u};
    return {};
  }

  // Definitions whose qualified name ends with qualifier + name, segment-wise.
  Cands qualified_suffix(std::uint32_t f, std::string_view qualifier, std::string_view name, Want want) const {
    auto want_segs = split_segments(qualifier);
    if (want_segs.empty()) return {};
    want_segs.push_back(name);
    const Family fam = ix_.file(f).family;
    Cands out;
    for (std::uint32_t g : ix_.by_tail(want_segs[want_segs.size() - 2], name)) {
      if (ix_.family(g) != fam || !compatible(g, want, false) || ix_.symbol(g).name != name) continue;
      const auto segs = split_segments(ix_.symbol(g).qualified_name);
      if (segs.size() < want_segs.size()) continue;
      if (std::equal(want_segs.begin(), want_segs.end() - 1, segs.end() - static_cast<std::ptrdiff_t>(want_segs.size()))) {
        out.push_back(g);
      }
    }
    return collapse(std::move(out));
  }

  // Whether the qualifier's last segment names a type, module or namespace of this language: then
  // the receiver is known and a miss means the target is outside the project, not "any method".
  bool names_known_container(Family fam, std::string_view qualifier) const {
    const auto segs = split_segments(qualifier);
    if (segs.empty()) return false;
    for (std::uint32_t g : ix_.named(segs.back())) {
      const SymbolKind k = ix_.kind(g);
      if (ix_.family(g) == fam &&
          (is_type_kind(k) || k == SymbolKind::Module || k == SymbolKind::Namespace)) {
        return true;
      }
    }
    for (std::uint32_t file : ix_.files_with_module_tail(fam, segs.back())) {
      (void)file;
      return true;
    }
    return false;
  }

  enum class UniqueMode : std::uint8_t { Bare, Receiver, Type };

  // The single project-wide definition named `name`. Cached per name slot and mode; the cache
  // entry remembers its family, and a lookup for another family simply recomputes.
  std::optional<std::uint32_t> unique_name(Family fam, UniqueMode mode, const std::string& name) {
    const auto all = ix_.named(name);
    if (all.empty()) return std::nullopt;
    auto& cache = unique_cache_[static_cast<std::size_t>(mode)];
    if (cache.empty()) cache.assign(ix_.named_slot_count(), CacheEntry{});
    CacheEntry& entry = cache[ix_.named_slot(all)];
    if (entry.family == static_cast<std::uint8_t>(fam)) return entry.target == kNone ? std::nullopt : std::optional<std::uint32_t>(entry.target);
    Cands c;
    for (std::uint32_t g : all) {
      if (ix_.family(g) != fam || nested_in_callable(g)) continue;
      const SymbolKind k = ix_.kind(g);
      const std::uint32_t p = ix_.parent(g);
      const bool in_type = p != kNone && is_type_kind(ix_.kind(p)) && !ix_.is_file_symbol(p);
      bool ok = false;
      switch (mode) {
        case UniqueMode::Bare: ok = is_type_kind(k) || (k == SymbolKind::Function && !in_type); break;
        case UniqueMode::Receiver: ok = k == SymbolKind::Method || (k == SymbolKind::Function && in_type); break;
        case UniqueMode::Type: ok = is_type_kind(k); break;
      }
      if (ok) c.push_back(g);
    }
    const auto u = unique(collapse(std::move(c)));
    entry = CacheEntry{.target = u.value_or(kNone), .family = static_cast<std::uint8_t>(fam)};
    return u;
  }

  // ---- references ----------------------------------------------------------------------------

  static std::string written_name(Language lang, std::string_view qualifier, std::string_view name) {
    if (qualifier.empty()) return std::string(name);
    std::string out(qualifier);
    if (lang == Language::Rust || (lang == Language::Cpp && qualifier != "this" && is_identifier_path(qualifier))) {
      out += "::";
    } else if (lang == Language::Cpp && qualifier == "this") {
      out += "->";
    } else {
      out += '.';
    }
    out += name;
    return out;
  }

  // A header/.d.ts declaration reached through an include stands for its one definition, when the
  // project has exactly one (same qualified name and family, outside declaration files).
  std::uint32_t definition_of(std::uint32_t g) const {
    if (!decl_file_[ix_.file_of(g)]) return g;
    const Symbol& s = ix_.symbol(g);
    if (s.qualified_name.empty()) return g;
    Cands defs;
    for (std::uint32_t d : ix_.qualified(s.qualified_name)) {
      if (ix_.family(d) != ix_.family(g) || decl_file_[ix_.file_of(d)]) continue;
      if (is_callable_kind(s.kind) ? is_callable_kind(ix_.kind(d)) : ix_.kind(d) == s.kind) defs.push_back(d);
    }
    defs = collapse(std::move(defs));
    return defs.size() == 1 ? defs[0] : g;
  }

  void emit_ref(std::uint32_t src, EdgeKind kind, const Reference& r, Language lang,
                std::optional<std::uint32_t> target, Resolution how) {
    RawEdge e{.source = src, .kind = kind, .line = r.line, .col = r.col,
              .target_name = written_name(lang, r.qualifier, r.name)};
    if (target) {
      e.target = definition_of(*target);
      e.resolution = how;
    }
    edges_.push_back(std::move(e));
  }

  void resolve_type_refs(std::uint32_t f) {
    const FileRec& fr = ix_.file(f);
    const Language lang = fr.parsed->language;
    for (const Reference& r : fr.parsed->references) {
      if (r.kind == RefKind::Call) continue;
      const EdgeKind kind = r.kind == RefKind::Inherit ? EdgeKind::Inherits : EdgeKind::Implements;
      const std::uint32_t src = from_symbol(f, r.from);
      auto [target, how] = resolve_type(f, src, r);
      if (target && *target == src) target.reset();  // a type cannot be its own base
      if (target) bases_[src].push_back(*target);
      emit_ref(src, kind, r, lang, target, how);
    }
  }

  std::pair<std::optional<std::uint32_t>, Resolution> resolve_type(std::uint32_t f, std::uint32_t src,
                                                                   const Reference& r) {
    const Family fam = ix_.file(f).family;
    if (r.qualifier.empty()) {
      // Start above the subclass itself: `class Foo(Foo)` names an outer/imported Foo.
      const std::uint32_t scope = ix_.parent(src) == kNone ? src : ix_.parent(src);
      if (auto t = local_lookup(f, scope, r.name, Want::Type); t && *t != src) return {t, Resolution::Local};
      const Lookup imp = bare_import_lookup(f, r.name, Want::Type);
      if (imp.target) return {imp.target, Resolution::Import};
      if (imp.stop) return {std::nullopt, Resolution::Unresolved};
      if (auto t = unique_name(fam, UniqueMode::Type, r.name); t && *t != src) return {t, Resolution::UniqueName};
      return {std::nullopt, Resolution::Unresolved};
    }
    const Lookup imp = qualified_import_lookup(f, r.qualifier, r.name, Want::Type);
    if (imp.target) return {imp.target, Resolution::Import};
    if (imp.stop) return {std::nullopt, Resolution::Unresolved};
    if (auto t = unique(qualified_suffix(f, r.qualifier, r.name, Want::Type))) return {t, Resolution::Qualified};
    return {std::nullopt, Resolution::Unresolved};
  }

  // Go names the receiver in the signature: "func (s *Server) Start()" makes `s.` a self qualifier.
  static std::string_view go_receiver(const Symbol& s) {
    std::string_view sig = s.signature;
    if (!sig.starts_with("func (") && !sig.starts_with("func(")) return {};
    sig.remove_prefix(sig.find('(') + 1);
    while (!sig.empty() && sig.front() == ' ') sig.remove_prefix(1);
    std::size_t n = 0;
    while (n < sig.size() && (std::isalnum(static_cast<unsigned char>(sig[n])) || sig[n] == '_')) ++n;
    if (n == 0 || n >= sig.size() || sig[n] != ' ') return {};  // unnamed receiver "(*T)"
    return sig.substr(0, n);
  }

  bool is_receiver_of(std::uint32_t from_g, std::string_view qualifier) const {
    for (std::uint32_t s = from_g; s != kNone; s = ix_.parent(s)) {
      if (is_callable_kind(ix_.kind(s))) {
        const std::string_view recv = go_receiver(ix_.symbol(s));
        if (!recv.empty()) return recv == qualifier;
      }
    }
    return false;
  }

  void resolve_calls(std::uint32_t f) {
    const FileRec& fr = ix_.file(f);
    const Language lang = fr.parsed->language;
    for (const Reference& r : fr.parsed->references) {
      if (r.kind != RefKind::Call) continue;
      const std::uint32_t src = from_symbol(f, r.from);
      auto [target, how] = resolve_call(f, src, r);
      emit_ref(src, EdgeKind::Calls, r, lang, target, how);
    }
  }

  std::pair<std::optional<std::uint32_t>, Resolution> resolve_call(std::uint32_t f, std::uint32_t src,
                                                                   const Reference& r) {
    const FileRec& fr = ix_.file(f);
    const Family fam = fr.family;
    const Language lang = fr.parsed->language;
    const std::string& q = r.qualifier;
    constexpr std::pair<std::optional<std::uint32_t>, Resolution> kMiss{std::nullopt, Resolution::Unresolved};

    const bool self_like = is_self_qualifier(q) || (fam == Family::Go && !q.empty() && is_receiver_of(src, q));
    if (self_like || is_super_qualifier(q)) {
      // Never past the class hierarchy: `self.x()` on an unknown base is external, not "any x".
      const std::uint32_t t = enclosing_type(src);
      if (t == kNone) return kMiss;
      if (auto m = member_lookup(t, r.name, !self_like)) return {m, Resolution::Member};
      return kMiss;
    }

    if (q.empty()) {
      if (lang == Language::Java || lang == Language::Cpp) {
        const std::uint32_t t = enclosing_type(src);
        if (t != kNone) {
          if (auto m = member_lookup(t, r.name, false)) return {m, Resolution::Member};
        }
      }
      if (auto t = local_lookup(f, src, r.name, Want::Call)) return {t, Resolution::Local};
      const Lookup imp = bare_import_lookup(f, r.name, Want::Call);
      if (imp.target) return {imp.target, Resolution::Import};
      if (imp.stop) return kMiss;
      if (auto t = unique_name(fam, UniqueMode::Bare, r.name)) return {t, Resolution::UniqueName};
      return kMiss;
    }

    const bool plain = is_identifier_path(q);
    if (plain) {
      // `Foo.bar()` / `Foo::bar()` where Foo is a type of this file.
      const auto segs = split_segments(q);
      if (segs.size() == 1) {
        if (auto t = local_lookup(f, src, std::string(segs[0]), Want::Type)) {
          if (auto m = member_lookup(*t, r.name, false)) return {m, Resolution::Local};
        }
      }
      const Lookup imp = qualified_import_lookup(f, q, r.name, Want::Call);
      if (imp.target) return {imp.target, Resolution::Import};
      if (imp.stop) return kMiss;
      const Cands qual = qualified_suffix(f, q, r.name, Want::Call);
      if (qual.size() == 1) return {qual[0], Resolution::Qualified};
      if (qual.size() > 1 || names_known_container(fam, q)) return kMiss;
    }
    // An unknown receiver (`x.append()`, `foo().bar()`): its type is not knowable here, so bind only
    // to the single method of that name in the project.
    if (auto t = unique_name(fam, UniqueMode::Receiver, r.name)) return {t, Resolution::UniqueName};
    return kMiss;
  }

  const ProjectIndex& ix_;
  std::vector<FileBindings> bindings_;
  std::vector<bool> decl_file_;  // per file: a header / .d.ts
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> bases_;
  struct CacheEntry {
    std::uint32_t target = kNone;
    std::uint8_t family = 0xff;  // the Family the entry was computed for; 0xff = not computed
  };
  std::array<std::vector<CacheEntry>, 3> unique_cache_;
  std::vector<RawEdge> edges_;
};

}  // namespace

bool is_test_path(std::string_view path) {
  const auto slash = path.rfind('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const std::string_view dir = slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
  std::string padded = "/";
  padded += dir;
  padded += '/';
  for (std::string_view d : {"/test/", "/tests/", "/__tests__/", "/testing/", "/spec/", "/testdata/"}) {
    if (padded.find(d) != std::string::npos) return true;
  }
  const auto dot = base.find('.');
  const std::string_view stem = dot == std::string_view::npos ? base : base.substr(0, dot);
  if (stem.starts_with("test_") || stem.ends_with("_test") || stem.ends_with("_tests") || stem == "conftest" ||
      stem.ends_with("_unittest") || stem.ends_with("_spec")) {
    return true;
  }
  if (base.find(".test.") != std::string_view::npos || base.find(".spec.") != std::string_view::npos) return true;
  if (base.ends_with(".java") && (stem.ends_with("Test") || stem.ends_with("Tests") || stem.starts_with("Test"))) {
    return true;
  }
  return false;
}

std::vector<RawEdge> resolve_edges(const ProjectIndex& index, const std::vector<bool>* focus) {
  return Resolver(index).run(focus);
}

}  // namespace cci::graph::detail
