#include "ring-table.h"

#include <cstdint>
#include <cstdio>

#include "numbers.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {

bool GetRingView(Napi::Env env, Napi::Value points, Napi::Value buckets, unsigned shift, RingView* view) {
  Span<uint32_t> p;
  Span<uint32_t> b;
  if (!GetSpan(env, points, {"points"}, &p) || !GetSpan(env, buckets, {"buckets"}, &b)) return false;
  if (p.size > INT32_MAX) return ThrowRangeError(env, {"points"}, "length must be at most 2147483647");
  const size_t want = RingBucketCount(shift);
  if (b.size != want) {
    char text[112];
    std::snprintf(text, sizeof text, "length must be 2^(32 - shift) + 1 = %zu for shift %u (received %zu)", want, shift,
                  b.size);
    return ThrowRangeError(env, {"buckets"}, text);
  }
  if (b.data[b.size - 1] != p.size) {
    return ThrowRangeError(env, {"buckets"}, "last entry must equal points.length");
  }
  *view = RingView{p.data, static_cast<uint32_t>(p.size), b.data, b.size, shift};
  return true;
}

bool GetRingTable(Napi::Env env, Napi::Value points, Napi::Value buckets, Napi::Value shift_value, unsigned* shift,
                  RingView* view) {
  return GetShift(env, shift_value, shift) && GetRingView(env, points, buckets, *shift, view);
}

}  // namespace binding
}  // namespace ringcache
