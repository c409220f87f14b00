// Walking a JS array of keys in chunks. napi_get_element can run JS (an accessor on an index,
// or on the prototype for a hole), which may detach or shrink any typed array. So each chunk's
// results are computed into a stack buffer first, and `flush` re-reads its output (and ring
// tables) before writing: no raw pointer into JS memory is held across a call that runs JS.
#ifndef RINGCACHE_BINDING_KEY_ARRAY_H_
#define RINGCACHE_BINDING_KEY_ARRAY_H_

#include <cstdint>

#include "chunk.h"
#include "key-reader.h"
#include "napi-util.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {

/** Checks that `keys` is an Array and reads its length (TypeError otherwise). */
bool GetKeyArray(Napi::Env env, Napi::Value keys, uint32_t* length);

/**
 * For keys [0, length): `chunk[j] = hash(bytes, size)` per key, then `flush(start, chunk, count)`
 * per chunk. `hash` and `flush` return values / bool; false from flush means an exception is
 * pending. Element i is named `keys[i]` in errors. A Uint8Array key must not overlap
 * `written`, the part of `out` the call writes (RangeError, see CheckApart): its address
 * stays put while JS runs (a detach fails the next flush; a resizable buffer never moves).
 */
template <typename R, typename Hash, typename Flush>
bool ForEachKeyChunk(Napi::Env env, Napi::Value keys, uint32_t length, ByteRange written, Hash hash, Flush flush) {
  KeyReader reader;
  R chunk[kKeyChunk];
  return ForEachChunk(length, [&](uint32_t start, uint32_t count) {
    for (uint32_t j = 0; j < count; ++j) {
      napi_value key;
      const ArgName name{"keys", static_cast<ptrdiff_t>(start + j)};
      // The C call: Napi::Object::Get would wrap a failure in a generic error of its own.
      if (!Check(env, napi_get_element(env, keys, start + j, &key)) || !reader.Read(env, Napi::Value(env, key), name)) {
        return false;
      }
      if (reader.borrowed()) {
        const auto begin = reinterpret_cast<uintptr_t>(reader.data());
        if (!CheckApart(env, written, ByteRange{begin, begin + reader.size()}, name)) return false;
      }
      chunk[j] = hash(reader.data(), reader.size());
    }
    return flush(start, chunk, count);
  });
}

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_KEY_ARRAY_H_
