/**
 * A real Sentinel setup for tests: one master, one replica and three sentinels
 * (`redis-server <conf> --sentinel`), each on a free loopback port in its own fresh dir.
 *
 * Facts this helper is built on (Redis 7.0, 2-core machine):
 * - Sentinels are given IPs (`127.0.0.1`), never `localhost`: they announce and compare
 *   addresses as text, and a client given `localhost` by one and `127.0.0.1` by another sees two
 *   masters.
 * - Each sentinel rewrites its config file (it records the replica, the other sentinels, the
 *   epoch): every sentinel gets its own writable file.
 * - "Started" is not "ready": the sentinels find the replica (from the master's INFO, every
 *   10 s at first, faster once found) and each other (hello messages over the master's
 *   `__sentinel__:hello` channel, every 2 s). A failover needs a quorum of sentinels that know
 *   each other, so {@link RedisSentinel.start} waits until every sentinel lists the replica and
 *   the two other sentinels (~2.2 s).
 * - `down-after-milliseconds 1000`: a kill -9 of the master is followed by a promoted replica
 *   in ~2.3 s (1 s to subjective down, the vote, then `REPLICAOF NO ONE`).
 *
 * Stop it in `afterAll`: every process is killed by PID and the dirs are removed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DelayProxy } from './delay-proxy';
import { freePort } from './free-port';
import {
  HOST,
  baseArgs,
  killProcess,
  logTail,
  redisCall,
  redisInfo,
  sleep,
  spawnRedis,
  stopProcess,
  waitForPing,
  type RedisProcess,
} from './redis-server';

/** A redis-server process of the setup (data node or sentinel). */
export interface SentinelSetupNode {
  port: number;
  dir: string;
  /** Undefined while killed. */
  proc: RedisProcess | undefined;
}

/** Options for {@link RedisSentinel.start}. */
export interface RedisSentinelOptions {
  /** Master name. @default 'ringmaster' */
  name?: string;
  /** `down-after-milliseconds`. @default 1000 */
  downAfterMs?: number;
  /** Sentinels. @default 3 */
  sentinels?: number;
  /** Readiness timeout. @default 30000 */
  readyTimeoutMs?: number;
  /** Replicas of the master. @default 1 */
  replicas?: number;
  /**
   * Each replica replicates through a {@link DelayProxy} that delays the master→replica stream by
   * this much (a lagging replica). The setup's `failover-timeout` is then raised so Sentinel does
   * not "fix" a replica whose master address is the proxy's (it would after 2 × failover-timeout).
   */
  replicaDelayMs?: number;
}

/** `SENTINEL` replies that are flat `[field, value, …]` lists, as maps. */
function fields(reply: unknown): Map<string, string> {
  const m = new Map<string, string>();
  if (!Array.isArray(reply)) return m;
  for (let i = 0; i + 1 < reply.length; i += 2) m.set(String(reply[i]), String(reply[i + 1]));
  return m;
}

const DATA_ARGS = ['--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0'];

export class RedisSentinel {
  readonly name: string;
  /** Data nodes: [0] starts as master, [1…] as its replicas. */
  readonly data: SentinelSetupNode[] = [];
  readonly sentinels: SentinelSetupNode[] = [];
  /** With `replicaDelayMs`: the proxy each replica replicates through, by replica port. */
  readonly proxies = new Map<number, DelayProxy>();
  readonly #failoverTimeoutMs: number;
  readonly #root: string;
  readonly #downAfterMs: number;
  readonly #readyTimeoutMs: number;

  private constructor(root: string, opts: RedisSentinelOptions) {
    this.#root = root;
    this.name = opts.name ?? 'ringmaster';
    this.#downAfterMs = opts.downAfterMs ?? 1000;
    this.#readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
    this.#failoverTimeoutMs = opts.replicaDelayMs === undefined ? 10_000 : 3_600_000;
  }

  /** Starts master, replica and sentinels, and waits for full discovery. */
  static async start(opts: RedisSentinelOptions = {}): Promise<RedisSentinel> {
    const s = new RedisSentinel(mkdtempSync(join(tmpdir(), 'ringcache-sentinel-')), opts);
    try {
      const master = await s.#startData(0, []);
      for (let i = 1; i <= (opts.replicas ?? 1); i++) {
        if (opts.replicaDelayMs === undefined) {
          await s.#startData(i, ['--replicaof', HOST, String(master.port)]);
          continue;
        }
        const proxy = (await DelayProxy.start(master.port)).delay(opts.replicaDelayMs, 'toClient');
        const replica = await s.#startData(i, ['--replicaof', HOST, String(proxy.port)]);
        s.proxies.set(replica.port, proxy);
      }
      for (let i = 0; i < (opts.sentinels ?? 3); i++) await s.#startSentinel(i, master.port);
      await s.waitReady();
      return s;
    } catch (err) {
      await s.stop();
      throw err;
    }
  }

  async #spawn(node: SentinelSetupNode, args: string[], log: string): Promise<void> {
    node.proc = spawnRedis(args);
    try {
      await waitForPing(node.port, node.proc, log);
    } catch (err) {
      await killProcess(node.proc);
      node.proc = undefined;
      throw err;
    }
  }

  /**
   * Spawns `node` with the arguments `prepare` returns (after choosing its port), retrying:
   * a free port can be taken before we bind it, a just-freed one can still be in use.
   */
  async #spawnRetrying(node: SentinelSetupNode, attempts: number, prepare: () => Promise<{ args: string[]; log: string }>): Promise<void> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < attempts && !node.proc; attempt++) {
      const { args, log } = await prepare();
      try {
        await this.#spawn(node, args, log);
      } catch (err) {
        lastErr = err;
        await sleep(100);
      }
    }
    if (!node.proc) throw lastErr;
  }

  async #startData(i: number, extra: string[]): Promise<SentinelSetupNode> {
    const dir = join(this.#root, `data-${i}`);
    mkdirSync(dir);
    const node: SentinelSetupNode = { port: 0, dir, proc: undefined };
    await this.#spawnRetrying(node, 5, async () => {
      node.port = await freePort();
      return { args: [...baseArgs(node.port, dir), ...DATA_ARGS, ...extra], log: join(dir, 'redis.log') };
    });
    this.data.push(node);
    return node;
  }

  async #startSentinel(i: number, masterPort: number): Promise<void> {
    const dir = join(this.#root, `sentinel-${i}`);
    mkdirSync(dir);
    const node: SentinelSetupNode = { port: 0, dir, proc: undefined };
    await this.#spawnRetrying(node, 5, async () => {
      node.port = await freePort();
      // Its own file: a sentinel rewrites it with what it learns (replica, peers, epoch).
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${node.port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `logfile ${join(dir, 'sentinel.log')}`,
          'daemonize no',
          'protected-mode no',
          `sentinel monitor ${this.name} ${HOST} ${masterPort} 2`,
          `sentinel down-after-milliseconds ${this.name} ${this.#downAfterMs}`,
          `sentinel failover-timeout ${this.name} ${this.#failoverTimeoutMs}`,
          `sentinel parallel-syncs ${this.name} 1`,
          '',
        ].join('\n'),
      );
      return { args: [conf, '--sentinel'], log: join(dir, 'sentinel.log') };
    });
    this.sentinels.push(node);
  }

  /** `[{ host, port }]` of the sentinels, for ioredis `sentinels`. */
  get endpoints(): { host: string; port: number }[] {
    return this.sentinels.map((s) => ({ host: HOST, port: s.port }));
  }

  /** Port of the master as sentinel `i` names it. */
  async masterPort(i = 0): Promise<number> {
    return this.#masterPortFrom(this.sentinels[i].port);
  }

  async #masterPortFrom(sentinelPort: number): Promise<number> {
    const r = (await redisCall(sentinelPort, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name)) as string[];
    return Number(r[1]);
  }

  /** The data node on `port`. */
  node(port: number): SentinelSetupNode {
    const n = this.data.find((d) => d.port === port);
    if (!n) throw new Error(`No data node on port ${port}`);
    return n;
  }

  /**
   * Resolves when every running sentinel names the same, running master, which reports
   * `role:master`; lists every running data node as a replica in good health (not down,
   * link ok); and knows every other running sentinel.
   */
  async waitReady(timeoutMs = this.#readyTimeoutMs): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let why = '';
    for (;;) {
      why = await this.#notReadyReason().catch((e: Error) => e.message);
      if (why === '') return;
      if (Date.now() > deadline) {
        throw new Error(`Sentinel setup not ready after ${timeoutMs} ms: ${why}\n${logTail(join(this.sentinels[0].dir, 'sentinel.log'))}`);
      }
      await sleep(50);
    }
  }

  async #notReadyReason(): Promise<string> {
    const running = this.sentinels.filter((s) => s.proc);
    const liveData = this.data.filter((d) => d.proc);
    let master: number | undefined;
    for (const s of running) {
      const port = await this.#masterPortFrom(s.port);
      if (master === undefined) master = port;
      else if (port !== master) return `sentinels disagree on the master (${master} vs ${port})`;
      const m = fields(await redisCall(s.port, 'SENTINEL', 'MASTER', this.name));
      if (/s_down|o_down|failover/.test(m.get('flags') ?? '')) return `sentinel ${s.port}: master flags ${m.get('flags')}`;
      if (Number(m.get('num-other-sentinels')) !== running.length - 1) return `sentinel ${s.port} knows ${m.get('num-other-sentinels')} other sentinels`;
      const replicas = ((await redisCall(s.port, 'SENTINEL', 'REPLICAS', this.name)) as unknown[]).map(fields);
      for (const d of liveData) {
        if (d.port === port) continue;
        const r = replicas.find((x) => Number(x.get('port')) === d.port);
        if (!r) return `sentinel ${s.port} does not list replica ${d.port}`;
        if (/s_down|disconnected/.test(r.get('flags') ?? '')) return `sentinel ${s.port}: replica ${d.port} flags ${r.get('flags')}`;
        if (r.get('master-link-status') !== 'ok') return `sentinel ${s.port}: replica ${d.port} link ${r.get('master-link-status')}`;
      }
    }
    if (master === undefined) return 'no sentinel running';
    if (!liveData.some((d) => d.port === master)) return `master ${master} is not running`;
    const info = await redisInfo(master, 'replication');
    if (info.get('role') !== 'master') return `${master} is ${info.get('role')}`;
    for (const d of liveData) {
      if (d.port === master) continue;
      const r = await redisInfo(d.port, 'replication');
      const via = this.proxies.get(d.port)?.port ?? master; // a lagging replica's master is its proxy
      if (r.get('master_port') !== String(via) || r.get('master_link_status') !== 'up') return `replica ${d.port} not synced to ${master}`;
    }
    return '';
  }

  /** kill -9 of data node `port` (a replica, say); {@link rejoinAsReplica} brings it back. */
  async kill9(port: number): Promise<void> {
    const node = this.node(port);
    if (node.proc) await killProcess(node.proc);
    node.proc = undefined;
  }

  /**
   * kill -9 of the master; resolves once every sentinel names a promoted replica that reports
   * `role:master`. Returns the killed port, the new master's port and the failover time.
   */
  async kill9Master(timeoutMs = 20_000): Promise<{ killed: number; promoted: number; failoverMs: number }> {
    const killed = await this.masterPort();
    const t0 = Date.now();
    const node = this.node(killed);
    if (node.proc) await killProcess(node.proc);
    node.proc = undefined;
    const deadline = t0 + timeoutMs;
    for (;;) {
      const ports = await Promise.all(this.sentinels.filter((s) => s.proc).map((s) => this.#masterPortFrom(s.port).catch(() => killed)));
      const promoted = ports[0];
      if (promoted !== killed && ports.every((p) => p === promoted)) {
        const role = await redisInfo(promoted, 'replication').then((r) => r.get('role'), () => undefined);
        if (role === 'master') return { killed, promoted, failoverMs: Date.now() - t0 };
      }
      if (Date.now() > deadline) throw new Error(`No failover within ${timeoutMs} ms after killing ${killed}`);
      await sleep(20);
    }
  }

  /** Restarts a killed data node as a replica of the current master (`--replicaof`), then waits for readiness. */
  async rejoinAsReplica(port: number): Promise<void> {
    const node = this.node(port);
    if (node.proc) return;
    const master = await this.masterPort();
    await this.#spawnRetrying(node, 20, async () => ({
      args: [...baseArgs(port, node.dir), ...DATA_ARGS, '--replicaof', HOST, String(master)],
      log: join(node.dir, 'redis.log'),
    }));
    await this.waitReady();
  }

  /** Kills every process by PID and removes the dirs. Safe to call twice. */
  async stop(): Promise<void> {
    for (const n of [...this.sentinels, ...this.data]) {
      if (n.proc) await stopProcess(n.proc, 1000);
      n.proc = undefined;
    }
    for (const p of this.proxies.values()) await p.close();
    rmSync(this.#root, { recursive: true, force: true });
  }
}
