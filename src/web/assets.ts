/**
 * The browser build, made once per process by the runtime (esbuild on Node) and handed to the app:
 * the core serves it and embeds it, it never builds it.
 */
export interface WebAssets {
  /** The verification page's script: the runtime-free pipeline bundled for the browser (an IIFE). */
  readonly verifyScript: string;
}
