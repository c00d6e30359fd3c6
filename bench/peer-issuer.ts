/**
 * The peer issuer: what a user might write instead of launchproof. Hono + jose SignJWT (ES256,
 * one key made at start) + postgres.js, one INSERT per credential into a table of its own
 * schema. Same request body as launchproof's POST /v1/t/{tenant}/attestations, so the load
 * generator sends identical bytes to both. Run as a child:
 *   PEER_DATABASE_URL=postgres://... PEER_SCHEMA=peer_bench PEER_TOKEN=... node --import tsx bench/peer-issuer.ts
 * Prints `listening PORT` on 127.0.0.1 once its table exists.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose';
import postgres from 'postgres';
import { FORMATS, sign, unsignedCredential, type AssessmentLike, type Format } from './peer-credential.ts';

const url = process.env.PEER_DATABASE_URL;
const schema = process.env.PEER_SCHEMA ?? 'peer_bench';
const token = process.env.PEER_TOKEN;
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
const table = sql(`${schema}.credentials`);

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
  const credentials = [];
  for (const format of formats) {
    const credential = await sign(await unsignedCredential(format, issuer, body.assessment as AssessmentLike, new Date()), privateKey, kid);
    await sql`insert into ${table} (id, tenant, format, credential) values (${crypto.randomUUID()}, ${tenant}, ${format}, ${credential})`;
    credentials.push({ format, credential });
  }
  return c.json({ credentials }, 201);
});

serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`listening ${info.port}`));
process.once('SIGTERM', () => void sql.end({ timeout: 2 }).then(() => process.exit(0)));
