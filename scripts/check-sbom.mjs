#!/usr/bin/env node
// `node scripts/check-sbom.mjs sbom.cdx.json`: a minimal check of the CycloneDX SBOM CI keeps
// (made by `npm sbom --sbom-format cyclonedx --package-lock-only`), so an empty or partial file
// cannot pass for one. Every package the lockfile installs in production must be there, at its
// locked version, with scope "required"; every dev-only package with scope "optional".
//
// Why the whole lockfile rather than `npm sbom --omit=dev`: with --package-lock-only, npm 11's
// --omit=dev drops runtime packages that dev tools also use (zod, did-resolver, @scure/base among
// them, measured here), and without it npm reads node_modules, which must then be complete.
import { readFileSync } from 'node:fs';

const [file = 'sbom.cdx.json'] = process.argv.slice(2);
const problems = [];
let bom;
try {
  bom = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`${file}: not a readable JSON file (${e.message})`);
  process.exit(1);
}
if (bom.bomFormat !== 'CycloneDX') problems.push(`bomFormat is ${JSON.stringify(bom.bomFormat)}, not "CycloneDX"`);
if (!/^1\.\d+$/.test(bom.specVersion ?? '')) problems.push(`specVersion ${JSON.stringify(bom.specVersion)} is not a CycloneDX 1.x version`);
if (!Array.isArray(bom.components)) problems.push('no components array');

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
if (bom.metadata?.component?.purl !== `pkg:npm/${lock.name}@${lock.version}`) {
  problems.push(`metadata.component.purl is ${JSON.stringify(bom.metadata?.component?.purl)}, not this package`);
}
const components = new Map((bom.components ?? []).map((c) => [`${c.name}@${c.version}`, c]));
let runtime = 0;
for (const [path, pkg] of Object.entries(lock.packages)) {
  if (path === '' || pkg.link) continue;
  const name = pkg.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const component = components.get(`${name}@${pkg.version}`);
  const scope = pkg.dev ? 'optional' : 'required';
  if (!pkg.dev) runtime++;
  if (!component) problems.push(`${name}@${pkg.version} (${pkg.dev ? 'dev' : 'runtime'}) is missing`);
  // A package both trees use appears once; only a runtime one must say "required".
  else if (!pkg.dev && component.scope !== scope) problems.push(`${name}@${pkg.version} has scope ${component.scope}, not ${scope}`);
}
if (problems.length > 0) {
  console.error(`${file}: not the SBOM of this lockfile:\n  - ${problems.slice(0, 20).join('\n  - ')}`);
  process.exit(1);
}
console.log(
  `${file}: CycloneDX ${bom.specVersion}, ${components.size} components, all ${runtime} runtime packages of the lockfile present as required`,
);
