// scan/language.cpp — which language a file is in, and the content checks that veto indexing.
#include "scan/language.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>

#include "scan/scanner.h"

namespace cci::scan {
namespace {

std::string_view file_name(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The extension without its dot; empty for "Makefile" and for dotfiles such as ".bashrc".
std::string_view extension(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return name.substr(dot + 1);
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequals(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

struct ExtensionEntry {
  std::string_view ext;
  Language lang;
};
constexpr std::array kExtensions = {
    ExtensionEntry{"py", Language::Python},      ExtensionEntry{"pyi", Language::Python},
    ExtensionEntry{"pyw", Language::Python},     ExtensionEntry{"js", Language::JavaScript},
    ExtensionEntry{"jsx", Language::JavaScript}, ExtensionEntry{"mjs", Language::JavaScript},
    ExtensionEntry{"cjs", Language::JavaScript}, ExtensionEntry{"ts", Language::TypeScript},
    ExtensionEntry{"mts", Language::TypeScript}, ExtensionEntry{"cts", Language::TypeScript},
    ExtensionEntry{"tsx", Language::Tsx},        ExtensionEntry{"java", Language::Java},
    ExtensionEntry{"go", Language::Go},          ExtensionEntry{"rs", Language::Rust},
    ExtensionEntry{"c", Language::C},            ExtensionEntry{"h", Language::C},
    ExtensionEntry{"cc", Language::Cpp},         ExtensionEntry{"cpp", Language::Cpp},
    ExtensionEntry{"cxx", Language::Cpp},        ExtensionEntry{"c++", Language::Cpp},
    ExtensionEntry{"hh", Language::Cpp},         ExtensionEntry{"hpp", Language::Cpp},
    ExtensionEntry{"hxx", Language::Cpp},        ExtensionEntry{"h++", Language::Cpp},
    ExtensionEntry{"ipp", Language::Cpp},        ExtensionEntry{"tpp", Language::Cpp},
};

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// A minimal C/C++ tokenizer: enough to skip comments, literals and preprocessor lines and to
// look one or two tokens ahead.
class Tokens {
 public:
  explicit Tokens(std::string_view text) : text_(text) {}

  // Skips blanks and comments; returns false at the end of the text.
  bool skip_blank() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        ++pos_;
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
        skip_line();
      } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
        const std::size_t end = text_.find("*/", pos_ + 2);
        pos_ = end == std::string_view::npos ? text_.size() : end + 2;
      } else {
        return true;
      }
    }
    return false;
  }

  void skip_line() {
    while (pos_ < text_.size()) {
      const std::size_t nl = text_.find('\n', pos_);
      if (nl == std::string_view::npos) {
        pos_ = text_.size();
        return;
      }
      const bool continued = nl > 0 && text_[nl - 1] == '\\';
      pos_ = nl + 1;
      if (!continued) return;
    }
  }

  std::string_view ident() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && is_ident_char(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  std::size_t pos() const { return pos_; }
  void seek(std::size_t pos) { pos_ = pos; }
  void advance(std::size_t n = 1) { pos_ = std::min(text_.size(), pos_ + n); }
  std::string_view text() const { return text_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

// "#include <vector>": C headers always carry an extension, the C++ standard ones never do.
bool cpp_include(std::string_view directive_line) {
  std::size_t i = directive_line.find("include");
  if (i == std::string_view::npos) return false;
  i = directive_line.find_first_not_of(" \t", i + 7);
  if (i == std::string_view::npos || directive_line[i] != '<') return false;
  const std::size_t close = directive_line.find('>', i);
  if (close == std::string_view::npos) return false;
  const std::string_view header = directive_line.substr(i + 1, close - i - 1);
  return !header.empty() && header.find('.') == std::string_view::npos;
}

bool is_comment_leader(std::string_view line) {
  for (std::string_view leader : {"//", "#", "/*", "*", "--", "<!--", "\"\"\"", "'''", ";"}) {
    if (line.starts_with(leader)) return true;
  }
  return false;
}

}  // namespace

std::string_view to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::Ignored: return "ignored";
    case SkipReason::TooLarge: return "too-large";
    case SkipReason::Binary: return "binary";
    case SkipReason::Minified: return "minified";
    case SkipReason::Generated: return "generated";
    case SkipReason::Unreadable: return "unreadable";
    case SkipReason::InvalidEncoding: return "invalid-encoding";
    case SkipReason::SymlinkLoop: return "symlink-loop";
  }
  return "unknown";
}

Language language_for_path(std::string_view path) {
  const std::string_view ext = extension(file_name(path));
  if (ext.empty() || ext.size() > 4) return Language::Unknown;
  if (ext == "C" || ext == "H") return Language::Cpp;  // the traditional Unix C++ spelling
  for (const auto& entry : kExtensions) {
    if (iequals(entry.ext, ext)) return entry.lang;
  }
  return Language::Unknown;
}

Language language_from_shebang(std::string_view head) {
  if (!head.starts_with("#!")) return Language::Unknown;
  std::string_view line = head.substr(2);
  if (const std::size_t nl = line.find('\n'); nl != std::string_view::npos) line = line.substr(0, nl);
  std::string_view interpreter;
  bool via_env = false;
  while (!line.empty()) {
    const std::size_t start = line.find_first_not_of(" \t\r");
    if (start == std::string_view::npos) break;
    line.remove_prefix(start);
    const std::size_t end = std::min(line.find_first_of(" \t\r"), line.size());
    std::string_view token = line.substr(0, end);
    line.remove_prefix(end);
    std::string_view base = file_name(token);
    if (interpreter.empty() && !via_env) {
      if (base == "env") {
        via_env = true;
        continue;
      }
      interpreter = base;
      break;
    }
    // After env: skip options (-S, -i) and VAR=value assignments.
    if (token.starts_with('-') || token.find('=') != std::string_view::npos) continue;
    interpreter = base;
    break;
  }
  if (interpreter.starts_with("python") || interpreter.starts_with("pypy")) return Language::Python;
  if (interpreter == "deno" || interpreter == "ts-node" || interpreter == "tsx") return Language::TypeScript;
  if (interpreter.starts_with("node") || interpreter == "bun") return Language::JavaScript;
  return Language::Unknown;
}

bool is_known_non_script_name(std::string_view name) {
  static constexpr std::array<std::string_view, 30> kNames = {
      "Makefile", "makefile", "GNUmakefile", "Kconfig",  "Kbuild",    "Dockerfile", "Containerfile", "LICENSE",
      "LICENCE",  "COPYING",  "README",      "CHANGELOG", "CHANGES",  "AUTHORS",    "CONTRIBUTORS",  "MAINTAINERS",
      "CREDITS",  "NOTICE",   "INSTALL",     "NEWS",      "VERSION",  "OWNERS",     "CODEOWNERS",    "Gemfile",
      "Rakefile", "Procfile", "Vagrantfile", "Jenkinsfile", "BUILD",  "WORKSPACE"};
  return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

bool looks_like_cpp(std::string_view content) {
  Tokens t(content.substr(0, 64 * 1024));
  char prev_punct = ';';           // the last non-identifier token, ';' at the start
  std::string_view prev_ident;     // the identifier right before the current one, if adjacent
  bool line_start = true;
  while (t.skip_blank()) {
    const std::size_t here = t.pos();
    line_start = here == 0 || t.text().substr(0, here).find_last_not_of(" \t") == std::string_view::npos ||
                 t.text()[t.text().substr(0, here).find_last_not_of(" \t")] == '\n';
    const char c = t.peek();
    if (c == '#' && line_start) {
      const std::size_t start = t.pos();
      t.skip_line();
      if (cpp_include(t.text().substr(start, t.pos() - start))) return true;
      prev_punct = ';';
      prev_ident = {};
      continue;
    }
    if (c == '"' || c == '\'') {
      t.advance();
      while (t.peek() != '\0' && t.peek() != c && t.peek() != '\n') t.advance(t.peek() == '\\' ? 2 : 1);
      t.advance();
      prev_punct = 'x';
      prev_ident = {};
      continue;
    }
    if (!is_ident_start(c)) {
      if (c == ':' && t.peek(1) == ':') {
        t.advance(2);
        prev_punct = ':';
        continue;
      }
      prev_punct = c;
      prev_ident = {};
      t.advance();
      continue;
    }
    const std::string_view word = t.ident();
    const std::size_t after = t.pos();
    t.skip_blank();
    const char next = t.peek();
    const char next2 = t.peek(1);
    if (word == "namespace" && (next == '{' || is_ident_start(next))) return true;
    if (word == "template" && next == '<') return true;
    if ((word == "public" || word == "private" || word == "protected") && next == ':' && next2 != ':' &&
        (prev_punct == '{' || prev_punct == ';' || prev_punct == '}') && prev_ident.empty()) {
      return true;
    }
    if (word == "class" && prev_ident != "struct" && prev_ident != "union" && is_ident_start(next)) {
      const std::size_t save = t.pos();
      t.ident();
      t.skip_blank();
      std::size_t mark = t.pos();
      const std::string_view final_kw = is_ident_start(t.peek()) ? t.ident() : std::string_view{};
      if (final_kw != "final") t.seek(mark);
      t.skip_blank();
      if (t.peek() == '{' || (t.peek() == ':' && t.peek(1) != ':')) return true;
      t.seek(save);
    }
    // Scope resolution between identifiers (std::string, Foo::bar); C23 attributes ([[gnu::x]])
    // are the one C use of "::" and always follow '[' or ','.
    if (next == ':' && next2 == ':' && prev_punct != '[' && prev_punct != ',') {
      t.advance(2);
      t.skip_blank();
      if (is_ident_start(t.peek()) || t.peek() == '~') return true;
    }
    t.seek(after);
    prev_ident = word;
    prev_punct = 'x';
  }
  return false;
}

Language detect_language(std::string_view path, std::string_view content_head, bool project_has_c,
                         bool project_has_cpp) {
  const std::string_view name = file_name(path);
  const Language by_name = language_for_path(name);
  if (by_name == Language::Unknown) {
    if (name.find('.') == std::string_view::npos) return language_from_shebang(content_head);
    return Language::Unknown;
  }
  const std::string_view ext = extension(name);
  if (ext == "h") {
    if (looks_like_cpp(content_head)) return Language::Cpp;
    if (project_has_c || !project_has_cpp) return Language::C;
    return Language::Cpp;
  }
  return by_name;
}

std::optional<SkippedFile> classify_content(std::string_view path, std::string_view content) {
  const std::string_view sniff = content.substr(0, 8 * 1024);
  if (const void* nul = std::memchr(sniff.data(), '\0', sniff.size())) {
    const auto offset = static_cast<const char*>(nul) - sniff.data();
    return SkippedFile{std::string(path), SkipReason::Binary, fmt::format("NUL byte at offset {}", offset)};
  }

  // Generated markers count only inside a comment-looking line among the first five, so a
  // string literal or identifier that happens to contain the words does not trip them.
  std::string_view rest = content.substr(0, 4096);
  std::string_view lines[5];
  std::size_t line_count = 0;
  bool mentions_generated = false;
  while (line_count < 5 && !rest.empty()) {
    const std::size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    const std::size_t first = line.find_first_not_of(" \t");
    line = first == std::string_view::npos ? std::string_view{} : line.substr(first);
    if (icontains(line, "generated")) mentions_generated = true;
    lines[line_count++] = line;
  }
  for (std::size_t i = 0; i < line_count; ++i) {
    const std::string_view line = lines[i];
    if (!is_comment_leader(line)) continue;
    std::string_view marker;
    if (line.find("@generated") != std::string_view::npos) marker = "@generated";
    else if (line.find("DO NOT EDIT") != std::string_view::npos) marker = "DO NOT EDIT";
    else if (icontains(line, "code generated by")) marker = "Code generated by";
    else if (icontains(line, "autogenerated") || icontains(line, "auto-generated")) marker = "autogenerated";
    else if (icontains(line, "automatically generated")) marker = "automatically generated";
    else if (mentions_generated && icontains(line, "do not edit")) marker = "do not edit";
    if (!marker.empty()) {
      return SkippedFile{std::string(path), SkipReason::Generated, fmt::format("line {}: {}", i + 1, marker)};
    }
  }

  // Minified: long lines on average AND almost no bytes in ordinary-length lines, so a normal
  // source file with one huge table or data line is still indexed.
  if (content.size() > 2 * 1024) {
    const std::string_view sample = content.substr(0, 256 * 1024);
    std::size_t lines_seen = 0;
    std::size_t short_bytes = 0;
    std::size_t pos = 0;
    while (pos < sample.size()) {
      const void* nl = std::memchr(sample.data() + pos, '\n', sample.size() - pos);
      const std::size_t end = nl == nullptr ? sample.size() : static_cast<std::size_t>(static_cast<const char*>(nl) - sample.data());
      const std::size_t len = end - pos;
      if (len <= 300) short_bytes += len + 1;
      ++lines_seen;
      pos = end + 1;
    }
    const std::size_t average = sample.size() / std::max<std::size_t>(lines_seen, 1);
    if (average > 200 && short_bytes * 10 < sample.size()) {
      return SkippedFile{std::string(path), SkipReason::Minified,
                         fmt::format("average line length {} bytes over {} lines", average, lines_seen)};
    }
  }
  return std::nullopt;
}

}  // namespace cci::scan
