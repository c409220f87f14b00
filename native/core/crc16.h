// CRC16-XMODEM (poly 0x1021, init 0, MSB first, no final xor) and the Redis Cluster slot.
#ifndef RINGCACHE_CORE_CRC16_H_
#define RINGCACHE_CORE_CRC16_H_

#include <cstddef>
#include <cstdint>

namespace ringcache {

/** CRC16-XMODEM of `data[0..len)`: "123456789" gives 0x31C3. `data` may be null when `len` is 0. */
uint16_t Crc16(const uint8_t* data, size_t len);

}  // namespace ringcache

#endif  // RINGCACHE_CORE_CRC16_H_
