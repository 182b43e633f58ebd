// core/model.h — the code-graph vocabulary shared by every stage of the pipeline.
//
// parse/ produces a ParsedFile per source file (symbols, references, imports, all file-local);
// graph/ resolves references across files into edges and ranks symbols; store/ persists both.
// These are plain values: no stage owns another's objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cci {

enum class Language : std::uint8_t {
  Unknown = 0, Python, JavaScript, TypeScript, Tsx, Java, Go, Rust, C, Cpp,
};
inline constexpr Language kAllLanguages[] = {
    Language::Python, Language::JavaScript, Language::TypeScript, Language::Tsx, Language::Java,
    Language::Go,     Language::Rust,       Language::C,          Language::Cpp};

std::string_view to_string(Language lang);                        // "python", "cpp", ...
std::optional<Language> language_from_string(std::string_view);   // accepts aliases: py, js, ts, c++

enum class SymbolKind : std::uint8_t {
  File = 0,
  Module,     // Python package/module object, Go package, Java package, Rust mod, TS namespace
  Namespace,  // C++ namespace
  Class,
  Struct,
  Interface,
  Trait,
  Enum,
  Function,
  Method,
  Constant,   // top-level constant (const/final/UPPER_CASE module assignment, #define value)
  Variable,   // top-level variable
  Import,
};
std::string_view to_string(SymbolKind kind);                       // "class", "method", ...
std::optional<SymbolKind> symbol_kind_from_string(std::string_view);
bool is_type_kind(SymbolKind kind);      // class/struct/interface/trait/enum
bool is_callable_kind(SymbolKind kind);  // function/method

enum class EdgeKind : std::uint8_t { Contains = 0, Imports, Calls, Inherits, Implements };
std::string_view to_string(EdgeKind kind);
std::optional<EdgeKind> edge_kind_from_string(std::string_view);

// How an edge's target was found. Ordered from most to least certain; Unresolved edges have no target.
enum class Resolution : std::uint8_t {
  Structural = 0,  // contains edges: certain by construction
  Local,           // same file, same or enclosing scope
  Member,          // self./this./Type:: call into the enclosing class (or its bases)
  Import,          // bound through an import statement of the calling file
  Qualified,       // the reference carried a qualifier that names the target exactly (pkg.f, ns::f)
  UniqueName,      // the only definition with that name and a compatible kind in the project
  Unresolved,      // ambiguous or external: kept by name, never bound to a guess
};
std::string_view to_string(Resolution resolution);  // "structural", "local", ..., "unique-name", "unresolved"
std::optional<Resolution> resolution_from_string(std::string_view);

struct Span {
  std::uint32_t start_line = 0;  // 1-based
  std::uint32_t start_col = 0;   // 1-based, in bytes
  std::uint32_t end_line = 0;
  std::uint32_t end_col = 0;
  bool operator==(const Span&) const = default;
};

// A definition found in one file. Indices (parent) refer to ParsedFile::symbols.
struct Symbol {
  SymbolKind kind = SymbolKind::Function;
  std::string name;            // "parse_args"
  std::string qualified_name;  // "argparse.ArgumentParser.parse_args", "std::vector::push_back"
  std::int32_t parent = -1;    // enclosing symbol index, -1 = the file itself
  Span span;
  std::string signature;       // the declaration head, one line, e.g. "def parse_args(self, args=None)"
  std::string doc;             // doc comment / docstring, trimmed
  bool exported = true;        // visible outside its file/module where the language says so
  bool operator==(const Symbol&) const = default;
};

enum class RefKind : std::uint8_t { Call = 0, Inherit, Implement };
std::string_view to_string(RefKind kind);

// A use of a name inside a file, not yet bound to any definition.
struct Reference {
  RefKind kind = RefKind::Call;
  std::string name;            // the called/inherited simple name: "bar" in self.bar(), "Base" in ns::Base
  std::string qualifier;       // what stood before it: "self", "this", "os.path", "ns", "" when bare
  std::int32_t from = -1;      // enclosing symbol index (caller / subclass), -1 = file scope
  std::uint32_t line = 0;
  std::uint32_t col = 0;
  bool operator==(const Reference&) const = default;
};

struct ImportedName {
  std::string name;   // name in the source module ("*" for a wildcard import)
  std::string alias;  // local name when renamed, else empty
  bool operator==(const ImportedName&) const = default;
};

// One import statement. `module` is spelled as written, normalised per language:
// Python "os.path" / ".sibling", JS "./util", Java "java.util.List", Go "net/http",
// Rust "crate::a::b", C/C++ "stdio.h" (system) or "foo/bar.h" (local).
struct Import {
  std::string module;
  std::string alias;                  // import numpy as np -> "np"; Go named import
  std::vector<ImportedName> names;    // from m import a, b as c  /  import {a} from 'm'
  bool system = false;                // C/C++ <...> include
  std::int32_t symbol = -1;           // index of the Import symbol in ParsedFile::symbols
  std::uint32_t line = 0;
  bool operator==(const Import&) const = default;
};

struct ParsedFile {
  Language language = Language::Unknown;
  std::string path;             // project-relative, '/'-separated
  std::string module_name;      // the module/package this file defines, e.g. "argparse", "net/http", "crate::util"
  std::vector<Symbol> symbols;  // symbols[0] is always the File symbol
  std::vector<Reference> references;
  std::vector<Import> imports;
  std::uint32_t line_count = 0;
  std::uint32_t error_nodes = 0;  // tree-sitter ERROR/MISSING nodes seen: > 0 means partially parsed
  bool operator==(const ParsedFile&) const = default;
};

}  // namespace cci
