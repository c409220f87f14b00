/**
 * ringcache over TLS: servers started here with `--port 0` (no plain-text listener at all) and a
 * `tls-port`, a CA and a server certificate made with `openssl` for this run; a Cluster with the
 * cluster bus over TLS too (`tls-cluster yes`). RedisStore, RingStore, ClusterStore and a
 * TieredCache with a bus work; a client trusting another CA is refused with an error that says
 * so; a plain-text client gets nothing.
 */
import { Cluster, Redis } from 'ioredis';
import { connect } from 'node:net';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TieredCache } from '../../src/cache/tiered-cache';
import { ClusterStore } from '../../src/cluster/cluster-store';
import { RedisStore } from '../../src/routing/redis-store';
import { RingStore } from '../../src/routing/ring-store';
import { afterBusMessage } from '../helpers/chaos-store';
import { notDefaultProject } from '../helpers/project';
import { HOST } from '../helpers/redis-server';
import { makeTlsFiles, tlsCli, tlsClientOptions, TlsRedisCluster, TlsRedisServer, type TlsFiles } from '../helpers/redis-tls';

// One engine configuration is enough (the default): nothing here depends on the hashing backend.
const run = notDefaultProject ? describe.skip : describe;

let files: TlsFiles;
let servers: TlsRedisServer[] = [];
let cluster: TlsRedisCluster;

/** What a plain-text client gets from `port`: the first bytes, or how the connection ended. */
function plainPing(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: HOST, port });
    let got = '';
    const done = (what: string) => {
      s.destroy();
      resolve(what);
    };
    const timer = setTimeout(() => done(got === '' ? 'no reply' : got), 1500);
    s.on('connect', () => s.write('*1\r\n$4\r\nPING\r\n'));
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('PONG')) {
        clearTimeout(timer);
        done(got);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      done(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`);
    });
    s.on('close', () => {
      clearTimeout(timer);
      done(got === '' ? 'closed' : got);
    });
  });
}

run('TLS', () => {
  beforeAll(async () => {
    files = makeTlsFiles();
    servers = await Promise.all([0, 1].map(() => TlsRedisServer.start(files)));
    cluster = await TlsRedisCluster.start(files, 3);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await cluster?.stop();
    if (files) rmSync(files.dir, { recursive: true, force: true });
  });

  it('the servers have no plain-text listener, and plain text to the TLS port gets no reply', async () => {
    for (const s of [...servers, ...cluster.nodes]) {
      expect(tlsCli(files, s.port, 'CONFIG', 'GET', 'port').trim().split('\n')).toEqual(['port', '0']);
      expect(await plainPing(s.port)).not.toContain('PONG');
    }
    for (const n of cluster.nodes) expect(tlsCli(files, n.port, 'CONFIG', 'GET', 'tls-cluster').trim().split('\n')).toEqual(['tls-cluster', 'yes']);
  });

  it('RedisStore works over TLS', async () => {
    const store = new RedisStore(`rediss://${HOST}:${servers[0]!.port}`, { redisOptions: { tls: tlsClientOptions(files) } });
    try {
      await store.mset([['tls:a', '1'], ['tls:b', '2']], 60_000);
      expect(await store.mget(['tls:a', 'tls:b', 'tls:none'])).toEqual(['1', '2', null]);
      expect(await store.get('tls:a')).toBe('1');
      expect(tlsCli(files, servers[0]!.port, 'GET', 'tls:b').trim()).toBe('2');
    } finally {
      await store.close();
    }
  });

  it('a client that trusts another CA is refused, and the error names the certificate problem', async () => {
    const store = new RedisStore(`rediss://${HOST}:${servers[0]!.port}`, {
      redisOptions: { tls: tlsClientOptions(files, files.otherCaCert) },
    });
    try {
      const err = (await store.get('tls:a').then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
      expect(err).toBeInstanceOf(Error);
      const chain = [err.message, (err.cause as Error | undefined)?.message ?? ''].join(' | ');
      expect(chain).toMatch(/certificate/i);
    } finally {
      await store.close();
    }
  });

  it('a ClusterStore that trusts another CA is refused, and the error names the certificate problem', async () => {
    const store = new ClusterStore(
      cluster.ports.map((port) => ({ host: HOST, port })),
      { retryTimeoutMs: 1500, clusterOptions: { redisOptions: { tls: tlsClientOptions(files, files.otherCaCert) } } },
    );
    try {
      const err = (await store.get('tls:a').then(
        () => undefined,
        (e: unknown) => e,
      )) as Error;
      expect(err).toBeInstanceOf(Error);
      expect([err.message, (err.cause as Error | undefined)?.message ?? ''].join(' | ')).toMatch(/certificate/i);
    } finally {
      await store.close();
    }
  });

  it('RingStore over two TLS nodes places keys on both and reads them back', async () => {
    const store = new RingStore(
      servers.map((s, i) => ({ node: `rediss://${HOST}:${s.port}`, alias: `tls-${i}` })),
      { redisOptions: { tls: tlsClientOptions(files) } },
    );
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `ring:${i}`);
      await store.mset(
        keys.map((k) => [k, k.toUpperCase()] as const),
        60_000,
      );
      expect(await store.mget(keys)).toEqual(keys.map((k) => k.toUpperCase()));
      const perNode = servers.map((s) => Number(tlsCli(files, s.port, 'DBSIZE').trim()));
      expect(perNode.every((n) => n > 20)).toBe(true);
      expect(perNode.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(200);
    } finally {
      await store.close();
    }
  });

  it('ClusterStore over a TLS cluster (cluster bus over TLS too)', async () => {
    const store = new ClusterStore(
      cluster.ports.map((port) => ({ host: HOST, port })),
      { clusterOptions: { redisOptions: { tls: tlsClientOptions(files) } } },
    );
    try {
      const keys = Array.from({ length: 300 }, (_, i) => `c:${i}`);
      await store.mset(
        keys.map((k, i) => [k, String(i)] as const),
        60_000,
      );
      expect(await store.mget(keys)).toEqual(keys.map((_, i) => String(i)));
      const perNode = cluster.nodes.map((n) => Number(tlsCli(files, n.port, 'DBSIZE').trim()));
      expect(perNode.every((n) => n > 50)).toBe(true);
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(300);
    } finally {
      await store.close();
    }
  });

  it('TieredCache with a bus over TLS: standalone and Cluster (sharded pub/sub)', async () => {
    const tls = tlsClientOptions(files);
    const makeStandalone = () => new Redis({ host: HOST, port: servers[1]!.port, tls, enableAutoPipelining: true });
    const makeCluster = () => new Cluster([{ host: HOST, port: cluster.ports[0]! }], { redisOptions: { tls } });
    for (const make of [makeStandalone, makeCluster]) {
      const clients = [make(), make()];
      for (const c of clients) c.on('error', () => {});
      const [a, b] = clients.map((l2) => new TieredCache({ l2, bus: true, lock: true }));
      try {
        await Promise.all([a!.ready(), b!.ready()]);
        await a!.set('tls:user', { v: 1 }, { tags: ['t'] });
        expect(await b!.get('tls:user')).toEqual({ v: 1 }); // now in B's L1
        await afterBusMessage(b!, () => a!.set('tls:user', { v: 2 }, { tags: ['t'] }));
        expect(await b!.get('tls:user')).toEqual({ v: 2 });
        let loads = 0;
        const got = await Promise.all([a!, b!].map((c) => c.getOrSet('tls:loaded', async () => ++loads)));
        expect(got).toEqual([1, 1]);
        expect(loads).toBe(1);
        await afterBusMessage(b!, () => a!.deleteByTag('t'));
        expect(await b!.get('tls:user')).toBeUndefined();
      } finally {
        await Promise.all([a!.close(), b!.close()]);
        for (const c of clients) c.disconnect();
      }
    }
  });
});
