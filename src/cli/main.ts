#!/usr/bin/env node
/**
 * The `ringcache` command: bench, locate, slot, distribution, movement.
 * Exit codes: 0 ok, 1 failure, 2 usage error. User errors print a message, never a stack.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BENCH_HELP, benchCommand } from './bench-command';
import { exitQuietlyWhenStdoutCloses, processIo, type Io } from './io';
import { RING_COMMANDS } from './ring-commands';
import { SLOT_HELP, slotCommand } from './slot-command';
import { CommandFailure, UsageError } from './usage-error';

export const MAIN_HELP = `Usage: ringcache <command> [options]

Commands:
  bench          run the benchmark suites (native vs TS engine vs peer libraries)
  locate         which node each key goes to on a ring
  slot           Redis Cluster slot of each key
  distribution   how evenly a ring spreads keys over its nodes
  movement       how many keys move when the node set changes (consistent vs modulo)

Run 'ringcache <command> --help' for a command's options. Every command takes --json.`;

type Options = NonNullable<ParseArgsConfig['options']>;

interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

function parse(args: string[], options: Options): Parsed {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The version from the package's own package.json (src/cli or dist/src/cli → package root). */
function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ringcache') return String(pkg.version);
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      io.out(MAIN_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === '-v') {
      io.out(packageVersion());
      return 0;
    }
    switch (command) {
      case 'slot': {
        const { values, positionals } = parse(rest, { json: { type: 'boolean' } });
        if (values.help) return io.out(SLOT_HELP), 0;
        return await slotCommand(positionals, { json: Boolean(values.json) }, io);
      }
      case 'bench': {
        const { values, positionals } = parse(rest, {
          suite: { type: 'string', multiple: true },
          keys: { type: 'string' },
          time: { type: 'string' },
          rounds: { type: 'string' },
          json: { type: 'string' },
          redis: { type: 'string' },
          cluster: { type: 'string' },
          quick: { type: 'boolean' },
        });
        if (values.help) return io.out(BENCH_HELP), 0;
        if (positionals.length) throw new UsageError(`bench: unexpected argument '${positionals[0]}'`);
        return await benchCommand({ ...values, suite: (values.suite as string[] | undefined) ?? [] } as never, io);
      }
      default: {
        const ring = RING_COMMANDS[command];
        if (!ring) throw new UsageError(`unknown command '${command}'\n\n${MAIN_HELP}`);
        const { values, positionals } = parse(rest, ring.options);
        if (values.help) return io.out(ring.help), 0;
        return await ring.run(values, positionals, io);
      }
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`ringcache: ${err.message}`);
      return 2;
    }
    if (err instanceof TypeError || err instanceof RangeError) {
      io.err(`ringcache: ${err.message}`);
      return 2;
    }
    // Failures the message explains: ours, and system errors (EACCES, ENOSPC, … writing a file).
    if (err instanceof CommandFailure || typeof (err as NodeJS.ErrnoException)?.syscall === 'string') {
      io.err(`ringcache: ${(err as Error).message}`);
      return 1;
    }
    io.err(`ringcache: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}

if (require.main === module) {
  exitQuietlyWhenStdoutCloses();
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`ringcache: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
