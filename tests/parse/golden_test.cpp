// Runs every case of tests/parse/corpus/<language>/*.txt through the real parser and compares
// the rendered extraction with the expected text. CCI_UPDATE_GOLDEN=1 rewrites the expectations.
//
// Case format (tree-sitter corpus style):
//   ================
//   case name
//   path: optional/relative/path.ext
//   ================
//   <source>
//   ----------------
//   <expected rendering, see golden.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "golden.h"
#include "parse/parser.h"

namespace cci {
namespace {

namespace fs = std::filesystem;

struct GoldenCase {
  fs::path file;
  std::string name;
  std::string path;
  Language language = Language::Unknown;
  std::string source;
  std::string expected;
  std::size_t ordinal = 0;         // position of the case within its file
  std::size_t expected_begin = 0;  // line range of the expectation, for CCI_UPDATE_GOLDEN
  std::size_t expected_end = 0;
};

bool is_rule(const std::string& line, char c) {
  return line.size() >= 3 && line.find_first_not_of(c) == std::string::npos;
}

std::string default_path(Language lang) {
  switch (lang) {
    case Language::Python: return "sample.py";
    case Language::JavaScript: return "sample.js";
    case Language::TypeScript: return "sample.ts";
    case Language::Tsx: return "sample.tsx";
    case Language::Java: return "Sample.java";
    case Language::Go: return "sample.go";
    case Language::Rust: return "src/sample.rs";
    case Language::C: return "sample.c";
    case Language::Cpp: return "sample.cpp";
    case Language::Unknown: break;
  }
  return "sample.txt";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<GoldenCase> parse_case_file(const fs::path& file) {
  std::vector<GoldenCase> cases;
  const auto lang = language_from_string(file.parent_path().filename().string());
  const auto lines = lines_of(read_text(file));
  std::size_t i = 0;
  while (i < lines.size()) {
    if (!is_rule(lines[i], '=')) {
      ++i;
      continue;
    }
    GoldenCase c;
    c.file = file;
    c.ordinal = cases.size();
    c.language = lang.value_or(Language::Unknown);
    ++i;
    if (i < lines.size()) c.name = lines[i++];
    c.path = default_path(c.language);
    while (i < lines.size() && !is_rule(lines[i], '=')) {
      if (lines[i].starts_with("path: ")) c.path = lines[i].substr(6);
      ++i;
    }
    ++i;  // closing ====
    while (i < lines.size() && !is_rule(lines[i], '-')) c.source += lines[i++] + "\n";
    ++i;  // ----
    c.expected_begin = i;
    while (i < lines.size() && !is_rule(lines[i], '=')) c.expected += lines[i++] + "\n";
    c.expected_end = i;
    while (c.expected.ends_with("\n\n")) c.expected.pop_back();
    cases.push_back(std::move(c));
  }
  return cases;
}

std::vector<GoldenCase> load_cases() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(CCI_CORPUS_DIR)))
    if (entry.is_regular_file() && entry.path().extension() == ".txt") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<GoldenCase> cases;
  for (const fs::path& file : files)
    for (auto& c : parse_case_file(file)) cases.push_back(std::move(c));
  return cases;
}

std::string test_name(const ::testing::TestParamInfo<GoldenCase>& info) {
  std::string name = info.param.file.parent_path().filename().string() + "_" + info.param.name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name + "_" + std::to_string(info.index);
}

// Re-reads the file (earlier rewrites may have moved lines) and replaces this case's expectation.
void rewrite_expectation(const GoldenCase& c, const std::string& actual) {
  const auto fresh = parse_case_file(c.file);
  if (c.ordinal >= fresh.size()) return;
  const GoldenCase& now = fresh[c.ordinal];
  auto lines = lines_of(read_text(c.file));
  std::vector<std::string> replacement = lines_of(actual);
  if (now.expected_end < lines.size()) replacement.push_back("");  // keep a blank line before the next case
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(now.expected_begin),
              lines.begin() + static_cast<std::ptrdiff_t>(std::min(now.expected_end, lines.size())));
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(now.expected_begin), replacement.begin(), replacement.end());
  std::ofstream out(c.file, std::ios::trunc);
  for (const auto& line : lines) out << line << '\n';
}

class Golden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(Golden, ExtractionMatches) {
  const GoldenCase& c = GetParam();
  ASSERT_NE(c.language, Language::Unknown) << "corpus directory must be a language name: " << c.file;
  parse::Parser parser;
  auto parsed = parser.parse(c.path, c.language, c.source);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().describe();
  const std::string actual = testing::render_parsed(*parsed);
  if (std::getenv("CCI_UPDATE_GOLDEN") != nullptr && actual != c.expected) {
    rewrite_expectation(c, actual);
    GTEST_SKIP() << "rewrote expectation in " << c.file;
  }
  EXPECT_EQ(actual, c.expected) << "case '" << c.name << "' in " << c.file
                                << "\n(run with CCI_UPDATE_GOLDEN=1 to accept the new output)";
}

INSTANTIATE_TEST_SUITE_P(Corpus, Golden, ::testing::ValuesIn(load_cases()), test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Golden);

}  // namespace
}  // namespace cci
