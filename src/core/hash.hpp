#pragma once
/// Small, stable integer hashing shared by the products and the emulator (folds, A/B groups, random streams).
#include <cstdint>

namespace revlens {

/// SplitMix64 step: mixes a 64-bit value into a well-spread one; the same on every machine and run.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace revlens
