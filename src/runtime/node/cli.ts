import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createApiKey } from '../../auth/api-keys.ts';
import { isRole, ROLES, type Role } from '../../auth/principal.ts';
import { ConfigError, parseConfig } from '../../config/index.ts';
import { issuerIdentity } from '../../did/issuer-identity.ts';
import { AppError } from '../../errors/index.ts';
import { listKeys } from '../../keys/key-store.ts';
import { keyState } from '../../keys/lifecycle.ts';
import { DEFAULT_KEY_POLICY, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../keys/policy.ts';
import { rotateNow } from '../../keys/rotation.ts';
import { createJsonLogger } from '../../log/logger.ts';
import { migrate } from '../../store/migrations.ts';
import { publishList } from '../../status/publish.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { PLATFORM_TENANT_ID } from '../../tenants/tenant-id.ts';
import { createTenant, listTenants } from '../../tenants/tenants.ts';
import { rotateLogKey } from '../../use-cases/log-key-rotation.ts';
import { rotateKek } from '../../use-cases/kek-rotation.ts';
import { revokeKey } from '../../use-cases/revoke-key.ts';
import { ListenError } from './listen-error.ts';
import { joinOptionValues, type OptionSpec } from './option-values.ts';
import { loadMigrations } from './migration-files.ts';
import { backupEmbedded, restoreEmbedded } from './embedded-backup.ts';
import { openDatabase } from './open-database.ts';
import { presentCommand } from './present-command.ts';
import { announceBootstrapToken, bootstrapKeyPath } from './bootstrap-key.ts';
import { doctorCommand } from './doctor-command.ts';
import { originCommand } from './origin-command.ts';
import { runServer } from './serve.ts';
import { assessmentTemplateCommand } from './assessment-template-command.ts';
import { auditVerifyCommand } from './audit-verify-command.ts';
import { evidenceDigestCommand } from './evidence-digest-command.ts';
import { holderKeyNewCommand } from './holder-key-command.ts';
import { openService } from './service.ts';
import { UsageError } from './usage-error.ts';
import { verifyCommand } from './verify-command.ts';
import { logVerifyCommand } from './log-verify-command.ts';
import { verifierHtmlCommand } from './verifier-html-command.ts';

const USAGE = `usage: launchproof <command> [options]

  serve                                   run the service (the default)
  migrate                                 apply pending database migrations and exit
  doctor [--json]                         check the deployment before it serves (read-only): migrations
                                          current, origin recorded and matching, the KEK opens every
                                          key, database role not a superuser, row-level security
                                          forced, clock agrees with the database's, TRUSTED_ISSUERS
                                          resolve. Exit: 0 all passed, 1 any failed
  init                                    migrate, create the platform identity and, on a new
                                          database, print the first admin API key (once)
  tenant create <id> --name NAME [--algorithm ES256|EdDSA] [--log-subjects name|digest]
  tenant list
  api-key create --tenant ID --roles r1,r2 [--label TEXT]   roles: ${ROLES.join(', ')}
  api-key create --platform --roles r1,r2 [--label TEXT]
                                          a platform (operator) key: how to replace a lost
                                          bootstrap admin key; the token is printed once
  kek rotate                              re-seal every private key under KEY_ENCRYPTION_KEY (the new
                                          key-encryption key), opening those still sealed under
                                          KEY_ENCRYPTION_KEY_PREVIOUS; resumable: run it again after
                                          a crash. Exit 1 while any key is under neither KEK
  origin show                             the deployment's recorded origin
  origin set URL                          move the deployment to another origin, on purpose:
                                          every did:web identifier changes with it
  keys list <tenant>
  keys rotate <tenant>
  keys revoke <tenant> <kid> --reason TEXT
  keys sweep                              rotate due keys, re-sign stale status lists
  log rotate-key <tenant>                 replace the key that signs the tenant's log checkpoints;
                                          the old one stays published
  backup FILE                             copy the embedded database to FILE (never replaces a file);
                                          refused while a server runs on it. PostgreSQL: pg_dump (README)
  restore FILE [--force]                  load FILE into an empty embedded data directory; --force sets
                                          a database already there aside (it deletes nothing)
  verify FILE --bundle BUNDLE [--expect-did DID] [--expect-kid KID] [--aud AUDIENCE --nonce NONCE]
         [--at TIME] [--json]
                                          verify a credential (compact, or a VC-API envelope)
                                          offline against a trust bundle, as of TIME (RFC 3339;
                                          default now). --expect-did and --expect-kid (the kid as
                                          the issuer's JWK Set publishes it) refuse a bundle of
                                          another issuer or key: pin both, from a source you trust.
                                          --aud and --nonce check the holder's key binding.
                                          When the bundle carries the issuer's transparency log, the
                                          "log" check proves the credential's issuance entry is in it
                                          (inclusion under the signed checkpoint, whose log key the
                                          bundle holds) and that its status history in the log ends
                                          where the lists say; it fails, and the verdict with it, for
                                          a credential the issuer did not log or a log that does not
                                          hold (gap, rewritten entry, forged or another log's
                                          checkpoint). The status at TIME by the log alone is shown.
                                          Exit: 0 verified, 1 not verified, 2 the credential could
                                          not be judged (usage, unreadable file, a bundle that is
                                          unusable or not the pinned one). Reads no configuration,
                                          no network.
  log verify --from OLD_BUNDLE --to NEW_BUNDLE [--json]
  log verify --to NEW_BUNDLE --attestation ID [--at TIME] [--json]
                                          the newer bundle's log extends the older's (RFC 9162
                                          consistency proved from the newer entries, entries compared
                                          one by one, same log and log key) and every entry between
                                          the two checkpoints (index, instant, type, what it is about);
                                          names a fork, a rewritten entry (its index), a gap, a log
                                          that does not extend. --attestation: that attestation's
                                          status at TIME (default now) from the newer log alone, and
                                          the entry that set it. Exit: 0 consistent, 1 not consistent
                                          or the attestation not in the log, 2 usage or a bundle that
                                          cannot be used or carries no log. No configuration, no network.
  audit verify PACKAGE [--expect-key VKEY] [--json]
                                          check an audit export (json, csv or zip) offline: the
                                          checkpoint signed by the log's key (pin it with
                                          --expect-key, the log's verifier key text from a source
                                          you trust; otherwise a key the package carries), each
                                          entry canonical, within the range, at a unique index and
                                          proved included. Exit: 0 verified, 1 not verified (each
                                          failure named), 2 usage or not a package. Reads no
                                          configuration, no network.
  verifier-html --bundle BUNDLE -o FILE
                                          write the offline verifier: one HTML file holding the
                                          bundle (checked first, embedded byte for byte) and the
                                          browser build of the pipeline, which verifies with no
                                          network at all when opened from disk, the "log" check of
                                          verify included. Exit: 0 written,
                                          2 usage, unreadable or unusable bundle. Reads no
                                          configuration, no network.
  present FILE --list
  present FILE [--reveal /ptr,/ptr2 ...] [--holder-key KEYFILE --aud AUDIENCE --nonce NONCE]
                                          the holder's side of an SD-JWT VC: --list prints the claims
                                          it can reveal (JSON pointers, one a line); otherwise prints a
                                          presentation revealing exactly those named (and what they
                                          contain), bound to one verifier with a key-binding JWT signed
                                          by the holder's private JWK (EC P-256/P-384, OKP Ed25519).
                                          Exit: 0 done, 2 usage or unusable input. Reads no
                                          configuration, no network.
  assessment template --profile ID@VERSION [-o FILE]
                                          a fill-in skeleton of an assessment against a built-in
                                          profile: every control, status "fail", no evidence, the
                                          control's text as the note; what to sign and accept on
                                          stderr. Reads no configuration, no network.
  evidence digest FILE... --collected-by NAME [--collected-at TIME] [--media-type TYPE]
         [--base-url https://HOST/PATH/]
                                          the evidence entries of FILEs as a result's "evidence"
                                          takes them: SHA-256 in SRI form, media type from the file
                                          name, uri under --base-url (else urn:sha256:HEX).
  holder-key new FILE [--algorithm ES256|ES384|EdDSA]
                                          a holder key pair: the private JWK to FILE (owner-only,
                                          never overwritten), the public JWK (send it as
                                          holder.jwk) to stdout.

Configuration comes from the environment (see README). Exit: 0 done, 1 failed, 2 usage.`;

/** An output file the command creates, never one it would overwrite. */
async function writeNew(path: string, text: string): Promise<void> {
  await writeFile(path, text, { flag: 'wx' });
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

const OPTIONS = {
  name: { type: 'string' },
  algorithm: { type: 'string' },
  tenant: { type: 'string' },
  roles: { type: 'string' },
  label: { type: 'string' },
  platform: { type: 'boolean' },
  'log-subjects': { type: 'string' },
  reason: { type: 'string' },
  bundle: { type: 'string' },
  at: { type: 'string' },
  'expect-did': { type: 'string' },
  'expect-kid': { type: 'string' },
  'expect-key': { type: 'string' },
  json: { type: 'boolean' },
  list: { type: 'boolean' },
  reveal: { type: 'string', multiple: true },
  'holder-key': { type: 'string' },
  aud: { type: 'string' },
  nonce: { type: 'string' },
  output: { type: 'string', short: 'o' },
  profile: { type: 'string' },
  'collected-by': { type: 'string' },
  'collected-at': { type: 'string' },
  'media-type': { type: 'string' },
  'base-url': { type: 'string' },
  force: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
  attestation: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/** Console commands run against the database directly: an operator at the machine is trusted. */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: joinOptionValues(argv, OPTIONS),
    allowPositionals: true,
    options: OPTIONS,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [command = 'serve', sub, ...rest] = positionals;
  // Before the configuration: an auditor verifying offline, or a holder presenting, has no database, no keys, no environment.
  if (command === 'verify') {
    if (rest.length > 0) throw new UsageError('verify takes one FILE');
    return verifyCommand(
      {
        file: sub,
        bundle: values.bundle,
        at: values.at,
        json: values.json ?? false,
        expectDid: values['expect-did'],
        expectKid: values['expect-kid'],
        audience: values.aud,
        nonce: values.nonce,
      },
      // Flushed before the exit that follows: a report piped to another program must arrive whole.
      (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
      (text) => process.stderr.write(text),
    );
  }
  if (command === 'log' && sub !== 'rotate-key') {
    if (sub !== 'verify' || rest.length > 0)
      throw new UsageError(
        'usage: log verify --from OLD_BUNDLE --to NEW_BUNDLE [--json], log verify --to BUNDLE --attestation ID [--at TIME], or log rotate-key TENANT',
      );
    return logVerifyCommand(
      { from: values.from, to: values.to, attestation: values.attestation, at: values.at, json: values.json ?? false },
      (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
      (text) => process.stderr.write(text),
    );
  }
  if (command === 'audit') {
    if (sub !== 'verify' || rest.length !== 1) throw new UsageError('usage: audit verify PACKAGE [--expect-key VKEY] [--json]');
    return auditVerifyCommand(
      { file: rest[0], expectKey: values['expect-key'], json: values.json ?? false },
      (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
      (text) => process.stderr.write(text),
    );
  }
  if (command === 'verifier-html') {
    if (sub !== undefined) throw new UsageError('verifier-html takes no FILE: name the bundle with --bundle and the output with -o');
    return verifierHtmlCommand(
      { bundle: values.bundle, output: values.output },
      (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
      (text) => process.stderr.write(text),
    );
  }
  if (command === 'present') {
    if (rest.length > 0) throw new UsageError('present takes one FILE');
    return presentCommand(
      {
        file: sub,
        reveal: values.reveal ?? [],
        list: values.list ?? false,
        holderKey: values['holder-key'],
        audience: values.aud,
        nonce: values.nonce,
      },
      (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
      (text) => process.stderr.write(text),
    );
  }
  const write = (text: string) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));
  const warn = (text: string) => process.stderr.write(text);
  // Writing an assessment and making a holder key are offline too: no database, no configuration.
  if (command === 'assessment') {
    if (sub !== 'template' || rest.length > 0) throw new UsageError('usage: assessment template --profile ID@VERSION [-o FILE]');
    const toFile = values.output;
    return assessmentTemplateCommand(values.profile, toFile === undefined ? write : (text) => writeNew(toFile, text), warn);
  }
  if (command === 'evidence') {
    if (sub !== 'digest') throw new UsageError('usage: evidence digest FILE... --collected-by NAME');
    return evidenceDigestCommand(
      {
        files: rest,
        collectedBy: values['collected-by'],
        collectedAt: values['collected-at'],
        mediaType: values['media-type'],
        baseUrl: values['base-url'],
      },
      write,
      warn,
    );
  }
  if (command === 'holder-key') {
    if (sub !== 'new' || rest.length > 1) throw new UsageError('usage: holder-key new FILE [--algorithm ES256|ES384|EdDSA]');
    return holderKeyNewCommand({ file: rest[0], algorithm: values.algorithm }, write, warn);
  }
  const config = parseConfig(process.env);

  if (command === 'serve') {
    await runServer(config);
    return -1; // keeps running
  }
  if (command === 'migrate') {
    const db = await openDatabase(config);
    try {
      const report = await migrate(db, await loadMigrations());
      process.stdout.write(`migrations: ${report.applied.length} applied, schema at version ${report.current} (${db.engine})\n`);
    } finally {
      await db.close();
    }
    return 0;
  }

  if (command === 'origin') return originCommand(config, sub, rest);
  if (command === 'doctor') {
    if (sub !== undefined) throw new UsageError('doctor takes no arguments besides --json');
    return doctorCommand(
      config,
      { json: values.json ?? false },
      (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
    );
  }

  if (command === 'backup' || command === 'restore') {
    if (rest.length > 0) throw new UsageError(`${command} takes one FILE`);
    const file = need(sub, 'FILE');
    if (command === 'backup') {
      const b = await backupEmbedded(config, file);
      process.stdout.write(
        `backup: ${b.file} (${b.bytes} bytes): schema ${b.schemaVersion}, ${b.tenants} tenants, ${b.signingKeys} signing keys, ${b.credentials} credentials; the KEK is not in it\n`,
      );
    } else {
      const r = await restoreEmbedded(config, file, { force: values.force ?? false, now: new Date() });
      process.stdout.write(
        `restore: ${r.dir}: schema ${r.schemaVersion}, ${r.tenants} tenants, ${r.signingKeys} signing keys, ${r.credentials} credentials${r.setAside ? `; the previous database is at ${r.setAside}` : ''}\n`,
      );
    }
    return 0;
  }

  const known = new Set(['init', 'tenant', 'api-key', 'keys', 'kek', 'log']);
  if (!known.has(command)) throw new UsageError(`unknown command ${command}`);
  const log = createJsonLogger('warn', (l) => process.stderr.write(`${l}\n`));
  // Only init may record the deployment's origin; every other command must match it.
  const service = await openService(config, { log, pages: false, origin: command === 'init' ? 'record' : 'check' });
  const actor = 'cli';
  const now = new Date();
  const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  try {
    await announceBootstrapToken(bootstrapKeyPath(config, service.deployment), service.bootstrap.adminToken, log, {
      production: config.environment === 'production',
    });
    const keyCtx = { db: service.db, kek: service.kek, now, actor };
    if (command === 'init') {
      const platform = issuerIdentity(config.publicUrl, PLATFORM_TENANT_ID);
      out({ platform_did: platform.did, database: service.db.engine, admin_key_issued: service.bootstrap.adminToken !== undefined });
      return 0;
    }
    switch (`${command} ${sub ?? ''}`) {
      case 'tenant create': {
        const id = need(rest[0], 'tenant id');
        const algorithm = (values.algorithm ?? DEFAULT_KEY_POLICY.algorithm) as SigningAlgorithm;
        if (!SIGNING_ALGORITHMS.includes(algorithm)) throw new UsageError(`--algorithm must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
        const logSubjects = values['log-subjects'] ?? 'name';
        if (logSubjects !== 'name' && logSubjects !== 'digest') throw new UsageError('--log-subjects must be name or digest');
        const { tenant } = await createTenant(keyCtx, {
          id,
          name: need(values.name, '--name'),
          keyPolicy: { ...DEFAULT_KEY_POLICY, algorithm },
          logSubjects,
        });
        out({
          id: tenant.id,
          did: issuerIdentity(config.publicUrl, tenant.id).did,
          key_policy: tenant.keyPolicy,
          log_subjects: tenant.logSubjects,
        });
        return 0;
      }
      case 'tenant list':
        out((await listTenants(service.db)).map((t) => ({ id: t.id, name: t.name, did: issuerIdentity(config.publicUrl, t.id).did })));
        return 0;
      case 'api-key create': {
        const roles = need(values.roles, '--roles')
          .split(',')
          .map((r) => r.trim());
        const bad = roles.filter((r) => !isRole(r));
        if (bad.length) throw new UsageError(`unknown role(s) ${bad.join(', ')}`);
        if (values.platform && values.tenant !== undefined) throw new UsageError('give --tenant or --platform, not both');
        const tenantId = values.platform ? PLATFORM_TENANT_ID : need(values.tenant, '--tenant (or --platform)');
        const { key, token } = await createApiKey(
          { db: service.db, now, actor },
          { tenantId, roles: roles as Role[], label: values.label ?? '' },
        );
        out({ id: key.id, tenant: key.tenantId, roles: key.roles, token });
        return 0;
      }
      case 'keys list': {
        const tenant = need(rest[0], 'tenant id');
        const keys = await withTenant(service.db, tenant, (tx) => listKeys(tx, tenant));
        out(
          keys.map((k) => ({
            kid: k.kid,
            alg: k.alg,
            state: keyState(k, now),
            created_at: k.createdAt,
            activated_at: k.activatedAt,
            retired_at: k.retiredAt,
            publish_until: k.publishUntil,
            revoked_at: k.revokedAt,
          })),
        );
        return 0;
      }
      case 'keys rotate':
        out(await rotateNow(keyCtx, need(rest[0], 'tenant id')));
        return 0;
      case 'log rotate-key': {
        const rotated = await rotateLogKey({ ...keyCtx, publicUrl: config.publicUrl }, need(rest[0], 'tenant id'));
        out({ kid: rotated.kid, retired_kid: rotated.retiredKid, verifier_key: rotated.verifierKey, size: rotated.size });
        return 0;
      }
      case 'keys revoke': {
        const { key, credentials, lists } = await revokeKey(
          keyCtx,
          need(rest[0], 'tenant id'),
          need(rest[1], 'kid'),
          need(values.reason, '--reason'),
        );
        // Re-signed before the command returns: a revoked credential must read as revoked at once,
        // and no list may stay signed by the revoked key.
        for (const listId of lists) {
          await publishList({ db: service.db, kek: service.kek, origin: service.config.publicUrl, now }, key.tenantId, listId);
        }
        out({ kid: key.kid, revoked_at: key.revokedAt, credentials_revoked: credentials.changed.length });
        return 0;
      }
      case 'kek rotate': {
        if (!service.kek.previous)
          throw new UsageError(
            'kek rotate needs KEY_ENCRYPTION_KEY set to the new key-encryption key and KEY_ENCRYPTION_KEY_PREVIOUS to the one it replaces',
          );
        const outcome = await rotateKek({ db: service.db, kek: service.kek, now: () => new Date(), actor });
        // KEK ids only (a digest prefix): never key material.
        out({
          from_kek_id: outcome.fromKekId,
          to_kek_id: outcome.toKekId,
          resealed: outcome.resealed,
          unopenable: outcome.unopenable.map((k) => ({ kek_id: k.kekId, keys: k.keys })),
        });
        return outcome.unopenable.length === 0 ? 0 : 1;
      }
      case 'keys sweep':
        await service.sweep();
        return 0;
      default:
        throw new UsageError(`unknown command ${command} ${sub ?? ''}`);
    }
  } finally {
    await service.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`launchproof: ${e.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (e instanceof ListenError) {
      process.stderr.write(`launchproof: ${e.message}\n`);
      process.exit(1);
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`launchproof: ${e.message}\n`);
      process.exit(2);
    }
    if (e instanceof AppError) {
      process.stderr.write(`launchproof: ${e.code}: ${e.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`launchproof: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
