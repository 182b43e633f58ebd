#include "golden.h"

#include <fmt/format.h>

namespace cci::testing {
namespace {

std::string owner_name(const ParsedFile& p, std::int32_t index) {
  if (index < 0 || static_cast<std::size_t>(index) >= p.symbols.size()) return "<file>";
  const Symbol& s = p.symbols[static_cast<std::size_t>(index)];
  return s.kind == SymbolKind::File ? "<file>" : s.qualified_name;
}

std::string first_line(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl) + " ...";
}

}  // namespace

std::string render_parsed(const ParsedFile& p) {
  std::string out;
  out += fmt::format("module {}\n", p.module_name);
  for (std::size_t i = 1; i < p.symbols.size(); ++i) {
    const Symbol& s = p.symbols[i];
    out += fmt::format("{} {} {}:{}-{}:{}", to_string(s.kind), s.qualified_name, s.span.start_line, s.span.start_col,
                       s.span.end_line, s.span.end_col);
    if (s.name != s.qualified_name && !s.qualified_name.ends_with(s.name)) out += fmt::format(" name={}", s.name);
    if (s.parent >= 0) out += fmt::format(" parent={}", owner_name(p, s.parent));
    if (!s.exported) out += " private";
    if (!s.signature.empty()) out += fmt::format(" sig=<{}>", s.signature);
    if (!s.doc.empty()) out += fmt::format(" doc=<{}>", first_line(s.doc));
    out += '\n';
  }
  for (const Reference& r : p.references) {
    out += fmt::format("ref {} {}{}{} from={} @{}:{}\n", to_string(r.kind), r.qualifier, r.qualifier.empty() ? "" : "~",
                       r.name, owner_name(p, r.from), r.line, r.col);
  }
  for (const Import& imp : p.imports) {
    out += fmt::format("import {}", imp.module);
    if (!imp.alias.empty()) out += fmt::format(" as {}", imp.alias);
    if (!imp.names.empty()) {
      out += " names=";
      for (std::size_t i = 0; i < imp.names.size(); ++i) {
        if (i) out += ',';
        out += imp.names[i].name;
        if (!imp.names[i].alias.empty()) out += " as " + imp.names[i].alias;
      }
    }
    if (imp.system) out += " system";
    if (imp.symbol < 0) out += " no-symbol";
    out += fmt::format(" @{}\n", imp.line);
  }
  if (p.error_nodes > 0) out += fmt::format("errors {}\n", p.error_nodes);
  return out;
}

}  // namespace cci::testing
