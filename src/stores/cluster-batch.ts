/**
 * How {@link ClusterStore} runs a batch (`mget`, `mset`, `mdel`) whose keys span many slots:
 * the store describes the operation as a {@link BatchPlan} (its per-slot commands, its script,
 * how to read the script's reply) and {@link BatchRunner.run} decides which keys go which way.
 *
 * - Keys are bucketed by the master that owns their slot in ioredis's slot table.
 * - A master's keys that span several of its slots go out as ONE `EVALSHA` on that master
 *   (Redis ≥ 7.0 script flag `allow-cross-slot-keys`, keys passed as arguments; GET, SET or
 *   DEL of each): one command per node instead of one per slot. If the script fails for any
 *   reason (slot moved or migrating, the node became a replica, Redis < 7, …) those keys fall
 *   back to per-slot commands. A wrong read is not possible because a node only serves keys of
 *   slots it owns, and a write script checks every key (EXISTS) before writing, so it fails
 *   whole or not. A server that does not know script flags turns scripts off for the store.
 * - Everything else — keys of a single slot on their master, replica reads, a slot table not
 *   complete yet — goes per slot, one command per slot.
 * Every command of the first round is written with the sockets corked (one write per node).
 */
import { createHash } from 'node:crypto';
import { debuglog } from 'node:util';
import type { Key } from '../engine';
import { groupSlots } from '../cluster/group-by-slot';
import type { ClusterLike, CommandCtor, NodeLike } from './cluster-client';
import type { ClusterSender, OpContext } from './cluster-send';
import type { ClusterStoreStats } from './cluster-store-options';

const debug = debuglog('ringcache');

/** How one batch operation runs: per slot, or per master in one script call. */
export interface BatchPlan {
  /** Runs the keys `idx` (all of `slot`) with per-slot commands, storing their results. */
  perSlot(slot: number, idx: number[]): Promise<void>;
  script: Script;
  /** The script's ARGV for the keys `idx`. */
  argv(idx: number[]): unknown[];
  /** Stores the script's results for `idx`; false if the reply is not what the script returns. */
  apply(idx: number[], reply: unknown): boolean;
  op: OpContext;
}

/** A Lua script sent with EVALSHA (EVAL on NOSCRIPT). Keys are passed as ARGV, never KEYS. */
export interface Script {
  readonly body: string;
  readonly sha: string;
}

function script(...lines: string[]): Script {
  const body = lines.join('\n');
  return { body, sha: createHash('sha1').update(body).digest('hex') };
}

/** GET of every argument, in order (a missing key gives nil). */
export const SCRIPT_GET = script(
  '#!lua flags=allow-cross-slot-keys,no-writes',
  'local r = {}',
  'for i = 1, #ARGV do r[i] = redis.call("GET", ARGV[i]) end',
  'return r',
);

// Writes check every key first: EXISTS fails on a key this node may not serve (slot moved,
// migrating and key absent, node demoted) before any write, so a script that fails wrote
// nothing and the per-slot fallback starts from a clean state.

/** ARGV = ttlMs ('' for none), then key, value pairs; SET each. Returns the pair count. */
export const SCRIPT_SET = script(
  '#!lua flags=allow-cross-slot-keys',
  'for i = 2, #ARGV, 2 do redis.call("EXISTS", ARGV[i]) end',
  'local ttl = ARGV[1]',
  'for i = 2, #ARGV, 2 do',
  '  if ttl == "" then redis.call("SET", ARGV[i], ARGV[i + 1]) else redis.call("SET", ARGV[i], ARGV[i + 1], "PX", ttl) end',
  'end',
  'return (#ARGV - 1) / 2',
);

/** DEL of every argument. Returns how many existed. */
export const SCRIPT_DEL = script(
  '#!lua flags=allow-cross-slot-keys',
  'for i = 1, #ARGV do redis.call("EXISTS", ARGV[i]) end',
  'local n = 0',
  'for i = 1, #ARGV do n = n + redis.call("DEL", ARGV[i]) end',
  'return n',
);

/** The keys of a batch whose slots one master owns. */
interface NodeBucket {
  /** The master's `host:port`. */
  nodeKey: string;
  /** Indices of the keys. */
  idx: number[];
  /** The keys span several slots. */
  multiSlot: boolean;
  /** The slot of the first key. */
  slot: number;
}

/** What a {@link BatchRunner} is given by its store. */
export interface BatchRunnerOptions {
  /** The per-command layer: sockets corked, master connections, WAIT after a write script. */
  readonly sender: Pick<ClusterSender, 'corked' | 'master' | 'waitReplicas' | 'replicaAck'>;
  /** The `Cluster`'s status and slot table. */
  readonly cluster: Pick<ClusterLike, 'status' | 'slots'>;
  readonly Command: CommandCtor;
  /** The store's counters this module counts in. */
  readonly stats: Pick<ClusterStoreStats, 'scriptCalls' | 'scriptFallbacks'>;
  /** `ClusterStoreOptions.crossSlotScripts`. */
  readonly crossSlotScripts: boolean;
}

/** Runs a {@link ClusterStore}'s batches: see the module comment. */
export class BatchRunner {
  readonly #sender: BatchRunnerOptions['sender'];
  readonly #cluster: BatchRunnerOptions['cluster'];
  readonly #Command: CommandCtor;
  readonly #stats: BatchRunnerOptions['stats'];
  /** Off from the start, or since a server did not know script flags. */
  #crossSlotScripts: boolean;
  /** `sha@host:port` of the scripts known to be cached on each node. */
  readonly #scriptLoaded = new Set<string>();

  constructor(o: BatchRunnerOptions) {
    this.#sender = o.sender;
    this.#cluster = o.cluster;
    this.#Command = o.Command;
    this.#stats = o.stats;
    this.#crossSlotScripts = o.crossSlotScripts;
  }

  /**
   * Runs one batch (`slots[i]` is the slot of key `i`): per master, the keys of several slots
   * in one script call when possible, else (and after a failed script) one command per slot
   * via `b.perSlot`. Every command of the first round is written with the sockets corked.
   */
  run(slots: Uint16Array, b: BatchPlan): Promise<void> {
    const tasks: Promise<void>[] = [];
    // Cross-slot scripts run on masters: replica reads go per slot (to the replicas).
    const plan = this.#crossSlotScripts && !b.op.replica ? this.#planByNode(slots) : undefined;
    this.#sender.corked(() => {
      if (plan === undefined) {
        for (const [slot, idx] of groupSlots(slots)) tasks.push(b.perSlot(slot, idx));
        return;
      }
      for (const bucket of plan) {
        const node = bucket.multiSlot ? this.#sender.master(bucket.nodeKey) : undefined;
        if (node === undefined) this.#perSlot(bucket.idx, slots, b, tasks);
        else tasks.push(this.#scriptBatch(node, bucket.nodeKey, bucket.idx, slots, b));
      }
    });
    return Promise.all(tasks).then(() => undefined);
  }

  /**
   * Key indices bucketed by the `host:port` of their slot's master in ioredis's slot table,
   * with whether a bucket spans several slots; undefined while the table is incomplete.
   */
  #planByNode(slots: Uint16Array): NodeBucket[] | undefined {
    if (this.#cluster.status !== 'ready') return undefined;
    const table = this.#cluster.slots;
    const buckets: NodeBucket[] = [];
    const byKey = new Map<string, NodeBucket>();
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      const nodeKey = table[slot]?.[0];
      if (nodeKey === undefined) return undefined;
      let b = byKey.get(nodeKey);
      if (b === undefined) {
        b = { nodeKey, idx: [], multiSlot: false, slot };
        byKey.set(nodeKey, b);
        buckets.push(b);
      } else if (b.slot !== slot) b.multiSlot = true;
      b.idx.push(i);
    }
    return buckets;
  }

  /** Schedules `b.perSlot` for the keys `idx`, grouped by slot. */
  #perSlot(idx: readonly number[], slots: Uint16Array, b: BatchPlan, tasks: Promise<void>[]): void {
    const groups = groupSlots(idx.map((i) => slots[i]));
    for (const [slot, g] of groups) tasks.push(b.perSlot(slot, g.map((j) => idx[j])));
  }

  /** Keys `idx` (all on the master `node`) in one script call; per slot on failure. */
  async #scriptBatch(node: NodeLike, nodeKey: string, idx: number[], slots: Uint16Array, b: BatchPlan): Promise<void> {
    let reply: unknown;
    let failed = false;
    try {
      reply = await this.#evalScript(node, nodeKey, b.script, b.argv(idx), b.op.encoding);
    } catch (err) {
      failed = true;
      const msg = (err as Error)?.message ?? '';
      // Redis < 7 does not know shebang flags: stop trying for this store.
      if (/Unknown lua shebang|Unexpected flag|Error compiling script|unknown command/i.test(msg)) this.#crossSlotScripts = false;
      debug('cross-slot script on %s fell back to per-slot commands: %s', nodeKey, msg);
    }
    if (!failed && b.apply(idx, reply)) {
      this.#stats.scriptCalls++;
      if (this.#sender.replicaAck !== undefined && b.script !== SCRIPT_GET) {
        // WAIT names the write by its first key (SCRIPT_SET's ARGV starts with the TTL).
        const key = b.argv(idx)[b.script === SCRIPT_SET ? 1 : 0] as Key;
        await this.#sender.waitReplicas(node, nodeKey, 'evalsha', key, b.op);
      }
      return;
    }
    this.#stats.scriptFallbacks++;
    const tasks: Promise<void>[] = [];
    this.#sender.corked(() => this.#perSlot(idx, slots, b, tasks));
    await Promise.all(tasks);
  }

  async #evalScript(node: NodeLike, nodeKey: string, s: Script, argv: unknown[], encoding: 'utf8' | null): Promise<unknown> {
    const cacheKey = `${s.sha}@${nodeKey}`;
    if (this.#scriptLoaded.has(cacheKey)) {
      try {
        return await node.sendCommand(new this.#Command('evalsha', [s.sha, 0, ...argv], { replyEncoding: encoding }));
      } catch (err) {
        if (!/^NOSCRIPT/.test((err as Error)?.message ?? '')) throw err;
        this.#scriptLoaded.delete(cacheKey);
      }
    }
    // EVAL caches the script on the node; later calls send only its SHA1.
    const reply = await node.sendCommand(new this.#Command('eval', [s.body, 0, ...argv], { replyEncoding: encoding }));
    this.#scriptLoaded.add(cacheKey);
    return reply;
  }
}
