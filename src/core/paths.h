// core/paths.h — where cci keeps its data and how project paths are spelled.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.h"

namespace cci {

// $CCI_HOME, else $HOME/.claude-code-indexer. Not created here.
std::filesystem::path data_dir();

// Absolute, lexically normal, symlinks resolved where the path exists.
std::filesystem::path canonical_root(const std::filesystem::path& path);

// "a/b/c.py" for root/a/b/c.py; empty when `path` is not under `root`.
std::string relative_to(const std::filesystem::path& root, const std::filesystem::path& path);

// "dir/name", or "name" when dir is "" (the root): relative paths as the scanner and watcher spell them.
std::string join_relative(std::string_view dir, std::string_view name);

// True when `relative` (as produced by relative_to) stays inside the root: no "..", not absolute.
bool is_safe_relative(std::string_view relative);

// The persistent daemon's files in a data directory (see daemon/daemon.h for what each is). Here
// because the daemon, its clients and the proxy must agree on them without depending on each other.
struct DaemonPaths {
  std::filesystem::path dir, lock, state, token, socket, log;
  static DaemonPaths in(const std::filesystem::path& data_dir);
};

// The first line of a token file, trimmed. NotFound when missing, InvalidArgument when empty.
Result<std::string> read_token_file(const std::filesystem::path& path);

// Human-readable byte count: "1.4 MiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace cci
