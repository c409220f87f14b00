// MurmurHash3 x86_32 (Austin Appleby's public-domain description).
#ifndef RINGCACHE_CORE_MURMUR3_H_
#define RINGCACHE_CORE_MURMUR3_H_

#include <cstddef>
#include <cstdint>

namespace ringcache {

/** MurmurHash3 x86_32 of `data[0..len)`; `data` may be null when `len` is 0. */
uint32_t Murmur3(const uint8_t* data, size_t len, uint32_t seed);

}  // namespace ringcache

#endif  // RINGCACHE_CORE_MURMUR3_H_
