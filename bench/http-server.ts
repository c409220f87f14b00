/**
 * One server of the `http` bench suite, in its own process (so the load generator and the
 * server do not share an event loop): `node http-server.js KIND REDIS_PORT`. It listens on a
 * free loopback port and sends `{ port }` to its parent over IPC; on any message from the parent
 * it answers its CPU time and request count; the parent kills it by PID.
 *
 * Kinds (all answer GET /products/42 with the same ~200-byte JSON):
 * - `bare`: node:http, `res.end(buffer)`, the floor;
 * - `bare-headers`: node:http writing the cached route's own response (the headers the parent
 *   read from `ringcache-node`, passed as JSON in argv[4]) with `writeHead` + `end`: what that
 *   response costs to send with nothing else done, the floor for any cache that sends it;
 * - `express-floor`: Express 5, the same route answering that same response with nothing else
 *   done: the floor of any Express route;
 * - `ringcache-node`: node:http with `HttpCache.node` over a TieredCache (L1 + Redis L2);
 * - `ringcache-express`: Express 5 with `HttpCache.express`;
 * - `express-bentocache`: Express 5, the handler reads through bentocache (memory L1 + Redis
 *   L2) and answers `res.json`, the way such a route is built today;
 * - `uncached-2ms`: node:http, a 2 ms simulated database call on every request.
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

const product = { id: 42, name: 'Product 42', price: 1999, currency: 'EUR', stock: 17, tags: ['garden', 'tools'], description: 'A sturdy, well-balanced tool for everyday work in the garden.' };
const db = (): Promise<typeof product> => new Promise((r) => setTimeout(() => r(product), 2));
const route = { browserTtlMs: 1000, cdnTtlMs: 60_000, ttlMs: 3_600_000, tags: ['product:42'] };

async function listener(kind: string, redisPort: number, headersJson: string | undefined): Promise<RequestListener> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const body = Buffer.from(JSON.stringify(product));
  if (kind === 'bare') return (_req, res) => res.end(body);
  const same = JSON.parse(headersJson ?? '[]') as string[];
  if (kind === 'bare-headers') {
    return (_req, res) => {
      res.writeHead(200, same);
      res.end(body);
    };
  }
  if (kind === 'uncached-2ms') {
    return (_req, res) => {
      void db().then((p) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(p));
      });
    };
  }
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const redis = new Redis({ host: '127.0.0.1', port: redisPort, enableAutoPipelining: true });
  const express = require('express') as typeof import('express');
  if (kind === 'express-floor') {
    const app = express();
    app.get('/products/:id', (_req, res) => {
      res.writeHead(200, same);
      res.end(body);
    });
    return app as unknown as RequestListener;
  }
  if (kind === 'express-bentocache') {
    const { BentoCache, bentostore } = (await import('bentocache')) as typeof import('bentocache', { with: { 'resolution-mode': 'import' } });
    const { memoryDriver } = (await import('bentocache/drivers/memory')) as typeof import('bentocache/drivers/memory', { with: { 'resolution-mode': 'import' } });
    const { redisDriver } = (await import('bentocache/drivers/redis')) as typeof import('bentocache/drivers/redis', { with: { 'resolution-mode': 'import' } });
    const bento = new BentoCache({
      default: 'c',
      stores: { c: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })).useL2Layer(redisDriver({ connection: redis })) },
    });
    const app = express();
    app.get('/products/:id', async (req, res) => {
      res.set('cache-control', 'public, max-age=1, s-maxage=60');
      res.json(await bento.getOrSet({ key: `product:${req.params.id}`, factory: db, ttl: '1h' }));
    });
    return app as unknown as RequestListener;
  }
  const { TieredCache } = require('../src/cache/tiered-cache') as typeof import('../src/cache/tiered-cache');
  const { HttpCache } = require('../src/http') as typeof import('../src/http');
  const hc = new HttpCache({ cache: new TieredCache({ l2: redis, prefix: `bench:${process.pid}:` }), hosts: ['127.0.0.1'] });
  if (kind === 'ringcache-node') {
    return hc.node(route, (_req, res) => {
      void db().then((p) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(p));
      });
    });
  }
  if (kind === 'ringcache-express') {
    const app = express();
    app.get('/products/:id', hc.express(route), async (_req, res) => {
      res.json(await db());
    });
    return app as unknown as RequestListener;
  }
  throw new Error(`unknown server kind ${kind}`);
}

async function main(): Promise<void> {
  const [kind, redisPort, headersJson] = process.argv.slice(2);
  const handle = await listener(kind, Number(redisPort), headersJson);
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    handle(req, res);
  });
  // The parent asks for this process's CPU time and request count around each load phase.
  process.on('message', () => process.send?.({ cpu: process.cpuUsage(), requests }));
  // A clean exit on SIGINT, so `--cpu-prof` can write its profile when profiling a server.
  process.on('SIGINT', () => process.exit(0));
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
