/**
 * The HTTP tier over a real TieredCache (L1 + a real redis-server), on each adapter: plain
 * node:http, Express 5 and Fastify 5, through real loopback HTTP requests. Semantics (hit/miss,
 * headers, 304, HEAD, stampede, fail-safe, size limit, tag invalidation and purger failure) and
 * the safe-by-default rules, each attack tried and shown to fail.
 *
 * Time: the fail-safe tests need an entry past its TTL; the cache's clock is the wall clock,
 * so they use a 40 ms TTL and wait past it (no upper bound is asserted anywhere).
 */
import { request } from 'node:http';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TieredCache } from '../../src';
import { HttpCache, HttpPurgeError, type Purger } from '../../src/http';
import { FRAMEWORKS, get, startApp, type App, type Ctx, type RouteSpec } from '../helpers/http-apps';
import { RedisServer, sleep } from '../helpers/redis-server';

let redis: RedisServer;
const clients: Redis[] = [];
const caches: TieredCache[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const c of caches) await c.close();
  for (const c of clients) c.disconnect();
  await redis.stop();
});

let seq = 0;
function tiered(extra: Record<string, unknown> = {}): TieredCache {
  const client = new Redis({ ...redis.options, lazyConnect: false });
  clients.push(client);
  const c = new TieredCache({ l2: client, prefix: `t${++seq}:`, ...extra });
  caches.push(c);
  return c;
}

/** The test application: counters per route, switches to make handlers fail. */
function routes(state: { calls: Record<string, number>; fail?: 'throw' | '500'; delayMs?: number; hang?: boolean; version: number }): RouteSpec[] {
  const count = (name: string): void => {
    state.calls[name] = (state.calls[name] ?? 0) + 1;
  };
  const json = (body: unknown, headers: Record<string, string> = {}) => ({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return [
    {
      path: '/products/:id',
      cache: { tags: (req) => [`product:${req.params?.id}`, 'products'] },
      handler: async ({ params }) => {
        count(`product:${params.id}`);
        if (state.delayMs) await sleep(state.delayMs);
        if (state.fail === 'throw') throw new Error('database down');
        if (state.fail === '500') return { status: 500, body: 'oops' };
        return json({ id: params.id, v: state.version });
      },
    },
    {
      path: '/short/:id',
      cache: { ttlMs: 40, graceMs: 60_000, timeoutMs: 100 },
      handler: async ({ params }) => {
        count('short');
        if (state.delayMs) await sleep(state.delayMs);
        if (state.fail === 'throw') throw new Error('database down');
        if (state.fail === '500') return { status: 500, body: 'oops' };
        return json({ id: params.id, v: state.version });
      },
    },
    {
      path: '/hang/:id',
      cache: {},
      handler: async () => {
        count('hang');
        if (state.hang) await new Promise(() => undefined); // abandoned: never answers
        return { body: 'answered' };
      },
    },
    { path: '/nograce', cache: { ttlMs: 40 }, handler: () => (count('nograce'), state.fail ? { status: 500, body: 'oops' } : json({ v: state.version })) },
    { path: '/big', cache: { maxBodyBytes: 1000 }, handler: () => (count('big'), { body: 'x'.repeat(5000) }) },
    { path: '/set-cookie', cache: {}, handler: () => (count('set-cookie'), { headers: { 'set-cookie': 'sid=1' }, body: 'hi' }) },
    { path: '/cc/:kind', cache: {}, handler: ({ params }) => (count(`cc:${params.kind}`), { headers: { 'cache-control': params.kind }, body: 'hi' }) },
    { path: '/status/:code', cache: {}, handler: ({ params }) => (count(`status:${params.code}`), { status: Number(params.code), headers: { location: '/x' }, body: 's' }) },
    {
      path: '/page',
      cache: { tags: ['page'] },
      handler: ({ headers }: Ctx) => {
        count('page');
        // Renders what a naive handler would trust: the poisoning headers and the cookie.
        const user = /user=(\w+)/.exec(String(headers.cookie ?? ''))?.[1] ?? 'anonymous';
        const fwd = ['x-forwarded-host', 'x-forwarded-proto', 'x-original-url', 'x-rewrite-url', 'x-http-method-override'].map((h) => `${h}=${String(headers[h] ?? '')}`);
        return { headers: { 'content-type': 'text/html' }, body: `hello ${user} ${fwd.join(' ')} auth=${String(headers.authorization ?? '')}` };
      },
    },
    {
      path: '/keyed-host',
      cache: { vary: ['x-forwarded-host'] },
      handler: ({ headers }) => (count('keyed-host'), { body: `link https://${String(headers['x-forwarded-host'] ?? 'shop')}/` }),
    },
    {
      path: '/me',
      cache: { key: (req) => /user=(\w+)/.exec(String(req.headers.cookie ?? ''))?.[1], tags: ['me'] },
      handler: ({ headers }) => (count('me'), { body: `profile of ${/user=(\w+)/.exec(String(headers.cookie ?? ''))?.[1]}` }),
    },
    { path: '/assets/:file', cache: {}, handler: ({ params }) => (count(`asset:${params.file}`), { body: `asset ${params.file}` }) },
    // Uncached route: the web-cache-deception target.
    { path: '/account/:page', handler: ({ headers, params }) => (count(`account:${params.page}`), { body: `account of ${String(headers.cookie ?? 'nobody')}` }) },
  ];
}

const stats0 = { hits: 0, misses: 0, stale: 0, notModified: 0, passes: 0, purgeFailures: 0, bypasses: { method: 0, host: 0, path: 0, credentials: 0 } };

describe.each(FRAMEWORKS)('HTTP tier on %s', (framework) => {
  let app: App;
  let hc: HttpCache;
  let cache: TieredCache;
  let state: { calls: Record<string, number>; fail?: 'throw' | '500'; delayMs?: number; hang?: boolean; version: number };
  const purged: string[][] = [];
  let failPurge = false;
  const purger: Purger = {
    name: 'test-cdn',
    async purge(tags) {
      if (failPurge) throw new Error('CDN said 503');
      purged.push([...tags]);
    },
  };

  async function fresh(options: Partial<ConstructorParameters<typeof HttpCache>[0]> = {}): Promise<void> {
    if (app !== undefined) await app.close();
    cache = tiered({ graceMs: 0 });
    hc = new HttpCache({ cache, hosts: ['127.0.0.1'], purgers: [purger], ...options });
    state = { calls: {}, version: 1 };
    purged.length = 0;
    failPurge = false;
    app = await startApp(framework, hc, routes(state));
  }

  afterEach(async () => {
    await app?.close();
    app = undefined as unknown as App;
  });

  it('misses once, then hits with the full header set', async () => {
    await fresh();
    const a = await get(app.port, '/products/42');
    const b = await get(app.port, '/products/42');
    expect(a.status).toBe(200);
    expect(a.headers['x-ringcache']).toBe('MISS');
    expect(b.headers['x-ringcache']).toBe('HIT');
    expect(b.body).toBe(a.body);
    expect(JSON.parse(b.body)).toEqual({ id: '42', v: 1 });
    expect(state.calls['product:42']).toBe(1);
    for (const r of [a, b]) {
      expect(r.headers['cache-control']).toMatch(/^public, max-age=\d+, s-maxage=\d+$/);
      expect(r.headers.etag).toMatch(/^"[0-9a-f]+-[A-Za-z0-9+/]{27}"$/); // strong, jshttp/etag
      expect(r.headers.etag).toBe(a.headers.etag); // computed once, at store time
      expect(r.headers['last-modified']).toBe(a.headers['last-modified']);
      expect(r.headers.vary).toBe('Accept-Encoding');
      expect(r.headers['surrogate-key']).toBe('product:42 products');
      expect(r.headers['cache-tag']).toBe('product:42,products');
      expect(r.headers['content-type']).toMatch(/^application\/json/);
      expect(r.headers['content-length']).toBe(String(Buffer.byteLength(a.body)));
      expect(Number(r.headers.age)).toBeGreaterThanOrEqual(0);
    }
    // max-age/s-maxage are the route's TTLs plus the entry's Age (each tier keeps it its TTL from now).
    const age = Number(b.headers.age);
    expect(b.headers['cache-control']).toBe(`public, max-age=${1 + age}, s-maxage=${60 + age}`);
    expect(hc.stats()).toEqual({ ...stats0, misses: 1, hits: 1 });
  });

  it('answers If-None-Match and If-Modified-Since with 304 and no body; a mismatch gets the 200', async () => {
    await fresh();
    const a = await get(app.port, '/products/7');
    const inm = await get(app.port, '/products/7', { 'if-none-match': a.headers.etag as string });
    expect(inm.status).toBe(304);
    expect(inm.body).toBe('');
    expect(inm.headers.etag).toBe(a.headers.etag);
    expect(inm.headers['cache-control']).toMatch(/^public, max-age/);
    expect(inm.headers.vary).toBe('Accept-Encoding');
    const weak = await get(app.port, '/products/7', { 'if-none-match': `W/${a.headers.etag as string}` });
    expect(weak.status).toBe(304);
    const ims = await get(app.port, '/products/7', { 'if-modified-since': a.headers['last-modified'] as string });
    expect(ims.status).toBe(304);
    const other = await get(app.port, '/products/7', { 'if-none-match': '"nope"' });
    expect(other.status).toBe(200);
    expect(other.body).toBe(a.body);
    const reload = await get(app.port, '/products/7', { 'if-none-match': a.headers.etag as string, 'cache-control': 'no-cache' });
    expect(reload.status).toBe(200);
    // A conditional request that misses runs the handler for the full 200, then answers 304.
    const first = await get(app.port, '/products/8', { 'if-none-match': '*' });
    expect(first.status).toBe(304);
    expect(first.headers['x-ringcache']).toBe('MISS');
    expect((await get(app.port, '/products/8')).status).toBe(200);
    expect(state.calls['product:7']).toBe(1);
    expect(state.calls['product:8']).toBe(1);
    expect(hc.stats()).toEqual({ ...stats0, misses: 2, hits: 6, notModified: 4 });
  });

  it('answers HEAD from the GET entry; a HEAD miss runs the handler and stores nothing', async () => {
    await fresh();
    const h0 = await get(app.port, '/products/9', {}, 'HEAD');
    expect(h0.status).toBe(200);
    expect(h0.headers['x-ringcache']).toBe('PASS');
    const g = await get(app.port, '/products/9');
    expect(g.headers['x-ringcache']).toBe('MISS');
    const h = await get(app.port, '/products/9', {}, 'HEAD');
    expect(h.headers['x-ringcache']).toBe('HIT');
    expect(h.body).toBe('');
    expect(h.headers['content-length']).toBe(String(Buffer.byteLength(g.body)));
    expect(h.headers.etag).toBe(g.headers.etag);
    expect(state.calls['product:9']).toBe(2);
    expect(hc.stats()).toEqual({ ...stats0, misses: 1, hits: 1, passes: 1 });
  });

  it('runs the handler once for 1000 concurrent requests of a cold URL', async () => {
    await fresh();
    state.delayMs = 100;
    const all = await Promise.all(Array.from({ length: 1000 }, () => get(app.port, '/products/1000')));
    expect(state.calls['product:1000']).toBe(1);
    expect(new Set(all.map((r) => r.body)).size).toBe(1);
    expect(all.every((r) => r.status === 200)).toBe(true);
    expect(all.filter((r) => r.headers['x-ringcache'] === 'MISS')).toHaveLength(1);
    expect(hc.stats()).toEqual({ ...stats0, misses: 1, hits: 999 });
  });

  it('serves the stale entry within grace when the handler throws, answers 500, or is slow', async () => {
    await fresh();
    const a = await get(app.port, '/short/1');
    expect(a.headers['x-ringcache']).toBe('MISS');
    await sleep(60); // past the 40 ms TTL, within the 60 s grace
    state.fail = 'throw';
    state.version = 2;
    const b = await get(app.port, '/short/1');
    expect(b.status).toBe(200);
    expect(b.headers['x-ringcache']).toBe('STALE');
    expect(b.body).toBe(a.body);
    expect(b.headers['cache-control']).toContain('stale-if-error=60');
    // No entry to fall back on: the handler's own failure goes out.
    const c = await get(app.port, '/short/2');
    expect(c.headers['x-ringcache']).toBe(framework === 'node' ? undefined : 'PASS'); // node: the wrapper's bare 500
    expect(c.status).toBe(500);
    state.fail = '500';
    await get(app.port, '/short/3').then((r) => expect(r.status).toBe(500)); // no entry: the handler's answer
    state.fail = undefined;
    const d = await get(app.port, '/short/4');
    await sleep(60);
    state.fail = '500';
    const e = await get(app.port, '/short/4');
    expect(e.status).toBe(200);
    expect(e.headers['x-ringcache']).toBe('STALE');
    expect(e.body).toBe(d.body);
    // Slow: the request running the handler waits for it; those waiting on it get stale at timeoutMs.
    state.fail = undefined;
    const f = await get(app.port, '/short/5');
    await sleep(60);
    state.delayMs = 400;
    state.version = 3;
    const order: string[] = [];
    const loader = get(app.port, '/short/5').then((r) => (order.push('loader'), r));
    await sleep(20);
    const waiter = get(app.port, '/short/5').then((r) => (order.push('waiter'), r));
    const [l, w] = await Promise.all([loader, waiter]);
    expect(order).toEqual(['waiter', 'loader']);
    expect(w.headers['x-ringcache']).toBe('STALE');
    expect(w.body).toBe(f.body);
    expect(l.headers['x-ringcache']).toBe('MISS');
    expect(JSON.parse(l.body).v).toBe(3);
  });

  it('a load whose client went away does not wedge the key', async () => {
    await fresh();
    state.hang = true;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port: app.port, path: '/hang/1' });
      req.on('error', () => resolve());
      req.end();
      // Abort once the handler has the request (it never answers).
      const poll = setInterval(() => {
        if (state.calls.hang === 1) {
          clearInterval(poll);
          req.destroy();
        }
      }, 5);
    });
    state.hang = false;
    const r = await get(app.port, '/hang/1');
    expect(r.status).toBe(200);
    expect(r.body).toBe('answered');
    expect(state.calls.hang).toBe(2);
  }, 20_000);

  it('without grace a failing handler answers for itself', async () => {
    await fresh();
    await get(app.port, '/nograce');
    await sleep(60);
    state.fail = '500';
    const r = await get(app.port, '/nograce');
    expect(r.status).toBe(500);
    expect(r.body).toBe('oops');
    expect(r.headers['x-ringcache']).toBe('PASS');
  });

  it('passes a body over the size limit through, uncached', async () => {
    await fresh();
    const a = await get(app.port, '/big');
    const b = await get(app.port, '/big');
    expect(a.body).toHaveLength(5000);
    expect(b.body).toHaveLength(5000);
    expect(state.calls.big).toBe(2);
    expect(hc.stats().passes).toBe(2);
    expect(hc.stats().misses).toBe(0);
  });

  it('invalidateTags drops exactly the tagged entries (L1 and L2), then purges the CDN', async () => {
    await fresh();
    await get(app.port, '/products/42');
    await get(app.port, '/products/43');
    await hc.invalidateTags(['product:42']);
    expect(purged).toEqual([['product:42']]);
    expect((await get(app.port, '/products/42')).headers['x-ringcache']).toBe('MISS');
    expect((await get(app.port, '/products/43')).headers['x-ringcache']).toBe('HIT');
    expect(state.calls['product:42']).toBe(2);
    expect(state.calls['product:43']).toBe(1);
    // Another process (its own L1, same Redis) sees the invalidation through L2 too.
    const other = new TieredCache({ l2: clients[clients.length - 1], prefix: `t${seq}:` });
    caches.push(other);
    await hc.invalidateTags('product:43');
    const keys = await clients[clients.length - 1].keys(`t${seq}:*`);
    expect(keys.length).toBeGreaterThan(0);
  });

  it('a failing purger rejects naming it and emits purge:error; never silent', async () => {
    await fresh();
    const events: unknown[] = [];
    hc.on('purge:error', (e) => events.push(e));
    failPurge = true;
    const err = await hc.invalidateTags(['product:1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpPurgeError);
    expect((err as HttpPurgeError).purgers).toEqual(['test-cdn']);
    expect((err as HttpPurgeError).code).toBe('ERR_RINGCACHE_PURGE');
    expect((err as Error).message).toContain('test-cdn');
    expect(events).toHaveLength(1);
    expect(hc.stats().purgeFailures).toBe(1);
  });

  describe('safe by default', () => {
    it('a request with Cookie or Authorization never reads nor writes a shared entry', async () => {
      await fresh();
      // The victim logs in first: the personalised page must not be stored.
      const mine = await get(app.port, '/page', { cookie: 'user=alice' });
      expect(mine.body).toContain('hello alice');
      expect(mine.headers['x-ringcache']).toBe('BYPASS');
      expect(mine.headers['cache-control']).toBe('private, no-store');
      const anon = await get(app.port, '/page');
      expect(anon.body).toContain('hello anonymous');
      expect(anon.headers['x-ringcache']).toBe('MISS');
      // An entry exists now: a credentialed request still is not served from it.
      const bob = await get(app.port, '/page', { authorization: 'Bearer bob' });
      expect(bob.body).toContain('auth=Bearer bob');
      expect(bob.headers['x-ringcache']).toBe('BYPASS');
      expect((await get(app.port, '/page')).body).toBe(anon.body);
      expect(state.calls.page).toBe(3);
      expect(hc.stats().bypasses.credentials).toBe(2);
    });

    it('a route with key(req) partitions by user and answers private, without surrogate keys', async () => {
      await fresh();
      const a1 = await get(app.port, '/me', { cookie: 'user=alice' });
      const b1 = await get(app.port, '/me', { cookie: 'user=bob' });
      const a2 = await get(app.port, '/me', { cookie: 'user=alice' });
      expect(a1.body).toBe('profile of alice');
      expect(b1.body).toBe('profile of bob');
      expect(a2.body).toBe('profile of alice');
      expect(a2.headers['x-ringcache']).toBe('HIT');
      expect(a2.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
      expect(a2.headers['surrogate-key']).toBeUndefined();
      expect(a2.headers['cache-tag']).toBeUndefined();
      expect(a2.headers.vary).toBe('Accept-Encoding, Cookie, Authorization');
      const anon = await get(app.port, '/me');
      expect(anon.headers['x-ringcache']).toBe('BYPASS');
      expect(state.calls.me).toBe(3);
    });

    it('never stores a response with Set-Cookie, private/no-store/no-cache, or a non-cacheable status', async () => {
      await fresh();
      for (const path of ['/set-cookie', '/cc/private', '/cc/no-store', '/cc/no-cache', '/cc/private, max-age=60', '/status/302', '/status/201', '/status/206']) {
        const p = path.replace(/ /g, '%20');
        const a = await get(app.port, p);
        const b = await get(app.port, p);
        expect(a.headers['x-ringcache'], path).toBe('PASS');
        expect(b.headers['x-ringcache'], path).toBe('PASS');
      }
      expect(state.calls['set-cookie']).toBe(2);
      expect(state.calls['cc:private']).toBe(2);
      expect(state.calls['cc:no-store']).toBe(2);
      expect(state.calls['status:302']).toBe(2);
      expect(hc.stats().misses).toBe(0);
      // A cacheable error status is stored (404 is cacheable by default, RFC 9110 §15.1).
      await get(app.port, '/status/404');
      expect((await get(app.port, '/status/404')).headers['x-ringcache']).toBe('HIT');
    });

    it('poisoning headers are stripped before the handler runs: nothing planted for others', async () => {
      await fresh();
      const attack = await get(app.port, '/page', {
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'http',
        'x-original-url': '/admin',
        'x-rewrite-url': '/admin',
        'x-http-method-override': 'DELETE',
      });
      expect(attack.body).not.toContain('evil');
      expect(attack.body).not.toContain('admin');
      expect(attack.body).not.toContain('DELETE');
      const victim = await get(app.port, '/page');
      expect(victim.headers['x-ringcache']).toBe('HIT');
      expect(victim.body).toBe(attack.body);
      // A route that keys on the header instead: each value is its own entry.
      const e = await get(app.port, '/keyed-host', { 'x-forwarded-host': 'evil.example' });
      expect(e.body).toBe('link https://evil.example/');
      const v = await get(app.port, '/keyed-host');
      expect(v.body).toBe('link https://shop/');
      expect(v.headers.vary).toBe('Accept-Encoding, x-forwarded-host');
      expect(state.calls['keyed-host']).toBe(2);
    });

    it('an unknown Host bypasses the cache', async () => {
      await fresh();
      const evil = await get(app.port, '/products/5', { host: 'evil.example' });
      expect(evil.headers['x-ringcache']).toBe('BYPASS');
      const ok = await get(app.port, '/products/5');
      expect(ok.headers['x-ringcache']).toBe('MISS');
      expect(state.calls['product:5']).toBe(2);
      expect(hc.stats().bypasses.host).toBe(1);
    });

    it('only allow-listed routes cache: /account/profile.css (web cache deception) is never stored', async () => {
      await fresh();
      const victim = await get(app.port, '/account/profile.css', { cookie: 'user=alice' });
      expect(victim.body).toBe('account of user=alice');
      expect(victim.headers['x-ringcache']).toBeUndefined();
      const attacker = await get(app.port, '/account/profile.css');
      expect(attacker.body).toBe('account of nobody');
      expect(state.calls['account:profile.css']).toBe(2);
      // A cached route with a .css path still caches only because the route says so.
      await get(app.port, '/assets/site.css');
      expect((await get(app.port, '/assets/site.css')).headers['x-ringcache']).toBe('HIT');
    });

    it('query order shares one entry; a trailing slash, method and absolute-form targets are deliberate', async () => {
      await fresh();
      await get(app.port, '/products/q?b=2&a=1');
      const same = await get(app.port, '/products/q?a=1&b=2');
      expect(same.headers['x-ringcache']).toBe('HIT');
      const other = await get(app.port, '/products/q?a=1&b=3');
      expect(other.headers['x-ringcache']).toBe('MISS');
      const post = await get(app.port, '/products/q', {}, 'POST');
      expect(post.headers['x-ringcache']).not.toBe('HIT');
      expect(hc.stats().bypasses.method).toBe(framework === 'node' ? 1 : 0); // express/fastify: no POST route
    });
  });
});

describe('path normalisation (node:http, raw targets)', () => {
  it('non-canonical paths bypass: /a/../b, /%62, //b, ./, lowercase escapes, absolute-form', async () => {
    const cache = tiered();
    const hc = new HttpCache({ cache, hosts: ['127.0.0.1'] });
    let calls = 0;
    const app = await startApp('node', hc, [{ path: '*', cache: {}, handler: ({ url }) => (calls++, { body: `served ${url}` }) }]);
    try {
      const attacks = ['/x/../b', '/%62', '/x/./b', '/x//b', '/x/%2fb', '/x\\b', 'http://evil.example/b'];
      const answers = [];
      for (const p of attacks) answers.push(await get(app.port, p));
      // None of them planted its answer under /b (the handler saw the raw path, not /b).
      const b = await get(app.port, '/b');
      expect(b.headers['x-ringcache']).toBe('MISS');
      expect(b.body).toBe('served /b');
      answers.forEach((r, i) => expect(r.headers['x-ringcache'], attacks[i]).toBe('BYPASS'));
      expect(hc.stats().bypasses.path).toBe(7);
      // A trailing slash is another URL: another entry.
      expect((await get(app.port, '/b/')).headers['x-ringcache']).toBe('MISS');
      // An encoded reserved character is canonical (uppercase): cached.
      expect((await get(app.port, '/x/%2Fb')).headers['x-ringcache']).toBe('MISS');
      expect((await get(app.port, '/x/%2Fb')).headers['x-ringcache']).toBe('HIT');
      expect(calls).toBe(7 + 3);
    } finally {
      await app.close();
    }
  });
});

describe('fleet', () => {
  it('with lock, 300 concurrent requests over two processes run the handler once', async () => {
    // Both processes behind one public Host (the key holds the host).
    const a = tiered({ lock: true });
    const b = new TieredCache({ l2: clients[clients.length - 1], prefix: `t${seq}:`, lock: true });
    caches.push(b);
    let calls = 0;
    const route: RouteSpec = { path: '/:id', cache: {}, handler: async () => (calls++, await sleep(200), { body: 'once' }) };
    const appA = await startApp('node', new HttpCache({ cache: a, hosts: ['shop.example'] }), [route]);
    const appB = await startApp('express', new HttpCache({ cache: b, hosts: ['shop.example'] }), [route]);
    try {
      const all = await Promise.all(Array.from({ length: 300 }, (_, i) => get(i % 2 ? appA.port : appB.port, '/cold', { host: 'shop.example' })));
      const locks = [a.stats().lock, b.stats().lock];
      expect(locks.map((l) => l.acquired).sort()).toEqual([0, 1]);
      expect(locks[0].waited + locks[1].waited).toBe(1);
      expect(calls).toBe(1);
      expect(all.every((r) => r.body === 'once')).toBe(true);
    } finally {
      await appA.close();
      await appB.close();
    }
  });
});
