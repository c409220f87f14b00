/**
 * The soak coordinator (`npm run soak -- --seconds N [--profile cluster|ring] [--replica-ack on|off]`):
 * starts the servers of the profile and the database of record (each a redis-server on a free
 * loopback port in a fresh dir), forks the workers, injects faults on a schedule while they
 * run, then stops everything it started (by PID), reads the workers' histories and runs the
 * checker. Exit status 1 on any violation (with replica acknowledgement off, the violations
 * are only reported: that run shows the hazard, see the README).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisCluster } from '../helpers/redis-cluster';
import { RedisServer, HOST } from '../helpers/redis-server';
import { RedisSentinel } from '../helpers/redis-sentinel';
import { DelayProxy } from '../helpers/delay-proxy';
import { prng } from '../../bench/lib';
import { checkHistory, describeViolation } from './checker';
import { now } from './clock';
import { SOAK_FAULTS, soakBounds, type Profile, type WorkerConfig } from './config';
import { runFaults, type Targets } from './faults';
import type { FaultRecord, HistoryRecord } from './history';
import { summarizeSamples } from './samples';

interface Args {
  seconds: number;
  profile: Profile;
  replicaAck: boolean;
  workers: number;
  seed: number;
  out: string | undefined;
  sabotage: 'no-bus' | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seconds: 20, profile: 'cluster', replicaAck: true, workers: 4, seed: Date.now() % 1e9, out: undefined, sabotage: undefined };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds':
        a.seconds = Number(v);
        i++;
        break;
      case '--profile':
        if (v !== 'cluster' && v !== 'ring') throw new RangeError(`--profile must be cluster or ring, got ${v}`);
        a.profile = v;
        i++;
        break;
      case '--replica-ack':
        if (v !== 'on' && v !== 'off') throw new RangeError(`--replica-ack must be on or off, got ${v}`);
        a.replicaAck = v === 'on';
        i++;
        break;
      case '--workers':
        a.workers = Number(v);
        i++;
        break;
      case '--seed':
        a.seed = Number(v);
        i++;
        break;
      case '--sabotage':
        if (v !== 'no-bus') throw new RangeError(`--sabotage must be no-bus, got ${v}`);
        a.sabotage = v;
        i++;
        break;
      case '--out':
        a.out = v;
        i++;
        break;
      default:
        throw new RangeError(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isFinite(a.seconds) || a.seconds < 5 || a.seconds > 7200) throw new RangeError('--seconds must be 5 … 7200');
  if (!Number.isInteger(a.workers) || a.workers < 4 || a.workers > 16) throw new RangeError('--workers must be 4 … 16');
  return a;
}

const say = (s: string): void => {
  process.stdout.write(`soak: ${s}\n`);
};

/** Everything the coordinator started, stopped by PID in `stop()` whatever happened. */
class Servers {
  db?: RedisServer;
  cluster?: RedisCluster;
  standalone: RedisServer[] = [];
  sentinel?: RedisSentinel;
  coord?: RedisServer;
  proxy?: DelayProxy;
  async stop(): Promise<void> {
    await this.proxy?.close().catch(() => {});
    await Promise.all([this.db?.stop(), this.cluster?.stop(), this.sentinel?.stop(), this.coord?.stop(), ...this.standalone.map((s) => s.stop())].map((p) => p?.catch(() => {})));
  }
}

async function startProfile(a: Args, s: Servers, base: Omit<WorkerConfig, 'name' | 'index' | 'seed' | 'logFile' | 'sampleFile'>): Promise<{ targets: Targets; cfg: typeof base }> {
  if (a.profile === 'cluster') {
    s.cluster = await RedisCluster.start({ nodeTimeoutMs: SOAK_FAULTS.nodeTimeoutMs });
    // One master behind the delay proxy: ioredis maps its announced address to the proxy.
    const slow = (await s.cluster.masters())[0];
    s.proxy = await DelayProxy.start(slow.port);
    return {
      targets: { cluster: s.cluster, proxy: s.proxy },
      cfg: { ...base, clusterNodes: s.cluster.startupNodes, natMap: { [`${HOST}:${slow.port}`]: s.proxy.options } },
    };
  }
  for (let i = 0; i < 3; i++) s.standalone.push(await RedisServer.start());
  s.sentinel = await RedisSentinel.start({ name: 'soak' });
  s.coord = await RedisServer.start();
  // The third standalone node is reached through the delay proxy.
  s.proxy = await DelayProxy.start(s.standalone[2].port);
  const ringNodes = [`${HOST}:${s.standalone[0].port}`, `${HOST}:${s.standalone[1].port}`, `${HOST}:${s.proxy.port}`];
  return {
    targets: { standalone: s.standalone, sentinel: s.sentinel, coord: s.coord, proxy: s.proxy },
    cfg: { ...base, ringNodes, sentinel: { sentinels: s.sentinel.endpoints, name: s.sentinel.name }, coordPort: s.coord.port },
  };
}

function forkWorker(cfg: WorkerConfig): { child: ChildProcess; done: Promise<number | null> } {
  const child = fork(join(__dirname, 'worker.js'), [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done };
}

async function main(): Promise<number> {
  const a = parseArgs(process.argv.slice(2));
  const dir = a.out ?? mkdtempSync(join(tmpdir(), 'ringcache-soak-'));
  const rnd = prng(a.seed);
  const s = new Servers();
  const faults: FaultRecord[] = [];
  const children: ChildProcess[] = [];
  const t0 = now();
  say(`profile ${a.profile}, ${a.workers} workers, ${a.seconds} s, replica ack ${a.replicaAck ? 'on' : 'off'}, seed ${a.seed}, logs in ${dir}${a.sabotage ? `, SABOTAGE ${a.sabotage}` : ''}`);
  let codes: (number | null)[] = [];
  try {
    s.db = await RedisServer.start();
    const base = { workers: a.workers, profile: a.profile, dbPort: s.db.port, replicaAck: a.replicaAck, durationMs: a.seconds * 1000, sabotage: a.sabotage };
    const { targets, cfg } = await startProfile(a, s, base);
    say(`servers up in ${((now() - t0) / 1000).toFixed(1)} s`);
    const started: Promise<void>[] = [];
    const done: Promise<number | null>[] = [];
    for (let i = 0; i < a.workers; i++) {
      const w = forkWorker({ ...cfg, name: `w${i}`, index: i, seed: a.seed + i + 1, logFile: join(dir, `w${i}.jsonl`), sampleFile: join(dir, `w${i}.samples.jsonl`) });
      children.push(w.child);
      started.push(new Promise((res) => w.child.on('message', (m) => m === 'started' && res())));
      done.push(w.done);
    }
    await Promise.race([Promise.all(started), new Promise((r) => setTimeout(r, 30_000))]);
    const tWork = now();
    const until = tWork + a.seconds * 1000;
    await runFaults(targets, until, rnd, faults, 1500, say);
    // Workers stop on their own at the deadline; a stuck one is told, then killed by PID.
    const stuck = setTimeout(() => children.forEach((c) => c.connected && c.send('stop')), Math.max(0, until - now()) + 15_000);
    const kill = setTimeout(() => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')), Math.max(0, until - now()) + 30_000);
    codes = await Promise.all(done);
    clearTimeout(stuck);
    clearTimeout(kill);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await s.stop();
  }
  say(`servers stopped; worker exit codes ${codes.join(', ')}`);
  const history: HistoryRecord[] = [...faults];
  for (let i = 0; i < a.workers; i++) {
    for (const line of readFileSync(join(dir, `w${i}.jsonl`), 'utf8').split('\n')) if (line) history.push(JSON.parse(line));
  }
  const bounds = soakBounds();
  const rep = checkHistory(history, bounds);
  const mem = summarizeSamples(Array.from({ length: a.workers }, (_, i) => join(dir, `w${i}.samples.jsonl`)));
  const summary = {
    profile: a.profile,
    seconds: a.seconds,
    replicaAck: a.replicaAck,
    seed: a.seed,
    workers: a.workers,
    ops: rep.ops,
    reads: rep.reads,
    writes: rep.writes,
    acknowledged: rep.acknowledged,
    versionsChecked: rep.versionsChecked,
    staleServed: rep.staleServed,
    faults: rep.faults.map((f) => ({ state: f.state, what: f.what, ms: Math.round(f.end - f.start) })),
    violations: rep.violations.length,
    violationsByKind: rep.violations.reduce<Record<string, number>>((m, v) => ((m[v.kind] = (m[v.kind] ?? 0) + 1), m), {}),
    bounds: bounds.perState,
    maxStalenessMs: Object.fromEntries(Object.entries(rep.maxStalenessMs).map(([k, v]) => [k, Math.round(v)])),
    staleReads: rep.staleReads,
    callerErrors: rep.callerErrors,
    workerExitCodes: codes,
    memory: mem,
  };
  writeFileSync(join(dir, 'report.json'), JSON.stringify({ ...summary, violationDetails: rep.violations.slice(0, 50).map((v) => describeViolation(v, t0)) }, null, 2));
  const { memory, ...rest } = summary;
  say(JSON.stringify(rest, null, 2));
  // Resources: one line per worker with the slope (per minute, second half of the run) of each series.
  for (const [w, m] of Object.entries(memory)) {
    say(`${w} ${m.samples} samples: ${Object.entries(m.series).map(([k, v]) => `${k} ${v.first.toFixed(1)}→${v.last.toFixed(1)} (max ${v.max.toFixed(1)}, ${v.slopePerMin}/min)`).join(', ')}`);
  }
  for (const v of rep.violations.slice(0, 5)) say(describeViolation(v, t0).join('\n'));
  const badExit = codes.some((c) => c !== 0);
  if (badExit) say('a worker did not exit cleanly');
  const fail = badExit || (a.replicaAck && rep.violations.length > 0) || rep.ops === 0;
  say(`${rep.violations.length} violations in ${rep.ops} operations (${rep.faults.length} faults) → ${fail ? 'FAIL' : 'ok'}`);
  if (a.out === undefined && !fail) rmSync(dir, { recursive: true, force: true });
  return fail ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`soak: ${(err as Error).stack}\n`);
    process.exit(2);
  },
);
