// mulberry32: tiny, seedable, good enough to pick test inputs. One copy for every fixture
// script, so regenerated fixtures stay byte-identical (bench/ and test/helpers keep a TS twin).

/** A generator of floats in [0, 1), with `int(n)` (0..n-1) and `pick(items)`. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n);
  next.pick = (items) => items[Math.floor(next() * items.length)];
  return next;
}
