// Reads vitest JSON reports and prints the one line CI reads: "N passed, N failed[, N skipped]".
// Usage: node scripts/vitest-summary.mjs [--require "suite name" ...] report.json [report2.json ...]
// A missing or unreadable report counts as one failure: a tier that crashed before
// writing its report must not look green. Each --require names a describe block that must
// have run with passing tests and none skipped (the job store contract on every driver):
// a driver dropped from the run, or skipped, is a failure, not silence.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const required = [];
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--require') required.push(args[++i]);
  else files.push(args[i]);
}

let passed = 0,
  failed = 0,
  skipped = 0;
const seen = new Map(required.map((r) => [r, { passed: 0, skipped: 0 }]));
for (const file of files) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += r.numFailedTests ?? 0;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    // a suite that failed to load (syntax error, failing hook) has no failed *tests*
    for (const suite of r.testResults ?? []) {
      if (suite.status === 'failed' && !(suite.assertionResults ?? []).some((t) => t.status === 'failed')) failed += 1;
      for (const t of suite.assertionResults ?? []) {
        const s = seen.get((t.ancestorTitles ?? [])[0]);
        if (!s) continue;
        if (t.status === 'passed') s.passed += 1;
        else if (t.status !== 'failed') s.skipped += 1;
      }
    }
  } catch {
    console.error(`vitest-summary: no readable report at ${file}`);
    failed += 1;
  }
}
for (const [name, s] of seen) {
  if (s.passed > 0 && s.skipped === 0) continue;
  console.error(`vitest-summary: required suite "${name}" ${s.passed === 0 ? 'did not run' : `skipped ${s.skipped} test(s)`}`);
  failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exitCode = failed > 0 ? 1 : 0;
