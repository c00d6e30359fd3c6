import { AppError } from '../errors/index.ts';
import { OutboundError } from '../outbound/errors.ts';
import { parseOutboundUrl } from '../outbound/outbound-url.ts';

/*
 * Where a tenant may send its events: the rules of every URL the service reaches for someone
 * else (src/outbound/), checked when the endpoint is registered and again, by address, at every
 * delivery. Development may allow http and loopback (WEBHOOKS_ALLOW_LOCAL).
 */

/** As migration 13 bounds the column. */
export const MAX_URL_LENGTH = 2048;

/** The endpoint URL as stored, or unsafe_webhook_url naming what is wrong. */
export function checkEndpointUrl(text: string, allowLocal: boolean): string {
  let url: URL;
  try {
    url = parseOutboundUrl(text, { allowLoopbackHttp: allowLocal });
  } catch (e) {
    if (!(e instanceof OutboundError)) throw e;
    throw new AppError('unsafe_webhook_url', `the webhook endpoint is refused: ${e.message}`);
  }
  // A fragment is never sent; a URL that carries one was meant for something else.
  if (url.hash !== '') throw new AppError('unsafe_webhook_url', 'the webhook endpoint has no fragment');
  // Percent-encoding lengthens what was written (é is %C3%A9): the stored form is what is bounded.
  if (url.href.length > MAX_URL_LENGTH)
    throw new AppError('unsafe_webhook_url', `the webhook endpoint is longer than ${MAX_URL_LENGTH} characters`);
  return url.href;
}
