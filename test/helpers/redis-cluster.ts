/**
 * A real Redis Cluster for tests: 3 masters + 3 replicas (configurable), one `redis-server` per
 * free loopback port, each in its own fresh dir, created with
 * `redis-cli --cluster create … --cluster-replicas 1 --cluster-yes`.
 *
 * Facts this helper is built on (measured on a 2-core machine, Redis 7.0):
 * - `cluster_state:ok` on one node is not "ready": we wait until every running node's
 *   `CLUSTER NODES` agrees (ids, roles, masters, slots, no `fail?`/`fail` on live nodes), all
 *   16384 slots are covered and every replica reports `master_link_status:up`. ~2.2 s total
 *   (Redis holds a fresh master back ~2 s).
 * - `repl-diskless-sync-delay 0`, else every replica waits 5 s for its first sync.
 * - The bus port is chosen with `cluster-port` (both ports free), so no port + 10000 clash.
 * - A fresh dir per node: a leftover `nodes.conf` makes `--cluster create` fail ("Node is not
 *   empty").
 * - `cluster-node-timeout 1000` makes a kill -9 failover take ~2.0–2.7 s.
 *
 * Share one cluster per test file (`beforeAll`) and call {@link RedisCluster.flushAll} between
 * tests (milliseconds). Always `stop()` in `afterAll`: it kills by PID and removes the dirs.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import {
  HOST,
  REDIS_CLI_BIN,
  RespClient,
  RespError,
  baseArgs,
  killProcess,
  redisCall,
  redisInfo,
  sleep,
  spawnRedis,
  stopProcess,
  waitForPing,
  type RedisProcess,
} from './redis-server';

export const CLUSTER_SLOTS = 16384;

/** One line of `CLUSTER NODES`, parsed. */
export interface ClusterNodeInfo {
  id: string;
  host: string;
  port: number;
  busPort: number;
  flags: string[];
  role: 'master' | 'replica';
  /** Master id for a replica, undefined for a master. */
  masterId: string | undefined;
  /** Marked `fail` (or `fail?` when `includePFail`) by the reporting node. */
  failed: boolean;
  /** Owned slot ranges, inclusive. */
  slots: [number, number][];
  /** `[slot->-importing_from]` / `[slot-<-…]` entries (open migrations). */
  openSlots: string[];
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const out: ClusterNodeInfo[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const f = t.split(' ');
    const [hostPort] = f[1].split('@');
    const busPart = f[1].split('@')[1] ?? '0';
    const colon = hostPort.lastIndexOf(':');
    const flags = f[2].split(',');
    const slots: [number, number][] = [];
    const openSlots: string[] = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) openSlots.push(s);
      else if (s.includes('-')) {
        const [a, b] = s.split('-').map(Number);
        slots.push([a, b]);
      } else slots.push([Number(s), Number(s)]);
    }
    out.push({
      id: f[0],
      host: hostPort.slice(0, colon),
      port: Number(hostPort.slice(colon + 1)),
      busPort: Number(busPart.split(',')[0]),
      flags,
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: f[3] === '-' ? undefined : f[3],
      failed: flags.includes('fail'),
      slots,
      openSlots,
    });
  }
  return out;
}

function slotCount(n: ClusterNodeInfo): number {
  let c = 0;
  for (const [a, b] of n.slots) c += b - a + 1;
  return c;
}

/** A node's view reduced to what must agree across nodes. */
function signature(nodes: ClusterNodeInfo[]): string {
  return nodes
    .map((n) => `${n.id} ${n.port} ${n.role} ${n.masterId ?? '-'} ${n.failed ? 'F' : 'ok'} ${n.slots.map((r) => r.join('-')).join(',')}`)
    .sort()
    .join('\n');
}

/** Options for {@link RedisCluster.start}. */
export interface RedisClusterOptions {
  /** @default 3 */
  masters?: number;
  /** @default 1 */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in ms. @default 1000 */
  nodeTimeoutMs?: number;
  /** Extra `redis-server` arguments for every node. */
  args?: readonly string[];
  /** Readiness timeout. @default 30000 */
  readyTimeoutMs?: number;
}

/** A node process of the cluster. */
export interface ClusterNodeHandle {
  port: number;
  busPort: number;
  dir: string;
  /** Cluster node id (known after creation). */
  id: string;
  /** Undefined while killed/stopped. */
  proc: RedisProcess | undefined;
}

function run(bin: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin} ${args.join(' ')} failed: ${err.message}\n${String(stdout).slice(-2000)}\n${stderr}`));
      else resolve(String(stdout));
    });
  });
}

export class RedisCluster {
  readonly nodes: ClusterNodeHandle[] = [];
  readonly #root: string;
  readonly #opts: Required<Omit<RedisClusterOptions, 'args'>> & { args: readonly string[] };

  private constructor(root: string, opts: RedisClusterOptions) {
    this.#root = root;
    this.#opts = {
      masters: opts.masters ?? 3,
      replicasPerMaster: opts.replicasPerMaster ?? 1,
      nodeTimeoutMs: opts.nodeTimeoutMs ?? 1000,
      readyTimeoutMs: opts.readyTimeoutMs ?? 30_000,
      args: opts.args ?? [],
    };
  }

  /** Starts the nodes, creates the cluster and waits until it is really ready. */
  static async start(opts: RedisClusterOptions = {}): Promise<RedisCluster> {
    const root = mkdtempSync(join(tmpdir(), 'ringcache-cluster-'));
    const c = new RedisCluster(root, opts);
    try {
      await c.#create();
      return c;
    } catch (err) {
      await c.stop();
      throw err;
    }
  }

  #nodeArgs(n: ClusterNodeHandle): string[] {
    return [
      ...baseArgs(n.port, n.dir),
      '--cluster-enabled', 'yes',
      '--cluster-config-file', 'nodes.conf',
      '--cluster-node-timeout', String(this.#opts.nodeTimeoutMs),
      '--cluster-port', String(n.busPort),
      '--repl-diskless-sync', 'yes',
      '--repl-diskless-sync-delay', '0',
      ...this.#opts.args,
    ];
  }

  async #spawnNode(n: ClusterNodeHandle): Promise<void> {
    n.proc = spawnRedis(this.#nodeArgs(n));
    try {
      await waitForPing(n.port, n.proc, join(n.dir, 'redis.log'));
    } catch (err) {
      await killProcess(n.proc);
      n.proc = undefined;
      throw err;
    }
  }

  async #create(): Promise<void> {
    const total = this.#opts.masters * (1 + this.#opts.replicasPerMaster);
    for (let i = 0; i < total; i++) {
      const dir = join(this.#root, `node-${i}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const n: ClusterNodeHandle = { port: 0, busPort: 0, dir, id: '', proc: undefined };
      let lastErr: unknown;
      // A free port can be taken between choosing and binding (another test file starting its
      // own servers): retry with new ports.
      for (let attempt = 0; attempt < 5 && n.proc === undefined; attempt++) {
        n.port = await freePort();
        n.busPort = await freePort();
        try {
          await this.#spawnNode(n);
        } catch (err) {
          lastErr = err;
        }
      }
      if (n.proc === undefined) throw lastErr;
      this.nodes.push(n);
    }
    await run(REDIS_CLI_BIN, [
      '--cluster', 'create',
      ...this.nodes.map((n) => `${HOST}:${n.port}`),
      '--cluster-replicas', String(this.#opts.replicasPerMaster),
      '--cluster-yes',
    ]);
    for (const n of this.nodes) n.id = String(await redisCall(n.port, 'CLUSTER', 'MYID'));
    await this.waitReady();
  }

  /** `[{ host, port }]` of every node, for `new Cluster(startupNodes)`. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: HOST, port: n.port }));
  }

  /** Nodes whose process is running. */
  get running(): ClusterNodeHandle[] {
    return this.nodes.filter((n) => n.proc !== undefined);
  }

  node(portOrId: number | string): ClusterNodeHandle {
    const n = this.nodes.find((x) => x.port === portOrId || x.id === portOrId);
    if (!n) throw new Error(`No cluster node ${portOrId}`);
    return n;
  }

  /** `CLUSTER NODES` as seen by `port` (default: the first running node). */
  async topology(port = this.running[0].port): Promise<ClusterNodeInfo[]> {
    return parseClusterNodes(String(await redisCall(port, 'CLUSTER', 'NODES')));
  }

  /** Live (not failed) masters owning slots, as seen by a running node. */
  async masters(): Promise<ClusterNodeInfo[]> {
    return (await this.topology()).filter((n) => n.role === 'master' && !n.failed && slotCount(n) > 0);
  }

  /** The master owning `slot`, as seen by a running node. */
  async masterOf(slot: number): Promise<ClusterNodeInfo> {
    const m = (await this.masters()).find((n) => n.slots.some(([a, b]) => slot >= a && slot <= b));
    if (!m) throw new Error(`No master owns slot ${slot}`);
    return m;
  }

  /** Replicas of master `id` that are running. */
  async replicasOf(id: string): Promise<ClusterNodeInfo[]> {
    return (await this.topology()).filter((n) => n.masterId === id && !n.failed);
  }

  /**
   * Resolves when every running node's `CLUSTER NODES` agrees, all slots are covered by live
   * masters, no slot is mid-migration, `cluster_state:ok` everywhere, every running replica
   * has `master_link_status:up` and every master lists its running replicas as online.
   */
  async waitReady(timeoutMs = this.#opts.readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let why = '';
    for (;;) {
      why = await this.#notReadyReason();
      if (why === '') return;
      if (Date.now() > deadline) throw new Error(`Cluster not ready after ${timeoutMs} ms: ${why}`);
      await sleep(50);
    }
  }

  async #notReadyReason(): Promise<string> {
    const running = this.running;
    const runningPorts = new Set(running.map((n) => n.port));
    let first: string | undefined;
    let view: ClusterNodeInfo[] = [];
    for (const n of running) {
      let nodes: ClusterNodeInfo[];
      try {
        nodes = await this.topology(n.port);
      } catch (e) {
        return `${n.port}: ${(e as Error).message}`;
      }
      if (nodes.some((x) => x.flags.includes('handshake') || x.flags.includes('noaddr'))) return `${n.port}: handshake`;
      if (nodes.length !== this.nodes.length) return `${n.port} sees ${nodes.length} nodes`;
      for (const x of nodes) {
        const alive = runningPorts.has(x.port);
        if (alive && (x.failed || x.flags.includes('fail?'))) return `${n.port} sees live ${x.port} as failing`;
        if (!alive && !x.failed) return `${n.port} does not yet see dead ${x.port} as failed`;
        if (x.openSlots.length) return `${x.port} has open slots ${x.openSlots.join(' ')}`;
      }
      const sig = signature(nodes);
      if (first === undefined) {
        first = sig;
        view = nodes;
      } else if (sig !== first) return `${n.port} disagrees`;
    }
    let covered = 0;
    for (const m of view) if (m.role === 'master' && !m.failed) covered += slotCount(m);
    if (covered !== CLUSTER_SLOTS) return `${covered} slots covered`;
    for (const n of running) {
      const info = await redisInfo(n.port, 'replication');
      const state = String(await redisCall(n.port, 'CLUSTER', 'INFO'));
      if (!state.includes('cluster_state:ok')) return `${n.port} cluster_state not ok`;
      if (info.get('role') === 'slave' && info.get('master_link_status') !== 'up') return `${n.port} replica link down`;
      if (info.get('role') === 'slave' && info.get('master_sync_in_progress') === '1') return `${n.port} replica syncing`;
      if (info.get('role') === 'master') {
        // The master's side too: a replica counts for WAIT only once its master lists it as
        // online, which can come after the replica reports its link up.
        const id = view.find((x) => x.port === n.port)?.id;
        const expected = view.filter((x) => x.role === 'replica' && x.masterId === id && runningPorts.has(x.port) && !x.failed).length;
        let online = 0;
        for (const [k, v] of info) if (/^slave\d+$/.test(k) && v.includes('state=online')) online++;
        if (online < expected) return `${n.port} lists ${online} of ${expected} replicas online`;
      }
    }
    return '';
  }

  /** FLUSHALL on every live master (replicas follow). Milliseconds. */
  async flushAll(): Promise<void> {
    const masters = await this.masters();
    await Promise.all(masters.map((m) => redisCall(m.port, 'FLUSHALL')));
  }

  /** Total keys on live masters (DBSIZE sum). */
  async dbsize(): Promise<number> {
    const masters = await this.masters();
    const sizes = await Promise.all(masters.map((m) => redisCall(m.port, 'DBSIZE')));
    return sizes.reduce<number>((a, b) => a + Number(b), 0);
  }

  /** kill -9 of a node by port (the dir and nodes.conf are kept for {@link revive}). */
  async kill9(port: number): Promise<void> {
    const n = this.node(port);
    if (n.proc) await killProcess(n.proc);
    n.proc = undefined;
  }

  /**
   * kill -9 of the master owning `slot` (default slot 0) and wait for a replica to take over.
   * Returns the killed node and `failoverMs`, from the kill until every running node agrees on
   * the new topology with `cluster_state:ok`.
   */
  async kill9Master(slot = 0, timeoutMs = 20_000): Promise<{ killed: ClusterNodeInfo; failoverMs: number }> {
    const killed = await this.masterOf(slot);
    const t0 = Date.now();
    await this.kill9(killed.port);
    await this.waitReady(timeoutMs);
    return { killed, failoverMs: Date.now() - t0 };
  }

  /** Restarts a killed node with its old dir: it rejoins (a former master as a replica). */
  async revive(port: number): Promise<void> {
    const n = this.node(port);
    if (n.proc) return;
    let lastErr: unknown;
    for (let attempt = 0; attempt < 20 && !n.proc; attempt++) {
      try {
        await this.#spawnNode(n);
      } catch (err) {
        lastErr = err;
        await sleep(100);
      }
    }
    if (!n.proc) throw lastErr;
    await this.waitReady();
  }

  /** Revives every killed node. */
  async reviveAll(): Promise<void> {
    for (const n of this.nodes) if (!n.proc) await this.revive(n.port);
  }

  /**
   * Manual `CLUSTER FAILOVER` on a replica of the master owning `slot`: the replica and its
   * master swap roles without data loss. Resolves when the cluster agrees again.
   */
  async manualFailover(slot = 0, timeoutMs = 20_000): Promise<{ oldMaster: ClusterNodeInfo; newMaster: ClusterNodeInfo; ms: number }> {
    const oldMaster = await this.masterOf(slot);
    const [replica] = await this.replicasOf(oldMaster.id);
    if (!replica) throw new Error(`Master ${oldMaster.port} has no live replica`);
    const t0 = Date.now();
    await redisCall(replica.port, 'CLUSTER', 'FAILOVER');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const me = (await this.topology(replica.port)).find((x) => x.id === replica.id);
      if (me?.role === 'master') break;
      if (Date.now() > deadline) throw new Error(`Manual failover to ${replica.port} did not complete in ${timeoutMs} ms`);
      await sleep(20);
    }
    await this.waitReady(timeoutMs);
    return { oldMaster, newMaster: { ...replica, role: 'master', masterId: undefined }, ms: Date.now() - t0 };
  }

  /**
   * Live resharding with `redis-cli --cluster reshard`: moves `slots` slots (with their keys)
   * from master `fromId` to master `toId`. Runs asynchronously, so a load loop keeps running.
   */
  async reshard(fromId: string, toId: string, slots: number, pipeline = 100): Promise<{ ms: number; output: string }> {
    const t0 = Date.now();
    const output = await run(REDIS_CLI_BIN, [
      '--cluster', 'reshard', `${HOST}:${this.node(toId).port}`,
      '--cluster-from', fromId,
      '--cluster-to', toId,
      '--cluster-slots', String(slots),
      '--cluster-pipeline', String(pipeline),
      '--cluster-yes',
    ]);
    await this.waitReady();
    return { ms: Date.now() - t0, output };
  }

  /**
   * A slow migration of one slot, the way redis-cli does it but one key at a time with
   * `keyDelayMs` between keys, so clients see `-ASK` (key already moved) and `-TRYAGAIN`
   * (multi-key request over moved and unmoved keys) for a while:
   * `SETSLOT IMPORTING` on the target, `SETSLOT MIGRATING` on the source, `MIGRATE` per key,
   * then `SETSLOT NODE` on target, source and the other masters.
   *
   * `askSeen` is true when a plain `GET` of a moved key on the source answered `-ASK` (proof that
   * the window existed). `onMigrating` runs once the slot is open and the first key moved.
   */
  async migrateSlotSlowly(
    slot: number,
    toId: string,
    opts: { keyDelayMs?: number; minDurationMs?: number; onMigrating?: () => void | Promise<void> } = {},
  ): Promise<{ keysMoved: number; askSeen: boolean; ms: number }> {
    const keyDelayMs = opts.keyDelayMs ?? 5;
    const minDurationMs = opts.minDurationMs ?? 0;
    const src = await this.masterOf(slot);
    const dst = (await this.masters()).find((m) => m.id === toId);
    if (!dst) throw new Error(`No live master ${toId}`);
    if (src.id === dst.id) throw new Error(`Slot ${slot} is already on ${toId}`);
    const t0 = Date.now();
    const s = await RespClient.connect(src.port);
    const d = await RespClient.connect(dst.port);
    let keysMoved = 0;
    let askSeen = false;
    let firstMoved: string | undefined;
    try {
      await d.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', src.id);
      await s.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', dst.id);
      let announced = false;
      for (;;) {
        const keys = (await s.call('CLUSTER', 'GETKEYSINSLOT', slot, 1)) as string[];
        if (keys.length === 0) {
          if (Date.now() - t0 >= minDurationMs) break;
          await sleep(keyDelayMs);
          continue;
        }
        await s.call('MIGRATE', dst.host, dst.port, '', 0, 5000, 'REPLACE', 'KEYS', ...keys);
        keysMoved += keys.length;
        if (firstMoved === undefined) {
          firstMoved = keys[0];
          const probe = await s.send('GET', firstMoved);
          askSeen = probe instanceof RespError && probe.message.startsWith('ASK ');
        }
        if (!announced) {
          announced = true;
          await opts.onMigrating?.();
        }
        await sleep(keyDelayMs);
      }
      // Same order as redis-cli: the target first (so it owns the slot before the source
      // stops answering ASK), then the source, then everyone else.
      await d.call('CLUSTER', 'SETSLOT', slot, 'NODE', dst.id);
      await s.call('CLUSTER', 'SETSLOT', slot, 'NODE', dst.id);
      for (const m of await this.masters()) {
        if (m.id !== src.id && m.id !== dst.id) await redisCall(m.port, 'CLUSTER', 'SETSLOT', slot, 'NODE', dst.id);
      }
    } finally {
      s.close();
      d.close();
    }
    await this.waitReady();
    return { keysMoved, askSeen, ms: Date.now() - t0 };
  }

  /** Stops every node by PID (SIGTERM, then SIGKILL) and removes the dirs. Safe to call twice. */
  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        if (n.proc) await stopProcess(n.proc, 1000);
        n.proc = undefined;
      }),
    );
    rmSync(this.#root, { recursive: true, force: true });
  }
}
