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

  for (const block of blocks) {
    it(`block at README.md:${block.line} runs and its values hold`, async () => {
      await runBlock(block, modules);
    });
  }
});
