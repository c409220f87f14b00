/**
 * The `ringcache` command compiled fresh from the sources into a temp dir (never into the
 * checkout, and never the possibly stale dist/), for subprocess tests of the CLI. The compiled
 * loader finds the native build and the dependencies through links to the checkout's
 * node_modules, binding.gyp, build/, prebuilds/ and package.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');

/** Compiles src, bench and test/helpers into `<work>/pkg`; returns the temp dir (the caller removes it) and main.js. */
export function compileCli(prefix: string): { work: string; cli: string } {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const out = join(work, 'pkg');
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`tsc failed:\n${r.stdout}\n${r.stderr}`);
  for (const name of ['node_modules', 'binding.gyp', 'build', 'prebuilds', 'package.json']) {
    if (existsSync(join(root, name))) symlinkSync(join(root, name), join(out, name));
  }
  return { work, cli: join(out, 'src', 'cli', 'main.js') };
}

/** What a CLI run gave: exit status (null when killed) and its output. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the compiled `cli` with `args` in `cwd` (2 min at most), with `input` on stdin and `env` (default: this process's). */
export function runCli(cli: string, cwd: string, args: readonly string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd, input: o.input, env: o.env ?? process.env, encoding: 'utf8', timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
