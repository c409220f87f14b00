/**
 * `ringcache/http`: the browser and CDN tiers over a TieredCache. See README's "HTTP tiers".
 *
 * ```ts
 * const http = new HttpCache({ cache, hosts: ['shop.example'], purgers: [varnishPurger({ url: 'http://127.0.0.1:6081' })] });
 * app.get('/products/:id', http.express({ browserTtlMs: 1000, cdnTtlMs: 60_000, ttlMs: 3_600_000, tags: (req) => [`product:${req.params.id}`] }), handler);
 * await http.invalidateTags(['product:42']); // L1 of every process, Redis, then Varnish
 * ```
 */
import type { IncomingMessage } from 'node:http';
import { HttpCache as HttpCacheCore } from './http-cache';
import { expressMiddleware, nodeHandler, type Middleware, type NodeHandler } from './node-adapter';
import { fastifyPlugin, type FastifyPluginLike } from './fastify-plugin';
import type { RouteCacheOptions } from './options';

/** The HTTP tier with its three adapters. */
export class HttpCache extends HttpCacheCore {
  #fastify: FastifyPluginLike | undefined;

  /** Wraps a node:http handler: `http.createServer(httpCache.node(route, handler))`. */
  node(route: RouteCacheOptions<IncomingMessage>, handler: NodeHandler): NodeHandler {
    return nodeHandler(this, route, handler);
  }

  /** Connect/Express middleware for one route: `app.get(path, httpCache.express(route), handler)`. */
  express<Req extends IncomingMessage = IncomingMessage>(route: RouteCacheOptions<Req> = {}): Middleware {
    return expressMiddleware(this, route);
  }

  /** The Fastify plugin: `app.register(httpCache.fastify)`; routes opt in with `config.ringcache`. */
  get fastify(): FastifyPluginLike {
    return (this.#fastify ??= fastifyPlugin(this));
  }
}

export {
  type BypassReason,
  type CacheStatus,
  type CapturedResponse,
  type HttpCacheEvent,
  type HttpCacheStats,
  type Outcome,
  type Plan,
  type Reply,
  type Step,
} from './http-cache';
export { DEFAULT_HTTP_CACHE_OPTIONS, DEFAULT_ROUTE_OPTIONS, DEFAULT_STORED_HEADERS, DEFAULT_STRIP_HEADERS, type HttpCacheOptions, type RequestLike, type RouteCacheOptions } from './options';
export { cloudflarePurger, fastlyPurger, varnishPurger, type CloudflarePurgerOptions, type FastlyPurgerOptions, type Purger, type VarnishPurgerOptions } from './purgers';
export { HandlerError, HttpPurgeError } from './errors';
export { FASTIFY_CONFIG_KEY, type FastifyInstanceLike, type FastifyPluginLike, type FastifyReplyLike, type FastifyRequestLike } from './fastify-plugin';
export type { Middleware, NodeHandler } from './node-adapter';
export type { ResolvedRoute } from './route';
export type { ResponseEntry } from './entry';
