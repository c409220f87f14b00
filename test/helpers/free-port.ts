/**
 * Free loopback TCP ports for test servers.
 *
 * The kernel picks the port (bind to port 0), so there is no fixed port to collide on. A port
 * is free when returned but nothing in the kernel reserves it: a server that fails to bind must
 * be retried on a new port (the redis helpers do). What keeps two test processes apart is a
 * claim file per port under `os.tmpdir()/ringcache-test-ports` (test/helpers/owner-files.ts):
 * a port handed out here stays ours until this process exits (or {@link releasePort}), even while
 * nothing listens on it — so a server killed with `kill -9` and restarted on the same port cannot
 * lose it to a parallel test file. Claims of a process that died are taken over.
 */
import { createServer } from 'node:net';
import { OwnerFiles } from './owner-files';

const handedOut = new Set<number>();
let claims: OwnerFiles<object> | undefined;

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A free port on 127.0.0.1, claimed for this process. `maxPort` keeps it low enough for a derived
 * port (e.g. a Redis Cluster bus at port + 10000) to stay valid, though our helpers pass
 * `cluster-port` explicitly.
 */
export async function freePort(maxPort = 65535): Promise<number> {
  claims ??= new OwnerFiles<object>('ringcache-test-ports');
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await bindEphemeral();
    if (port > 0 && port <= maxPort && !handedOut.has(port) && claims.claim(String(port), {})) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`Could not find a free port on 127.0.0.1 at or below ${maxPort} after 200 attempts`);
}

/** `n` distinct free ports. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort());
  return out;
}

/** Lets other test processes have `port` again (this process still never reuses it). */
export function releasePort(port: number): void {
  claims?.release(String(port));
}
