// MurmurHash3 x86_32: 4-byte little-endian blocks mixed into h, the 1-3 byte tail mixed
// without the h rotation, then the length and the fmix32 avalanche.
#include "murmur3.h"

#include "bytes.h"

namespace ringcache {
namespace {

constexpr uint32_t kC1 = 0xcc9e2d51;
constexpr uint32_t kC2 = 0x1b873593;

inline uint32_t ScrambleBlock(uint32_t k) { return Rotl32(k * kC1, 15) * kC2; }

inline uint32_t FinalMix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

inline uint32_t Murmur3Inline(const uint8_t* data, size_t len, uint32_t seed) {
  uint32_t h = seed;
  const size_t blocks = len / 4;
  for (size_t i = 0; i < blocks; ++i) {
    h ^= ScrambleBlock(LoadLe32(data + 4 * i));
    h = Rotl32(h, 13) * 5 + 0xe6546b64;
  }
  const uint8_t* tail = data + 4 * blocks;
  uint32_t k = 0;
  switch (len & 3) {
    case 3:
      k ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      k ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      k ^= tail[0];
      h ^= ScrambleBlock(k);
      break;
    default:
      break;
  }
  // The reference takes the length as a 32-bit int: lengths wrap mod 2^32.
  return FinalMix(h ^ static_cast<uint32_t>(len));
}

}  // namespace

uint32_t Murmur3(const uint8_t* data, size_t len, uint32_t seed) { return Murmur3Inline(data, len, seed); }

void Murmur3Many(const uint8_t* data, const uint32_t* offsets, size_t count, uint32_t seed, uint32_t* out) {
  for (size_t i = 0; i < count; ++i) {
    out[i] = Murmur3Inline(data + offsets[i], offsets[i + 1] - offsets[i], seed);
  }
}

}  // namespace ringcache
