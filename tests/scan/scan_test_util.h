// tests/scan/scan_test_util.h — small helpers shared by the scan tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "scan/scanner.h"
#include "temp_dir.h"

namespace cci::scan::test {

inline ScanResult scan_ok(const std::filesystem::path& root, const ScanOptions& options = {}) {
  auto result = scan_tree(root, options);
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().describe());
  return result ? *result : ScanResult{};
}

inline std::vector<std::string> paths_of(const ScanResult& result) {
  std::vector<std::string> out;
  for (const auto& f : result.files) out.push_back(f.path);
  return out;
}

inline std::vector<std::string> scanned(const cci::testing::TempDir& dir, const ScanOptions& options = {}) {
  return paths_of(scan_ok(dir.path(), options));
}

inline const SkippedFile* find_skipped(const ScanResult& result, std::string_view path) {
  for (const auto& s : result.skipped) {
    if (s.path == path) return &s;
  }
  return nullptr;
}

// The detail of the skip recorded for `path`, or "<not skipped>".
inline std::string detail_of(const ScanResult& result, std::string_view path) {
  const SkippedFile* s = find_skipped(result, path);
  return s == nullptr ? std::string("<not skipped>") : s->detail;
}

}  // namespace cci::scan::test
