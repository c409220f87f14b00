// Batches are walked in chunks of kKeyChunk keys (napi-free, so native/test/core-test.cc can
// run it over the largest lengths).
#ifndef RINGCACHE_BINDING_CHUNK_H_
#define RINGCACHE_BINDING_CHUNK_H_

#include <cstdint>

namespace ringcache {
namespace binding {

/** Keys per chunk: one re-read of the outputs (and one stack copy of offsets) per this many keys. */
constexpr uint32_t kKeyChunk = 256;

/**
 * Calls `f(start, count)` for consecutive chunks of at most kKeyChunk that cover [0, length),
 * and stops at the first false (returned). The cursor advances by `count`, never past
 * `length`: a uint32 cursor stepped by kKeyChunk would wrap to 0 for a JS array of
 * 2^32 - 255 or more elements and loop forever.
 */
template <typename Size, typename F>
bool ForEachChunk(Size length, F f) {
  for (Size start = 0; start < length;) {
    const Size count = length - start < Size{kKeyChunk} ? length - start : Size{kKeyChunk};
    if (!f(start, count)) return false;
    start += count;
  }
  return true;
}

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_CHUNK_H_
