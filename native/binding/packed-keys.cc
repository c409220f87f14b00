#include "packed-keys.h"

#include <cstdio>

#include "../core/bytes.h"

namespace ringcache {
namespace binding {

bool GetPackedKeys(Napi::Env env, Napi::Value data, Napi::Value offsets, PackedKeys* keys) {
  Span<uint8_t> d;
  Span<uint32_t> o;
  if (!GetSpan(env, data, {"data"}, &d) || !GetSpan(env, offsets, {"offsets"}, &o)) return false;
  if (o.size == 0) return ThrowRangeError(env, {"offsets"}, "must hold at least one entry (keys + 1 offsets)");
  uint32_t prev = LoadOnce(o.data);
  for (size_t i = 1; i < o.size; ++i) {
    const uint32_t next = LoadOnce(o.data + i);
    if (next < prev) {
      char text[96];
      std::snprintf(text, sizeof text, "must be non-decreasing (offsets[%zu] < offsets[%zu])", i, i - 1);
      return ThrowRangeError(env, {"offsets"}, text);
    }
    prev = next;
  }
  if (prev > d.size) {
    char text[96];
    std::snprintf(text, sizeof text, "must not pass data.length %zu (last is %u)", d.size, prev);
    return ThrowRangeError(env, {"offsets"}, text);
  }
  *keys = PackedKeys{d, o, o.size - 1};
  return true;
}

bool OffsetChunk::Load(Napi::Env env, size_t start, size_t count) {
  // The previous chunk's last offset is offsets[start]: keep it rather than read it again.
  uint32_t prev = start == 0 ? LoadOnce(keys_.offsets.data) : last_;
  local_[0] = prev;
  for (size_t j = 1; j <= count; ++j) {
    const uint32_t next = LoadOnce(keys_.offsets.data + start + j);
    if (next < prev || next > keys_.data.size) {
      char text[160];
      std::snprintf(text, sizeof text,
                    "changed during the call (offsets[%zu] = %u is below offsets[%zu] or past data.length %zu)",
                    start + j, next, start + j - 1, keys_.data.size);
      return ThrowRangeError(env, {"offsets"}, text);
    }
    local_[j] = next;
    prev = next;
  }
  last_ = prev;
  return true;
}

}  // namespace binding
}  // namespace ringcache
