// Runs the whole suite and ends with the line CI reads, alone: "N passed, N failed" (skips are counted on the line before).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.test-results.json';
rmSync(results, { force: true });
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
  },
);
let summary = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 };
try {
  summary = JSON.parse(readFileSync(results, 'utf8'));
} catch {
  summary.numFailedTests = Math.max(1, summary.numFailedTests);
}
const skipped = summary.numPendingTests + summary.numTodoTests;
const failed = summary.numFailedTests + (run.status !== 0 && summary.numFailedTests === 0 ? 1 : 0);
if (skipped) console.log(`\n${skipped} skipped`);
console.log(`\n${summary.numPassedTests} passed, ${failed} failed`);
process.exit(run.status ?? 1);
