/**
 * The Fastify plugin: hooks only, no patched reply. A route opts in with its config:
 *
 * ```ts
 * app.register(httpCache.fastify);
 * app.get('/products/:id', { config: { ringcache: { tags: (r) => [`product:${r.params.id}`] } } }, handler);
 * ```
 *
 * `onRequest` answers hits (and joined loads, and stale entries) before the handler runs;
 * for the one request that loads, `onSend` takes the handler's payload, stores it and sends the
 * entry's answer (a 304 when the validators match). The request that runs a slow handler waits
 * for it (Fastify owns that reply); the requests waiting on it get the stale entry after the
 * route's `timeoutMs`. A stream payload is sent as it is and never stored.
 *
 * The types here are structural (the few members used), so ringcache does not depend on fastify.
 */
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { HttpCache, Plan, Reply, Step } from './http-cache';
import type { RouteCacheOptions } from './options';

/** The members of a Fastify request used here. */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  headers: IncomingMessage['headers'];
  routeOptions: { config?: unknown };
}

/** The members of a Fastify reply used here. */
export interface FastifyReplyLike {
  raw: { once(event: 'close', listener: () => void): unknown };
  statusCode: number;
  code(status: number): FastifyReplyLike;
  header(name: string, value: unknown): FastifyReplyLike;
  hasHeader(name: string): boolean;
  getHeaders(): OutgoingHttpHeaders;
  removeHeader(name: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** The members of a Fastify instance used here. */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
  addHook(name: 'onSend', hook: (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown) => Promise<unknown>): unknown;
}

/** A Fastify plugin function (skip-override: its hooks apply to the whole instance). */
export type FastifyPluginLike = (instance: FastifyInstanceLike, options: unknown, done: (err?: Error) => void) => void;

interface Loading {
  plan: Plan;
  step: Extract<Step, { kind: 'load' }>;
  restore: () => void;
  baseline: ReadonlySet<string>;
}

/** Route config key: `{ config: { ringcache: RouteCacheOptions } }`. */
export const FASTIFY_CONFIG_KEY = 'ringcache';

function replyWith(reply: FastifyReplyLike, r: Reply, baseline?: ReadonlySet<string>): void {
  if (baseline !== undefined) for (const name of Object.keys(reply.getHeaders())) if (!baseline.has(name)) reply.removeHeader(name);
  reply.code(r.status);
  const h = r.headers;
  // Repeated names (several Link headers) go out as one array value.
  const grouped: Record<string, string | string[]> = {};
  for (let i = 0; i < h.length; i += 2) {
    const prev = grouped[h[i]];
    grouped[h[i]] = prev === undefined ? h[i + 1] : Array.isArray(prev) ? [...prev, h[i + 1]] : [prev, h[i + 1]];
  }
  for (const n in grouped) reply.header(n, grouped[n]);
}

function payloadBuffer(payload: unknown): Buffer | undefined {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (typeof payload === 'string') return Buffer.from(payload);
  if (Buffer.isBuffer(payload)) return payload;
  return undefined; // a stream
}

export function fastifyPlugin(hc: HttpCache): FastifyPluginLike {
  const loading = new WeakMap<FastifyRequestLike, Loading>();
  const plugin: FastifyPluginLike = (fastify, _opts, done) => {
    fastify.addHook('onRequest', async (request, reply) => {
      const cfg = (request.routeOptions.config as Record<string, unknown> | undefined)?.[FASTIFY_CONFIG_KEY];
      if (cfg === undefined) return;
      const route = hc.route(cfg as RouteCacheOptions<never>);
      const plan = hc.plan(request.raw, request, route);
      const sh = hc.statusHeader;
      if (typeof plan === 'string') {
        if (plan === 'credentials' && !reply.hasHeader('cache-control')) reply.header('cache-control', 'private, no-store');
        if (sh !== undefined) reply.header(sh, 'BYPASS');
        return;
      }
      const baseline = new Set(Object.keys(reply.getHeaders()));
      const step = hc.peek(plan) ?? (await hc.lookup(plan));
      if (step.kind === 'entry') {
        const r = hc.reply(step.entry, plan, request.headers, step.status);
        replyWith(reply, r, baseline);
        return reply.send(r.body);
      }
      if (step.kind === 'pass') {
        hc.countPass();
        if (sh !== undefined) reply.header(sh, 'PASS');
        return;
      }
      const l: Loading = { plan, step, restore: hc.hideConditionals(request.raw.headers), baseline };
      loading.set(request, l);
      // A reply closed before onSend (client gone) must not leave the key's load pending forever.
      reply.raw.once('close', () => {
        if (loading.get(request) !== l) return;
        loading.delete(request);
        l.restore();
        void l.step.finish(null);
      });
    });
    fastify.addHook('onSend', async (request, reply, payload) => {
      const l = loading.get(request);
      if (l === undefined) return payload;
      loading.delete(request);
      l.restore();
      const body = payloadBuffer(payload);
      const sh = hc.statusHeader;
      if (body === undefined || body.length > l.plan.route.maxBodyBytes) {
        await l.step.finish(null);
        hc.countPass();
        if (sh !== undefined) reply.header(sh, 'PASS');
        return payload;
      }
      const o = await l.step.finish({ status: reply.statusCode, headers: reply.getHeaders(), body });
      if (o.kind === 'entry') {
        const r = hc.reply(o.entry, l.plan, request.headers, o.status);
        replyWith(reply, r, l.baseline);
        return r.body ?? null;
      }
      hc.countPass();
      if (sh !== undefined) reply.header(sh, 'PASS');
      return payload;
    });
    done();
  };
  (plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
  (plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'ringcache-http';
  return plugin;
}
