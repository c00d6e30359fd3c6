import type { OutboundEdge } from '../outbound/edge.ts';
import { OutboundError } from '../outbound/errors.ts';
import { createGuardedRequest } from '../outbound/guarded-request.ts';
import { EXCERPT_CHARS, WebhookSendFailure, type WebhookSender } from './sender.ts';

/*
 * Webhook deliveries over the guarded edge every outbound request of the service takes
 * (src/outbound/): https to public addresses only, the address checked being the one connected
 * to (on Node), no redirect followed, one deadline, the answer read up to a cap.
 */

export interface WebhookSenderOptions {
  /** Development only (WEBHOOKS_ALLOW_LOCAL): http and loopback endpoints too. */
  readonly allowLocal: boolean;
  /** For the whole exchange; a receiver should answer at once and work afterwards (10 s unless given). */
  readonly timeoutMs?: number;
}

/** An answer longer than this is a receiver misbehaving: the attempt fails as too_large. */
const MAX_ANSWER_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;

export function webhookSender(edge: OutboundEdge, options: WebhookSenderOptions): WebhookSender {
  const request = createGuardedRequest({
    edge,
    policy: { allowLoopbackHttp: options.allowLocal },
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxBytes: MAX_ANSWER_BYTES,
  });
  return async (message) => {
    const started = performance.now();
    try {
      const answer = await request({ url: message.url, method: 'POST', headers: message.headers, body: message.body });
      return { status: answer.status, excerpt: excerptOf(answer.body), latencyMs: answer.elapsedMs };
    } catch (e) {
      if (e instanceof OutboundError) throw new WebhookSendFailure(e.code, e.message, performance.now() - started);
      throw e;
    }
  };
}

/**
 * The first characters of an answer, as text, for the delivery log: invalid UTF-8 and NUL (which
 * PostgreSQL text cannot hold, and which would fail the attempt's record) replaced by U+FFFD.
 */
function excerptOf(body: Uint8Array): string {
  return new TextDecoder()
    .decode(body.subarray(0, EXCERPT_CHARS * 4))
    .slice(0, EXCERPT_CHARS)
    .replaceAll('\u0000', '\ufffd');
}
