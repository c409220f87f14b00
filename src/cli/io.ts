/** Small output helpers shared by the CLI commands. */
import { writeFileSync } from 'node:fs';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Reads all of stdin (for `-`). */
  readStdin: () => Promise<string>;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Prints `value` as JSON to stdout, or to `file` when one is given. */
export function emitJson(io: Io, value: unknown, file?: string): void {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  if (file && file !== '-') writeFileSync(file, text);
  else io.out(text);
}

/** A horizontal bar of `width` cells for `fraction` of the maximum. */
export function bar(fraction: number, width = 40): string {
  const cells = Math.max(0, Math.round(fraction * width));
  return '█'.repeat(Math.min(width, cells)).padEnd(width, '·');
}
