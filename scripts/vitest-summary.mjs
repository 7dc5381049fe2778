// Reads vitest JSON reports and prints the one line CI reads: "N passed, N failed[, N skipped]".
// Usage: node scripts/vitest-summary.mjs report.json [report2.json ...]
// A missing or unreadable report counts as one failure: a tier that crashed before
// writing its report must not look green.
import { readFileSync } from 'node:fs';

let passed = 0,
  failed = 0,
  skipped = 0;
for (const file of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // a suite that failed to load (syntax error, failing hook) has no failed *tests*
    for (const suite of r.testResults ?? []) {
      if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed')) failed += 1;
    }
  } catch {
    console.error(`vitest-summary: no readable report at ${file}`);
    failed += 1;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
