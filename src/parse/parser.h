// parse/parser.h — turns one source file into a ParsedFile with tree-sitter.
//
// Languages: Python, JavaScript (+JSX), TypeScript, TSX, Java, Go, Rust, C, C++. Extraction is
// error-tolerant: a file with syntax errors yields what the tree still has, and
// ParsedFile::error_nodes says how much was damaged. Traversals are iterative, so deeply nested
// input cannot overflow the stack.
//
// Thread safety: a Parser owns a TSParser and must be used by one thread at a time; create one
// per worker thread. Different Parsers are independent.
#pragma once

#include <memory>
#include <string_view>

#include "core/model.h"
#include "core/result.h"

namespace cci::parse {

bool is_supported(Language lang);

class Parser {
 public:
  Parser();
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // `path` is project-relative ('/'-separated); it names the file symbol and derives module names.
  Result<ParsedFile> parse(std::string_view path, Language lang, std::string_view content);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cci::parse
