// Little-endian loads and stores that are alignment-safe and compile to single moves on
// x86 and arm64 (memcpy of a fixed size is folded by the compiler).
#ifndef RINGCACHE_CORE_BYTES_H_
#define RINGCACHE_CORE_BYTES_H_

#include <cstdint>
#include <cstring>

namespace ringcache {

inline uint32_t Rotl32(uint32_t x, unsigned r) { return (x << r) | (x >> ((32 - r) & 31)); }

inline uint32_t LoadLe32(const uint8_t* p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
#else
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
#endif
}

inline void StoreLe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

/**
 * One read of a word that JS can reach: a SharedArrayBuffer may be written by another thread
 * while native code runs. A relaxed atomic load (a plain move on x86 and arm64) keeps the
 * compiler from reading the location again where the code uses the local copy, so a value is
 * checked and used as the same value.
 */
inline uint32_t LoadOnce(const uint32_t* p) {
#if defined(__GNUC__) || defined(__clang__)
  return __atomic_load_n(p, __ATOMIC_RELAXED);
#else
  return *static_cast<const volatile uint32_t*>(p);
#endif
}

}  // namespace ringcache

#endif  // RINGCACHE_CORE_BYTES_H_
