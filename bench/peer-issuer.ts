/**
 * The peer issuer: what a user might write instead of launchproof. Hono + jose SignJWT (ES256,
 * one key made at start) + postgres.js, one INSERT per credential into a table of its own
 * schema. Same request body as launchproof's POST /v1/t/{tenant}/attestations, so the load
 * generator sends identical bytes to both. Run as a child:
 *   PEER_DATABASE_URL=postgres://... PEER_SCHEMA=peer_bench PEER_TOKEN=... node --import tsx bench/peer-issuer.ts
 * Prints `listening PORT` on 127.0.0.1 once its table exists.
 *
 * With PEER_RECORDS=kept it also keeps what an attestation issuer has to keep and the one-INSERT
 * peer does not: the assessment it signed (jsonb) and an audit event naming the credentials,
 * written with the credentials in one transaction, as a user adding those to the same few lines
 * would write it. Still no readiness evaluation, status list, row-level security, API-key store
 * or idempotency.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import postgres from 'postgres';
import { FORMATS, sign, unsignedCredential, type AssessmentLike, type Format } from './peer-credential.ts';

const url = process.env.PEER_DATABASE_URL;
const schema = process.env.PEER_SCHEMA ?? 'peer_bench';
const token = process.env.PEER_TOKEN;
const keepRecords = process.env.PEER_RECORDS === 'kept';
if (!url || !token || !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error('set PEER_DATABASE_URL, PEER_TOKEN and a plain PEER_SCHEMA');

const sql = postgres(url, { onnotice: () => {} });
await sql.unsafe(`create schema if not exists ${schema}`);
await sql.unsafe(`create table if not exists ${schema}.credentials (
  id uuid primary key,
  tenant text not null,
  format text not null,
  credential text not null,
  issued_at timestamptz not null default now()
)`);
if (keepRecords) {
  await sql.unsafe(`create table if not exists ${schema}.assessments (
  id uuid primary key,
  tenant text not null,
  body jsonb not null,
  created_at timestamptz not null default now()
)`);
  await sql.unsafe(`create table if not exists ${schema}.audit_events (
  id bigserial primary key,
  tenant text not null,
  action text not null,
  detail jsonb not null,
  at timestamptz not null default now()
)`);
}
const table = sql(`${schema}.credentials`);
const assessments = sql(`${schema}.assessments`);
const auditEvents = sql(`${schema}.audit_events`);

const { privateKey, publicKey } = await generateKeyPair('ES256');
const kid = await calculateJwkThumbprint(await exportJWK(publicKey));

const app = new Hono();
app.post('/v1/t/:tenant/attestations', async (c) => {
  if (c.req.header('authorization') !== `Bearer ${token}`) return c.json({ error: 'unauthorized' }, 401);
  const body = (await c.req.json()) as { assessment?: unknown; formats?: unknown };
  const formats = body.formats;
  if (typeof body.assessment !== 'object' || body.assessment === null || !Array.isArray(formats) || formats.length === 0)
    return c.json({ error: 'assessment and formats required' }, 400);
  if (!formats.every((f): f is Format => (FORMATS as readonly string[]).includes(f))) return c.json({ error: 'unknown format' }, 400);
  const tenant = c.req.param('tenant');
  const issuer = `did:web:peer.bench:${tenant}`;
  const credentials: { id: string; format: Format; credential: string }[] = [];
  for (const format of formats) {
    const credential = await sign(await unsignedCredential(format, issuer, body.assessment as AssessmentLike, new Date()), privateKey, kid);
    credentials.push({ id: crypto.randomUUID(), format, credential });
  }
  if (!keepRecords) {
    for (const { id, format, credential } of credentials)
      await sql`insert into ${table} (id, tenant, format, credential) values (${id}, ${tenant}, ${format}, ${credential})`;
  } else {
    const assessmentId = crypto.randomUUID();
    await sql.begin(async (tx) => {
      await tx`insert into ${assessments} (id, tenant, body) values (${assessmentId}, ${tenant}, ${tx.json(body.assessment as never)})`;
      for (const { id, format, credential } of credentials)
        await tx`insert into ${table} (id, tenant, format, credential) values (${id}, ${tenant}, ${format}, ${credential})`;
      const detail = { assessment: assessmentId, credentials: credentials.map(({ id, format }) => ({ id, format })) };
      await tx`insert into ${auditEvents} (tenant, action, detail) values (${tenant}, 'attestation.issued', ${tx.json(detail)})`;
    });
  }
  return c.json({ credentials: credentials.map(({ format, credential }) => ({ format, credential })) }, 201);
});

serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
process.once('SIGTERM', () => void sql.end({ timeout: 2 }).then(() => process.exit(0)));
