// File: engine/common/split_mix64.h
//
// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014): a tiny generator whose sequence is fully
// specified, so fixtures made from a seed are the same on every machine
// (the <random> distributions are not). Not for anything secret.
//
// Thread-compatible (a value type).
#ifndef FEEDGOV_ENGINE_COMMON_SPLIT_MIX64_H_
#define FEEDGOV_ENGINE_COMMON_SPLIT_MIX64_H_

#include <cstdint>

namespace feedgov {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  // The next 64 bits of the sequence.
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace feedgov

#endif  // FEEDGOV_ENGINE_COMMON_SPLIT_MIX64_H_
