/**
 * ringcache: consistent hashing and Redis Cluster slots with a C++ Node-API core and a pure
 * TypeScript fallback that gives identical answers.
 */
export { backend, nativeLoadError } from './engine';
export type { Key } from './engine';
export { md5, md5Uint32, murmur3, crc16 } from './hash';
export { SLOT_COUNT, keySlot, keySlots, keySlotsPacked, packKeys } from './cluster/key-slot';
