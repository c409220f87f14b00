/**
 * The `ringcache` command at its edges (issue 20): big stdin, a node named `__proto__`, a
 * stdout closed early, a bad environment, an unwritable `--json` file, `bench --keys` bounded.
 * Subprocess tests of a fresh compile of the sources into a temp dir (never into the repo),
 * linked to the checkout's node_modules and native build. Runs in both projects: the child
 * inherits RINGCACHE_BACKEND.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src';
import { HashRing } from '../../src/ring/hash-ring';
import { compileCli, runCli, type CliRun as Run } from '../helpers/compiled-cli';

let work = '';
let cli = '';

const run = (args: string[], input?: string, env?: NodeJS.ProcessEnv): Run => runCli(cli, work, args, { input, env });

function expectNoStack(r: Run) {
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  ({ work, cli } = compileCli('ringcache-cli-'));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const NODES = ['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379'];
const BIG = Array.from({ length: 200_000 }, (_, i) => `user:${i}:${'x'.repeat(i % 90)}`);

describe('large stdin streams through (item 3)', () => {
  it('locate - with 200k keys: every line, the ring answer, exit 0', () => {
    const r = run(['locate', '--nodes', NODES.join(','), '-'], `${BIG.join('\n')}\n`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(BIG.length);
    const ring = new HashRing(NODES);
    for (const i of [0, 1, 777, 123_456, BIG.length - 1]) {
      expect(lines[i].startsWith(BIG[i].slice(0, 60))).toBe(true);
      expect(lines[i].endsWith(`  ${ring.get(BIG[i])}`)).toBe(true);
    }
    // Columns as before: keys padded to the longest key, at most 60 characters.
    expect(lines[0]).toBe(`${BIG[0].padEnd(60)}  ${ring.get(BIG[0])}`);
  });

  it('locate --json - and slot - with 200k keys', () => {
    const json = run(['locate', '--json', '--nodes', NODES.join(','), '-'], BIG.join('\n'));
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as { key: string; node: string }[];
    expect(rows).toHaveLength(BIG.length);
    const ring = new HashRing(NODES);
    expect(rows.map((x) => x.node)).toEqual(ring.getMany(BIG));
    expect(rows[5].key).toBe(BIG[5]);

    const slots = run(['slot', '-'], BIG.join('\n'));
    expect(slots.stderr).toBe('');
    expect(slots.code).toBe(0);
    const lines = slots.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(BIG.length + 1); // header
    expect(lines[1 + 4321]).toMatch(new RegExp(`\\s${keySlot(BIG[4321])}\\s`));
    const slotJson = run(['slot', '--json', '-'], BIG.join('\n'));
    expect((JSON.parse(slotJson.stdout) as { slot: number }[]).map((x) => x.slot)).toEqual(BIG.map((k) => keySlot(k)));
  });

  it('small outputs keep their exact format (JSON as JSON.stringify(…, null, 2))', () => {
    const keys = ['a', 'b{x}'];
    const r = run(['locate', '--json', '--nodes', NODES.join(','), ...keys]);
    const ring = new HashRing(NODES);
    expect(r.stdout).toBe(`${JSON.stringify(keys.map((key) => ({ key, node: ring.get(key) })), null, 2)}\n`);
    const s = run(['slot', '--json', ...keys]);
    expect(s.stdout).toBe(
      `${JSON.stringify([{ key: 'a', slot: keySlot('a'), tag: null, bytes: 1 }, { key: 'b{x}', slot: keySlot('x'), tag: 'x', bytes: 4 }], null, 2)}\n`,
    );
    expect(run(['locate', '--json', '--nodes', 'a', '-'], '').code).toBe(2);
  });
});

describe("a node named '__proto__' is a node (item 4)", () => {
  const nodes = ['__proto__', 'b:1', 'constructor'];
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  it('locate, every mode', () => {
    for (const mode of ['hashring', 'hash_ring', 'libmemcached', 'twemproxy', 'libketama', 'murmur3'] as const) {
      const r = run(['locate', '--json', '--mode', mode, '--nodes', nodes.join(','), '--weights', '2,1,1', ...keys]);
      expect(r.code, r.stderr).toBe(0);
      // fromEntries defines own properties: '__proto__' is a key here, not the prototype.
      const spec = Object.fromEntries([
        ['__proto__', 2],
        ['b:1', 1],
        ['constructor', 1],
      ]) as Record<string, number>;
      const ring =
        mode === 'murmur3'
          ? new HashRing(spec, 'murmur3')
          : new HashRing(spec, 'md5', mode === 'hashring' ? {} : { compatibility: mode });
      const got = (JSON.parse(r.stdout) as { node: string }[]).map((x) => x.node);
      expect(got, mode).toEqual(keys.map((k) => ring.get(k)));
      expect(got, mode).toContain('__proto__');
    }
  });
  it('distribution and movement list it', () => {
    const d = run(['distribution', '--json', '--nodes', nodes.join(','), '--keys', '3000']);
    const report = JSON.parse(d.stdout) as { servers: { server: string; count: number }[] };
    expect(report.servers.map((s) => s.server)).toEqual(nodes);
    expect(report.servers.every((s) => s.count > 0)).toBe(true);
    const m = run(['movement', '--json', '--from', 'b:1,constructor', '--to', nodes.join(','), '--keys', '3000']);
    const { consistent } = JSON.parse(m.stdout) as { consistent: { moved: number; gained: { server: string; count: number }[] } };
    expect(consistent.moved).toBeGreaterThan(0);
    expect(consistent.gained).toEqual([{ server: '__proto__', count: consistent.moved }]);
  });
});

/** Runs the CLI, reads its stdout until the first line, then closes the pipe (as `| head -1` does). */
function closedEarly(args: string[], input: string): Promise<Run & { first: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: work, stdio: ['pipe', 'pipe', 'pipe'] });
    let first = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (first.includes('\n')) return;
      first += d;
      if (first.includes('\n')) child.stdout.destroy();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout: '', stderr, first: first.split('\n')[0] }));
    child.stdin.on('error', () => {}); // the child may exit before reading all of it
    child.stdin.end(input);
  });
}

describe('stdout closed early (item 7)', () => {
  const input = BIG.join('\n');
  for (const args of [['locate', '--nodes', NODES.join(','), '-'], ['locate', '--json', '--nodes', NODES.join(','), '-'], ['slot', '-']]) {
    it(`${args.join(' ')} | head -1: exits quietly`, async () => {
      const r = await closedEarly(args, input);
      expect(r.first.length).toBeGreaterThan(0);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    });
  }
});

describe('environment and output-file errors are user errors (item 8)', () => {
  const bad = { ...process.env, RINGCACHE_BACKEND: 'Native' };
  it('a bad RINGCACHE_BACKEND: --help still works; commands say what is wrong, without a stack', () => {
    const help = run(['--help'], undefined, bad);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Commands:');
    for (const cmd of ['locate', 'slot', 'distribution', 'movement', 'bench']) {
      const h = run([cmd, '--help'], undefined, bad);
      expect(h.code, cmd).toBe(0);
      expect(h.stdout, cmd).toMatch(new RegExp(`^Usage: ringcache ${cmd}`));
    }
    const r = run(['locate', '--nodes', 'a,b', 'k'], undefined, bad);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ringcache: Expected 'js' or 'native' for RINGCACHE_BACKEND but received 'Native'/);
    expectNoStack(r);
    const s = run(['slot', 'k'], undefined, bad);
    expect(s.code).toBe(2);
    expectNoStack(s);
  });

  it('bench --json into a missing directory fails before running anything', () => {
    const target = join(work, 'no', 'such', 'dir', 'x.json');
    const r = run(['bench', '--suite', 'slot', '--keys', '8', '--time', '1', '--json', target]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(target);
    expect(r.stderr).not.toMatch(/slot done/);
    expectNoStack(r);
    const dir = run(['bench', '--suite', 'slot', '--keys', '8', '--time', '1', '--json', work]);
    expect(dir.code).toBe(2);
    expect(dir.stderr).not.toMatch(/slot done/);
    // A writable path: the rows land in the file.
    const file = join(work, 'rows.json');
    const ok = run(['bench', '--suite', 'slot', '--keys', '8', '--time', '1', '--json', file]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(readFileSync(file, 'utf8')) as { suite: string }[]).every((x) => x.suite === 'slot')).toBe(true);
  });
});

describe('bench --keys is bounded (item 2)', () => {
  it('a key count beyond the cap is a usage error naming --keys, before anything runs', () => {
    const r = run(['bench', '--keys', '100000000', '--suite', 'slot', '--time', '1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--keys must be an integer in 1\.\.1000000/);
    expect(r.stderr).not.toMatch(/slot done/);
    expectNoStack(r);
  });
});
