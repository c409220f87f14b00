/**
 * The pure TypeScript engine: bit-identical to the C++ core in `native/`, and the fallback
 * when that core cannot load. One concept per file; this file only assembles them.
 */
import { crc16 } from './crc16';
import { keySlot, keySlots, keySlotsPacked } from './key-slot';
import { md5, md5Uint32 } from './md5';
import { murmur3 } from './murmur3';
import { ringFind, ringLookup, ringLookupPacked } from './ring-search';
import type { Engine } from '../types';

export const jsEngine: Engine = Object.freeze({
  backend: 'js',
  md5,
  md5Uint32,
  murmur3,
  crc16,
  keySlot,
  keySlots,
  keySlotsPacked,
  ringFind,
  ringLookup,
  ringLookupPacked,
} as const);
