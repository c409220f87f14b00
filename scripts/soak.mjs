#!/usr/bin/env node
// `npm run soak -- flood [--keys N]`, or `npm run soak -- --seconds N [--profile cluster|ring] [--replica-ack on|off] [--workers N] [--seed N] [--out DIR]`:
// compiles the soak (test/soak, its helpers and src) with tsc into .soak-build/ (the workers are
// child processes running plain JS, so no test runner is involved), then runs the coordinator.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'test/soak/tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
// `npm run soak -- flood [--keys N]`: the memory flood (test/soak/flood.ts) instead of the soak.
const args = process.argv.slice(2);
const entry = args[0] === 'flood' ? 'flood.js' : 'main.js';
if (args[0] === 'flood') args.shift();
const run = spawnSync(process.execPath, ['--expose-gc', join(root, '.soak-build/test/soak', entry), ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
