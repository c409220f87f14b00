/**
 * Test servers (redis-server, nutcracker) outlive a test worker killed with SIGKILL: no exit hook
 * runs. Each one is recorded in a pid file (test/helpers/owner-files.ts) naming the worker that
 * started it and the process's start time; the next test process that starts a server kills the
 * servers whose worker is gone — by PID, and only if that PID is still the same process (its
 * start time in /proc matches), never by name.
 */
import { readFileSync } from 'node:fs';
import { OwnerFiles } from './owner-files';

interface ServerRecord {
  pid: number;
  bin: string;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): tells a reused PID apart. */
  startTime: string | undefined;
}

let files: OwnerFiles<ServerRecord> | undefined;
let reaped = false;

function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after it.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function kill(rec: ServerRecord): void {
  if (rec.startTime === undefined || startTimeOf(rec.pid) !== rec.startTime) return; // gone, or a new process
  try {
    process.kill(rec.pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}

function registry(): OwnerFiles<ServerRecord> {
  files ??= new OwnerFiles<ServerRecord>('ringcache-test-servers');
  return files;
}

/** Records a server this process just spawned (the first time, reaps what dead workers left). */
export function trackServer(pid: number, bin: string): void {
  if (!reaped) {
    reaped = true;
    reapOrphanServers();
  }
  registry().claim(String(pid), { pid, bin, startTime: startTimeOf(pid) });
}

/** Forgets a server that exited. */
export function untrackServer(pid: number): void {
  registry().release(String(pid));
}

/** Kills the servers of dead test processes now (also done on the first {@link trackServer}). */
export function reapOrphanServers(): number {
  return registry().takeOver((_name, rec) => kill(rec));
}
