// scan/glob.cpp — the wildcard matcher behind ignore patterns.
#include "scan/glob.h"

#include <cctype>
#include <cstring>
#include <string>

namespace cci::scan {
namespace {

bool posix_class_matches(std::string_view name, unsigned char c) {
  if (name == "alnum") return std::isalnum(c) != 0;
  if (name == "alpha") return std::isalpha(c) != 0;
  if (name == "blank") return c == ' ' || c == '\t';
  if (name == "cntrl") return std::iscntrl(c) != 0;
  if (name == "digit") return std::isdigit(c) != 0;
  if (name == "graph") return std::isgraph(c) != 0;
  if (name == "lower") return std::islower(c) != 0;
  if (name == "print") return std::isprint(c) != 0;
  if (name == "punct") return std::ispunct(c) != 0;
  if (name == "space") return std::isspace(c) != 0;
  if (name == "upper") return std::isupper(c) != 0;
  if (name == "xdigit") return std::isxdigit(c) != 0;
  return false;
}

// Parses the class starting at pattern[i] == '['. Returns the index just past the closing ']'
// and sets `matched`, or npos when the class is unterminated (then '[' is an ordinary char).
std::size_t match_class(std::string_view p, std::size_t i, unsigned char c, bool& matched) {
  std::size_t j = i + 1;
  bool negate = false;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) {
    negate = true;
    ++j;
  }
  bool found = false;
  bool first = true;
  while (j < p.size()) {
    unsigned char lo = static_cast<unsigned char>(p[j]);
    if (lo == ']' && !first) {
      matched = found != negate;
      return j + 1;
    }
    first = false;
    if (lo == '[' && j + 1 < p.size() && p[j + 1] == ':') {
      std::size_t close = p.find(":]", j + 2);
      if (close != std::string_view::npos) {
        if (posix_class_matches(p.substr(j + 2, close - j - 2), c)) found = true;
        j = close + 2;
        continue;
      }
    }
    if (lo == '\\' && j + 1 < p.size()) lo = static_cast<unsigned char>(p[++j]);
    ++j;
    unsigned char hi = lo;
    if (j + 1 < p.size() && p[j] == '-' && p[j + 1] != ']') {
      hi = static_cast<unsigned char>(p[j + 1]);
      j += 2;
      if (hi == '\\' && j < p.size()) hi = static_cast<unsigned char>(p[j++]);
    }
    if (c >= lo && c <= hi) found = true;
  }
  return std::string_view::npos;
}

bool match_from(std::string_view p, std::size_t pi, std::string_view t, std::size_t ti) {
  while (pi < p.size()) {
    const char pc = p[pi];
    if (pc == '*') {
      const std::size_t star_begin = pi;
      while (pi < p.size() && p[pi] == '*') ++pi;
      const bool whole_segment = (pi - star_begin >= 2) && (star_begin == 0 || p[star_begin - 1] == '/') &&
                                 (pi == p.size() || p[pi] == '/');
      if (whole_segment) {
        if (pi == p.size()) return true;  // trailing "/**": everything below
        // "**/" matches zero or more leading directories: try each directory boundary.
        const std::size_t rest = pi + 1;
        for (std::size_t k = ti; k <= t.size(); ++k) {
          if ((k == ti || t[k - 1] == '/') && match_from(p, rest, t, k)) return true;
        }
        return false;
      }
      if (pi == p.size()) return t.find('/', ti) == std::string_view::npos;
      // Cheap skip: if the next pattern char is a plain literal, only try positions holding it.
      const char next = p[pi];
      const bool literal_next = next != '*' && next != '?' && next != '[' && next != '\\';
      for (std::size_t k = ti; k <= t.size(); ++k) {
        if (!literal_next || (k < t.size() && t[k] == next)) {
          if (match_from(p, pi, t, k)) return true;
        }
        if (k < t.size() && t[k] == '/') break;
      }
      return false;
    }
    if (ti >= t.size()) return false;
    const char tc = t[ti];
    if (pc == '?') {
      if (tc == '/') return false;
    } else if (pc == '[') {
      bool matched = false;
      const std::size_t end = tc == '/' ? std::string_view::npos
                                        : match_class(p, pi, static_cast<unsigned char>(tc), matched);
      if (tc == '/') return false;
      if (end == std::string_view::npos) {
        if (tc != '[') return false;  // unterminated class: a literal '['
      } else {
        if (!matched) return false;
        pi = end;
        ++ti;
        continue;
      }
    } else if (pc == '\\' && pi + 1 < p.size()) {
      ++pi;
      if (p[pi] != tc) return false;
    } else if (pc != tc) {
      return false;
    }
    ++pi;
    ++ti;
  }
  return ti == t.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) { return match_from(pattern, 0, text, 0); }

bool has_wildcard(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (c == '*' || c == '?' || c == '[') {
      return true;
    }
  }
  return false;
}

std::string unescape_glob(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) ++i;
    out.push_back(pattern[i]);
  }
  return out;
}

}  // namespace cci::scan
