// Number arguments: uint32 values (seed, hash), the ring shift and the ring hash selector.
#ifndef RINGCACHE_BINDING_NUMBERS_H_
#define RINGCACHE_BINDING_NUMBERS_H_

#include <cstdint>

#include "napi-util.h"

namespace ringcache {
namespace binding {

/**
 * ToUint32 of a finite number (what napi_get_value_uint32 and `x >>> 0` give: truncate, then
 * modulo 2^32). TypeError for a non-number, RangeError for NaN and +-Infinity.
 */
bool GetUint32(Napi::Env env, Napi::Value value, ArgName arg, uint32_t* out);

/** The ring shift: an integer in 8..32 (TypeError for a non-number, else RangeError). */
bool GetShift(Napi::Env env, Napi::Value value, unsigned* out);

/** The ring key hash selector: 0 (md5) or 1 (murmur3). */
bool GetRingHash(Napi::Env env, Napi::Value value, unsigned* out);

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_NUMBERS_H_
