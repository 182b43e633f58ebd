// scan/scanner.h — finds the source files of a project.
//
// Walks a directory tree in parallel, honouring .gitignore files at every level (negation,
// anchored and ** patterns), .git/info/exclude, .cciignore and built-in defaults (VCS dirs,
// node_modules, virtualenvs, build outputs, caches, minified/generated files, archives, media).
// Symlinked directories are followed once (no loops). Every file that is not returned is counted
// with a reason. The scanner reads no file contents except the first bytes of extension-less
// files (shebang); content checks (binary, minified, generated) are classify_content()'s job,
// run by the indexer on the bytes it reads anyway, so each file is read once.
//
// Thread safety: scan_tree() is reentrant; it uses its own threads.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/result.h"

namespace cci::scan {

enum class SkipReason : std::uint8_t {
  Ignored = 0,   // matched an ignore rule (detail: the rule and where it came from)
  TooLarge,      // over ScanOptions::max_file_size
  Binary,        // NUL byte in the first 8 KiB
  Minified,      // very long average line length (minified JS/CSS-like)
  Generated,     // a generated-file marker in the first lines ("@generated", "DO NOT EDIT")
  Unreadable,    // permission denied, vanished during the scan, I/O error
  InvalidEncoding,
  SymlinkLoop,
};
std::string_view to_string(SkipReason reason);  // "ignored", "too-large", "binary", ...

struct ScanOptions {
  std::uint64_t max_file_size = 1 << 20;     // bytes
  std::vector<std::string> extra_excludes;   // gitignore syntax, relative to the root (--exclude)
  std::size_t workers = 0;                   // 0 = default_worker_count()
  bool record_ignored = false;               // list every ignored path in ScanResult::skipped (--show-ignored)
};

struct ScannedFile {
  std::string path;          // relative to the root, '/'-separated
  Language language = Language::Unknown;  // from the name (and shebang); .h is refined by detect_language()
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
};

struct SkippedFile {
  std::string path;
  SkipReason reason = SkipReason::Ignored;
  std::string detail;        // e.g. "2.3 MiB > 1.0 MiB", ".gitignore:4 build/", "Permission denied"
};

struct ScanResult {
  std::vector<ScannedFile> files;     // supported-language files, sorted by path
  std::vector<SkippedFile> skipped;   // every skip except plain ignores (those only when record_ignored)
  std::size_t ignored_count = 0;      // files and directories pruned by ignore rules
  std::size_t unsupported_count = 0;  // readable files in no supported language (README.md, ...)
  std::size_t directories = 0;
  bool has_c_sources = false;         // any .c file: tips ambiguous .h files towards C
  bool has_cpp_sources = false;       // any .cc/.cpp/.cxx/.hpp file
};

// Refuses "/" and the home directory itself (ErrorCode::Refused) unless `force`.
Status check_root_allowed(const std::filesystem::path& root, bool force);

Result<ScanResult> scan_tree(const std::filesystem::path& root, const ScanOptions& options);

// Scans only the given relative paths (for incremental updates); ignore rules still apply.
Result<ScanResult> scan_paths(const std::filesystem::path& root, const std::vector<std::string>& relative_paths,
                              const ScanOptions& options);

// Answers "would scan_tree() skip this path by its ignore rules?" for one root, one path at a
// time, with exactly the walker's rules (defaults, .gitignore at every level, .git/info/exclude,
// .cciignore, --exclude, output directories beside manifests, virtualenv and CACHEDIR.TAG
// markers) — for a watcher that must filter events without walking the tree. The rules of each
// directory are loaded on first use and cached, so the answer reflects the ignore files as they
// were then: invalidate() after an ignore file changes. The .git directory is always ignored.
// Only ignore rules are applied: size, readability and language are the indexer's business.
//
// Not thread-safe: one thread at a time (the watcher's).
class PathFilter {
 public:
  static Result<PathFilter> create(const std::filesystem::path& root, const ScanOptions& options);
  PathFilter(PathFilter&&) noexcept;
  PathFilter& operator=(PathFilter&&) noexcept;
  ~PathFilter();

  const std::filesystem::path& root() const;  // canonical
  // `rel` is root-relative and '/'-separated; "" (the root) is never ignored, an unsafe path
  // ("../x", "/x") always is. A path below an ignored directory is ignored.
  bool ignored_dir(std::string_view rel);
  bool ignored_file(std::string_view rel);
  // Drops every cached rule layer (and re-reads .git/info/exclude): an ignore file changed.
  void invalidate();
  // A directory was deleted or moved away: drops what is cached for it and below, so a
  // directory that appears later under that name is judged afresh.
  void forget_dir(std::string_view rel);
  // `rel` names a file whose existence decides whether a directory is pruned (pyvenv.cfg,
  // CACHEDIR.TAG, a project manifest beside an output directory): re-evaluates the directories
  // it decides and returns true, after dropping every cached layer, if one of them changed.
  bool marker_changed(std::string_view rel);

  // ".gitignore" or ".cciignore" at any level, or ".git/info/exclude".
  static bool is_ignore_file(std::string_view rel);
  // pyvenv.cfg, CACHEDIR.TAG or a project manifest (Cargo.toml, package.json, ...).
  static bool is_ignore_marker(std::string_view rel);

 private:
  struct Impl;
  explicit PathFilter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Language from the file name alone; Unknown if not a supported source file.
Language language_for_path(std::string_view path);

// Final language decision with content: shebangs, and .h as C or C++ (C++ keywords in the file,
// else the project hint).
Language detect_language(std::string_view path, std::string_view content_head, bool project_has_c,
                         bool project_has_cpp);

// Content checks the indexer applies after reading a file: binary (NUL sniff), minified,
// generated. nullopt = index it.
std::optional<SkippedFile> classify_content(std::string_view path, std::string_view content);

// The effective ignore patterns for `cci ignore`: defaults first, then each ignore file found.
struct PatternSource {
  std::string origin;                 // "defaults", ".gitignore", "src/.gitignore", ".cciignore", "--exclude"
  std::vector<std::string> patterns;
};
Result<std::vector<PatternSource>> effective_ignore_patterns(const std::filesystem::path& root,
                                                             const ScanOptions& options);

}  // namespace cci::scan
