// tests/scan/ignore_test.cpp — gitignore semantics as the walker applies them to real trees.
#include <gtest/gtest.h>

#include "scan/scanner.h"
#include "scan_test_util.h"
#include "temp_dir.h"

namespace cci::scan {
namespace {

using cci::testing::TempDir;
using test::scanned;
using Paths = std::vector<std::string>;

TEST(Gitignore, BasenamePatternsApplyAtEveryDepth) {
  TempDir dir;
  dir.write_all({{".gitignore", "*.gen.py\nsecret.py\n"},
                 {"a.py", ""},
                 {"a.gen.py", ""},
                 {"x/y/b.gen.py", ""},
                 {"x/y/secret.py", ""},
                 {"x/y/c.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"a.py", "x/y/c.py"}));
}

TEST(Gitignore, NegationReincludes) {
  TempDir dir;
  dir.write_all({{".gitignore", "*.py\n!keep.py\n"}, {"a.py", ""}, {"keep.py", ""}, {"sub/keep.py", ""}, {"m.go", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"keep.py", "m.go", "sub/keep.py"}));
}

TEST(Gitignore, NegationCannotReincludeBelowExcludedDirectory) {
  TempDir dir;
  dir.write_all({{".gitignore", "gen/\n!gen/keep.py\n"}, {"gen/keep.py", ""}, {"gen/other.py", ""}, {"a.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"a.py"}));
}

TEST(Gitignore, ContentsPatternAllowsReinclusion) {
  // "gen/*" excludes the children, not the directory, so a negation can bring one back.
  TempDir dir;
  dir.write_all({{".gitignore", "/gen/*\n!/gen/keep.py\n"}, {"gen/keep.py", ""}, {"gen/other.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"gen/keep.py"}));
}

TEST(Gitignore, LeadingSlashAnchorsToTheFilesDirectory) {
  TempDir dir;
  dir.write_all({{".gitignore", "/top.py\n"},
                 {"top.py", ""},
                 {"sub/top.py", ""},
                 {"sub/.gitignore", "/inner.py\n"},
                 {"sub/inner.py", ""},
                 {"inner.py", ""},
                 {"sub/deeper/inner.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"inner.py", "sub/deeper/inner.py", "sub/top.py"}));
}

TEST(Gitignore, MiddleSlashAnchors) {
  TempDir dir;
  dir.write_all({{".gitignore", "docs/gen.py\n"}, {"docs/gen.py", ""}, {"x/docs/gen.py", ""}, {"gen.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"gen.py", "x/docs/gen.py"}));
}

TEST(Gitignore, TrailingSlashMatchesDirectoriesOnly) {
  TempDir dir;
  dir.write_all({{".gitignore", "tmp/\n"}, {"tmp/a.py", ""}, {"x/tmp/b.py", ""}, {"y/tmp", "file named tmp"}, {"c.py", ""}});
  auto result = test::scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"c.py"}));
  EXPECT_EQ(result.unsupported_count, 2u);  // .gitignore and y/tmp: a file, so not matched
}

TEST(Gitignore, DoubleStarForms) {
  TempDir dir;
  dir.write_all({{".gitignore", "**/fixtures\nlogs/**\na/**/z.py\n"},
                 {"fixtures/f.py", ""},
                 {"p/q/fixtures/f.py", ""},
                 {"logs/l.py", ""},
                 {"logs/deep/l.py", ""},
                 {"x/logs/l.py", ""},
                 {"a/z.py", ""},
                 {"a/b/c/z.py", ""},
                 {"b/a/z.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"b/a/z.py", "x/logs/l.py"}));
}

TEST(Gitignore, WildcardsAndClasses) {
  TempDir dir;
  dir.write_all({{".gitignore", "test_?.py\nfile[0-9].py\n*~\n"},
                 {"test_a.py", ""},
                 {"test_ab.py", ""},
                 {"file7.py", ""},
                 {"filex.py", ""},
                 {"b.py~", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"filex.py", "test_ab.py"}));
}

TEST(Gitignore, EscapedHashAndBangAndTrailingSpaces) {
  TempDir dir;
  dir.write_all({{".gitignore", "\\#notes.py\n\\!bang.py\n# a comment.py\nspaced.py   \n"},
                 {"#notes.py", ""},
                 {"!bang.py", ""},
                 {"# a comment.py", ""},
                 {"spaced.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"# a comment.py"}));
}

TEST(Gitignore, DeeperFileOverridesShallower) {
  TempDir dir;
  dir.write_all({{".gitignore", "*.js\n"},
                 {"lib/.gitignore", "!*.js\n"},
                 {"a.js", ""},
                 {"lib/b.js", ""},
                 {"lib/sub/c.js", ""},
                 {"other/d.js", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"lib/b.js", "lib/sub/c.js"}));
}

TEST(Gitignore, NestedFileExcludesWithinItsDirectoryOnly) {
  TempDir dir;
  dir.write_all({{"pkg/.gitignore", "local.py\n"}, {"pkg/local.py", ""}, {"pkg/sub/local.py", ""}, {"local.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"local.py"}));
}

TEST(Gitignore, InfoExcludeAndCciignore) {
  TempDir dir;
  dir.write_all({{".git/info/exclude", "private.py\n"},
                 {".cciignore", "big_fixtures/\n"},
                 {"sub/.cciignore", "*.ts\n"},
                 {"private.py", ""},
                 {"big_fixtures/f.py", ""},
                 {"sub/a.ts", ""},
                 {"b.ts", ""},
                 {"ok.py", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"b.ts", "ok.py"}));
}

TEST(Gitignore, CciignoreOverridesGitignoreAndDefaults) {
  TempDir dir;
  dir.write_all({{".gitignore", "gen.py\n"},
                 {".cciignore", "!gen.py\n!build/\n"},
                 {"gen.py", ""},
                 {"build/tool.py", ""},
                 {"node_modules/m.js", ""}});
  EXPECT_EQ(scanned(dir), (Paths{"build/tool.py", "gen.py"}));
}

TEST(Gitignore, ExtraExcludesWinOverEverything) {
  TempDir dir;
  dir.write_all({{".cciignore", "!keep.py\n"}, {"keep.py", ""}, {"a/b.py", ""}, {"c.py", ""}});
  ScanOptions opts;
  opts.extra_excludes = {"keep.py", "/a/"};
  EXPECT_EQ(scanned(dir, opts), (Paths{"c.py"}));
}

TEST(Gitignore, RecordIgnoredNamesTheRule) {
  TempDir dir;
  dir.write_all({{".gitignore", "# header\nskip.py\n"}, {"skip.py", ""}, {"node_modules/x.js", ""}});
  ScanOptions opts;
  opts.record_ignored = true;
  auto result = test::scan_ok(dir.path(), opts);
  const SkippedFile* s = test::find_skipped(result, "skip.py");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::Ignored);
  EXPECT_EQ(s->detail, ".gitignore:2 skip.py");
  s = test::find_skipped(result, "node_modules");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->detail, "defaults node_modules/");
  EXPECT_EQ(result.ignored_count, 2u);

  // Without the option plain ignores are only counted.
  auto quiet = test::scan_ok(dir.path());
  EXPECT_TRUE(quiet.skipped.empty());
  EXPECT_EQ(quiet.ignored_count, 2u);
}

TEST(Defaults, PruneVcsDependencyBuildAndCacheDirectories) {
  TempDir dir;
  dir.write_all({{".git/hooks/pre-commit.py", ""},
                 {"node_modules/lib/index.js", ""},
                 {"web/node_modules/lib/index.js", ""},
                 {".venv/lib/site.py", ""},
                 {"env/pyvenv.cfg", "home = /usr\n"},
                 {"env/lib/x.py", ""},
                 {"environment/x.py", ""},
                 {"build/out.c", ""},
                 {"cmake-build-debug/gen.cpp", ""},
                 {"__pycache__/m.py", ""},
                 {"target/debug/main.rs", ""},
                 {"static/app.min.js", ""},
                 {"static/app.js", ""},
                 {"api/service_pb2.py", ""},
                 {"logo.png", ""},
                 {"vendor/github.com/x/y.go", ""},
                 {"src/main.c", ""}});
  auto result = test::scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result),
            (Paths{"environment/x.py", "src/main.c", "static/app.js", "vendor/github.com/x/y.go"}));
  EXPECT_GE(result.ignored_count, 12u);
}

TEST(Defaults, GenericOutputNamesOnlyWhereTheyAreOutput) {
  // Linux has drivers/target/ and tools/build/ full of source; Cargo and npm put output beside
  // their manifests.
  TempDir dir;
  dir.write_all({{"drivers/target/core.c", ""},
                 {"tools/build/feature.c", ""},
                 {"crate/Cargo.toml", ""},
                 {"crate/target/debug/gen.rs", ""},
                 {"crate/src/lib.rs", ""},
                 {"web/package.json", "{}"},
                 {"web/dist/app.js", ""},
                 {"web/src/app.ts", ""},
                 {"out/top.go", ""},
                 {"tmpcache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n"},
                 {"tmpcache/x.py", ""}});
  ScanOptions opts;
  opts.record_ignored = true;
  auto result = test::scan_ok(dir.path(), opts);
  EXPECT_EQ(test::paths_of(result),
            (Paths{"crate/src/lib.rs", "drivers/target/core.c", "tools/build/feature.c", "web/src/app.ts"}));
  ASSERT_NE(test::find_skipped(result, "crate/target"), nullptr);
  EXPECT_EQ(test::detail_of(result, "crate/target"), "defaults target/ (beside a project manifest)");
  EXPECT_EQ(test::detail_of(result, "out"), "defaults out/ (top level)");
  EXPECT_EQ(test::detail_of(result, "tmpcache"), "defaults cache directory (CACHEDIR.TAG)");

  auto incremental = scan_paths(dir.path(),
                                {"drivers/target/core.c", "crate/target/debug/gen.rs", "web/dist/app.js", "out/top.go",
                                 "tmpcache/x.py", "tools/build/feature.c"},
                                {});
  ASSERT_TRUE(incremental.has_value());
  EXPECT_EQ(test::paths_of(*incremental), (Paths{"drivers/target/core.c", "tools/build/feature.c"}));
  EXPECT_EQ(incremental->ignored_count, 4u);
}

TEST(EffectivePatterns, ListsDefaultsFilesAndExcludes) {
  TempDir dir;
  dir.write_all({{".gitignore", "# c\n*.log\n"},
                 {".cciignore", "data/\n"},
                 {".git/info/exclude", "mine.py\n"},
                 {"src/.gitignore", "gen/\n"},
                 {"node_modules/.gitignore", "never-read\n"}});
  ScanOptions opts;
  opts.extra_excludes = {"tmp/"};
  auto sources = effective_ignore_patterns(dir.path(), opts);
  ASSERT_TRUE(sources.has_value());
  std::vector<std::string> origins;
  for (const auto& s : *sources) origins.push_back(s.origin);
  EXPECT_EQ(origins, (Paths{"defaults", ".git/info/exclude", ".gitignore", ".cciignore", "src/.gitignore", "--exclude"}));
  EXPECT_EQ((*sources)[2].patterns, (Paths{"*.log"}));
  EXPECT_EQ((*sources)[4].patterns, (Paths{"gen/"}));
  EXPECT_EQ(sources->back().patterns, (Paths{"tmp/"}));
  EXPECT_FALSE((*sources)[0].patterns.empty());
}

}  // namespace
}  // namespace cci::scan
