/**
 * The soak's fault schedule: one fault at a time from a shuffled list (every kind once before
 * any repeats), each logged from injection until the system is healed and ready, with a calm
 * pause between faults, while the workers run. The servers are the profile's own (started by
 * the coordinator, stopped by PID): nothing outside them is touched.
 */
import { redisCall, sleep, HOST } from '../helpers/redis-server';
import type { RedisCluster } from '../helpers/redis-cluster';
import type { RedisServer } from '../helpers/redis-server';
import type { RedisSentinel } from '../helpers/redis-sentinel';
import type { DelayProxy } from '../helpers/delay-proxy';
import type { FaultRecord, FaultState } from './history';
import { SOAK_FAULTS } from './config';
import { now } from './clock';

/** What a profile exposes to the fault injector. */
export interface Targets {
  cluster?: RedisCluster;
  /** Ring profile: the standalone nodes (0 and 1 of them may be stopped/restarted), the Sentinel group, the coordination node. */
  standalone?: RedisServer[];
  sentinel?: RedisSentinel;
  coord?: RedisServer;
  /** The delay proxy in front of one node. */
  proxy: DelayProxy;
}

type Inject = (t: Targets, rnd: () => number) => Promise<string>;

/** Every running Redis port of the profile (for CLIENT KILL). */
function allPorts(t: Targets): number[] {
  const ports: number[] = [];
  if (t.cluster) ports.push(...t.cluster.running.map((n) => n.port));
  for (const s of t.standalone ?? []) if (s.pid !== undefined) ports.push(s.port);
  if (t.sentinel) for (const d of t.sentinel.data) if (d.proc) ports.push(d.port);
  if (t.coord) ports.push(t.coord.port);
  return ports;
}

const inject: Record<Exclude<FaultState, 'calm'>, Inject> = {
  async kill9(t, rnd) {
    if (t.cluster) {
      const masters = await t.cluster.masters();
      const m = masters[Math.floor(rnd() * masters.length)];
      await t.cluster.kill9(m.port);
      await t.cluster.waitReady(30_000);
      // Its dir has no data (no persistence): it rejoins as a replica and resyncs.
      await t.cluster.revive(m.port);
      return `kill -9 master ${HOST}:${m.port}, failover, restart`;
    }
    const s = t.sentinel!;
    const { killed } = await s.kill9Master(30_000);
    await s.rejoinAsReplica(killed);
    return `kill -9 Sentinel master ${HOST}:${killed}, failover, rejoin`;
  },
  async 'pubsub-kill'(t) {
    let n = 0;
    for (const port of allPorts(t)) n += Number(await redisCall(port, 'CLIENT', 'KILL', 'TYPE', 'pubsub').catch(() => 0));
    // The subscribers reconnect with ioredis's backoff (first retry ~50 ms); give it a second.
    await sleep(1000);
    return `CLIENT KILL TYPE pubsub on every node: ${n} connections`;
  },
  async reshard(t, rnd) {
    const masters = await t.cluster!.masters();
    const from = masters[Math.floor(rnd() * masters.length)];
    const to = masters.filter((m) => m.id !== from.id)[Math.floor(rnd() * (masters.length - 1))];
    const { ms } = await t.cluster!.reshard(from.id, to.id, SOAK_FAULTS.reshardSlots);
    return `reshard ${SOAK_FAULTS.reshardSlots} slots ${from.port} → ${to.port} (${ms} ms)`;
  },
  async sigstop(t, rnd) {
    let pid: number | undefined;
    let port = 0;
    if (t.cluster) {
      const masters = await t.cluster.masters();
      const m = masters[Math.floor(rnd() * masters.length)];
      pid = t.cluster.node(m.port).proc?.pid;
      port = m.port;
    } else {
      const s = t.standalone![Math.floor(rnd() * t.standalone!.length)];
      pid = s.pid;
      port = s.port;
    }
    if (pid === undefined) return 'sigstop: no running process';
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(SOAK_FAULTS.sigstopMs);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    if (t.cluster) await t.cluster.waitReady(30_000);
    return `SIGSTOP ${HOST}:${port} (pid ${pid}) for ${SOAK_FAULTS.sigstopMs} ms, SIGCONT`;
  },
  async 'slow-link'(t) {
    t.proxy.delay(SOAK_FAULTS.slowLinkDelayMs);
    try {
      await sleep(SOAK_FAULTS.slowLinkMs);
    } finally {
      t.proxy.delay(0);
    }
    return `slow link: ${SOAK_FAULTS.slowLinkDelayMs} ms each way to ${HOST}:${t.proxy.port} for ${SOAK_FAULTS.slowLinkMs} ms`;
  },
  async 'data-loss'(t, rnd) {
    if (t.cluster) {
      // A replica restarted empty (no persistence), then a full resync from its master.
      const replicas = (await t.cluster.topology()).filter((n) => n.role === 'replica' && !n.failed);
      const r = replicas[Math.floor(rnd() * replicas.length)];
      await t.cluster.kill9(r.port);
      await t.cluster.revive(r.port);
      return `restart of replica ${HOST}:${r.port} with its data gone`;
    }
    const s = t.standalone![Math.floor(rnd() * t.standalone!.length)];
    await s.restart();
    return `restart of ${HOST}:${s.port} with its data gone`;
  },
};

export const FAULT_KINDS = Object.keys(inject) as Exclude<FaultState, 'calm'>[];

/** Runs faults until `until` (ms on the shared clock), each logged into `out`. */
export async function runFaults(t: Targets, until: number, rnd: () => number, out: FaultRecord[], calmMs = 1500, log: (s: string) => void = () => {}): Promise<void> {
  let queue: Exclude<FaultState, 'calm'>[] = [];
  while (now() + calmMs < until) {
    await sleep(calmMs);
    if (queue.length === 0) queue = [...FAULT_KINDS].sort(() => rnd() - 0.5);
    const state = queue.shift()!;
    if (state === 'reshard' && t.cluster === undefined) continue; // a ring has no slots to move
    const start = now();
    let what: string;
    try {
      what = await inject[state](t, rnd);
    } catch (err) {
      what = `${state} FAILED to inject or heal: ${(err as Error).message.split('\n')[0]}`;
    }
    const rec: FaultRecord = { t: 'fault', state, what, start, end: now() };
    out.push(rec);
    log(`fault ${state} [${((rec.end - rec.start) / 1000).toFixed(1)} s]: ${what}`);
  }
}
