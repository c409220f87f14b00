// Checks the package as a user gets it (npm run check:package; run by .ci/run). Packs it the way
// `npm publish` would (prepack: build:ts and prebuildify), then on that one tarball:
//   1. its contents: what a user needs (dist, prebuilds, the native sources for the source-build
//      fallback, binding.gyp, README, LICENSE) and nothing else; prints size and file list;
//   2. `attw` (@arethetypeswrong/cli): every subpath under node10, node16 from CJS and from ESM, bundler;
//   3. `publint`: any message, suggestions included, fails;
//   4. TypeScript consumer projects installed from the tarball, each `tsc --noEmit`:
//      CommonJS + node10, CommonJS + node16, ESM + nodenext, bundler (sources in test/types/);
//   5. `import` and `require` of each entry give the same objects (one module instance);
//   6. the installed `ringcache` command: `slot` works, `bench` explains where the suites are.
// Offline apart from the npm cache: the tarball's dependencies come from it (npm ci filled it); the
// consumers' typescript, @types/node and ioredis (the optional peer the store types use) are the
// repo's own devDependencies, linked in.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Each consumer: its package type, source file under test/types/ and compiler options. */
const CONSUMERS = {
  'cjs-node10': { type: 'commonjs', source: 'cjs.ts', compilerOptions: { module: 'commonjs', moduleResolution: 'node10' } },
  'cjs-node16': { type: 'commonjs', source: 'cjs.ts', compilerOptions: { module: 'node16', moduleResolution: 'node16' } },
  'esm-nodenext': { type: 'module', source: 'esm.ts', compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
  bundler: { type: 'module', source: 'esm.ts', compilerOptions: { module: 'esnext', moduleResolution: 'bundler' } },
};

/** Every file in the tarball must match one of these (paths inside `package/`). */
const ALLOWED = [
  /^(package\.json|README\.md|LICENSE|binding\.gyp)$/,
  /^native\/(core|binding)\/[\w-]+\.(cc|h)$/,
  /^prebuilds\/[\w-]+\/[\w.@-]+\.node$/,
  /^dist\/src\/[\w/-]+\.(js|d\.ts)$/,
  /^dist\/esm\/[\w-]+\.(mjs|d\.mts)$/,
  /^vcl\/[\w-]+\.vcl$/,
];
/** ...and these must be there. */
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'native/core/key-slot.cc', 'dist/src/cli/main.js', 'vcl/ringcache.vcl'];

/** Prints 'shared' when every ESM entry's exports are the very objects `require` returns. */
const SHARED_INSTANCE = `
import { createRequire } from 'node:module';
import ringcache, { HashRing, keySlot } from 'ringcache';
import hashring, { version } from 'ringcache/hashring';
import clusterKeySlot, { generate } from 'ringcache/cluster-key-slot';
const require = createRequire(import.meta.url);
const same = ringcache === require('ringcache') && HashRing === require('ringcache').HashRing &&
  keySlot === require('ringcache').keySlot && hashring === require('ringcache/hashring') &&
  version === hashring.version && clusterKeySlot === require('ringcache/cluster-key-slot') &&
  generate === clusterKeySlot.generate;
console.log(same ? 'shared' : 'distinct');
`;

let failures = 0;
function fail(message) {
  console.error(`check-package: FAIL ${message}`);
  failures++;
}

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  return { ok: r.status === 0, status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, stdout: r.stdout ?? '' };
}

function must(cmd, args, cwd) {
  const r = run(cmd, args, cwd);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}) in ${cwd}\n${r.out}`);
  return r;
}

const tmp = mkdtempSync(join(tmpdir(), 'ringcache-package-'));
try {
  console.log('check-package: npm pack (prepack: build:ts, prebuild)');
  must('npm', ['pack', '--pack-destination', tmp], root);
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack wrote no tarball');
  const tarball = join(tmp, tgz);

  // 1. Contents.
  const listing = must('tar', ['tzvf', tarball], tmp)
    .stdout.split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      return { size: Number(fields[2]), path: fields.slice(5).join(' ').replace(/^package\//, '') };
    });
  const unpacked = listing.reduce((sum, f) => sum + f.size, 0);
  console.log(`check-package: ${tgz}: ${statSync(tarball).size} bytes packed, ${unpacked} unpacked, ${listing.length} files`);
  const groups = new Map();
  for (const f of listing) {
    const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : '';
    groups.set(dir, [...(groups.get(dir) ?? []), f.path.slice(dir.length)]);
  }
  for (const [dir, names] of [...groups].sort()) console.log(`  ${dir || './'}  ${names.sort().join(' ')}`);
  const extra = listing.filter((f) => !ALLOWED.some((re) => re.test(f.path))).map((f) => f.path);
  if (extra.length) fail(`tarball holds ${extra.length} file(s) no user needs: ${extra.slice(0, 10).join(' ')}${extra.length > 10 ? ' …' : ''}`);
  for (const p of REQUIRED) if (!listing.some((f) => f.path === p)) fail(`tarball lacks ${p}`);
  for (const arch of ['linux-x64', 'linux-arm64']) {
    if (!listing.some((f) => f.path.startsWith(`prebuilds/${arch}/`))) fail(`tarball holds no ${arch} prebuild`);
  }

  // 2. Are the types wrong (every subpath, every resolution mode; exit code non-zero on any problem)?
  console.log('check-package: attw');
  const attw = run(bin('attw'), ['--no-definitely-typed', '--no-emoji', '--no-color', '--format', 'table-flipped', tarball], tmp);
  console.log(attw.out.trim());
  if (!attw.ok) fail('attw reported problems (above)');

  // 3. publint: every message counts, suggestions too.
  console.log('check-package: publint');
  const buffer = readFileSync(tarball);
  const { messages, pkg } = await publint({ pack: { tarball: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length) } });
  for (const m of messages) fail(`publint ${m.type}: ${formatMessage(m, pkg)}`);
  if (!messages.length) console.log('publint: no messages');

  // 4. Consumer projects, sharing one node_modules with the installed tarball.
  console.log('check-package: TypeScript consumer projects');
  const app = join(tmp, 'consumers');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumers', version: '1.0.0', private: true }));
  must('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-package-lock', '--no-audit', '--no-fund', tarball], app);
  for (const dep of ['@types/node', 'ioredis']) {
    mkdirSync(dirname(join(app, 'node_modules', dep)), { recursive: true });
    symlinkSync(join(root, 'node_modules', dep), join(app, 'node_modules', dep), 'dir');
  }
  for (const [name, { type, source, compilerOptions }] of Object.entries(CONSUMERS)) {
    const dir = join(app, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type }));
    cpSync(join(root, 'test', 'types', source), join(dir, 'index.ts'));
    const tsconfig = {
      compilerOptions: { ...compilerOptions, target: 'es2022', strict: true, skipLibCheck: false, noEmit: true, types: ['node'] },
      files: ['index.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = run(bin('tsc'), ['-p', 'tsconfig.json'], dir);
    if (tsc.ok) console.log(`  ${name}: tsc --noEmit ok (${source}, ${compilerOptions.moduleResolution})`);
    else fail(`consumer ${name} (${source}, ${compilerOptions.moduleResolution}) does not compile:\n${tsc.out}`);
  }

  // 5. At run time `import` and `require` share one module instance (the ESM entries wrap the CJS build).
  const shared = run(process.execPath, ['--input-type=module', '-e', SHARED_INSTANCE], app);
  if (!shared.ok || shared.stdout.trim() !== 'shared') fail(`ESM and CommonJS entries do not share one instance:\n${shared.out}`);

  // 6. The installed command.
  const cli = join(app, 'node_modules', '.bin', 'ringcache');
  const slot = run(cli, ['slot', '--json', 'foo{}{bar}'], app);
  if (!slot.ok || !slot.stdout.includes('8363')) fail(`installed 'ringcache slot' failed:\n${slot.out}`);
  const bench = run(cli, ['bench'], app);
  if (bench.status !== 1 || !bench.out.includes('source checkout') || /\n\s+at /.test(bench.out)) {
    fail(`installed 'ringcache bench' should exit 1 saying the suites need a source checkout:\n${bench.out}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (failures) {
  console.error(`check-package: ${failures} failure(s)`);
  process.exit(1);
}
console.log('check-package: ok');
