/**
 * Reference implementations and published vectors shared by the hash tests: written plainly
 * from the definitions, so the fast engines are checked against something independent.
 */

/** RFC 1321, appendix A.5: [input, hex digest]. */
export const RFC1321_VECTORS: readonly (readonly [string, string])[] = [
  ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['a', '0cc175b9c0f1b6a831c399e269772661'],
  ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
  ['1234567890'.repeat(8), '57edf4a22be3c955ac49da2e2107b67a'],
];

/** Published MurmurHash3 x86_32 vectors: [input, seed, hash]. */
export const MURMUR3_VECTORS: readonly (readonly [string, number, number])[] = [
  ['', 0, 0],
  ['', 1, 0x514e28b7],
  ['', 0xffffffff, 0x81f16f39],
  ['\0\0\0\0', 0, 0x2362f9de],
  ['Hello, world!', 1234, 0xfaf6cdb3],
  ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
];

/** CRC16-XMODEM bit by bit, from the definition (poly 0x1021, init 0, no reflection). */
export function crc16Reference(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Redis `keyHashSlot` over bytes: the first `{`, the first `}` after it, a non-empty tag between. */
export function keySlotReference(bytes: Uint8Array): number {
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16Reference(bytes.subarray(open + 1, close)) & 16383;
  }
  return crc16Reference(bytes) & 16383;
}
