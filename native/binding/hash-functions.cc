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

// f(key) for the single-key functions whose only argument is the key.
template <auto Hash>
napi_value OneKey(napi_env raw_env, napi_callback_info info) {
  const Args<1> args(raw_env, info);
  KeyReader key;
  if (!args.ok || !key.Read(args.env, args[0], {"key"})) return nullptr;
  return Uint32Result(args.env, Hash(key.data(), key.size()));
}

}  // namespace

// A null napi_value returns undefined to JS, or the pending exception.
napi_value Md5(napi_env raw_env, napi_callback_info info) {
  const Args<2> args(raw_env, info);
  KeyReader key;
  Span<uint8_t> out;
  if (args.ok && key.Read(args.env, args[0], {"key"}) && GetOut(args.env, args[1], kMd5DigestSize, &out)) {
    ringcache::Md5(key.data(), key.size(), out.data);
  }
  return nullptr;
}

napi_value Murmur3(napi_env raw_env, napi_callback_info info) {
  const Args<2> args(raw_env, info);
  KeyReader key;
  uint32_t seed;
  if (!args.ok || !key.Read(args.env, args[0], {"key"}) || !GetUint32(args.env, args[1], {"seed"}, &seed)) return nullptr;
  return Uint32Result(args.env, ringcache::Murmur3(key.data(), key.size(), seed));
}

napi_value Md5Uint32(napi_env env, napi_callback_info info) { return OneKey<ringcache::Md5Uint32>(env, info); }
napi_value Crc16(napi_env env, napi_callback_info info) { return OneKey<ringcache::Crc16>(env, info); }
napi_value KeySlot(napi_env env, napi_callback_info info) { return OneKey<ringcache::KeySlot>(env, info); }

}  // namespace binding
}  // namespace ringcache
