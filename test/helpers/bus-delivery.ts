/**
 * Which acknowledged writes a TieredCache instance must already see, for the freshness oracle
 * (test/helpers/freshness.ts): its own, and another instance's once the bus message that
 * invalidated the key has reached it.
 *
 * Publishers are watched by wrapping `publish` on the ioredis client that the cache publishes on
 * (the message, `{ p, s, k }`, is recorded as sent); receivers through the diagnostics channel
 * `ringcache:cache:bus`. A write W of key k by instance X is visible to instance Y from the time Y
 * received a message of X whose sequence number is at least that of the last message about k
 * that X sent while W ran. If X sent none (the PUBLISH failed before it was sent) W is never
 * required of Y: the oracle under-checks rather than blame a documented window.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { WriteRecord } from './freshness';

interface Sent {
  at: number;
  seq: number;
  keys: readonly string[];
}

export class BusDelivery {
  /** Instance name → its publisher id (learnt from its first message). */
  readonly #publisherOf = new Map<string, string>();
  /** Instance name → messages it sent, in order. */
  readonly #sent = new Map<string, Sent[]>();
  /** `${receiver}\0${publisher id}` → [when, highest seq received so far], in order. */
  readonly #received = new Map<string, [number, number][]>();
  readonly #clock: () => number;
  readonly #onMessage = (raw: unknown): void => {
    const { cache, reason, message } = raw as { cache: string; reason: string; message?: { p: string; s: number } };
    if (reason !== 'message' || message === undefined) return;
    const id = `${cache}\0${message.p}`;
    const list = this.#received.get(id) ?? [];
    const top = list.length > 0 ? list[list.length - 1][1] : -1;
    list.push([this.#clock(), Math.max(top, message.s)]);
    this.#received.set(id, list);
  };

  /** `clock` is the oracle's (`() => oracle.tick()`). Call {@link close} at the end. */
  constructor(clock: () => number) {
    this.#clock = clock;
    diagnostics_channel.subscribe('ringcache:cache:bus', this.#onMessage);
  }

  /** Records what the cache named `name` publishes on `client` (call before the cache is made). */
  watch(name: string, client: { publish: (...args: never[]) => unknown }): void {
    const original = client.publish;
    const sent: Sent[] = [];
    this.#sent.set(name, sent);
    client.publish = ((channel: string, payload: string, ...rest: unknown[]) => {
      try {
        const m = JSON.parse(payload) as { p: string; s: number; k?: string[] };
        this.#publisherOf.set(name, m.p);
        sent.push({ at: this.#clock(), seq: m.s, keys: Array.isArray(m.k) ? m.k : [] });
      } catch {
        /* not ours */
      }
      return (original as (...a: unknown[]) => unknown).call(client, channel, payload, ...rest);
    }) as typeof client.publish;
  }

  /** The oracle's `visible` rule. */
  readonly visible = (w: WriteRecord, reader: string, start: number): boolean => {
    if (w.source === reader || w.source === 'initial') return true;
    const p = this.#publisherOf.get(w.source);
    if (p === undefined || w.ack === undefined) return false;
    let need = -1;
    for (const m of this.#sent.get(w.source) ?? []) {
      if (m.at > w.ack) break;
      if (m.at >= w.start && m.keys.includes(w.key)) need = m.seq;
    }
    if (need < 0) return false;
    const got = this.#received.get(`${reader}\0${p}`) ?? [];
    return got.some(([at, seq]) => at < start && seq >= need);
  };

  close(): void {
    diagnostics_channel.unsubscribe('ringcache:cache:bus', this.#onMessage);
  }
}
