/**
 * Key hashing: MD5 (RFC 1321), MurmurHash3 x86_32 and CRC16-XMODEM over the UTF-8 bytes of a
 * string (exactly `Buffer.from(str)`, a lone surrogate becomes U+FFFD) or over raw bytes.
 */
import { engine, type Key } from './engine';
import { checkInteger, checkKey } from './validate';

/** MD5 digest of `key` (16 bytes). */
export function md5(key: Key): Uint8Array {
  checkKey(key);
  const out = new Uint8Array(16);
  engine.md5(key, out);
  return out;
}

/**
 * Little-endian uint32 of MD5 digest bytes 0-3: the key hash of hashring, libketama,
 * libmemcached and twemproxy (`hash: md5`).
 */
export function md5Uint32(key: Key): number {
  checkKey(key);
  return engine.md5Uint32(key);
}

/** MurmurHash3 x86_32 of `key` as an unsigned 32-bit integer. `seed` is a uint32 (default 0). */
export function murmur3(key: Key, seed = 0): number {
  checkKey(key);
  checkInteger(seed, 'seed', 0, 0xffffffff);
  return engine.murmur3(key, seed);
}

/** CRC16-XMODEM (poly 0x1021, init 0): `crc16('123456789') === 0x31c3`. */
export function crc16(key: Key): number {
  checkKey(key);
  return engine.crc16(key);
}
