#include "ring-table.h"

#include <cstdint>
#include <cstdio>

#include "numbers.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {

bool GetRingView(napi_env env, napi_value points, napi_value buckets, unsigned shift, RingView* view) {
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

bool GetRingTable(napi_env env, const napi_value args[3], unsigned* shift, RingView* view) {
  return GetShift(env, args[2], shift) && GetRingView(env, args[0], args[1], *shift, view);
}

}  // namespace binding
}  // namespace ringcache
