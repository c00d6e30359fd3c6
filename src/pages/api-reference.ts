import { operationsOf, type ApiDocument, type ApiOperation } from './api-document.ts';
import { esc } from './html.ts';

// Descriptions and examples are ours, not a caller's: cut far later than a credential's claims.
const LONG = 20_000;

/** The request example an operation documents, as JSON text, or undefined when it has no body. */
export function requestExample(op: ApiOperation): { mediaType: string; text: string } | undefined {
  for (const [mediaType, media] of Object.entries(op.requestBody?.content ?? {})) {
    const value = media.example ?? Object.values(media.examples ?? {})[0]?.value;
    if (value !== undefined) return { mediaType, text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) };
  }
  return undefined;
}

/** Paragraphs from a description: blank lines separate them, `code` spans stay code. */
function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => `<p>${esc(p.trim(), LONG).replace(/`([^`]+)`/g, '<code>$1</code>')}</p>`)
    .join('\n');
}

function operation(method: string, path: string, op: ApiOperation): string {
  const id = op.operationId ?? `${method}-${path}`;
  const roles = op['x-required-roles'] ?? [];
  const params = (op.parameters ?? []).map(
    (p) =>
      `<li><code>${esc(p.name)}</code> (${esc(p.in)}${p.required ? ', required' : ''})${p.description ? `: ${esc(p.description, LONG)}` : ''}</li>`,
  );
  const example = requestExample(op);
  const responses = Object.entries(op.responses ?? {}).map(
    ([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description ?? '', LONG)}</li>`,
  );
  return `<section class="part" id="${esc(id)}" aria-labelledby="${esc(id)}-title">
<h3 id="${esc(id)}-title"><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>
<p class="lead">${esc(op.summary ?? '', LONG)}</p>
${paragraphs(op.description ?? '')}
<dl>
<dt>operationId</dt><dd><code>${esc(id)}</code></dd>
<dt>Roles</dt><dd>${roles.length ? roles.map((r) => `<code>${esc(r)}</code>`).join(', ') : 'none (public)'}</dd>
</dl>
${params.length ? `<h4>Parameters</h4>\n<ul>${params.join('')}</ul>` : ''}
${example ? `<h4>Request example (<code>${esc(example.mediaType)}</code>)</h4>\n<pre><code>${esc(example.text, LONG)}</code></pre>` : ''}
<h4>Responses</h4>
<ul>${responses.join('')}</ul>
</section>`;
}

/**
 * The API reference, rendered here from the same document /openapi.json serves: no script, no
 * asset from elsewhere, readable offline and without JavaScript. Grouped by tag, in the
 * document's path order, each operation linkable by its operationId.
 */
export function renderApiReference(doc: ApiDocument): { heading: string; body: string } {
  const groups = new Map<string, { method: string; path: string; op: ApiOperation }[]>();
  for (const entry of operationsOf(doc)) {
    const tag = entry.op.tags?.[0] ?? 'other';
    groups.set(tag, [...(groups.get(tag) ?? []), entry]);
  }
  const contents = [...groups]
    .map(
      ([tag, ops]) =>
        `<li>${esc(tag)}<ul>${ops.map((o) => `<li><a href="#${esc(o.op.operationId ?? '')}">${esc(o.method.toUpperCase())} ${esc(o.path)}</a></li>`).join('')}</ul></li>`,
    )
    .join('');
  const sections = [...groups]
    .map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>\n${ops.map((o) => operation(o.method, o.path, o.op)).join('\n')}`)
    .join('\n');
  const body = `<p class="lead">Every operation of this service's HTTP API, from <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi)}). Operator calls take <code>Authorization: Bearer</code> with an API key or an identity-provider JWT holding one of the roles named; errors are RFC 9457 problem documents with a stable <code>code</code>.</p>
<nav aria-label="Operations"><h2 id="contents">Contents</h2><ul>${contents}</ul></nav>
${sections}`;
  return { heading: 'API reference', body };
}
