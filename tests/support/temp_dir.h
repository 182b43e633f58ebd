// tests/support/temp_dir.h — a fresh directory per test, removed afterwards, with helpers to
// lay out files (the TempRepo idea from ripgrep's tests/util.rs).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace cci::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes root/relative (creating parent directories) and returns the absolute path.
  std::filesystem::path write(std::string_view relative, std::string_view content) const;
  void write_all(const std::map<std::string, std::string>& files) const;
  std::string read(std::string_view relative) const;
  void remove(std::string_view relative) const;

 private:
  std::filesystem::path path_;
};

// Reads a whole file; empty string if missing.
std::string read_file(const std::filesystem::path& path);

}  // namespace cci::testing
