import { bundleKeys, bundleProfiles } from '../verify/bundle-environment.ts';
import type { VerifyEnvironment } from '../verify/pipeline.ts';
import type { TrustBundle } from '../verify/trust-bundle.ts';
import { liveNotices, liveStatusLists, type PageFetch } from './live-sources.ts';

/** The server's default VERIFY_CLOCK_SKEW_SECONDS: a browser has no configuration, and must judge as the server does. */
export const BROWSER_SKEW_SECONDS = 60;

export interface LiveDeps {
  /** The page's origin: the only place anything is fetched from. */
  readonly origin: URL;
  readonly fetch: PageFetch;
  readonly clock: () => Date;
}

/**
 * What the browser verifies with: the issuer's keys and profiles from its trust bundle (the
 * whole key history, as the server reads it), its status lists and notices live from the site,
 * and the browser's own clock. Only the bundle's issuer is trusted; the page never verifies
 * anyone else's credentials (it would have to fetch what they name).
 */
export function browserEnvironment(bundle: TrustBundle, deps: LiveDeps): VerifyEnvironment {
  const { did, issuer_url: issuerUrl } = bundle.issuer;
  return {
    keys: bundleKeys(bundle),
    statusLists: liveStatusLists(deps.origin, deps.fetch),
    notices: liveNotices(deps.origin, deps.fetch),
    isTrusted: (issuer) => issuer === did || issuer === issuerUrl,
    now: deps.clock(),
    skewSeconds: BROWSER_SKEW_SECONDS,
    profiles: bundleProfiles(bundle),
  };
}
