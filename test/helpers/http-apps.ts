/**
 * One test application, built three ways (plain node:http, Express 5, Fastify 5) over the same
 * HttpCache, so every HTTP-tier test runs against each adapter. A route is a path pattern
 * (`:name` segments; `*` matches any path on node:http), its cache options (or none: an uncached route) and a handler returning
 * status/headers/body (or throwing). Servers listen on a free loopback port and are closed by
 * the test.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import type { HttpCache, RouteCacheOptions } from '../../src/http';

export type Framework = 'node' | 'express' | 'fastify';
export const FRAMEWORKS: readonly Framework[] = ['node', 'express', 'fastify'];

/** What a route's handler sees. */
export interface Ctx {
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  url: string;
}

export interface Answer {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface RouteSpec {
  path: string;
  cache?: RouteCacheOptions<{ params?: Record<string, string>; headers: IncomingHttpHeaders }>;
  handler: (ctx: Ctx) => Answer | Promise<Answer>;
}

export interface App {
  port: number;
  url: string;
  close(): Promise<void>;
}

function match(pattern: string, path: string): Record<string, string> | undefined {
  if (pattern === '*') return {};
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return undefined;
  }
  return params;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

async function nodeApp(hc: HttpCache, routes: readonly RouteSpec[]): Promise<Server> {
  const handlers = routes.map((r) => {
    const run = async (req: IncomingMessage, res: import('node:http').ServerResponse, params: Record<string, string>): Promise<void> => {
      const a = await r.handler({ params, headers: req.headers, url: req.url ?? '' });
      res.writeHead(a.status ?? 200, a.headers ?? {});
      res.end(a.body ?? '');
    };
    return { r, run };
  });
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    for (const { r, run } of handlers) {
      const params = match(r.path, path);
      if (params === undefined) continue;
      const withParams = Object.assign(req, { params });
      if (r.cache === undefined) void run(req, res, params).catch(() => res.writeHead(500).end());
      else hc.node(r.cache as RouteCacheOptions<IncomingMessage>, (q, s) => run(q, s, params))(withParams, res);
      return;
    }
    res.writeHead(404).end('not found');
  });
}

function expressApp(hc: HttpCache, routes: readonly RouteSpec[]): Server {
  const app = express();
  app.set('etag', false);
  for (const r of routes) {
    const handler = async (req: express.Request, res: express.Response): Promise<void> => {
      const a = await r.handler({ params: req.params as Record<string, string>, headers: req.headers, url: req.url });
      res.status(a.status ?? 200);
      for (const [n, v] of Object.entries(a.headers ?? {})) res.set(n, v);
      res.send(a.body ?? '');
    };
    if (r.cache === undefined) app.get(r.path, handler);
    else app.get(r.path, hc.express(r.cache as RouteCacheOptions<express.Request>), handler);
  }
  return createServer(app);
}

async function fastifyApp(hc: HttpCache, routes: readonly RouteSpec[]): Promise<{ server: Server; close: () => Promise<void> }> {
  const app = Fastify();
  await app.register(hc.fastify as never);
  for (const r of routes) {
    const config: Record<string, unknown> = r.cache === undefined ? {} : { ringcache: r.cache };
    app.get(r.path, { config }, async (req, reply) => {
      const a = await r.handler({ params: req.params as Record<string, string>, headers: req.headers, url: req.url });
      reply.code(a.status ?? 200).headers(a.headers ?? {});
      return a.body ?? '';
    });
  }
  await app.ready();
  return { server: app.server, close: () => app.close() };
}

/** Starts `routes` under `framework` on a free loopback port. */
export async function startApp(framework: Framework, hc: HttpCache, routes: readonly RouteSpec[]): Promise<App> {
  if (framework === 'fastify') {
    const f = await fastifyApp(hc, routes);
    const port = await listen(f.server);
    return { port, url: `http://127.0.0.1:${port}`, close: f.close };
  }
  const server = framework === 'node' ? await nodeApp(hc, routes) : expressApp(hc, routes);
  const port = await listen(server);
  return { port, url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
}

export interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers and this raw path (no normalisation by the client). */
export function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
