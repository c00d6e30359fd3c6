import { isLoopbackAddress, isPublicAddress } from './public-address.ts';

/** Which destinations a guarded request may reach, beyond the default of https to public addresses. */
export interface OutboundPolicy {
  /**
   * Development only, off by default: http:// and https:// to this machine (127.0.0.0/8, ::1,
   * `localhost`), for tests and a webhook receiver run locally. Private networks stay refused.
   */
  readonly allowLoopbackHttp?: boolean;
}

/** Judges one IP address, written or resolved, as a destination. */
export type AddressRule = (address: string) => boolean;

/**
 * The addresses a request to `url` may connect to. Plain http is only ever let through to
 * loopback (outbound-url.ts), so its addresses must be loopback too, whatever the name resolves to.
 */
export function addressRuleFor(url: URL, policy: OutboundPolicy): AddressRule {
  if (url.protocol === 'http:') return isLoopbackAddress;
  return policy.allowLoopbackHttp ? (address) => isPublicAddress(address) || isLoopbackAddress(address) : isPublicAddress;
}
