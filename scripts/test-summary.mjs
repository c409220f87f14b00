// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from vitest's JSON
// report, so a run that executed no test is visible. Exits 1 when the report is missing,
// empty, or has failures.
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '.vitest-results.json';
let r;
try {
  r = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(`no vitest report at ${file}: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = r.numPassedTests ?? 0;
const failed = r.numFailedTests ?? 0;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
const badSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0);
for (const s of badSuites) console.log(`suite failed to run: ${s.name}: ${(s.message ?? '').split('\n')[0]}`);
const totalFailed = failed + badSuites.length;
console.log(`${passed} passed, ${totalFailed} failed, ${skipped} skipped`);
process.exit(totalFailed > 0 || passed === 0 ? 1 : 0);
