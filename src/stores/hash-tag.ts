/**
 * twemproxy's `hash_tag`: with `hash_tag: "{}"`, a key is placed by the text between its first
 * `{` and the first `}` after it, when that text is not empty; otherwise by the whole key
 * (src/nc_server.c `server_pool_idx`). So `user:{42}:profile` and `user:{42}:cart` share a
 * node. Same rule as Redis Cluster's hash tags, applied to ring placement.
 */
import type { Key } from '../engine';
import { describe } from '../validate';

/** A parsed hash tag: its two delimiter bytes. */
export interface HashTag {
  readonly open: string;
  readonly close: string;
  readonly openByte: number;
  readonly closeByte: number;
}

/**
 * Checks a `hashTag` option: two ASCII characters (twemproxy takes the first two bytes of its
 * `hash_tag`; a delimiter outside ASCII could match inside a multi-byte character).
 */
export function parseHashTag(tag: unknown, name = 'options.hashTag'): HashTag | undefined {
  if (tag === undefined) return undefined;
  if (typeof tag !== 'string' || tag.length !== 2 || !/^[\x00-\x7f]{2}$/.test(tag)) {
    throw new TypeError(`Expected two ASCII characters (e.g. '{}') for ${name} but received ${describe(tag)}`);
  }
  return { open: tag[0], close: tag[1], openByte: tag.charCodeAt(0), closeByte: tag.charCodeAt(1) };
}

/** The part of `key` that places it (see the module comment). */
export function hashTagged(key: Key, tag: HashTag): Key {
  if (typeof key === 'string') {
    const s = key.indexOf(tag.open);
    if (s < 0) return key;
    const e = key.indexOf(tag.close, s + 1);
    return e > s + 1 ? key.slice(s + 1, e) : key;
  }
  const s = key.indexOf(tag.openByte);
  if (s < 0) return key;
  const e = key.indexOf(tag.closeByte, s + 1);
  return e > s + 1 ? key.subarray(s + 1, e) : key;
}
