/**
 * `hash(key) % n`: the placement consistent hashing replaces, kept as a baseline with the same
 * lookup API as {@link HashRing} so `movement()` can show the difference — going from 10 to 11
 * servers moves about 10/11 of the keys here, about 1/11 on a ring.
 */
import { engine as defaultEngine, type Engine, type Key } from '../engine';
import { checkOutArray, checkPackedKeys, describe, isBytes, keyList } from '../validate';
import { distribution, type DistributionReport, type KeySample } from './distribution';
import { parseServers, type ServersSpec } from './parse-servers';

/** Options of {@link ModuloRing}. */
export interface ModuloRingOptions {
  /**
   * Key hash: md5 (little-endian word of digest bytes 0-3, as the rings) or murmur3 (seed 0).
   * @default 'md5'
   */
  algorithm?: 'md5' | 'murmur3';
  /** @default the chosen engine */
  engine?: Engine;
}

/** Servers in a list; a key goes to `servers[hash(key) % servers.length]`. Weights are ignored. */
export class ModuloRing {
  /** Server names (`'host:port'`), in order. */
  servers: string[];
  readonly #engine: Engine;
  readonly #murmur: boolean;

  constructor(servers?: ServersSpec, options: ModuloRingOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`Expected an object for options but received ${describe(options)}`);
    }
    const algorithm = options.algorithm ?? 'md5';
    if (algorithm !== 'md5' && algorithm !== 'murmur3') {
      throw new TypeError(`Expected 'md5' or 'murmur3' for options.algorithm but received ${describe(algorithm)}`);
    }
    this.#murmur = algorithm === 'murmur3';
    this.#engine = options.engine ?? defaultEngine;
    this.servers = [];
    this.add(servers);
  }

  #hash(key: Key): number {
    return this.#murmur ? this.#engine.murmur3(key, 0) : this.#engine.md5Uint32(key);
  }

  /** The server of `key` (`undefined` with no servers). Other values are hashed as `key + ''`. */
  get(key: string | Uint8Array | number | object): string {
    const n = this.servers.length;
    if (n === 0) return undefined as unknown as string;
    const k = typeof key === 'string' || isBytes(key) ? key : key + '';
    return this.servers[this.#hash(k) % n];
  }

  /** Servers of many keys (into `out` when given, as HashRing's). */
  getMany(keys: readonly Key[], out?: string[]): string[] {
    const list = keyList(keys);
    checkOutArray(out);
    const n = this.servers.length;
    const result = out ?? new Array<string>(list.length);
    if (result.length !== list.length) result.length = list.length;
    for (let i = 0; i < list.length; i++) {
      result[i] = n === 0 ? (undefined as unknown as string) : this.servers[this.#hash(list[i]) % n];
    }
    return result;
  }

  /** Servers of packed byte keys (`data[offsets[i] … offsets[i + 1])`), into `out` when given. */
  getManyPacked(data: Uint8Array, offsets: Uint32Array, out?: string[]): string[] {
    const n = checkPackedKeys(data, offsets);
    checkOutArray(out);
    const keys: Uint8Array[] = [];
    // Each offset read once: a shared `offsets` may change between a check and a second read.
    let start = offsets[0];
    for (let i = 0; i < n; i++) {
      const end = offsets[i + 1];
      if (start > end || end > data.length) {
        throw new RangeError(
          `Expected non-decreasing offsets within data (length ${data.length}) for offsets but offsets[${i + 1}] is ${end}`,
        );
      }
      keys.push(data.subarray(start, end));
      start = end;
    }
    return this.getMany(keys, out);
  }

  /** Appends servers not already listed. */
  add(servers: ServersSpec): this {
    for (const s of parseServers(servers)) if (!this.servers.includes(s.string)) this.servers.push(s.string);
    return this;
  }

  /** Removes a server (the last one of an array or object spec, as {@link HashRing.remove}). */
  remove(server: ServersSpec): this {
    const last = parseServers(server, 'server').pop();
    if (!last) throw new TypeError(`Expected a server for server but received ${describe(server)}`);
    this.servers = this.servers.filter((s) => s !== last.string);
    return this;
  }

  has(server: string): boolean {
    return this.servers.includes(server);
  }

  /** See {@link HashRing.distribution} (every server has an equal share here). */
  distribution(sample: KeySample = 100_000): DistributionReport {
    return distribution(this, sample, new Map(this.servers.map((s) => [s, 1])));
  }
}
