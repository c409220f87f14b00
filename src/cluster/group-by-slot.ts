/**
 * Grouping keys by Redis Cluster slot: the first step of every cross-slot batch (a multi-key
 * command may only name keys of one slot, else Redis answers CROSSSLOT).
 */
import type { Key } from '../engine';
import { keySlots } from './key-slot';

/**
 * Indices of `keys` grouped by slot (Redis-exact, see `keySlot`): `Map<slot, indices>`, slots
 * in order of first appearance, indices ascending. Duplicate keys keep every index.
 */
export function groupBySlot(keys: readonly Key[]): Map<number, number[]> {
  return groupSlots(keySlots(keys));
}

/** {@link groupBySlot} over slots already computed (`slots[i]` is the slot of key `i`). */
export function groupSlots(slots: ArrayLike<number>): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    const g = groups.get(s);
    if (g === undefined) groups.set(s, [i]);
    else g.push(i);
  }
  return groups;
}
