/**
 * Which node of a slot serves a read, for the ioredis `Cluster` of a ClusterStore with replica
 * reads: given to ioredis as its `scaleReads` function, which ioredis calls for every read-only
 * command with the slot's connections (`[master, ...replicas]`, as in its slot table) and for
 * nothing else (writes always go to the master).
 *
 * What ioredis's own `'slave'`/`'all'` do not: a replica whose connection was lost (killed,
 * reconnecting) gets no reads — ioredis would queue them on that connection until it gives up —
 * so a dead replica's reads move at once to the others, or to the master; and a command marked
 * with {@link ReadSelector.toMaster} goes to the master (reads that must see the latest write).
 * Replicas take turns (round robin), the master too under `'all'`.
 */
import type { ScaleReads } from './replicas';

/** What the selector needs of an ioredis connection. */
interface Conn {
  status: string;
}

/**
 * Ready, or never connected yet: ioredis creates a cluster's connections lazily (`wait`) and
 * connects on their first command. Not a connection that was lost (`reconnecting`, `close`, `end`).
 */
function usable(c: Conn | undefined): boolean {
  return c !== undefined && (c.status === 'ready' || c.status === 'wait');
}

export class ReadSelector {
  readonly policy: Exclude<ScaleReads, 'master'>;
  readonly #toMaster = new WeakSet<object>();
  #next = 0;

  constructor(policy: Exclude<ScaleReads, 'master'>) {
    this.policy = policy;
  }

  /** Sends `command` to the slot's master whatever the policy. */
  toMaster(command: object): void {
    this.#toMaster.add(command);
  }

  /** The ioredis `scaleReads` function. */
  readonly select = <T extends Conn>(nodes: (T | undefined)[], command: object): T | undefined => {
    const master = nodes[0];
    if (nodes.length < 2 || this.#toMaster.has(command)) return master;
    let ready = 0;
    for (let i = 1; i < nodes.length; i++) if (usable(nodes[i])) ready++;
    if (ready === 0) return master;
    const turns = this.policy === 'all' ? ready + 1 : ready;
    let k = this.#next++ % turns;
    if (this.#next >= 0x3fffffff) this.#next = 0;
    if (k === ready) return master;
    for (let i = 1; i < nodes.length; i++) {
      if (usable(nodes[i]) && k-- === 0) return nodes[i];
    }
    return master;
  };
}
