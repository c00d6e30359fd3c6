import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPglite, type TestDatabase } from '../support/databases.ts';
import { harness, type Harness } from '../support/harness.ts';

/** What a client generator reads: the new members of issue 14 are in /openapi.json, not only in the code. */
describe('the OpenAPI document shows evidence freshness', () => {
  let t: TestDatabase;
  let h: Harness;
  let text: string;
  let doc: { components: { schemas: Record<string, unknown> } };

  beforeAll(async () => {
    t = await freshPglite();
    h = await harness(t.db);
    const res = await h.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    text = await res.text();
    doc = JSON.parse(text) as typeof doc;
  });
  afterAll(() => t.dispose());

  /** Every object schema anywhere in the document that has the member. */
  const holders = (member: string): Record<string, unknown>[] => {
    const found: Record<string, unknown>[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) return v.forEach(walk);
      if (typeof v !== 'object' || v === null) return;
      const o = v as Record<string, unknown>;
      const props = o.properties as Record<string, unknown> | undefined;
      if (props && Object.hasOwn(props, member)) found.push(props[member] as Record<string, unknown>);
      Object.values(o).forEach(walk);
    };
    walk(doc);
    return found;
  };

  it('evidence observedAt and expiresAt (RFC 3339), a control timeBound, a profile evidenceMaxAgeDays', () => {
    for (const member of ['observedAt', 'expiresAt']) {
      expect(holders(member).length, member).toBeGreaterThan(0);
      for (const s of holders(member)) expect(s, member).toMatchObject({ type: 'string', format: 'date-time' });
    }
    expect(holders('timeBound')).toContainEqual(expect.objectContaining({ type: 'boolean' }));
    expect(holders('evidenceMaxAgeDays')).toContainEqual(expect.objectContaining({ type: 'integer' }));
  });

  it('the verification report warnings, and evidence.expiring among the webhook event types', () => {
    expect(holders('warnings').length).toBeGreaterThan(0);
    expect(text).toContain('"evidence_stale"');
    expect(text).toContain('"evidence.expiring"');
  });
});
