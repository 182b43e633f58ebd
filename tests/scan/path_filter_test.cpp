// tests/scan/path_filter_test.cpp — PathFilter answers path by path exactly what scan_tree()
// decides by walking, and follows ignore-file and marker changes once told to.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "scan/scanner.h"
#include "scan_test_util.h"
#include "temp_dir.h"

namespace cci::scan {
namespace {

namespace fs = std::filesystem;
using cci::testing::TempDir;
using Paths = std::vector<std::string>;

struct Listing {
  Paths files;
  Paths dirs;
};

// Everything on disk below the root, ignored or not (no symlinks in these trees).
Listing list_everything(const fs::path& root) {
  Listing out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
    const std::string rel = fs::relative(it->path(), root).generic_string();
    (it->is_directory() ? out.dirs : out.files).push_back(rel);
  }
  std::sort(out.files.begin(), out.files.end());
  std::sort(out.dirs.begin(), out.dirs.end());
  return out;
}

std::string parent_of(const std::string& rel) {
  const auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

PathFilter filter_ok(const fs::path& root, const ScanOptions& options = {}) {
  auto filter = PathFilter::create(root, options);
  EXPECT_TRUE(filter.has_value()) << (filter ? "" : filter.error().describe());
  return std::move(*filter);
}

// Files the filter keeps == files scan_tree() returns (every file here is .py), and the topmost
// directories the filter ignores == the directories scan_tree() reports as pruned.
void expect_agreement(const TempDir& dir, const ScanOptions& base_options) {
  ScanOptions options = base_options;
  options.record_ignored = true;
  const ScanResult scanned = test::scan_ok(dir.path(), options);
  const Listing everything = list_everything(dir.path());
  PathFilter filter = filter_ok(dir.path(), options);

  Paths kept;
  for (const auto& f : everything.files) {
    if (f.ends_with(".py") && !filter.ignored_file(f)) kept.push_back(f);
  }
  EXPECT_EQ(kept, test::paths_of(scanned));

  std::set<std::string> pruned_by_scan;
  for (const auto& s : scanned.skipped) {
    if (s.reason == SkipReason::Ignored && fs::is_directory(dir.path() / s.path)) pruned_by_scan.insert(s.path);
  }
  std::set<std::string> pruned_by_filter;
  for (const auto& d : everything.dirs) {
    if (filter.ignored_dir(d) && !filter.ignored_dir(parent_of(d))) pruned_by_filter.insert(d);
  }
  EXPECT_EQ(pruned_by_filter, pruned_by_scan);
}

TEST(PathFilter, AgreesWithScanTreeOnNestedRules) {
  TempDir dir;
  dir.write_all({
      {".gitignore", "*.gen.py\n/top_only.py\nlogs/\n!keep.gen.py\ndocs/**/draft*.py\n"},
      {".cciignore", "vendor_copy/\n"},
      {".git/info/exclude", "secret.py\n"},
      {".git/HEAD", "ref: refs/heads/main\n"},
      {"a.py", ""},
      {"x.gen.py", ""},
      {"keep.gen.py", ""},
      {"top_only.py", ""},
      {"secret.py", ""},
      {"src/top_only.py", ""},
      {"src/.gitignore", "local_*.py\n!local_keep.py\ninner/\n"},
      {"src/local_a.py", ""},
      {"src/local_keep.py", ""},
      {"src/inner/z.py", ""},
      {"src/deep/.cciignore", "*.py\n!wanted.py\n"},
      {"src/deep/dropped.py", ""},
      {"src/deep/wanted.py", ""},
      {"src/deep/more/also_dropped.py", ""},
      {"logs/l.py", ""},
      {"pkg/logs/l.py", ""},
      {"docs/a/b/draft1.py", ""},
      {"docs/a/final.py", ""},
      {"vendor_copy/v.py", ""},
      {"node_modules/m/index.py", ""},
      {"build/out.py", ""},
      {"tools/build/keep.py", ""},
      {"rust/Cargo.toml", ""},
      {"rust/target/debug.py", ""},
      {"env/pyvenv.cfg", ""},
      {"env/lib/site.py", ""},
      {"cachey/CACHEDIR.TAG", ""},
      {"cachey/c.py", ""},
      {"excluded_dir/e.py", ""},
      {"misc/excluded_name.py", ""},
  });
  ScanOptions options;
  options.extra_excludes = {"excluded_dir/", "excluded_name.py"};
  expect_agreement(dir, options);

  PathFilter filter = filter_ok(dir.path(), options);
  EXPECT_FALSE(filter.ignored_dir(""));
  EXPECT_TRUE(filter.ignored_dir(".git"));
  EXPECT_TRUE(filter.ignored_file(".git/HEAD"));
  EXPECT_TRUE(filter.ignored_dir("env"));
  EXPECT_TRUE(filter.ignored_file("env/lib/site.py"));
  EXPECT_TRUE(filter.ignored_dir("rust/target"));
  EXPECT_FALSE(filter.ignored_dir("tools/build"));
  EXPECT_TRUE(filter.ignored_file("../outside.py"));
  EXPECT_TRUE(filter.ignored_file("/etc/passwd"));
  // Deleted paths are judged by their name and their parents' rules.
  EXPECT_TRUE(filter.ignored_file("src/local_gone.py"));
  EXPECT_FALSE(filter.ignored_file("src/gone/new.py"));
  EXPECT_TRUE(filter.ignored_file("never/existed/x.gen.py"));
}

TEST(PathFilter, NegatedDirectoryEscapesOutputAndMarkerDefaults) {
  TempDir dir;
  dir.write_all({{".gitignore", "!build/\n!venvish/\n"},
                 {"build/b.py", ""},
                 {"venvish/pyvenv.cfg", ""},
                 {"venvish/v.py", ""},
                 {"sub/package.json", "{}"},
                 {"sub/dist/d.py", ""}});
  expect_agreement(dir, {});
  PathFilter filter = filter_ok(dir.path());
  EXPECT_FALSE(filter.ignored_dir("build"));
  EXPECT_FALSE(filter.ignored_dir("venvish"));
  EXPECT_TRUE(filter.ignored_dir("sub/dist"));
}

TEST(PathFilter, InvalidateRereadsIgnoreFiles) {
  TempDir dir;
  dir.write_all({{"src/a.py", ""}, {"gen/g.py", ""}});
  PathFilter filter = filter_ok(dir.path());
  EXPECT_FALSE(filter.ignored_dir("gen"));
  EXPECT_FALSE(filter.ignored_file("src/a.py"));

  dir.write(".gitignore", "gen/\n");
  dir.write("src/.cciignore", "a.py\n");
  EXPECT_FALSE(filter.ignored_dir("gen")) << "answers come from the cached rules until invalidate()";
  filter.invalidate();
  EXPECT_TRUE(filter.ignored_dir("gen"));
  EXPECT_TRUE(filter.ignored_file("gen/g.py"));
  EXPECT_TRUE(filter.ignored_file("src/a.py"));
  expect_agreement(dir, {});
}

TEST(PathFilter, MarkerChangesReevaluateTheDirectoriesTheyDecide) {
  TempDir dir;
  dir.write_all({{"env/lib/x.py", ""}, {"pkg/dist/d.py", ""}, {"pkg/src/s.py", ""}});
  PathFilter filter = filter_ok(dir.path());
  EXPECT_FALSE(filter.ignored_dir("env"));
  EXPECT_FALSE(filter.ignored_dir("pkg/dist"));

  dir.write("env/pyvenv.cfg", "home = /usr\n");
  EXPECT_TRUE(filter.marker_changed("env/pyvenv.cfg"));
  EXPECT_TRUE(filter.ignored_dir("env"));
  EXPECT_TRUE(filter.ignored_file("env/lib/x.py"));
  EXPECT_FALSE(filter.marker_changed("env/pyvenv.cfg")) << "nothing changed the second time";

  // Only a verdict that was given (and cached) can change; the env change dropped the cache.
  EXPECT_FALSE(filter.ignored_dir("pkg/dist"));
  dir.write("pkg/package.json", "{}");
  EXPECT_TRUE(filter.marker_changed("pkg/package.json"));
  EXPECT_TRUE(filter.ignored_dir("pkg/dist"));
  dir.write("pkg/package.json", "{\"name\": \"edited\"}");
  EXPECT_FALSE(filter.marker_changed("pkg/package.json")) << "an edited manifest decides nothing new";
  dir.remove("pkg/package.json");
  EXPECT_TRUE(filter.marker_changed("pkg/package.json"));
  EXPECT_FALSE(filter.ignored_dir("pkg/dist"));
  EXPECT_FALSE(filter.marker_changed("pkg/src/s.py"));
  expect_agreement(dir, {});
}

TEST(PathFilter, ForgetDirJudgesARecreatedDirectoryAfresh) {
  TempDir dir;
  dir.write_all({{"env/pyvenv.cfg", ""}, {"env/x.py", ""}});
  PathFilter filter = filter_ok(dir.path());
  EXPECT_TRUE(filter.ignored_dir("env"));
  fs::remove_all(dir.path() / "env");
  dir.write("env/x.py", "");
  EXPECT_TRUE(filter.ignored_dir("env")) << "cached";
  filter.forget_dir("env");
  EXPECT_FALSE(filter.ignored_dir("env"));
  EXPECT_FALSE(filter.ignored_file("env/x.py"));
}

TEST(PathFilter, ClassifiesIgnoreFilesAndMarkers) {
  EXPECT_TRUE(PathFilter::is_ignore_file(".gitignore"));
  EXPECT_TRUE(PathFilter::is_ignore_file("a/b/.gitignore"));
  EXPECT_TRUE(PathFilter::is_ignore_file(".cciignore"));
  EXPECT_TRUE(PathFilter::is_ignore_file("x/.cciignore"));
  EXPECT_TRUE(PathFilter::is_ignore_file(".git/info/exclude"));
  EXPECT_FALSE(PathFilter::is_ignore_file("a/.gitignore.py"));
  EXPECT_FALSE(PathFilter::is_ignore_file("sub/.git/info/excludes"));
  EXPECT_TRUE(PathFilter::is_ignore_marker("a/pyvenv.cfg"));
  EXPECT_TRUE(PathFilter::is_ignore_marker("CACHEDIR.TAG"));
  EXPECT_TRUE(PathFilter::is_ignore_marker("crate/Cargo.toml"));
  EXPECT_FALSE(PathFilter::is_ignore_marker("src/main.rs"));
}

TEST(PathFilter, CreateFailsForAMissingRoot) {
  TempDir dir;
  auto filter = PathFilter::create(dir.path() / "missing", {});
  ASSERT_FALSE(filter.has_value());
  EXPECT_EQ(filter.error().code, ErrorCode::NotFound);
}

}  // namespace
}  // namespace cci::scan
