/** `ringcache slot KEY…`: the Redis Cluster slot of each key, the hash tag used, the byte length. */
import { columnWidth, writeInChunks, writeJsonArray, type Io } from './io';
import { library } from './library';
import { UsageError } from './usage-error';

export const SLOT_HELP = `Usage: ringcache slot [--json] KEY... | -

Prints the Redis Cluster slot (0..16383) of each key, Redis-exact: CRC16 of the hash tag
(the bytes between the first '{' and the first '}' after it, when non-empty) or of the whole key.
With '-', reads keys from stdin, one per line.

Options:
  --json     print a JSON array of { key, slot, tag, bytes }
  -h, --help this help

Example:
  ringcache slot 'user:{1001}:profile' 'foo{}{bar}'`;

/** The hash tag Redis uses for `key`, or undefined when the whole key is hashed. */
export function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return undefined;
  return key.slice(open + 1, close);
}

export async function slotCommand(args: string[], flags: { json: boolean }, io: Io): Promise<number> {
  let keys = args;
  if (keys.length === 1 && keys[0] === '-') {
    keys = (await io.readStdin()).split(/\r?\n/);
    if (keys.length && keys[keys.length - 1] === '') keys.pop();
  }
  if (keys.length === 0) throw new UsageError('slot: give at least one KEY, or - to read keys from stdin');
  const { keySlot } = library();
  const row = (key: string) => ({ key, slot: keySlot(key), tag: hashTag(key) ?? null, bytes: Buffer.byteLength(key) });
  if (flags.json) {
    await writeJsonArray(io, keys.length, (start, end) => keys.slice(start, end).map(row));
    return 0;
  }
  const w = columnWidth(keys);
  io.out(`${'key'.padEnd(w)}  ${'slot'.padStart(5)}  ${'bytes'.padStart(5)}  tag`);
  await writeInChunks(io, keys.length, (start, end) => {
    let text = '';
    for (let i = start; i < end; i++) {
      const r = row(keys[i]);
      text += `${r.key.padEnd(w)}  ${String(r.slot).padStart(5)}  ${String(r.bytes).padStart(5)}  ${r.tag ?? '(whole key)'}\n`;
    }
    return text;
  });
  return 0;
}
