/**
 * Whether a request's Accept-Encoding (RFC 9110 §12.5.3) admits gzip: named with a non-zero
 * weight, or covered by `*` when gzip itself is not named. Absent means identity only, as a
 * client that sent nothing may not be able to inflate.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    const admitted = Number.isFinite(weight) && weight > 0;
    if (coding.trim() === 'gzip' || coding.trim() === 'x-gzip') return admitted;
    if (coding.trim() === '*') star = admitted;
  }
  return star === true;
}
