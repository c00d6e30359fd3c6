/**
 * The shape of the OpenAPI document the service generates (src/http/openapi-document.ts) as the
 * API reference page reads it: kept here, beside the page, so the page needs nothing of the HTTP
 * layer that renders it.
 */

/** An operation of the generated document, with the members the reference reads. */
export interface ApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { example?: unknown; examples?: Record<string, { value?: unknown }> }> };
  responses?: Record<string, { description?: string }>;
  'x-required-roles'?: string[];
  'x-platform-only'?: boolean;
  [extension: `x-${string}`]: unknown;
}

export interface ApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, ApiOperation>>;
  [member: string]: unknown;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** Every operation of the document, in its path order. */
export function operationsOf(doc: ApiDocument): { method: string; path: string; op: ApiOperation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((m) => item[m] !== undefined).map((method) => ({ method, path, op: item[method]! })),
  );
}
