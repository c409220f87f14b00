// MD5 written from RFC 1321: 64-byte blocks, four rounds of sixteen steps, each step
// `a = b + rotl(a + f(b, c, d) + x[k] + T[i], s)` with the roles of a..d rotating.
#include "md5.h"

#include <cstring>
#include <utility>

#include "bytes.h"

namespace ringcache {
namespace {

// T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 section 3.4. Generated with
// `node -e 'for(let i=0;i<64;i++)console.log(Math.floor(Math.abs(Math.sin(i+1))*2**32))'`.
constexpr uint32_t kSine[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

// Per-round rotation amounts; step j of a round uses kShift[round][j % 4].
constexpr unsigned kShift[4][4] = {{7, 12, 17, 22}, {5, 9, 14, 20}, {4, 11, 16, 23}, {6, 10, 15, 21}};

// Which message word step j of each round reads: j, 1+5j, 5+3j, 7j (mod 16).
constexpr unsigned WordIndex(int round, int j) {
  constexpr unsigned kMul[4] = {1, 5, 3, 7};
  constexpr unsigned kAdd[4] = {0, 1, 5, 0};
  return (kAdd[round] + kMul[round] * static_cast<unsigned>(j)) & 15;
}

// The four auxiliary functions; F and G in forms with one fewer operation than the RFC's.
template <int R>
inline uint32_t Mix(uint32_t x, uint32_t y, uint32_t z) {
  if constexpr (R == 0) {
    return z ^ (x & (y ^ z));  // F = (x & y) | (~x & z)
  } else if constexpr (R == 1) {
    return y ^ (z & (x ^ y));  // G = (x & z) | (y & ~z)
  } else if constexpr (R == 2) {
    return x ^ y ^ z;  // H
  } else {
    return y ^ (x | ~z);  // I
  }
}

// Step i of 64, expanded at compile time. The RFC renames (a, b, c, d) -> (d, a', b, c) after
// each step; here the names stay put and the step's roles are slots of `v` rotated by i.
template <int I>
inline void Step(uint32_t v[4], const uint32_t x[16]) {
  constexpr int kRound = I / 16;
  constexpr int kA = (4 - I % 4) % 4;
  constexpr int kB = (kA + 1) % 4;
  constexpr int kC = (kA + 2) % 4;
  constexpr int kD = (kA + 3) % 4;
  const uint32_t t = v[kA] + Mix<kRound>(v[kB], v[kC], v[kD]) + x[WordIndex(kRound, I % 16)] + kSine[I];
  v[kA] = v[kB] + Rotl32(t, kShift[kRound][I % 4]);
}

template <int... I>
inline void Steps(uint32_t v[4], const uint32_t x[16], std::integer_sequence<int, I...>) {
  (Step<I>(v, x), ...);
}

void Compress(uint32_t state[4], const uint8_t* block) {
  uint32_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = LoadLe32(block + 4 * i);
  uint32_t v[4] = {state[0], state[1], state[2], state[3]};
  Steps(v, x, std::make_integer_sequence<int, 64>{});
  for (int i = 0; i < 4; ++i) state[i] += v[i];
}

// The final state for data[0..len). Padding: 0x80, zeros to 56 mod 64, the bit length as LE uint64.
void Digest(const uint8_t* data, size_t len, uint32_t state[4]) {
  state[0] = 0x67452301;
  state[1] = 0xefcdab89;
  state[2] = 0x98badcfe;
  state[3] = 0x10325476;
  const size_t full = len & ~size_t{63};
  for (size_t off = 0; off < full; off += 64) Compress(state, data + off);

  uint8_t tail[128] = {};
  const size_t rest = len - full;
  if (rest > 0) std::memcpy(tail, data + full, rest);
  tail[rest] = 0x80;
  const size_t tail_len = rest < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(len) << 3;
  for (int i = 0; i < 8; ++i) tail[tail_len - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  Compress(state, tail);
  if (tail_len == 128) Compress(state, tail + 64);
}

}  // namespace

void Md5(const uint8_t* data, size_t len, uint8_t out[kMd5DigestSize]) {
  uint32_t state[4];
  Digest(data, len, state);
  for (int i = 0; i < 4; ++i) StoreLe32(out + 4 * i, state[i]);
}

uint32_t Md5Uint32(const uint8_t* data, size_t len) {
  uint32_t state[4];
  Digest(data, len, state);
  return state[0];
}

}  // namespace ringcache
