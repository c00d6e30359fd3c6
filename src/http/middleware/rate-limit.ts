import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../../errors/index.ts';
import type { AppEnv } from '../context.ts';
import { FixedWindows, type WindowState } from '../fixed-window.ts';
import { problemResponse } from '../problem-response.ts';

/**
 * Header syntax of draft-ietf-httpapi-ratelimit-headers-10 (27 September 2025; -11 of May 2026
 * is the latest revision): both fields are Structured Field lists of named policies,
 * `RateLimit-Policy: "name";q=QUOTA;w=WINDOW` and `RateLimit: "name";r=REMAINING;t=RESET`.
 * A response under two policies (public and verify) lists both, so the fields are appended.
 */
export function advertise(headers: Headers, name: string, windows: FixedWindows, state: WindowState): void {
  const fields = rateLimitFields(name, windows, state);
  headers.append('ratelimit-policy', fields['ratelimit-policy']);
  headers.append('ratelimit', fields.ratelimit);
}

/** The two fields for one policy, as values. */
export function rateLimitFields(name: string, windows: FixedWindows, state: WindowState) {
  return {
    'ratelimit-policy': `"${name}";q=${windows.quota};w=${windows.windowSeconds}`,
    ratelimit: `"${name}";r=${state.remaining};t=${state.resetSeconds}`,
  };
}

/** A named policy: one quota per minute, counted per key. */
export interface Policy {
  readonly name: string;
  readonly windows: FixedWindows;
}

export function policy(name: string, perMinute: number): Policy {
  return { name, windows: new FixedWindows(perMinute, 60) };
}

/** A named policy over a window other than a minute (for what must stay rare, such as requests the service makes for a caller). */
export function windowPolicy(name: string, quota: number, windowSeconds: number): Policy {
  return { name, windows: new FixedWindows(quota, windowSeconds) };
}

/**
 * Counts one request of `key` against `p`. Refused: the 429 problem with Retry-After, to return
 * as is. Admitted: a function that puts the fields on the response once there is one.
 */
export function take(
  c: Context<AppEnv>,
  p: Policy,
  key: string,
  now: Date,
): { refused: Response; stamp?: never } | { refused?: never; stamp: () => void } {
  const state = p.windows.take(key, now.getTime());
  if (!state.allowed) return { refused: refusal(c, p, state) };
  return { stamp: () => advertise(c.res.headers, p.name, p.windows, state) };
}

/** The 429 for `key` if it has already spent `p`'s quota in this window (nothing counted); else undefined. */
export function refuseIfSpent(c: Context<AppEnv>, p: Policy, key: string, now: Date): Response | undefined {
  const state = p.windows.spent(key, now.getTime());
  if (!state) return undefined;
  return refusal(c, p, state);
}

function refusal(c: Context<AppEnv>, p: Policy, state: WindowState): Response {
  const per = p.windows.windowSeconds === 60 ? 'minute' : `${p.windows.windowSeconds} s`;
  const refused = problemResponse(c, new AppError('rate_limited', `${p.name} quota of ${p.windows.quota} per ${per} spent`));
  refused.headers.set('retry-after', String(state.resetSeconds));
  advertise(refused.headers, p.name, p.windows, state);
  return refused;
}

/** Middleware for one policy, counted per whatever `keyOf` names (a client address, usually). */
export function rateLimit(p: Policy, keyOf: (c: Context<AppEnv>) => string, clock: () => Date): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const taken = take(c, p, keyOf(c), clock());
    if (taken.refused) return taken.refused;
    await next();
    taken.stamp();
  };
}
