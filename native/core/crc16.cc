// Table-driven CRC16 that consumes 8 bytes per step ("slicing"): kTable[k][x] is the CRC of
// byte x followed by k zero bytes, so the 8 lookups of a step are independent and the loop is
// bound by throughput, not by a load-latency chain per byte. Short Redis keys are 8-30 bytes.
#include "crc16.h"

#include <array>

namespace ringcache {
namespace {

constexpr uint16_t kPoly = 0x1021;
constexpr int kSlices = 8;
using Table = std::array<std::array<uint16_t, 256>, kSlices>;

constexpr Table MakeTable() {
  Table t{};
  for (unsigned x = 0; x < 256; ++x) {
    unsigned c = x << 8;
    for (int bit = 0; bit < 8; ++bit) c = (c & 0x8000) ? (c << 1) ^ kPoly : c << 1;
    t[0][x] = static_cast<uint16_t>(c);
  }
  for (int k = 1; k < kSlices; ++k) {
    for (unsigned x = 0; x < 256; ++x) {
      const unsigned prev = t[k - 1][x];
      t[k][x] = static_cast<uint16_t>((prev << 8) ^ t[0][prev >> 8]);
    }
  }
  return t;
}

constexpr Table kTable = MakeTable();

}  // namespace

uint16_t Crc16(const uint8_t* data, size_t len) {
  unsigned crc = 0;
  size_t i = 0;
  // The running CRC enters as if xored into the step's first two message bytes (linearity).
  for (; i + kSlices <= len; i += kSlices) {
    const uint8_t* p = data + i;
    crc = kTable[7][p[0] ^ (crc >> 8)] ^ kTable[6][p[1] ^ (crc & 0xff)] ^ kTable[5][p[2]] ^
          kTable[4][p[3]] ^ kTable[3][p[4]] ^ kTable[2][p[5]] ^ kTable[1][p[6]] ^ kTable[0][p[7]];
  }
  // The 0-7 byte tail in one step of the same shape: byte j of r is followed by r-1-j bytes.
  const size_t rest = len - i;
  if (rest >= 2) {
    const uint8_t* p = data + i;
    unsigned acc = kTable[rest - 1][p[0] ^ (crc >> 8)] ^ kTable[rest - 2][p[1] ^ (crc & 0xff)];
    for (size_t j = 2; j < rest; ++j) acc ^= kTable[rest - 1 - j][p[j]];
    crc = acc;
  } else if (rest == 1) {
    crc = ((crc << 8) ^ kTable[0][(crc >> 8) ^ data[i]]) & 0xffff;
  }
  return static_cast<uint16_t>(crc);
}

}  // namespace ringcache
