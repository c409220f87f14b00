// `npm run prebuild` (and prepack): the prebuilt binaries the tarball ships, one per target,
// `prebuilds/linux-<arch>/ringcache.glibc.node`, built with prebuildify --napi --strip.
//
// - linux-x64 and linux-arm64, both glibc. The host's own arch uses the host compiler; the other
//   is cross-compiled with Debian's GNU cross toolchain (CC/CXX/LINK/AR/strip from the
//   environment node-gyp reads). A missing cross compiler fails the prebuild with the package to
//   install: a tarball without a binary it claims would silently put arm64 users on the TS engine.
// - Tagged `glibc` (--tag-libc) so node-gyp-build on musl (Alpine) skips them: there, the
//   install script builds from source instead of picking a binary that cannot load.
// - Each target builds in a scratch copy (binding.gyp, package.json; native/ and node_modules
//   linked) so the working tree's build/ — which tests may be loading — is never touched.
// - Each output's ELF machine is checked, so a mis-set toolchain cannot label an x64 file arm64.
//
// Usage: npm run prebuild [-- x64|arm64 …]   (default: every target). Run through npm, which puts
// its node-gyp on PATH; set npm_config_nodedir (node-gyp finds Node's headers offline only so).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { arch as hostArch, platform, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every target the tarball ships: GNU triplet (cross tools), Debian package, ELF e_machine. */
const TARGETS = {
  x64: { triplet: 'x86_64-linux-gnu', debian: 'g++-x86-64-linux-gnu', machine: 0x3e },
  arm64: { triplet: 'aarch64-linux-gnu', debian: 'g++-aarch64-linux-gnu', machine: 0xb7 },
};

function fail(message) {
  console.error(`prebuild: ${message}`);
  process.exit(1);
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** The ELF e_machine field of `file` (little-endian, offset 18). */
function elfMachine(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    readSync(fd, head, 0, 20, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46) fail(`${file} is not an ELF file`);
    return head.readUInt16LE(18);
  } finally {
    closeSync(fd);
  }
}

/** Environment for node-gyp: the host compiler for the host arch, else the GNU cross tools. */
function toolchainEnv(arch) {
  if (arch === hostArch()) return {};
  const { triplet, debian } = TARGETS[arch];
  const tools = { CC: 'gcc', CXX: 'g++', LINK: 'g++', AR: 'ar' };
  const env = {};
  for (const [key, tool] of Object.entries(tools)) env[key] = `${triplet}-${tool}`;
  const missing = [...new Set(Object.values(env))].filter((cmd) => !onPath(cmd));
  if (missing.length > 0) {
    fail(
      `the linux-${arch} prebuild needs the ${triplet} cross toolchain (${missing.join(', ')} not found).\n` +
        `  Install it: apt-get install ${debian}   (Debian/Ubuntu)\n` +
        '  (prepack runs this: npm pack/publish stops here rather than ship a tarball without it)',
    );
  }
  return { ...env, PREBUILD_STRIP_BIN: `${triplet}-strip` };
}

function prebuild(arch) {
  const env = { ...process.env, ...toolchainEnv(arch) };
  const scratch = mkdtempSync(join(tmpdir(), `ringcache-prebuild-${arch}-`));
  try {
    for (const f of ['binding.gyp', 'package.json']) copyFileSync(join(root, f), join(scratch, f));
    for (const d of ['native', 'node_modules']) symlinkSync(join(root, d), join(scratch, d), 'dir');
    const out = join(root, 'prebuilds', `linux-${arch}`);
    rmSync(out, { recursive: true, force: true });
    const prebuildify = join(root, 'node_modules', '.bin', 'prebuildify');
    const args = ['--napi', '--strip', '--tag-libc', `--arch=${arch}`, `--cwd=${scratch}`, `--out=${root}`];
    console.log(`prebuild: linux-${arch}${env.CXX ? ` with ${env.CXX}` : ''}`);
    const r = spawnSync(prebuildify, args, { cwd: scratch, env, stdio: 'inherit' });
    if (r.status !== 0) fail(`prebuildify for linux-${arch} failed (exit ${r.status ?? r.signal})`);
    const files = readdirSync(out).filter((f) => f.endsWith('.node'));
    if (files.length !== 1) fail(`expected one .node file in ${out}, found ${files.length}`);
    const machine = elfMachine(join(out, files[0]));
    if (machine !== TARGETS[arch].machine) {
      fail(`${out}/${files[0]} is for ELF machine 0x${machine.toString(16)}, not ${arch}`);
    }
    console.log(`prebuild: prebuilds/linux-${arch}/${files[0]}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (platform() !== 'linux') fail(`the release binaries are built on Linux (this is ${platform()})`);
if (!(hostArch() in TARGETS)) fail(`no toolchain mapping for a ${hostArch()} host`);
if (!onPath('node-gyp')) fail('node-gyp is not on PATH: run this as `npm run prebuild`');
const requested = process.argv.slice(2);
for (const a of requested) if (!(a in TARGETS)) fail(`unknown arch '${a}' (known: ${Object.keys(TARGETS).join(', ')})`);
const arches = requested.length > 0 ? requested : Object.keys(TARGETS);
// Check every toolchain before building anything: fail fast, leave prebuilds/ as it was.
for (const a of arches) toolchainEnv(a);
for (const a of arches) prebuild(a);
