// Runs the whole suite and ends with the line CI reads, alone: "N passed, N failed" (skips are counted on the line before).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const results = '.test-results.json';
// test/support/skip.ts appends each skip's reason here, one JSON line per file and reason.
const skipLog = resolve('.test-skips.jsonl');
rmSync(results, { force: true });
rmSync(skipLog, { force: true });
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${results}`, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, LAUNCHPROOF_SKIP_LOG: skipLog },
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
if (skipped) console.log(`\n${skipped} skipped${skipReasons()}`);
console.log(`\n${summary.numPassedTests} passed, ${failed} failed`);
process.exit(run.status ?? 1);

/** ":" and one line per reason, with the files it skipped in; empty when no reason was logged. */
function skipReasons() {
  let text;
  try {
    text = readFileSync(skipLog, 'utf8');
  } catch {
    return '';
  }
  rmSync(skipLog, { force: true });
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const byReason = new Map();
  for (const { file, reason } of lines) byReason.set(reason, [...(byReason.get(reason) ?? []), file]);
  return `:${[...byReason].map(([reason, files]) => `\n  - ${reason} (${[...new Set(files)].sort().join(', ')})`).join('')}`;
}
