/**
 * A standalone `redis-server` for tests: a free loopback port, a fresh `mkdtemp` dir, no
 * persistence (`--save '' --appendonly no`), ready when it answers PING. Stopped by PID
 * (SIGTERM, then SIGKILL after a grace period) and its dir removed. Never touches 6379.
 *
 * Also exports a tiny RESP client ({@link RespClient}, {@link redisCall}) so helpers can talk
 * to servers without ioredis's reconnect logic getting in the way (readiness polls, ASK checks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, releasePort } from './free-port';
import { trackServer, untrackServer } from './reaper';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
export const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';
export const HOST = '127.0.0.1';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Minimal RESP2 client
// ---------------------------------------------------------------------------------------------

/** An error reply (`-ERR …`, `-MOVED …`, `-ASK …`), returned as a value by {@link RespClient.send}. */
export class RespError extends Error {
  override name = 'RespError';
}

export type RespValue = string | number | null | RespError | RespValue[];

/** Incremental RESP2 parser; returns undefined when `buf` does not yet hold a whole reply. */
function parseReply(buf: Buffer, start: number): { value: RespValue; end: number } | undefined {
  if (start >= buf.length) return undefined;
  const lineEnd = buf.indexOf('\r\n', start);
  if (lineEnd < 0) return undefined;
  const type = buf[start];
  const line = buf.toString('utf8', start + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case 0x2b: // +
      return { value: line, end: next };
    case 0x2d: // -
      return { value: new RespError(line), end: next };
    case 0x3a: // :
      return { value: Number(line), end: next };
    case 0x24: {
      // $
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString('utf8', next, next + len), end: next + len + 2 };
    }
    case 0x2a: {
      // *
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const arr: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, pos);
        if (r === undefined) return undefined;
        arr.push(r.value);
        pos = r.end;
      }
      return { value: arr, end: pos };
    }
    default:
      throw new Error(`Unexpected RESP type byte ${type} at ${start}`);
  }
}

function encode(args: readonly (string | number | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** One connection, commands pipelined in order. Error replies resolve as {@link RespError}. */
export class RespClient {
  #socket: Socket;
  #buf: Buffer = Buffer.alloc(0);
  #pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
  #closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk) => {
      this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
      let pos = 0;
      for (;;) {
        const r = parseReply(this.#buf, pos);
        if (r === undefined) break;
        pos = r.end;
        this.#pending.shift()?.resolve(r.value);
      }
      this.#buf = this.#buf.subarray(pos);
    });
    const fail = (err: Error) => {
      this.#closed = true;
      for (const p of this.#pending.splice(0)) p.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('RESP connection closed')));
  }

  static connect(port: number, host = HOST, timeoutMs = 2000): Promise<RespClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RespClient(socket));
      });
    });
  }

  send(...args: (string | number | Buffer)[]): Promise<RespValue> {
    if (this.#closed) return Promise.reject(new Error('RESP connection closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
      this.#socket.write(encode(args));
    });
  }

  /** Like send, but an error reply rejects. */
  async call(...args: (string | number | Buffer)[]): Promise<RespValue> {
    const v = await this.send(...args);
    if (v instanceof RespError) throw v;
    return v;
  }

  close(): void {
    this.#closed = true;
    this.#socket.destroy();
  }
}

/** One command on a short-lived connection; an error reply rejects. */
export async function redisCall(port: number, ...args: (string | number | Buffer)[]): Promise<RespValue> {
  const c = await RespClient.connect(port);
  try {
    return await c.call(...args);
  } finally {
    c.close();
  }
}

/** `INFO section` parsed to a map. */
export async function redisInfo(port: number, section: string): Promise<Map<string, string>> {
  const text = String(await redisCall(port, 'INFO', section));
  const map = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) map.set(line.slice(0, i), line.slice(i + 1));
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// Process management
// ---------------------------------------------------------------------------------------------

/** PIDs of every redis-server this process started and has not yet seen exit. */
const live = new Map<number, ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test run dies without reaching afterAll: kill our own children by PID.
  const killAll = (): void => {
    for (const pid of live.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      // Keep the default action (terminate) unless someone else handles the signal.
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  }
}

/** A spawned redis-server process (standalone or cluster node). */
export interface RedisProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code/signal when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `redis-server` with `args` (already including `--port`, `--dir`, …). */
export function spawnRedis(args: readonly string[]): RedisProcess {
  installExitHook();
  const child = spawn(REDIS_SERVER_BIN, args as string[], { stdio: 'ignore' });
  if (child.pid === undefined) throw new Error(`Could not spawn ${REDIS_SERVER_BIN}`);
  const pid = child.pid;
  live.set(pid, child);
  trackServer(pid, REDIS_SERVER_BIN); // reaped by the next test process if this one is SIGKILLed
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(pid);
      untrackServer(pid);
      resolve({ code, signal });
    });
    child.once('error', () => {
      live.delete(pid);
      untrackServer(pid);
      resolve({ code: -1, signal: null });
    });
  });
  return { pid, child, exited };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopProcess(p: RedisProcess, graceMs = 2000): Promise<void> {
  if (!live.has(p.pid)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** SIGKILL (kill -9); resolves when the process is gone. */
export async function killProcess(p: RedisProcess): Promise<void> {
  if (!live.has(p.pid)) return;
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    return;
  }
  await p.exited;
}

/** Polls PING until PONG; rejects early if the process exits, with the log tail. */
export async function waitForPing(port: number, p: RedisProcess, logFile: string, timeoutMs = 10_000): Promise<void> {
  let exited = false;
  void p.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`redis-server on port ${port} exited during startup:\n${logTail(logFile)}`);
    try {
      if ((await redisCall(port, 'PING')) === 'PONG') return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING in ${timeoutMs} ms:\n${logTail(logFile)}`);
    await sleep(15);
  }
}

export function logTail(logFile: string, lines = 15): string {
  try {
    return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Options for {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: readonly string[];
}

/** Base arguments shared by standalone and cluster nodes. */
export function baseArgs(port: number, dir: string): string[] {
  return [
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--logfile', join(dir, 'redis.log'),
  ];
}

/** A standalone redis-server on a free loopback port. */
export class RedisServer {
  readonly host = HOST;
  #port = 0;
  #dir: string;
  #args: readonly string[];
  #proc: RedisProcess | undefined;

  private constructor(dir: string, args: readonly string[]) {
    this.#dir = dir;
    this.#args = args;
  }

  /** Starts a server (retrying on a new port if the chosen one was taken meanwhile). */
  static async start(opts: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'ringcache-redis-'));
    const s = new RedisServer(dir, opts.args ?? []);
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await s.#startOn(await freePort());
        return s;
      } catch (err) {
        lastErr = err;
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }

  async #startOn(port: number): Promise<void> {
    this.#port = port;
    const proc = spawnRedis([...baseArgs(port, this.#dir), ...this.#args]);
    this.#proc = proc;
    try {
      await waitForPing(port, proc, join(this.#dir, 'redis.log'));
    } catch (err) {
      await killProcess(proc);
      throw err;
    }
  }

  get port(): number {
    return this.#port;
  }
  get dir(): string {
    return this.#dir;
  }
  /** PID of the running process (undefined when stopped or killed). */
  get pid(): number | undefined {
    return this.#proc?.pid;
  }
  /** `{ host, port }` for an ioredis `Redis`. */
  get options(): { host: string; port: number } {
    return { host: HOST, port: this.#port };
  }

  /**
   * kill -9; the dir is kept so {@link restart} can bring it back on the same port (which stays
   * claimed by this process meanwhile: see test/helpers/free-port.ts).
   */
  async kill9(): Promise<void> {
    if (this.#proc) await killProcess(this.#proc);
    this.#proc = undefined;
  }

  /** Stops (SIGTERM) if running, then starts again on the same port (data is not persisted). */
  async restart(): Promise<void> {
    if (this.#proc) await stopProcess(this.#proc);
    this.#proc = undefined;
    let lastErr: unknown;
    // The port was ours a moment ago; a TIME_WAIT or a racing process can delay the rebind.
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await this.#startOn(this.#port);
        return;
      } catch (err) {
        lastErr = err;
        await sleep(100);
      }
    }
    throw lastErr;
  }

  /** Stops by PID (SIGTERM, then SIGKILL), removes the dir and releases the port. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.#proc) await stopProcess(this.#proc);
    this.#proc = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
    if (this.#port > 0) releasePort(this.#port);
  }
}
