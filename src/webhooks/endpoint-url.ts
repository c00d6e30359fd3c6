import { AppError } from '../errors/index.ts';
import { OutboundError } from '../outbound/errors.ts';
import { parseOutboundUrl } from '../outbound/outbound-url.ts';

/*
 * Where a tenant may send its events: the rules of every URL the service reaches for someone
 * else (src/outbound/), checked when the endpoint is registered and again, by address, at every
 * delivery. Development may allow http and loopback (WEBHOOKS_ALLOW_LOCAL).
 */

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
  return url.href;
}
