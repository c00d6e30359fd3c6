import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering a newcomer reads from `ls src/*\/` holds only while nothing undoes it: a single
 * import from a lower folder to a higher one closes a circle again, and a query written in a
 * route puts SQL back beside HTTP. These tests read the source itself, so such a change fails
 * CI at the commit that makes it, naming the files involved.
 *
 * The order today, lowest first: config, errors, util; outbound (guarded requests); log, readiness; store; audit, metrics;
 * keys (key material, policy, lifecycle); tenants (a tenant is created with its keys); auth and
 * did (both name tenants); credentials (formats, records, the signer); status (lists and changes,
 * signed with the credentials' signer); then what composes domains: attestations, use-cases
 * (first start, key compromise, KEK rotation), verify, oid4vci, vc-api, sharing, pages, web,
 * http, runtime. A new import that points down this list is fine; one that points up is the
 * circle this test refuses.
 */

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.m?ts$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const folderOf = (file: string) => relative(SRC, file).split('/')[0]!;
// Static imports, re-exports and `import type`: a type-only import ties two folders as much as
// a value does (one cannot be read, moved or reused without the other).
const RELATIVE_SPECIFIER = /(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g;

/** folder → folder → one file-level import that makes the edge, for the failure message. */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    if (from.endsWith('.ts')) continue;
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(RELATIVE_SPECIFIER)) {
      const target = resolve(dirname(file), specifier!);
      if (!target.startsWith(SRC + '/')) continue;
      const to = folderOf(target);
      if (to === from || to.endsWith('.ts')) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      if (!graph.get(from)!.has(to)) graph.get(from)!.set(to, `${relative(SRC, file)} → ${relative(SRC, target)}`);
    }
  }
  return graph;
}

/** Every folder circle, each as the imports that close it (depth-first search, one per back edge). */
function circles(graph: Map<string, Map<string, string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (folder: string) => {
    state.set(folder, 'open');
    path.push(folder);
    for (const next of graph.get(folder)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const ring = [...path.slice(path.indexOf(next)), next];
        found.push(ring.slice(1).map((to, i) => graph.get(ring[i]!)!.get(to)!));
      } else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(folder, 'done');
  };
  for (const folder of [...graph.keys()].sort()) if (!state.has(folder)) visit(folder);
  return found;
}

/**
 * Whether a file holds SQL: it runs a statement through the port (or a client's tagged template),
 * or it holds a string that starts like a statement, for a helper to run elsewhere.
 */
function hasSql(text: string): boolean {
  return (
    /\.query\s*[<(]|\bsql`|\.unsafe\s*\(/.test(text) ||
    /['"`]\s*(?:select\s+(?:[^'"`]*?\bfrom\s|[\w.]+\s*\(|\d)|insert\s+into\s|update\s+\w+\s+set\s|delete\s+from\s|with\s+\w+\s+as\s*\()/i.test(
      text,
    )
  );
}

/**
 * Each domain's SQL in one store module of that domain (issue 12, requirement 6), for the
 * domains consolidated so far: a query anywhere else in the folder fails here, naming the file.
 * `null`: the folder writes no SQL at all (use cases own transactions and call domain stores).
 * keys keeps the name key-store.ts: its readers in projection/ and verify/ import it by that name.
 * credentials' store is records.ts: the credentials rows, their mapping and their two reads are all
 * it holds (with the format list, the vocabulary of its format column), imported by that name.
 */
const STORE_MODULE: Record<string, string | null> = {
  attestations: 'attestations/store.ts',
  auth: 'auth/store.ts',
  credentials: 'credentials/records.ts',
  deployment: 'deployment/store.ts',
  doctor: 'doctor/store.ts',
  keys: 'keys/key-store.ts',
  metrics: 'metrics/store.ts',
  oid4vci: 'oid4vci/store.ts',
  projection: 'projection/store.ts',
  sharing: 'sharing/store.ts',
  status: 'status/store.ts',
  tenants: 'tenants/store.ts',
  transparency: 'transparency/store.ts',
  webhooks: 'webhooks/store.ts',
  'use-cases': null,
  verify: null,
};

describe('the shape of src/', () => {
  it('has folders that import each other in one direction only (no circle)', () => {
    expect(circles(folderGraph())).toEqual([]);
  });

  it('finds a circle when there is one (the check above can fail)', () => {
    const graph = new Map([
      ['keys', new Map([['tenants', 'keys/a.ts → tenants/b.ts']])],
      ['tenants', new Map([['keys', 'tenants/b.ts → keys/a.ts']])],
    ]);
    expect(circles(graph)).toEqual([['keys/a.ts → tenants/b.ts', 'tenants/b.ts → keys/a.ts']]);
  });

  it('keeps SQL out of src/http: routes and middleware call a domain store or use case', () => {
    const withSql = sourceFiles(join(SRC, 'http'))
      .filter((file) => hasSql(readFileSync(file, 'utf8')))
      .map((file) => relative(SRC, file));
    expect(withSql).toEqual([]);
  });

  const stores = Object.entries(STORE_MODULE).map(([folder, store]) => ({ folder, store, where: store ?? 'no file at all' }));
  it.each(stores)('keeps the SQL of src/$folder in $where', ({ folder, store }) => {
    if (store) expect(hasSql(readFileSync(join(SRC, store), 'utf8')), `${store} holds no SQL: was it renamed?`).toBe(true);
    const elsewhere = sourceFiles(join(SRC, folder))
      .map((file) => relative(SRC, file))
      .filter((file) => file !== store && hasSql(readFileSync(join(SRC, file), 'utf8')));
    expect(elsewhere).toEqual([]);
  });

  it('recognises SQL, and not prose that happens to use its words (the checks above can fail)', () => {
    expect(hasSql("await tx.query('select 1')")).toBe(true);
    expect(hasSql("one('select count(*)::int as n from tenants')")).toBe(true);
    expect(hasSql("const LOCK = 'select pg_advisory_xact_lock($1)';")).toBe(true);
    expect(hasSql('const rows = await tx.query<Row>(TEXT, [id]);')).toBe(true);
    expect(hasSql('const TEXT = `select id from tenants where id = $1`;')).toBe(true);
    expect(hasSql("one('insert into shares (id) values ($1)')")).toBe(true);
    expect(hasSql("'update api_keys set revoked_at = $3'")).toBe(true);
    expect(hasSql("'delete from oid4vci_nonces where tenant_id = $1'")).toBe(true);
    expect(hasSql('/** Select the claims to reveal, then update the share. */')).toBe(false);
    expect(hasSql("throw new AppError('invalid_request', 'select at least one format')")).toBe(false);
    expect(hasSql('const id = TOKEN.exec(token)?.[1];')).toBe(false);
  });
});
