/**
 * The `ringcache` command compiled fresh from the sources into a temp dir (never into the
 * checkout, and never the possibly stale dist/), for subprocess tests of the CLI. The compiled
 * loader finds the native build and the dependencies through links to the checkout's
 * node_modules, binding.gyp, build/ and package.json.
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
  for (const name of ['node_modules', 'binding.gyp', 'build', 'package.json']) {
    if (existsSync(join(root, name))) symlinkSync(join(root, name), join(out, name));
  }
  return { work, cli: join(out, 'src', 'cli', 'main.js') };
}
