// tests/scan/scanner_test.cpp — the walker on real temporary trees: sizes, symlinks, special
// files, determinism, incremental scan_paths and the root safety checks.
#include "scan/scanner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "scan_test_util.h"
#include "temp_dir.h"

namespace cci::scan {
namespace {

namespace fs = std::filesystem;
using cci::testing::TempDir;
using test::find_skipped;
using test::scan_ok;
using test::scanned;
using Paths = std::vector<std::string>;

TEST(ScanTree, SortedRelativePathsWithLanguagesAndStats) {
  TempDir dir;
  dir.write_all({{"z.py", "x = 1\n"}, {"a/b.go", "package a\n"}, {"a/c.rs", ""}, {"m/k.tsx", ""}, {"README.md", "hi"},
                 {"inc/x.h", ""}, {"src/y.c", ""}, {"src/w.cpp", ""}});
  auto result = scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"a/b.go", "a/c.rs", "inc/x.h", "m/k.tsx", "src/w.cpp", "src/y.c", "z.py"}));
  EXPECT_EQ(result.files[0].language, Language::Go);
  EXPECT_EQ(result.files[0].size, 10u);
  EXPECT_GT(result.files[0].mtime_ns, 0);
  EXPECT_EQ(result.files[2].language, Language::C);
  EXPECT_EQ(result.files[4].language, Language::Cpp);
  EXPECT_EQ(result.unsupported_count, 1u);
  EXPECT_EQ(result.directories, 5u);  // root, a, m, inc, src
  EXPECT_TRUE(result.has_c_sources);
  EXPECT_TRUE(result.has_cpp_sources);
}

TEST(ScanTree, DeterministicAcrossWorkerCounts) {
  TempDir dir;
  for (int d = 0; d < 20; ++d) {
    for (int f = 0; f < 15; ++f) {
      dir.write("d" + std::to_string(d) + "/s" + std::to_string(d % 3) + "/f" + std::to_string(f) + ".py", "");
    }
  }
  dir.write("d3/.gitignore", "f1*.py\n");
  ScanOptions one;
  one.workers = 1;
  ScanOptions many;
  many.workers = 8;
  const Paths expected = scanned(dir, one);
  EXPECT_EQ(expected.size(), 20u * 15u - 6u);
  EXPECT_TRUE(std::is_sorted(expected.begin(), expected.end()));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(scanned(dir, many), expected);
  EXPECT_EQ(scanned(dir), expected);
}

TEST(ScanTree, TooLargeFilesAreSkippedWithSizes) {
  TempDir dir;
  dir.write("big.py", std::string(2'400'000, '#'));
  dir.write("small.py", "x = 1\n");
  dir.write("big.txt", std::string(2'400'000, '#'));  // unsupported: never stat'ed, just counted
  auto result = scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"small.py"}));
  const SkippedFile* s = find_skipped(result, "big.py");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::TooLarge);
  EXPECT_EQ(s->detail, "2.3 MiB > 1.0 MiB");
  ScanOptions roomy;
  roomy.max_file_size = 4 << 20;
  EXPECT_EQ(scanned(dir, roomy), (Paths{"big.py", "small.py"}));
}

TEST(ScanTree, ExtensionlessScriptsAreSniffed) {
  TempDir dir;
  dir.write_all({{"bin/tool", "#!/usr/bin/env python3\nprint(1)\n"},
                 {"bin/serve", "#!/usr/bin/env node\n"},
                 {"bin/run", "#!/bin/sh\necho\n"},
                 {"Makefile", "#!/usr/bin/env python\n"},  // known non-script name: not opened
                 {"notes.txt", "#!/usr/bin/env python\n"}});
  auto result = scan_ok(dir.path());
  ASSERT_EQ(test::paths_of(result), (Paths{"bin/serve", "bin/tool"}));
  EXPECT_EQ(result.files[0].language, Language::JavaScript);
  EXPECT_EQ(result.files[1].language, Language::Python);
  EXPECT_EQ(result.unsupported_count, 3u);
}

TEST(ScanTree, DanglingSymlinkIsUnreadable) {
  // Tests run as root, which reads chmod 000 files, so a dangling link stands in for an
  // unreadable file.
  TempDir dir;
  dir.write("ok.py", "");
  fs::create_symlink(dir.path() / "missing.py", dir.path() / "gone.py");
  fs::create_symlink(dir.path() / "missing.txt", dir.path() / "gone.txt");
  auto result = scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"ok.py"}));
  const SkippedFile* s = find_skipped(result, "gone.py");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::Unreadable);
  EXPECT_NE(s->detail.find("No such file or directory"), std::string::npos) << s->detail;
  EXPECT_EQ(find_skipped(result, "gone.txt"), nullptr);  // not source: only counted
  EXPECT_EQ(result.unsupported_count, 1u);
}

TEST(ScanTree, UnreadableFileForNonRoot) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads mode-000 files";
  TempDir dir;
  auto p = dir.write("locked.py", "x = 1\n");
  fs::permissions(p, fs::perms::none);
  auto result = scan_ok(dir.path());
  EXPECT_TRUE(result.files.empty());
  const SkippedFile* s = find_skipped(result, "locked.py");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::Unreadable);
}

TEST(ScanTree, FifosAreNeverOpened) {
  TempDir dir;
  dir.write("a.py", "");
  ASSERT_EQ(::mkfifo((dir.path() / "pipe.py").c_str(), 0644), 0);
  ASSERT_EQ(::mkfifo((dir.path() / "pipe").c_str(), 0644), 0);  // extension-less: would be sniffed if regular
  auto result = scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"a.py"}));
  const SkippedFile* s = find_skipped(result, "pipe.py");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::Unreadable);
  EXPECT_EQ(s->detail, "not a regular file");
}

TEST(ScanTree, SymlinkLoopTerminatesAndIsReported) {
  TempDir dir;
  dir.write("a/b/x.py", "");
  fs::create_directory_symlink(dir.path() / "a", dir.path() / "a/b/back");  // b/back -> its grandparent
  fs::create_directory_symlink(dir.path(), dir.path() / "a/root");          // -> the root itself
  auto result = scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"a/b/x.py"}));
  const SkippedFile* s = find_skipped(result, "a/b/back");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::SymlinkLoop);
  const SkippedFile* to_root = find_skipped(result, "a/root");
  ASSERT_NE(to_root, nullptr);
  EXPECT_EQ(to_root->reason, SkipReason::SymlinkLoop);
}

TEST(ScanTree, SymlinkedDirectoriesAndFilesInsideTheRootAreFollowed) {
  TempDir dir;
  dir.write("real/m.py", "");
  dir.write("one.py", "");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "alias");
  fs::create_symlink(dir.path() / "one.py", dir.path() / "two.py");
  EXPECT_EQ(scanned(dir), (Paths{"alias/m.py", "one.py", "real/m.py", "two.py"}));
}

TEST(ScanTree, SymlinkedDirectoryOutsideTheRootIsNotFollowed) {
  TempDir outside;
  outside.write("lib/x.py", "");
  TempDir dir;
  dir.write("a.py", "");
  fs::create_directory_symlink(outside.path() / "lib", dir.path() / "ext");
  auto result = scan_ok(dir.path());
  EXPECT_EQ(test::paths_of(result), (Paths{"a.py"}));
  const SkippedFile* s = find_skipped(result, "ext");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->reason, SkipReason::Ignored);
  EXPECT_NE(s->detail.find("leaves the root"), std::string::npos);
}

TEST(ScanTree, RootErrors) {
  TempDir dir;
  dir.write("file.py", "");
  auto missing = scan_tree(dir.path() / "nope", {});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  auto file = scan_tree(dir.path() / "file.py", {});
  ASSERT_FALSE(file.has_value());
  EXPECT_EQ(file.error().code, ErrorCode::InvalidArgument);
}

TEST(ScanTree, RootThatIsASymlinkIsResolved) {
  TempDir dir;
  dir.write("proj/a.py", "");
  fs::create_directory_symlink(dir.path() / "proj", dir.path() / "link");
  EXPECT_EQ(test::paths_of(scan_ok(dir.path() / "link")), (Paths{"a.py"}));
}

class HomeEnv {
 public:
  explicit HomeEnv(const fs::path& home) {
    if (const char* old = std::getenv("HOME")) old_ = old;
    ::setenv("HOME", home.c_str(), 1);
  }
  ~HomeEnv() {
    if (old_) {
      ::setenv("HOME", old_->c_str(), 1);
    } else {
      ::unsetenv("HOME");
    }
  }
  HomeEnv(const HomeEnv&) = delete;
  HomeEnv& operator=(const HomeEnv&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(CheckRootAllowed, RefusesFilesystemRootAndHome) {
  TempDir home;
  home.write("proj/a.py", "");
  HomeEnv env(home.path());

  auto slash = check_root_allowed("/", false);
  ASSERT_FALSE(slash.has_value());
  EXPECT_EQ(slash.error().code, ErrorCode::Refused);
  EXPECT_NE(slash.error().message.find("--force"), std::string::npos);
  EXPECT_TRUE(check_root_allowed("/", true).has_value());

  auto at_home = check_root_allowed(home.path(), false);
  ASSERT_FALSE(at_home.has_value());
  EXPECT_EQ(at_home.error().code, ErrorCode::Refused);
  EXPECT_NE(at_home.error().message.find("--force"), std::string::npos);
  // Spelled differently, still the home directory.
  EXPECT_FALSE(check_root_allowed(home.path() / "proj" / "..", false).has_value());
  EXPECT_TRUE(check_root_allowed(home.path(), true).has_value());
  EXPECT_TRUE(check_root_allowed(home.path() / "proj", false).has_value());

  auto missing = check_root_allowed(home.path() / "nope", false);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
  auto not_dir = check_root_allowed(home.path() / "proj/a.py", true);
  ASSERT_FALSE(not_dir.has_value());
  EXPECT_EQ(not_dir.error().code, ErrorCode::InvalidArgument);
}

TEST(ScanPaths, StatsOnlyTheGivenPathsAndAppliesRules) {
  TempDir dir;
  dir.write_all({{".gitignore", "gen/\n*.tmp.py\n"},
                 {"src/.gitignore", "local.py\n"},
                 {"src/a.py", "abc"},
                 {"src/local.py", ""},
                 {"src/sub/local.py", ""},
                 {"gen/keep.py", ""},
                 {"x.tmp.py", ""},
                 {"node_modules/m/i.js", ""},
                 {"other.py", ""},
                 {"big.py", std::string(3000, 'x')},
                 {"README.md", ""}});
  ScanOptions opts;
  opts.max_file_size = 1000;
  opts.record_ignored = true;
  auto result = scan_paths(dir.path(),
                           {"src/sub/local.py", "src/a.py", "src/local.py", "gen/keep.py", "x.tmp.py",
                            "node_modules/m/i.js", "deleted.py", "src/gone/deleted.py", "big.py", "README.md",
                            "src/a.py", "../escape.py"},
                           opts);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(test::paths_of(*result), (Paths{"src/a.py"}));
  EXPECT_EQ(result->files[0].size, 3u);
  EXPECT_EQ(result->ignored_count, 5u);
  ASSERT_NE(find_skipped(*result, "gen/keep.py"), nullptr);
  EXPECT_EQ(test::detail_of(*result, "gen/keep.py"), ".gitignore:1 gen/");
  EXPECT_EQ(test::detail_of(*result, "src/sub/local.py"), "src/.gitignore:1 local.py");
  const SkippedFile* big = find_skipped(*result, "big.py");
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big->reason, SkipReason::TooLarge);
  EXPECT_EQ(result->unsupported_count, 1u);
  EXPECT_EQ(find_skipped(*result, "deleted.py"), nullptr);  // missing: simply absent
}

TEST(ScanPaths, AgreesWithScanTree) {
  TempDir dir;
  dir.write_all({{".gitignore", "*.log.py\n/a/b/\n"},
                 {"a/b/c.py", ""},
                 {"a/c.py", ""},
                 {"a/x.log.py", ""},
                 {"venvish/pyvenv.cfg", ""},
                 {"venvish/lib/m.py", ""},
                 {"q/r/s.go", ""}});
  const Paths all = {"a/b/c.py", "a/c.py", "a/x.log.py", "venvish/lib/m.py", "q/r/s.go"};
  auto incremental = scan_paths(dir.path(), all, {});
  ASSERT_TRUE(incremental.has_value());
  EXPECT_EQ(test::paths_of(*incremental), scanned(dir));
  EXPECT_EQ(test::paths_of(*incremental), (Paths{"a/c.py", "q/r/s.go"}));
}

}  // namespace
}  // namespace cci::scan
