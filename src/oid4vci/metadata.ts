import { ATTESTATION_TYPE } from '../credentials/attestation.ts';
import { attestationUrls } from '../credentials/urls.ts';
import type { KeyPolicy } from '../keys/policy.ts';
import { CREDENTIAL_CONFIGURATIONS, PRE_AUTHORIZED_CODE_GRANT, PROOF_ALGORITHMS, type ConfigurationId } from './configurations.ts';
import { oid4vciUrls } from './endpoints.ts';

const DISPLAY = [{ name: 'Launch readiness attestation', locale: 'en', description: 'A signed verdict on a product’s launch readiness.' }];

/** OID4VCI 1.0 §12.2: the Credential Issuer Metadata of one tenant. */
export function credentialIssuerMetadata(origin: URL, tenantId: string, tenantName: string, policy: KeyPolicy) {
  const urls = oid4vciUrls(origin, tenantId);
  const common = {
    cryptographic_binding_methods_supported: ['jwk'],
    // The tenant signs with one algorithm at a time; a policy change re-keys on the next rotation.
    credential_signing_alg_values_supported: [policy.algorithm],
    proof_types_supported: { jwt: { proof_signing_alg_values_supported: [...PROOF_ALGORITHMS] } },
    credential_metadata: { display: DISPLAY },
  };
  const configurations: Record<ConfigurationId, Record<string, unknown>> = {
    launch_readiness_sd_jwt: { format: CREDENTIAL_CONFIGURATIONS.launch_readiness_sd_jwt, vct: attestationUrls(origin).vct, ...common },
    launch_readiness_jwt_vc_json: {
      format: CREDENTIAL_CONFIGURATIONS.launch_readiness_jwt_vc_json,
      credential_definition: { type: ['VerifiableCredential', ATTESTATION_TYPE] },
      ...common,
    },
  };
  return {
    credential_issuer: urls.credentialIssuer,
    credential_endpoint: urls.credential,
    nonce_endpoint: urls.nonce,
    display: [{ name: tenantName, locale: 'en' }],
    credential_configurations_supported: configurations,
  };
}

/** RFC 8414 metadata of the tenant's token endpoint: the issuer is its own authorization server. */
export function authorizationServerMetadata(origin: URL, tenantId: string) {
  const urls = oid4vciUrls(origin, tenantId);
  return {
    issuer: urls.credentialIssuer,
    token_endpoint: urls.token,
    grant_types_supported: [PRE_AUTHORIZED_CODE_GRANT],
    // No authorization endpoint, so no response types: the pre-authorized code is the only grant.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: ['none'],
    'pre-authorized_grant_anonymous_access_supported': true,
  };
}
