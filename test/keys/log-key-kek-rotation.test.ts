import { afterEach, describe, expect, it } from 'vitest';
import { generateKeyEncryptionKey, importKeyEncryptionKey, withPreviousKek } from '../../src/keys/key-crypto.ts';
import { logKeys } from '../../src/keys/key-store.ts';
import { logKeyVerifier } from '../../src/keys/log-key.ts';
import { withTenant } from '../../src/store/tenant-scope.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { openCheckpoint } from '../../src/transparency/checkpoint.ts';
import { profilePublishedEntry } from '../../src/transparency/events.ts';
import { appendEntries } from '../../src/transparency/store.ts';
import { sequenceTenant } from '../../src/transparency/sequencer.ts';
import { logView } from '../../src/transparency/reader.ts';
import { rotateKek } from '../../src/use-cases/kek-rotation.ts';
import { logSequencerDeps } from '../../src/use-cases/log-sequencer.ts';
import { bootstrap } from '../../src/use-cases/bootstrap.ts';
import { engines, type TestDatabase } from '../support/databases.ts';

const ORIGIN = new URL('https://issuer.test');

describe.each(engines())('the tenant log key across a KEK rotation on $engine', ({ open }) => {
  let t: TestDatabase | undefined;
  afterEach(() => t?.dispose());

  it('is re-sealed under the new KEK with the signing keys, and the new KEK alone signs the next checkpoint with the same key', async () => {
    t = await open();
    const { db } = t;
    const oldKek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const newKek = await importKeyEncryptionKey(generateKeyEncryptionKey());
    const now = () => new Date('2026-01-01T00:00:00Z');
    await bootstrap({ db, kek: oldKek, now: now() }, { demoTenant: false });
    await createTenant({ db, kek: oldKek, now: now(), actor: 'test' }, { id: 'acme', name: 'Acme' });
    await sequenceTenant(logSequencerDeps(db, oldKek, ORIGIN, now), 'acme');
    const [before] = await withTenant(db, 'acme', (tx) => logKeys(tx, 'acme'));
    expect(before!.kekId).toBe(oldKek.id);

    await rotateKek({ db, kek: withPreviousKek(newKek, oldKek), now, actor: 'test' });
    const [after] = await withTenant(db, 'acme', (tx) => logKeys(tx, 'acme'));
    expect(after).toMatchObject({ kid: before!.kid, kekId: newKek.id });
    expect(after!.sealed).not.toBe(before!.sealed);

    // The next entry: the new KEK alone sequences it and signs the checkpoint, with the same log key.
    await withTenant(db, 'acme', (tx) =>
      appendEntries(tx, 'acme', [
        profilePublishedEntry('acme', { id: 'acme.ready', version: '1', digest: `sha256-${'A'.repeat(43)}=`, at: now() }),
      ]),
    );
    const size = await sequenceTenant(logSequencerDeps(db, newKek, ORIGIN, now), 'acme');
    const view = await withTenant(db, 'acme', (tx) => logView(tx, 'acme'));
    const { checkpoint } = await openCheckpoint(
      view!.note,
      'issuer.test/t/acme',
      await logKeyVerifier({ origin: 'issuer.test/t/acme', publicJwk: after!.publicJwk }),
    );
    expect(checkpoint.size).toBe(size);
  });
});
