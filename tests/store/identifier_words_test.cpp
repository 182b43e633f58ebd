// tests/store/identifier_words_test.cpp — identifier splitting used by the FTS words column.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/index_store.h"

namespace cci::store {
namespace {

using Words = std::vector<std::string>;

TEST(IdentifierWords, CamelAndPascalCase) {
  EXPECT_EQ(identifier_words("parseHttpRequest"), (Words{"parse", "http", "request"}));
  EXPECT_EQ(identifier_words("ParseHttpRequest"), (Words{"parse", "http", "request"}));
}

TEST(IdentifierWords, Acronyms) {
  EXPECT_EQ(identifier_words("HTTPRequest"), (Words{"http", "request"}));
  EXPECT_EQ(identifier_words("parseHTTPRequest"), (Words{"parse", "http", "request"}));
  EXPECT_EQ(identifier_words("XMLHttpRequest"), (Words{"xml", "http", "request"}));
  EXPECT_EQ(identifier_words("HTTP"), (Words{"http"}));
  EXPECT_EQ(identifier_words("getURL"), (Words{"get", "url"}));
}

TEST(IdentifierWords, SnakeKebabAndSeparators) {
  EXPECT_EQ(identifier_words("parse_http_request"), (Words{"parse", "http", "request"}));
  EXPECT_EQ(identifier_words("__init__"), (Words{"init"}));
  EXPECT_EQ(identifier_words("MAX_BUFFER_SIZE"), (Words{"max", "buffer", "size"}));
  EXPECT_EQ(identifier_words("kebab-case-name"), (Words{"kebab", "case", "name"}));
  EXPECT_EQ(identifier_words("std::vector"), (Words{"std", "vector"}));
  EXPECT_EQ(identifier_words("os.path.join"), (Words{"os", "path", "join"}));
  EXPECT_EQ(identifier_words("net/http"), (Words{"net", "http"}));
}

TEST(IdentifierWords, DigitsStayWithThePrecedingWord) {
  EXPECT_EQ(identifier_words("utf8"), (Words{"utf8"}));
  EXPECT_EQ(identifier_words("utf8Decode"), (Words{"utf8", "decode"}));
  EXPECT_EQ(identifier_words("UTF8String"), (Words{"utf8", "string"}));
  EXPECT_EQ(identifier_words("int32_t"), (Words{"int32", "t"}));
  EXPECT_EQ(identifier_words("HTTP2Server"), (Words{"http2", "server"}));
}

TEST(IdentifierWords, DropsEmptyKeepsOrderAndRepeats) {
  EXPECT_TRUE(identifier_words("").empty());
  EXPECT_TRUE(identifier_words("::__..").empty());
  // Repeats matter: phrase queries are built from these words.
  EXPECT_EQ(identifier_words("request.Request.parseRequest"), (Words{"request", "request", "parse", "request"}));
  EXPECT_EQ(identifier_words("old_fn_1_1"), (Words{"old", "fn", "1", "1"}));
}

TEST(IdentifierWords, NonAsciiBytesStayInsideWords) {
  EXPECT_EQ(identifier_words("größe_ändern"), (Words{"größe", "ändern"}));
}

}  // namespace
}  // namespace cci::store
