// Test driver for the napi-free core: known vectors, then random inputs checked against small
// bit-at-a-time / linear-scan references. Every random input lives in an exactly sized heap
// block so AddressSanitizer and valgrind see any read past a key or a table.
//
//   core-test [iterations=3000] [seed=1]     exit status 0 = all passed
//
// Run by scripts/native-sanitize.sh under -fsanitize=address,undefined and under valgrind.
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../core/bytes.h"
#include "../core/crc16.h"
#include "../core/key-slot.h"
#include "../core/md5.h"
#include "../core/murmur3.h"
#include "../core/ring-search.h"
// napi-free: the binding's chunk cursor, run here over lengths no JS test can allocate.
#include "../binding/chunk.h"

namespace {

using namespace ringcache;

int failures = 0;

#define EXPECT_EQ(actual, expected, what)                                                                   \
  do {                                                                                                      \
    const auto a_ = (actual);                                                                               \
    const auto e_ = (expected);                                                                             \
    if (a_ != e_) {                                                                                         \
      ++failures;                                                                                           \
      std::fprintf(stderr, "FAIL %s:%d %s: got 0x%" PRIx64 ", want 0x%" PRIx64 "\n", __FILE__, __LINE__, \
                   what, static_cast<uint64_t>(a_), static_cast<uint64_t>(e_));                              \
    }                                                                                                       \
  } while (0)

// xorshift64*: reproducible from the seed on the command line.
struct Rng {
  uint64_t s;
  uint64_t Next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  uint32_t Below(uint32_t n) { return n == 0 ? 0 : static_cast<uint32_t>(Next() % n); }
};

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::string Hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

// An exactly sized heap copy (a std::string has slack and a terminator ASan would not flag).
std::unique_ptr<uint8_t[]> HeapCopy(const uint8_t* p, size_t n) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[n == 0 ? 1 : n]);
  if (n > 0) std::memcpy(copy.get(), p, n);
  return copy;
}

void CheckMd5Hex(const uint8_t* data, size_t len, const char* want, const char* what) {
  uint8_t digest[kMd5DigestSize];
  Md5(data, len, digest);
  const std::string got = Hex(digest, sizeof digest);
  if (got != want) {
    ++failures;
    std::fprintf(stderr, "FAIL md5 %s: got %s, want %s\n", what, got.c_str(), want);
  }
  EXPECT_EQ(Md5Uint32(data, len), LoadLe32(digest), "md5Uint32 == LE digest[0..4)");
}

void Md5Vectors() {
  // RFC 1321 appendix A.5.
  const struct {
    const char* text;
    const char* hex;
  } kSuite[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& v : kSuite) {
    const size_t n = std::strlen(v.text);
    CheckMd5Hex(HeapCopy(reinterpret_cast<const uint8_t*>(v.text), n).get(), n, v.hex, v.text);
  }
  CheckMd5Hex(nullptr, 0, "d41d8cd98f00b204e9800998ecf8427e", "null, 0");
  // 'a' * n around the padding edges (55/56 bytes: one or two final blocks). Generated with
  //   node -e 'for (const n of [55, 56, ...]) console.log(n,
  //     require("crypto").createHash("md5").update("a".repeat(n)).digest("hex"))'
  const struct {
    size_t n;
    const char* hex;
  } kRepeats[] = {
      {55, "ef1772b6dff9a122358552954ad0df65"},   {56, "3b0c8ac703f828b04c6c197006d17218"},
      {57, "652b906d60af96844ebd21b674f35e93"},   {63, "b06521f39153d618550606be297466d5"},
      {64, "014842d480b571495a4a0363793f7367"},   {65, "c743a45e0d2e6a95cb859adae0248435"},
      {119, "8a7bd0732ed6a28ce75f6dabc90e1613"},  {120, "5f61c0ccad4cac44c75ff505e1f1e537"},
      {127, "020406e1d05cdc2aa287641f7ae2cc39"},  {128, "e510683b3f5ffe4093d021808bc6ff70"},
      {129, "b325dc1c6f5e7a2b7cf465b9feab7948"},  {1000, "cabe45dcc9ae5b66ba86600cca6b8ba8"},
      {1000000, "7707d6ae4e027c70eea2a935c2296f21"},
  };
  for (const auto& v : kRepeats) {
    std::unique_ptr<uint8_t[]> a(new uint8_t[v.n]);
    std::memset(a.get(), 'a', v.n);
    CheckMd5Hex(a.get(), v.n, v.hex, ("'a' x " + std::to_string(v.n)).c_str());
  }
}

void Murmur3Vectors() {
  const uint8_t zeros[4] = {0, 0, 0, 0};
  const std::string hello = "Hello, world!";
  const std::string fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(Murmur3(nullptr, 0, 0), 0u, "murmur3('', 0)");
  EXPECT_EQ(Murmur3(nullptr, 0, 1), 0x514E28B7u, "murmur3('', 1)");
  EXPECT_EQ(Murmur3(nullptr, 0, 0xffffffff), 0x81F16F39u, "murmur3('', 0xffffffff)");
  EXPECT_EQ(Murmur3(zeros, 4, 0), 0x2362F9DEu, "murmur3('\\0\\0\\0\\0', 0)");
  EXPECT_EQ(Murmur3(HeapCopy(Bytes(hello), hello.size()).get(), hello.size(), 1234), 0xFAF6CDB3u, "murmur3(hello)");
  EXPECT_EQ(Murmur3(HeapCopy(Bytes(fox), fox.size()).get(), fox.size(), 0x9747b28c), 0x2FA826CDu, "murmur3(fox)");
}

// CRC16-XMODEM one bit at a time, straight from the definition.
uint16_t Crc16Reference(const uint8_t* p, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(p[i] << 8);
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : crc << 1;
  }
  return crc;
}

// keyHashSlot as Redis writes it: index loops, no memchr.
uint16_t KeySlotReference(const uint8_t* key, size_t len) {
  size_t s = 0;
  for (; s < len; ++s) {
    if (key[s] == '{') break;
  }
  if (s == len) return Crc16Reference(key, len) & 16383;
  size_t e = s + 1;
  for (; e < len; ++e) {
    if (key[e] == '}') break;
  }
  if (e == len || e == s + 1) return Crc16Reference(key, len) & 16383;
  return Crc16Reference(key + s + 1, e - s - 1) & 16383;
}

void SlotVectors() {
  const auto slot = [](const std::string& s) { return KeySlot(HeapCopy(Bytes(s), s.size()).get(), s.size()); };
  const std::string digits = "123456789";
  EXPECT_EQ(Crc16(HeapCopy(Bytes(digits), 9).get(), 9), 0x31C3u, "crc16('123456789')");
  EXPECT_EQ(Crc16(nullptr, 0), 0u, "crc16('')");
  EXPECT_EQ(slot("foo{}{bar}"), 8363u, "keySlot('foo{}{bar}')");
  EXPECT_EQ(slot("{user1000}.following"), slot("user1000"), "keySlot hash tag");
  EXPECT_EQ(slot("foo{{bar}}zap"), slot("{bar"), "keySlot('foo{{bar}}zap')");
  EXPECT_EQ(slot("foo{bar}{zap}"), slot("bar"), "keySlot first tag wins");
  EXPECT_EQ(slot("{"), slot("{"), "keySlot('{')");
  EXPECT_EQ(KeySlot(nullptr, 0), 0u, "keySlot('')");
}

// Random bytes biased towards '{' and '}' so hash tags of every shape turn up.
std::unique_ptr<uint8_t[]> RandomKey(Rng& rng, size_t n) {
  std::unique_ptr<uint8_t[]> key(new uint8_t[n == 0 ? 1 : n]);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rng.Below(16);
    key[i] = r == 0 ? '{' : r == 1 ? '}' : static_cast<uint8_t>(rng.Next());
  }
  return key;
}

void RandomHashes(Rng& rng, int iterations) {
  for (int it = 0; it < iterations; ++it) {
    const size_t n = it < 300 ? static_cast<size_t>(it) : rng.Below(it % 50 == 0 ? 5000 : 300);
    auto key = RandomKey(rng, n);
    EXPECT_EQ(Crc16(key.get(), n), Crc16Reference(key.get(), n), "crc16 vs bitwise reference");
    EXPECT_EQ(KeySlot(key.get(), n), KeySlotReference(key.get(), n), "keySlot vs reference");
    // The same bytes at an odd address hash the same (unaligned loads are fine).
    std::unique_ptr<uint8_t[]> shifted(new uint8_t[n + 1]);
    if (n > 0) std::memcpy(shifted.get() + 1, key.get(), n);
    const uint32_t seed = static_cast<uint32_t>(rng.Next());
    EXPECT_EQ(Murmur3(shifted.get() + 1, n, seed), Murmur3(key.get(), n, seed), "murmur3 alignment");
    uint8_t d1[kMd5DigestSize];
    uint8_t d2[kMd5DigestSize];
    Md5(key.get(), n, d1);
    Md5(shifted.get() + 1, n, d2);
    EXPECT_EQ(std::memcmp(d1, d2, sizeof d1), 0, "md5 alignment");
    EXPECT_EQ(Md5Uint32(key.get(), n), LoadLe32(d1), "md5Uint32 == LE digest[0..4)");
  }
}

// Murmur3Many over random packed layouts (empty keys included) in exactly sized blocks.
void RandomPackedHashes(Rng& rng, int iterations) {
  for (int it = 0; it < iterations; ++it) {
    const size_t count = rng.Below(40);
    std::unique_ptr<uint32_t[]> offsets(new uint32_t[count + 1]);
    offsets[0] = rng.Below(3);
    for (size_t i = 0; i < count; ++i) offsets[i + 1] = offsets[i] + rng.Below(rng.Below(8) == 0 ? 200 : 20);
    const size_t size = offsets[count];
    auto data = RandomKey(rng, size);
    std::unique_ptr<uint32_t[]> out(new uint32_t[count == 0 ? 1 : count]);
    const uint32_t seed = static_cast<uint32_t>(rng.Next());
    Murmur3Many(data.get(), offsets.get(), count, seed, out.get());
    for (size_t i = 0; i < count; ++i) {
      EXPECT_EQ(out[i], Murmur3(data.get() + offsets[i], offsets[i + 1] - offsets[i], seed), "murmur3Many vs murmur3");
    }
  }
}

int32_t RingFindReference(const uint32_t* points, uint32_t n, uint32_t hash) {
  if (n == 0) return -1;
  for (uint32_t i = 0; i < n; ++i) {
    if (points[i] >= hash) return static_cast<int32_t>(i);
  }
  return 0;
}

// buckets[b] = lower bound of (b << shift), last = n; a 64-bit edge so shift 32 needs no case.
std::unique_ptr<uint32_t[]> BuildBuckets(const uint32_t* points, uint32_t n, unsigned shift, size_t* count) {
  *count = RingBucketCount(shift);
  std::unique_ptr<uint32_t[]> buckets(new uint32_t[*count]);
  uint32_t i = 0;
  for (size_t b = 0; b < *count; ++b) {
    const uint64_t edge = b == *count - 1 ? uint64_t{1} << 32 : static_cast<uint64_t>(b) << shift;
    while (i < n && points[i] < edge) ++i;
    buckets[b] = i;
  }
  return buckets;
}

void RingVectors() {
  const uint32_t points[] = {10, 20, 20, 30};
  size_t count;
  auto buckets = BuildBuckets(points, 4, 32, &count);
  const RingView ring{points, 4, buckets.get(), count, 32};
  EXPECT_EQ(RingFind(ring, 0), 0, "ringFind(0)");
  EXPECT_EQ(RingFind(ring, 10), 0, "ringFind(10)");
  EXPECT_EQ(RingFind(ring, 11), 1, "ringFind(11)");
  EXPECT_EQ(RingFind(ring, 20), 1, "ringFind(20) first of ties");
  EXPECT_EQ(RingFind(ring, 30), 3, "ringFind(30)");
  EXPECT_EQ(RingFind(ring, 31), 0, "ringFind wraps");
  EXPECT_EQ(RingFind(ring, 0xffffffff), 0, "ringFind(max) wraps");
  const uint32_t empty_buckets[2] = {0, 0};
  EXPECT_EQ(RingFind(RingView{nullptr, 0, empty_buckets, 2, 32}, 5), -1, "ringFind empty");
}

void RandomRings(Rng& rng, int iterations) {
  for (int it = 0; it < iterations; ++it) {
    const uint32_t n = rng.Below(it % 7 == 0 ? 2000 : 40);
    // Shift 8 (16M buckets) only now and then: it is correct but slow under valgrind.
    const unsigned shift = it % 97 == 0 ? 8 : 16 + rng.Below(17);
    std::unique_ptr<uint32_t[]> points(new uint32_t[n == 0 ? 1 : n]);
    // Clustered values make ties and empty buckets common.
    const uint32_t spread = rng.Below(3) == 0 ? 64 : 0xffffffff;
    for (uint32_t i = 0; i < n; ++i) points[i] = static_cast<uint32_t>(rng.Next() % (uint64_t{spread} + 1));
    std::sort(points.get(), points.get() + n);
    size_t count;
    auto buckets = BuildBuckets(points.get(), n, shift, &count);
    const RingView ring{points.get(), n, buckets.get(), count, shift};
    std::unique_ptr<uint32_t[]> hashes(new uint32_t[50]);
    for (int q = 0; q < 50; ++q) {
      uint32_t h = static_cast<uint32_t>(rng.Next());
      if (q % 3 == 0 && n > 0) h = points[rng.Below(n)] + static_cast<uint32_t>(rng.Below(3)) - 1;
      if (q % 3 == 0 && spread == 64) h = rng.Below(80);
      hashes[q] = h;
      EXPECT_EQ(RingFind(ring, h), RingFindReference(points.get(), n, h), "ringFind vs linear scan");
    }
    // The batch search answers as RingFind, into exactly `count` outputs.
    const size_t batch = rng.Below(51);
    std::unique_ptr<int32_t[]> found(new int32_t[batch == 0 ? 1 : batch]);
    RingFindMany(ring, hashes.get(), batch, found.get());
    for (size_t q = 0; q < batch; ++q) EXPECT_EQ(found[q], RingFind(ring, hashes[q]), "ringFindMany vs ringFind");
    // Junk index contents (any values) and unsorted points: never out of bounds, in range.
    for (size_t b = 0; b < count; ++b) {
      if (rng.Below(4) == 0) buckets[b] = static_cast<uint32_t>(rng.Next());
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (rng.Below(8) == 0) points[i] = static_cast<uint32_t>(rng.Next());
    }
    for (int q = 0; q < 50; ++q) {
      const int32_t r = RingFind(ring, static_cast<uint32_t>(rng.Next()));
      if (n == 0 ? r != -1 : (r < 0 || static_cast<uint32_t>(r) >= n)) {
        ++failures;
        std::fprintf(stderr, "FAIL ringFind junk table: %d for n=%u\n", r, n);
      }
    }
    // A bucket count smaller than the shift implies (a short index) degrades to a full search.
    const size_t short_count = rng.Below(static_cast<uint32_t>(count));
    const RingView short_index{points.get(), n, buckets.get(), short_count, shift};
    const int32_t r = RingFind(short_index, static_cast<uint32_t>(rng.Next()));
    if (n == 0 ? r != -1 : (r < 0 || static_cast<uint32_t>(r) >= n)) {
      ++failures;
      std::fprintf(stderr, "FAIL ringFind short index: %d for n=%u\n", r, n);
    }
  }
}

// The chunk cursor covers [0, length) exactly once, in order, for every uint32 length up to
// 2^32 - 1 (the largest JS array), where a cursor stepped by 256 would wrap to 0.
void ChunkCursor() {
  using binding::ForEachChunk;
  using binding::kKeyChunk;
  for (const uint32_t length : {0u, 1u, 255u, 256u, 257u, 512u, 0xFFFFFF00u, 0xFFFFFF01u, 0xFFFFFFFEu, 0xFFFFFFFFu}) {
    const uint64_t want_chunks = (uint64_t{length} + kKeyChunk - 1) / kKeyChunk;
    uint64_t chunks = 0;
    uint64_t covered = 0;
    bool in_order = true;
    ForEachChunk(length, [&](uint32_t start, uint32_t count) {
      in_order = in_order && start == covered && count >= 1 && count <= kKeyChunk;
      covered += count;
      // A wrapped cursor would start over at 0: stop it instead of looping forever.
      return ++chunks <= want_chunks;
    });
    EXPECT_EQ(chunks, want_chunks, "chunk count");
    EXPECT_EQ(covered, uint64_t{length}, "keys covered");
    EXPECT_EQ(in_order, true, "chunks in order");
  }
  int calls = 0;
  EXPECT_EQ(ForEachChunk(uint32_t{600}, [&](uint32_t, uint32_t) { return ++calls < 2; }), false, "stops at false");
  EXPECT_EQ(calls, 2, "no call after false");
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 3000;
  Rng rng{argc > 2 ? std::strtoull(argv[2], nullptr, 10) | 1 : 1};
  Md5Vectors();
  Murmur3Vectors();
  SlotVectors();
  RingVectors();
  ChunkCursor();
  RandomHashes(rng, iterations);
  RandomPackedHashes(rng, iterations / 4);
  RandomRings(rng, iterations / 4);
  if (failures > 0) {
    std::fprintf(stderr, "core-test: %d failure(s)\n", failures);
    return 1;
  }
  std::printf("core-test: all passed (%d iterations)\n", iterations);
  return 0;
}
