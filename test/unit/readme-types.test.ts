/**
 * The README's JavaScript examples are type-checked against the sources (`checkJs`): a listener
 * that destructures a property the event does not carry, a wrong option name or a call with the
 * wrong arguments fails here even when running the block never exercises that line (an event
 * that does not fire in the example, an error path). The blocks are checked where they would
 * live in the repo (virtual files, nothing is written), with `require('ringcache…')` mapped to
 * `src/`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks } from '../helpers/readme-blocks';
import { virtualProgram } from '../helpers/virtual-program';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Each block as a JS module: ESM spellings dropped (the require beside them stays), wrapped for `await`. */
function asModule(code: string): string {
  const body = code
    .split('\n')
    .map((l) => (/^\s*import .* from /.test(l) ? '' : l))
    .join('\n');
  return `// @ts-check\n(async () => {\n${body}\n})();\nexport {};\n`;
}

function check(blocks: { line: number; code: string }[]): string[] {
  const files = new Map<string, { line: number; text: string }>();
  blocks.forEach((b, i) => files.set(join(root, 'test', '.readme-virtual', `block-${i}.js`), { line: b.line, text: asModule(b.code) }));
  const options: ts.CompilerOptions = {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: false,
    noImplicitAny: false,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2022.d.ts'],
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    types: ['node'],
    skipLibCheck: true,
    baseUrl: root,
    paths: {
      ringcache: ['src/index.ts'],
      'ringcache/hashring': ['src/hashring.ts'],
      'ringcache/cluster-key-slot': ['src/compat/cluster-key-slot.ts'],
    },
  };
  const program = virtualProgram(new Map([...files].map(([f, v]) => [f, v.text])), options, ts.ScriptKind.JS);
  const out: string[] = [];
  for (const [name, v] of files) {
    for (const d of ts.getPreEmitDiagnostics(program, program.getSourceFile(name))) {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      // Cached values are `unknown` until a TypeScript caller names their type; plain JS reading
      // a property of one is fine. Everything else about the API must agree.
      if (/on type 'unknown'|is of type 'unknown'/.test(text)) continue;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      // Two lines of wrapper (`// @ts-check`, `(async () => {`) precede the block's first line.
      out.push(`README.md:${v.line + line - 2}: ${text}`);
    }
  }
  return out;
}

describe('README examples type-check', () => {
  it('every js block agrees with the types of the API it calls', () => {
    const blocks = [...codeBlocks(readme, 'js'), ...codeBlocks(readme, 'js server')];
    expect(blocks.length).toBeGreaterThan(4);
    expect(check(blocks)).toEqual([]);
  }, 120_000);

  it('catches a listener that reads a property its event does not carry (the check can fail)', () => {
    const lie = "const { RingStore } = require('ringcache');\nconst s = new RingStore(['127.0.0.1:6380']);\ns.on('ejected', ({ id }) => console.log(id));";
    const errors = check([{ line: 1, code: lie }]);
    expect(errors.join('\n')).toMatch(/README.md:3: .*'id'/);
  }, 120_000);
});
