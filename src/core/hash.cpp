#include "core/hash.h"

#include <xxhash.h>

namespace cci {

std::uint64_t hash64(std::string_view data, std::uint64_t seed) {
  return XXH3_64bits_withSeed(data.data(), data.size(), seed);
}

std::string hex64(std::uint64_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[value & 0xf];
    value >>= 4;
  }
  return out;
}

Hasher& Hasher::add(std::string_view field) {
  state_ = XXH3_64bits_withSeed(field.data(), field.size(), state_ ^ (field.size() * 0x100000001b3ULL));
  return *this;
}

Hasher& Hasher::add(std::uint64_t value) {
  state_ = XXH3_64bits_withSeed(&value, sizeof value, state_);
  return *this;
}

}  // namespace cci
