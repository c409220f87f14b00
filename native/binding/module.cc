// Module registration: the NativeBinding functions plus the abiVersion constant.
#include "functions.h"
#include "napi-util.h"

namespace ringcache {
namespace binding {
namespace {

constexpr auto kMethod = static_cast<napi_property_attributes>(napi_enumerable | napi_writable | napi_configurable);

// A method property over a plain napi_callback (functions.h: Args<N> instead of
// Napi::CallbackInfo; Napi::Function::New<f> takes only CallbackInfo callbacks).
Napi::PropertyDescriptor Method(const char* name, napi_callback cb) {
  return Napi::PropertyDescriptor(napi_property_descriptor{name, nullptr, cb, nullptr, nullptr, nullptr, kMethod, nullptr});
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.DefineProperties({
      Napi::PropertyDescriptor::Value("abiVersion", Napi::Number::New(env, kAbiVersion), napi_enumerable),
      Method("md5", Md5),
      Method("md5Uint32", Md5Uint32),
      Method("murmur3", Murmur3),
      Method("crc16", Crc16),
      Method("keySlot", KeySlot),
      Method("keySlots", KeySlots),
      Method("keySlotsPacked", KeySlotsPacked),
      Method("ringFind", RingFind),
      Method("ringLookup", RingLookup),
      Method("ringLookupPacked", RingLookupPacked),
  });
  return exports;
}

}  // namespace
}  // namespace binding
}  // namespace ringcache

namespace {
// NODE_API_MODULE pastes its second argument into a name: it takes a plain identifier.
Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ringcache::binding::Init(env, exports); }
}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitModule)
