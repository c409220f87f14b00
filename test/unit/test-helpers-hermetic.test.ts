/**
 * The helpers that keep parallel test processes apart (test/helpers/owner-files.ts): a port claimed
 * by a live process is not handed out by another, a dead process's claim is taken over, and a
 * server left running by a test process killed with SIGKILL is killed by the next one — by PID,
 * only while that PID is still the same process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OwnerFiles, processAlive } from '../helpers/owner-files';
import { notDefaultProject } from '../helpers/project';
import { reapOrphanServers } from '../helpers/reaper';
import { sleep } from '../helpers/redis-server';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

/** A long-running stand-in process (its pid is what matters). */
function sleeper(): ChildProcess {
  const c = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(c);
  return c;
}

/** Running: exists and is not a zombie (an orphan's exit status may never be collected here). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function gone(c: ChildProcess): Promise<void> {
  if (c.exitCode === null && c.signalCode === null) await new Promise((r) => c.once('exit', r));
}

describe.skipIf(notDefaultProject)('hermetic test helpers', () => {
  it('a claim held by a live process is refused; a dead owner’s claim is taken over', async () => {
    const files = new OwnerFiles<{ what: string }>(`ringcache-test-claims-${process.pid}`);
    const other = sleeper();
    writeFileSync(join(files.dir, 'p1.json'), JSON.stringify({ what: 'theirs', owner: other.pid }));
    expect(files.claim('p1', { what: 'mine' })).toBe(false);
    expect(files.read('p1')).toEqual({ what: 'theirs', owner: other.pid });
    other.kill('SIGKILL');
    await gone(other);
    const orphans: unknown[] = [];
    expect(files.claim('p1', { what: 'mine' }, (d) => orphans.push(d))).toBe(true);
    expect(orphans).toEqual([{ what: 'theirs', owner: other.pid }]);
    expect(files.read('p1')).toEqual({ what: 'mine', owner: process.pid });
    expect(files.claim('p1', { what: 'again' })).toBe(false); // ours already: not handed out twice
    files.release('p1');
    expect(files.read('p1')).toBeUndefined();
    rmSync(files.dir, { recursive: true, force: true });
  });

  it('a server left by a test process killed with SIGKILL is reaped by the next one', async () => {
    // A "test worker" that starts a server (a sleeper standing in for redis-server), records it
    // the way test/helpers/reaper.ts does, and is then killed -9.
    const dir = new OwnerFiles('ringcache-test-servers').dir;
    const worker = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process'); const fs = require('node:fs');
         const s = spawn('sleep', ['60'], { stdio: 'ignore', detached: true }); s.unref();
         const stat = fs.readFileSync('/proc/' + s.pid + '/stat', 'utf8');
         const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
         fs.writeFileSync(${JSON.stringify(dir)} + '/' + s.pid + '.json', JSON.stringify({ pid: s.pid, bin: 'sleep', startTime, owner: process.pid }));
         console.log(s.pid); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(worker);
    const serverPid = Number(await new Promise<string>((r) => worker.stdout!.once('data', (d) => r(String(d)))));
    expect(running(serverPid)).toBe(true);
    worker.kill('SIGKILL');
    await gone(worker);
    expect(running(serverPid)).toBe(true); // the leak: nothing killed it
    // A record whose PID now belongs to another process (a different start time) is not touched.
    const decoy = sleeper();
    writeFileSync(join(dir, `${decoy.pid}.json`), JSON.stringify({ pid: decoy.pid, bin: 'sleep', startTime: '1', owner: worker.pid }));
    expect(reapOrphanServers()).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 100 && running(serverPid); i++) await sleep(10);
    expect(running(serverPid)).toBe(false);
    expect(decoy.exitCode).toBeNull();
    expect(running(decoy.pid!)).toBe(true);
    expect(() => readFileSync(join(dir, `${serverPid}.json`))).toThrow(/ENOENT/);
  });
});
