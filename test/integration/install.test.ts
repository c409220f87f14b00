/**
 * Packaging, end to end: build a tarball the way `npm publish` would (scripts/prebuild.mjs into
 * prebuilds/linux-x64 — test/arm64/run.mjs covers linux-arm64 — compiled JS, types, native
 * sources), install it into a fresh project with --ignore-scripts and check the prebuild is
 * used; then remove prebuilds and build output and rebuild with a failing compiler: the install
 * must still succeed and fall back to the TS engine.
 *
 * Everything happens in a temp copy of the package so the working tree's build/ is untouched
 * (other test files load it concurrently). Runs once, in the default (hybrid) project.
 *
 * No registry: the package's dependencies are installed from tarballs packed here from the repo's
 * own node_modules (`--offline`), so the result does not depend on npm's cache or the network. Each
 * test installs into its own fresh app, so none depends on what another one did (or on order).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot } from '../../src';
import { notDefaultProject } from '../helpers/project';

const root = resolve(__dirname, '..', '..');
const env = {
  ...process.env,
  npm_config_nodedir: process.env.npm_config_nodedir ?? execFileSync('npm', ['config', 'get', 'nodedir']).toString().trim(),
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};
delete (env as Record<string, string | undefined>).RINGCACHE_BACKEND;

function run(cmd: string, args: string[], cwd: string, extra: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}) in ${cwd}\n${r.stdout}\n${r.stderr}`);
  }
  return r.stdout;
}

function node(cwd: string, code: string, extra: Record<string, string> = {}, esm = false) {
  const args = esm ? ['--input-type=module', '-e', code] : ['-e', code];
  return spawnSync(process.execPath, args, { cwd, env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });
}

const CHECK_CJS = `
const r = require('ringcache');
const cks = require('ringcache/cluster-key-slot');
console.log(JSON.stringify({ backend: r.backend, slot: r.keySlot('foo{}{bar}'), gen: cks('foo{}{bar}'),
  multi: cks.generateMulti(['{u}a', '{u}b']), md5: r.md5Uint32('hello'), err: r.nativeLoadError ? r.nativeLoadError.message : null }));
`;
const CHECK_ESM = `
import { keySlot, backend, murmur3 } from 'ringcache';
import generate from 'ringcache/cluster-key-slot';
console.log(JSON.stringify({ backend, slot: keySlot('foo{}{bar}'), gen: generate('foo{}{bar}'), mm: murmur3('') }));
`;

// What the installed package must answer (computed here from the sources under test).
const EXPECTED = (backend: string) => ({
  backend,
  slot: 8363,
  gen: 8363,
  multi: keySlot('u'),
  md5: createHash('md5').update('hello').digest().readUInt32LE(0),
  err: null,
});

describe.skipIf(notDefaultProject)('npm package install', () => {
  let tmp: string;
  let tarball: string;
  /** Tarballs of the package's runtime dependencies, packed from the repo's node_modules. */
  let deps: string[];

  /** A fresh project with the tarball installed (scripts off: the prebuild must be enough). */
  function freshApp(name: string): string {
    const app = join(tmp, name);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true }));
    run('npm', ['install', '--ignore-scripts', '--offline', '--no-package-lock', tarball, ...deps], app);
    return app;
  }

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ringcache-install-'));
    const pkg = join(tmp, 'pkg');
    // A copy of what the package is made of, with the repo's node_modules for the build tools.
    for (const f of ['package.json', 'binding.gyp', 'README.md', 'tsconfig.json', 'tsconfig.build.json']) {
      cpSync(join(root, f), join(pkg, f));
    }
    for (const d of ['native', 'src', 'bench', 'scripts']) cpSync(join(root, d), join(pkg, d), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    run('npm', ['run', 'build:ts'], pkg);
    run('npm', ['run', 'prebuild', '--', 'x64'], pkg); // the release script, host target only
    rmSync(join(pkg, 'build'), { recursive: true, force: true });
    run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], pkg);
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error('npm pack wrote no tarball');
    tarball = join(tmp, tgz);
    const depDir = join(tmp, 'deps');
    mkdirSync(depDir);
    const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const name of Object.keys(dependencies)) run('npm', ['pack', '--ignore-scripts', '--pack-destination', depDir, join(root, 'node_modules', name)], tmp);
    deps = readdirSync(depDir).map((f) => join(depDir, f));
    expect(deps).toHaveLength(Object.keys(dependencies).length);
  }, 600_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships prebuilds, compiled JS with types, native sources and binding.gyp', () => {
    const listing = run('tar', ['tzf', tarball], tmp).split('\n');
    const has = (p: string | RegExp) => listing.some((l) => (typeof p === 'string' ? l === p : p.test(l)));
    expect(has('package/prebuilds/linux-x64/ringcache.glibc.node')).toBe(true);
    expect(has('package/dist/src/index.js')).toBe(true);
    expect(has('package/dist/src/index.d.ts')).toBe(true);
    expect(has('package/dist/esm/index.mjs')).toBe(true);
    expect(has('package/binding.gyp')).toBe(true);
    expect(has(/^package\/native\/core\/.+\.cc$/)).toBe(true);
    expect(has(/^package\/native\/binding\/.+\.cc$/)).toBe(true);
    expect(has(/^package\/test\//)).toBe(false);
    expect(has(/^package\/build\//)).toBe(false);
  });

  it('uses the prebuild after an install with --ignore-scripts (CommonJS and ESM)', () => {
    const app = freshApp('app-prebuild');
    const cjs = node(app, CHECK_CJS);
    expect(cjs.stderr).toBe('');
    expect(JSON.parse(cjs.stdout)).toEqual(EXPECTED('native'));
    const esm = node(app, CHECK_ESM, {}, true);
    expect(esm.stderr).toBe('');
    expect(JSON.parse(esm.stdout)).toEqual({ backend: 'native', slot: 8363, gen: 8363, mm: 0 });
  });

  it('falls back to the TS engine when no prebuild matches and the compiler fails', () => {
    const app = freshApp('app-no-compiler');
    const dir = join(app, 'node_modules', 'ringcache');
    rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
    rmSync(join(dir, 'build'), { recursive: true, force: true });
    // The install script must not fail the install even though the build does.
    run('npm', ['rebuild', 'ringcache', '--foreground-scripts'], app, { CXX: '/bin/false', CC: '/bin/false' });
    const nativeFiles = existsSync(join(dir, 'build', 'Release'))
      ? readdirSync(join(dir, 'build', 'Release')).filter((f) => f.endsWith('.node'))
      : [];
    expect(nativeFiles).toEqual([]);

    const cjs = node(app, CHECK_CJS);
    expect(cjs.status).toBe(0);
    const { err, ...res } = JSON.parse(cjs.stdout);
    expect({ ...res, err: null }).toEqual(EXPECTED('js'));
    expect(typeof err).toBe('string');
    const esm = node(app, CHECK_ESM, {}, true);
    expect(JSON.parse(esm.stdout)).toEqual({ backend: 'js', slot: 8363, gen: 8363, mm: 0 });

    // Forcing native now is a clear error: platform, the load error, what to do.
    const forced = node(app, CHECK_CJS, { RINGCACHE_BACKEND: 'native' });
    expect(forced.status).not.toBe(0);
    expect(forced.stderr).toContain(`${process.platform}-${process.arch}`);
    expect(forced.stderr).toContain('Possible solutions');
    expect(forced.stderr).toMatch(/Load error: /);
  });

  it('builds from source when a compiler is present and no prebuild matches', () => {
    const app = freshApp('app-compiler');
    const dir = join(app, 'node_modules', 'ringcache');
    rmSync(join(dir, 'prebuilds'), { recursive: true, force: true });
    expect(JSON.parse(node(app, CHECK_CJS).stdout).backend).toBe('js'); // nothing native left to load
    run('npm', ['rebuild', 'ringcache'], app);
    expect(JSON.parse(node(app, CHECK_CJS).stdout)).toEqual(EXPECTED('native'));
  });
});
