// Prints "N passed, N failed" from vitest's JSON report. A missing report (typecheck or lint stopped
// the run before the tests) and a test file that failed to load each count as one failure, so the
// line never claims a clean run that did not happen.
import { existsSync, readFileSync } from 'node:fs';

const path = process.argv[2] ?? '.stagecoach/vitest-report.json';
if (!existsSync(path)) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(path, 'utf8'));
// A file that failed without a failed test of its own (it did not load, or a beforeAll threw and
// its tests were skipped) counts as one failure; so does a run reported unsuccessful for any other
// reason (an unhandled error).
const brokenFiles = (report.testResults ?? []).filter(
  (file) =>
    file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
).length;
const passed = report.numPassedTests ?? 0;
let failed = (report.numFailedTests ?? 0) + brokenFiles;
if (report.success === false && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || report.success === false ? 1 : 0);
