/**
 * The CDN tier for real: Varnish 7 + vmod xkey running the shipped vcl/ringcache.vcl, in front
 * of a node:http origin whose HttpCache stores in a TieredCache over a real redis-server.
 * Counts every request that reaches the origin (Varnish's fetches) and every handler run.
 *
 * Time: s-maxage expiry and stale-while-revalidate are Varnish's own clock, which no test can
 * control; those tests use a 1 s s-maxage and wait 1.5 s of real time. Nothing asserts an upper
 * bound on time.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TieredCache } from '../../src';
import { HttpCache, HttpPurgeError, varnishPurger, type RouteCacheOptions } from '../../src/http';
import { freePort } from '../helpers/free-port';
import { RedisServer, sleep } from '../helpers/redis-server';
import { Varnish } from '../helpers/varnish';

interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: 'shop.example', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

let redis: RedisServer;
let client: Redis;
let cache: TieredCache;
let hc: HttpCache;
let varnish: Varnish;
let origin: Server;
let originPort: number;
/** Requests that reached the origin, per path prefix. */
const originHits: Record<string, number> = {};
const handlerRuns: Record<string, number> = {};

const routes: Record<string, RouteCacheOptions<{ url?: string }>> = {
  long: { cdnTtlMs: 60_000, tags: (req) => [`product:${String(req.url).split('/')[2]}`] },
  swr: { cdnTtlMs: 1000, staleWhileRevalidateMs: 10_000, staleIfErrorMs: 0 },
  sie: { cdnTtlMs: 1000, staleWhileRevalidateMs: 0, staleIfErrorMs: 60_000 },
  page: {},
};

function listenOrigin(port: number): Promise<void> {
  origin = createServer((req, res) => {
    const kind = String(req.url).split('/')[1];
    originHits[req.url as string] = (originHits[req.url as string] ?? 0) + 1;
    const route = routes[kind];
    if (route === undefined) return void res.writeHead(404).end();
    hc.node(route as RouteCacheOptions<IncomingMessage>, (q, s) => {
      handlerRuns[q.url as string] = (handlerRuns[q.url as string] ?? 0) + 1;
      const user = /user=(\w+)/.exec(String(q.headers.cookie ?? ''))?.[1] ?? 'anonymous';
      s.writeHead(200, { 'content-type': 'text/plain' });
      s.end(`${q.url} for ${user} #${handlerRuns[q.url as string]}`);
    })(req, res);
  });
  return new Promise((resolve) => origin.listen(port, '127.0.0.1', () => resolve()));
}

function stopOrigin(): Promise<void> {
  return new Promise((resolve) => {
    origin.closeAllConnections();
    origin.close(() => resolve());
  });
}

beforeAll(async () => {
  redis = await RedisServer.start();
  client = new Redis(redis.options);
  cache = new TieredCache({ l2: client });
  originPort = await freePort();
  await listenOrigin(originPort);
  varnish = await Varnish.start(originPort);
  hc = new HttpCache({ cache, hosts: ['shop.example'], purgers: [varnishPurger({ url: varnish.url })] });
});

afterAll(async () => {
  await varnish?.stop();
  if (origin?.listening) await stopOrigin();
  await cache?.close();
  client?.disconnect();
  await redis?.stop();
});

/** Waits until `f()` holds (polling); the assertions after it say what must be true. */
async function until(f: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!f() && Date.now() < end) await sleep(20);
}

describe('Varnish (vcl/ringcache.vcl) in front of the HTTP tier', () => {
  it('within s-maxage, 200 concurrent requests make 1 origin hit', async () => {
    const all = await Promise.all(Array.from({ length: 200 }, () => get(varnish.port, '/long/1')));
    expect(all.every((r) => r.status === 200 && r.body === '/long/1 for anonymous #1')).toBe(true);
    expect(originHits['/long/1']).toBe(1);
    expect(handlerRuns['/long/1']).toBe(1);
    const again = await get(varnish.port, '/long/1');
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.headers['surrogate-key']).toBeUndefined(); // tags stay in the CDN
    expect(again.headers['cache-control']).toMatch(/^public, max-age=\d+, s-maxage=\d+$/);
    expect(originHits['/long/1']).toBe(1);
  });

  it('past s-maxage, within stale-while-revalidate: stale at once, 1 background fetch', async () => {
    const a = await get(varnish.port, '/swr/1');
    expect(a.headers['x-cache']).toBe('MISS');
    expect(originHits['/swr/1']).toBe(1);
    await sleep(1500); // past the 1 s s-maxage (Varnish's clock), within the 10 s window
    const stale = await Promise.all(Array.from({ length: 5 }, () => get(varnish.port, '/swr/1')));
    for (const r of stale) {
      expect(r.headers['x-cache']).toBe('HIT'); // the cached object itself, not a fetch
      expect(Number(r.headers.age)).toBeGreaterThanOrEqual(1);
      expect(r.body).toBe(a.body);
    }
    await until(() => originHits['/swr/1'] === 2);
    await sleep(200);
    expect(originHits['/swr/1']).toBe(2); // exactly one background fetch for the five
    expect(handlerRuns['/swr/1']).toBe(1); // the origin answered it from the Redis tier
    const fresh = await get(varnish.port, '/swr/1');
    expect(fresh.headers['x-cache']).toBe('HIT');
    expect(originHits['/swr/1']).toBe(2);
  });

  it('past s-maxage with the origin up it refetches; with the origin down it serves stale within stale-if-error', async () => {
    const a = await get(varnish.port, '/sie/1');
    expect(originHits['/sie/1']).toBe(1);
    await sleep(1500);
    const b = await get(varnish.port, '/sie/1');
    expect(b.headers['x-cache']).toBe('MISS'); // no stale-while-revalidate: a synchronous refetch
    expect(originHits['/sie/1']).toBe(2);
    await stopOrigin();
    try {
      await sleep(1500);
      const c = await get(varnish.port, '/sie/1');
      expect(c.status).toBe(200);
      expect(c.body).toBe(a.body);
      expect(c.headers['x-cache']).toBe('HIT');
      expect(originHits['/sie/1']).toBe(2);
    } finally {
      await listenOrigin(originPort);
    }
  });

  it("invalidateTags(['product:42']) drops exactly those objects in Varnish, L1 and L2; the next request makes 1 origin hit", async () => {
    await get(varnish.port, '/long/42');
    await get(varnish.port, '/long/43');
    expect((await get(varnish.port, '/long/42')).headers['x-cache']).toBe('HIT');
    expect((await get(varnish.port, '/long/43')).headers['x-cache']).toBe('HIT');
    expect([originHits['/long/42'], originHits['/long/43']]).toEqual([1, 1]);
    await hc.invalidateTags(['product:42']);
    const other = await get(varnish.port, '/long/43');
    expect(other.headers['x-cache']).toBe('HIT');
    const r = await get(varnish.port, '/long/42');
    expect(r.headers['x-cache']).toBe('MISS');
    expect(r.body).toBe('/long/42 for anonymous #2'); // the handler ran again: L1 and L2 dropped it too
    expect(originHits['/long/42']).toBe(2);
    expect(originHits['/long/43']).toBe(1);
    expect(handlerRuns['/long/43']).toBe(1);
    expect((await get(varnish.port, '/long/42')).headers['x-cache']).toBe('HIT');
    expect(originHits['/long/42']).toBe(2);
  });

  it('a personalised response is not cached by Varnish (Cookie request, private/no-store)', async () => {
    const alice = await get(varnish.port, '/page/me', { cookie: 'user=alice' });
    expect(alice.body).toContain('for alice');
    expect(alice.headers['cache-control']).toBe('private, no-store');
    const anon = await get(varnish.port, '/page/me');
    expect(anon.body).toContain('for anonymous');
    expect(anon.body).not.toContain('alice');
  });

  it('a purge Varnish does not confirm rejects, naming the purger', async () => {
    const dead = await freePort();
    const bad = new HttpCache({ cache, hosts: ['shop.example'], purgers: [varnishPurger({ url: `http://127.0.0.1:${dead}`, name: 'edge-1' })] });
    const err = await bad.invalidateTags('product:1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpPurgeError);
    expect((err as HttpPurgeError).purgers).toEqual(['edge-1']);
    expect(bad.stats().purgeFailures).toBe(1);
  });
});
