/**
 * `ringcache bench` as a user runs it on a fresh clone (issue 15, item 3): a headline (one line
 * per suite) before the table; by default every suite that can run, the Redis ones on servers
 * they start when redis-server is on PATH; a skipped suite named with its reason, which fails
 * the command only when asked for with --suite. Subprocess runs of a fresh compile of the
 * sources into a temp dir (test/helpers/compiled-cli.ts). What is tested is the CLI, not
 * the engine: `hybrid` project only.
 */
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCli, runCli, type CliRun as Run } from '../helpers/compiled-cli';
import { notDefaultProject } from '../helpers/project';

let work = '';
let cli = '';
/** A PATH holding only `node`: no redis-server, no redis-cli. */
let bare = '';

const run = (args: string[], env?: NodeJS.ProcessEnv): Run => runCli(cli, work, ['bench', ...args], { env });

/** The environment of a machine without Redis: PATH is a dir with a `node` link alone. */
function withoutRedis(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: bare };
  delete env.REDIS_SERVER_BIN;
  delete env.REDIS_CLI_BIN;
  return env;
}

/** Table rows of stdout (after the header and its rule) as cells. */
function tableRows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .slice(1)
    .map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
}

const NO_REDIS = 'redis-server is not on PATH; install redis-server or pass';

describe.skipIf(notDefaultProject)('ringcache bench: what a fresh clone runs', () => {
  beforeAll(() => {
    ({ work, cli } = compileCli('ringcache-cli-bench-'));
    bare = join(work, 'bin');
    mkdirSync(bare);
    symlinkSync(process.execPath, join(bare, 'node'));
  }, 180_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('--quick --suite hash --suite slot: the headline lines first, a blank line, then the table', () => {
    const r = run(['--quick', '--suite', 'hash', '--suite', 'slot']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^hash +md5Uint32, 11 B keys: \d+\.\d\d× (faster than|the speed of) node:crypto hash\('md5'\) \(one-shot\)$/);
    expect(lines[1]).toMatch(/^slot +keySlot, 11 B keys: \d+\.\d\d× (faster than|the speed of) cluster-key-slot$/);
    expect(lines[2]).toBe('');
    expect(lines[3]).toMatch(/^\| suite +\| group +\| task/);
    // The headline's ratio is the table's for the same row.
    const rows = tableRows(r.stdout);
    const ratioOf = (suite: string, group: string, task: string) => rows.find((c) => c[0] === suite && c[1].replace(' ⚠', '') === group && c[2] === task)?.[7];
    expect(lines[0]).toContain(`: ${ratioOf('hash', 'md5Uint32 11 B', 'ringcache md5Uint32')} `);
    expect(lines[1]).toContain(`: ${ratioOf('slot', 'keySlot 11 B', 'ringcache keySlot')} `);
    expect(new Set(rows.map((c) => c[0]))).toEqual(new Set(['hash', 'slot']));
    // --quick: 1 round of 30 ms on 200 keys, said on stderr.
    expect(r.stderr).toMatch(/200 keys, 30 ms per task, 1 round \(--quick/);
  });

  it('--json -: stdout is the JSON alone, the headline goes to stderr', () => {
    const r = run(['--quick', '--suite', 'slot', '--time', '10', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { suite: string }[];
    expect(rows.every((x) => x.suite === 'slot')).toBe(true);
    expect(r.stderr).toMatch(/^slot +keySlot, 11 B keys: \d+\.\d\d× /m);
  });

  it('without redis-server on PATH: a default run names the skipped suites and why, runs hash/slot/ring, exits 0', () => {
    const r = run(['--quick', '--time', '20', '--rounds', '1', '--keys', '100'], withoutRedis());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`bench: store, cluster, cache, http skipped: ${NO_REDIS} --redis URL / --cluster HOST:PORT\n`);
    expect(r.stderr).toMatch(/suites: hash, slot, ring;/);
    const headline = r.stdout.split('\n\n')[0].split('\n');
    expect(headline.map((l) => l.split(' ')[0])).toEqual(['hash', 'slot', 'ring']);
    expect(headline[2]).toMatch(/^ring +HashRing\.get, 10 servers, 11 B keys: \d+\.\d\d× (faster than|the speed of) hashring get$/);
    expect(new Set(tableRows(r.stdout).map((c) => c[0]))).toEqual(new Set(['hash', 'slot', 'ring']));
  });

  it('--suite store without redis-server on PATH: exit 1 with the reason, nothing measured', () => {
    const r = run(['--suite', 'store', '--time', '5', '--rounds', '1'], withoutRedis());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`bench: store skipped: ${NO_REDIS} --redis URL\n`);
    expect(r.stderr).toMatch(/suites: none;/);
    expect(r.stdout).toBe('');
  });

  it('a redis-server that does not start: the suites asked for are skipped with the reason, exit 1', () => {
    const fake = join(work, 'fake-bin');
    mkdirSync(fake);
    symlinkSync(process.execPath, join(fake, 'node'));
    writeFileSync(join(fake, 'redis-server'), '#!/bin/sh\nexit 1\n');
    chmodSync(join(fake, 'redis-server'), 0o755);
    const r = run(['--suite', 'store', '--suite', 'http', '--time', '5', '--rounds', '1'], { ...withoutRedis(), PATH: fake });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bench: store skipped: could not start 4 redis-servers \(redis-server on port \d+ exited during startup.*\); pass --redis redis:\/\/HOST:PORT$/m);
    expect(r.stderr).toMatch(/^bench: http skipped: could not start a redis-server \(.*\); pass --redis redis:\/\/HOST:PORT$/m);
    expect(r.stdout).toBe('');
  });

  it('with redis-server on PATH, the Redis suites start their own servers: store and cache run', () => {
    const r = run(['--quick', '--suite', 'store', '--suite', 'cache', '--time', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/suites: store, cache; .*; store, cache start their own servers on free loopback ports/);
    expect(r.stderr).not.toMatch(/skipped/);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^store +RingStore\.get over 4 nodes, 100 in flight: \d+\.\d\d× (faster than|the speed of) ioredis get \(enableAutoPipelining\)$/);
    expect(lines[1]).toMatch(/^cache +TieredCache\.get, L1 hit: \d+\.\d\d× (faster than|the speed of) bentocache get \(memory, serialize: false\)$/);
    expect(lines[2]).toBe('');
    const rows = tableRows(r.stdout);
    expect(rows.some((c) => c[0] === 'store' && c[1] === 'GET, 100 in flight' && c[2] === 'RingStore get (4 nodes)')).toBe(true);
    expect(rows.some((c) => c[0] === 'cache' && c[1].startsWith('L2 hit, 64 in flight'))).toBe(true);
  });
});
