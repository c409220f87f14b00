/**
 * The tree's one-way data flow (key → engine → ring / slots → stores → cache → http): a module
 * may import only from its own layer or the layers before it. Read from the sources' import
 * lines, so a move that breaks the architecture fails here.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', '..', 'src');
/** Each layer, and the layers it may import from (besides itself and the shared root files). */
const ALLOWED: Record<string, readonly string[]> = {
  engine: [],
  ring: ['engine'],
  cluster: ['engine'],
  compat: ['engine', 'cluster'],
  stores: ['engine', 'ring', 'cluster'],
  cache: ['engine', 'ring', 'cluster', 'stores'],
  http: ['engine', 'ring', 'cluster', 'stores', 'cache'],
  cli: ['engine', 'ring', 'cluster', 'stores', 'cache', 'compat'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The layer of a file under src/ ('' for the shared root files: errors, validate, index…). */
const layerOf = (file: string): string => {
  const parts = relative(SRC, file).split(/[\\/]/);
  return parts.length > 1 ? parts[0] : '';
};

describe('layering', () => {
  it('every import under src/ goes to its own layer, an earlier one, or a shared root file', () => {
    const bad: string[] = [];
    const all = files(SRC);
    expect(all.length).toBeGreaterThan(40);
    for (const f of all) {
      const from = layerOf(f);
      if (from === '' || !(from in ALLOWED)) continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
        const to = layerOf(resolve(dirname(f), m[1]));
        if (to !== '' && to !== from && !ALLOWED[from].includes(to)) bad.push(`${relative(SRC, f)} imports ${m[1]} (${from} → ${to})`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('outside src/engine, the engine is reached only through its seam (src/engine/index.ts, and its types)', () => {
    const bad: string[] = [];
    for (const f of files(SRC)) {
      if (layerOf(f) === 'engine') continue;
      for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/gm)) {
        const target = relative(SRC, resolve(dirname(f), m[1])).split(/[\\/]/);
        if (target[0] === 'engine' && target.length > 1 && !['index', 'types'].includes(target[1])) bad.push(`${relative(SRC, f)} imports ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the root files below the layers (errors, validate) import no layer but the engine', () => {
    for (const name of ['errors.ts', 'validate.ts']) {
      const text = readFileSync(join(SRC, name), 'utf8');
      for (const m of text.matchAll(/from\s+['"](\.[^'"]+)['"]/g)) expect(m[1]).toMatch(/^\.\/(engine|errors|validate)\b/);
    }
  });
});
