#include "ring-search.h"

namespace ringcache {

int32_t RingFind(const RingView& ring, uint32_t hash) {
  const uint32_t n = ring.count;
  if (n == 0) return -1;
  // shift 32 is one bucket: `hash >> 32` would be undefined in C++ (and a no-op in JS).
  const size_t b = ring.shift >= 32 ? 0 : static_cast<size_t>(hash >> ring.shift);
  uint32_t lo = 0;
  uint32_t hi = n;
  if (b + 1 < ring.bucket_count) {
    // Clamp so a corrupt index can only make the answer wrong, never read out of bounds.
    const uint32_t bucket_hi = ring.buckets[b + 1] < n ? ring.buckets[b + 1] : n;
    const uint32_t bucket_lo = ring.buckets[b];
    if (bucket_lo <= bucket_hi) {
      lo = bucket_lo;
      hi = bucket_hi;
    }
  }
  // Lower bound in [lo, hi); hi itself is the answer when every point there is < hash.
  uint32_t len = hi - lo;
  while (len > 0) {
    const uint32_t half = len >> 1;
    if (ring.points[lo + half] < hash) {
      lo += half + 1;
      len -= half + 1;
    } else {
      len = half;
    }
  }
  return lo == n ? 0 : static_cast<int32_t>(lo);
}

}  // namespace ringcache
