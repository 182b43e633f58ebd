// scan/ignore.h — compiled gitignore rules and the layered lookup the walker consults.
//
// Each ignore file (.gitignore, .cciignore, .git/info/exclude, the built-in defaults, --exclude)
// becomes one immutable IgnoreFile, compiled once. Directories share a chain of them
// (IgnoreLayer): deeper files sit on top, so a lookup walks from the most specific file down and
// stops at the first file with a matching rule; within a file the last matching rule wins, as
// in git.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cci::scan {

struct IgnorePattern {
  std::string glob;      // as matched: no leading '!' or '/', no trailing '/'; escapes kept
  std::string literal;   // unescaped name (Literal) or suffix (Suffix)
  std::string text;      // the line as written, for diagnostics
  std::uint32_t line = 0;
  std::uint32_t slashes = 0;  // '/' count in glob; a path with another count cannot match
  enum class Kind : std::uint8_t { Literal, Suffix, Glob } kind = Kind::Glob;
  bool negated = false;
  bool dir_only = false;
  bool anchored = false;      // matched against the path relative to the file's directory
  bool double_star = false;   // contains "**": any slash count may match
};

class IgnoreFile {
 public:
  // `base` is the root-relative directory the patterns are relative to ("" for the root).
  IgnoreFile(std::string origin, std::string base, std::string_view contents, bool numbered = true);
  IgnoreFile(std::string origin, std::string base, const std::vector<std::string>& lines, bool numbered);
  // The lookup maps hold views into patterns_, so an IgnoreFile never moves.
  IgnoreFile(const IgnoreFile&) = delete;
  IgnoreFile& operator=(const IgnoreFile&) = delete;

  // The last pattern matching the entry, or nullptr. `rel` is root-relative, `depth` its number
  // of components, `name` its last component.
  const IgnorePattern* match(std::string_view rel, std::string_view name, std::size_t depth, bool is_dir) const;

  const std::string& origin() const { return origin_; }
  const std::string& base() const { return base_; }
  bool numbered() const { return numbered_; }
  const std::vector<IgnorePattern>& patterns() const { return patterns_; }

 private:
  void add_line(std::string_view line, std::uint32_t number);
  void build_index();
  bool matches(const IgnorePattern& p, std::string_view rel_from_base, std::string_view name, std::size_t depth_from_base,
               bool is_dir) const;

  std::string origin_;
  std::string base_;
  std::size_t base_depth_ = 0;
  bool numbered_ = true;
  std::vector<IgnorePattern> patterns_;
  // Lookup shortcuts; each value lists pattern indices in file order.
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> by_name_;       // Literal, unanchored
  std::unordered_map<std::string_view, std::vector<std::uint32_t>> by_extension_;  // Suffix, keyed by last ".ext"
  std::vector<std::uint32_t> others_;
};

struct IgnoreLayer {
  std::shared_ptr<const IgnoreFile> file;
  std::shared_ptr<const IgnoreLayer> parent;
};
using LayerPtr = std::shared_ptr<const IgnoreLayer>;

struct IgnoreMatch {
  const IgnoreFile* file = nullptr;
  const IgnorePattern* pattern = nullptr;
  bool ignored() const { return pattern != nullptr && !pattern->negated; }
  std::string describe() const;  // ".gitignore:4 build/", "defaults node_modules/"
};

// Highest-priority match first: `top` (--exclude), then the layer chain from the deepest file.
IgnoreMatch lookup(const IgnoreFile* top, const IgnoreLayer* chain, std::string_view rel, std::string_view name,
                   std::size_t depth, bool is_dir);

// The built-in default patterns (gitignore syntax).
const std::vector<std::string>& default_patterns();

// Directory names that are build output only in context: the Linux kernel has drivers/target/
// and tools/build/ full of source. They are pruned at the top level, or next to a project
// manifest (Cargo.toml beside target/, package.json beside dist/, ...), unless a rule re-includes
// them. Any directory holding CACHEDIR.TAG (cargo, many caches) or pyvenv.cfg (a virtualenv) is
// pruned too.
const std::vector<std::string_view>& output_dir_names();
const std::vector<std::string_view>& project_manifests();

}  // namespace cci::scan
