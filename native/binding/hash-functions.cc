// md5, md5Uint32, murmur3, crc16, keySlot: one key in, one result out.
#include "../core/crc16.h"
#include "../core/key-slot.h"
#include "../core/md5.h"
#include "../core/murmur3.h"
#include "functions.h"
#include "key-reader.h"
#include "numbers.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {
namespace {

napi_value Uint32Result(napi_env env, uint32_t value) {
  napi_value result;
  return Check(env, napi_create_uint32(env, value, &result)) ? result : nullptr;
}

// f(key) for the single-key functions whose only argument is the key.
template <auto Hash>
napi_value OneKey(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  KeyReader key;
  if (!GetArgs(env, info, argv) || !key.Read(env, argv[0], {"key"})) return nullptr;
  return Uint32Result(env, Hash(key.data(), key.size()));
}

}  // namespace

napi_value Md5(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  KeyReader key;
  Span<uint8_t> out;
  if (!GetArgs(env, info, argv) || !key.Read(env, argv[0], {"key"}) || !GetOut(env, argv[1], kMd5DigestSize, &out)) {
    return nullptr;
  }
  ringcache::Md5(key.data(), key.size(), out.data);
  return nullptr;
}

napi_value Murmur3(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  KeyReader key;
  uint32_t seed;
  if (!GetArgs(env, info, argv) || !key.Read(env, argv[0], {"key"}) || !GetUint32(env, argv[1], {"seed"}, &seed)) {
    return nullptr;
  }
  return Uint32Result(env, ringcache::Murmur3(key.data(), key.size(), seed));
}

napi_value Md5Uint32(napi_env env, napi_callback_info info) { return OneKey<ringcache::Md5Uint32>(env, info); }
napi_value Crc16(napi_env env, napi_callback_info info) { return OneKey<ringcache::Crc16>(env, info); }
napi_value KeySlot(napi_env env, napi_callback_info info) { return OneKey<ringcache::KeySlot>(env, info); }

}  // namespace binding
}  // namespace ringcache
