/**
 * The live status badge of a shared attestation: a flat two-part SVG (grey label, coloured
 * message) in the shape people know from shields.io, and the shields.io endpoint JSON for those
 * who would rather have shields draw it. Pure and runtime-free: the route decides what it says.
 */

import type { BadgeStatus } from '../sharing/badge-state.ts';

export type { BadgeStatus };

export interface BadgeText {
  readonly label: string;
  readonly message: string;
  /** A `#rrggbb` colour for the message part; `badgeColour` gives the one for a status. */
  readonly colour: string;
}

export interface BadgeInput extends BadgeText {
  /** What a screen reader and a hovering pointer get: the whole statement, not just the two words. */
  readonly title: string;
  /** Where the badge leads: the share page. An http(s) URL or a path on this site. */
  readonly href?: string;
}

/** The shields.io endpoint schema (version 1). */
export interface ShieldsEndpoint {
  readonly schemaVersion: 1;
  readonly label: string;
  readonly message: string;
  readonly color: string;
  readonly cacheSeconds: number;
}

const LABEL_COLOUR = '#555555';
/** Every colour carries white 11px text at 4.5:1 or better (WCAG 2.2 AA); the unit test measures each. */
const STATUS_COLOURS: Readonly<Record<BadgeStatus, string>> = {
  valid: '#2e7d32',
  suspended: '#b45309',
  revoked: '#c62828',
  superseded: '#546e7a',
  unknown: '#6e6e6e',
  expired: '#6e6e6e',
};
/** What a status change may take to show: the badge route's Cache-Control says the same. */
const CACHE_SECONDS = 300;
const HEIGHT = 20;
const PADDING = 5;
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

export function badgeColour(status: string): string {
  return Object.hasOwn(STATUS_COLOURS, status) ? STATUS_COLOURS[status as BadgeStatus] : STATUS_COLOURS.unknown;
}

/**
 * Advance widths of Verdana at 11px, rounded to a tenth of a pixel, grouped by width. Estimated,
 * not measured: the SVG states each text's length, so a viewer without Verdana still fits it in.
 */
const WIDTH_GROUPS: ReadonlyArray<readonly [number, string]> = [
  [3.0, 'il'],
  [3.3, 'j'],
  [3.9, " f.,;:·'!|"],
  [4.3, 't'],
  [4.7, 'r-()[]{}I'],
  [4.9, '/\\"'],
  [5.7, 'cszJ*'],
  [6.1, 'L'],
  [6.3, 'F'],
  [6.5, 'ekvxy'],
  [6.7, 'aoP'],
  [6.9, 'bdghnpquTYE_'],
  [7.0, '0123456789#$+<=>?^~'],
  [7.5, 'ABKRSVXZ'],
  [7.7, 'C'],
  [8.3, 'HNU'],
  [8.5, 'D'],
  [8.6, 'G&'],
  [8.8, 'OQ'],
  [9.0, 'w'],
  [9.5, 'M%'],
  [10.7, 'm'],
  [10.9, 'W@'],
];
const CHAR_WIDTHS = new Map<string, number>(WIDTH_GROUPS.flatMap(([width, chars]) => [...chars].map((c) => [c, width] as const)));
/** Wide scripts (CJK and beyond) take a full em; anything else unlisted is taken as an average capital. */
const FULL_WIDTH_FROM = 0x2e80;
const DEFAULT_WIDTH = 7.5;

export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += CHAR_WIDTHS.get(ch) ?? (ch.codePointAt(0)! >= FULL_WIDTH_FROM ? 11 : DEFAULT_WIDTH);
  return Math.round(width * 10) / 10;
}

// Characters XML 1.0 does not allow at all: escaping cannot carry them, so they are replaced.
const NOT_XML =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const XML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

function xml(text: string): string {
  return text.replace(NOT_XML, '\ufffd').replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

function checkHref(href: string): void {
  const path = href.startsWith('/') && !href.startsWith('//');
  if (!path && !/^https?:\/\/[^\s]+$/i.test(href)) throw new TypeError('a badge links to an http(s) URL or a path on this site');
}

function checkColour(colour: string): void {
  if (!HEX_COLOUR.test(colour)) throw new TypeError('a badge colour is #rrggbb');
}

/** The badge as an SVG document: no script, no external reference, every text escaped. */
export function badgeSvg(input: BadgeInput): string {
  checkColour(input.colour);
  if (input.href !== undefined) checkHref(input.href);
  const labelText = textWidth(input.label);
  const messageText = textWidth(input.message);
  const labelWidth = Math.ceil(labelText) + 2 * PADDING;
  const messageWidth = Math.ceil(messageText) + 2 * PADDING;
  const width = labelWidth + messageWidth;
  const text = (x: number, length: number, value: string) =>
    `<text x="${x}" y="14" textLength="${length}" lengthAdjust="spacingAndGlyphs">${xml(value)}</text>`;
  const body = [
    '<linearGradient id="gloss" x2="0" y2="100%"><stop offset="0" stop-color="#bbbbbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
    `<clipPath id="round"><rect width="${width}" height="${HEIGHT}" rx="3" fill="#ffffff"/></clipPath>`,
    '<g clip-path="url(#round)">',
    `<rect width="${labelWidth}" height="${HEIGHT}" fill="${LABEL_COLOUR}"/>`,
    `<rect x="${labelWidth}" width="${messageWidth}" height="${HEIGHT}" fill="${input.colour.toLowerCase()}"/>`,
    `<rect width="${width}" height="${HEIGHT}" fill="url(#gloss)"/>`,
    '</g>',
    '<g fill="#ffffff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">',
    text(labelWidth / 2, labelText, input.label),
    text(labelWidth + messageWidth / 2, messageText, input.message),
    '</g>',
  ].join('');
  const linked = input.href === undefined ? body : `<a href="${xml(input.href)}">${body}</a>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" ` +
    `role="img" aria-label="${xml(`${input.label}: ${input.message}`)}"><title>${xml(input.title)}</title>${linked}</svg>`
  );
}

/** The same badge as shields.io's endpoint JSON, cached no longer than the SVG. */
export function shieldsEndpoint(input: BadgeText): ShieldsEndpoint {
  checkColour(input.colour);
  return { schemaVersion: 1, label: input.label, message: input.message, color: input.colour.toLowerCase(), cacheSeconds: CACHE_SECONDS };
}
