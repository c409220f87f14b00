/**
 * Ring commands: `locate` (which node each key goes to), `distribution` (how evenly a ring
 * spreads keys, with the ±20 % alert) and `movement` (keys that move when the node set changes,
 * consistent ring against modulo).
 */
import type { ParseArgsConfig } from 'node:util';
import type { HashRing, HashRingOptions } from '../ring/hash-ring';
import { bar, columnWidth, emitJson, writeInChunks, writeJsonArray, type Io } from './io';
import { library } from './library';
import { UsageError } from './usage-error';

type Values = Record<string, string | boolean | string[] | undefined>;

export interface RingCommand {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run: (values: Values, positionals: string[], io: Io) => Promise<number>;
}

export const MODES = ['hashring', 'hash_ring', 'libmemcached', 'twemproxy', 'libketama', 'murmur3'] as const;
export type Mode = (typeof MODES)[number];

const MODE_HELP = `  --mode M        placement (default hashring):
                    hashring      the hashring npm package (md5, 160 points per server)
                    hash_ring     python's hash_ring (md5, 120 points per server)
                    libmemcached  libmemcached ketama_weighted (port 11211 named by host only)
                    twemproxy     twemproxy distribution: ketama, hash: md5
                    libketama     the original libketama
                    murmur3       hashring's layout with murmur3 (fast, no compatibility)`;

function list(value: unknown, name: string): string[] {
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} needs a comma-separated list, e.g. --${name} a:6379,b:6379`);
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`--${name}: empty node name in '${value}'`);
  const seen = new Set<string>();
  for (const s of items) {
    if (seen.has(s)) throw new UsageError(`--${name}: node '${s}' is listed twice`);
    seen.add(s);
  }
  return items;
}

function weightsFor(nodes: string[], value: unknown, name = 'weights'): number[] {
  if (value === undefined) return nodes.map(() => 1);
  const parts = String(value).split(',');
  if (parts.length !== nodes.length) {
    throw new UsageError(`--${name} has ${parts.length} values for ${nodes.length} nodes`);
  }
  return parts.map((p) => {
    const w = Number(p);
    if (!Number.isInteger(w) || w <= 0) throw new UsageError(`--${name}: '${p}' is not a positive integer weight`);
    return w;
  });
}

function modeOf(value: unknown): Mode {
  const m = value === undefined ? 'hashring' : String(value);
  if (!(MODES as readonly string[]).includes(m)) {
    throw new UsageError(`unknown --mode '${m}' (expected one of ${MODES.join(', ')})`);
  }
  return m as Mode;
}

function positiveInt(value: unknown, name: string, def: number, max = 10_000_000): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new UsageError(`--${name} must be an integer in 1..${max}, got '${String(value)}'`);
  return n;
}

/** A ring of `nodes` with `weights` placed as `mode` places keys. */
export function makeRing(mode: Mode, nodes: readonly string[], weights: readonly number[]): HashRing {
  const { HashRing, setOwn } = library();
  // Own properties only: a node named '__proto__' is a node, not the object's prototype.
  const servers: Record<string, number> = {};
  nodes.forEach((n, i) => setOwn(servers, n, weights[i]));
  const options: HashRingOptions = { 'max cache size': 0 };
  switch (mode) {
    case 'hashring':
      return new HashRing(servers, 'md5', options);
    case 'murmur3':
      return new HashRing(servers, 'murmur3', options);
    default:
      return new HashRing(servers, 'md5', { ...options, compatibility: mode });
  }
}

const pct = (f: number) => `${(f * 100).toFixed(1)}%`;

const locate: RingCommand = {
  help: `Usage: ringcache locate --nodes a,b,c [--weights 1,2,1] [--mode M] [--json] KEY... | -

Prints the node each key is placed on. With '-', reads keys from stdin, one per line.

Options:
  --nodes LIST    comma-separated nodes (host:port, or any name)
  --weights LIST  comma-separated positive integer weights, one per node (default: all 1)
${MODE_HELP}
  --json          print a JSON array of { key, node }
  -h, --help      this help

Example:
  ringcache locate --nodes 10.0.0.1:11211,10.0.0.2:11211 --mode libmemcached user:42 user:43`,
  options: { nodes: { type: 'string' }, weights: { type: 'string' }, mode: { type: 'string' }, json: { type: 'boolean' } },
  async run(values, positionals, io) {
    const nodes = list(values.nodes, 'nodes');
    const ring = makeRing(modeOf(values.mode), nodes, weightsFor(nodes, values.weights));
    let keys = positionals;
    if (keys.length === 1 && keys[0] === '-') {
      keys = (await io.readStdin()).split(/\r?\n/);
      if (keys.length && keys[keys.length - 1] === '') keys.pop();
    }
    if (keys.length === 0) throw new UsageError('locate: give at least one KEY, or - to read keys from stdin');
    // Placed and written chunk by chunk, into one reused array: output of any size streams.
    const placed: string[] = [];
    const place = (start: number, end: number) => ring.getMany(keys.slice(start, end), placed);
    if (values.json) {
      await writeJsonArray(io, keys.length, (start, end) => place(start, end).map((node, i) => ({ key: keys[start + i], node })));
      return 0;
    }
    const w = columnWidth(keys);
    await writeInChunks(io, keys.length, (start, end) => {
      let text = '';
      place(start, end).forEach((node, i) => (text += `${keys[start + i].padEnd(w)}  ${node}\n`));
      return text;
    });
    return 0;
  },
};

const distributionCommand: RingCommand = {
  help: `Usage: ringcache distribution --nodes a,b,c [--weights 1,2,1] [--mode M] [--keys N] [--json]

Places N generated keys and shows each node's share against its weight share, max/mean, the
coefficient of variation, and the nodes more than ±20 % away from their fair share.
Exit code 0 even when nodes are outside ±20 % (they are listed).

Options:
  --nodes LIST    comma-separated nodes
  --weights LIST  positive integer weights, one per node (default: all 1)
${MODE_HELP}
  --keys N        sample size (default 100000)
  --json          print the report as JSON
  -h, --help      this help`,
  options: {
    nodes: { type: 'string' },
    weights: { type: 'string' },
    mode: { type: 'string' },
    keys: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const nodes = list(values.nodes, 'nodes');
    const mode = modeOf(values.mode);
    const ring = makeRing(mode, nodes, weightsFor(nodes, values.weights));
    const report = ring.distribution(positiveInt(values.keys, 'keys', 100_000));
    if (values.json) {
      emitJson(io, { mode, ...report });
      return 0;
    }
    const maxShare = report.servers.reduce((m, s) => Math.max(m, s.share), 1e-9);
    const w = report.servers.reduce((m, s) => Math.max(m, s.server.length), 4);
    io.out(`${'node'.padEnd(w)}  ${'keys'.padStart(8)}  ${'share'.padStart(6)}  ${'fair'.padStart(6)}  ${'load'.padStart(5)}`);
    for (const s of report.servers) {
      const flag = report.outliers.includes(s.server) ? '  ⚠ outside ±20 %' : '';
      io.out(
        `${s.server.padEnd(w)}  ${String(s.count).padStart(8)}  ${pct(s.share).padStart(6)}  ${pct(s.weightShare).padStart(6)}  ${s.load.toFixed(2).padStart(5)}  ${bar(s.share / maxShare, 30)}${flag}`,
      );
    }
    io.out(
      `\n${report.keys} keys, mode ${mode}: max/mean ${report.maxOverMean.toFixed(3)}, coefficient of variation ${report.cv.toFixed(3)}, ` +
        (report.outliers.length ? `${report.outliers.length} node(s) outside ±20 %: ${report.outliers.join(', ')}` : 'every node within ±20 % of its fair share'),
    );
    return 0;
  },
};

const movementCommand: RingCommand = {
  help: `Usage: ringcache movement --from a,b,c --to a,b,c,d [--from-weights …] [--to-weights …]
                          [--mode M] [--keys N] [--json]

How many of N generated keys change node when the node set changes from --from to --to, on a
consistent-hash ring (mode M) and with modulo placement (hash % nodes), and where they went.

Options:
  --from LIST, --to LIST          the node sets before and after
  --from-weights, --to-weights    positive integer weights (default: all 1)
${MODE_HELP}
  --keys N        sample size (default 100000)
  --json          print both reports as JSON
  -h, --help      this help

Example (add an 11th node to 10):
  ringcache movement --from n0,n1,n2,n3,n4,n5,n6,n7,n8,n9 --to n0,n1,n2,n3,n4,n5,n6,n7,n8,n9,n10`,
  options: {
    from: { type: 'string' },
    to: { type: 'string' },
    'from-weights': { type: 'string' },
    'to-weights': { type: 'string' },
    mode: { type: 'string' },
    keys: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(values, _positionals, io) {
    const from = list(values.from, 'from');
    const to = list(values.to, 'to');
    const mode = modeOf(values.mode);
    const sample = positiveInt(values.keys, 'keys', 100_000);
    const { movement, ModuloRing } = library();
    const consistent = movement(
      makeRing(mode, from, weightsFor(from, values['from-weights'], 'from-weights')),
      makeRing(mode, to, weightsFor(to, values['to-weights'], 'to-weights')),
      sample,
    );
    const hash = mode === 'murmur3' ? 'murmur3' : 'md5';
    const modulo = movement(new ModuloRing(from, { algorithm: hash }), new ModuloRing(to, { algorithm: hash }), sample);
    if (values.json) {
      emitJson(io, { mode, consistent, modulo });
      return 0;
    }
    io.out(`${sample} keys, ${from.length} → ${to.length} nodes`);
    io.out(`  consistent (${mode}): ${pct(consistent.fraction).padStart(6)} moved (${consistent.moved})`);
    io.out(`  modulo (${hash} % n):  ${pct(modulo.fraction).padStart(6)} moved (${modulo.moved})`);
    if (consistent.flows.length) {
      io.out('\nwhere the consistent ring moved keys (from → to):');
      for (const f of consistent.flows.slice(0, 20)) {
        io.out(`  ${String(f.from ?? '(none)')} → ${String(f.to ?? '(none)')}: ${f.count}`);
      }
      if (consistent.flows.length > 20) io.out(`  … ${consistent.flows.length - 20} more`);
    }
    return 0;
  },
};

export const RING_COMMANDS: Record<string, RingCommand | undefined> = {
  locate,
  distribution: distributionCommand,
  movement: movementCommand,
};
