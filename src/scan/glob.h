// scan/glob.h — gitignore-flavoured wildcard matching (git's wildmatch with WM_PATHNAME).
//
// Hand-written instead of std::regex: patterns are matched tens of millions of times when
// scanning a large tree, and a direct backtracking matcher over string_views is far cheaper.
#pragma once

#include <string>
#include <string_view>

namespace cci::scan {

// Matches `text` against `pattern`:
//   *      any run of characters except '/'
//   ?      one character except '/'
//   [...]  a character class ([a-z], [!x], [^x], [[:alpha:]], backslash escapes), never '/'
//   **     as a whole path segment ("**/", "/**/", "/**"): any number of directories
//   \c     the literal character c
bool glob_match(std::string_view pattern, std::string_view text);

// True when `pattern` contains an unescaped wildcard (*, ?, [).
bool has_wildcard(std::string_view pattern);

// Removes backslash escapes ("\#x" -> "#x").
std::string unescape_glob(std::string_view pattern);

}  // namespace cci::scan
