// Module registration: the NativeBinding functions plus the abiVersion constant.
#include "functions.h"
#include "napi-util.h"

namespace ringcache {
namespace binding {
namespace {

napi_value Init(napi_env env, napi_value exports) {
  napi_value abi;
  if (!Check(env, napi_create_uint32(env, kAbiVersion, &abi))) return nullptr;
  constexpr auto kMethod = static_cast<napi_property_attributes>(napi_enumerable | napi_writable | napi_configurable);
  const napi_property_descriptor properties[] = {
      {"abiVersion", nullptr, nullptr, nullptr, nullptr, abi, napi_enumerable, nullptr},
      {"md5", nullptr, Md5, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"md5Uint32", nullptr, Md5Uint32, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"murmur3", nullptr, Murmur3, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"crc16", nullptr, Crc16, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"keySlot", nullptr, KeySlot, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"keySlots", nullptr, KeySlots, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"keySlotsPacked", nullptr, KeySlotsPacked, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"ringFind", nullptr, RingFind, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"ringLookup", nullptr, RingLookup, nullptr, nullptr, nullptr, kMethod, nullptr},
      {"ringLookupPacked", nullptr, RingLookupPacked, nullptr, nullptr, nullptr, kMethod, nullptr},
  };
  if (!Check(env, napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties))) {
    return nullptr;
  }
  return exports;
}

}  // namespace
}  // namespace binding
}  // namespace ringcache

NAPI_MODULE(NODE_GYP_MODULE_NAME, ringcache::binding::Init)
