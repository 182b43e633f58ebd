#include "temp_dir.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace cci::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "cci-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = fs::path(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  // Restore permissions tests may have removed, so cleanup succeeds.
  for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
  }
  fs::remove_all(path_, ec);
}

fs::path TempDir::write(std::string_view relative, std::string_view content) const {
  fs::path p = path_ / fs::path(std::string(relative));
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  return p;
}

void TempDir::write_all(const std::map<std::string, std::string>& files) const {
  for (const auto& [rel, content] : files) write(rel, content);
}

std::string TempDir::read(std::string_view relative) const { return read_file(path_ / fs::path(std::string(relative))); }

void TempDir::remove(std::string_view relative) const {
  std::error_code ec;
  fs::remove_all(path_ / fs::path(std::string(relative)), ec);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cci::testing
