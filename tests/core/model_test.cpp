#include "core/model.h"

#include <gtest/gtest.h>

#include "core/paths.h"

namespace cci {
namespace {

TEST(Model, LanguageNamesRoundTrip) {
  for (Language lang : kAllLanguages) {
    auto parsed = language_from_string(to_string(lang));
    ASSERT_TRUE(parsed.has_value()) << to_string(lang);
    EXPECT_EQ(*parsed, lang);
  }
  EXPECT_EQ(language_from_string("c++"), Language::Cpp);
  EXPECT_FALSE(language_from_string("cobol").has_value());
}

TEST(Model, KindAndResolutionNamesRoundTrip) {
  for (int k = 0; k <= static_cast<int>(SymbolKind::Import); ++k) {
    auto kind = static_cast<SymbolKind>(k);
    EXPECT_EQ(symbol_kind_from_string(to_string(kind)), kind);
  }
  for (int r = 0; r <= static_cast<int>(Resolution::Unresolved); ++r) {
    auto res = static_cast<Resolution>(r);
    EXPECT_EQ(resolution_from_string(to_string(res)), res);
  }
  EXPECT_EQ(to_string(Resolution::UniqueName), "unique-name");
}

TEST(Paths, SafeRelativeRejectsEscapes) {
  EXPECT_TRUE(is_safe_relative("a/b.py"));
  EXPECT_FALSE(is_safe_relative("../a.py"));
  EXPECT_FALSE(is_safe_relative("a/../../b"));
  EXPECT_FALSE(is_safe_relative("/etc/passwd"));
  EXPECT_FALSE(is_safe_relative(""));
  EXPECT_EQ(relative_to("/r", "/r/a/b.py"), "a/b.py");
  EXPECT_EQ(relative_to("/r", "/x/b.py"), "");
}

TEST(Paths, FormatBytes) {
  EXPECT_EQ(format_bytes(12), "12 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(3u << 20), "3.0 MiB");
}

}  // namespace
}  // namespace cci
