// store/extract_codec.cpp — ParsedFile <-> bytes (versioned, varint + length-prefixed strings).
#include "store/extract_codec.h"

#include <fmt/format.h>

#include <cstdint>
#include <limits>

namespace cci::store::detail {
namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Zig-zag so the common -1 ("no parent") costs one byte.
void put_signed(std::string& out, std::int64_t v) {
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == data_.size(); }

  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return fail();
      auto byte = static_cast<unsigned char>(data_[pos_++]);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return fail();
  }

  std::int64_t signed_varint() {
    std::uint64_t z = varint();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }

  std::uint32_t u32() {
    std::uint64_t v = varint();
    if (v > std::numeric_limits<std::uint32_t>::max()) return static_cast<std::uint32_t>(fail());
    return static_cast<std::uint32_t>(v);
  }

  std::int32_t i32() {
    std::int64_t v = signed_varint();
    if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max()) {
      fail();
      return 0;
    }
    return static_cast<std::int32_t>(v);
  }

  std::uint8_t byte() {
    if (pos_ >= data_.size()) return static_cast<std::uint8_t>(fail());
    return static_cast<std::uint8_t>(data_[pos_++]);
  }

  std::string string() {
    std::uint64_t n = varint();
    if (!ok_ || n > data_.size() - pos_) {
      fail();
      return {};
    }
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  // A count of items that each take at least one byte: bounds the reserve() on corrupt input.
  std::size_t count() {
    std::uint64_t n = varint();
    if (!ok_ || n > data_.size() - pos_) {
      fail();
      return 0;
    }
    return static_cast<std::size_t>(n);
  }

 private:
  std::uint64_t fail() {
    ok_ = false;
    pos_ = data_.size();
    return 0;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

void encode_parsed(const ParsedFile& p, std::string& out) {
  out.clear();
  out.push_back(static_cast<char>(kExtractFormatVersion));
  out.push_back(static_cast<char>(p.language));
  put_string(out, p.path);
  put_string(out, p.module_name);
  put_varint(out, p.line_count);
  put_varint(out, p.error_nodes);

  put_varint(out, p.symbols.size());
  for (const Symbol& s : p.symbols) {
    out.push_back(static_cast<char>(s.kind));
    put_string(out, s.name);
    put_string(out, s.qualified_name);
    put_signed(out, s.parent);
    put_varint(out, s.span.start_line);
    put_varint(out, s.span.start_col);
    put_varint(out, s.span.end_line);
    put_varint(out, s.span.end_col);
    put_string(out, s.signature);
    put_string(out, s.doc);
    out.push_back(s.exported ? 1 : 0);
  }

  put_varint(out, p.references.size());
  for (const Reference& r : p.references) {
    out.push_back(static_cast<char>(r.kind));
    put_string(out, r.name);
    put_string(out, r.qualifier);
    put_signed(out, r.from);
    put_varint(out, r.line);
    put_varint(out, r.col);
  }

  put_varint(out, p.imports.size());
  for (const Import& imp : p.imports) {
    put_string(out, imp.module);
    put_string(out, imp.alias);
    put_varint(out, imp.names.size());
    for (const ImportedName& n : imp.names) {
      put_string(out, n.name);
      put_string(out, n.alias);
    }
    out.push_back(imp.system ? 1 : 0);
    put_signed(out, imp.symbol);
    put_varint(out, imp.line);
  }
}

Result<ParsedFile> decode_parsed(std::string_view data) {
  Reader in(data);
  const std::uint8_t version = in.byte();
  if (!in.ok()) return make_error(ErrorCode::Corrupt, "stored extraction is empty");
  if (version != kExtractFormatVersion) {
    return make_error(ErrorCode::Unsupported,
                      fmt::format("stored extraction has format version {}, this build reads {}", version,
                                  kExtractFormatVersion));
  }
  ParsedFile p;
  p.language = static_cast<Language>(in.byte());
  p.path = in.string();
  p.module_name = in.string();
  p.line_count = in.u32();
  p.error_nodes = in.u32();

  std::size_t n = in.count();
  p.symbols.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    Symbol& s = p.symbols.emplace_back();
    s.kind = static_cast<SymbolKind>(in.byte());
    s.name = in.string();
    s.qualified_name = in.string();
    s.parent = in.i32();
    s.span.start_line = in.u32();
    s.span.start_col = in.u32();
    s.span.end_line = in.u32();
    s.span.end_col = in.u32();
    s.signature = in.string();
    s.doc = in.string();
    s.exported = in.byte() != 0;
  }

  n = in.count();
  p.references.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    Reference& r = p.references.emplace_back();
    r.kind = static_cast<RefKind>(in.byte());
    r.name = in.string();
    r.qualifier = in.string();
    r.from = in.i32();
    r.line = in.u32();
    r.col = in.u32();
  }

  n = in.count();
  p.imports.reserve(n);
  for (std::size_t i = 0; i < n && in.ok(); ++i) {
    Import& imp = p.imports.emplace_back();
    imp.module = in.string();
    imp.alias = in.string();
    const std::size_t names = in.count();
    imp.names.reserve(names);
    for (std::size_t j = 0; j < names && in.ok(); ++j) {
      ImportedName& name = imp.names.emplace_back();
      name.name = in.string();
      name.alias = in.string();
    }
    imp.system = in.byte() != 0;
    imp.symbol = in.i32();
    imp.line = in.u32();
  }

  if (!in.ok()) return make_error(ErrorCode::Corrupt, "stored extraction is truncated or malformed");
  if (!in.at_end()) return make_error(ErrorCode::Corrupt, "stored extraction has trailing bytes");
  return p;
}

}  // namespace cci::store::detail
