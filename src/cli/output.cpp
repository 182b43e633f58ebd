#include "cli/output.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace cci::cli {

rpc::Json to_json(const store::SymbolRecord& s, bool with_doc) {
  rpc::Json j = {
      {"id", s.id},
      {"name", s.name},
      {"qualified_name", s.qualified_name},
      {"kind", to_string(s.kind)},
      {"language", to_string(s.language)},
      {"path", s.path},
      {"line", s.span.start_line},
      {"column", s.span.start_col},
      {"end_line", s.span.end_line},
      {"end_column", s.span.end_col},
      {"signature", s.signature},
      {"exported", s.exported},
      {"importance", s.importance},
      {"pagerank", s.pagerank},
      {"in_degree", s.in_degree},
      {"out_degree", s.out_degree},
      {"tags", s.tags},
  };
  if (s.parent_id != 0) j["parent_id"] = s.parent_id;
  if (with_doc && !s.doc.empty()) j["doc"] = s.doc;
  return j;
}

rpc::Json to_json(const store::EdgeRecord& e) {
  rpc::Json j = {{"kind", to_string(e.kind)},     {"source", e.source},
                      {"resolution", to_string(e.resolution)}, {"name", e.target_name},
                      {"line", e.line},                {"column", e.col}};
  j["target"] = e.target == 0 ? rpc::Json(nullptr) : rpc::Json(e.target);
  return j;
}

std::string location(const store::SymbolRecord& s) { return s.path + ":" + std::to_string(s.span.start_line); }

std::string shorten(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t cut = max > 3 ? max - 3 : max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "...";
}

std::string doc_summary(std::string_view doc, std::size_t max) {
  auto nl = doc.find('\n');
  return shorten(doc.substr(0, nl), max);
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }
bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void print(std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EPIPE: the reader went away; nothing useful to do
    }
    done += static_cast<std::size_t>(n);
  }
}

void print_json(const rpc::Json& value) {
  print(value.dump(2, ' ', false, rpc::Json::error_handler_t::replace));
  print("\n");
}

void print_error(std::string_view message) {
  std::string line = "cci: ";
  line += message;
  line += '\n';
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace cci::cli
