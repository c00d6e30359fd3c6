import { UsageError } from './usage-error.ts';

/** RFC 3339 date-time, or a bare date (midnight UTC): Date.parse alone would take "1" for the year 2001. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** An instant an auditor names on the command line (`--at`); undefined when none was given. */
export function parseInstant(text: string | undefined, option: string): Date | undefined {
  if (text === undefined) return undefined;
  const ms = INSTANT.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`${option} must be an RFC 3339 date-time (2026-03-01T12:00:00Z) or a date, not ${JSON.stringify(text)}`);
  return new Date(ms);
}
