import { parseArgs } from 'node:util';
import { createApiKey } from '../../auth/api-keys.ts';
import { isRole, ROLES, type Role } from '../../auth/principal.ts';
import { ConfigError, parseConfig } from '../../config/index.ts';
import { issuerIdentity } from '../../did/issuer-identity.ts';
import { AppError } from '../../errors/index.ts';
import { listKeys } from '../../keys/key-store.ts';
import { keyState } from '../../keys/lifecycle.ts';
import { DEFAULT_KEY_POLICY, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../keys/policy.ts';
import { revokeKey, rotateNow } from '../../keys/rotation.ts';
import { createJsonLogger } from '../../log/logger.ts';
import { migrate } from '../../store/migrations.ts';
import { publishList } from '../../status/publish.ts';
import { withTenant } from '../../store/tenant-scope.ts';
import { PLATFORM_TENANT_ID } from '../../tenants/tenant-id.ts';
import { createTenant, listTenants } from '../../tenants/tenants.ts';
import { ListenError } from './listen-error.ts';
import { loadMigrations } from './migration-files.ts';
import { openDatabase } from './open-database.ts';
import { presentCommand } from './present-command.ts';
import { announceBootstrapToken, runServer } from './serve.ts';
import { openService } from './service.ts';
import { UsageError } from './usage-error.ts';
import { verifyCommand } from './verify-command.ts';
import { verifierHtmlCommand } from './verifier-html-command.ts';

const USAGE = `usage: launchproof <command> [options]

  serve                                   run the service (the default)
  migrate                                 apply pending database migrations and exit
  init                                    migrate, create the platform identity and, on a new
                                          database, print the first admin API key (once)
  tenant create <id> --name NAME [--algorithm ES256|EdDSA]
  tenant list
  api-key create --tenant ID --roles r1,r2 [--label TEXT]   roles: ${ROLES.join(', ')}
  keys list <tenant>
  keys rotate <tenant>
  keys revoke <tenant> <kid> --reason TEXT
  keys sweep                              rotate due keys, re-sign stale status lists
  verify FILE --bundle BUNDLE [--expect-did DID] [--expect-kid KID] [--aud AUDIENCE --nonce NONCE]
         [--at TIME] [--json]
                                          verify a credential (compact, or a VC-API envelope)
                                          offline against a trust bundle, as of TIME (RFC 3339;
                                          default now). --expect-did and --expect-kid (the kid as
                                          the issuer's JWK Set publishes it) refuse a bundle of
                                          another issuer or key: pin both, from a source you trust.
                                          --aud and --nonce check the holder's key binding.
                                          Exit: 0 verified, 1 not verified, 2 the credential could
                                          not be judged (usage, unreadable file, a bundle that is
                                          unusable or not the pinned one). Reads no configuration,
                                          no network.
  verifier-html --bundle BUNDLE -o FILE
                                          write the offline verifier: one HTML file holding the
                                          bundle (checked first, embedded byte for byte) and the
                                          browser build of the pipeline, which verifies with no
                                          network at all when opened from disk. Exit: 0 written,
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

Configuration comes from the environment (see README). Exit: 0 done, 1 failed, 2 usage.`;

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`);
  return value;
}

/** Console commands run against the database directly: an operator at the machine is trusted. */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      algorithm: { type: 'string' },
      tenant: { type: 'string' },
      roles: { type: 'string' },
      label: { type: 'string' },
      reason: { type: 'string' },
      bundle: { type: 'string' },
      at: { type: 'string' },
      'expect-did': { type: 'string' },
      'expect-kid': { type: 'string' },
      json: { type: 'boolean' },
      list: { type: 'boolean' },
      reveal: { type: 'string', multiple: true },
      'holder-key': { type: 'string' },
      aud: { type: 'string' },
      nonce: { type: 'string' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
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

  const known = new Set(['init', 'tenant', 'api-key', 'keys']);
  if (!known.has(command)) throw new UsageError(`unknown command ${command}`);
  const service = await openService(config, { log: createJsonLogger('warn', (l) => process.stderr.write(`${l}\n`)), pages: false });
  const actor = 'cli';
  const now = new Date();
  const out = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  try {
    await announceBootstrapToken(config, service.bootstrap.adminToken);
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
        const { tenant } = await createTenant(keyCtx, {
          id,
          name: need(values.name, '--name'),
          keyPolicy: { ...DEFAULT_KEY_POLICY, algorithm },
        });
        out({ id: tenant.id, did: issuerIdentity(config.publicUrl, tenant.id).did, key_policy: tenant.keyPolicy });
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
        const { key, token } = await createApiKey(
          { db: service.db, now, actor },
          { tenantId: need(values.tenant, '--tenant'), roles: roles as Role[], label: values.label ?? '' },
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
      case 'keys revoke': {
        const { key, credentials } = await revokeKey(
          keyCtx,
          need(rest[0], 'tenant id'),
          need(rest[1], 'kid'),
          need(values.reason, '--reason'),
        );
        // Re-signed before the command returns: a revoked credential must read as revoked at once.
        for (const listId of credentials.lists) {
          await publishList({ db: service.db, kek: service.kek, origin: service.config.publicUrl, now }, key.tenantId, listId);
        }
        out({ kid: key.kid, revoked_at: key.revokedAt, credentials_revoked: credentials.changed.length });
        return 0;
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
