// core/paths.cpp — the data directory, project path spelling, byte counts, and the daemon's file names.
#include "core/paths.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

namespace cci {

namespace fs = std::filesystem;

fs::path data_dir() {
  if (const char* home = std::getenv("CCI_HOME"); home != nullptr && *home != '\0') return fs::path(home);
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0')
    return fs::path(home) / ".claude-code-indexer";
  return fs::current_path() / ".claude-code-indexer";
}

fs::path canonical_root(const fs::path& path) {
  std::error_code ec;
  fs::path abs = fs::absolute(path, ec);
  if (ec) abs = path;
  fs::path canon = fs::weakly_canonical(abs, ec);
  if (ec) return abs.lexically_normal();
  std::string s = canon.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return fs::path(s);
}

std::string relative_to(const fs::path& root, const fs::path& path) {
  fs::path rel = path.lexically_relative(root);
  if (rel.empty()) return {};
  std::string s = rel.generic_string();
  if (!is_safe_relative(s)) return {};
  if (s == ".") return {};
  return s;
}

bool is_safe_relative(std::string_view rel) {
  if (rel.empty() || rel.front() == '/') return false;
  std::size_t start = 0;
  while (start <= rel.size()) {
    std::size_t end = rel.find('/', start);
    if (end == std::string_view::npos) end = rel.size();
    if (rel.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 4) {
    value /= 1024.0;
    ++unit;
  }
  if (unit == 0) return fmt::format("{} B", bytes);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

DaemonPaths DaemonPaths::in(const std::filesystem::path& data_dir) {
  DaemonPaths p;
  p.dir = data_dir;
  p.lock = data_dir / "daemon.lock";
  p.state = data_dir / "daemon.json";
  p.token = data_dir / "daemon.token";
  p.socket = data_dir / "daemon.sock";
  p.log = data_dir / "daemon.log";
  return p;
}

Result<std::string> read_token_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::NotFound, "cannot read token file " + path.string());
  std::string line;
  std::getline(in, line);
  const auto first = line.find_first_not_of(" \t\r\n");
  const auto last = line.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) return make_error(ErrorCode::InvalidArgument, "token file " + path.string() + " is empty");
  return line.substr(first, last - first + 1);
}

std::string join_relative(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out;
  out.reserve(dir.size() + 1 + name.size());
  out.append(dir).push_back('/');
  out.append(name);
  return out;
}

}  // namespace cci
