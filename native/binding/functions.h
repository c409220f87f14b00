// The exported entry points, one plain function per NativeBinding function
// (src/engine/types.ts). Each validates its arguments and throws TypeError/RangeError.
//
// Checklist for every entry point (memory that JS can reach, including a SharedArrayBuffer
// another thread writes and views that alias each other, is read once and validated where it
// is used):
//   1. Every argument checked: exact typed-array type, not detached, lengths; a failing
//      check throws (never aborts) and leaves a pending exception the caller returns with.
//   2. A value read from JS memory that decides what is read next (offsets, bucket bounds) is
//      read once (LoadOnce, or one copy per chunk: OffsetChunk) and checked as that copy;
//      the copy is what the loop uses. An up-front check alone is never trusted.
//   3. No pointer into JS memory is held across a call that can run JS (napi_get_element,
//      string reads of getters): re-take views after it (key-array.h's flush).
//   4. `out` (the part a call writes) overlapping any input is a RangeError naming out
//      (CheckApart), checked before the first write; the TS engine does the same.
//   5. Loop cursors cannot wrap (ForEachChunk advances by the chunk's count).
//   6. No node-addon-api call that throws a generic error (or ends in napi_fatal_error) is
//      reached with an unchecked value or with an exception pending: types are checked first,
//      and every helper returns as soon as a call left an exception pending.
// Audited (issue 21): md5 (out may overlap key: the digest is computed before it is
// written), md5Uint32, murmur3, crc16, keySlot (one key, its length fixed by the view),
// keySlots and ringLookup (keys, out re-taken per chunk, Uint8Array keys apart from out),
// keySlotsPacked and ringLookupPacked (offsets per chunk through OffsetChunk), ringFind and
// the ring searches (bucket entries read once, clamped: core/ring-search.cc).
#ifndef RINGCACHE_BINDING_FUNCTIONS_H_
#define RINGCACHE_BINDING_FUNCTIONS_H_

#include <napi.h>

#include <cstdint>

namespace ringcache {
namespace binding {

/** Must equal NATIVE_ABI_VERSION in src/engine/types.ts; bump both when exports change. */
constexpr uint32_t kAbiVersion = 1;

// Plain napi_callbacks: each reads its arguments with Args<N> (napi-util.h) and works on
// Napi::Env / Napi::Value from there; a null return is undefined or the pending exception.
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
