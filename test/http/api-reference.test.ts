/**
 * The API reference: every operation of /openapi.json carries an operationId, a description of
 * its own, the roles it requires (read from the guard that enforces them) and, where it takes a
 * body, a request example; /docs renders all of it as a page of this service with nothing from
 * elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationsOf, type ApiDocument } from '../../src/http/openapi-document.ts';
import { OPERATION_DOCS } from '../../src/http/operation-docs.ts';
import { requestExample } from '../../src/pages/api-reference.ts';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { fixedClock, harness, type Harness } from '../support/harness.ts';

const ROLE_SENTENCE =
  /\n*\n*(?:Requires (?:a platform|a bearer) credential holding [^\n]+|Requires an OID4VCI access token[^\n]+|Public: no credential, no role\.)$/;

describe('the API reference', () => {
  let t: TestDatabase;
  let h: Harness;
  let doc: ApiDocument;

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    doc = (await (await h.request('GET', '/openapi.json')).json()) as ApiDocument;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('gives every operation a unique operationId, its own description, its required roles and, with a body, a request example', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(40);
    const missing: string[] = [];
    for (const { method, path, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      if (!op.operationId || !/^[a-z][A-Za-z0-9]+$/.test(op.operationId)) missing.push(`${where}: operationId`);
      const own = (op.description ?? '').replace(ROLE_SENTENCE, '').trim();
      if (own.length < 20) missing.push(`${where}: a description of its own`);
      if (!Array.isArray(op['x-required-roles'])) missing.push(`${where}: x-required-roles`);
      else if (!ROLE_SENTENCE.test(op.description ?? '')) missing.push(`${where}: roles in the description`);
      if (op.requestBody && !requestExample(op)) missing.push(`${where}: a request example`);
    }
    expect(missing).toEqual([]);
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    // The prose names only operations that exist: a route renamed or removed leaves no orphan behind.
    const served = new Set(ops.map((o) => `${o.method.toUpperCase()} ${o.path}`));
    expect(Object.keys(OPERATION_DOCS).filter((k) => !served.has(k))).toEqual([]);
  });

  it('documents the roles the guards enforce, and public operations as public', () => {
    const op = (method: string, path: string) => doc.paths[path]![method]!;
    expect(op('post', '/v1/tenants')['x-required-roles']).toEqual(['admin']);
    expect(op('post', '/v1/tenants')['x-platform-only']).toBe(true);
    expect(op('get', '/v1/t/{tenant}/keys')['x-required-roles']).toEqual(['keys', 'auditor']);
    expect(op('get', '/v1/t/{tenant}/keys').description).toMatch(
      /Requires a bearer credential holding one of the roles `keys`, `auditor`\.$/,
    );
    expect(op('post', '/v1/verify')['x-required-roles']).toEqual([]);
    expect(op('post', '/v1/verify').description).toMatch(/Public: no credential, no role\.$/);
    expect(op('post', '/t/{tenant}/credential').description).toMatch(/OID4VCI access token/);
  });

  it('renders /docs from the document: every operation by its operationId, roles and example, under the page CSP, with no script', async () => {
    const res = await h.request('GET', '/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    for (const { method, path, op } of operationsOf(doc)) {
      expect(html).toContain(`id="${op.operationId}"`);
      expect(html).toContain(`<code>${method.toUpperCase()} ${path}</code>`);
    }
    expect(html).toContain('<code>admin</code>');
    expect(html).toContain('Request example');
    expect(html).not.toMatch(/<script/i);
    // Nothing from elsewhere: every src and href is this origin's (or a fragment, or the inline empty icon).
    for (const [, url] of html.matchAll(/(?:src|href)="([^"]*)"/g)) expect(url).toMatch(/^(?:\/(?!\/)|#|data:,$)/);
  });
});

describe('the request examples of the API reference', () => {
  let t: TestDatabase;
  let h: Harness;
  let doc: ApiDocument;

  beforeAll(async () => {
    t = await freshPglite();
    // A fixed instant a few months before the examples' dates (a share link's expiry), so they stay in range whenever this runs.
    h = await harness(t.db, { clock: fixedClock(new Date('2026-11-01T00:00:00Z')) });
    expect((await h.request('POST', '/v1/tenants', { token: h.adminToken, body: { id: 'a', name: 'A' } })).status).toBe(201);
    doc = (await (await h.request('GET', '/openapi.json')).json()) as ApiDocument;
  });
  afterAll(async () => {
    await t?.dispose();
  });

  it('each passes its route’s request validation: what it names may not exist, but its shape is never refused', async () => {
    const refused: string[] = [];
    for (const { method, path, op } of operationsOf(doc)) {
      const example = requestExample(op);
      // The OAuth endpoints take forms and their own error bodies: test/oid4vci drives them.
      if (!example || example.mediaType !== 'application/json' || op.tags?.includes('oauth')) continue;
      const filled = path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
        name === 'tenant' ? 'a' : name === 'kid' ? 'A'.repeat(43) : '5f0c6a4e-3b1d-4c2a-9e8f-7a6b5c4d3e2f',
      );
      const res = await h.request(method.toUpperCase(), filled, { token: h.adminToken, body: JSON.parse(example.text) });
      if (res.status === 400) refused.push(`${method.toUpperCase()} ${path}: ${await res.text()}`);
    }
    expect(refused).toEqual([]);
  });
});
