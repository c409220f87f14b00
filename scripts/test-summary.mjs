// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from vitest's JSON
// report, plus any further reports of the same shape (test/arm64/run.mjs --json), so a run
// that executed no test is visible. Exits 1 when a report is missing, empty, or has failures.
import { readFileSync } from 'node:fs';

const files = process.argv.length > 2 ? process.argv.slice(2) : ['.vitest-results.json'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of files) {
  let r;
  try {
    r = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    console.log(`no test report at ${file}: ${err.message}`);
    failed++;
    continue;
  }
  const badSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0);
  for (const s of badSuites) console.log(`suite failed to run: ${s.name}: ${(s.message ?? '').split('\n')[0]}`);
  if ((r.numPassedTests ?? 0) === 0) console.log(`no test passed in ${file}`);
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + badSuites.length + ((r.numPassedTests ?? 0) === 0 ? 1 : 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
