/*
 * Where a tenant's log is read, from one place: the issuance response, the attestation record and
 * the share page link to these, and the routes in http/routes/log.ts serve them. Same base as the
 * tenant's other public documents (did/issuer-identity.ts): the deployment's origin.
 */

/** The log's prefix (C2SP tlog-tiles: `checkpoint` and `tile/...` live under it). */
export const logPrefix = (origin: URL, tenantId: string) => `${origin.origin}/t/${tenantId}/log`;

export const checkpointUrl = (origin: URL, tenantId: string) => `${logPrefix(origin, tenantId)}/checkpoint`;

/** The note verifier key that opens the log's checkpoints. */
export const logKeyUrl = (origin: URL, tenantId: string) => `${logPrefix(origin, tenantId)}/key`;

/** The operator route that proves an attestation's entries against the latest checkpoint. */
export const attestationProofUrl = (origin: URL, tenantId: string, attestationId: string) =>
  `${origin.origin}/v1/t/${tenantId}/attestations/${attestationId}/proof`;
