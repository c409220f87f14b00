/**
 * The README's examples run: every ```js block is executed with `require('ringcache…')` bound
 * to the sources under test, and each line of the form `expr; // value …` asserts that `expr`
 * equals `value` (a number, string, boolean, array, or `Uint16Array [..]`). Blocks fenced as
 * ```js server need a Redis and are run by integration tests instead.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ringcache from '../../src';
import clusterKeySlot from '../../src/compat/cluster-key-slot';
import HashRing from '../../src/hashring';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');

interface Block {
  line: number;
  code: string;
}

function jsBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const re = /^```js\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ line: text.slice(0, m.index).split('\n').length + 1, code: m[1] });
  }
  return blocks;
}

const modules: Record<string, unknown> = {
  ringcache,
  'ringcache/cluster-key-slot': clusterKeySlot,
  'ringcache/hashring': HashRing,
};

function fakeRequire(name: string): unknown {
  if (!(name in modules)) throw new Error(`README example requires unknown module '${name}'`);
  return modules[name];
}

/** The expected value written after `//`, or undefined when the comment is prose. */
function expected(comment: string): { value: unknown } | undefined {
  const c = comment.trim();
  let m = /^Uint16Array \[([\d, ]*)\]/.exec(c);
  if (m) return { value: m[1].split(',').filter((s) => s.trim() !== '').map(Number) };
  m = /^(-?\d+(?:\.\d+)?|'[^']*'|true|false|null|\[[^\]]*\])(?=[:\s,]|$)/.exec(c);
  if (!m) return undefined;
  return { value: JSON.parse(m[1].replace(/'/g, '"')) };
}

describe('README examples', () => {
  const blocks = jsBlocks(readme);

  it('has runnable examples', () => {
    expect(blocks.length).toBeGreaterThan(2);
  });

  for (const block of blocks) {
    it(`block at README.md:${block.line} runs and its values hold`, async () => {
      const checks: { line: number; expr: string; value: unknown }[] = [];
      const lines = block.code.split('\n').map((src, i) => {
        if (/^\s*import .* from /.test(src)) return ''; // the ESM spelling of the require above it
        const m = /^(\s*)(?:const|let|var)?\s*(.*?);\s*\/\/\s*(.*)$/.exec(src);
        if (!m || /^(const|let|var)\s/.test(src.trim())) return src;
        const exp = expected(m[3]);
        if (!exp) return src;
        checks.push({ line: block.line + i, expr: m[2], value: exp.value });
        return `${m[1]}__check(${checks.length - 1}, (${m[2]}));`;
      });
      const results: unknown[] = [];
      const body = `return (async () => {\n${lines.join('\n')}\n})();`;
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      const fn = new Function('require', '__check', body) as (r: unknown, c: unknown) => Promise<void>;
      await fn(fakeRequire, (i: number, v: unknown) => {
        results[i] = v;
      });
      for (let i = 0; i < checks.length; i++) {
        const got = results[i];
        const norm = ArrayBuffer.isView(got) ? Array.from(got as Uint16Array) : got;
        expect(norm, `README.md:${checks[i].line}: ${checks[i].expr}`).toEqual(checks[i].value);
      }
    });
  }
});
