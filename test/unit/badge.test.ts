import { describe, expect, it } from 'vitest';
import { badgeColour, badgeSvg, shieldsEndpoint, textWidth } from '../../src/pages/badge.ts';

/** WCAG 2.2 relative luminance of a #rrggbb colour. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrastWithWhite = (hex: string) => 1.05 / (luminance(hex) + 0.05);

const widthOf = (svg: string) => Number(/^<svg [^>]*\bwidth="(\d+)"/.exec(svg)?.[1]);
const texts = (svg: string) => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
const badge = (message: string, more: Partial<Parameters<typeof badgeSvg>[0]> = {}) =>
  badgeSvg({ label: 'launch readiness', message, colour: badgeColour('valid'), title: `launch readiness: ${message}`, ...more });

describe('the status badge', () => {
  it('is an image with an accessible name: role img, an aria-label, and the title as its first child', () => {
    const svg = badge('production_grade · valid', { title: 'Acme: launch readiness production_grade, valid' });
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" [^>]*role="img"/);
    expect(svg).toMatch(/^<svg [^>]*aria-label="launch readiness: production_grade · valid">/);
    expect(svg).toMatch(/^<svg [^>]*><title>Acme: launch readiness production_grade, valid<\/title>/);
    expect(texts(svg)).toEqual(['launch readiness', 'production_grade · valid']);
    expect(svg).toMatch(/<\/svg>$/);
  });

  it('escapes every text it is given: label, message, title, link', () => {
    const svg = badgeSvg({
      label: 'a<b',
      message: `<script>alert("x")</script> & 'more'`,
      colour: badgeColour('revoked'),
      title: '"quoted" & <tagged>',
      href: 'https://vendor.example/s/abc?x=1&y="2"',
    });
    expect(svg).not.toContain('<script');
    expect(texts(svg)).toEqual(['a&lt;b', '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &apos;more&apos;']);
    expect(svg).toContain('<title>&quot;quoted&quot; &amp; &lt;tagged&gt;</title>');
    expect(svg).toContain('aria-label="a&lt;b: &lt;script&gt;');
    expect(svg).toContain('<a href="https://vendor.example/s/abc?x=1&amp;y=&quot;2&quot;">');
    // Every `&` left in the document begins an entity: nothing unescaped slipped through.
    expect(svg.match(/&(?!(amp|lt|gt|quot|apos);)/g)).toBeNull();
  });

  it('replaces characters XML cannot hold, so the document stays well formed', () => {
    const svg = badge('ok\u0000\u0008\u001b\ud800done');
    expect(texts(svg)).toEqual(['launch readiness', 'ok\ufffd\ufffd\ufffd\ufffddone']);
  });

  it('references nothing outside itself and runs nothing', () => {
    const svg = badge('valid', { href: '/s/token' });
    expect(svg).not.toMatch(/<script|<foreignObject|<image|<use|xlink:|\bon[a-z]+=|@import|javascript:/i);
    for (const url of svg.match(/url\([^)]*\)/g) ?? []) expect(url).toMatch(/^url\(#[a-z]+\)$/);
    expect(svg.match(/https?:\/\/[^"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
    expect(() => badge('valid', { href: 'javascript:alert(1)' })).toThrow(TypeError);
    expect(() => badge('valid', { href: '//elsewhere.example/x' })).toThrow(TypeError);
    expect(() => badge('valid', { colour: 'red;" onload="x' })).toThrow(TypeError);
  });

  it('grows with its text, wide letters more than narrow ones', () => {
    expect(widthOf(badge('production_grade · valid'))).toBeGreaterThan(widthOf(badge('valid')));
    expect(widthOf(badgeSvg({ label: 'launch readiness and more', message: 'valid', colour: '#2e7d32', title: 't' }))).toBeGreaterThan(
      widthOf(badge('valid')),
    );
    expect(textWidth('mmmm')).toBeGreaterThan(textWidth('nnnn'));
    expect(textWidth('WWWW')).toBeGreaterThan(textWidth('iiii') * 3);
    expect(textWidth('')).toBe(0);
    // Each part is its text's estimate plus padding, so a message of three wide letters is never cut.
    const svg = badge('WWW');
    expect(widthOf(svg)).toBeGreaterThanOrEqual(Math.ceil(textWidth('launch readiness')) + Math.ceil(textWidth('WWW')) + 20);
  });

  it('colours by status, each one readable with white text (WCAG contrast at least 4.5:1)', () => {
    const statuses = ['valid', 'suspended', 'revoked', 'superseded', 'unknown', 'expired'] as const;
    for (const s of statuses) {
      expect(badgeColour(s), s).toMatch(/^#[0-9a-f]{6}$/);
      expect(contrastWithWhite(badgeColour(s)), s).toBeGreaterThanOrEqual(4.5);
    }
    const [valid, suspended, revoked, superseded, unknown] = statuses.map(badgeColour);
    expect(new Set([valid, suspended, revoked, superseded, unknown]).size).toBe(5);
    expect(badgeColour('expired')).toBe(unknown);
    expect(badgeColour('something-new')).toBe(unknown);
    expect(badgeColour('constructor')).toBe(unknown);
    // The grey label part carries white text too.
    expect(badge('valid')).toContain('fill="#555555"');
    expect(contrastWithWhite('#555555')).toBeGreaterThanOrEqual(4.5);
    expect(badgeSvg({ label: 'l', message: 'revoked', colour: revoked!, title: 't' })).toContain(`fill="${revoked}"`);
  });

  it('gives shields.io its endpoint JSON: schema version 1, label, message, colour, cached five minutes', () => {
    const json = shieldsEndpoint({ label: 'launch readiness', message: 'production_grade · revoked', colour: badgeColour('revoked') });
    expect(json).toEqual({
      schemaVersion: 1,
      label: 'launch readiness',
      message: 'production_grade · revoked',
      color: badgeColour('revoked'),
      cacheSeconds: 300,
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
