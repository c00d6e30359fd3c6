import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AppError } from '../../errors/index.ts';
import { logKeys } from '../../keys/key-store.ts';
import { logOrigin, logVerifierKey } from '../../keys/log-key.ts';
import type { Queryable } from '../../store/port.ts';
import { inExistingTenant } from '../../tenants/tenants.ts';
import { consistencyProofAt, entryBundleAt, logView, tileBodyAt, type LogView } from '../../transparency/reader.ts';
import { entriesInRange, readHead } from '../../transparency/store.ts';
import { parseTilePath, TILE_WIDTH, type TileCoordinates } from '../../transparency/tiles.ts';
import { attestationLogProof } from '../../use-cases/attestation-log-proof.ts';
import { base64Encode } from '../../util/base64.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { guard, type TokenVerifier } from '../middleware/auth.ts';
import { bearerSecurity, problem, TenantParam } from '../schemas.ts';
import { AttestationParams } from './attestation-records.ts';

/*
 * A tenant's transparency log as tile clients, witnesses and auditors read it (C2SP
 * tlog-checkpoint and tlog-tiles under the log's prefix /t/{tenant}/log/), and the proof an
 * operator hands a buyer for one attestation. Every answer is cut from the one latest checkpoint.
 */

/** A full tile or bundle never changes at its path; caches may keep it for good. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A partial one is replaced by a wider path as the log grows: kept briefly, as the checkpoint that names it is. */
const PARTIAL = 'public, max-age=60';
/** The checkpoint moves with every sequencer run (within milliseconds of a change). */
const CHECKPOINT = 'no-cache';

const TEXT = 'text/plain; charset=utf-8';
const BYTES = 'application/octet-stream';

/** A whole number as the log writes it (no sign, no leading zero, no exponent), or undefined. */
function wholeNumber(text: string | undefined): number | undefined {
  if (text === undefined || !/^(?:0|[1-9][0-9]*)$/.test(text)) return undefined;
  return Number(text);
}

const Hash = z.string().openapi({ description: 'A SHA-256 hash, base64 (RFC 4648 §4)' });

const ConsistencySchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    proof: z.array(Hash).openapi({ description: 'RFC 9162 §2.1.4 PROOF(from, D[to]), in order' }),
    checkpoint: z.string().openapi({ description: 'The latest signed checkpoint, whose tree contains the tree of `to` entries' }),
  })
  .openapi('LogConsistency');

const ProvedEntrySchema = z.object({
  log_index: z.number().int(),
  entry: z.string().openapi({ description: 'The entry’s exact bytes (canonical JSON); its leaf hash is SHA-256(0x00 || entry)' }),
  inclusion_proof: z.array(Hash),
});

const AttestationProofSchema = z
  .object({
    attestation_id: z.string(),
    log_index: z.number().int(),
    tree_size: z.number().int(),
    root_hash: Hash,
    inclusion_proof: z.array(Hash).openapi({ description: 'RFC 9162 §2.1.3 PATH(log_index, D[tree_size]) of the issuance entry' }),
    checkpoint: z.string().openapi({ description: 'The signed checkpoint (C2SP signed note) of tree_size and root_hash' }),
    entry: z.string().openapi({ description: 'The issuance entry’s exact bytes' }),
    status_changes: z
      .array(ProvedEntrySchema)
      .openapi({ description: 'Each status change of the attestation sequenced so far, oldest first' }),
  })
  .openapi('AttestationLogProof');

const EntryParams = TenantParam.extend({
  n: z.string().openapi({ param: { name: 'n', in: 'path' }, description: 'The entry’s index, from 0', example: '0' }),
});
const ConsistencyQuery = z.object({
  from: z.string().openapi({ description: 'The older tree size', example: '1' }),
  to: z.string().optional().openapi({ description: 'The newer tree size; the latest checkpoint’s when absent' }),
});

/** The latest checkpoint of an existing tenant's log; log_not_found before its first run. */
async function requireView(tx: Queryable, tenantId: string): Promise<LogView> {
  const view = await logView(tx, tenantId);
  if (!view) throw new AppError('log_not_found', `tenant ${tenantId} has no sequenced log entry`);
  return view;
}

function bytes(c: Context<AppEnv>, body: Uint8Array, cacheControl: string): Response {
  c.header('content-type', BYTES);
  c.header('cache-control', cacheControl);
  return c.body(body as Uint8Array<ArrayBuffer>, 200);
}

export function registerLog(app: OpenAPIHono<AppEnv>, deps: AppDeps, oidc: TokenVerifier | undefined) {
  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/log/checkpoint',
      tags: ['public'],
      summary: 'The latest signed checkpoint of the tenant’s log (C2SP tlog-checkpoint in a signed note)',
      request: { params: TenantParam },
      responses: {
        200: { description: 'The signed note, exactly as stored', content: { [TEXT]: { schema: z.string() } } },
        404: problem('Unknown tenant, or nothing sequenced yet (log_not_found)'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const view = await inExistingTenant(c.env.db, tenant, (tx) => requireView(tx, tenant));
      c.header('cache-control', CHECKPOINT);
      return c.text(view.note, 200, { 'content-type': TEXT }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/log/key',
      tags: ['public'],
      summary: 'The note verifier key of the tenant’s log, as witnesses and tile clients are given it',
      request: { params: TenantParam },
      responses: {
        200: { description: 'The verifier key text (name+hash+keydata)', content: { [TEXT]: { schema: z.string() } } },
        404: problem('Unknown tenant, or a log that has no key yet (log_not_found)'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      // The key is named by the log's own origin, fixed when the log began (it survives a move of
      // the deployment); before the first checkpoint, by the origin the log will take.
      const found = await inExistingTenant(c.env.db, tenant, async (tx) => ({
        key: (await logKeys(tx, tenant)).find((k) => k.retiredAt === null),
        head: await readHead(tx, tenant),
      }));
      if (!found.key) throw new AppError('log_not_found', `tenant ${tenant} has no log key yet`);
      const origin = found.head?.origin ?? logOrigin(deps.config.publicUrl, tenant);
      const vkey = await logVerifierKey({ origin, publicJwk: found.key.publicJwk });
      c.header('cache-control', 'public, max-age=300');
      return c.text(vkey, 200, { 'content-type': TEXT }) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/log/entries/{n}',
      tags: ['public'],
      summary: 'One log entry’s exact bytes',
      request: { params: EntryParams },
      responses: {
        200: {
          description: 'The entry (canonical JSON, RFC 8785)',
          content: { 'application/json': { schema: z.object({}).passthrough() } },
        },
        400: problem('Not an entry index'),
        404: problem('Unknown tenant, or no such entry in the latest checkpoint'),
      },
    }),
    async (c) => {
      const { tenant, n } = c.req.valid('param');
      if (wholeNumber(n) === undefined) throw new AppError('invalid_request', `log entry index ${n} is not a whole number`);
      const index = wholeNumber(n)!;
      const body = await inExistingTenant(c.env.db, tenant, async (tx) => {
        const view = await logView(tx, tenant);
        if (!view || !Number.isSafeInteger(index) || index >= view.head.size) return undefined;
        return (await entriesInRange(tx, tenant, index, index + 1))[0]?.body;
      });
      if (body === undefined) throw new AppError('log_entry_not_found', `tenant ${tenant} has no log entry ${n}`);
      // Sequenced entries never change: the bytes at an index are the bytes for good.
      c.header('content-type', 'application/json');
      c.header('cache-control', IMMUTABLE);
      return c.body(body, 200) as never;
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/t/{tenant}/log/consistency',
      tags: ['public'],
      summary: 'A consistency proof between two sizes of the tenant’s log',
      request: { params: TenantParam, query: ConsistencyQuery },
      responses: {
        200: {
          description: 'The proof, and the checkpoint it is cut from',
          content: { 'application/json': { schema: ConsistencySchema } },
        },
        400: problem('Sizes that are not whole numbers, from > to, or to beyond the latest checkpoint'),
        404: problem('Unknown tenant, or nothing sequenced yet'),
      },
    }),
    async (c) => {
      const { tenant } = c.req.valid('param');
      const q = c.req.valid('query');
      const from = wholeNumber(q.from);
      const asked = q.to === undefined ? undefined : wholeNumber(q.to);
      if (from === undefined || (q.to !== undefined && asked === undefined))
        throw new AppError('invalid_request', 'from and to are tree sizes (whole numbers)');
      const out = await inExistingTenant(c.env.db, tenant, async (tx) => {
        const view = await requireView(tx, tenant);
        const to = asked ?? view.head.size;
        if (to > view.head.size) throw new AppError('invalid_request', `to ${to} is beyond the latest checkpoint (${view.head.size})`);
        if (from > to) throw new AppError('invalid_request', `from ${from} is beyond to ${to}`);
        return { from, to, proof: (await consistencyProofAt(tx, tenant, view, from, to)).map(base64Encode), checkpoint: view.note };
      });
      c.header('cache-control', CHECKPOINT);
      return c.json(out, 200);
    },
  );

  // Tile paths hold a variable number of segments (N is x001/x234/067): one wildcard route
  // parses them with tiles.ts, which accepts only the canonical spelling. Documented below.
  app.get('/t/:tenant/log/tile/*', async (c) => {
    const tenant = c.req.param('tenant');
    // The raw path, not a decoded one: a percent-encoded spelling is not the canonical one.
    const raw = new URL(c.req.url).pathname;
    const rest = raw.slice(raw.indexOf('/log/tile/') + '/log/'.length);
    const entries = rest.startsWith('tile/entries/');
    const tile: TileCoordinates | undefined = entries ? parseTilePath(`tile/0/${rest.slice('tile/entries/'.length)}`) : parseTilePath(rest);
    if (!tile) throw new AppError('not_found', `no tile at ${rest}`);
    const body = await inExistingTenant(c.env.db, tenant, async (tx) => {
      const view = await requireView(tx, tenant);
      return entries ? entryBundleAt(tx, tenant, view, tile.index, tile.width) : tileBodyAt(tx, tenant, view, tile);
    });
    if (!body) throw new AppError('not_found', `the log holds no ${rest}`);
    return bytes(c, body, tile.width === TILE_WIDTH ? IMMUTABLE : PARTIAL);
  });
  const TileParams = TenantParam.extend({
    level: z
      .string()
      .openapi({ param: { name: 'level', in: 'path' }, description: 'The tile level L (0 holds leaf hashes)', example: '0' }),
    n: z.string().openapi({
      param: { name: 'n', in: 'path' },
      description:
        'N in C2SP tlog-tiles form: groups of three digits, all but the last prefixed with x and followed by / (x001/234), then .p/W for a partial tile of W < 256 hashes. Only this spelling is served.',
      example: '000.p/5',
    }),
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/t/{tenant}/log/tile/{level}/{n}',
    tags: ['public'],
    summary: 'A hash tile of the tenant’s log (C2SP tlog-tiles)',
    request: { params: TileParams },
    responses: {
      200: { description: 'The tile’s hashes, 32 bytes each', content: { [BYTES]: { schema: z.string().openapi({ format: 'binary' }) } } },
      404: problem('Unknown tenant, a path not in canonical form, or a tile beyond the log'),
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/t/{tenant}/log/tile/entries/{n}',
    tags: ['public'],
    summary: 'An entry bundle of the tenant’s log (C2SP tlog-tiles)',
    request: { params: TileParams.omit({ level: true }) },
    responses: {
      200: {
        description: 'The entries, each prefixed by its length as two big-endian bytes',
        content: { [BYTES]: { schema: z.string().openapi({ format: 'binary' }) } },
      },
      404: problem('Unknown tenant, a path not in canonical form, or a bundle beyond the log'),
    },
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/t/{tenant}/attestations/{attestation}/proof',
      tags: ['attestations'],
      summary:
        'The attestation’s issuance entry and status changes in the tenant’s log, with inclusion proofs against the latest checkpoint',
      security: bearerSecurity,
      middleware: [guard(oidc, { roles: ['issuer', 'status', 'auditor'], tenantParam: true })] as const,
      request: { params: AttestationParams },
      responses: {
        200: { description: 'The proofs', content: { 'application/json': { schema: AttestationProofSchema } } },
        401: problem('No valid credential'),
        403: problem('Not allowed'),
        404: problem('Unknown tenant or attestation, or one issued before the log'),
        409: problem('The issuance entry is not sequenced yet (log_entry_pending; retry after Retry-After)'),
      },
    }),
    async (c) => {
      const { tenant, attestation } = c.req.valid('param');
      const p = await attestationLogProof(c.env.db, tenant, attestation);
      c.header('cache-control', 'no-store');
      return c.json(
        {
          attestation_id: attestation,
          log_index: p.issued.index,
          tree_size: p.view.checkpoint.size,
          root_hash: base64Encode(p.view.checkpoint.root),
          inclusion_proof: p.issued.proof.map(base64Encode),
          checkpoint: p.view.note,
          entry: p.issued.body,
          status_changes: p.statusChanges.map((s) => ({ log_index: s.index, entry: s.body, inclusion_proof: s.proof.map(base64Encode) })),
        },
        200,
      );
    },
  );
}
