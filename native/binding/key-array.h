// Walking a JS array of keys in chunks. napi_get_element can run JS (an accessor on an index,
// or on the prototype for a hole), which may detach or shrink any typed array. So each chunk's
// results are computed into a stack buffer first, and `flush` re-reads its output (and ring
// tables) before writing: no raw pointer into JS memory is held across a call that runs JS.
#ifndef RINGCACHE_BINDING_KEY_ARRAY_H_
#define RINGCACHE_BINDING_KEY_ARRAY_H_

#include <cstdint>

#include "key-reader.h"
#include "napi-util.h"

namespace ringcache {
namespace binding {

/** Keys per chunk: one re-read of the outputs per this many keys. */
constexpr uint32_t kKeyChunk = 256;

/** Checks that `keys` is an Array and reads its length (TypeError otherwise). */
bool GetKeyArray(napi_env env, napi_value keys, uint32_t* length);

/**
 * For keys [0, length): `chunk[j] = hash(bytes, size)` per key, then `flush(start, chunk, count)`
 * per chunk. `hash` and `flush` return values / bool; false from flush means an exception is
 * pending. Element i is named `keys[i]` in errors.
 */
template <typename R, typename Hash, typename Flush>
bool ForEachKeyChunk(napi_env env, napi_value keys, uint32_t length, Hash hash, Flush flush) {
  KeyReader reader;
  R chunk[kKeyChunk];
  for (uint32_t start = 0; start < length; start += kKeyChunk) {
    const uint32_t count = length - start < kKeyChunk ? length - start : kKeyChunk;
    for (uint32_t j = 0; j < count; ++j) {
      napi_value key;
      if (!Check(env, napi_get_element(env, keys, start + j, &key))) return false;
      if (!reader.Read(env, key, {"keys", static_cast<ptrdiff_t>(start + j)})) return false;
      chunk[j] = hash(reader.data(), reader.size());
    }
    if (!flush(start, chunk, count)) return false;
  }
  return true;
}

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_KEY_ARRAY_H_
