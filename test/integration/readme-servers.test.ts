/**
 * The README's ```js server examples, run against real servers started here: the loopback
 * ports written in the README (7000 a cluster node, 6380-6382 standalone nodes, 22121
 * nutcracker over those three) are replaced by the ports of the servers this test started.
 * Default (hybrid) project only: the configuration a README reader runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ioredis from 'ioredis';
import * as ringcache from '../../src';
import { Nutcracker } from '../helpers/nutcracker';
import { codeBlocks, runBlock } from '../helpers/readme-blocks';
import { RedisCluster } from '../helpers/redis-cluster';
import { RedisServer } from '../helpers/redis-server';
import { notDefaultProject } from '../helpers/project';

const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const blocks = codeBlocks(readme, 'js server');

describe.skipIf(notDefaultProject)('README server examples', () => {
  let cluster: RedisCluster | undefined;
  let nodes: RedisServer[] = [];
  let proxy: Nutcracker | undefined;
  const ports = new Map<number, number>();

  beforeAll(async () => {
    [cluster, ...nodes] = await Promise.all([RedisCluster.start(), RedisServer.start(), RedisServer.start(), RedisServer.start()]);
    proxy = await Nutcracker.start({
      servers: nodes.map((n, i) => ({ port: n.port, weight: i === 1 ? 2 : 1, name: `cache-${i + 1}` })),
      hashTag: '{}',
    });
    ports.set(7000, cluster.startupNodes[0].port);
    nodes.forEach((n, i) => ports.set(6380 + i, n.port));
    ports.set(22121, proxy.port);
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled([cluster?.stop(), proxy?.stop(), ...nodes.map((n) => n.stop())]);
  });

  it('the README has server examples, on loopback addresses only', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) {
      for (const host of b.code.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? []) expect(host, `README.md:${b.line}`).toBe('127.0.0.1');
    }
  });

  for (const block of blocks) {
    it(`block at README.md:${block.line} runs and its values hold`, async () => {
      const mapPorts = (src: string) =>
        src.replace(/(127\.0\.0\.1:|port: )(\d{4,5})\b/g, (all, prefix: string, port: string) => {
          const mapped = ports.get(Number(port));
          if (mapped === undefined) throw new Error(`README.md:${block.line}: no server for port ${port}`);
          return `${prefix}${mapped}`;
        });
      // Ports in comments are prose (e.g. a Sentinel example): only code is rewritten.
      const code = block.code
        .split('\n')
        .map((line) => {
          const at = line.search(/(^|\s)\/\/\s/); // a comment, not the // of redis://
          return at < 0 ? mapPorts(line) : mapPorts(line.slice(0, at)) + line.slice(at);
        })
        .join('\n');
      expect(await runBlock(block, { ringcache, ioredis }, code)).toBeGreaterThan(0);
    });
  }
});
