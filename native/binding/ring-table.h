// The ring table arguments (points, buckets, shift) as a core RingView.
#ifndef RINGCACHE_BINDING_RING_TABLE_H_
#define RINGCACHE_BINDING_RING_TABLE_H_

#include "../core/ring-search.h"
#include "napi-util.h"

namespace ringcache {
namespace binding {

/**
 * Reads `points` and `buckets` (Uint32Array) for a table with `shift` (already checked) and
 * checks the index shape: `buckets.length == 2^(32-shift) + 1`, last bucket ==
 * `points.length`, `points.length <= 2^31 - 1` (results are int32). RangeError otherwise.
 * The contents of the buckets are not checked: the core clamps every read.
 */
bool GetRingView(Napi::Env env, Napi::Value points, Napi::Value buckets, unsigned shift, RingView* view);

/** The leading (points, buckets, shift) arguments: `shift` checked by GetShift, then GetRingView. */
bool GetRingTable(Napi::Env env, Napi::Value points, Napi::Value buckets, Napi::Value shift_value, unsigned* shift,
                  RingView* view);

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_RING_TABLE_H_
