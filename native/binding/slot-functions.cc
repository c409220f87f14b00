// keySlots (a JS array of keys) and keySlotsPacked (bytes + offsets).
#include <cstring>

#include "../core/key-slot.h"
#include "functions.h"
#include "key-array.h"
#include "packed-keys.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {

napi_value KeySlots(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  uint32_t length;
  Span<uint16_t> out;
  if (!GetArgs(env, info, argv) || !GetKeyArray(env, argv[0], &length) || !GetOut(env, argv[1], length, &out)) {
    return nullptr;
  }
  const auto slot = [](const uint8_t* data, size_t size) { return ringcache::KeySlot(data, size); };
  const auto flush = [&](uint32_t start, const uint16_t* chunk, uint32_t count) {
    // Reading the keys may have run JS: take the output afresh.
    if (!GetOut(env, argv[1], size_t{start} + count, &out)) return false;
    std::memcpy(out.data + start, chunk, count * sizeof(uint16_t));
    return true;
  };
  ForEachKeyChunk<uint16_t>(env, argv[0], length, BytesOf(out, length), slot, flush);
  return nullptr;
}

napi_value KeySlotsPacked(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  PackedKeys keys;
  Span<uint16_t> out;
  if (!GetArgs(env, info, argv) || !GetPackedKeys(env, argv[0], argv[1], &keys) ||
      !GetOut(env, argv[2], keys.count, &out) || !CheckApart(env, BytesOf(out, keys.count), BytesOf(keys.data), {"data"}) ||
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
