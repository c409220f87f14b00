#include "key-slot.h"

#include <cstring>

#include "crc16.h"

namespace ringcache {
namespace {

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// True when a byte of `word` equals `c`: xor turns it into a zero byte, and the classic
// (v - 0x01..) & ~v & 0x80.. is non-zero exactly when v has a zero byte.
inline bool WordHasByte(uint64_t word, uint8_t c) {
  const uint64_t v = word ^ (0x0101010101010101ULL * c);
  return ((v - 0x0101010101010101ULL) & ~v & 0x8080808080808080ULL) != 0;
}

// Whether `c` occurs in p[0..n). Short keys: 8 bytes a step, the last step overlapping, no
// call into libc. Most keys have no '{', so this answers the whole tag search for them.
inline bool ContainsByte(const uint8_t* p, size_t n, uint8_t c) {
  if (n < 8) {
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == c) return true;
    }
    return false;
  }
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (WordHasByte(Load64(p + i), c)) return true;
  }
  return i < n && WordHasByte(Load64(p + n - 8), c);
}

}  // namespace

uint16_t KeySlot(const uint8_t* data, size_t len) {
  if (len >= 32 || ContainsByte(data, len, '{')) {
    const auto* open = static_cast<const uint8_t*>(std::memchr(data, '{', len));
    if (open != nullptr) {
      const uint8_t* tag = open + 1;
      const size_t left = len - static_cast<size_t>(tag - data);
      const auto* close = static_cast<const uint8_t*>(left > 0 ? std::memchr(tag, '}', left) : nullptr);
      if (close != nullptr && close != tag) {
        return Crc16(tag, static_cast<size_t>(close - tag)) & (kSlotCount - 1);
      }
    }
  }
  return Crc16(data, len) & (kSlotCount - 1);
}

}  // namespace ringcache
