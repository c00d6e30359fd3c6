/** Runs `fn` repeatedly for about `ms` milliseconds (after a warm-up) and returns operations per second. */
export async function opsPerSecond(fn: () => Promise<unknown>, ms = 2_000): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < warmUntil) await fn();
  let n = 0;
  const start = performance.now();
  const deadline = start + ms;
  while (performance.now() < deadline) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

/**
 * Operations per second of each function, measured in alternating slices of `sliceMs` for about
 * `ms` in all (after a warm-up of each): on a machine whose load changes from second to second,
 * a ratio between them then compares the same moments instead of two different stretches.
 */
export async function interleavedOpsPerSecond(fns: readonly (() => Promise<unknown>)[], ms = 6_000, sliceMs = 250): Promise<number[]> {
  for (const fn of fns) {
    const warmUntil = performance.now() + 200;
    while (performance.now() < warmUntil) await fn();
  }
  const ops = fns.map(() => 0);
  const spent = fns.map(() => 0);
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    for (let i = 0; i < fns.length; i++) {
      const start = performance.now();
      const sliceEnd = start + sliceMs;
      while (performance.now() < sliceEnd) {
        await fns[i]!();
        ops[i]!++;
      }
      spent[i]! += performance.now() - start;
    }
  }
  return ops.map((n, i) => (n * 1000) / spent[i]!);
}

export function table(rows: { name: string; perSecond: number; baseline: number; baselineName: string }[]): string {
  const lines = ['| measurement | per second | baseline (same run) | ratio |', '|---|---:|---|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.perSecond.toFixed(0)} | ${r.baselineName}: ${r.baseline.toFixed(0)}/s | ${(r.perSecond / r.baseline).toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}

/** Rate limits out of the way: a benchmark measures the work, not the limiter's 429s. */
export const UNLIMITED_RATES: Readonly<Record<string, string>> = {
  VERIFY_RATE_LIMIT_PER_MINUTE: '100000000',
  RATE_LIMIT_OPERATOR_PER_MINUTE: '100000000',
  RATE_LIMIT_ISSUANCE_PER_MINUTE: '100000000',
  RATE_LIMIT_PUBLIC_PER_MINUTE: '100000000',
};
