// Redis Cluster key slot (src/cluster.c keyHashSlot semantics).
#ifndef RINGCACHE_CORE_KEY_SLOT_H_
#define RINGCACHE_CORE_KEY_SLOT_H_

#include <cstddef>
#include <cstdint>

namespace ringcache {

constexpr uint16_t kSlotCount = 16384;

/**
 * `Crc16(tag) & 16383`, where tag is the bytes between the first '{' and the first '}' after
 * it when that is non-empty; otherwise the whole key ("foo{}{bar}" hashes all of it).
 */
uint16_t KeySlot(const uint8_t* data, size_t len);

}  // namespace ringcache

#endif  // RINGCACHE_CORE_KEY_SLOT_H_
