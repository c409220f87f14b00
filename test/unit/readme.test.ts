/**
 * The README's examples run (see test/helpers/readme-blocks.ts). Blocks fenced ```js server
 * need Redis servers: test/integration/readme-servers.test.ts runs those.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ringcache from '../../src';
import clusterKeySlot from '../../src/compat/cluster-key-slot';
import HashRing from '../../src/hashring';
import { codeBlocks, runBlock } from '../helpers/readme-blocks';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const modules = { ringcache, 'ringcache/cluster-key-slot': clusterKeySlot, 'ringcache/hashring': HashRing };

describe('README examples', () => {
  const blocks = codeBlocks(readme, 'js');

  it('has runnable examples', () => {
    expect(blocks.length).toBeGreaterThan(2);
  });

  it('checks values in them', async () => {
    let checked = 0;
    for (const block of blocks) checked += await runBlock(block, modules);
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('checks approximate claims (≈) with a tolerance, and refuses ones it cannot parse', async () => {
    const approx = blocks.flatMap((b) => b.code.split('\n').filter((l) => /\/\/\s*≈/.test(l)));
    expect(approx.length).toBeGreaterThanOrEqual(2); // the movement fractions
    const run = (code: string) => runBlock({ line: 1, code }, modules);
    expect(await run('0.0909 + 0.009; // ≈ 1/11 moved')).toBe(1); // within 10 %
    await expect(run('0.0909 + 0.01; // ≈ 1/11 moved')).rejects.toThrow(/claimed ≈/);
    await expect(run('0.5; // ≈ 0.4 ± 0.05')).rejects.toThrow(/claimed ≈ 0.4 ± 0.05/);
    expect(await run('0.44; // ≈ 0.4 ± 0.05')).toBe(1);
    await expect(run('0.5; // ≈ about half')).rejects.toThrow(/does not parse/);
  });

  for (const block of blocks) {
    it(`block at README.md:${block.line} runs and its values hold`, async () => {
      await runBlock(block, modules);
    });
  }
});
