/**
 * The Prometheus text exposition as the service really emits it, read back into samples, and
 * turned into `promtool test rules` input series. Test support only: nothing here runs in the service.
 */

export interface Sample {
  /** The series as promtool writes it: `name{label="value",...}`. */
  readonly series: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Scrape {
  readonly samples: ReadonlyMap<string, Sample>;
  /** Metric family name → its `# TYPE`. */
  readonly types: ReadonlyMap<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

export function parseExposition(text: string): Scrape {
  const samples = new Map<string, Sample>();
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line === '' || line.startsWith('#')) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new TypeError(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const series = m[2] ? `${m[1]}{${m[2]}}` : m[1]!;
    samples.set(series, { series, name: m[1]!, labels, value: parseValue(m[3]!) });
  }
  return { samples, types };
}

/** The family a sample belongs to (`x_bucket` of histogram `x` belongs to `x`). */
export function familyOf(scrape: Scrape, name: string): string {
  if (scrape.types.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  if (scrape.types.has(base)) return base;
  throw new TypeError(`no # TYPE for ${name}`);
}

/**
 * How a gauge moves while nothing fixes the state it reports, per minute of promtool time: the
 * three gauges that are clocks move with the clock, every other gauge holds its value.
 */
const CLOCK_GAUGES: Record<string, (end: Scrape) => number> = {
  launchproof_signing_key_age_seconds: () => 60,
  // No rotation in the modelled hours: the due time comes closer.
  launchproof_signing_key_rotation_due_seconds: () => -60,
  // Lag grows only while some list is behind; caught up, it stays 0.
  launchproof_status_list_publication_lag_seconds: (end) => ((end.samples.get('launchproof_status_lists_behind')?.value ?? 0) > 0 ? 60 : 0),
};

function promtoolNumber(n: number): string {
  if (n === Infinity) return 'Inf';
  if (n === -Infinity) return '-Inf';
  return String(Number(n.toFixed(6)));
}

/**
 * Input series for `minutes` minutes of promtool time, built from two real scrapes of one process:
 * a counter increases every minute by what it increased between `start` and `end` (the traffic
 * driven between the scrapes, repeated each minute); a gauge starts at its value in `end` and
 * moves as CLOCK_GAUGES says.
 */
export function inputSeries(start: Scrape, end: Scrape, minutes: number): { series: string; values: string }[] {
  const out: { series: string; values: string }[] = [];
  for (const s of end.samples.values()) {
    if (!s.name.startsWith('launchproof_')) continue;
    const type = end.types.get(familyOf(end, s.name));
    let first: number;
    let step: number;
    if (type === 'counter' || type === 'histogram') {
      first = start.samples.get(s.series)?.value ?? 0;
      step = s.value - first;
    } else if (type === 'gauge') {
      first = s.value;
      step = CLOCK_GAUGES[s.name]?.(end) ?? 0;
    } else {
      throw new TypeError(`unexpected metric type ${type} for ${s.name}`);
    }
    const sign = step < 0 ? '-' : '+';
    out.push({ series: s.series, values: `${promtoolNumber(first)}${sign}${promtoolNumber(Math.abs(step))}x${minutes}` });
  }
  return out;
}
