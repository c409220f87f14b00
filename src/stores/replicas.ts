/**
 * Reads from replicas: the read policy (ioredis's `scaleReads` vocabulary) and, for a
 * Sentinel-managed master, the set of replicas reads are spread over.
 *
 * Why not ioredis's own `role: 'slave'`: a Sentinel client with that role connects to ONE
 * replica (chosen at random at connect time), so two replicas never share the load, and when no
 * replica is up it keeps asking the sentinels instead of falling back to the master (reads
 * fail). Here the store keeps one plain connection per replica Sentinel reports, sends each read
 * to the next usable one, and falls back to the master when none is usable or the chosen one
 * fails — 0 errors.
 *
 * Usable replica: Sentinel lists it without `s_down`/`o_down`/`disconnected`, our connection to
 * it is ready, and since that connection opened the replica itself reported
 * `master_link_status:up` (INFO replication) at least once — so a replica that was just
 * restarted and has not synced yet (it would answer from an empty dataset) gets no reads. A
 * replica that loses its master later keeps serving what it has (that is what keeps reads up
 * while Sentinel promotes a new master); replies that mean "not serving" (LOADING, MASTERDOWN)
 * send the read to the master.
 *
 * Staleness: a replica answers from its copy, which trails the master by the replication lag
 * (usually under a millisecond on a LAN; unbounded while its link is down). A client that wrote
 * a key may read the old value back from a replica: pass `{ fromMaster: true }` where that
 * matters (the tiered cache does, for keys invalidated within `replicaLagMs`).
 */
import type { Redis, RedisOptions } from 'ioredis';
import { checkInteger, describe } from '../validate';
import { isNodeFailure } from './arguments';
import { clientOptions, type ConnectionOptions, type Ioredis, type ParsedNode } from './connection';

/**
 * Where reads go (ioredis's `scaleReads`): `'master'` (every read on the master), `'slave'`
 * (replicas; the master only when no replica is usable), `'all'` (master and replicas in turn).
 */
export type ScaleReads = 'master' | 'slave' | 'all';

/** What {@link SentinelReplicas.read} resolves with when the read must go to the master. */
export const MASTER: unique symbol = Symbol('ringcache.master');

/** Per-read options of the stores' `get`/`getBuffer`/`mget`/`mgetBuffer`. */
export interface ReadOptions {
  /**
   * Read from the master whatever the store's `scaleReads` (read-your-writes, or a key known
   * to have changed within the replication lag).
   * @default false
   */
  fromMaster?: boolean;
}

/** The replica-read options of the stores over Sentinel (`RedisStore`, `RingStore`). */
export interface ReplicaReadOptions {
  /**
   * Where reads go (ioredis's vocabulary): `'master'`; `'slave'`, the replicas Sentinel reports
   * (the master when none is usable); `'all'`, master and replicas in turn. Writes always go to
   * the master. Needs Sentinel-managed nodes (`{ sentinels, name }`): a store with none is a
   * RangeError naming this option. See `replicas.ts` for what a replica read may return.
   * @default 'master'
   */
  scaleReads?: ScaleReads;
  /**
   * With replica reads: pause between two polls of the sentinels' replica list (and replica
   * health checks). A replica that dies stops getting reads at once (its connection closes).
   * @default 1000
   */
  replicaRefreshMs?: number;
}

/** The default {@link ReplicaReadOptions}. */
export const DEFAULT_REPLICA_OPTIONS: Readonly<Required<ReplicaReadOptions>> = Object.freeze({
  scaleReads: 'master',
  replicaRefreshMs: 1000,
});

/** Checks the {@link ReplicaReadOptions} (errors name the option) and fills in defaults. */
export function replicaReadOptions(o: ReplicaReadOptions): { policy: ScaleReads; refreshMs: number } {
  const policy = checkScaleReads(o.scaleReads);
  const refreshMs = o.replicaRefreshMs ?? DEFAULT_REPLICA_OPTIONS.replicaRefreshMs;
  checkInteger(refreshMs, 'options.replicaRefreshMs', 1, 2 ** 31 - 1);
  return { policy, refreshMs };
}

/**
 * The replica set for a node under `policy`, or undefined for master reads; RangeError naming
 * `name` when the node is not Sentinel-managed (it has no replicas to read from).
 */
export function replicasFor(
  io: Ioredis,
  node: ParsedNode,
  policy: ScaleReads,
  name: string,
  refreshMs: number,
  options: ConnectionOptions & ReplicaReadOptions,
): SentinelReplicas | undefined {
  if (policy === 'master') return undefined;
  const spec = node.kind === 'instance' ? (node.spec as Redis).options : (node.spec as RedisOptions);
  if (!isSentinelNode(node)) throw noReplicasError(policy, name, `node ${node.defaultId} is not Sentinel-managed ({ sentinels, name })`);
  return new SentinelReplicas(io, spec, {
    policy,
    optionName: name,
    refreshMs,
    replicaOptions: { ...clientOptions('plain', options), ...options.redisOptions },
  });
}

/** Whether `node` is Sentinel-managed: `{ sentinels, name }`, or a `Redis` created with them. */
export function isSentinelNode(node: ParsedNode): boolean {
  if (node.kind === 'sentinel') return true;
  const o = node.kind === 'instance' ? (node.spec as Redis).options : undefined;
  return Array.isArray(o?.sentinels) && o.sentinels.length > 0;
}

/** Checks per-read options (TypeError naming `options` / `options.fromMaster`). */
export function checkReadOptions(o: unknown): asserts o is ReadOptions | undefined {
  if (o === undefined) return;
  if (typeof o !== 'object' || o === null) throw new TypeError(`Expected an object for options but received ${describe(o)}`);
  const m = (o as ReadOptions).fromMaster;
  if (m !== undefined && typeof m !== 'boolean') throw new TypeError(`Expected a boolean for options.fromMaster but received ${describe(m)}`);
}

/** Checks a `scaleReads` option (TypeError naming `name`), `'master'` when undefined. */
export function checkScaleReads(v: unknown, name = 'options.scaleReads'): ScaleReads {
  if (v === undefined) return 'master';
  if (v !== 'master' && v !== 'slave' && v !== 'all') {
    throw new TypeError(`Expected 'master', 'slave' or 'all' for ${name} but received ${describe(v)}`);
  }
  return v;
}

/** The RangeError for a replica policy on a topology that has no replicas. */
export function noReplicasError(policy: ScaleReads, name: string, why: string): RangeError {
  return new RangeError(`Expected a topology with replicas for ${name} '${policy}' but ${why}`);
}

/** Options of {@link SentinelReplicas}. */
export interface SentinelReplicasOptions {
  policy: Exclude<ScaleReads, 'master'>;
  /** The option's name in errors (e.g. `options.scaleReads`). */
  optionName: string;
  /** Pause between two `SENTINEL REPLICAS` polls (and replica health checks). */
  refreshMs: number;
  /** ioredis options of each replica connection (fail fast: reads fall back to the master). */
  replicaOptions: RedisOptions;
}

/**
 * Keys of a Sentinel node spec that do not apply to a direct connection to a replica: Sentinel's
 * own, and the master's failover-riding retry settings (a replica connection fails fast).
 */
const NOT_FOR_REPLICAS = [
  'sentinels', 'name', 'role', 'preferredSlaves', 'sentinelUsername', 'sentinelPassword', 'sentinelTLS',
  'sentinelRetryStrategy', 'sentinelReconnectStrategy', 'sentinelCommandTimeout', 'sentinelMaxConnections',
  'updateSentinels', 'failoverDetector', 'enableTLSForSentinelMode', 'natMap', 'host', 'port', 'path',
  'retryStrategy', 'maxRetriesPerRequest', 'commandTimeout', 'reconnectOnError', 'socketTimeout', 'connectTimeout',
] as const;

interface Replica {
  readonly id: string;
  readonly client: Redis;
  /** Reported `master_link_status:up` since the connection opened. */
  synced: boolean;
}

/** `[field, value, …]` → Map. */
function fields(reply: unknown): Map<string, string> {
  const m = new Map<string, string>();
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) m.set(String(reply[i]), String(reply[i + 1]));
  return m;
}

/**
 * The replicas of one Sentinel-managed master, kept in step with what the sentinels report
 * (polled every `refreshMs`: a replica added, removed, down or promoted), one connection each.
 */
export class SentinelReplicas {
  readonly policy: Exclude<ScaleReads, 'master'>;
  readonly #io: Ioredis;
  readonly #spec: RedisOptions;
  readonly #opts: SentinelReplicasOptions;
  readonly #replicas = new Map<string, Replica>();
  /** The usable ones, rebuilt on every change (the read path only indexes it). */
  #usable: Replica[] = [];
  #next = 0;
  #sentinel: Redis | undefined;
  #sentinelIndex = 0;
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | undefined;
  /** Set once a poll found Sentinel listing no replica at all: reads reject (RangeError). */
  #none: RangeError | undefined;
  #closed = false;
  #polled = false;
  /** The first poll; reads wait for it so the first reads are already spread. */
  readonly ready: Promise<void>;

  /** @param spec the Sentinel node's ioredis options (`sentinels`, `name`, credentials). */
  constructor(io: Ioredis, spec: RedisOptions, opts: SentinelReplicasOptions) {
    this.#io = io;
    this.#spec = spec;
    this.#opts = opts;
    this.policy = opts.policy;
    this.ready = this.refresh();
    this.#timer = setInterval(() => void this.refresh(), opts.refreshMs);
    this.#timer.unref();
  }

  /** `host:port` of every replica with a connection, and whether it takes reads now. */
  get replicas(): { id: string; usable: boolean }[] {
    return [...this.#replicas.values()].map((r) => ({ id: r.id, usable: this.#isUsable(r) }));
  }

  /**
   * The replica connection for the next read, or undefined for the master (no usable replica,
   * or the master's turn under `'all'`). Throws the RangeError when Sentinel lists no replica.
   */
  pick(): Redis | undefined {
    if (this.#none !== undefined) throw this.#none;
    const usable = this.#usable;
    const n = usable.length;
    if (n === 0) return undefined;
    const slots = this.policy === 'all' ? n + 1 : n;
    const i = this.#next++ % slots;
    if (this.#next >= 0x3fffffff) this.#next = 0;
    if (i === n) return undefined;
    const r = usable[i];
    // A connection can drop between two rebuilds: skip it without waiting for the event.
    return r.client.status === 'ready' ? r.client : undefined;
  }

  /**
   * Runs `read` on the replica {@link pick} chooses; resolves {@link MASTER} when the read must
   * go to the master instead (no usable replica, the master's turn, or the replica failed as a
   * node). A reply error of the command itself (WRONGTYPE) rejects as is.
   */
  async read<T>(read: (c: Redis) => Promise<T>): Promise<T | typeof MASTER> {
    if (!this.#polled) await this.firstPoll();
    const c = this.pick();
    if (c === undefined) return MASTER;
    try {
      return await read(c);
    } catch (err) {
      if (this.failed(c, err)) return MASTER;
      throw err;
    }
  }

  /** Whether the first poll is done (until then, reads wait for {@link firstPoll}). */
  get polled(): boolean {
    return this.#polled;
  }

  /** Resolves once the first poll of the sentinels is done. */
  async firstPoll(): Promise<void> {
    await this.ready;
    this.#polled = true;
  }

  /** A read on `client` failed: if the node failed, stop using it until it proves healthy again. */
  failed(client: Redis, err: unknown): boolean {
    if (!isNodeFailure(err)) return false;
    for (const r of this.#replicas.values()) {
      if (r.client === client && r.synced) {
        r.synced = false;
        this.#rebuild();
        void this.#check(r);
      }
    }
    return true;
  }

  /** Polls the sentinels now (coalesced with a poll in progress). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#poll().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    const clients = [...this.#replicas.values()].map((r) => r.client);
    if (this.#sentinel) clients.push(this.#sentinel);
    this.#replicas.clear();
    this.#usable = [];
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  }

  #isUsable(r: Replica): boolean {
    return r.synced && r.client.status === 'ready';
  }

  #rebuild(): void {
    this.#usable = [...this.#replicas.values()].filter((r) => this.#isUsable(r));
  }

  /** `SENTINEL REPLICAS` from the first sentinel that answers; then connections follow. */
  async #poll(): Promise<void> {
    const sentinels = this.#spec.sentinels ?? [];
    let listed: Map<string, string>[] | undefined;
    for (let tries = 0; tries < sentinels.length && listed === undefined && !this.#closed; tries++) {
      try {
        this.#sentinel ??= this.#connectSentinel(sentinels[this.#sentinelIndex % sentinels.length]);
        const reply = await this.#sentinel.call('SENTINEL', 'REPLICAS', String(this.#spec.name));
        listed = Array.isArray(reply) ? reply.map(fields) : [];
      } catch {
        this.#sentinel?.disconnect();
        this.#sentinel = undefined;
        this.#sentinelIndex++;
      }
    }
    if (listed === undefined || this.#closed) return; // no sentinel answered: keep what we have
    this.#none =
      listed.length === 0
        ? noReplicasError(this.policy, this.#opts.optionName, `Sentinel lists no replica of master '${String(this.#spec.name)}'`)
        : undefined;
    const healthy = new Set<string>();
    for (const f of listed) {
      if (/s_down|o_down|disconnected/.test(f.get('flags') ?? '')) continue;
      const host = f.get('ip');
      const port = Number(f.get('port'));
      if (host === undefined || !Number.isInteger(port)) continue;
      const id = `${host}:${port}`;
      healthy.add(id);
      if (!this.#replicas.has(id)) {
        // ioredis's natMap (an object or a function of 'host:port'), as for the master.
        const nat = this.#spec.natMap;
        const to = (typeof nat === 'function' ? nat(id) : nat?.[id]) as { host?: string; port?: number } | null | undefined;
        this.#add(id, to?.host ?? host, to?.port ?? port);
      }
    }
    for (const [id, r] of this.#replicas) {
      if (!healthy.has(id)) {
        this.#replicas.delete(id);
        r.client.disconnect();
      }
    }
    // Health of each: a replica that lost and regained its master is usable again, one that
    // became a master (promoted, not yet unlisted) is still right to read from.
    await Promise.all([...this.#replicas.values()].map((r) => this.#check(r)));
    this.#rebuild();
  }

  #connectSentinel(s: Partial<{ host: string; port: number }>): Redis {
    const c = new this.#io.Redis({
      host: s.host ?? 'localhost',
      port: s.port ?? 26379,
      username: this.#spec.sentinelUsername ?? undefined,
      password: this.#spec.sentinelPassword ?? undefined,
      tls: this.#spec.sentinelTLS,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableReadyCheck: false,
      lazyConnect: false,
    });
    c.on('error', () => {});
    return c;
  }

  #add(id: string, host: string, port: number): void {
    const base: Record<string, unknown> = { ...this.#spec };
    for (const k of NOT_FOR_REPLICAS) delete base[k];
    if (!this.#spec.enableTLSForSentinelMode) delete base.tls;
    const client = new this.#io.Redis({ ...this.#opts.replicaOptions, ...base, host, port });
    const r: Replica = { id, client, synced: false };
    client.on('error', () => {});
    client.on('close', () => {
      // A new connection (maybe to a restarted, empty process) must prove it is synced again.
      r.synced = false;
      this.#rebuild();
    });
    client.on('ready', () => void this.#check(r));
    this.#replicas.set(id, r);
  }

  /** INFO replication on the replica: usable once it reports its master link up. */
  async #check(r: Replica): Promise<void> {
    if (r.client.status !== 'ready') return;
    let info: string;
    try {
      info = String(await r.client.info('replication'));
    } catch {
      return;
    }
    const role = /^role:(\w+)/m.exec(info)?.[1];
    const up = role === 'master' || (/^master_link_status:up/m.test(info) && !/^master_sync_in_progress:1/m.test(info));
    if (up && !r.synced && this.#replicas.get(r.id) === r) {
      r.synced = true;
      this.#rebuild();
    }
  }
}
