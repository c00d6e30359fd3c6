// Made by scripts/build-web.mjs before every bundle of the Worker (wrangler.toml [build]), and
// so absent from a fresh checkout: typed here for the typecheck that runs before any build.
declare module '*/dist/migrations/manifest.js' {
  const migrations: readonly { readonly version: number; readonly name: string; readonly checksum: string }[];
  export default migrations;
}
