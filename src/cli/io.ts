/** Small output helpers shared by the CLI commands. */
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './usage-error';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Reads all of stdin (for `-`). */
  readStdin: () => Promise<string>;
  /**
   * Resolves when the output can take more: after `'drain'` when its buffer is full, else on
   * the next turn of the event loop (so an EPIPE from a closed pipe is handled between chunks).
   */
  flush?: () => Promise<void>;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  flush: () =>
    new Promise<void>((done) => {
      if (process.stdout.writableNeedDrain) process.stdout.once('drain', done);
      else setImmediate(done);
    }),
};

/**
 * A reader that goes away early (`ringcache locate - | head -1`) ends the command quietly with
 * status 0, as Unix tools stop on SIGPIPE (Node ignores SIGPIPE, so writes fail with EPIPE,
 * and an unhandled `'error'` event would print a stack trace). Other write errors: a message
 * and status 1.
 */
export function exitQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`ringcache: cannot write to stdout: ${err.message}\n`);
    process.exit(1);
  });
}

/** Items written per `io.out` call by {@link writeInChunks}. */
const ITEMS_PER_WRITE = 4096;

/**
 * Writes the output of `count` items chunk by chunk: `chunk(start, end)` gives the text of
 * items `start … end-1`. Output of any size streams in bounded memory, waiting for the reader
 * between chunks.
 */
export async function writeInChunks(io: Io, count: number, chunk: (start: number, end: number) => string): Promise<void> {
  for (let start = 0; start < count; start += ITEMS_PER_WRITE) {
    io.out(chunk(start, Math.min(count, start + ITEMS_PER_WRITE)));
    await io.flush?.();
  }
}

/**
 * Writes a JSON array of `count` rows, `rows(start, end)` giving rows `start … end-1`, streamed
 * as {@link writeInChunks} does; the text is exactly `JSON.stringify(allRows, null, 2)` + newline.
 */
export async function writeJsonArray(io: Io, count: number, rows: (start: number, end: number) => unknown[]): Promise<void> {
  if (count === 0) return io.out('[]\n');
  io.out('[');
  await writeInChunks(io, count, (start, end) => {
    let text = '';
    rows(start, end).forEach((row, i) => {
      const item = JSON.stringify(row, null, 2).replace(/\n/g, '\n  ');
      text += `  ${item}${start + i < count - 1 ? ',' : ''}\n`;
    });
    return text;
  });
  io.out(']\n');
}

/** Prints `value` as JSON to stdout, or to `file` when one is given. */
export function emitJson(io: Io, value: unknown, file?: string): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (file && file !== '-') writeFileSync(file, text);
  else io.out(text);
}

/**
 * Throws a UsageError naming `option` unless `file` can be written: an existing writable file,
 * or a new file in an existing writable directory. Checked before a long run, not after it.
 */
export function checkWritableFile(file: string, option: string): void {
  try {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw new UsageError(`${option} ${file} is a directory`);
    if (stat) accessSync(file, constants.W_OK);
    else {
      const dir = dirname(resolve(file));
      if (!statSync(dir).isDirectory()) throw new UsageError(`${option} ${file}: ${dir} is not a directory`);
      accessSync(dir, constants.W_OK);
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${option} ${file} cannot be written (${(err as Error).message})`);
  }
}

/** Width of a key column: the longest key, at least 3 and at most 60 characters (a loop: any number of keys). */
export function columnWidth(keys: readonly string[]): number {
  let w = 3;
  for (const k of keys) if (k.length > w) w = k.length;
  return Math.min(60, w);
}

/** A horizontal bar of `width` cells for `fraction` of the maximum. */
export function bar(fraction: number, width = 40): string {
  const cells = Math.max(0, Math.round(fraction * width));
  return '█'.repeat(Math.min(width, cells)).padEnd(width, '·');
}
