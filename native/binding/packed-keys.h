// Packed byte keys: key i is data[offsets[i] .. offsets[i+1]).
#ifndef RINGCACHE_BINDING_PACKED_KEYS_H_
#define RINGCACHE_BINDING_PACKED_KEYS_H_

#include <cstddef>
#include <cstdint>

#include "chunk.h"
#include "napi-util.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {

/** Borrowed `data` and `offsets`; the offsets are read only through OffsetChunk. */
struct PackedKeys {
  Span<uint8_t> data;
  Span<uint32_t> offsets;
  size_t count;  // offsets.length - 1
};

/**
 * Reads `data` (Uint8Array) and `offsets` (Uint32Array) and checks the whole layout up front
 * (offsets.length >= 1, non-decreasing, last <= data.length), so that bad input throws its
 * RangeError before anything is written. The hashing loops do not trust this check: offsets
 * on a SharedArrayBuffer can change after it (another thread), and they go through
 * OffsetChunk, which reads and checks each offset once more.
 */
bool GetPackedKeys(Napi::Env env, Napi::Value data, Napi::Value offsets, PackedKeys* keys);

/**
 * The offsets of one chunk of keys, copied to the stack with one read per entry and checked
 * there (non-decreasing, within data) before any key is hashed. The copy is what the loop
 * uses, so a value that changed since GetPackedKeys makes the call throw a RangeError (with
 * the earlier chunks' results written) instead of reading outside `data`. The first entry of
 * a chunk is the last of the previous one, not read again: every offset is read exactly once
 * per call, so the results are those of one offsets array, the one that was read.
 */
class OffsetChunk {
 public:
  explicit OffsetChunk(const PackedKeys& keys) : keys_(keys) {}

  /** Copies and checks the offsets of keys [start, start + count); chunks must come in order. */
  bool Load(Napi::Env env, size_t start, size_t count);

  /** `count + 1` checked offsets: key `start + j` is `data + offsets()[j] .. offsets()[j + 1]`. */
  const uint32_t* offsets() const { return local_; }
  const uint8_t* key(size_t j) const { return keys_.data.data + local_[j]; }
  size_t key_size(size_t j) const { return local_[j + 1] - local_[j]; }

 private:
  const PackedKeys& keys_;
  uint32_t local_[kKeyChunk + 1];
  uint32_t last_ = 0;
};

}  // namespace binding
}  // namespace ringcache

#endif  // RINGCACHE_BINDING_PACKED_KEYS_H_
