/**
 * The node:http wrapper and the Connect/Express middleware: one request flow over a
 * `ServerResponse` (see capture.ts for how the handler's response is taken).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BypassReason, HttpCache, Plan, Reply, Step } from './http-cache';
import type { RouteCacheOptions } from './options';
import { captureResponse } from './capture';
import type { ResolvedRoute } from './route';

/** A node:http request handler (may return a promise; a rejection is a handler failure). */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Connect/Express middleware: `next()` runs the route's handler, `next(err)` reports an error. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/**
 * Writes `reply` on `res`. With `baseline` (the headers set before the cache took the request),
 * every header set since (by the handler that ran) is removed first; without, nothing was set
 * since, and the reply's headers join those already there (writeHead's no-copy path when none).
 */
export function sendReply(res: ServerResponse, reply: Reply, baseline?: ReadonlySet<string>): void {
  if (baseline !== undefined) for (const name of res.getHeaderNames()) if (!baseline.has(name)) res.removeHeader(name);
  // writeHead only reads the list (the flat form, no copy): the shared frozen one is safe here.
  res.writeHead(reply.status, reply.headers as string[]);
  res.end(reply.body);
}

function setStatus(hc: HttpCache, res: ServerResponse, status: string): void {
  const h = hc.statusHeader;
  if (h !== undefined && !res.headersSent) res.setHeader(h, status);
}

/**
 * Step 1 and the L1 hit: the request's plan (or why it bypasses the cache), or `undefined` once
 * it was answered from this process's L1, synchronously and allocating no closure. Throws what
 * `plan` throws (a `key(req)`/`tags(req)` error).
 */
function planOrHit(hc: HttpCache, route: ResolvedRoute, req: IncomingMessage, res: ServerResponse): Plan | BypassReason | undefined {
  const plan = hc.plan(req, req, route);
  if (typeof plan === 'string') return plan;
  const hit = hc.peek(plan);
  if (hit === undefined) return plan;
  sendReply(res, hc.reply(hit.entry, plan, req.headers, hit.status));
  return undefined;
}

/**
 * One request past {@link planOrHit}: run the handler (`run`) uncached, or look the key up (L2,
 * a load in flight) and answer from the entry, or run the handler for the cache and answer from
 * what it produced. `onError` reports a handler error that fail-safe could not cover.
 */
function handle(hc: HttpCache, plan: Plan | BypassReason, req: IncomingMessage, res: ServerResponse, run: () => unknown, onError: (err: unknown) => void): void {
  const invoke = (): void => {
    try {
      const r = run();
      if (r instanceof Promise) r.catch(onError);
    } catch (err) {
      onError(err);
    }
  };
  if (typeof plan === 'string') {
    // Safe by default: a credentialed response the handler does not mark stays out of shared caches.
    if (plan === 'credentials' && !res.hasHeader('cache-control')) res.setHeader('cache-control', 'private, no-store');
    setStatus(hc, res, 'BYPASS');
    invoke();
    return;
  }
  const p = plan;
  const route = p.route;
  const baseline = new Set(res.getHeaderNames());
  void hc.lookup(p).then((step: Step) => {
    if (step.kind === 'entry') {
      sendReply(res, hc.reply(step.entry, p, req.headers, step.status));
      return;
    }
    if (step.kind === 'pass') {
      hc.countPass();
      setStatus(hc, res, 'PASS');
      invoke();
      return;
    }
    const restoreHeaders = hc.hideConditionals(req.headers);
    let finished = false;
    let release = (): void => undefined;
    const finish = (r: Parameters<typeof step.finish>[0]): void => {
      if (finished) return;
      finished = true;
      restoreHeaders();
      if (r instanceof Error) release(); // the handler never ended the response: stop capturing
      void step.finish(r).then((o) => {
        if (r === null) return; // streaming already
        if (o.kind === 'entry') sendReply(res, hc.reply(o.entry, p, req.headers, o.status), baseline);
        else if (o.kind === 'error') onError(o.error);
        else {
          hc.countPass();
          setStatus(hc, res, 'PASS');
          res.end((r as { body: Buffer }).body);
        }
      });
    };
    // A response closed before the handler ended it (client gone, handler abandoned it) must not
    // leave the key's load pending forever: the requests waiting on it run their own handler.
    res.once('close', () => finish(null));
    release = captureResponse(
      res,
      route.maxBodyBytes,
      (c) => finish(c),
      () => {
        hc.countPass();
        setStatus(hc, res, 'PASS');
        finish(null);
      },
    );
    try {
      const r = run();
      if (r instanceof Promise) r.catch((err: unknown) => finish(err instanceof Error ? err : new Error(String(err))));
    } catch (err) {
      finish(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

function defaultOnError(res: ServerResponse): (err: unknown) => void {
  return () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.statusCode = 500;
    res.setHeader('cache-control', 'no-store');
    res.end();
  };
}

/** Wraps a node:http handler: `createServer(httpCache.node({ cdnTtlMs: 60_000 }, handler))`. */
export function nodeHandler(hc: HttpCache, options: RouteCacheOptions<IncomingMessage>, handler: NodeHandler): NodeHandler {
  if (typeof handler !== 'function') throw new TypeError(`Expected a function for handler but received ${typeof handler}`);
  const route = hc.route(options as RouteCacheOptions<never>);
  return (req, res) => {
    let plan;
    try {
      plan = planOrHit(hc, route, req, res);
    } catch (err) {
      defaultOnError(res)(err);
      return;
    }
    if (plan !== undefined) handle(hc, plan, req, res, () => handler(req, res), defaultOnError(res));
  };
}

/** Connect/Express middleware: `app.get('/p/:id', httpCache.express({ tags: … }), handler)`. */
export function expressMiddleware<Req extends IncomingMessage = IncomingMessage>(hc: HttpCache, options: RouteCacheOptions<Req> = {}): Middleware {
  const route = hc.route(options as RouteCacheOptions<never>);
  return (req, res, next) => {
    let plan;
    try {
      plan = planOrHit(hc, route, req, res);
    } catch (err) {
      next(err);
      return;
    }
    if (plan !== undefined) handle(hc, plan, req, res, next, next);
  };
}
