/*
 * What the dispatcher needs of the network: one POST to an endpoint, answered or refused. The
 * runtime supplies it over its guarded edge (no redirects, public addresses only, deadline and
 * size caps); tests supply one over a local server.
 */

export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhookAnswer {
  readonly status: number;
  /** At most the first few hundred characters of the answer's body, for the delivery log. */
  readonly excerpt: string;
  readonly latencyMs: number;
}

/** Why an attempt got no answer: refused before connecting (an unsafe URL), a redirect, a deadline, a network failure. */
export class WebhookSendFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly latencyMs: number,
  ) {
    super(message);
    this.name = 'WebhookSendFailure';
  }
}

export type WebhookSender = (request: WebhookRequest) => Promise<WebhookAnswer>;

/** Characters of an answer kept in the delivery log. */
export const EXCERPT_CHARS = 256;
