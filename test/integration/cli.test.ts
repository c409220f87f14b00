/**
 * The `ringcache` command, run as a subprocess from a fresh compile of the sources (so the test
 * can't pass on a stale dist/). Runs in the hybrid project (vitest.config.mts DEFAULT_ONLY); the child inherits RINGCACHE_BACKEND.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src';
import { HashRing } from '../../src/ring/hash-ring';
import { compileCli, runCli, type CliRun as Run } from '../helpers/compiled-cli';

let work = '';
let cli = '';

const run = (args: string[], input?: string): Run => runCli(cli, work, args, { input });

function expectUsageError(r: Run, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace for user errors
}

beforeAll(() => {
  ({ work, cli } = compileCli('ringcache-cli-'));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('ringcache CLI', () => {
  it('prints help for every command and exits 0; no command is a usage error', () => {
    for (const cmd of ['bench', 'locate', 'slot', 'distribution', 'movement']) {
      const r = run([cmd, '--help']);
      expect(r.code, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`^Usage: ringcache ${cmd}`));
    }
    const top = run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Commands:');
    expect(run([]).code).toBe(2);
    expectUsageError(run(['frobnicate']), /unknown command 'frobnicate'/);
    expectUsageError(run(['slot', '--bogus', 'x']), /Unknown option '--bogus'/);
  });

  it('slot: Redis-exact slots, the tag used, byte length; JSON; keys from stdin', () => {
    const keys = ['user:{1001}:profile', 'foo{}{bar}', 'é{x}', 'plain'];
    const r = run(['slot', '--json', ...keys]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      { key: keys[0], slot: keySlot(keys[0]), tag: '1001', bytes: 19 },
      { key: keys[1], slot: 8363, tag: null, bytes: 10 },
      { key: keys[2], slot: keySlot('x'), tag: 'x', bytes: 5 },
      { key: keys[3], slot: keySlot('plain'), tag: null, bytes: 5 },
    ]);
    const text = run(['slot', 'foo{}{bar}']);
    expect(text.stdout).toMatch(/foo\{\}\{bar\}\s+8363\s+10\s+\(whole key\)/);
    const stdin = run(['slot', '--json', '-'], 'a\nb\r\nc\n');
    expect(JSON.parse(stdin.stdout).map((x: { slot: number }) => x.slot)).toEqual(['a', 'b', 'c'].map((k) => keySlot(k)));
    expectUsageError(run(['slot']), /at least one KEY/);
  });

  it('locate: the node the ring (and the real hashring package) picks', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Reference = require('hashring');
    const nodes = ['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379'];
    const ref = new Reference({ [nodes[0]]: 1, [nodes[1]]: 2, [nodes[2]]: 1 });
    const keys = Array.from({ length: 200 }, (_, i) => `user:${i}`);
    const r = run(['locate', '--json', '--nodes', nodes.join(','), '--weights', '1,2,1', ...keys]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { key: string; node: string }[];
    expect(rows.map((x) => x.node)).toEqual(keys.map((k) => ref.get(k)));

    for (const mode of ['libmemcached', 'twemproxy', 'libketama', 'hash_ring', 'murmur3'] as const) {
      const m = run(['locate', '--json', '--mode', mode, '--nodes', nodes.join(','), ...keys]);
      expect(m.code, mode).toBe(0);
      const ring =
        mode === 'murmur3'
          ? new HashRing(nodes, 'murmur3')
          : new HashRing(nodes, 'md5', { compatibility: mode });
      expect((JSON.parse(m.stdout) as { node: string }[]).map((x) => x.node), mode).toEqual(keys.map((k) => ring.get(k)));
    }
    expectUsageError(run(['locate', '--nodes', 'a,b', '--mode', 'crc', 'k']), /unknown --mode 'crc'/);
    expectUsageError(run(['locate', '--nodes', '', 'k']), /--nodes needs/);
    expectUsageError(run(['locate', '--nodes', 'a,,b', 'k']), /empty node name/);
    expectUsageError(run(['locate', '--nodes', 'a,a', 'k']), /listed twice/);
    expectUsageError(run(['locate', '--nodes', 'a,b', '--weights', '1', 'k']), /1 values for 2 nodes/);
    expectUsageError(run(['locate', '--nodes', 'a,b', '--weights', '1,-2', 'k']), /'-2' is not a positive integer/);
  });

  it('distribution: shares against weight shares, CV, the ±20 % alert', () => {
    const r = run(['distribution', '--json', '--nodes', 'a,b,c,d', '--weights', '1,1,1,3', '--keys', '30000']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout);
    expect(rep.keys).toBe(30000);
    expect(rep.servers.map((s: { server: string }) => s.server)).toEqual(['a', 'b', 'c', 'd']);
    expect(rep.servers.reduce((n: number, s: { count: number }) => n + s.count, 0)).toBe(30000);
    expect(rep.servers[3].weightShare).toBeCloseTo(0.5, 10);
    expect(rep.cv).toBeGreaterThan(0);
    expect(rep.cv).toBeLessThan(0.2);
    const text = run(['distribution', '--nodes', 'a,b,c', '--keys', '5000']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/coefficient of variation/);
    expect(text.stdout).toMatch(/█/);
    expectUsageError(run(['distribution', '--nodes', 'a,b', '--keys', 'many']), /--keys must be an integer/);
  });

  it('movement: 10 → 11 nodes moves ~1/11 on the ring, ~10/11 with modulo, only onto the new node', () => {
    const from = Array.from({ length: 10 }, (_, i) => `n${i}`);
    const to = [...from, 'n10'];
    const r = run(['movement', '--json', '--from', from.join(','), '--to', to.join(','), '--keys', '50000']);
    expect(r.code).toBe(0);
    const { consistent, modulo } = JSON.parse(r.stdout);
    expect(Math.abs(consistent.fraction - 1 / 11)).toBeLessThan(0.02);
    expect(Math.abs(modulo.fraction - 10 / 11)).toBeLessThan(0.02);
    expect(consistent.gained).toEqual([{ server: 'n10', count: consistent.moved }]);
    const text = run(['movement', '--from', 'a,b', '--to', 'a,b,c', '--keys', '1000']);
    expect(text.stdout).toMatch(/consistent \(hashring\):.*moved/);
    expect(text.stdout).toMatch(/modulo \(md5 % n\):.*moved/);
  });

  it('bench: runs a suite, prints a table, writes JSON; Redis suites say how to enable them', () => {
    const r = run(['bench', '--suite', 'slot', '--keys', '64', '--time', '20', '--rounds', '2', '--json', '-']);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { suite: string; group: string; name: string; nsPerOp: number; ratio: number }[];
    expect(rows.length).toBeGreaterThan(4);
    expect(new Set(rows.map((x) => x.suite))).toEqual(new Set(['slot']));
    expect(rows.some((x) => x.name === 'cluster-key-slot')).toBe(true);
    expect(rows.every((x) => x.nsPerOp > 0 && Number.isFinite(x.ratio))).toBe(true);
    // Medians over 2 rounds, each with its min–max.
    expect(rows.every((x) => (x as unknown as { rounds: number }).rounds === 2)).toBe(true);
    expect(r.stderr).toMatch(/slot: keySlot 11 B/); // progress on stderr

    const table = run(['bench', '--suite', 'hash', '--keys', '32', '--time', '10', '--rounds', '1']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/\| suite +\| group/);
    expect(table.stdout).toMatch(/node:crypto hash\('md5'\) \(one-shot\) .*baseline/);

    // A Redis suite whose server can't be reached fails (exit 1) and says how to point it at one.
    const store = run(['bench', '--suite', 'store', '--redis', 'redis://127.0.0.1:1', '--keys', '8', '--time', '5']);
    expect(store.code).toBe(1);
    expect(store.stderr).toMatch(/store suite failed/);
    expect(store.stderr).toMatch(/pass --redis redis:\/\/HOST:PORT/);
    expectUsageError(run(['bench', '--suite', 'nope']), /unknown suite 'nope'/);
    expectUsageError(run(['bench', '--keys', '0']), /--keys must be a positive integer/);
    expectUsageError(run(['bench', '--rounds', '0']), /--rounds must be a positive integer/);
  });
});
