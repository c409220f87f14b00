// MD5 (RFC 1321), one-shot over a byte range.
#ifndef RINGCACHE_CORE_MD5_H_
#define RINGCACHE_CORE_MD5_H_

#include <cstddef>
#include <cstdint>

namespace ringcache {

constexpr size_t kMd5DigestSize = 16;

/** Writes the 16-byte digest of `data[0..len)` to `out`. `data` may be null when `len` is 0. */
void Md5(const uint8_t* data, size_t len, uint8_t out[kMd5DigestSize]);

/**
 * Little-endian uint32 of digest bytes 0-3: the key hash of hashring, libketama and
 * twemproxy. Same as loading `out[0..4)` after Md5(), without the store.
 */
uint32_t Md5Uint32(const uint8_t* data, size_t len);

}  // namespace ringcache

#endif  // RINGCACHE_CORE_MD5_H_
