#include "key-slot.h"

#include <cstring>

#include "crc16.h"

namespace ringcache {

uint16_t KeySlot(const uint8_t* data, size_t len) {
  if (len > 0) {
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
