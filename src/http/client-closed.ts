import type { Context } from 'hono';
import type { AppEnv } from './context.ts';

/**
 * nginx's 499 "client closed request" (issue 11, defect 6). No client ever receives it: it is
 * what the access log and the metrics record when the client hung up before its request could
 * be answered, most often in the middle of its upload. That is the client's doing, so it must
 * never count as a 5xx or be logged at error level. A metrics middleware reads it from
 * `c.res.status` like any other status and keeps it apart from both 4xx refusals and 5xx faults
 * with `isClientClosed`.
 */
export const CLIENT_CLOSED_REQUEST = 499;

export const isClientClosed = (status: number): boolean => status === CLIENT_CLOSED_REQUEST;

/**
 * Whether the client has gone: the request's abort signal (fetch semantics, set by the Node
 * adapter and by Workers when the client disconnects), or the entry point's own view of the
 * connection, which on Node is settled before the body read fails, whatever order the two
 * close events come in.
 */
export function clientClosed(c: Context<AppEnv>): boolean {
  return c.req.raw.signal?.aborted === true || c.env?.clientGone?.() === true;
}
