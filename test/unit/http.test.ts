/**
 * The HTTP tier's pure parts: key normalisation, host allow-list, Cache-Control in both
 * directions, the entry codec, option validation (bad input: a TypeError/RangeError naming the
 * option), and the Fastly/Cloudflare purgers' requests (sent to a loopback server standing in
 * for the vendor API: the request shape is what is checked).
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import etag from 'etag';
import { describe, expect, it } from 'vitest';
import { TieredCache } from '../../src';
import { ManualClock, useClock } from '../../src/cache/clock';
import { HttpCache, cloudflarePurger, fastlyPurger, varnishPurger } from '../../src/http';
import { cacheControl, verdict } from '../../src/http/cache-control';
import { decodeEntry, encodeEntry } from '../../src/http/entry';
import { buildKey, canonicalTarget, HostList } from '../../src/http/request-key';
import { resolveRoute } from '../../src/http/route';

describe('canonicalTarget', () => {
  it.each([
    ['/', '/'],
    ['/b', '/b'],
    ['/b/', '/b/'],
    ['/a/b?x=1', '/a/b?x=1'],
    ['/a?b=2&a=1', '/a?a=1&b=2'],
    ['/a?b=2&a=1&b=1', '/a?a=1&b=2&b=1'], // stable: repeated names keep their order
    ['/a?', '/a'],
    ['/x/%2Fb', '/x/%2Fb'],
    ['/%E2%82%AC', '/%E2%82%AC'],
    ["/a:b@c!$&'()*+,;=", "/a:b@c!$&'()*+,;="],
  ])('%s is canonical as %s', (url, want) => {
    expect(canonicalTarget(url)).toBe(want);
  });

  it.each(['', 'b', 'http://evil/b', '*', '/a/../b', '/a/..', '/./b', '/a/.', '//b', '/a//b', '/%62', '/%7E', '/%2f', '/%2', '/%zz', '/a\\b', '/a b', '/a"b', '/a<b', '/a?x=<', '/a#f'])('%j is not canonical', (url) => {
    expect(canonicalTarget(url)).toBeUndefined();
  });
});

describe('HostList', () => {
  const hosts = new HostList(['Shop.example', 'api.example:8443']);
  it.each([
    ['shop.example', 'shop.example'],
    ['SHOP.example:3000', 'shop.example:3000'],
    ['api.example:8443', 'api.example:8443'],
  ])('%s is allowed', (h, want) => expect(hosts.match(h)).toBe(want));
  it.each([undefined, '', 'api.example', 'api.example:80', 'evil.example', 'shop.example.evil', 'shop.example:80:80'])('%j is not', (h) => expect(hosts.match(h)).toBeUndefined());
});

describe('buildKey', () => {
  it('cannot be made ambiguous by crafted values', () => {
    const h = (v: string): IncomingHttpHeaders => ({ 'accept-language': v });
    const a = buildKey('p:', '', 'h', ['accept-language'], h('en","/x'), '/y');
    const b = buildKey('p:', '', 'h', ['accept-language'], h('en'), '/x","/y');
    expect(a).not.toBe(b);
    expect(buildKey('p:', 'u:1', 'h', [], {}, '/')).not.toBe(buildKey('p:', '', 'h', [], {}, '/'));
    expect(buildKey('p:', '', 'h', ['a'], {}, '/')).not.toBe(buildKey('p:', '', 'h', ['a'], { a: '' }, '/'));
  });
});

describe('Cache-Control', () => {
  const route = resolveRoute({ browserTtlMs: 1000, cdnTtlMs: 60_000, staleWhileRevalidateMs: 30_000, staleIfErrorMs: 86_400_000 }, {}, 0, 1000);
  it('adds the age to each tier lifetime; private drops s-maxage', () => {
    expect(cacheControl(route, false, 0)).toBe('public, max-age=1, s-maxage=60, stale-while-revalidate=30, stale-if-error=86400');
    expect(cacheControl(route, false, 100)).toBe('public, max-age=101, s-maxage=160, stale-while-revalidate=30, stale-if-error=86400');
    expect(cacheControl(route, true, 5)).toBe('private, max-age=6, stale-while-revalidate=30, stale-if-error=86400');
  });
  it('stale-if-error defaults to the grace; 0 leaves directives out', () => {
    expect(cacheControl(resolveRoute({ graceMs: 120_000 }, {}, 0, 1000), false, 0)).toBe('public, max-age=1, s-maxage=60, stale-if-error=120');
    expect(cacheControl(resolveRoute({}, {}, 0, 1000), false, 0)).toBe('public, max-age=1, s-maxage=60');
  });
  it.each([
    [200, {}, 'store'],
    [404, {}, 'store'],
    [301, {}, 'store'],
    [204, { 'cache-control': 'public, max-age=5' }, 'store'],
    [200, { 'set-cookie': ['a=1'] }, 'pass'],
    [200, { 'cache-control': 'private' }, 'pass'],
    [200, { 'cache-control': 'max-age=0, No-Store' }, 'pass'],
    [200, { 'cache-control': 'no-cache="set-cookie"' }, 'pass'],
    [200, { vary: 'Accept, *' }, 'pass'],
    [302, {}, 'pass'],
    [201, {}, 'pass'],
    [206, {}, 'pass'],
    [500, {}, 'error'],
    [503, { 'cache-control': 'no-store' }, 'error'],
  ] as const)('%i %j → %s', (status, headers, want) => {
    expect(verdict(status, headers as OutgoingHttpHeaders)).toBe(want);
  });
});

describe('entry codec', () => {
  it('round-trips, computes the strong ETag once, keeps only allowed headers', () => {
    const body = Buffer.from('{"a":1}');
    const buf = encodeEntry(200, { 'content-type': 'application/json', 'x-secret': 's', link: ['<a>', '<b>'] }, body, ['content-type', 'link'], ['t1'], 1_700_000_000_000);
    const e = decodeEntry(buf);
    expect(e).toBeDefined();
    expect(e?.status).toBe(200);
    expect(e?.body.equals(body)).toBe(true);
    expect(e?.headers).toEqual([
      ['content-type', 'application/json'],
      ['link', '<a>'],
      ['link', '<b>'],
    ]);
    expect(e?.etag).toBe(etag(body));
    expect(e?.etag.startsWith('W/')).toBe(false);
    expect(e?.lastModified).toBe(new Date(1_700_000_000_000).toUTCString());
    expect(e?.tags).toEqual(['t1']);
    expect(decodeEntry(buf)).toBe(e); // memoised per Buffer
  });
  it('rejects what is not an entry', () => {
    for (const v of [undefined, 'x', Buffer.alloc(0), Buffer.from([0, 0, 0, 9, 1]), Buffer.from([0, 0, 0, 1, 0x7b]), Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('{}')])]) {
      expect(decodeEntry(v)).toBeUndefined();
    }
  });
});

describe('bad input', () => {
  const cache = new TieredCache();
  it('names the option', () => {
    expect(() => new HttpCache(undefined as never)).toThrow(/options/);
    expect(() => new HttpCache({ cache: {} as never, hosts: ['a'] })).toThrow(/TieredCache for options.cache/);
    expect(() => new HttpCache({ cache, hosts: [] })).toThrow(/options.hosts/);
    expect(() => new HttpCache({ cache, hosts: ['a b'] })).toThrow(/options.hosts/);
    expect(() => new HttpCache({ cache, hosts: ['a'], purgers: [{}] as never })).toThrow(/options.purgers/);
    expect(() => new HttpCache({ cache, hosts: ['a'], statusHeader: 'a b' })).toThrow(/options.statusHeader/);
    expect(() => new HttpCache({ cache, hosts: ['a'], graceMs: -1 })).toThrow(RangeError);
    expect(() => new HttpCache({ cache, hosts: ['a'], route: { cdnTtlMs: Number.NaN } })).toThrow(/options.route.cdnTtlMs/);
    const hc = new HttpCache({ cache, hosts: ['a'] });
    expect(() => hc.route({ ttlMs: -5 })).toThrow(RangeError);
    expect(() => hc.route({ tags: ['has space'] })).toThrow(/route.tags\[0\]/);
    expect(() => hc.route({ tags: ['a,b'] })).toThrow(TypeError);
    expect(() => hc.route({ vary: ['bad header'] })).toThrow(/route.vary\[0\]/);
    expect(() => hc.route({ key: 'user' as never })).toThrow(/route.key/);
    expect(() => hc.route({ maxBodyBytes: 1.5 })).toThrow(/route.maxBodyBytes/);
    expect(() => hc.node({}, undefined as never)).toThrow(/handler/);
    expect(() => varnishPurger({ url: 'ftp://x' })).toThrow(/options.url\[0\]/);
    expect(() => fastlyPurger({ serviceId: '', token: 't' })).toThrow(/options.serviceId/);
    expect(() => cloudflarePurger({ zoneId: 'z' } as never)).toThrow(/options.token/);
  });
  it('rejects bad tags in invalidateTags and bad key(req) results, leaving the cache as it was', async () => {
    const hc = new HttpCache({ cache, hosts: ['a'] });
    await expect(hc.invalidateTags(['ok', 'not ok'])).rejects.toThrow(/tags\[1\]/);
    await expect(hc.invalidateTags(42 as never)).rejects.toThrow(/tags/);
    const route = hc.route({ key: () => 42 as never });
    expect(() => hc.plan({ method: 'GET', url: '/', headers: { host: 'a' } }, {}, route)).toThrow(/route.key\(req\)/);
    const tags = hc.route({ tags: () => ['bad tag'] });
    expect(() => hc.plan({ method: 'GET', url: '/', headers: { host: 'a' } }, {}, tags)).toThrow(/route.tags\(req\)\[0\]/);
    expect(hc.stats().misses + hc.stats().hits).toBe(0);
  });
});

describe('vendor purgers (request shape, against a loopback stand-in for the API)', () => {
  async function api(answer: (body: string) => [number, string]): Promise<{ url: string; got: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[]; close: () => void }> {
    const got: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ method: req.method as string, url: req.url as string, headers: req.headers, body });
        const [status, text] = answer(body);
        res.writeHead(status).end(text);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => server.close() };
  }

  it('fastly: POST /service/{id}/purge with Surrogate-Key, 256 keys a call; a non-200 rejects', async () => {
    const s = await api(() => [200, '{"status":"ok"}']);
    try {
      const p = fastlyPurger({ serviceId: 'SU1Z0isxPaozGVKXdv0eY', token: 'tok', soft: true, endpoint: s.url });
      await p.purge(Array.from({ length: 300 }, (_, i) => `t${i}`));
      expect(s.got).toHaveLength(2);
      expect(s.got[0].method).toBe('POST');
      expect(s.got[0].url).toBe('/service/SU1Z0isxPaozGVKXdv0eY/purge');
      expect(s.got[0].headers['fastly-key']).toBe('tok');
      expect(s.got[0].headers['fastly-soft-purge']).toBe('1');
      expect((s.got[0].headers['surrogate-key'] as string).split(' ')).toHaveLength(256);
      expect((s.got[1].headers['surrogate-key'] as string).split(' ')).toHaveLength(44);
    } finally {
      s.close();
    }
    const bad = await api(() => [401, 'nope']);
    try {
      await expect(fastlyPurger({ serviceId: 's', token: 't', endpoint: bad.url, name: 'fastly-eu' }).purge(['a'])).rejects.toThrow(/fastly-eu: purge answered 401/);
    } finally {
      bad.close();
    }
  });

  it('cloudflare: POST /client/v4/zones/{zone}/purge_cache {"tags": [...]}, 30 a call; success:false rejects', async () => {
    const s = await api(() => [200, '{"success":true}']);
    try {
      await cloudflarePurger({ zoneId: 'zone1', token: 'tok', endpoint: s.url }).purge(Array.from({ length: 31 }, (_, i) => `t${i}`));
      expect(s.got).toHaveLength(2);
      expect(s.got[0].url).toBe('/client/v4/zones/zone1/purge_cache');
      expect(s.got[0].headers.authorization).toBe('Bearer tok');
      expect(JSON.parse(s.got[0].body).tags).toHaveLength(30);
      expect(JSON.parse(s.got[1].body)).toEqual({ tags: ['t30'] });
    } finally {
      s.close();
    }
    const bad = await api(() => [200, '{"success":false}']);
    try {
      await expect(cloudflarePurger({ zoneId: 'z', token: 't', endpoint: bad.url }).purge(['a'])).rejects.toThrow(/cloudflare: purge answered 200/);
    } finally {
      bad.close();
    }
  });
});

describe('reply headers of hits', () => {
  /** A request as node:http gives it (lazy `headers` from `rawHeaders`). */
  const request = (url: string, extra: string[] = []) => {
    const req = Object.assign(Object.create(null) as object, { method: 'GET', url, headers: {} as IncomingHttpHeaders, rawHeaders: ['Host', 'shop.example', ...extra] });
    for (let i = 0; i < req.rawHeaders.length; i += 2) req.headers[req.rawHeaders[i]!.toLowerCase()] = req.rawHeaders[i + 1];
    return req as unknown as import('node:http').IncomingMessage;
  };
  const store = async (hc: HttpCache, route: ReturnType<HttpCache['route']>, url: string) => {
    const plan = hc.plan(request(url), undefined, route);
    if (typeof plan === 'string') throw new Error(plan);
    const step = await hc.lookup(plan);
    if (step.kind !== 'load') throw new Error(step.kind);
    await step.finish({ status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') });
    return plan;
  };
  const header = (list: readonly string[], name: string) => {
    const i = list.indexOf(name);
    return i < 0 ? undefined : list[i + 1];
  };

  it('are one list per entry within a second of age, rebuilt as Age, status or cache changes', async () => {
    const clock = new ManualClock();
    useClock(clock);
    try {
      const cache = new TieredCache();
      const a = new HttpCache({ cache, hosts: ['shop.example'], statusHeader: 'x-a' });
      const b = new HttpCache({ cache, hosts: ['shop.example'], statusHeader: false });
      const route = a.route({ cdnTtlMs: 60_000, browserTtlMs: 1000, ttlMs: 60_000, tags: ['t'] });
      const plan = await store(a, route, '/p');
      const hit = () => a.peek(plan)!;
      const r1 = a.reply(hit().entry, plan, {}, 'HIT');
      const r2 = a.reply(hit().entry, plan, {}, 'HIT');
      expect(r2.headers).toBe(r1.headers);
      expect(Object.isFrozen(r1.headers)).toBe(true);
      expect(header(r1.headers, 'age')).toBe('0');
      expect(header(r1.headers, 'x-a')).toBe('HIT');
      // Another HttpCache over the same entry: its own status header (none), never a's list.
      const rb = b.reply(hit().entry, plan, {}, 'HIT');
      expect(header(rb.headers, 'x-a')).toBeUndefined();
      expect(header(a.reply(hit().entry, plan, {}, 'STALE').headers, 'x-a')).toBe('STALE');
      // A 304 has its own list (validators, no body headers).
      const r304 = a.reply(hit().entry, plan, { 'if-none-match': hit().entry.etag }, 'HIT');
      expect(r304.status).toBe(304);
      expect(header(r304.headers, 'content-length')).toBeUndefined();
      expect(header(a.reply(hit().entry, plan, {}, 'HIT').headers, 'content-length')).toBe('5');
      clock.advance(2500);
      const later = a.reply(hit().entry, plan, {}, 'HIT');
      expect(header(later.headers, 'age')).toBe('2');
      expect(header(later.headers, 'cache-control')).toBe('public, max-age=3, s-maxage=62');
      expect(a.stats().hits).toBe(5);
      expect(a.stats().stale).toBe(1);
      expect(a.stats().notModified).toBe(1);
    } finally {
      useClock(undefined);
    }
  });
});
