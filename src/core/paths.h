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

// True when `relative` (as produced by relative_to) stays inside the root: no "..", not absolute.
bool is_safe_relative(std::string_view relative);

// Human-readable byte count: "1.4 MiB".
std::string format_bytes(std::uint64_t bytes);

}  // namespace cci
