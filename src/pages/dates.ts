const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * An instant as a buyer reads it, always in UTC and always in English. Not `toLocaleString`: the
 * browser and the server render the same report, and their locales and time zones differ.
 */
export function readableInstant(d: Date): string {
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** A claim that holds an instant: JWT NumericDate seconds, or an RFC 3339 string; anything else is no date. */
export function instantOf(value: unknown): Date | undefined {
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value)) ms = value * 1000;
  else if (typeof value === 'string' && value.length <= 40) ms = Date.parse(value);
  if (ms === undefined || Number.isNaN(ms) || Math.abs(ms) > 8.64e15) return undefined;
  return new Date(ms);
}
