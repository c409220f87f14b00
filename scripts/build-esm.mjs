// Writes thin ESM entry points over the CommonJS build, one per public entry, so that
// `import { keySlot } from 'ringcache'` and `require('ringcache')` share one module instance
// (no dual-package hazard: one engine load, one lookup cache).
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

// entry name → CommonJS file under dist/src
const entries = { index: 'index.js', hashring: 'hashring.js', 'cluster-key-slot': 'compat/cluster-key-slot.js', http: 'http/index.js' };
const outDir = join(root, 'dist', 'esm');
mkdirSync(outDir, { recursive: true });

for (const [name, file] of Object.entries(entries)) {
  const cjsPath = join(root, 'dist', 'src', file);
  let mod;
  try {
    mod = require(cjsPath);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(cjsPath)) continue; // entry not built yet
    throw err;
  }
  const rel = `../src/${file}`;
  const names = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule' && /^[A-Za-z_$][\w$]*$/.test(k));
  const lines = [`import cjs from '${rel}';`, 'export default cjs;'];
  if (names.length) lines.push(`export const { ${names.join(', ')} } = cjs;`);
  writeFileSync(join(outDir, `${name}.mjs`), lines.join('\n') + '\n');
}
