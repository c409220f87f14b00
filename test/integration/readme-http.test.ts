/**
 * The README's ```js http example (the HTTP tiers), run for real: Express, a TieredCache over a
 * redis-server started here (the README's port 6380 is replaced by its port), real requests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import * as ioredis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ringcache from '../../src';
import * as ringcacheHttp from '../../src/http';
import { codeBlocks, runBlock } from '../helpers/readme-blocks';
import { RedisServer } from '../helpers/redis-server';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const blocks = codeBlocks(readme, 'js http');

describe('README HTTP example', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('exists', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(1);
  });

  for (const block of blocks) {
    it(`block at README.md:${block.line} runs and its values hold`, async () => {
      const code = block.code.replace(/port: 6380\b/g, `port: ${redis.port}`);
      expect(await runBlock(block, { ringcache, 'ringcache/http': ringcacheHttp, ioredis, express }, code)).toBeGreaterThanOrEqual(8);
    });
  }
});
