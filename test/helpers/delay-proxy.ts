/**
 * A TCP proxy on a free loopback port in front of a real server, for slow and broken links: each
 * chunk is forwarded after `delayMs` (order kept, per direction), the link can be held (bytes
 * queue until released) or cut (every connection reset). Clients connect to `proxy.port`; the
 * server never knows. Used where a test needs a late reply from a real Redis, which a paused
 * server (SIGSTOP) cannot give selectively.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port';
import { HOST } from './redis-server';

/** Which way the delay applies: requests to the server, replies to the client, or both. */
export type Direction = 'both' | 'toServer' | 'toClient';

export class DelayProxy {
  readonly port: number;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #delayMs = 0;
  #direction: Direction = 'both';
  #held: (() => void)[] | undefined;
  /** Connections accepted so far. */
  connections = 0;

  private constructor(port: number, server: Server) {
    this.port = port;
    this.#server = server;
  }

  /** A proxy to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<DelayProxy> {
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      const server = createServer();
      const proxy = new DelayProxy(port, server);
      server.on('connection', (client) => proxy.#accept(client, targetPort));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port, host: HOST, exclusive: true }, resolve);
        });
        return proxy;
      } catch (err) {
        if (attempt >= 4) throw err;
      }
    }
  }

  /** `{ host, port }` for a client. */
  get options(): { host: string; port: number } {
    return { host: HOST, port: this.port };
  }

  /** Every chunk from now on is forwarded `ms` later (in `direction`). */
  delay(ms: number, direction: Direction = 'both'): this {
    this.#delayMs = ms;
    this.#direction = direction;
    return this;
  }

  /** Holds every byte (both ways) until {@link release}: a link that went silent. */
  hold(): this {
    this.#held ??= [];
    return this;
  }

  release(): this {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const send of held) send();
    return this;
  }

  /** Resets every open connection (new ones are still accepted): a network blip. */
  cut(): this {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    return this;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }

  #accept(client: Socket, targetPort: number): void {
    this.connections++;
    const upstream = connect({ port: targetPort, host: HOST });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.#sockets.add(client);
    this.#sockets.add(upstream);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(upstream);
    };
    for (const s of [client, upstream]) {
      s.on('error', close);
      s.on('close', close);
    }
    this.#forward(client, upstream, 'toServer');
    this.#forward(upstream, client, 'toClient');
  }

  /** Forwards `from` → `to`, in order, each chunk after the delay in force when it arrived. */
  #forward(from: Socket, to: Socket, dir: 'toServer' | 'toClient'): void {
    let chain = Promise.resolve();
    from.on('data', (chunk) => {
      const ms = this.#direction === 'both' || this.#direction === dir ? this.#delayMs : 0;
      const due = Date.now() + ms; // a link's latency: each chunk `ms` after it arrived, in order
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (this.#held !== undefined) await new Promise<void>((r) => this.#held!.push(r));
        if (!to.destroyed) to.write(chunk);
      });
    });
  }
}
