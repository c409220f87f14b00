/**
 * The browser tier for real: headless Chromium (its own HTTP cache, a fresh profile) navigating
 * to a node:http origin served by HttpCache over a TieredCache (real redis-server). The origin
 * records every request it gets, with its validators and the status it answered.
 *
 * Time: max-age expiry is the browser's own clock. The route's max-age is 4 s so that the second
 * navigation lands within it even on a loaded machine (a generous margin: that bound IS the
 * feature), and the test waits 5 s of real time to get past it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TieredCache } from '../../src';
import { HttpCache } from '../../src/http';
import { Chromium } from '../helpers/chromium';
import { RedisServer, sleep } from '../helpers/redis-server';

interface Seen {
  url: string;
  ifNoneMatch: string | undefined;
  status: number;
}

let redis: RedisServer;
let client: Redis;
let cache: TieredCache;
let origin: Server;
let base: string;
let chromium: Chromium;
const seen: Seen[] = [];
let handlerRuns = 0;

beforeAll(async () => {
  redis = await RedisServer.start();
  client = new Redis(redis.options);
  cache = new TieredCache({ l2: client });
  const hc = new HttpCache({ cache, hosts: ['127.0.0.1'] });
  const page = hc.node({ browserTtlMs: 4000, cdnTtlMs: 60_000 }, (_req, res) => {
    handlerRuns++;
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>product</title><p>product 42</p>');
  });
  origin = createServer((req, res) => {
    if (req.url === '/favicon.ico') return void res.writeHead(404).end();
    res.on('finish', () => seen.push({ url: req.url as string, ifNoneMatch: req.headers['if-none-match'] as string | undefined, status: res.statusCode }));
    page(req, res);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  chromium = await Chromium.start();
});

afterAll(async () => {
  await chromium?.stop();
  await new Promise((r) => {
    origin?.closeAllConnections();
    origin?.close(r);
  });
  await cache?.close();
  client?.disconnect();
  await redis?.stop();
});

describe('Chromium in front of the HTTP tier', () => {
  it('within max-age a navigation is served from the browser cache; past it the browser revalidates and gets a 304', async () => {
    const page = await chromium.browser.newPage();
    try {
      const first = await page.goto(`${base}/products/42`);
      expect(first?.status()).toBe(200);
      expect(first?.fromCache()).toBe(false);
      const etag = first?.headers().etag;
      expect(etag).toMatch(/^"/);
      expect(seen.filter((s) => s.url === '/products/42')).toHaveLength(1);

      // A second navigation (not a reload) within max-age=4: the origin sees nothing.
      await page.goto('about:blank');
      const second = await page.goto(`${base}/products/42`);
      expect(second?.status()).toBe(200);
      expect(second?.fromCache()).toBe(true);
      expect(await page.content()).toContain('product 42');
      expect(seen.filter((s) => s.url === '/products/42')).toHaveLength(1);

      // Past max-age: the browser asks with If-None-Match and the origin answers 304 from its entry.
      await sleep(5000);
      await page.goto('about:blank');
      const third = await page.goto(`${base}/products/42`);
      expect(await page.content()).toContain('product 42');
      expect(third?.status()).toBe(304); // what the browser got on the wire (it renders its cached copy)
      expect(third?.fromCache()).toBe(false);
      const requests = seen.filter((s) => s.url === '/products/42');
      expect(requests).toHaveLength(2);
      expect(requests[1]).toEqual({ url: '/products/42', ifNoneMatch: etag, status: 304 });
      expect(handlerRuns).toBe(1);
    } finally {
      await page.close();
    }
  });
});
