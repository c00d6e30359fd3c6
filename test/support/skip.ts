import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';

const printed = new Set<string>();

/**
 * `describe.skipIf(skipBecause(cond, 'set TEST_POSTGRES_URL ...'))`: the condition, unchanged,
 * and when it holds, why the tests are skipped, on stderr once per file (each test file runs in
 * its own module graph), so a skip is never silent. scripts/test.mjs names a file in
 * LAUNCHPROOF_SKIP_LOG and lists every reason again after the summary.
 */
export function skipBecause(condition: boolean, reason: string): boolean {
  if (!condition || printed.has(reason)) return condition;
  printed.add(reason);
  const file = testFile();
  process.stderr.write(`skipped (${file}): ${reason}\n`);
  const log = process.env.LAUNCHPROOF_SKIP_LOG;
  // One short line per append: O_APPEND keeps lines from two workers whole.
  if (log) appendFileSync(log, `${JSON.stringify({ file, reason })}\n`);
  return condition;
}

/** The test file that called skipBecause, from the stack: vitest gives no public "current file" at collection. */
function testFile(): string {
  const stack = new Error().stack ?? '';
  const match = /(\/[^\s():]+\.test\.ts)/.exec(stack);
  return match ? relative(process.cwd(), match[1]!) : 'a test file';
}
