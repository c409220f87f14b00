// Packed byte keys: key i is data[offsets[i] .. offsets[i+1]).
#ifndef RINGCACHE_BINDING_PACKED_KEYS_H_
#define RINGCACHE_BINDING_PACKED_KEYS_H_

#include <cstddef>
#include <cstdint>

#include "napi-util.h"

namespace ringcache {
namespace binding {

struct PackedKeys {
  const uint8_t* data;
  const uint32_t* offsets;
  size_t count;  // offsets.length - 1

  const uint8_t* key(size_t i) const { return data + offsets[i]; }
  size_t key_size(size_t i) const { return offsets[i + 1] - offsets[i]; }
};

/**
 * Reads `data` (Uint8Array) and `offsets` (Uint32Array) and checks the whole layout up front
 * (offsets.length >= 1, non-decreasing, last <= data.length), so the loop that follows needs
 * no checks and nothing is written when the layout is bad. RangeError otherwise.
 */
bool GetPackedKeys(napi_env env, napi_value data, napi_value offsets, PackedKeys* keys);

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_PACKED_KEYS_H_
