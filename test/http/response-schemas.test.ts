import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';
import { accessToken, holderKey, nonce, proofJwt, PRE_AUTH, type OfferResponse } from '../oid4vci/setup.ts';
import { readinessAssessment } from './helpers.ts';

/**
 * The main success responses, as a client generated from /openapi.json sees them: each real body
 * the service answers is checked against the schema the document publishes for it (not against
 * the zod schema in the source), with every object closed, so a field the route sends but the
 * document does not name fails as surely as a documented field that is missing or mistyped.
 */

type JsonSchema = Record<string, unknown>;
type ApiDocument = {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> }>>;
  components: { schemas: Record<string, JsonSchema> };
};

/** The published schema with its $refs put in place and every described object closed. */
function closed(schema: unknown, doc: ApiDocument): unknown {
  if (Array.isArray(schema)) return schema.map((s) => closed(s, doc));
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as JsonSchema;
  if (typeof s.$ref === 'string') return closed(doc.components.schemas[s.$ref.replace('#/components/schemas/', '')], doc);
  let out = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, closed(v, doc)])) as JsonSchema;
  // `.extend()` publishes as allOf of object parts: closed one by one, each would refuse the
  // other's members, so the parts become one object first.
  const parts = out.allOf as JsonSchema[] | undefined;
  if (parts?.every((p) => p.type === 'object' && p.properties)) {
    const { allOf: _, ...rest } = out;
    out = {
      ...rest,
      type: 'object',
      properties: Object.assign({}, ...parts.map((p) => p.properties)),
      required: parts.flatMap((p) => (p.required as string[] | undefined) ?? []),
    };
  }
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** True when the schema says something about members: not `{}`, not a bare "any object" record. */
function describesMembers(schema: unknown): boolean {
  const s = schema as JsonSchema;
  return typeof s === 'object' && s !== null && typeof s.properties === 'object' && Array.isArray(s.required);
}

describe('the 201 (and OID4VCI 200) bodies match the schemas /openapi.json publishes', () => {
  let t: TestDatabase;
  let h: Harness;
  let doc: ApiDocument;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    doc = (await (await h.request('GET', '/openapi.json')).json()) as ApiDocument;
  });
  afterAll(() => t.dispose());

  /** Sends the request, expects `status`, and checks the body against the document's schema for it. */
  async function answersAsPublished(method: string, path: string, status: number, res: Promise<Response>): Promise<unknown> {
    const response = await res;
    const text = await response.text();
    expect(response.status, text).toBe(status);
    const published = doc.paths[path]?.[method]?.responses[String(status)]?.content?.['application/json']?.schema;
    expect(published, `${method.toUpperCase()} ${path} ${status} is documented`).toBeDefined();
    const schema = closed(published, doc);
    expect(describesMembers(schema), `${method.toUpperCase()} ${path} ${status} names its members`).toBe(true);
    const body: unknown = JSON.parse(text);
    const result = z.fromJSONSchema(schema as never).safeParse(body);
    expect(result.error?.issues ?? [], `${method.toUpperCase()} ${path} ${status}`).toEqual([]);
    return body;
  }

  it('tenants, API keys and key rotation', async () => {
    await answersAsPublished(
      'post',
      '/v1/tenants',
      201,
      h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'acme', name: 'Acme' } }),
    );
    await answersAsPublished(
      'post',
      '/v1/t/{tenant}/api-keys',
      201,
      h.request('POST', '/v1/t/acme/api-keys', { token: h.adminToken, body: { roles: ['issuer'], label: 'ci' } }),
    );
    await answersAsPublished(
      'post',
      '/v1/t/{tenant}/keys/rotate',
      200,
      h.request('POST', '/v1/t/acme/keys/rotate', { token: h.adminToken }),
    );
  });

  it('assessments and attestations in every format, with a holder, and a replay under the same Idempotency-Key', async () => {
    const stored = (await answersAsPublished(
      'post',
      '/v1/t/{tenant}/assessments',
      201,
      h.request('POST', '/v1/t/acme/assessments', { token: h.adminToken, body: readinessAssessment() }),
    )) as { id: string };
    const holder = await holderKey();
    const request = {
      assessment_id: stored.id,
      formats: ['vc+jwt', 'jwt_vc_json', 'dc+sd-jwt'],
      holder: { jwk: holder.jwk },
    };
    const send = () =>
      h.request('POST', '/v1/t/acme/attestations', { token: h.adminToken, body: request, headers: { 'idempotency-key': 'schema-1' } });
    const first = await answersAsPublished('post', '/v1/t/{tenant}/attestations', 201, send());
    const replay = await answersAsPublished('post', '/v1/t/{tenant}/attestations', 201, send());
    expect(replay).toEqual(first);
    const inline = await answersAsPublished(
      'post',
      '/v1/t/{tenant}/attestations',
      201,
      h.request('POST', '/v1/t/acme/attestations', {
        token: h.adminToken,
        body: { assessment: readinessAssessment(), formats: ['vc+jwt'], supersedes: (first as { attestation_id: string }).attestation_id },
      }),
    );
    expect((inline as { supersedes: string }).supersedes).toBe((first as { attestation_id: string }).attestation_id);
  });

  it('the VC-API issue route', async () => {
    await answersAsPublished(
      'post',
      '/t/{tenant}/credentials/issue',
      201,
      h.request('POST', '/t/acme/credentials/issue', {
        token: h.adminToken,
        body: {
          credential: {
            '@context': ['https://www.w3.org/ns/credentials/v2'],
            type: ['VerifiableCredential', 'LaunchReadinessAttestation'],
            credentialSubject: { assessment: readinessAssessment() },
          },
        },
      }),
    );
  });

  it('an OID4VCI offer, the offer by reference, and the credential a wallet then receives', async () => {
    const made = (await answersAsPublished(
      'post',
      '/v1/t/{tenant}/offers',
      201,
      h.request('POST', '/v1/t/acme/offers', { token: h.adminToken, body: { assessment: readinessAssessment() } }),
    )) as OfferResponse;
    const ref = made.credential_offer_uri.split('/').pop()!;
    const byReference = await answersAsPublished('get', '/t/{tenant}/offers/{ref}', 200, h.request('GET', `/t/acme/offers/${ref}`));
    expect(byReference).toEqual(made.credential_offer);
    expect(Object.keys((byReference as { grants: object }).grants)).toEqual([PRE_AUTH]);

    const token = await accessToken(h, made);
    const key = await holderKey();
    await answersAsPublished(
      'post',
      '/t/{tenant}/credential',
      200,
      h.request('POST', '/t/acme/credential', {
        headers: { authorization: `Bearer ${token}` },
        body: { credential_configuration_id: 'launch_readiness_sd_jwt', proofs: { jwt: [await proofJwt(h, key, await nonce(h))] } },
      }),
    );
  });

  it('fails a body that strays from the published schema (the check above can fail)', () => {
    const schema = closed(
      { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      { paths: {}, components: { schemas: {} } },
    );
    const parse = z.fromJSONSchema(schema as never);
    expect(parse.safeParse({ id: 'x' }).success).toBe(true);
    expect(parse.safeParse({ id: 'x', extra: 1 }).success).toBe(false);
    expect(parse.safeParse({ id: 1 }).success).toBe(false);
  });
});
