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
 * Whether the client hung up before its request was read whole. The entry point's own view of
 * the connection comes first where it has one (Node: the socket closed with the body short, which
 * is settled before the body read fails): it is precise, so a genuine fault of ours that merely
 * coincides with a hang-up after the body arrived stays a logged 5xx. Elsewhere the request's
 * abort signal (fetch semantics, set when the client disconnects) is all there is.
 */
export function clientClosed(c: Context<AppEnv>): boolean {
  const gone = c.env?.clientGone;
  return gone ? gone() : c.req.raw.signal?.aborted === true;
}
