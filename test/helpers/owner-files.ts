/**
 * Small files under `os.tmpdir()` that say which test process owns something (a port, a server
 * process), shared by every test process on the machine (parallel vitest workers, other checkouts):
 * what a process holds is visible to the others, and what a process killed with SIGKILL left
 * behind is recognised by its dead owner and taken over.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A directory of owner files, `<name>.json` each holding `{ owner: pid, … }`. */
export class OwnerFiles<T extends object> {
  readonly dir: string;
  readonly #mine = new Set<string>();

  constructor(name: string) {
    this.dir = join(tmpdir(), name);
    mkdirSync(this.dir, { recursive: true });
    // Ours are removed when this process exits normally; a SIGKILL leaves them to takeOver().
    process.on('exit', () => {
      for (const n of this.#mine) rmSync(this.#path(n), { force: true });
    });
  }

  #path(name: string): string {
    return join(this.dir, `${name}.json`);
  }

  /**
   * Claims `name` for this process with `data`; false when a live process holds it. A file left by
   * a dead owner is taken over (after `onOrphan`, e.g. to kill what it left running).
   */
  claim(name: string, data: T, onOrphan?: (data: T) => void): boolean {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(this.#path(name), JSON.stringify({ ...data, owner: process.pid }), { flag: 'wx' });
        this.#mine.add(name);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = this.read(name);
      if (held !== undefined && (held.owner === process.pid || processAlive(held.owner))) return false;
      if (held !== undefined) onOrphan?.(held);
      rmSync(this.#path(name), { force: true });
    }
    return false;
  }

  /** Gives up a claim of this process. */
  release(name: string): void {
    if (this.#mine.delete(name)) rmSync(this.#path(name), { force: true });
  }

  read(name: string): (T & { owner: number }) | undefined {
    try {
      return JSON.parse(readFileSync(this.#path(name), 'utf8')) as T & { owner: number };
    } catch {
      return undefined;
    }
  }

  /** Every file whose owner is dead: `onOrphan` runs for it, then it is removed. Returns how many. */
  takeOver(onOrphan: (name: string, data: T) => void): number {
    let n = 0;
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith('.json')) continue;
      const name = f.slice(0, -5);
      const held = this.read(name);
      if (held === undefined || processAlive(held.owner)) continue;
      onOrphan(name, held);
      rmSync(this.#path(name), { force: true });
      n++;
    }
    return n;
  }
}
