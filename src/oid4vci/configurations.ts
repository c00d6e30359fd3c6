import type { CredentialFormat } from '../credentials/records.ts';

/** The credential configurations a wallet can ask for, by the id the issuer metadata gives each. */
export const CREDENTIAL_CONFIGURATIONS = {
  launch_readiness_sd_jwt: 'dc+sd-jwt',
  launch_readiness_jwt_vc_json: 'jwt_vc_json',
} as const satisfies Record<string, CredentialFormat>;

export type ConfigurationId = keyof typeof CREDENTIAL_CONFIGURATIONS;
export type OfferFormat = (typeof CREDENTIAL_CONFIGURATIONS)[ConfigurationId];
export const OFFER_FORMATS = ['dc+sd-jwt', 'jwt_vc_json'] as const satisfies readonly OfferFormat[];

export function configurationIdOf(format: OfferFormat): ConfigurationId {
  return (Object.keys(CREDENTIAL_CONFIGURATIONS) as ConfigurationId[]).find((id) => CREDENTIAL_CONFIGURATIONS[id] === format)!;
}

export function formatOf(configurationId: string): OfferFormat | undefined {
  return Object.hasOwn(CREDENTIAL_CONFIGURATIONS, configurationId)
    ? CREDENTIAL_CONFIGURATIONS[configurationId as ConfigurationId]
    : undefined;
}

/** Proof algorithms a holder key may sign with: the credential verifier's allowlist minus the legacy `Ed25519` alias. */
export const PROOF_ALGORITHMS = ['ES256', 'ES384', 'EdDSA'] as const;

export const PRE_AUTHORIZED_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
export const PROOF_TYP = 'openid4vci-proof+jwt';
