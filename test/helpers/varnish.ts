/**
 * A real Varnish (Debian `varnish` + `varnish-modules` for xkey) for tests: the shipped
 * `vcl/ringcache.vcl` with its backend pointed at the test origin, a free loopback port, a fresh
 * `mkdtemp` working dir, `-F` (foreground) so the PID we spawn is the manager's, stopped by
 * that PID (SIGTERM, then SIGKILL) and its dir removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { sleep } from './redis-server';

export const VARNISHD_BIN = process.env.VARNISHD_BIN ?? '/usr/sbin/varnishd';
export const SHIPPED_VCL = join(__dirname, '..', '..', 'vcl', 'ringcache.vcl');

/** The shipped VCL with the backend port replaced. */
export function vclFor(originPort: number): string {
  const vcl = readFileSync(SHIPPED_VCL, 'utf8');
  const out = vcl.replace(/(\.port = ")\d+(";)/, `$1${originPort}$2`);
  if (out === vcl) throw new Error('vcl/ringcache.vcl: no backend .port line to replace');
  return out;
}

function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'PURGE', path: '/', headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

export class Varnish {
  readonly port: number;
  readonly dir: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #log = '';

  private constructor(port: number, dir: string, child: ChildProcess) {
    this.port = port;
    this.dir = dir;
    this.#child = child;
    this.#exited = new Promise((r) => child.once('exit', () => r()));
    child.stdout?.on('data', (d: Buffer) => (this.#log += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.#log += d.toString()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  /** Starts Varnish in front of `127.0.0.1:originPort`. */
  static async start(originPort: number): Promise<Varnish> {
    const dir = mkdtempSync(join(tmpdir(), 'ringcache-varnish-'));
    // varnishd's worker runs as an unprivileged user and must read its working dir.
    chmodSync(dir, 0o755);
    const vclFile = join(dir, 'ringcache.vcl');
    writeFileSync(vclFile, vclFor(originPort));
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const child = spawn(VARNISHD_BIN, ['-F', '-a', `127.0.0.1:${port}`, '-T', 'none', '-f', vclFile, '-n', join(dir, 'n'), '-s', 'malloc,64m', '-p', 'default_grace=0', '-p', 'default_ttl=0',
        // A test stops and restarts its origin on purpose: no 0.25 s hold-down after a refused connect.
        '-p', 'backend_remote_error_holddown=0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const v = new Varnish(port, dir, child);
      try {
        await v.#ready();
        return v;
      } catch (err) {
        lastErr = err;
        await v.#kill();
      }
    }
    rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }

  async #ready(): Promise<void> {
    let exited = false;
    void this.#exited.then(() => (exited = true));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited) throw new Error(`varnishd exited during startup:\n${this.#log}`);
      try {
        if ((await probe(this.port)) === 400) return; // the VCL answers a bare PURGE with 400
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`varnishd did not answer on ${this.port}:\n${this.#log}`);
      await sleep(50);
    }
  }

  async #kill(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    try {
      process.kill(this.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await this.#exited;
    clearTimeout(t);
  }

  /** Stops by PID and removes the dir. */
  async stop(): Promise<void> {
    await this.#kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
