// store/text_util.cpp — identifier_words (public) and the private text helpers of the store.
#include "store/text_util.h"

#include <algorithm>
#include <vector>

#include "store/index_store.h"

namespace cci::store {
namespace {

enum class CharClass { Separator, Lower, Upper, Digit };

CharClass classify(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x80) return CharClass::Lower;  // UTF-8 bytes belong to the word; FTS folds their case
  if (c >= 'a' && c <= 'z') return CharClass::Lower;
  if (c >= 'A' && c <= 'Z') return CharClass::Upper;
  if (c >= '0' && c <= '9') return CharClass::Digit;
  return CharClass::Separator;
}

char lower_ascii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Calls emit(word) for each word in order. Rules: ASCII non-alphanumerics separate; a capital
// after a lower-case letter or a digit starts a word (parseHttp, utf8Decode); in a run of
// capitals the last one starts a word when a lower-case letter follows (HTTPRequest -> HTTP,
// Request); digits stay with the word before them (utf8, int32, http2).
template <class Emit>
void split_words(std::string_view id, std::string& word, Emit&& emit) {
  word.clear();
  auto flush = [&] {
    if (!word.empty()) {
      emit(std::string_view(word));
      word.clear();
    }
  };
  CharClass prev = CharClass::Separator;
  for (std::size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const CharClass cls = classify(c);
    switch (cls) {
      case CharClass::Separator:
        flush();
        break;
      case CharClass::Upper:
        if (prev == CharClass::Lower || prev == CharClass::Digit) {
          flush();
        } else if (prev == CharClass::Upper && i + 1 < id.size() && classify(id[i + 1]) == CharClass::Lower) {
          flush();
        }
        word.push_back(lower_ascii(c));
        break;
      case CharClass::Lower:
      case CharClass::Digit:
        word.push_back(c);
        break;
    }
    prev = cls;
  }
  flush();
}

}  // namespace

std::vector<std::string> identifier_words(std::string_view identifier) {
  std::vector<std::string> words;
  std::string scratch;
  // Duplicates are kept: search builds phrase queries from these words, and "old_fn_1_1" must
  // not collapse into the phrase "old fn 1".
  split_words(identifier, scratch, [&](std::string_view w) { words.emplace_back(w); });
  return words;
}

namespace detail {

void fts_words(std::string_view name, std::string_view qualified_name, std::string& out) {
  out.clear();
  thread_local std::string scratch;
  // Words keep their order and repeats, so phrase queries ("old fn 1 1") match exactly. The
  // qualified name contributes its scope ("pkg mod Class") first, so "mod.parse" also matches.
  auto emit = [&](std::string_view w) {
    if (!out.empty()) out.push_back(' ');
    out.append(w);
  };
  std::string_view scope = qualified_name;
  if (scope.ends_with(name)) scope.remove_suffix(name.size());
  split_words(scope, scratch, emit);
  split_words(name, scratch, emit);
}

std::string name_key(std::string_view name) {
  std::string key;
  key.reserve(name.size());
  for (char c : name) {
    if (classify(c) != CharClass::Separator) key.push_back(lower_ascii(c));
  }
  return key;
}

std::size_t identifier_word_count(std::string_view name) {
  // split_words' boundaries, counted where each word starts (every started word is non-empty).
  std::size_t count = 0;
  CharClass prev = CharClass::Separator;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const CharClass cls = classify(name[i]);
    if (cls != CharClass::Separator) {
      const bool starts = prev == CharClass::Separator ||
                          (cls == CharClass::Upper &&
                           (prev == CharClass::Lower || prev == CharClass::Digit ||
                            (prev == CharClass::Upper && i + 1 < name.size() && classify(name[i + 1]) == CharClass::Lower)));
      if (starts) ++count;
    }
    prev = cls;
  }
  return count;
}

bool name_key_equals(std::string_view name, std::string_view key) {
  std::size_t matched = 0;
  for (char c : name) {
    if (classify(c) == CharClass::Separator) continue;
    if (matched == key.size() || key[matched] != lower_ascii(c)) return false;
    ++matched;
  }
  return matched == key.size();
}

std::string_view last_component(std::string_view name) {
  std::size_t cut = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '.' || c == '/') {
      cut = i + 1;
    } else if (c == ':' && i + 1 < name.size() && name[i + 1] == ':') {
      cut = i + 2;
      ++i;
    } else if (c == '-' && i + 1 < name.size() && name[i + 1] == '>') {
      cut = i + 2;
      ++i;
    }
  }
  // "a.b." would leave nothing; keep the whole name rather than an empty leaf.
  return cut >= name.size() ? name : name.substr(cut);
}

}  // namespace detail
}  // namespace cci::store
