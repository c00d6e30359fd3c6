/**
 * The one table the side-by-side benchmark prints: each launchproof figure beside a baseline
 * measured in the same run, the ratios, and issue 12's target where it sets one. A target not
 * met is reported, never turned into a failure: the bench measures, it does not gate.
 */

/** One side of a line: a rate (with latencies when measured under load) or a memory figure. */
export interface Figure {
  readonly perSecond?: number;
  readonly p50?: number;
  readonly p99?: number;
  readonly errors?: number;
  readonly firstError?: string;
  readonly mib?: number;
}

export interface Target {
  readonly label: string;
  /** False for an absolute target (memory), which a missing baseline does not prevent judging. */
  readonly relative: boolean;
  readonly met: (ours: Figure, baseline: Figure) => boolean;
}

export interface Line {
  readonly what: string;
  /** launchproof's figure, or why it was not measured. */
  readonly ours: Figure | string;
  readonly baselineName: string;
  /** The baseline's figure, or why it was not measured. */
  readonly baseline: Figure | string;
  readonly target?: Target;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n < 10 ? n.toFixed(2) : n.toFixed(1));

function cell(f: Figure | string): string {
  if (typeof f === 'string') return f;
  if (f.mib !== undefined) return `${int(f.mib)} MiB${f.errors ? ` (**${int(f.errors)} issuances failed**)` : ''}`;
  const parts = [`${int(f.perSecond ?? 0)}/s`];
  if (f.p99 !== undefined) parts.push(`p50 ${ms(f.p50)} ms`, `p99 ${ms(f.p99)} ms`);
  if (f.errors) parts.push(`**${int(f.errors)} errors**`);
  return parts.join(' · ');
}

function ratios(ours: Figure | string, baseline: Figure | string): { rate: string; p99: string } {
  if (typeof ours === 'string' || typeof baseline === 'string') return { rate: '–', p99: '–' };
  if (ours.mib !== undefined && baseline.mib !== undefined) return { rate: `${(ours.mib / baseline.mib).toFixed(2)}× (memory)`, p99: '–' };
  const rate = ours.perSecond !== undefined && baseline.perSecond ? (ours.perSecond / baseline.perSecond).toFixed(3) : '–';
  const p99 = ours.p99 !== undefined && baseline.p99 ? `${(ours.p99 / baseline.p99).toFixed(1)}×` : '–';
  return { rate, p99 };
}

function verdict(line: Line): string {
  if (!line.target) return '';
  if (typeof line.ours === 'string') return 'not run';
  if (typeof line.baseline === 'string' && line.target.relative) return 'not judged (no baseline)';
  return line.target.met(line.ours, typeof line.baseline === 'string' ? {} : line.baseline) ? 'met' : '**not met**';
}

export function renderTable(lines: readonly Line[]): string {
  const out = [
    '| measurement | launchproof | baseline (same run) | rate ratio | p99 ratio | target (issue 12) | met |',
    '|---|---|---|---:|---:|---|---|',
  ];
  for (const l of lines) {
    const r = ratios(l.ours, l.baseline);
    out.push(
      `| ${l.what} | ${cell(l.ours)} | ${l.baselineName}: ${cell(l.baseline)} | ${r.rate} | ${r.p99} | ${l.target?.label ?? ''} | ${verdict(l)} |`,
    );
  }
  return out.join('\n');
}

/** The first failure of each line that had errors, so a wrong status is seen, not just counted. */
export function errorNotes(lines: readonly Line[]): string[] {
  const notes: string[] = [];
  for (const l of lines) {
    for (const [who, f] of [
      ['launchproof', l.ours],
      [l.baselineName, l.baseline],
    ] as const) {
      if (typeof f !== 'string' && f.errors) notes.push(`${l.what} (${who}): ${f.errors} errors, first: ${f.firstError ?? '?'}`);
    }
  }
  return [...new Set(notes)];
}

export const TARGETS = {
  publicGet: {
    label: '≥ 0.5× Hono c32, p99 ≤ 2×',
    relative: true,
    met: (o, b) => (o.perSecond ?? 0) >= 0.5 * (b.perSecond ?? Infinity) && (o.p99 ?? Infinity) <= 2 * (b.p99 ?? 0),
  },
  verify: { label: '≥ 0.3× jose jwtVerify', relative: true, met: (o, b) => (o.perSecond ?? 0) >= 0.3 * (b.perSecond ?? Infinity) },
  issuancePostgres: { label: '≥ 0.5× peer (c32)', relative: true, met: (o, b) => (o.perSecond ?? 0) >= 0.5 * (b.perSecond ?? Infinity) },
  rss: { label: '≤ 200 MiB', relative: false, met: (o) => (o.mib ?? Infinity) <= 200 },
} satisfies Record<string, Target>;
