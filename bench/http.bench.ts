/**
 * `http` suite: real loopback HTTP, each server in its own process (bench/http-server.ts) and
 * autocannon (50 connections, keep-alive) in this one. What is measured is the SERVER's CPU
 * time per request (user + system, `process.cpuUsage()` around the load phase): ns/op is that,
 * ops/s is requests per second of one fully used core. Throughput (req/s) on this shared 2-core
 * machine depends on what else runs and on the load generator, which competes for the same
 * cores; CPU per request does not (much), and it is what the floor and the ratios are about.
 *
 * - `GET, cached route`: baseline the bare node:http `res.end(buffer)`. Target: the ringcache
 *   node:http route (an L1 hit: key, entry, headers) ≥ 0.8×; the 304 path (`If-None-Match`
 *   matching) ≥ the cached 200.
 * - `GET, cached route vs sending the same response`: baseline node:http sending the cached
 *   route's own response (its headers: Cache-Control, Age, ETag, Last-Modified, Vary, tags)
 *   with nothing else done: the floor for any cache that must send those headers.
 * - `GET, vs Express + bentocache`: the same route built today (Express 5 + bentocache, memory
 *   L1 + Redis L2, `res.json`) as the baseline. Target: a ringcache cached route ≥ 2×. The
 *   Express floor (an Express route sending that response with nothing else done) is a row:
 *   no Express middleware can be faster, and the group `Express route vs the Express floor`
 *   says how close `HttpCache.express` gets to it.
 * - `GET, uncached, 2 ms database`: what every request costs without the cache (for scale).
 *
 * Rounds: `rounds` (3 to 5), in alternating server order; medians are reported. Each load phase
 * lasts `time` / 100 s (2 to 10 s) after a 2 s warm-up. A quick run (`quick`, `ringcache bench
 * --quick`) takes `rounds` as given (1 to 5) and load phases from 0.5 s after a 0.25 s warm-up.
 *
 * Redis: `redis` (a URL) or a `redis-server` started on a free loopback port with the test
 * helper (source checkout only).
 *
 *   npm run build:ts && node dist/bench/http.bench.js [--time MS] [--redis redis://HOST:PORT]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { pinApart, rowsFromSamples, runMain, serverHelper, setupStep, type BenchOptions, type BenchRow } from './lib';

export interface HttpBenchOptions extends BenchOptions {
  redis?: string;
}

const KINDS = ['bare', 'bare-headers', 'ringcache-node', 'ringcache-express', 'express-floor', 'express-bentocache', 'uncached-2ms'] as const;
type Kind = (typeof KINDS)[number];
const PATH = '/products/42';

interface Started {
  child: ChildProcess;
  port: number;
}

function start(kind: Kind, redisPort: number, headers: string[] = []): Promise<Started> {
  // The built server (dist/bench/http-server.js): run this suite from the build, like the CLI does.
  const child = fork(join(__dirname, 'http-server.js'), [kind, String(redisPort), JSON.stringify(headers)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => {
      // The server on its own CPU, the load generator (this process) on the other.
      if (child.pid !== undefined) pinApart([child.pid]);
      resolve({ child, port: m.port });
    });
    child.once('exit', (code) => reject(new Error(`http bench server ${kind} exited with ${code}`)));
  });
}

function stop(s: Started): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    process.kill(s.child.pid as number, 'SIGKILL');
  });
}

function once(port: number, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

type Autocannon = (o: Record<string, unknown>) => Promise<{ requests: { average: number }; errors: number; timeouts: number; non2xx: number; '2xx': number }>;

interface Usage {
  cpu: NodeJS.CpuUsage;
  requests: number;
}

function usage(s: Started): Promise<Usage> {
  return new Promise((resolve) => {
    s.child.once('message', (m: Usage) => resolve(m));
    s.child.send('usage');
  });
}

/** Loads the server; returns its CPU time per request (µs of user + system time). */
async function load(s: Started, seconds: number, headers: Record<string, string>, expect2xx: boolean): Promise<number> {
  const autocannon = require('autocannon') as Autocannon; // eslint-disable-line @typescript-eslint/no-require-imports
  const before = await usage(s);
  // autocannon stops at its next sample tick (every `sampleInt` ms, default 1000): a phase
  // shorter than a second needs ticks as short, or it lasts the whole second.
  const sampleInt = Math.min(1000, seconds * 1000);
  const r = await autocannon({ url: `http://127.0.0.1:${s.port}${PATH}`, connections: 50, duration: seconds, sampleInt, headers });
  const after = await usage(s);
  if (r.errors > 0 || r.timeouts > 0) throw new Error(`http bench: ${r.errors} errors, ${r.timeouts} timeouts on port ${s.port}`);
  if (expect2xx ? r.non2xx > 0 : r['2xx'] > 0) throw new Error(`http bench: unexpected statuses on port ${s.port} (${r['2xx']} 2xx, ${r.non2xx} other)`);
  const cpuUs = after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
  return cpuUs / Math.max(1, after.requests - before.requests);
}

export async function runHttpBench(opts: HttpBenchOptions = {}): Promise<BenchRow[]> {
  const time = opts.time ?? 300;
  const seconds = opts.quick ? Math.min(10, Math.max(0.5, time / 100)) : Math.min(10, Math.max(2, Math.round(time / 100)));
  // process.cpuUsage() counts every thread, the JIT's too: the warm-up lets the optimising
  // compiler finish before the measured phase (after 1 s, ringcache's larger hot path was still
  // being compiled in it: a cached-route ratio of 0.68 in one run, 0.78 in the next with 2 s).
  const warmUp = opts.quick ? 0.25 : 2;
  let redisPort: number;
  let stopRedis = async (): Promise<void> => {};
  if (opts.redis !== undefined) redisPort = Number(new URL(opts.redis).port || 6379);
  else {
    const helper = await serverHelper<{ RedisServer: { start(): Promise<{ port: number; stop(): Promise<void> }> } }>('redis-server', 'http', '--redis redis://HOST:PORT');
    const server = await setupStep('http', 'start a redis-server', '--redis redis://HOST:PORT', () => helper.RedisServer.start());
    redisPort = server.port;
    stopRedis = () => server.stop();
  }
  /** Server CPU µs per request of each server, one sample per round (medians are reported). */
  const samples = new Map<string, number[]>();
  const keep = (name: string, us: number): void => {
    samples.set(name, [...(samples.get(name) ?? []), us]);
  };
  const rounds = Math.max(opts.quick ? 1 : 3, Math.min(opts.rounds ?? 3, 5));
  try {
    // The cached route's own response headers (but those node:http adds itself), for the floors.
    const probe = await start('ringcache-node', redisPort);
    let same: string[];
    try {
      await once(probe.port);
      const { headers } = await once(probe.port);
      same = Object.entries(headers)
        .filter(([name]) => name !== 'date' && name !== 'connection' && name !== 'keep-alive')
        .flatMap(([name, v]) => (Array.isArray(v) ? v.flatMap((x) => [name, String(x)]) : [name, String(v)]));
    } finally {
      await stop(probe);
    }
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? KINDS : [...KINDS].reverse();
      for (const kind of order) {
        opts.onProgress?.(`http: ${kind} (round ${round + 1})`);
        const s = await start(kind, redisPort, same);
        try {
          const first = await once(s.port);
          if (first.status !== 200) throw new Error(`http bench: ${kind} answered ${first.status}`);
          await load(s, warmUp, {}, true); // warm-up (JIT, L1)
          keep(kind, await load(s, seconds, {}, true));
          if (kind === 'ringcache-node') {
            const etag = String((await once(s.port)).headers.etag);
            if ((await once(s.port, { 'if-none-match': etag })).status !== 304) throw new Error('http bench: no 304');
            keep('ringcache-node 304', await load(s, seconds, { 'if-none-match': etag }, false));
          }
        } finally {
          await stop(s);
        }
      }
    }
  } finally {
    await stopRedis();
  }
  const names: Record<string, string> = {
    bare: 'node:http res.end(buffer)',
    'bare-headers': 'node:http, the cached response as is (writeHead + end)',
    'express-floor': 'Express 5, the cached response as is (floor of an Express route)',
    'ringcache-node': 'ringcache HttpCache.node, cached 200',
    'ringcache-node 304': 'ringcache HttpCache.node, 304',
    'ringcache-express': 'ringcache HttpCache.express, cached 200',
    'express-bentocache': 'Express + bentocache (memory + Redis), res.json',
    'uncached-2ms': 'node:http, uncached, 2 ms database',
  };
  // Server CPU time per request (the `cpu` clock: throughput is noise on a shared 2-core box).
  const group = (title: string, keys: string[]): BenchRow[] =>
    rowsFromSamples('http', title, keys.map((k) => names[k]), keys.map((k) => (samples.get(k) as number[]).map((us) => us * 1000)), names[keys[0]], 'cpu');
  return [
    ...group('GET, cached route (50 connections)', ['bare', 'ringcache-node', 'ringcache-node 304', 'ringcache-express', 'bare-headers']),
    ...group('GET, cached route vs sending the same response', ['bare-headers', 'ringcache-node']),
    ...group('GET, vs Express + bentocache', ['express-bentocache', 'ringcache-node', 'ringcache-express', 'express-floor']),
    ...group('GET, Express route vs the Express floor', ['express-floor', 'ringcache-express']),
    ...group('GET, uncached 2 ms database', ['uncached-2ms', 'ringcache-node']),
  ];
}

if (require.main === module) runMain(runHttpBench);
