/**
 * Why an outbound request was refused or did not complete. Stable codes, no HTTP status: the
 * caller decides what each means to its own caller (a failed verification check, a webhook
 * delivery to retry). `unsafe_url` and `unresolvable` are decided before any connection is made.
 */
export type OutboundErrorCode =
  /** Refused before connecting: scheme, port, credentials, a local name, or an address (written or resolved) that is not allowed. */
  | 'unsafe_url'
  /** The host name has no address. */
  | 'unresolvable'
  /** The answer was a 3xx; it is never followed. */
  | 'redirect'
  /** No complete answer (headers and body) within the deadline. */
  | 'timeout'
  /** The body is longer than the cap. */
  | 'too_large'
  /** The connection failed or broke; the cause stays out of the message, which may reach a caller. */
  | 'network';

export class OutboundError extends Error {
  override readonly name = 'OutboundError';

  constructor(
    readonly code: OutboundErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
