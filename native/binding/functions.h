// The exported entry points, one plain napi_callback per NativeBinding function
// (src/engine/types.ts). Each validates its arguments and throws TypeError/RangeError.
#ifndef RINGCACHE_BINDING_FUNCTIONS_H_
#define RINGCACHE_BINDING_FUNCTIONS_H_

#include <node_api.h>

#include <cstdint>

namespace ringcache {
namespace binding {

/** Must equal NATIVE_ABI_VERSION in src/engine/types.ts; bump both when exports change. */
constexpr uint32_t kAbiVersion = 1;

napi_value Md5(napi_env env, napi_callback_info info);
napi_value Md5Uint32(napi_env env, napi_callback_info info);
napi_value Murmur3(napi_env env, napi_callback_info info);
napi_value Crc16(napi_env env, napi_callback_info info);
napi_value KeySlot(napi_env env, napi_callback_info info);
napi_value KeySlots(napi_env env, napi_callback_info info);
napi_value KeySlotsPacked(napi_env env, napi_callback_info info);
napi_value RingFind(napi_env env, napi_callback_info info);
napi_value RingLookup(napi_env env, napi_callback_info info);
napi_value RingLookupPacked(napi_env env, napi_callback_info info);

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_FUNCTIONS_H_
