/*
 * When a tenant is told that evidence is nearing its end (issue 14, `evidence.expiring`): 30, 7
 * and 1 days before it expires, each once.
 */

export const REMINDER_DAYS = [30, 7, 1] as const;
export type ReminderDays = (typeof REMINDER_DAYS)[number];

const DAY_MS = 86_400_000;

/**
 * The reminder to place now, if any: the most urgent threshold crossed that is more urgent than
 * the last one placed. A sweep that was down while a 30-day reminder fell due and comes back when
 * the 7-day one has too sends the 7-day one alone: two reminders at once would tell the tenant
 * nothing the second does not. Nothing once the evidence has expired: "1 day left" would be false.
 */
export function reminderDue(expiresAt: Date, now: Date, lastPlaced: ReminderDays | null): ReminderDays | undefined {
  const left = expiresAt.getTime() - now.getTime();
  if (left <= 0) return undefined;
  const crossed = REMINDER_DAYS.filter((d) => left <= d * DAY_MS).at(-1);
  if (crossed === undefined) return undefined;
  return lastPlaced === null || crossed < lastPlaced ? crossed : undefined;
}
