/**
 * The invalidation bus: L1 coherence across processes over Redis pub/sub.
 *
 * Messages are invalidate-only (never values): `{ p, s, t, n?, k? }` = publisher id, the
 * publisher's sequence number, type (`k` keys, `n` namespace cleared, `g` tags deleted,
 * `a` everything), the namespace or marker time, and the keys/tags. A receiver drops those
 * keys from its L1.
 *
 * Redis pub/sub is at-most-once: a message published while a subscriber is disconnected is lost
 * for it, and so is a message whose PUBLISH failed. Both are detected here:
 * - the subscriber connection is our own (never ioredis's auto-reconnect/auto-resubscribe):
 *   the moment it closes, `onLost` runs (the cache flushes L1 and stops filling it); when it is
 *   subscribed again, `onRestored` runs (the cache flushes L1 again, since anything promoted
 *   meanwhile could be stale, and trusts L1 again);
 * - per-publisher sequence numbers: a jump means messages were lost → `onGap` (flush L1). A
 *   publisher whose PUBLISH failed re-announces its sequence with a heartbeat until one gets
 *   through, so receivers learn of the gap even if it never publishes again.
 *
 * On a Redis Cluster the subscriber is a plain connection to the master owning the channel's
 * slot with `SSUBSCRIBE` (sharded pub/sub, Redis ≥ 7), re-resolved on every reconnect and on
 * a slot migration (`-MOVED`/`sunsubscribe`); `sharded: false` uses classic `SUBSCRIBE` on any
 * master (classic messages are broadcast to every node).
 */
import { randomBytes } from 'node:crypto';
import { debuglog } from 'node:util';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { keySlot } from '../cluster/key-slot';
import { CommandError, MissingDependencyError } from '../errors';
import { withTimeout } from './timeouts';

const debug = debuglog('ringcache:bus');

/** A bus message. */
export interface BusMessage {
  /** Publisher id. */
  p: string;
  /** Publisher sequence number (1, 2, …). */
  s: number;
  /** `k` keys, `n` namespace cleared, `g` tags deleted, `a` everything, `h` heartbeat. */
  t: 'k' | 'n' | 'g' | 'a' | 'h';
  /** Namespace path (`k`, `n`) or the marker time (`g`). */
  n?: string;
  /** Keys (`k`), tags (`g`). */
  k?: string[];
  /** Marker time (`n`, `g`): when the clear/tag deletion happened. */
  at?: number;
  /** `k` only: 1 when the keys were written or deleted explicitly (not filled by a load). */
  w?: 1;
  /** `n`, `g` only: 1 when the marker's L2 write failed (drop the covered L1 entries, re-read the marker from L2). */
  r?: 1;
}

export interface BusHandler {
  onMessage(msg: BusMessage): void;
  /** The subscription dropped: messages may be lost from now on. */
  onLost(reason: string): void;
  /** Subscribed (first time or again). */
  onRestored(first: boolean): void;
  /** A sequence gap from `publisher`: messages were lost. */
  onGap(publisher: string, expected: number, got: number): void;
  /** Redis refused the subscription (an ACL without the channel); retried with backoff. */
  onDenied(error: Error): void;
}

export interface BusStats {
  published: number;
  publishErrors: number;
  received: number;
  gaps: number;
  lost: number;
  restored: number;
}

type RedisCtor = new (options: RedisOptions) => Redis;

function isCluster(c: Redis | Cluster): c is Cluster {
  return (c as Cluster).isCluster === true;
}

/** Our own subscriber connections: no ioredis reconnect or resubscribe, we do both. */
const SUBSCRIBER_OVERRIDES: Partial<RedisOptions> = {
  lazyConnect: true,
  autoResubscribe: false,
  retryStrategy: () => null,
  enableOfflineQueue: true,
  maxRetriesPerRequest: 1,
  enableAutoPipelining: false,
};

const HEARTBEAT_MS = 200;
const MAX_BACKOFF_MS = 1000;
const MAX_PUBLISHERS = 10_000;

export class Bus {
  /** This publisher's id (random per instance). */
  readonly id = randomBytes(8).toString('hex');
  readonly channel: string;
  readonly #client: Redis | Cluster;
  readonly #sharded: boolean;
  readonly #handler: BusHandler;
  #sub: Redis | undefined;
  #subscribed = false;
  #everSubscribed = false;
  #closed = false;
  #seq = 0;
  /** A PUBLISH failed: receivers must learn of the gap (heartbeat until one gets through). */
  #gapPending = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #backoffMs = 25;
  /** Connection attempts since the last successful subscription. */
  #attempts = 0;
  readonly #lastSeq = new Map<string, number>();
  #firstSubscribed: Promise<void>;
  #resolveFirst!: () => void;
  #rejectFirst!: (err: Error) => void;
  readonly stats: BusStats = { published: 0, publishErrors: 0, received: 0, gaps: 0, lost: 0, restored: 0 };

  constructor(client: Redis | Cluster, channel: string, sharded: boolean, handler: BusHandler) {
    this.#client = client;
    this.channel = channel;
    this.#sharded = sharded && isCluster(client);
    this.#handler = handler;
    this.#firstSubscribed = new Promise((resolve, reject) => {
      this.#resolveFirst = resolve;
      this.#rejectFirst = reject;
    });
    // Rejects only when Redis refuses the channel; nobody has to call ready() to avoid an
    // unhandled rejection (callers of ready() still see it).
    this.#firstSubscribed.catch(() => {});
    this.#connect();
  }

  /** Whether the subscription is live right now. */
  get connected(): boolean {
    return this.#subscribed;
  }

  /**
   * Resolves once subscribed for the first time; rejects with a `CommandError` if Redis refuses
   * the channel (`NOPERM`) before that (the bus keeps retrying: the ACL may be fixed).
   */
  ready(): Promise<void> {
    return this.#firstSubscribed;
  }

  /**
   * Publishes an invalidation; never rejects (a failure or a reply slower than `timeoutMs` is
   * counted and announced later by a heartbeat: a PUBLISH that times out may still be
   * delivered, and then receivers merely see a gap and flush once).
   */
  async publish(msg: Omit<BusMessage, 'p' | 's'>, timeoutMs = 0): Promise<boolean> {
    if (this.#closed) return false;
    const full: BusMessage = { p: this.id, s: ++this.#seq, ...msg };
    try {
      await withTimeout(this.#send(JSON.stringify(full)), timeoutMs, () => new Error(`PUBLISH timed out after ${timeoutMs} ms`));
      this.stats.published++;
      return true;
    } catch (err) {
      this.stats.publishErrors++;
      debug('publish failed (seq %d): %s', full.s, (err as Error)?.message);
      this.#gapPending = true;
      this.#startHeartbeat();
      return false;
    }
  }

  /** Test seam and transport entry point: one raw message from the channel. */
  receive(raw: string): void {
    let msg: BusMessage;
    try {
      msg = JSON.parse(raw) as BusMessage;
    } catch {
      debug('ignoring a malformed message');
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.p !== 'string' || typeof msg.s !== 'number') return;
    if (msg.p === this.id) return;
    this.stats.received++;
    const last = this.#lastSeq.get(msg.p);
    // Publishers come and go (a new id per process): forget them all once in a while; the
    // first message of each then sets its baseline again.
    if (last === undefined && this.#lastSeq.size >= MAX_PUBLISHERS) this.#lastSeq.clear();
    this.#lastSeq.set(msg.p, last === undefined ? msg.s : Math.max(last, msg.s));
    if (last !== undefined && msg.s > last + 1) {
      this.stats.gaps++;
      this.#handler.onGap(msg.p, last + 1, msg.s);
    }
    if (msg.t !== 'h') this.#handler.onMessage(msg);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#subscribed = false;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    const sub = this.#sub;
    this.#sub = undefined;
    sub?.disconnect();
    this.#resolveFirst();
  }

  // -------------------------------------------------------------------------------------------

  #send(payload: string): Promise<unknown> {
    const c = this.#client;
    // Not connected: ioredis would queue the PUBLISH until it reconnects; fail now instead (the
    // heartbeat announces the gap once the connection is back).
    if (c.status !== 'ready') return Promise.reject(new Error(`publisher connection is ${c.status}`));
    if (this.#sharded) return (c as Cluster).spublish(this.channel, payload);
    return c.publish(this.channel, payload);
  }

  #startHeartbeat(): void {
    if (this.#heartbeat !== undefined || this.#closed) return;
    this.#heartbeat = setInterval(() => {
      if (!this.#gapPending) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
        return;
      }
      // Announces the next sequence number: receivers that missed the failed one see the jump.
      const hb: BusMessage = { p: this.id, s: ++this.#seq, t: 'h' };
      this.#send(JSON.stringify(hb)).then(
        () => {
          this.#gapPending = false;
        },
        () => {},
      );
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  /**
   * Creates a subscriber connection and subscribes; on any failure, retries with backoff. On a
   * Cluster, a retry first refreshes the client's slot table: after a failover nothing else may
   * have told it that the channel's slot moved to the promoted replica.
   */
  #connect(): void {
    if (this.#closed) return;
    const c = this.#client;
    if (this.#attempts++ > 0 && isCluster(c)) {
      new Promise<void>((resolve) => {
        const cap = setTimeout(resolve, 1000);
        try {
          c.refreshSlotsCache(() => {
            clearTimeout(cap);
            resolve();
          });
        } catch {
          clearTimeout(cap);
          resolve();
        }
      }).then(() => this.#open());
      return;
    }
    this.#open();
  }

  #open(): void {
    if (this.#closed) return;
    let sub: Redis;
    try {
      sub = this.#createSubscriber();
    } catch (err) {
      debug('cannot create subscriber: %s', (err as Error)?.message);
      this.#scheduleReconnect();
      return;
    }
    this.#sub = sub;
    const onDown = (reason: string): void => {
      if (this.#sub !== sub) return;
      this.#sub = undefined;
      sub.removeAllListeners('message');
      sub.removeAllListeners('smessage');
      sub.disconnect();
      this.#markLost(reason);
      this.#scheduleReconnect();
    };
    sub.on('error', (err: Error) => debug('subscriber error: %s', err?.message));
    sub.on('close', () => onDown('connection closed'));
    sub.on('end', () => onDown('connection ended'));
    // A sharded channel's slot moved (unsolicited sunsubscribe or -MOVED): resubscribe elsewhere.
    sub.on('moved', () => onDown('channel slot moved'));
    const onMessage = (channel: string, message: string): void => {
      if (channel === this.channel) this.receive(message);
    };
    sub.on(this.#sharded ? 'smessage' : 'message', onMessage);
    sub
      .connect()
      .then(() => (this.#sharded ? sub.ssubscribe(this.channel) : sub.subscribe(this.channel)))
      .then(
        () => {
          if (this.#sub !== sub || this.#closed) return;
          this.#backoffMs = 25;
          // The next reconnect (after a loss) refreshes the slot table first.
          this.#attempts = 1;
          this.#subscribed = true;
          const first = !this.#everSubscribed;
          this.#everSubscribed = true;
          // Sequences seen before the outage say nothing about what was missed during it: the
          // cache flushes on restore anyway, so start fresh.
          this.#lastSeq.clear();
          if (!first) this.stats.restored++;
          this.#handler.onRestored(first);
          if (first) this.#resolveFirst();
        },
        (err: unknown) => {
          const msg = (err as Error)?.message ?? String(err);
          if (/^NOPERM\b/.test(msg) && this.#sub === sub && !this.#closed) this.#denied(err, msg);
          onDown(`subscribe failed: ${msg}`);
        },
      );
  }

  #denied(cause: unknown, msg: string): void {
    const error = new CommandError(
      `The cache bus cannot subscribe to channel "${this.channel}": ${msg}. The Redis user needs the ACL rule ` +
        `"&${this.channel}" (or a pattern covering it); by default the channel is under the cache's prefix ` +
        '(`${prefix}__rc:bus`), so "&${prefix}*" covers it.',
      { cause },
    );
    debug('%s', error.message);
    if (!this.#everSubscribed) this.#rejectFirst(error);
    this.#handler.onDenied(error);
  }

  #markLost(reason: string): void {
    if (!this.#subscribed) return;
    this.#subscribed = false;
    this.stats.lost++;
    debug('subscription lost: %s', reason);
    this.#handler.onLost(reason);
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer !== undefined) return;
    const wait = this.#backoffMs;
    this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, wait);
  }

  #createSubscriber(): Redis {
    const c = this.#client;
    if (!isCluster(c)) return c.duplicate(SUBSCRIBER_OVERRIDES) as unknown as Redis;
    // Cluster: a plain connection to the right node, resolved now (slots may have moved).
    let nodeKey: string | undefined;
    if (this.#sharded) {
      nodeKey = (c as unknown as { slots: (string[] | undefined)[] }).slots[keySlot(this.channel)]?.[0];
    }
    if (nodeKey === undefined) {
      const n = c.nodes('master').find((m) => m.status === 'ready') ?? c.nodes('master')[0];
      if (n === undefined) throw new Error('the cluster has no known master yet');
      nodeKey = `${n.options.host}:${n.options.port}`;
    }
    const colon = nodeKey.lastIndexOf(':');
    const RedisClass = loadRedis();
    const base = (c.options as { redisOptions?: RedisOptions }).redisOptions ?? {};
    return new RedisClass({ ...base, ...SUBSCRIBER_OVERRIDES, host: nodeKey.slice(0, colon), port: Number(nodeKey.slice(colon + 1)) });
  }
}

let redisCtor: RedisCtor | undefined;

function loadRedis(): RedisCtor {
  if (redisCtor !== undefined) return redisCtor;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    redisCtor = (require('ioredis') as { Redis: RedisCtor }).Redis;
    return redisCtor;
  } catch (err) {
    throw new MissingDependencyError('The cache bus on a Redis Cluster needs the optional peer dependency ioredis (>= 5).\nPossible solutions:\n- npm install ioredis', {
      cause: err,
    });
  }
}
