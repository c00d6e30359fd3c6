import type { JWK } from 'jose';
import type { IssuerKey, IssuerKeySource } from './issuer-keys.ts';
import type { VerifyEnvironment } from './pipeline.ts';
import type { ProfileSource } from './readiness.ts';
import { VerificationFailure } from './result.ts';
import type { StatusListSource } from './status.ts';
import type { TrustBundle } from './trust-bundle.ts';
import { openBundleLog, type OpenedBundleLog } from './bundle-log.ts';

const keyFailure = (code: string, detail: string) => new VerificationFailure('issuer_key', code, detail);

export function bundleKeys(bundle: TrustBundle): IssuerKeySource {
  const { did, issuer_url: issuerUrl } = bundle.issuer;
  // The whole history, not the keys published when the bundle was made: a key that retired since
  // it signed still verifies what it signed, and a revoked one is reported as revoked.
  const byKid = new Map<string, IssuerKey>(
    bundle.keys.map((k) => [
      k.kid,
      { jwk: { ...k.public_jwk, kid: k.kid, alg: k.alg } as JWK, ...(k.revoked_at ? { revokedAt: new Date(k.revoked_at) } : {}) },
    ]),
  );
  const find = (kid: string) => {
    const key = byKid.get(kid);
    if (!key) throw keyFailure('unknown_key', `the trust bundle's key history has no key ${kid}`);
    return key;
  };
  const otherIssuer = (issuer: string) =>
    keyFailure('unresolvable_issuer', `the trust bundle is ${did}'s; it holds no keys of ${issuer}, and nothing is fetched offline`);
  return {
    async fromDid(issuerDid, kid) {
      if (issuerDid !== did) throw otherIssuer(issuerDid);
      if (!kid.startsWith(`${did}#`)) throw keyFailure('kid_not_of_issuer', 'the kid is not a key of the issuer DID');
      return find(kid.slice(did.length + 1));
    },
    async fromIssuerMetadata(url, kid) {
      if (url !== issuerUrl) throw otherIssuer(url);
      if (kid !== undefined) return find(kid);
      if (byKid.size !== 1) throw keyFailure('ambiguous_key', 'the header names no key and the issuer has several');
      return byKid.values().next().value!;
    },
  };
}

export function bundleStatusLists(bundle: TrustBundle): StatusListSource {
  const byUrl = new Map<string, string>(
    bundle.status_lists.flatMap((l) => [
      [l.token_url, l.token],
      [l.revocation_url, l.revocation],
      [l.suspension_url, l.suspension],
    ]),
  );
  return {
    async fetch(url) {
      const jws = byUrl.get(url);
      if (jws === undefined)
        throw new VerificationFailure(
          'status',
          'unreachable_list',
          `the status list at ${url} is not in the trust bundle, and nothing is fetched offline`,
        );
      return jws;
    },
  };
}

export function bundleProfiles(bundle: TrustBundle): ProfileSource {
  const { did, issuer_url: issuerUrl } = bundle.issuer;
  return async (issuer, id, version) =>
    issuer === did || issuer === issuerUrl ? bundle.profiles.find((p) => p.id === id && p.version === version)?.profile : undefined;
}

/** Opened (its checkpoint, keys and whole tree checked) once per bundle, however many credentials are judged with it. */
const openedLogs = new WeakMap<TrustBundle, Promise<OpenedBundleLog | undefined>>();
function bundleLogOf(bundle: TrustBundle): () => Promise<OpenedBundleLog | undefined> {
  return () => {
    let opened = openedLogs.get(bundle);
    if (!opened) {
      opened = openBundleLog(bundle);
      // Settled either way before it is awaited: a refusal is reported by every check that asks, not unhandled.
      opened.catch(() => undefined);
      openedLogs.set(bundle, opened);
    }
    return opened;
  };
}

/**
 * What the offline verifier knows, all of it from one opened bundle: its issuer is the one trusted
 * issuer, its key history the only keys, its status lists the only lists. `at` is the instant the
 * credential is judged at (an auditor's `--at`); the lists are judged when the bundle was made,
 * because that is when they were current, however long ago that is now.
 */
export function bundleEnvironment(bundle: TrustBundle, options: { at?: Date; skewSeconds: number }): VerifyEnvironment {
  const { did, issuer_url: issuerUrl } = bundle.issuer;
  return {
    log: bundleLogOf(bundle),
    keys: bundleKeys(bundle),
    statusLists: bundleStatusLists(bundle),
    isTrusted: (issuer) => issuer === did || issuer === issuerUrl,
    now: options.at ?? new Date(),
    statusAt: new Date(bundle.generated_at),
    skewSeconds: options.skewSeconds,
    profiles: bundleProfiles(bundle),
  };
}
