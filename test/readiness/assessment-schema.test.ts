import { describe, expect, it } from 'vitest';
import { MAX_RESULTS } from '../../src/readiness/assessment.ts';
import { MAX_REPORTED_PROBLEMS, parseAssessment } from '../../src/readiness/parse-assessment.ts';
import { evidence, passingAssessment, refusalOf, result } from './fixtures.ts';

const pointersOf = (input: unknown) => {
  const e = refusalOf(() => parseAssessment(input));
  expect(e.code).toBe('invalid_request');
  return e.fields.map((f) => f.pointer);
};

describe('assessment schema', () => {
  it('accepts a complete assessment unchanged', () => {
    const a = passingAssessment();
    expect(parseAssessment(a)).toEqual(a);
  });

  it('refuses unknown members at their own pointer, at any depth', () => {
    const a = passingAssessment() as unknown as { results: Record<string, unknown>[]; subject: Record<string, unknown> };
    a.results[0]!.grade = 'A';
    a.subject.verified = true;
    expect(pointersOf(a).sort()).toEqual(['/results/0/grade', '/subject/verified']);
  });

  it('names the control in a refusal inside its result', () => {
    const a = passingAssessment();
    a.results[3] = { ...result('beta.nice'), note: '' };
    const e = refusalOf(() => parseAssessment(a));
    expect(e.fields).toEqual([{ pointer: '/results/3/note', detail: expect.stringMatching(/^control 'beta.nice': /) }]);
  });

  it('bounds the number of results', () => {
    const a = { ...passingAssessment(), results: Array.from({ length: MAX_RESULTS + 1 }, (_, i) => result(`bulk.c${i}`, 'fail')) };
    expect(pointersOf(a)).toEqual(['/results']);
  });

  it('bounds the length of free text', () => {
    const a = passingAssessment();
    a.results[0] = { ...a.results[0]!, note: 'x'.repeat(2001) };
    a.subject = { ...a.subject, organisation: 'o'.repeat(201) };
    expect(pointersOf(a).sort()).toEqual(['/results/0/note', '/subject/organisation']);
  });

  it('reports at most a bounded number of problems for hostile input', () => {
    const results = Array.from({ length: MAX_RESULTS }, () => ({ control: 'NOT AN ID', status: 'maybe', x: 1 }));
    const e = refusalOf(() => parseAssessment({ ...passingAssessment(), results }));
    expect(e.fields).toHaveLength(MAX_REPORTED_PROBLEMS);
  });

  it('needs a production URL or an identifier for the subject', () => {
    const { productionUrl: _ignored, ...nameless } = passingAssessment().subject;
    expect(pointersOf({ ...passingAssessment(), subject: nameless })).toEqual(['/subject/productionUrl']);
    expect(parseAssessment({ ...passingAssessment(), subject: { ...nameless, id: 'did:web:api.example.com' } }).subject.id).toBe(
      'did:web:api.example.com',
    );
  });

  it('takes only https production URLs on a public host name', () => {
    for (const productionUrl of ['http://api.example.com', 'https://10.0.0.1', 'https://localhost', 'ftp://example.com']) {
      expect(pointersOf({ ...passingAssessment(), subject: { ...passingAssessment().subject, productionUrl } })).toEqual([
        '/subject/productionUrl',
      ]);
    }
  });

  it('takes evidence at https:, urn: and did: addresses only', () => {
    const at = (uri: string) => ({ ...passingAssessment(), results: [{ ...result('core.strict'), evidence: [{ ...evidence(), uri }] }] });
    for (const uri of [
      'urn:uuid:7f1c2c1e-1b55-4f7a-9d0b-7f6f0c0f3c11',
      'did:web:evidence.example.com',
      'https://evidence.example.com/x.json',
    ]) {
      expect(() => parseAssessment(at(uri))).not.toThrow();
    }
    for (const uri of ['http://evidence.example.com/x.json', 'file:///etc/passwd', 'javascript:alert(1)', 'https://']) {
      expect(pointersOf(at(uri))).toEqual(['/results/0/evidence/0/uri']);
    }
  });

  it('takes RFC 3339 timestamps with a zone only', () => {
    const a = passingAssessment();
    a.acceptance = { ...a.acceptance!, decidedAt: '2026-03-03 12:00:00' };
    a.signOffs = [{ ...a.signOffs![0]!, signedAt: '2026-03-02T10:00:00' }];
    expect(pointersOf(a).sort()).toEqual(['/acceptance/decidedAt', '/signOffs/0/signedAt']);
  });

  it('refuses a status outside the five the profile knows', () => {
    const a = passingAssessment() as unknown as { results: { status: string }[] };
    a.results[0]!.status = 'passed';
    expect(pointersOf(a)).toEqual(['/results/0/status']);
  });
});
