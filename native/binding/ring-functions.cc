// ringFind (one hash), ringLookup (a JS array of keys), ringLookupPacked (bytes + offsets).
#include "../core/md5.h"
#include "../core/murmur3.h"
#include "../core/ring-search.h"
#include "functions.h"
#include "key-array.h"
#include "numbers.h"
#include "packed-keys.h"
#include "ring-table.h"
#include "typed-array.h"

namespace ringcache {
namespace binding {
namespace {

// Ring key hash: 0 = md5 (LE uint32 of digest bytes 0-3), 1 = murmur3 x86_32 with seed.
struct KeyHasher {
  unsigned hash;
  uint32_t seed;
  uint32_t operator()(const uint8_t* data, size_t size) const {
    return hash == 0 ? ringcache::Md5Uint32(data, size) : ringcache::Murmur3(data, size, seed);
  }
};

// The arguments after the table: hash selector, seed, Int32Array out with room for `count`,
// whose first `count` entries must not overlap the table.
bool GetLookupArgs(Napi::Env env, const RingView& ring, Napi::Value hash, Napi::Value seed, Napi::Value out_value,
                   size_t count, KeyHasher* hasher, Span<int32_t>* out) {
  if (!GetRingHash(env, hash, &hasher->hash) || !GetUint32(env, seed, {"seed"}, &hasher->seed) ||
      !GetOut(env, out_value, count, out)) {
    return false;
  }
  const ByteRange written = BytesOf(*out, count);
  return CheckApart(env, written, BytesOf(Span<const uint32_t>{ring.points, ring.count}), {"points"}) &&
         CheckApart(env, written, BytesOf(Span<const uint32_t>{ring.buckets, ring.bucket_count}), {"buckets"});
}

}  // namespace

napi_value RingFind(napi_env raw_env, napi_callback_info info) {
  const Args<4> args(raw_env, info);
  const Napi::Env env = args.env;
  unsigned shift;
  RingView ring;
  uint32_t hash;
  if (!args.ok || !GetRingTable(env, args[0], args[1], args[2], &shift, &ring) || !GetUint32(env, args[3], {"hash"}, &hash)) {
    return nullptr;
  }
  return Int32Result(env, ringcache::RingFind(ring, hash));
}

napi_value RingLookup(napi_env raw_env, napi_callback_info info) {
  // points, buckets, shift, keys, hash, seed, out
  const Args<7> args(raw_env, info);
  const Napi::Env env = args.env;
  unsigned shift;
  RingView ring;
  uint32_t length;
  KeyHasher hasher;
  Span<int32_t> out;
  if (!args.ok || !GetRingTable(env, args[0], args[1], args[2], &shift, &ring) || !GetKeyArray(env, args[3], &length) ||
      !GetLookupArgs(env, ring, args[4], args[5], args[6], length, &hasher, &out)) {
    return nullptr;
  }
  const auto flush = [&](uint32_t start, const uint32_t* hashes, uint32_t count) {
    // Reading the keys may have run JS: take the table and the output afresh.
    if (!GetRingView(env, args[0], args[1], shift, &ring) || !GetOut(env, args[6], size_t{start} + count, &out)) {
      return false;
    }
    ringcache::RingFindMany(ring, hashes, count, out.data + start);
    return true;
  };
  ForEachKeyChunk<uint32_t>(env, args[3], length, BytesOf(out, length), hasher, flush);
  return nullptr;
}

napi_value RingLookupPacked(napi_env raw_env, napi_callback_info info) {
  // points, buckets, shift, data, offsets, hash, seed, out
  const Args<8> args(raw_env, info);
  const Napi::Env env = args.env;
  unsigned shift;
  RingView ring;
  PackedKeys keys;
  KeyHasher hasher;
  Span<int32_t> out;
  if (!args.ok || !GetRingTable(env, args[0], args[1], args[2], &shift, &ring) ||
      !GetPackedKeys(env, args[3], args[4], &keys) ||
      !GetLookupArgs(env, ring, args[5], args[6], args[7], keys.count, &hasher, &out) ||
      !CheckApart(env, BytesOf(out, keys.count), BytesOf(keys.data), {"data"}) ||
      !CheckApart(env, BytesOf(out, keys.count), BytesOf(keys.offsets), {"offsets"})) {
    return nullptr;
  }
  // Two passes per chunk: hash every key, then search every hash. Each pass is a short loop
  // whose iterations do not depend on each other, so the CPU overlaps several keys; one pass
  // doing both waited on each hash's multiply chain before its dependent table loads.
  // Nothing here runs JS, so the pointers stay valid for the whole call; the offsets are
  // still read through OffsetChunk (another thread may write a shared `offsets`).
  uint32_t hashes[kKeyChunk];
  OffsetChunk chunk(keys);
  ForEachChunk(keys.count, [&](size_t start, size_t count) {
    if (!chunk.Load(env, start, count)) return false;
    if (hasher.hash == 1) {
      ringcache::Murmur3Many(keys.data.data, chunk.offsets(), count, hasher.seed, hashes);
    } else {
      for (size_t j = 0; j < count; ++j) hashes[j] = hasher(chunk.key(j), chunk.key_size(j));
    }
    ringcache::RingFindMany(ring, hashes, count, out.data + start);
    return true;
  });
  return nullptr;
}

}  // namespace binding
}  // namespace ringcache
