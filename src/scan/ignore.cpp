// scan/ignore.cpp — parsing gitignore files into indexed rules, and the default rule set.
#include "scan/ignore.h"

#include <fmt/format.h>

#include <algorithm>

#include "scan/glob.h"

namespace cci::scan {
namespace {

std::size_t count_components(std::string_view rel) {
  if (rel.empty()) return 0;
  return static_cast<std::size_t>(std::count(rel.begin(), rel.end(), '/')) + 1;
}

// A trailing space survives only when escaped by an odd number of backslashes.
std::string_view trim_trailing_spaces(std::string_view line) {
  while (!line.empty() && line.back() == ' ') {
    std::size_t backslashes = 0;
    for (std::size_t i = line.size() - 1; i > 0 && line[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 == 1) break;
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

IgnoreFile::IgnoreFile(std::string origin, std::string base, std::string_view contents, bool numbered)
    : origin_(std::move(origin)), base_(std::move(base)), base_depth_(count_components(base_)), numbered_(numbered) {
  std::uint32_t number = 0;
  while (!contents.empty()) {
    const std::size_t nl = contents.find('\n');
    std::string_view line = contents.substr(0, nl);
    contents = nl == std::string_view::npos ? std::string_view{} : contents.substr(nl + 1);
    add_line(line, ++number);
  }
  build_index();
}

IgnoreFile::IgnoreFile(std::string origin, std::string base, const std::vector<std::string>& lines, bool numbered)
    : origin_(std::move(origin)), base_(std::move(base)), base_depth_(count_components(base_)), numbered_(numbered) {
  std::uint32_t number = 0;
  for (const auto& line : lines) add_line(line, ++number);
  build_index();
}

void IgnoreFile::add_line(std::string_view line, std::uint32_t number) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return;
  line = trim_trailing_spaces(line);
  if (line.empty()) return;

  IgnorePattern p;
  p.text = std::string(line);
  p.line = number;
  if (line.front() == '!') {
    p.negated = true;
    line.remove_prefix(1);
  }
  if (!line.empty() && line.back() == '/') {
    p.dir_only = true;
    while (!line.empty() && line.back() == '/') line.remove_suffix(1);
  }
  if (!line.empty() && line.front() == '/') {
    p.anchored = true;
    while (!line.empty() && line.front() == '/') line.remove_prefix(1);
  } else if (line.find('/') != std::string_view::npos) {
    p.anchored = true;
  }
  // "**/name" matches name at any depth: the same as an unanchored "name", which is cheaper.
  while (p.anchored && line.starts_with("**/") && line.substr(3).find('/') == std::string_view::npos &&
         line.size() > 3 && line.substr(3) != "**") {
    line.remove_prefix(3);
    p.anchored = false;
  }
  if (line.empty()) return;
  p.glob = std::string(line);
  p.slashes = static_cast<std::uint32_t>(std::count(line.begin(), line.end(), '/'));
  p.double_star = line.find("**") != std::string_view::npos;
  if (!has_wildcard(line)) {
    p.kind = IgnorePattern::Kind::Literal;
    p.literal = unescape_glob(line);
  } else if (!p.anchored && line.size() > 1 && line.front() == '*' && !has_wildcard(line.substr(1))) {
    std::string suffix = unescape_glob(line.substr(1));
    if (suffix.find('.') != std::string::npos) {
      p.kind = IgnorePattern::Kind::Suffix;
      p.literal = std::move(suffix);
    }
  }
  patterns_.push_back(std::move(p));
}

void IgnoreFile::build_index() {
  for (std::uint32_t i = 0; i < patterns_.size(); ++i) {
    const IgnorePattern& p = patterns_[i];
    if (!p.anchored && p.kind == IgnorePattern::Kind::Literal) {
      by_name_[p.literal].push_back(i);
    } else if (!p.anchored && p.kind == IgnorePattern::Kind::Suffix) {
      std::string_view lit = p.literal;
      by_extension_[lit.substr(lit.rfind('.'))].push_back(i);
    } else {
      others_.push_back(i);
    }
  }
}

bool IgnoreFile::matches(const IgnorePattern& p, std::string_view rel_from_base, std::string_view name,
                         std::size_t depth_from_base, bool is_dir) const {
  if (p.dir_only && !is_dir) return false;
  if (!p.anchored) {
    switch (p.kind) {
      case IgnorePattern::Kind::Literal: return name == p.literal;
      case IgnorePattern::Kind::Suffix: return name.ends_with(p.literal);
      case IgnorePattern::Kind::Glob: return glob_match(p.glob, name);
    }
    return false;
  }
  if (!p.double_star && p.slashes + 1 != depth_from_base) return false;
  if (p.kind == IgnorePattern::Kind::Literal) return rel_from_base == p.literal;
  return glob_match(p.glob, rel_from_base);
}

const IgnorePattern* IgnoreFile::match(std::string_view rel, std::string_view name, std::size_t depth,
                                       bool is_dir) const {
  if (patterns_.empty() || depth <= base_depth_) return nullptr;
  const std::string_view rel_from_base = base_.empty() ? rel : rel.substr(base_.size() + 1);
  const std::size_t depth_from_base = depth - base_depth_;
  std::int64_t best = -1;
  auto scan = [&](const std::vector<std::uint32_t>& indices) {
    for (auto it = indices.rbegin(); it != indices.rend(); ++it) {
      if (static_cast<std::int64_t>(*it) <= best) return;
      if (matches(patterns_[*it], rel_from_base, name, depth_from_base, is_dir)) {
        best = *it;
        return;
      }
    }
  };
  if (!by_name_.empty()) {
    if (auto it = by_name_.find(name); it != by_name_.end()) scan(it->second);
  }
  if (!by_extension_.empty()) {
    if (const std::size_t dot = name.rfind('.'); dot != std::string_view::npos) {
      if (auto it = by_extension_.find(name.substr(dot)); it != by_extension_.end()) scan(it->second);
    }
  }
  scan(others_);
  return best < 0 ? nullptr : &patterns_[static_cast<std::size_t>(best)];
}

std::string IgnoreMatch::describe() const {
  if (file == nullptr || pattern == nullptr) return {};
  if (file->numbered()) return fmt::format("{}:{} {}", file->origin(), pattern->line, pattern->text);
  return fmt::format("{} {}", file->origin(), pattern->text);
}

IgnoreMatch lookup(const IgnoreFile* top, const IgnoreLayer* chain, std::string_view rel, std::string_view name,
                   std::size_t depth, bool is_dir) {
  if (top != nullptr) {
    if (const IgnorePattern* p = top->match(rel, name, depth, is_dir)) return {top, p};
  }
  for (const IgnoreLayer* layer = chain; layer != nullptr; layer = layer->parent.get()) {
    if (const IgnorePattern* p = layer->file->match(rel, name, depth, is_dir)) return {layer->file.get(), p};
  }
  return {};
}

const std::vector<std::string_view>& output_dir_names() {
  static const std::vector<std::string_view> kNames = {"build", "dist", "out", "target", "coverage"};
  return kNames;
}

const std::vector<std::string_view>& project_manifests() {
  static const std::vector<std::string_view> kNames = {
      "package.json", "Cargo.toml",     "pom.xml", "build.gradle", "build.gradle.kts", "build.sbt",
      "setup.py",     "pyproject.toml", "go.mod",  "CMakeLists.txt", "meson.build",    "Makefile.am"};
  return kNames;
}

const std::vector<std::string>& default_patterns() {
  // vendor/ is deliberately absent: Go and PHP projects commit vendored code on purpose and git
  // does not hide it either; add it to .cciignore to skip it.
  static const std::vector<std::string> kDefaults = {
      // version control
      ".git/", ".hg/", ".svn/", ".bzr/", "_darcs/", "CVS/",
      // dependency trees
      "node_modules/", "bower_components/", "jspm_packages/", ".pnpm-store/", ".yarn/",
      // Python environments and packaging ("env/" only when it holds pyvenv.cfg: see the walker)
      "venv/", ".venv/", "__pypackages__/", ".eggs/", "*.egg-info/", ".direnv/",
      // build outputs (build/ dist/ out/ target/ coverage/ are generic names: see output_dir_names())
      "_build/", "cmake-build-*/", "bazel-*/", ".build/",
      // caches and editor/tool state
      "__pycache__/", ".cache/", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".tox/", ".nox/",
      ".gradle/", ".idea/", ".vscode/", ".next/", ".nuxt/", ".svelte-kit/", ".turbo/", ".parcel-cache/",
      ".sass-cache/", "htmlcov/", ".nyc_output/", ".terraform/", ".claude-code-indexer/",
      // minified and generated code
      "*.min.js", "*.min.css", "*.min.mjs", "*.bundle.js", "*.chunk.js", "*.map", "*.pb.go", "*_pb2.py",
      "*_pb2.pyi", "*_pb2_grpc.py", "*.pb.cc", "*.pb.h",
      // archives
      "*.zip", "*.tar", "*.gz", "*.tgz", "*.bz2", "*.xz", "*.zst", "*.7z", "*.rar", "*.jar", "*.war", "*.ear",
      "*.whl", "*.egg",
      // media and documents
      "*.png", "*.jpg", "*.jpeg", "*.gif", "*.bmp", "*.ico", "*.icns", "*.webp", "*.tif", "*.tiff", "*.psd",
      "*.svg", "*.mp3", "*.wav", "*.ogg", "*.flac", "*.aac", "*.m4a", "*.mp4", "*.m4v", "*.mov", "*.avi",
      "*.mkv", "*.webm", "*.ttf", "*.otf", "*.woff", "*.woff2", "*.eot", "*.pdf",
      // compiled objects
      "*.o", "*.obj", "*.so", "*.so.[0-9]*", "*.a", "*.lib", "*.dll", "*.dylib", "*.exe", "*.class", "*.pyc",
      "*.pyo", "*.pyd", "*.wasm", "*.ko", "*.gch", "*.pch",
  };
  return kDefaults;
}

}  // namespace cci::scan
