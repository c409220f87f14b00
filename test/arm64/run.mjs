// The linux-arm64 prebuild, tested for real: under an emulated arm64 Node 18 (qemu-user and
// Debian's nodejs:arm64, see scripts/arm64-sysroot.sh), from the packed tarball installed with
// --ignore-scripts into a temp dir. Runs test/arm64/emulated-checks.ts (compiled here with tsc)
// in three modes — native, musl (LIBC=musl), fallback (arm64 prebuild deleted) — and checks
// on the host what the tarball holds and which glibc symbol versions its binaries need.
//
//   node test/arm64/run.mjs --sysroot DIR [--tarball FILE] [--json FILE]
//
// Without --tarball it runs `npm pack` (prepack: build:ts + both prebuilds). Prints one line per
// check and "arm64 (emulated): N passed, N failed"; --json writes the counts in the shape of
// vitest's JSON report for scripts/test-summary.mjs. Exits 1 on any failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opts } = parseArgs({
  options: { sysroot: { type: 'string' }, tarball: { type: 'string' }, json: { type: 'string' } },
});
if (!opts.sysroot) throw new Error('usage: node test/arm64/run.mjs --sysroot DIR [--tarball FILE] [--json FILE]');
const sysroot = resolve(opts.sysroot);

/**
 * The newest glibc symbol version each shipped binary may need: what the README's install
 * section states. A build that needs more fails here, so the README cannot go stale.
 */
const GLIBC_CEILING = { 'linux-x64': '2.14', 'linux-arm64': '2.17' };
/** Libraries the binaries may link (a new one would need its own line in the README). */
const ALLOWED_NEEDED = ['libc.so.6', 'libm.so.6', 'libstdc++.so.6'];
/**
 * libstdc++ (node-addon-api's sized `operator delete`): the newest CXXABI/GLIBCXX version the
 * README states. Node.js itself links libstdc++, so a host that runs Node has one.
 */
const CXX_CEILING = { CXXABI: '1.3.9', GLIBCXX: '3.4.21' };

const results = [];
const started = Date.now();

/** Setup steps are not checks: logged with their time; a failure throws (one failed check). */
function step(name, fn) {
  const t0 = Date.now();
  const value = fn();
  console.log(`     ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return value;
}

function record(name, ok, detail, ms = 0) {
  results.push({ name, ok, detail, ms });
  const head = detail.split('\n')[0];
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${(ms / 1000).toFixed(1)} s)${head ? ` — ${head}` : ''}`);
  if (!ok && detail.includes('\n')) console.log(detail.replace(/^/gm, '     '));
}

function run(cmd, args, cwd, { env = process.env, timeout = 300_000 } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}) in ${cwd}\n${r.stdout}\n${r.stderr}`.slice(0, 6000));
  }
  return r.stdout;
}

const cmpVersion = (a, b) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** The tarball's binaries: one per platform, glibc versions within the README's ceiling. */
function checkBinaries(pkgDir) {
  for (const [platform, ceiling] of Object.entries(GLIBC_CEILING)) {
    const t0 = Date.now();
    try {
      const dir = join(pkgDir, 'prebuilds', platform);
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
      if (files.length !== 1) throw new Error(`expected one .node in prebuilds/${platform}, found [${files}]`);
      const file = join(dir, files[0]);
      const needed = [...run('objdump', ['-p', file], root).matchAll(/NEEDED\s+(\S+)/g)].map((m) => m[1]);
      const extra = needed.filter((n) => !ALLOWED_NEEDED.includes(n));
      if (extra.length > 0) throw new Error(`links ${extra.join(', ')}: state its version needs in the README, then allow it here`);
      const versions = [...new Set([...run('objdump', ['-T', file], root).matchAll(/\(GLIBC_([\d.]+)\)/g)].map((m) => m[1]))];
      versions.sort(cmpVersion);
      const newest = versions.at(-1);
      if (!newest || cmpVersion(newest, ceiling) > 0) {
        throw new Error(`needs GLIBC_${newest}, the README says ${ceiling}: update README "Install" and GLIBC_CEILING`);
      }
      for (const [tag, max] of Object.entries(CXX_CEILING)) {
        const cxx = [...run('objdump', ['-T', file], root).matchAll(new RegExp(`\\(${tag}_([\\d.]+)\\)`, 'g'))].map((m) => m[1]);
        const over = cxx.filter((v) => cmpVersion(v, max) > 0);
        if (over.length > 0) throw new Error(`needs ${tag}_${over.sort(cmpVersion).at(-1)}, the README says ${max}: update README "Install" and CXX_CEILING`);
      }
      record(`prebuilds/${platform}/${files[0]} needs glibc ≤ ${ceiling}`, true, `GLIBC_${versions.join(', GLIBC_')}; NEEDED ${needed.join(', ')}`, Date.now() - t0);
    } catch (err) {
      record(`prebuilds/${platform} in the tarball`, false, err.message, Date.now() - t0);
    }
  }
}

/** Runs the compiled checks under qemu in `mode`; every RESULT line is a check. */
function emulated(mode, checksJs, appDir, extraEnv = {}) {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME ?? '/tmp', ...extraEnv };
  const node = join(sysroot, 'usr', 'bin', 'node');
  const args = ['-L', sysroot, node, checksJs, mode, appDir, join(root, 'test', 'fixtures')];
  const t0 = Date.now();
  const r = spawnSync('qemu-aarch64-static', args, { cwd: appDir, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  let done = -1;
  let seen = 0;
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.startsWith('RESULT ')) {
      const c = JSON.parse(line.slice(7));
      record(`[${mode}] ${c.name}`, c.ok, c.detail, c.ms);
      seen++;
    } else if (line.startsWith('DONE ')) {
      done = Number(line.slice(5));
    }
  }
  if (r.status !== 0 || done !== seen) {
    const why = r.error?.message ?? `exit ${r.status ?? r.signal}`;
    record(`[${mode}] emulated run completes`, false, `${why}; ${seen} checks reported, DONE ${done}\n${(r.stderr ?? '').slice(-4000)}`, Date.now() - t0);
  }
}

function main() {
  for (const [what, ok] of [
    ['qemu-aarch64-static on PATH (apt-get install qemu-user-static)', spawnSync('qemu-aarch64-static', ['--version']).status === 0],
    [`${sysroot}/usr/bin/node (scripts/arm64-sysroot.sh ${sysroot})`, existsSync(join(sysroot, 'usr', 'bin', 'node'))],
  ]) {
    if (!ok) {
      record('emulation available', false, `missing: ${what}`);
      return;
    }
  }
  const tmp = mkdtempSync(join(tmpdir(), 'ringcache-arm64-'));
  try {
    const tarball = opts.tarball
      ? resolve(opts.tarball)
      : step('npm pack (prepack: build:ts, prebuild linux-x64 + linux-arm64)', () => {
          run('npm', ['pack', '--pack-destination', tmp], root, { timeout: 600_000 });
          return join(tmp, readdirSync(tmp).find((f) => f.endsWith('.tgz')));
        });
    const app = join(tmp, 'app');
    step(`npm install --ignore-scripts ${tarball}`, () => {
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
      run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', '--no-audit', '--no-fund', tarball], app);
    });
    const pkgDir = join(app, 'node_modules', 'ringcache');
    checkBinaries(pkgDir);

    // The checks, compiled for Node 18 (CommonJS, ES2022) with the test helpers they share.
    const out = join(tmp, 'checks');
    step('tsc test/arm64/emulated-checks.ts', () => {
      const args = ['--outDir', out, '--rootDir', root, '--module', 'node16', '--moduleResolution', 'node16', '--target', 'ES2022'];
      args.push('--types', 'node', '--strict', '--skipLibCheck', '--esModuleInterop', join(root, 'test', 'arm64', 'emulated-checks.ts'));
      run(join(root, 'node_modules', '.bin', 'tsc'), args, root);
    });
    const checksJs = join(out, 'test', 'arm64', 'emulated-checks.js');

    emulated('native', checksJs, app);
    emulated('musl', checksJs, app, { LIBC: 'musl' });
    rmSync(join(pkgDir, 'prebuilds', 'linux-arm64'), { recursive: true });
    emulated('fallback', checksJs, app);
  } catch (err) {
    record('arm64 run', false, err.message);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

main();
const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
console.log(`arm64 (emulated): ${passed} passed, ${failed} failed in ${Math.round((Date.now() - started) / 1000)} s`);
if (opts.json) {
  // The fields scripts/test-summary.mjs reads from vitest's JSON report.
  const assertionResults = results.map((r) => ({ title: r.name, status: r.ok ? 'passed' : 'failed', duration: r.ms }));
  writeFileSync(opts.json, JSON.stringify({
    numPassedTests: passed,
    numFailedTests: failed,
    numPendingTests: 0,
    numTodoTests: 0,
    testResults: [{ name: 'test/arm64 (emulated linux-arm64)', status: failed ? 'failed' : 'passed', assertionResults }],
  }, null, 2));
}
process.exit(failed > 0 || passed === 0 ? 1 : 0);
