/**
 * A real tie for the fixtures: two server names `tie<i>` whose 40 MD5 digests (160 points each,
 * as any ketama gives two equal servers) share a point value, and keys that land exactly on
 * that shared point (md5Uint32 in the arc that ends there). Whoever such a key goes to shows
 * the implementation's tie rule. Deterministic: the first colliding pair in `tie0, tie1, …`.
 */
import { createHash } from 'node:crypto';

const words = (s) => {
  const d = createHash('md5').update(s).digest();
  return [0, 4, 8, 12].map((o) => d.readUInt32LE(o));
};
const keyHash = (s) => createHash('md5').update(s).digest().readUInt32LE(0);
const points = (name) => Array.from({ length: 40 }, (_, i) => words(`${name}-${i}`)).flat();

/** twemproxy's server order (nc_conf.c conf_server_name_cmp → string_compare): length, then bytes. */
export function twemproxyNameCompare(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length - y.length || Buffer.compare(x, y);
}

/** @returns {{ names: [string, string], value: number, keys: string[] }} */
export function findTie(keyCount = 12) {
  const owner = new Map();
  for (let i = 0; ; i++) {
    const name = `tie${i}`;
    for (const v of points(name)) {
      const other = owner.get(v);
      if (other !== undefined && other !== name) {
        const keys = keysOnPoint([other, name], v, keyCount);
        if (keys) return { names: [other, name], value: v, keys };
      }
      owner.set(v, name);
    }
  }
}

function keysOnPoint(names, value, count) {
  const all = [...points(names[0]), ...points(names[1])].sort((a, b) => a - b);
  const below = all.filter((p) => p < value);
  const prev = below.length ? below[below.length - 1] : all[all.length - 1]; // wraps
  const inArc = (h) => (prev < value ? h > prev && h <= value : h > prev || h <= value);
  const keys = [];
  for (let j = 0; j < 5_000_000 && keys.length < count; j++) {
    const key = `tiekey:${value.toString(16)}:${j}`;
    if (inArc(keyHash(key))) keys.push(key);
  }
  return keys.length === count ? keys : undefined;
}
