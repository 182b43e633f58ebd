#include "parse/parser.h"

#include <tree_sitter/api.h>

#include <fmt/format.h>

#include <chrono>

#include "parse/extractors/extractors.h"
#include "parse/ts_util.h"

extern "C" {
const TSLanguage* tree_sitter_python();
const TSLanguage* tree_sitter_javascript();
const TSLanguage* tree_sitter_typescript();
const TSLanguage* tree_sitter_tsx();
const TSLanguage* tree_sitter_java();
const TSLanguage* tree_sitter_go();
const TSLanguage* tree_sitter_rust();
const TSLanguage* tree_sitter_c();
const TSLanguage* tree_sitter_cpp();
}

namespace cci::parse {
namespace {

const TSLanguage* grammar_for(Language lang) {
  switch (lang) {
    case Language::Python: return tree_sitter_python();
    case Language::JavaScript: return tree_sitter_javascript();
    case Language::TypeScript: return tree_sitter_typescript();
    case Language::Tsx: return tree_sitter_tsx();
    case Language::Java: return tree_sitter_java();
    case Language::Go: return tree_sitter_go();
    case Language::Rust: return tree_sitter_rust();
    case Language::C: return tree_sitter_c();
    case Language::Cpp: return tree_sitter_cpp();
    case Language::Unknown: break;
  }
  return nullptr;
}

std::string_view basename(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Upper bound on the time one file may take to parse; pathological inputs are reported as
// partially parsed instead of stalling a worker.
constexpr std::chrono::seconds kParseTimeout{10};

}  // namespace

bool is_supported(Language lang) { return grammar_for(lang) != nullptr; }

struct Parser::Impl {
  TSParser* parser = ts_parser_new();
  ~Impl() { ts_parser_delete(parser); }
};

Parser::Parser() : impl_(std::make_unique<Impl>()) {}
Parser::~Parser() = default;

Result<ParsedFile> Parser::parse(std::string_view path, Language lang, std::string_view content) {
  const TSLanguage* grammar = grammar_for(lang);
  if (grammar == nullptr) return make_error(ErrorCode::Unsupported, fmt::format("{}: no grammar for this language", path));
  if (!ts_parser_set_language(impl_->parser, grammar))
    return make_error(ErrorCode::Internal, fmt::format("{}: grammar ABI mismatch for {}", path, to_string(lang)));
  if (content.size() > UINT32_MAX) return make_error(ErrorCode::InvalidArgument, fmt::format("{}: file too large", path));

  ParsedFile out;
  out.language = lang;
  out.path = std::string(path);
  for (char c : content) out.line_count += (c == '\n');
  if (!content.empty() && content.back() != '\n') ++out.line_count;

  Symbol file;
  file.kind = SymbolKind::File;
  file.name = std::string(basename(path));
  file.qualified_name = out.path;
  file.span = Span{1, 1, std::max<std::uint32_t>(out.line_count, 1), 1};
  out.symbols.push_back(std::move(file));

  // Returning true from the progress callback aborts the parse.
  struct Budget {
    std::chrono::steady_clock::time_point deadline;
  } budget{std::chrono::steady_clock::now() + kParseTimeout};
  TSParseOptions options{};
  options.payload = &budget;
  options.progress_callback = [](TSParseState* state) {
    return std::chrono::steady_clock::now() > static_cast<Budget*>(state->payload)->deadline;
  };
  struct Source {
    std::string_view bytes;
  } source{content};
  TSInput input{};
  input.payload = &source;
  input.encoding = TSInputEncodingUTF8;
  input.read = [](void* payload, std::uint32_t byte, TSPoint, std::uint32_t* bytes_read) -> const char* {
    const auto* src = static_cast<Source*>(payload);
    if (byte >= src->bytes.size()) {
      *bytes_read = 0;
      return "";
    }
    *bytes_read = static_cast<std::uint32_t>(src->bytes.size() - byte);
    return src->bytes.data() + byte;
  };
  ts_parser_reset(impl_->parser);
  TSTree* tree = ts_parser_parse_with_options(impl_->parser, nullptr, input, options);
  if (tree == nullptr) {
    out.error_nodes = 1;
    return out;  // nothing to extract, but the file itself is still known
  }
  TSNode root = ts_tree_root_node(tree);
  out.error_nodes = detail::count_error_nodes(root);
  detail::Context ctx{content, out};
  switch (lang) {
    case Language::Python: detail::extract_python(root, ctx); break;
    case Language::JavaScript:
    case Language::TypeScript:
    case Language::Tsx: detail::extract_javascript(root, ctx); break;
    case Language::Java: detail::extract_java(root, ctx); break;
    case Language::Go: detail::extract_go(root, ctx); break;
    case Language::Rust: detail::extract_rust(root, ctx); break;
    case Language::C:
    case Language::Cpp: detail::extract_c_family(root, ctx); break;
    case Language::Unknown: break;
  }
  ts_tree_delete(tree);
  return out;
}

}  // namespace cci::parse
