/**
 * TieredCache's events are typed by one map (TieredCacheEvents): a listener's payload is the
 * event's, a property the event does not carry is a compile error, and a listener written
 * against the old `Record<string, unknown>` signature still compiles. The runtime payloads
 * carry what the map says.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { TieredCache, type TieredCacheEvents } from '../../src/index';
import { virtualProgram } from '../helpers/virtual-program';

const root = join(__dirname, '..', '..');

/** Type-checks each snippet as its own TypeScript file in test/unit (virtual: nothing is written), in one program. */
function typeErrors(snippets: readonly string[]): string[][] {
  const files = new Map<string, string>();
  snippets.forEach((code, i) => files.set(join(root, 'test', 'unit', `.events-virtual-${i}.ts`), `import { TieredCache } from '../../src/index';\nconst cache = new TieredCache();\n${code}\nexport {};\n`));
  const options: ts.CompilerOptions = {
    noEmit: true,
    strict: true,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    types: ['node'],
    skipLibCheck: true,
  };
  const program = virtualProgram(files, options, ts.ScriptKind.TS);
  return [...files.keys()].map((f) => ts.getPreEmitDiagnostics(program, program.getSourceFile(f)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')));
}

describe('TieredCache events', () => {
  it('types each payload by its event; a wrong property or event name does not compile', () => {
    const good = [
      "cache.on('bus:gap', ({ cache: name, publisher, expected, got }) => console.log(name.length, publisher.length, expected + got));",
      "cache.on('l2:error', ({ key, error }) => console.log(key.length, error));",
      "cache.once('circuit:change', ({ state }) => { const s: 'closed' | 'open' | 'half-open' = state; console.log(s); });",
      "cache.on('bus:restored', ({ first }) => { const b: boolean = first; console.log(b); });",
      "cache.on('bus:lost', ({ reason }) => console.log(reason.length));",
      "cache.on('bus:error', ({ error }) => console.log(error.message));",
      "cache.on('stale:served', ({ key }) => console.log(key.length));",
      "const old = (payload: Record<string, unknown>): void => console.log(payload); cache.on('loader:error', old).off('loader:error', old);",
    ].join('\n');
    const [ok, wrongKey, wrongError, wrongEvent] = typeErrors([
      good,
      "cache.on('bus:gap', ({ key }) => console.log(key));",
      "cache.on('stale:served', ({ error }) => console.log(error));",
      "cache.on('bus:gone', () => {});",
    ]);
    expect(ok).toEqual([]);
    expect(wrongKey.join('\n')).toMatch(/'key'/);
    expect(wrongError.join('\n')).toMatch(/'error'/);
    expect(wrongEvent.join('\n')).toMatch(/bus:gone/);
  }, 120_000);

  it('emits the payloads the map declares', async () => {
    const cache = new TieredCache<number>({ l1: { maxEntries: 10 } });
    const errors: TieredCacheEvents['loader:error'][] = [];
    cache.on('loader:error', (p) => errors.push(p));
    const boom = new Error('boom');
    await expect(
      cache.getOrSet('k', () => {
        throw boom;
      }),
    ).rejects.toThrow(/boom/);
    expect(errors).toEqual([{ cache: 'default', key: 'k', error: boom }]);
    expect(cache.stats().loader).toMatchObject({ calls: 1, errors: 1 });
  });

  it('an L1-only cache never counts an L2 error, also right after clear()', async () => {
    // Before the split, clear() made the root marker "known", so the next load's L2 read took
    // the batched path and called the absent store: a TypeError counted as an L2 error.
    const cache = new TieredCache<number>({ l1: { maxEntries: 10 } });
    const seen: unknown[] = [];
    cache.on('l2:error', (p) => seen.push(p.error));
    await cache.clear();
    expect(await cache.getOrSet('a', () => 1)).toBe(1);
    expect(await cache.get('a')).toBe(1);
    expect(seen).toEqual([]);
    expect(cache.stats().l2).toEqual({ hits: 0, misses: 0, errors: 0, timeouts: 0, skipped: 0, writes: 0 });
    expect(cache.stats().loader.calls).toBe(1);
  });
});
