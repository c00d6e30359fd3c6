/**
 * The README's shell blocks, as the README test runs them. A block is skipped only when the line
 * right before its fence says so, with a reason: `<!-- readme-test: skip (reason) -->`; one that
 * needs something this machine may lack names it: `<!-- readme-test: needs VARIABLE (reason) -->`
 * runs only where that environment variable is set. One blank line may stand between the marker
 * and the fence: prettier puts it there.
 */
export interface ReadmeBlock {
  /** 1-based line of the opening fence, as an editor shows it. */
  readonly line: number;
  readonly text: string;
  readonly skip?: string;
  readonly needs?: { readonly variable: string; readonly reason: string };
}

const FENCE_OPEN = /^```(?:sh|bash|shell)\s*$/;
const FENCE_CLOSE = /^```\s*$/;
const MARKER = /^<!--\s*readme-test:\s*([a-z-]+)\s*(.*?)\s*-->\s*$/;

export function readmeBlocks(markdown: string): ReadmeBlock[] {
  const lines = markdown.split('\n');
  const blocks: ReadmeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE_OPEN.test(lines[i]!)) continue;
    const end = lines.findIndex((l, k) => k > i && FENCE_CLOSE.test(l));
    if (end < 0) throw new TypeError(`README line ${i + 1}: a shell block that never closes`);
    const text = lines.slice(i + 1, end).join('\n');
    const above = i > 1 && lines[i - 1]!.trim() === '' ? i - 2 : i - 1;
    const marker = above >= 0 ? MARKER.exec(lines[above]!) : null;
    let block: ReadmeBlock = { line: i + 1, text };
    if (marker?.[1] === 'skip') {
      const reason = /^\((.+)\)$/.exec(marker[2]!)?.[1];
      if (!reason) throw new TypeError(`README line ${above + 1}: a readme-test skip must give its reason in parentheses`);
      block = { ...block, skip: reason };
    } else if (marker?.[1] === 'needs') {
      const m = /^([A-Z][A-Z0-9_]*)\s*\((.+)\)$/.exec(marker[2]!);
      if (!m) throw new TypeError(`README line ${above + 1}: write <!-- readme-test: needs VARIABLE (reason) -->`);
      block = { ...block, needs: { variable: m[1]!, reason: m[2]! } };
    } else if (marker) {
      throw new TypeError(`README line ${above + 1}: unknown readme-test marker`);
    }
    blocks.push(block);
    i = end;
  }
  return blocks;
}
