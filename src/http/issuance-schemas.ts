import { z } from '@hono/zod-openapi';
import { CREDENTIAL_FORMATS } from '../credentials/records.ts';
import { PRE_AUTHORIZED_CODE_GRANT } from '../oid4vci/configurations.ts';
import type { CredentialOfferObject } from '../oid4vci/offers.ts';
import { ACCEPTANCE_DECISIONS, assessmentSchema } from '../readiness/assessment.ts';
import type { Verdict } from '../readiness/verdict.ts';

/**
 * The wire shapes of what issuance answers (201s of assessments and attestations, the OID4VCI
 * offer), published in /openapi.json. Each is tied to its domain type (`satisfies`), so a field
 * the domain adds or renames fails the type check here instead of drifting from the document.
 */

const instant = z.string().datetime();

const count = z.number().int();
const summary = z.object({ pass: count, fail: count, blocked: count, partial: count, not_applicable: count, total: count });

// Readonly arrays: the domain's Verdict hands out readonly arrays, and the route returns it as is.
export const VerdictSchema = (
  z.object({
    profile: z.object({ id: z.string(), version: z.string(), digest: z.string() }),
    strictGatePassed: z.boolean(),
    stage: z.string().nullable(),
    stagesReached: z.array(z.string()).readonly(),
    blockers: z
      .array(
        z.object({
          control: z.string(),
          status: z.enum(['fail', 'blocked', 'partial', 'missing']),
          reason: z.string(),
          stage: z.string(),
        }),
      )
      .readonly(),
    exclusions: z.array(z.object({ control: z.string(), reason: z.string() })).readonly(),
    signOffsMissing: z.array(z.string()).readonly(),
    acceptance: z.enum(ACCEPTANCE_DECISIONS).nullable(),
    summary,
  }) satisfies z.ZodType<Verdict>
).openapi('Verdict', { description: 'What launchproof concludes from an assessment; the caller never supplies any of it.' });

export const AssessmentStoredSchema = z
  .object({
    id: z.string(),
    created_at: instant,
    assessment: assessmentSchema,
    verdict: VerdictSchema,
  })
  .openapi('AssessmentStored');

export const AttestationIssuedSchema = z
  .object({
    attestation_id: z.string().uuid(),
    assessment: z.object({ id: z.string(), verdict: VerdictSchema }),
    kid: z.string().openapi({ description: 'The signing key as a DID URL' }),
    valid_from: instant,
    valid_until: instant,
    supersedes: z.string().uuid().nullable(),
    credentials: z.array(
      z.object({
        id: z.string().openapi({ description: 'urn:uuid: of the credential' }),
        format: z.enum(CREDENTIAL_FORMATS),
        media_type: z.string(),
        credential: z.string(),
      }),
    ),
    log: z
      .object({
        status: z.enum(['pending']),
        proof: z.string().url().openapi({ description: 'GET it for the log index and inclusion proof (409 log_entry_pending until then)' }),
      })
      .openapi({
        description:
          'The issuance entry in the tenant’s transparency log: committed with the attestation, given its index by the sequencer that runs right after the commit, so the position exists within 2 s.',
      }),
  })
  .openapi('AttestationIssued');

/** OID4VCI 1.0 §4.1.1: the offer object, as the wallet reads it. */
export const CredentialOfferSchema = (
  z.object({
    credential_issuer: z.string().url(),
    credential_configuration_ids: z.array(z.string()),
    grants: z.object({
      [PRE_AUTHORIZED_CODE_GRANT]: z.object({
        'pre-authorized_code': z.string(),
        tx_code: z.object({ length: z.number().int(), input_mode: z.enum(['numeric', 'text']), description: z.string() }).optional(),
      }),
    }),
  }) satisfies z.ZodType<CredentialOfferObject>
).openapi('CredentialOffer');
