#include "packed-keys.h"

#include <cstdio>

#include "typed-array.h"

namespace ringcache {
namespace binding {

bool GetPackedKeys(napi_env env, napi_value data, napi_value offsets, PackedKeys* keys) {
  Span<uint8_t> d;
  Span<uint32_t> o;
  if (!GetSpan(env, data, {"data"}, &d) || !GetSpan(env, offsets, {"offsets"}, &o)) return false;
  if (o.size == 0) return ThrowRangeError(env, {"offsets"}, "must hold at least one entry (keys + 1 offsets)");
  for (size_t i = 1; i < o.size; ++i) {
    if (o.data[i] < o.data[i - 1]) {
      char text[96];
      std::snprintf(text, sizeof text, "must be non-decreasing (offsets[%zu] < offsets[%zu])", i, i - 1);
      return ThrowRangeError(env, {"offsets"}, text);
    }
  }
  if (o.data[o.size - 1] > d.size) {
    char text[96];
    std::snprintf(text, sizeof text, "must not pass data.length %zu (last is %u)", d.size, o.data[o.size - 1]);
    return ThrowRangeError(env, {"offsets"}, text);
  }
  *keys = PackedKeys{d.data, o.data, o.size - 1};
  return true;
}

}  // namespace binding
}  // namespace ringcache
