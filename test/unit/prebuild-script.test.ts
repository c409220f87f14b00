/**
 * scripts/prebuild.mjs (npm run prebuild, run by prepack) without the cross compiler for the
 * other architecture: it stops before building anything, naming the Debian package to install,
 * so `npm pack` cannot make a tarball that lacks a binary it ships. (The builds themselves are
 * tested from the packed tarball: test/integration/install.test.ts for x64, test/arm64/ for arm64.)
 * Runs once, in the `native` project.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { notDefaultProject } from '../helpers/project';

const root = resolve(__dirname, '..', '..');
const other = arch() === 'arm64' ? { arch: 'x64', pkg: 'g++-x86-64-linux-gnu' } : { arch: 'arm64', pkg: 'g++-aarch64-linux-gnu' };

describe.skipIf(notDefaultProject || process.platform !== 'linux')('npm run prebuild', () => {
  // A PATH with node, sh and a node-gyp stand-in, and no compiler at all.
  const bin = mkdtempSync(join(tmpdir(), 'ringcache-nocross-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  writeFileSync(join(bin, 'node-gyp'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it(`fails with the package to install when the ${other.arch} cross compiler is missing`, () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'prebuild.mjs'), other.arch], {
      env: { PATH: bin },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the linux-${other.arch} prebuild needs`);
    expect(r.stderr).toContain(`apt-get install ${other.pkg}`);
    expect(r.stdout).not.toMatch(/^prebuild: linux-/m); // nothing was built
  });

  it('rejects an unknown target', () => {
    const r = spawnSync(process.execPath, [join(root, 'scripts', 'prebuild.mjs'), 'sparc'], { env: { PATH: bin }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("unknown arch 'sparc' (known: x64, arm64)");
  });
});
