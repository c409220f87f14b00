// keySlots (a JS array of keys) and keySlotsPacked (bytes + offsets).
#include <cstring>

#include "../core/key-slot.h"
#include "functions.h"
#include "key-array.h"
#include "packed-keys.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {

napi_value KeySlots(napi_env raw_env, napi_callback_info info) {
  const Args<2> args(raw_env, info);
  const Napi::Env env = args.env;
  const Napi::Value keys = args[0];
  const Napi::Value out_value = args[1];
  uint32_t length;
  Span<uint16_t> out;
  if (!args.ok || !GetKeyArray(env, keys, &length) || !GetOut(env, out_value, length, &out)) return nullptr;
  const auto slot = [](const uint8_t* data, size_t size) { return ringcache::KeySlot(data, size); };
  const auto flush = [&](uint32_t start, const uint16_t* chunk, uint32_t count) {
    // Reading the keys may have run JS: take the output afresh.
    if (!GetOut(env, out_value, size_t{start} + count, &out)) return false;
    std::memcpy(out.data + start, chunk, count * sizeof(uint16_t));
    return true;
  };
  ForEachKeyChunk<uint16_t>(env, keys, length, BytesOf(out, length), slot, flush);
  return nullptr;
}

napi_value KeySlotsPacked(napi_env raw_env, napi_callback_info info) {
  const Args<3> args(raw_env, info);
  const Napi::Env env = args.env;
  PackedKeys keys;
  Span<uint16_t> out;
  if (!args.ok || !GetPackedKeys(env, args[0], args[1], &keys) || !GetOut(env, args[2], keys.count, &out) || !CheckApart(env, BytesOf(out, keys.count), BytesOf(keys.data), {"data"}) ||
      !CheckApart(env, BytesOf(out, keys.count), BytesOf(keys.offsets), {"offsets"})) {
    return nullptr;
  }
  OffsetChunk chunk(keys);
  ForEachChunk(keys.count, [&](size_t start, size_t count) {
    if (!chunk.Load(env, start, count)) return false;
    for (size_t j = 0; j < count; ++j) out.data[start + j] = ringcache::KeySlot(chunk.key(j), chunk.key_size(j));
    return true;
  });
  return nullptr;
}

}  // namespace binding
}  // namespace ringcache
