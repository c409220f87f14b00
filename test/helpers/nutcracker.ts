/**
 * Debian's `nutcracker` (twemproxy 0.5.0) for tests: one pool, listening on a free loopback
 * port, with its stats server on another (`-s`/`-a 127.0.0.1`: the default is 0.0.0.0:22222,
 * shared by every instance), config, log and pid file in a fresh temp dir. Ready when it
 * answers PING (nutcracker answers it itself). Stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { trackServer, untrackServer } from './reaper';
import { HOST, logTail, redisCall, sleep } from './redis-server';

export const NUTCRACKER_BIN = process.env.NUTCRACKER_BIN ?? '/usr/sbin/nutcracker';

/** A backend of the pool: `host:port:weight [name]` in nutcracker's config. */
export interface NutcrackerServer {
  host?: string;
  port: number;
  /** @default 1 */
  weight?: number;
  name?: string;
}

/** Options for {@link Nutcracker.start}. */
export interface NutcrackerOptions {
  servers: readonly NutcrackerServer[];
  /** @default 'ketama' */
  distribution?: 'ketama' | 'modula' | 'random';
  /** @default 'md5' */
  hash?: string;
  /** e.g. `'{}'`. */
  hashTag?: string;
  /** `auto_eject_hosts`. @default false */
  autoEject?: boolean;
  /** `server_failure_limit`: consecutive failures that eject a server. @default 2 (nutcracker's) */
  serverFailureLimit?: number;
  /** `server_retry_timeout` in ms: how long an ejected server stays out. @default 30000 (nutcracker's) */
  serverRetryTimeoutMs?: number;
  /** Backend timeout in ms. @default 2000 */
  timeoutMs?: number;
}

const live = new Map<number, ChildProcess>();
let hookInstalled = false;

export class Nutcracker {
  readonly host = HOST;
  readonly #dir: string;
  #port = 0;
  #statsPort = 0;
  #child: ChildProcess | undefined;
  #exited: Promise<void> | undefined;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Writes the config, starts nutcracker on free ports and waits until it answers PING. */
  static async start(opts: NutcrackerOptions): Promise<Nutcracker> {
    const n = new Nutcracker(mkdtempSync(join(tmpdir(), 'ringcache-nutcracker-')));
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await n.#startOn(await freePort(), await freePort(), opts);
        return n;
      } catch (err) {
        lastErr = err;
        await n.#kill();
      }
    }
    rmSync(n.#dir, { recursive: true, force: true });
    throw lastErr;
  }

  get port(): number {
    return this.#port;
  }
  get statsPort(): number {
    return this.#statsPort;
  }
  get pid(): number | undefined {
    return this.#child?.pid;
  }
  /** `host:port` of the listener. */
  get address(): string {
    return `${HOST}:${this.#port}`;
  }

  async #startOn(port: number, statsPort: number, opts: NutcrackerOptions): Promise<void> {
    this.#port = port;
    this.#statsPort = statsPort;
    const conf = join(this.#dir, 'nutcracker.yml');
    const lines = [
      'pool:',
      `  listen: ${HOST}:${port}`,
      `  hash: ${opts.hash ?? 'md5'}`,
      `  distribution: ${opts.distribution ?? 'ketama'}`,
      '  redis: true',
      `  auto_eject_hosts: ${opts.autoEject ? 'true' : 'false'}`,
      `  server_failure_limit: ${opts.serverFailureLimit ?? 2}`,
      `  server_retry_timeout: ${opts.serverRetryTimeoutMs ?? 30_000}`,
      `  timeout: ${opts.timeoutMs ?? 2000}`,
      '  preconnect: false',
    ];
    if (opts.hashTag !== undefined) lines.push(`  hash_tag: "${opts.hashTag}"`);
    lines.push('  servers:');
    for (const s of opts.servers) lines.push(`   - ${s.host ?? HOST}:${s.port}:${s.weight ?? 1}${s.name ? ` ${s.name}` : ''}`);
    writeFileSync(conf, lines.join('\n') + '\n');
    const log = join(this.#dir, 'nutcracker.log');
    if (!hookInstalled) {
      hookInstalled = true;
      process.on('exit', () => {
        for (const pid of live.keys()) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      });
    }
    const child = spawn(
      NUTCRACKER_BIN,
      ['-c', conf, '-s', String(statsPort), '-a', HOST, '-p', join(this.#dir, 'nutcracker.pid'), '-o', log, '-v', '4'],
      { stdio: 'ignore' },
    );
    if (child.pid === undefined) throw new Error(`Could not spawn ${NUTCRACKER_BIN}`);
    const pid = child.pid;
    live.set(pid, child);
    trackServer(pid, NUTCRACKER_BIN); // reaped by the next test process if this one is SIGKILLed
    this.#child = child;
    let gone = false;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        gone = true;
        live.delete(pid);
        untrackServer(pid);
        resolve();
      });
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (gone) throw new Error(`nutcracker exited during startup:\n${logTail(log)}`);
      try {
        if ((await redisCall(port, 'PING')) === 'PONG') return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`nutcracker on port ${port} did not answer PING:\n${logTail(log)}`);
      await sleep(20);
    }
  }

  async #kill(): Promise<void> {
    const child = this.#child;
    if (!child?.pid || !live.has(child.pid)) return;
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      return;
    }
    await this.#exited;
    this.#child = undefined;
  }

  /** Stops by PID (SIGTERM, then SIGKILL) and removes the dir. Safe to call twice. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child?.pid && live.has(child.pid)) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      const timer = setTimeout(() => void this.#kill(), 1000);
      await this.#exited;
      clearTimeout(timer);
    }
    this.#child = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
