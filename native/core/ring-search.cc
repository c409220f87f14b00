#include "ring-search.h"

#include "bytes.h"

namespace ringcache {

namespace {

/** Width of the branch-free bucket search (see FindIn). */
constexpr uint32_t kWindow = 8;

/** A non-empty table with its checks done once: bucket_count usable and n > 0. */
struct Table {
  const uint32_t* points;
  uint32_t n;
  const uint32_t* buckets;
  size_t bucket_count;
  unsigned shift;  // < 32 when bucket_count > 2
};

inline uint32_t FindIn(const Table& t, uint32_t hash) {
  const uint32_t n = t.n;
  // shift 32 is one bucket: `hash >> 32` would be undefined in C++ (and a no-op in JS).
  const size_t b = t.shift >= 32 ? 0 : static_cast<size_t>(hash >> t.shift);
  uint32_t lo = 0;
  uint32_t hi = n;
  if (b + 1 < t.bucket_count) {
    // Clamp so a corrupt index can only make the answer wrong, never read out of bounds.
    // Each entry is read once: a shared index may change between a check and a second read.
    const uint32_t raw_hi = LoadOnce(t.buckets + b + 1);
    const uint32_t bucket_hi = raw_hi < n ? raw_hi : n;
    const uint32_t bucket_lo = LoadOnce(t.buckets + b);
    if (bucket_lo <= bucket_hi) {
      lo = bucket_lo;
      hi = bucket_hi;
    }
  }
  // Lower bound in [lo, hi); hi itself is the answer when every point there is < hash.
  // Branch-free (the compare becomes a conditional move): on fresh keys the compare of a
  // classic binary search is a coin flip the predictor loses, ~2x the cost of the whole
  // lookup: packed murmur3 ring lookups of fresh 11 B keys went from 41 to 20 ns/key.
  uint32_t len = hi - lo;
  if (len < kWindow && n - lo >= kWindow) {
    // Buckets hold 2.7-5.3 points on average (src/ring/continuum.ts), so nearly every lookup
    // takes this path: a fixed three-step lower bound (0-7 points below hash) over
    // [lo, lo + 8), entries at or past hi counted as >= hash. The loop below runs 0-3 times
    // depending on the bucket, an exit branch the predictor loses on fresh keys. Same steps
    // as the TypeScript engine (src/engine/js/ring-search.ts).
    const uint32_t* p = t.points;
    lo += ((p[lo + 3] < hash) & (lo + 3 < hi)) * 4u;
    lo += ((p[lo + 1] < hash) & (lo + 1 < hi)) * 2u;
    lo += (p[lo] < hash) & (lo < hi);
  } else if (len > 0) {
    const uint32_t* base = t.points + lo;
    while (len > 1) {
      const uint32_t half = len >> 1;
      base = base[half] < hash ? base + half : base;
      len -= half;
    }
    lo = static_cast<uint32_t>(base - t.points) + (*base < hash ? 1u : 0u);
  }
  return lo == n ? 0 : lo;
}

inline Table TableOf(const RingView& ring) {
  return Table{ring.points, ring.count, ring.buckets, ring.bucket_count, ring.shift};
}

}  // namespace

int32_t RingFind(const RingView& ring, uint32_t hash) {
  if (ring.count == 0) return -1;
  return static_cast<int32_t>(FindIn(TableOf(ring), hash));
}

void RingFindMany(const RingView& ring, const uint32_t* hashes, size_t count, int32_t* out) {
  if (ring.count == 0) {
    for (size_t i = 0; i < count; ++i) out[i] = -1;
    return;
  }
  const Table t = TableOf(ring);
  for (size_t i = 0; i < count; ++i) out[i] = static_cast<int32_t>(FindIn(t, hashes[i]));
}

}  // namespace ringcache
