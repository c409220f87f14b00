// The package's public entry points, and everything derived from them. Runs after tsc (npm run build:ts).
//
// The code is compiled once, to CommonJS (dist/src, with .d.ts). For each entry this script writes
//   dist/esm/NAME.mjs    a thin ESM wrapper that re-exports the CommonJS module, so that
//                        `import { keySlot } from 'ringcache'` and `require('ringcache')` share one module
//                        instance (no dual-package hazard: one engine load, one lookup cache, one set of
//                        error classes for `instanceof`);
//   dist/esm/NAME.d.mts  its ESM declarations, re-exporting the CommonJS ones, so that TypeScript types an
//                        `import` under ESM rules (an ESM file typed by a .d.ts "masquerades as CommonJS");
// and keeps package.json's "exports" (import → .d.mts/.mjs, require → .d.ts/.js) and "typesVersions"
// (the subpaths for moduleResolution node10, which ignores "exports") in step with ENTRIES.
//
// By hand rather than with tshy or tsup: both compile or bundle a second, ESM copy of the code, which
// would give ESM and CommonJS users two engines and two sets of classes; what the one-build design
// needs is these few generated lines per entry.
//
// To add a subpath: add one line to ENTRIES, run `npm run build:ts` (it rewrites those two fields of
// package.json), commit package.json too, and use the subpath in the consumer projects under test/types/.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Subpath → [ESM file name under dist/esm, CommonJS module under dist/src (no extension)]. */
const ENTRIES = {
  '.': ['index', 'index'],
  './hashring': ['hashring', 'hashring'],
  './cluster-key-slot': ['cluster-key-slot', 'compat/cluster-key-slot'],
  './http': ['http', 'http/index'],
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const outDir = join(root, 'dist', 'esm');
mkdirSync(outDir, { recursive: true });

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** The wrapper and its declarations for one CommonJS module (`mod` is what it exports at run time). */
function esmFiles(rel, mod) {
  const names = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule' && IDENTIFIER.test(k));
  const mjs = [`import cjs from '${rel}';`, 'export default cjs;'];
  if (names.length) mjs.push(`export const { ${names.join(', ')} } = cjs;`);
  // Node's default import of a CommonJS module is module.exports, whatever __esModule says; the types
  // say the same. A module compiled from ES syntax (__esModule) has named exports with value and type
  // meanings: `export *` carries both; its module.exports is the namespace less the `default` that
  // TypeScript synthesizes for a CommonJS namespace (module.exports.default is undefined). An
  // `export =` module (hashring, cluster-key-slot) exposes its own properties as the named exports.
  const dmts = mod.__esModule
    ? [
        `import * as cjs from '${rel}';`,
        `export * from '${rel}';`,
        '/** module.exports of the CommonJS build: what Node gives a default import of it. */',
        "declare const moduleExports: Omit<typeof cjs, 'default'>;",
        'export default moduleExports;',
      ]
    : [`import cjs from '${rel}';`, 'export default cjs;', ...names.map((n) => `export declare const ${n}: typeof cjs.${n};`)];
  return { mjs: mjs.join('\n') + '\n', dmts: dmts.join('\n') + '\n' };
}

let built = 0;
for (const [name, file] of Object.values(ENTRIES)) {
  const cjsPath = join(root, 'dist', 'src', `${file}.js`);
  let mod;
  try {
    mod = require(cjsPath);
  } catch (err) {
    if (err.code === 'MODULE_NOT_FOUND' && String(err.message).includes(cjsPath)) continue; // entry not built yet
    throw err;
  }
  const { mjs, dmts } = esmFiles(`../src/${file}.js`, mod);
  writeFileSync(join(outDir, `${name}.mjs`), mjs);
  writeFileSync(join(outDir, `${name}.d.mts`), dmts);
  built++;
}

// package.json: conditions in the order TypeScript and Node read them ("types" first in each branch).
const exportsField = {};
const typesVersions = {};
for (const [subpath, [name, file]] of Object.entries(ENTRIES)) {
  exportsField[subpath] = {
    import: { types: `./dist/esm/${name}.d.mts`, default: `./dist/esm/${name}.mjs` },
    require: { types: `./dist/src/${file}.d.ts`, default: `./dist/src/${file}.js` },
  };
  if (subpath !== '.') typesVersions['*'] = { ...typesVersions['*'], [subpath.slice(2)]: [`./dist/src/${file}.d.ts`] };
}
exportsField['./package.json'] = './package.json';

const pkgPath = join(root, 'package.json');
const before = readFileSync(pkgPath, 'utf8');
const pkg = JSON.parse(before);
pkg.exports = exportsField;
pkg.typesVersions = typesVersions;
const after = JSON.stringify(pkg, null, 2) + '\n';
if (after !== before) {
  writeFileSync(pkgPath, after);
  console.log('build-esm: updated "exports" and "typesVersions" in package.json from ENTRIES');
}
console.log(`build-esm: ${built} of ${Object.keys(ENTRIES).length} ESM entries written to dist/esm`);
