/**
 * The events of {@link TieredCache.on}: one map from event name to payload, so a listener's
 * payload is typed (`on('bus:gap', ({ publisher }) => …)`) and a wrong property is a compile
 * error. Every payload also has `cache`, the cache name. Payloads are object types, not
 * interfaces, so a listener typed `(payload: Record<string, unknown>) => void` still fits.
 */
import { EventEmitter } from 'node:events';
import type { CircuitState } from './circuit-breaker';

/** Event name → payload of every event a {@link TieredCache} emits. */
export interface TieredCacheEvents {
  /** An L2 call failed or timed out, or an L2 entry could not be decoded (it reads as a miss). */
  'l2:error': { cache: string; key: string; error: unknown };
  /** A loader (or bulk loader: `key` is its first key) threw or rejected. */
  'loader:error': { cache: string; key: string; error: unknown };
  /** Fail-safe answered with a stale value (L2 down, loader failed or too slow). */
  'stale:served': { cache: string; key: string };
  /** The L2 circuit breaker changed state. */
  'circuit:change': { cache: string; state: CircuitState };
  /** The bus subscription is down: L1 is flushed and bypassed until it is back. */
  'bus:lost': { cache: string; reason: string };
  /** The bus is subscribed (`first`: for the first time); L1 was flushed again. */
  'bus:restored': { cache: string; first: boolean };
  /** A publisher's sequence numbers jumped (messages were lost): L1 was flushed. */
  'bus:gap': { cache: string; publisher: string; expected: number; got: number };
  /** The bus was refused (an ACL without the channel, say). */
  'bus:error': { cache: string; error: Error };
}

/** Events of {@link TieredCache.on}; every payload also has `cache` (the cache name). */
export type TieredCacheEvent = keyof TieredCacheEvents;

/** A listener of event `E`. */
export type TieredCacheListener<E extends TieredCacheEvent> = (payload: TieredCacheEvents[E]) => void;

/** The emitter a cache and its views share; {@link emitEvent} adds `cache` and allocates nothing without listeners. */
export class CacheEvents extends EventEmitter {
  constructor(readonly cacheName: string) {
    super();
  }

  emitEvent<E extends TieredCacheEvent>(event: E, payload: Omit<TieredCacheEvents[E], 'cache'>): void {
    if (this.listenerCount(event) > 0) this.emit(event, { cache: this.cacheName, ...payload });
  }
}
