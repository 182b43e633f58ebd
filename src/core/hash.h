// core/hash.h — fast non-cryptographic hashing (xxHash3) for content hashes and stable ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cci {

std::uint64_t hash64(std::string_view data, std::uint64_t seed = 0);
std::string hex64(std::uint64_t value);  // 16 lowercase hex digits

// Combines several fields into one hash without ambiguity ("ab"+"c" != "a"+"bc").
class Hasher {
 public:
  Hasher& add(std::string_view field);
  Hasher& add(std::uint64_t value);
  std::uint64_t digest() const { return state_; }

 private:
  std::uint64_t state_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace cci
