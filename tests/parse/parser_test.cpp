// Robustness of the parser on hostile input: it must never crash, recurse unboundedly or hang.
#include "parse/parser.h"

#include <gtest/gtest.h>

#include <string>

namespace cci {
namespace {

TEST(Parser, EveryLanguageIsSupported) {
  for (Language lang : kAllLanguages) EXPECT_TRUE(parse::is_supported(lang)) << to_string(lang);
  EXPECT_FALSE(parse::is_supported(Language::Unknown));
}

TEST(Parser, FileSymbolComesFirst) {
  parse::Parser parser;
  auto parsed = parser.parse("pkg/a.py", Language::Python, "x = 1\n");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_FALSE(parsed->symbols.empty());
  EXPECT_EQ(parsed->symbols[0].kind, SymbolKind::File);
  EXPECT_EQ(parsed->symbols[0].name, "a.py");
  EXPECT_EQ(parsed->line_count, 1u);
}

TEST(Parser, DeepNestingDoesNotOverflowTheStack) {
  parse::Parser parser;
  std::string deep(200000, '(');
  for (Language lang : kAllLanguages) {
    auto parsed = parser.parse("deep", lang, deep);
    ASSERT_TRUE(parsed.has_value()) << to_string(lang);
  }
  std::string nested_blocks;
  for (int i = 0; i < 20000; ++i) nested_blocks += "if (x) {\n";
  auto parsed = parser.parse("deep.c", Language::C, nested_blocks);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_GT(parsed->error_nodes, 0u);
}

TEST(Parser, InvalidUtf8AndNulBytesAreTolerated) {
  parse::Parser parser;
  std::string junk = "def f():\n    return '\xff\xfe\x80'\n";
  junk += std::string("\0\0\0", 3);
  auto parsed = parser.parse("junk.py", Language::Python, junk);
  ASSERT_TRUE(parsed.has_value());
}

TEST(Parser, HugeLineIsParsed) {
  parse::Parser parser;
  std::string line = "var x = [" ;
  for (int i = 0; i < 200000; ++i) line += "1,";
  line += "1];\nfunction after() {}\n";
  auto parsed = parser.parse("big.js", Language::JavaScript, line);
  ASSERT_TRUE(parsed.has_value());
}

TEST(Parser, SyntaxErrorsArePartialNotFatal) {
  parse::Parser parser;
  auto parsed = parser.parse("broken.py", Language::Python, "def ok():\n    pass\n\ndef broken(:\n    pass\n");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_GT(parsed->error_nodes, 0u);
}

}  // namespace
}  // namespace cci
