// The PostgresDatabase reconciler: make the PostgreSQL server hold the database and role this
// object asks for, keep the login in a Secret, and say in status what the server looks like.
//
// Two things differ from a controller whose world is all Kubernetes:
// - The server cannot be watched. Nothing tells us when someone drops our role by hand, so
//   every reconcile ends by asking to come back after `pollMs`: polling is how drift is found.
// - The server can be down while the API server is up. That is not a bug in the object, so we
//   say so in a condition and throw: the queue retries with growing delays, the process lives on.
//
// The Secret holds the password and is our only copy of it. PostgreSQL stores a hash, so the
// password cannot be read back: a recreated role gets the Secret's password again, and running
// applications keep working. Only if the Secret is gone do we pick a new password and set it.
import type { V1Secret } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { apply, ownerReference } from '../../operator/runtime/apply.ts';
import { findCondition, setCondition } from '../../operator/runtime/conditions.ts';
import type { Reconcile } from '../../operator/runtime/controller.ts';
import { recordEvent, type EventRecord } from '../../operator/runtime/events.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../operator/runtime/finalizers.ts';
import type { Informer } from '../../operator/runtime/informer.ts';
import type { KubeClient } from '../../operator/runtime/kube-client.ts';
import { Outcome, type Change } from '../../operator/runtime/outcome.ts';
import { unreachable, type PostgresAdmin } from './postgres-admin.ts';
import { COMPONENT, FINALIZER, secretName, type PostgresDatabase } from './postgres-database.ts';

export interface Caches {
  databases: Informer<PostgresDatabase>;
  secrets: Informer<V1Secret>;
}

interface Ready {
  status: 'True' | 'False';
  reason: string;
  message: string;
}

export function postgresDatabaseReconciler(client: KubeClient, caches: Caches, admin: PostgresAdmin, pollMs: number): Reconcile {
  return async function reconcile(key) {
    // ### 1: Load the PostgresDatabase from the cache
    const db = caches.databases.get(key);
    if (!db) return;
    const name = db.spec.databaseName;
    const uid = db.metadata!.uid!;
    // What this pass does, for the log: one line per pass (operator/runtime/outcome.ts).
    const outcome = new Outcome();

    // ### 2: Being deleted: drop the database and role, then let deletion finish
    // If the server is down, we cannot drop anything. Removing the finalizer anyway would leave
    // a database nobody knows about; so deletion waits, and the condition says why.
    if (db.metadata?.deletionTimestamp) {
      if (!hasFinalizer(db, FINALIZER)) return;
      try {
        await admin.drop(name, uid);
      } catch (error) {
        await writeStatus(db, failure(error, `cannot drop database and role ${name}; deletion waits until the server answers`));
        throw error;
      }
      await event(db, { type: 'Normal', reason: 'Dropped', message: `dropped database and role ${name} on ${admin.server}` });
      await removeFinalizer(client, db, FINALIZER);
      return { outcome: outcome.add('deleted', `database and role ${name} on ${admin.server}`).add('updated', 'finalizer', 'removed') };
    }

    // ### 3: Hold a finalizer before creating anything outside the cluster
    // Kubernetes garbage-collects the Secret for us (it has an owner reference); the database is
    // out of its reach. The finalizer is what gives us the chance to drop it.
    if (!hasFinalizer(db, FINALIZER)) {
      await addFinalizer(client, db, FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'added') };
    }

    // ### 4: The password: the Secret's, or a new one if there is no Secret yet
    const secret = caches.secrets.get(`${db.metadata!.namespace}/${secretName(db)}`);
    const stored = secret?.data?.password && Buffer.from(secret.data.password, 'base64').toString();
    const password = stored || randomBytes(18).toString('base64url');

    // ### 5: Make the server match: role, database, rights
    // We ask the server what exists now, every time, instead of remembering what we created: the
    // server is the source of truth for external state, and our memory is lost on every restart.
    try {
      const found = await admin.find(name);
      const theirs: string[] = [];
      if (found.database !== undefined && !admin.isOurs(found.database, uid)) theirs.push(`database ${name}`);
      if (found.role !== undefined && !admin.isOurs(found.role, uid)) theirs.push(`role ${name}`);
      if (theirs.length) {
        // Someone else's (made by hand, or by another PostgresDatabase): never adopt it.
        const message = `${theirs.join(' and ')} on ${admin.server} already exist and are not managed by this PostgresDatabase`;
        await writeStatus(db, { status: 'False', reason: 'NameTaken', message });
        return { requeueAfterMs: pollMs, outcome: outcome.fail(message) };
      }
      const created: string[] = [];
      if (found.role === undefined) {
        await admin.createRole(name, password, uid);
        created.push(`role ${name}`);
      } else if (!stored) {
        await admin.setPassword(name, password); // the Secret was lost: a new password, set on both sides
        outcome.add('updated', `role ${name}`, 'new password');
      }
      if (found.database === undefined) {
        await admin.createDatabase(name, uid);
        created.push(`database ${name}`);
      }
      // A recreated role has lost its rights too; granting is cheap, but skipped when all is well.
      if (created.length || !(await admin.granted(name))) {
        await admin.grant(name);
        if (!created.length) outcome.add('updated', `rights of role ${name}`, 'granted again');
      }

      // ### 6: The Secret, applied only when its contents differ from the cache
      outcome.add(await writeSecret(db, secret, name, password), `Secret ${secretName(db)}`);

      if (created.length) {
        // Creating on first sight is normal; creating what existed before is a repair worth a
        // warning. A stored password means we provisioned this before (the Secret is written only
        // after the role exists) — unlike our last status, which a failed pass may have overwritten.
        const repaired = Boolean(stored);
        outcome.add('created', `${created.join(' and ')} on ${admin.server}`, repaired ? 'it had disappeared' : undefined);
        await event(db, repaired
          ? { type: 'Warning', reason: 'DriftRepaired', message: `${created.join(' and ')} had disappeared from ${admin.server}; recreated` }
          : { type: 'Normal', reason: 'Created', message: `created ${created.join(' and ')} on ${admin.server}` });
      }
    } catch (error) {
      await writeStatus(db, failure(error, `cannot provision database ${name}`));
      throw error;
    }

    // ### 7: Report, and come back later to look for drift
    const wrote = await writeStatus(db, { status: 'True', reason: 'Provisioned', message: `database ${name} and role ${name} exist on ${admin.server}; login in Secret ${secretName(db)}` });
    return { requeueAfterMs: pollMs, outcome: outcome.add(wrote ? 'updated' : undefined, 'status', 'Ready') };
  };

  /** The condition for a failed call: an unreachable server, or one that refused. */
  function failure(error: unknown, doing: string): Ready {
    const detail = (error as Error).message || String(error);
    return unreachable(error)
      ? { status: 'False', reason: 'ServerUnreachable', message: `${doing}: PostgreSQL at ${admin.server} is unreachable (${detail}); retrying with backoff` }
      : { status: 'False', reason: 'ServerError', message: `${doing}: PostgreSQL at ${admin.server} refused: ${detail}` };
  }

  /** Returns what it did to the Secret: created, updated, or nothing (it already held this). */
  async function writeSecret(db: PostgresDatabase, current: V1Secret | undefined, name: string, password: string): Promise<Change | undefined> {
    const server = new URL(admin.applicationUrl(name, password));
    const data = {
      host: server.hostname,
      port: server.port,
      database: name,
      username: name,
      password,
      url: server.toString(),
    };
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
    if (current && isDeepStrictEqual(current.data, encoded)) return undefined;
    await apply(client, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: secretName(db),
        namespace: db.metadata!.namespace,
        labels: { 'app.kubernetes.io/managed-by': COMPONENT },
        ownerReferences: [ownerReference(db)],
      },
      type: 'Opaque',
      data: encoded,
    } as V1Secret, COMPONENT);
    return current ? 'updated' : 'created';
  }

  /**
   * Writes status only when it differs from what is stored, so a poll that finds everything in
   * place writes nothing. A warning Event goes out when the condition changes, not on every retry.
   * Returns whether it wrote.
   */
  async function writeStatus(db: PostgresDatabase, ready: Ready): Promise<boolean> {
    const generation = db.metadata?.generation ?? 0;
    const status: PostgresDatabase['status'] = {
      observedGeneration: generation,
      secretName: secretName(db),
      conditions: setCondition(db.status?.conditions, { type: 'Ready', ...ready, observedGeneration: generation }),
    };
    if (isDeepStrictEqual(status, db.status)) return false;
    const before = findCondition(db.status?.conditions, 'Ready');
    // A replace carries the resourceVersion we read: if the object changed since, 409 Conflict,
    // and the queue brings us back to the newer version.
    await client.replace({ ...db, status }, { subresource: 'status' });
    if (ready.status === 'False' && before?.reason !== ready.reason) await event(db, { type: 'Warning', reason: ready.reason, message: ready.message });
    return true;
  }

  function event(db: PostgresDatabase, record: EventRecord): Promise<void> {
    return recordEvent(client, COMPONENT, db, record);
  }
}
