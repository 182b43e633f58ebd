#include "core/model.h"

#include <array>
#include <utility>

namespace cci {
namespace {

template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<std::string_view, E>, N>& table, std::string_view s) {
  for (const auto& [name, value] : table)
    if (name == s) return value;
  return std::nullopt;
}

constexpr std::array<std::pair<std::string_view, Language>, 9> kLanguageNames{{
    {"python", Language::Python}, {"javascript", Language::JavaScript},
    {"typescript", Language::TypeScript}, {"tsx", Language::Tsx}, {"java", Language::Java},
    {"go", Language::Go}, {"rust", Language::Rust}, {"c", Language::C}, {"cpp", Language::Cpp}}};

constexpr std::array<std::pair<std::string_view, SymbolKind>, 13> kSymbolKindNames{{
    {"file", SymbolKind::File}, {"module", SymbolKind::Module}, {"namespace", SymbolKind::Namespace},
    {"class", SymbolKind::Class}, {"struct", SymbolKind::Struct}, {"interface", SymbolKind::Interface},
    {"trait", SymbolKind::Trait}, {"enum", SymbolKind::Enum}, {"function", SymbolKind::Function},
    {"method", SymbolKind::Method}, {"constant", SymbolKind::Constant},
    {"variable", SymbolKind::Variable}, {"import", SymbolKind::Import}}};

constexpr std::array<std::pair<std::string_view, EdgeKind>, 5> kEdgeKindNames{{
    {"contains", EdgeKind::Contains}, {"imports", EdgeKind::Imports}, {"calls", EdgeKind::Calls},
    {"inherits", EdgeKind::Inherits}, {"implements", EdgeKind::Implements}}};

constexpr std::array<std::pair<std::string_view, Resolution>, 7> kResolutionNames{{
    {"structural", Resolution::Structural}, {"local", Resolution::Local},
    {"member", Resolution::Member}, {"import", Resolution::Import},
    {"qualified", Resolution::Qualified}, {"unique-name", Resolution::UniqueName},
    {"unresolved", Resolution::Unresolved}}};

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<std::string_view, E>, N>& table, E value) {
  for (const auto& [name, v] : table)
    if (v == value) return name;
  return "unknown";
}

}  // namespace

std::string_view to_string(Language lang) { return name_of(kLanguageNames, lang); }

std::optional<Language> language_from_string(std::string_view s) {
  if (s == "py") return Language::Python;
  if (s == "js" || s == "jsx") return Language::JavaScript;
  if (s == "ts") return Language::TypeScript;
  if (s == "c++" || s == "cxx" || s == "cc") return Language::Cpp;
  if (s == "golang") return Language::Go;
  if (s == "rs") return Language::Rust;
  return lookup(kLanguageNames, s);
}

std::string_view to_string(SymbolKind kind) { return name_of(kSymbolKindNames, kind); }
std::optional<SymbolKind> symbol_kind_from_string(std::string_view s) {
  if (s == "package") return SymbolKind::Module;
  if (s == "const") return SymbolKind::Constant;
  if (s == "var") return SymbolKind::Variable;
  return lookup(kSymbolKindNames, s);
}

bool is_type_kind(SymbolKind k) {
  return k == SymbolKind::Class || k == SymbolKind::Struct || k == SymbolKind::Interface ||
         k == SymbolKind::Trait || k == SymbolKind::Enum;
}
bool is_callable_kind(SymbolKind k) { return k == SymbolKind::Function || k == SymbolKind::Method; }

std::string_view to_string(EdgeKind kind) { return name_of(kEdgeKindNames, kind); }
std::optional<EdgeKind> edge_kind_from_string(std::string_view s) { return lookup(kEdgeKindNames, s); }

std::string_view to_string(Resolution r) { return name_of(kResolutionNames, r); }
std::optional<Resolution> resolution_from_string(std::string_view s) {
  return lookup(kResolutionNames, s);
}

std::string_view to_string(RefKind kind) {
  switch (kind) {
    case RefKind::Call: return "call";
    case RefKind::Inherit: return "inherit";
    case RefKind::Implement: return "implement";
  }
  return "unknown";
}

}  // namespace cci
