// MurmurHash3 x86_32 (Austin Appleby's public-domain description).
#ifndef RINGCACHE_CORE_MURMUR3_H_
#define RINGCACHE_CORE_MURMUR3_H_

#include <cstddef>
#include <cstdint>

namespace ringcache {

/** MurmurHash3 x86_32 of `data[0..len)`; `data` may be null when `len` is 0. */
uint32_t Murmur3(const uint8_t* data, size_t len, uint32_t seed);

/**
 * Packed keys: `out[i] = Murmur3(data + offsets[i], offsets[i + 1] - offsets[i], seed)` for
 * i in [0, count). The caller has checked the layout (offsets non-decreasing, within data).
 * One loop in this file, so the hash is inlined and consecutive keys overlap in the CPU.
 */
void Murmur3Many(const uint8_t* data, const uint32_t* offsets, size_t count, uint32_t seed, uint32_t* out);

}  // namespace ringcache

#endif  // RINGCACHE_CORE_MURMUR3_H_
