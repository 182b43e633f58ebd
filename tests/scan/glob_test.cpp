// tests/scan/glob_test.cpp — the wildcard matcher and compiled ignore files, without the walker.
#include "scan/glob.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "scan/ignore.h"

namespace cci::scan {
namespace {

TEST(Glob, StarAndQuestionStayWithinAComponent) {
  EXPECT_TRUE(glob_match("*.py", "a.py"));
  EXPECT_TRUE(glob_match("*.py", ".py"));
  EXPECT_FALSE(glob_match("*.py", "a/b.py"));
  EXPECT_TRUE(glob_match("a?c", "abc"));
  EXPECT_FALSE(glob_match("a?c", "a/c"));
  EXPECT_FALSE(glob_match("a?c", "ac"));
  EXPECT_TRUE(glob_match("foo*bar*baz", "fooXbarYYbaz"));
  EXPECT_FALSE(glob_match("foo*bar*baz", "fooXbarYYba"));
  EXPECT_TRUE(glob_match("*", "anything"));
  EXPECT_FALSE(glob_match("*", "any/thing"));
}

TEST(Glob, DoubleStarSegments) {
  EXPECT_TRUE(glob_match("**/foo", "foo"));
  EXPECT_TRUE(glob_match("**/foo", "a/b/foo"));
  EXPECT_FALSE(glob_match("**/foo", "a/bfoo"));
  EXPECT_TRUE(glob_match("abc/**", "abc/x"));
  EXPECT_TRUE(glob_match("abc/**", "abc/x/y/z"));
  EXPECT_FALSE(glob_match("abc/**", "abc"));
  EXPECT_TRUE(glob_match("a/**/b", "a/b"));
  EXPECT_TRUE(glob_match("a/**/b", "a/x/b"));
  EXPECT_TRUE(glob_match("a/**/b", "a/x/y/b"));
  EXPECT_FALSE(glob_match("a/**/b", "a/x/yb"));
  // Not a whole segment: behaves like a single star.
  EXPECT_TRUE(glob_match("a**b", "aXXb"));
  EXPECT_FALSE(glob_match("a**b", "a/b"));
}

TEST(Glob, CharacterClasses) {
  EXPECT_TRUE(glob_match("[abc].py", "b.py"));
  EXPECT_FALSE(glob_match("[abc].py", "d.py"));
  EXPECT_TRUE(glob_match("[a-c]x", "bx"));
  EXPECT_TRUE(glob_match("[!a-c]x", "dx"));
  EXPECT_FALSE(glob_match("[!a-c]x", "ax"));
  EXPECT_TRUE(glob_match("[^a]x", "bx"));
  EXPECT_TRUE(glob_match("[]]x", "]x"));
  EXPECT_TRUE(glob_match("[[:digit:]]*", "7up"));
  EXPECT_FALSE(glob_match("[[:digit:]]*", "up"));
  EXPECT_FALSE(glob_match("a[/]b", "a/b"));
  EXPECT_TRUE(glob_match("[", "["));  // unterminated: literal
}

TEST(Glob, EscapesAndHelpers) {
  EXPECT_TRUE(glob_match("\\*", "*"));
  EXPECT_FALSE(glob_match("\\*", "x"));
  EXPECT_TRUE(glob_match("\\#x", "#x"));
  EXPECT_FALSE(has_wildcard("a\\*b"));
  EXPECT_TRUE(has_wildcard("a*b"));
  EXPECT_EQ(unescape_glob("\\!important"), "!important");
}

const IgnorePattern* match(const IgnoreFile& f, std::string_view rel, bool is_dir = false) {
  const std::size_t slash = rel.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
  const std::size_t depth = static_cast<std::size_t>(std::count(rel.begin(), rel.end(), '/')) + 1;
  return f.match(rel, name, depth, is_dir);
}

TEST(IgnoreFile, ParsesCommentsEscapesAndSpaces) {
  IgnoreFile f(".gitignore", "", "# comment\n\n\\#hash\n\\!bang\ntrail   \nkeep\\ \r\n");
  ASSERT_EQ(f.patterns().size(), 4u);
  EXPECT_NE(match(f, "#hash"), nullptr);
  EXPECT_EQ(match(f, "comment"), nullptr);
  EXPECT_NE(match(f, "!bang"), nullptr);
  EXPECT_NE(match(f, "trail"), nullptr);
  EXPECT_EQ(match(f, "trail "), nullptr);
  EXPECT_NE(match(f, "keep "), nullptr);
  EXPECT_EQ(f.patterns()[0].line, 3u);
}

TEST(IgnoreFile, LastMatchingRuleWins) {
  IgnoreFile f(".gitignore", "", "*.log\n!keep.log\n");
  const IgnorePattern* p = match(f, "a.log");
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->negated);
  p = match(f, "keep.log");
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(p->negated);
  IgnoreFile g(".gitignore", "", "!keep.log\n*.log\n");
  EXPECT_FALSE(match(g, "keep.log")->negated);
}

TEST(IgnoreFile, AnchoringAndBase) {
  IgnoreFile f("src/.gitignore", "src", "/top.py\nsub/deep.py\nany.py\ndir/\n");
  EXPECT_NE(match(f, "src/top.py"), nullptr);
  EXPECT_EQ(match(f, "src/x/top.py"), nullptr);
  EXPECT_NE(match(f, "src/sub/deep.py"), nullptr);
  EXPECT_EQ(match(f, "src/a/sub/deep.py"), nullptr);
  EXPECT_NE(match(f, "src/a/b/any.py"), nullptr);
  EXPECT_NE(match(f, "src/x/dir", true), nullptr);
  EXPECT_EQ(match(f, "src/x/dir", false), nullptr);
  EXPECT_EQ(match(f, "src", true), nullptr);  // the directory holding the file is outside its reach
}

TEST(IgnoreFile, IndexedKindsAgreeWithOrder) {
  // Literal, suffix and glob rules live in different lookup tables; the file order must still win.
  IgnoreFile f(".gitignore", "", "*.gen.c\nfoo.gen.c\n!foo*\n");
  EXPECT_TRUE(match(f, "foo.gen.c")->negated);
  EXPECT_FALSE(match(f, "bar.gen.c")->negated);
  IgnoreFile g(".gitignore", "", "!foo*\nfoo.gen.c\n*.gen.c\n");
  EXPECT_FALSE(match(g, "foo.gen.c")->negated);
}

TEST(IgnoreFile, DefaultsCompile) {
  IgnoreFile defaults("defaults", "", default_patterns(), false);
  EXPECT_NE(match(defaults, "a/node_modules", true), nullptr);
  EXPECT_NE(match(defaults, "x/app.min.js"), nullptr);
  EXPECT_NE(match(defaults, "libz.so.1"), nullptr);
  EXPECT_NE(match(defaults, "cmake-build-debug", true), nullptr);
  EXPECT_EQ(match(defaults, "src/main.c"), nullptr);
  EXPECT_EQ(match(defaults, "vendor", true), nullptr);
  EXPECT_EQ(match(defaults, "build"), nullptr);  // a file named build is not a build directory
}

}  // namespace
}  // namespace cci::scan
