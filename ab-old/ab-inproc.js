// In-process A/B of the old and new TieredCache builds against one redis-server: rounds
// alternate old/new (and which goes first), so machine-load drift hits both alike.
const { spawn } = require('node:child_process');
const net = require('node:net');
const { mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const Redis = require('ioredis');
const OLD = require('/work/wt/i11c/ab-old/dist/src/cache/tiered-cache').TieredCache;
const NEW = require('/work/wt/i11c/dist/src/cache/tiered-cache').TieredCache;

const freePort = () => new Promise((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const ROUNDS = Number(process.argv[2] ?? 25);

(async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'i11c-ab-'));
  const srv = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  const redis = new Redis({ port, host: '127.0.0.1', enableAutoPipelining: true });
  const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
  const mk = (C, opts) => new C({ l2: redis, circuitBreaker: false, lock: false, ...opts });
  const sides = {};
  for (const [name, C] of [['old', OLD], ['new', NEW]]) {
    const l1 = mk(C, { l2: false, lock: false, name: name + 'l1' });
    const l2 = mk(C, { l1: false, prefix: name + ':' });
    for (const k of keys) { await l1.set(k, { id: k, n: 1 }); await l2.set(k, { id: k, n: 1, s: 'x'.repeat(40) }); }
    sides[name] = { l1, l2 };
  }
  const tasks = {
    'L1 hit get': async (s) => { const t = process.hrtime.bigint(); for (let i = 0; i < 20000; i++) await s.l1.get(keys[i % 1000]); return Number(process.hrtime.bigint() - t) / 20000; },
    'L2 hit get x64': async (s) => { const t = process.hrtime.bigint(); let n = 0; for (let r = 0; r < 60; r++) { const ps = []; for (let i = 0; i < 64; i++) ps.push(s.l2.get(keys[(r * 64 + i) % 1000])); await Promise.all(ps); n += 64; } return Number(process.hrtime.bigint() - t) / n; },
    'L2 hit getOrSet x64': async (s) => { const t = process.hrtime.bigint(); let n = 0; for (let r = 0; r < 60; r++) { const ps = []; for (let i = 0; i < 64; i++) ps.push(s.l2.getOrSet(keys[(r * 64 + i) % 1000], () => 1)); await Promise.all(ps); n += 64; } return Number(process.hrtime.bigint() - t) / n; },
    'getMany 64': async (s) => { const t = process.hrtime.bigint(); for (let r = 0; r < 150; r++) await s.l2.getMany(keys.slice((r * 64) % 900, (r * 64) % 900 + 64)); return Number(process.hrtime.bigint() - t) / 150; },
  };
  const res = {};
  for (const name of Object.keys(tasks)) res[name] = { old: [], new: [] };
  for (const name of Object.keys(tasks)) { await tasks[name](sides.old); await tasks[name](sides.new); } // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
    for (const name of Object.keys(tasks)) for (const side of order) res[name][side].push(await tasks[name](sides[side]));
  }
  const med = (a) => { const b = [...a].sort((x, y) => x - y); return b[b.length >> 1]; };
  const min = (a) => Math.min(...a);
  console.log(`| task (ns/op; ${ROUNDS} alternating rounds) | old median | new median | new/old | old best | new best | new/old |`);
  console.log('|---|---|---|---|---|---|---|');
  for (const name of Object.keys(tasks)) { const o = med(res[name].old), n = med(res[name].new), a = min(res[name].old), b = min(res[name].new); console.log(`| ${name} | ${o.toFixed(0)} | ${n.toFixed(0)} | ${(n / o).toFixed(3)} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(3)} |`); }
  redis.disconnect();
  srv.kill('SIGTERM');
})().catch((e) => { console.error(e); process.exit(1); });
