#!/usr/bin/env node
/**
 * Generates test/fixtures/ketama/twemproxy.json: which backend a REAL twemproxy (Debian
 * `nutcracker`, `distribution: ketama`, `hash: md5`, `redis: true`) sends each key of
 * test/fixtures/ketama/keys.json to. Every key is SET through nutcracker, then each real
 * `redis-server` behind it is asked (SCAN) which keys it holds.
 *
 *   node scripts/gen-ketama-fixtures.mjs      # first: writes keys.json
 *   node scripts/gen-twemproxy-fixtures.mjs   # needs /usr/sbin/nutcracker, /usr/bin/redis-server
 *   NUTCRACKER=… REDIS_SERVER=… node scripts/gen-twemproxy-fixtures.mjs
 *
 * Every process is ours: redis-servers on free loopback ports (`--save '' --appendonly no`,
 * fresh temp dirs), one nutcracker per server set (config, log and pid file in a temp dir,
 * explicit `-s <free port> -a 127.0.0.1`), all killed by PID and the temp dir removed at the
 * end, also on failure. Sets cover servers with and without names, equal and unequal weights,
 * 7 and 25 servers (where float and double digest counts differ), two names that share a point
 * (scripts/ketama-ref/ties.mjs: shows the tie rule) and, when 127.0.0.x:11211 is free, servers
 * on port 11211, which twemproxy names by host alone.
 *
 * Format: as libmemcached.json; `servers` holds the ports actually used (they name the points
 * when a server has no name); owners byte 255 = key not written (see `skipped`).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeOwners, NOT_ASKED, readKeys, writeFixture } from './ketama-ref/fixture-io.mjs';
import { findTie, twemproxyNameCompare } from './ketama-ref/ties.mjs';

const NUTCRACKER = process.env.NUTCRACKER || '/usr/sbin/nutcracker';
const REDIS_SERVER = process.env.REDIS_SERVER || '/usr/bin/redis-server';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- a minimal RESP client (pipelined; replies in order) ----------------------------------

function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Parses one reply at `pos`; returns [value, next] or undefined when incomplete. Errors are Error values. */
function parse(buf, pos) {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('latin1', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+':
      return [line, next];
    case '-':
      return [new Error(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.subarray(next, next + len), next + len + 2];
    }
    case '*': {
      const n = Number(line);
      const out = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (!r) return undefined;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
    default:
      throw new Error(`bad RESP reply type ${JSON.stringify(type)}`);
  }
}

class Resp {
  static open(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = connect({ port, host }, () => {
        sock.off('error', reject);
        resolve(new Resp(sock));
      });
      sock.once('error', reject);
    });
  }
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.waiting = [];
    sock.on('data', (d) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      let pos = 0;
      for (let r; this.waiting.length && (r = parse(this.buf, pos)); pos = r[1]) this.waiting.shift().resolve(r[0]);
      this.buf = this.buf.subarray(pos);
    });
    const fail = (err) => {
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection closed')));
  }
  /** Sends all commands at once; resolves to their replies. */
  pipeline(commands) {
    const replies = commands.map(() => new Promise((resolve, reject) => this.waiting.push({ resolve, reject })));
    this.sock.write(Buffer.concat(commands.map(encode)));
    return Promise.all(replies);
  }
  async call(...args) {
    return (await this.pipeline([args]))[0];
  }
  close() {
    this.sock.destroy();
  }
}

// ---- processes -----------------------------------------------------------------------------

const children = [];

function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** True when `host:port` can be bound (nothing listens there). */
function portIsFree(host, port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function start(cmd, args, what) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.on('error', (err) => (child.failed = err));
  child.what = what;
  child.stderrText = () => stderr;
  children.push(child);
  return child;
}

async function waitForPort(port, host, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null || child.failed) {
      throw new Error(`${child.what} exited (${child.exitCode ?? child.failed}): ${child.stderrText()}`);
    }
    try {
      return await Resp.open(port, host);
    } catch {
      await sleep(25);
    }
  }
  throw new Error(`${child.what} did not listen on ${host}:${port}`);
}

function stop(child) {
  if (child.exitCode === null && child.signalCode === null && child.pid) {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {}
  }
}

async function startRedis(dir, host, port) {
  const d = join(dir, `redis-${host}-${port}`);
  mkdirSync(d);
  const child = start(
    REDIS_SERVER,
    ['--port', String(port), '--bind', host, '--save', '', '--appendonly', 'no', '--dir', d, '--daemonize', 'no', '--logfile', join(d, 'log')],
    `redis-server ${host}:${port}`,
  );
  const client = await waitForPort(port, host, child);
  return { host, port, child, client };
}

// ---- main ----------------------------------------------------------------------------------

const keys = readKeys();
const keyIndex = new Map(keys.map((k, i) => [Buffer.from(k).toString('latin1'), i]));
if (keyIndex.size !== keys.length) throw new Error('keys.json: two keys have the same UTF-8 bytes');

const work = mkdtempSync(join(tmpdir(), 'twemproxy-fixtures-'));
try {
  const pool = [];
  for (let i = 0; i < 25; i++) pool.push(await startRedis(work, '127.0.0.1', await freePort()));
  // Port 11211 on three other loopback addresses, when nothing uses it there.
  const on11211 = [];
  for (const host of ['127.0.0.101', '127.0.0.102', '127.0.0.103']) {
    if (await portIsFree(host, 11211)) on11211.push(await startRedis(work, host, 11211));
  }

  const named = (backends, weights) =>
    backends.map((b, i) => ({ backend: b, weight: weights?.[i] ?? 1, name: `redis-${String.fromCharCode(97 + (i % 26))}${i}` }));
  const plain = (backends, weights) => backends.map((b, i) => ({ backend: b, weight: weights?.[i] ?? 1 }));
  const sets = [
    ['3 equal, no names (host:port)', plain(pool.slice(0, 3))],
    ['5 equal, named', named(pool.slice(3, 8))],
    ['4 weights 1,2,3,5, no names', plain(pool.slice(8, 12), [1, 2, 3, 5])],
    ['6 weights 10,1,4,7,2,9, named', named(pool.slice(12, 18), [10, 1, 4, 7, 2, 9])],
    ['7 equal, no names (160 points each)', plain(pool.slice(18, 25))],
    ['25 equal, named (float: 156 points each)', named(pool)],
    ['2 named + 2 unnamed, weights 3,1,1,2', [...named(pool.slice(0, 2), [3, 1]), ...plain(pool.slice(2, 4), [1, 2])]],
  ];
  // A real tie: two names sharing a point, listed in both orders (twemproxy sorts servers by name).
  const tie = findTie();
  const [first, second] = [...tie.names].sort(twemproxyNameCompare);
  for (const names of [[second, first], [first, second]]) {
    sets.push([`tie: ${names.join(', ')} share point ${tie.value}`, names.map((name, i) => ({ backend: pool[i], weight: 1, name }))]);
  }
  // Point names past 272 bytes are cut (KETAMA_MAX_HOSTLEN): every "<300 x>-i" hashes as 272 x,
  // "<270 y>-10".."-39" hash as "<270 y>-1".
  sets.push([
    'names of 300 and 270 bytes (points cut to 272 bytes)',
    [
      { backend: pool[0], weight: 1, name: 'x'.repeat(300) },
      { backend: pool[1], weight: 2, name: 'y'.repeat(270) },
      { backend: pool[2], weight: 1, name: 'short' },
    ],
  ]);
  if (on11211.length === 3) {
    sets.push(['3 on port 11211, no names (host only)', plain(on11211)]);
    sets.push(['port 11211 and others mixed, weights 2,1,1,1', plain([on11211[0], pool[0], on11211[1], pool[1]], [2, 1, 1, 1])]);
  } else {
    console.warn('127.0.0.10x:11211 in use: the port-11211 sets are left out');
  }

  const out = [];
  let skipped = [];
  for (const [title, servers] of sets) {
    const dir = mkdtempSync(join(work, 'nc-'));
    const listen = await freePort();
    const stats = await freePort();
    const conf = join(dir, 'nutcracker.yml');
    writeFileSync(
      conf,
      [
        'ketama:',
        `  listen: 127.0.0.1:${listen}`,
        '  hash: md5',
        '  distribution: ketama',
        '  redis: true',
        '  auto_eject_hosts: false',
        '  preconnect: false',
        '  timeout: 5000',
        '  servers:',
        ...servers.map((s) => `    - ${s.backend.host}:${s.backend.port}:${s.weight}${s.name ? ` ${s.name}` : ''}`),
        '',
      ].join('\n'),
    );
    for (const s of servers) await s.backend.client.call('FLUSHALL');
    const nc = start(
      NUTCRACKER,
      ['-c', conf, '-s', String(stats), '-a', '127.0.0.1', '-o', join(dir, 'nutcracker.log'), '-p', join(dir, 'nutcracker.pid'), '-v', '5'],
      `nutcracker (${title})`,
    );
    const proxy = await waitForPort(listen, '127.0.0.1', nc);

    // Write every key through nutcracker (pipelined in chunks).
    const asked = new Uint8Array(keys.length).fill(1);
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      const replies = await proxy.pipeline(chunk.map((k) => ['SET', Buffer.from(k), '1']));
      replies.forEach((r, j) => {
        if (r !== 'OK') {
          asked[i + j] = 0;
          if (!skipped.some((s) => s.key === chunk[j])) skipped.push({ key: chunk[j], reply: String(r?.message ?? r) });
        }
      });
    }
    proxy.close();

    // Ask each backend which keys it holds.
    const owners = new Array(keys.length).fill(NOT_ASKED);
    for (let b = 0; b < servers.length; b++) {
      const client = servers[b].backend.client;
      let cursor = '0';
      do {
        const [next, batch] = await client.call('SCAN', cursor, 'COUNT', '1000');
        cursor = next.toString();
        for (const k of batch) {
          const i = keyIndex.get(k.toString('latin1'));
          if (i === undefined) throw new Error(`${title}: backend ${b} holds an unknown key ${JSON.stringify(k.toString())}`);
          if (owners[i] !== NOT_ASKED) throw new Error(`${title}: key ${JSON.stringify(keys[i])} on backends ${owners[i]} and ${b}`);
          owners[i] = b;
        }
      } while (cursor !== '0');
    }
    const missing = owners.filter((o, i) => asked[i] && o === NOT_ASKED).length;
    if (missing) throw new Error(`${title}: ${missing} keys written through nutcracker are on no backend`);
    stop(nc);

    const counts = servers.map((_, b) => owners.filter((o) => o === b).length);
    console.log(`${title}: ${owners.filter((o) => o !== NOT_ASKED).length} keys, per backend ${counts.join(' ')}`);
    out.push({
      name: title,
      servers: servers.map((s) => ({ host: s.backend.host, port: s.backend.port, weight: s.weight, ...(s.name ? { name: s.name } : {}) })),
      owners: encodeOwners(owners),
    });
  }

  const version = (await new Promise((resolve) => {
    const v = spawn(NUTCRACKER, ['-V'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let s = '';
    v.stdout.on('data', (d) => (s += d));
    v.stderr.on('data', (d) => (s += d));
    v.on('close', () => resolve(s));
  })).split('\n')[0];
  const file = writeFixture('twemproxy.json', {
    reference: `${version} (Debian nutcracker), distribution: ketama, hash: md5, redis: true, keys SET through it and found with SCAN on each redis-server`,
    generator: 'scripts/gen-twemproxy-fixtures.mjs',
    skipped,
    sets: out,
  });
  console.log(`twemproxy: ${out.length} sets → ${file}${skipped.length ? `; not written: ${JSON.stringify(skipped)}` : ''}`);
} finally {
  for (const c of children) stop(c);
  await sleep(200);
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {}
    }
  }
  rmSync(work, { recursive: true, force: true });
  process.exit(process.exitCode ?? 0);
}
