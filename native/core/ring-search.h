// Ring search over sorted uint32 points with a bucket index in front (the RingTable of
// src/engine/types.ts, shared bit-for-bit with the TypeScript engine).
#ifndef RINGCACHE_CORE_RING_SEARCH_H_
#define RINGCACHE_CORE_RING_SEARCH_H_

#include <cstddef>
#include <cstdint>

namespace ringcache {

/** Valid shifts: bits = 32 - shift in 0..24 (shift 32 is the single-bucket table). */
constexpr unsigned kMinRingShift = 8;
constexpr unsigned kMaxRingShift = 32;

/** Number of bucket entries a table with `shift` has: 2^(32-shift) + 1. */
constexpr size_t RingBucketCount(unsigned shift) { return (size_t{1} << (32 - shift)) + 1; }

/**
 * A borrowed view of one table. `buckets[b]` is the lower bound of `b << shift` in `points`;
 * the last entry is `count`. The search stays in bounds for any bucket contents and any
 * `bucket_count` (a bad index degrades to a full binary search); only a wrong `count` or
 * `bucket_count` larger than the memory behind the pointers is out of contract.
 */
struct RingView {
  const uint32_t* points;
  uint32_t count;
  const uint32_t* buckets;
  size_t bucket_count;
  unsigned shift;
};

/**
 * Index of the first point >= `hash`, wrapping to 0 past the last point; -1 when the ring is
 * empty. With unsorted points the result is still an index in [0, count).
 */
int32_t RingFind(const RingView& ring, uint32_t hash);

/** `out[i] = RingFind(ring, hashes[i])` for i in [0, count), with the table checks hoisted. */
void RingFindMany(const RingView& ring, const uint32_t* hashes, size_t count, int32_t* out);

}  // namespace ringcache

#endif  // RINGCACHE_CORE_RING_SEARCH_H_
