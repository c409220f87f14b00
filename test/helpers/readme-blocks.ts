/**
 * Runs the README's JavaScript examples: every block fenced as ```js (or ```js server) is
 * executed with `require('ringcache…')` bound to the sources under test, and each line of the
 * form `expr; // value …` asserts that `expr` (awaited) equals `value` (a number, string,
 * boolean, null, array, or `Uint16Array [..]`).
 *
 * Approximate claims, `expr; // ≈ value …` with `value` a number or a fraction `a/b`, assert that
 * `expr` is within {@link APPROX_TOLERANCE} of `value` (relative), or within an explicit
 * `≈ value ± t` (absolute). A comment starting with `≈` that does not parse is an error, so an
 * approximate claim is never left unchecked.
 */
import { expect } from 'vitest';

export interface Block {
  /** 1-based line of the block's first code line in README.md. */
  line: number;
  code: string;
}

/** The blocks fenced exactly as ```` ```{info} ````. */
export function codeBlocks(text: string, info: string): Block[] {
  const blocks: Block[] = [];
  const re = new RegExp('^```' + info.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '\\n([\\s\\S]*?)^```$', 'gm');
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ line: text.slice(0, m.index).split('\n').length + 1, code: m[1] });
  }
  return blocks;
}

/** How far from the stated value `≈ value` may be, relative to it (without an explicit `± t`). */
export const APPROX_TOLERANCE = 0.1;

/** An approximate claim `≈ a/b` or `≈ n`, optionally `± t`; throws when it does not parse. */
function approximate(c: string): { value: number; tolerance: number } {
  const m = /^≈\s*(-?\d+(?:\.\d+)?)(?:\s*\/\s*(\d+(?:\.\d+)?))?(?:\s*±\s*(\d+(?:\.\d+)?))?(?=[:\s,]|$)/.exec(c);
  if (!m) throw new Error(`README approximate claim does not parse: '// ${c}'`);
  const value = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
  return { value, tolerance: m[3] === undefined ? Math.abs(value) * APPROX_TOLERANCE : Number(m[3]) };
}

/** The expected value written after `//`, or undefined when the comment is prose. */
function expected(comment: string): { value: unknown; tolerance?: number } | undefined {
  const c = comment.trim();
  if (c.startsWith('≈')) return approximate(c);
  let m = /^Uint16Array \[([\d, ]*)\]/.exec(c);
  if (m) return { value: m[1].split(',').filter((s) => s.trim() !== '').map(Number) };
  m = /^(-?\d+(?:\.\d+)?|'[^']*'|true|false|null|\[(?:'[^']*'|[^\]'])*\])(?=[:\s,]|$)/.exec(c);
  if (!m) return undefined;
  // Our own README's literal (a number, string, boolean, null or array of those).
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return { value: new Function(`return (${m[1]});`)() as unknown };
}

/**
 * Runs `block` (as an async function body, so `await` works) with `require` resolving the
 * names in `modules`, and checks its `// value` lines. Returns how many values were checked.
 */
export async function runBlock(block: Block, modules: Record<string, unknown>, code = block.code): Promise<number> {
  const checks: { line: number; expr: string; value: unknown; tolerance?: number }[] = [];
  const lines = code.split('\n').map((src, i) => {
    if (/^\s*import .* from /.test(src)) return ''; // the ESM spelling of the require above it
    const m = /^(\s*)(.*?);\s*\/\/\s*(.*)$/.exec(src);
    if (!m || /^(const|let|var)\s/.test(src.trim())) return src;
    const exp = expected(m[3]);
    if (!exp) return src;
    checks.push({ line: block.line + i, expr: m[2], value: exp.value, tolerance: exp.tolerance });
    return `${m[1]}__check(${checks.length - 1}, await (${m[2]}));`;
  });
  const results: unknown[] = [];
  const fakeRequire = (name: string): unknown => {
    if (!(name in modules)) throw new Error(`README example requires unknown module '${name}'`);
    return modules[name];
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function('require', '__check', `return (async () => {\n${lines.join('\n')}\n})();`) as (
    r: unknown,
    c: unknown,
  ) => Promise<void>;
  await fn(fakeRequire, (i: number, v: unknown) => {
    results[i] = v;
  });
  for (let i = 0; i < checks.length; i++) {
    const got = results[i];
    const norm = ArrayBuffer.isView(got) ? Array.from(got as Uint16Array) : got;
    const { line, expr, value, tolerance } = checks[i];
    if (tolerance === undefined) expect(norm, `README.md:${line}: ${expr}`).toEqual(value);
    else {
      expect(typeof norm, `README.md:${line}: ${expr}`).toBe('number');
      expect(Math.abs((norm as number) - (value as number)), `README.md:${line}: ${expr} = ${String(norm)}, claimed ≈ ${String(value)} ± ${tolerance}`).toBeLessThanOrEqual(tolerance);
    }
  }
  return checks.length;
}
