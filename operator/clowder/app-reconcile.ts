// The ClowdApp reconciler (§2.2). Read it top to bottom: the numbered steps are the spec's,
// in its order. Each pass builds every object and the whole config in memory first, and writes
// only when the build succeeded: a failing pass leaves the cluster as it was (generated
// credentials excepted, see createSecretOnce), and a passing pass that finds everything in place
// writes nothing (§0).
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { apiError } from '../runtime/api-error.ts';
import { RecordedFailure, type Reconcile, type Result } from '../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../runtime/finalizers.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { Outcome } from '../runtime/outcome.ts';
import { APP_FINALIZER, type ClowdApp } from './api.ts';
import { liveCopy, lookup, ownedKinds, terminating, type Caches } from './caches.ts';
import { clusterIPsReachable } from './cluster-ips.ts';
import type { Tracked } from './config/hash-cache.ts';
import { objectKey, readObject, type ObjectWriter } from './object-writer.ts';
import { appLabels, controllerUid } from './ownership.ts';
import { runProviders } from './providers/order.ts';
import { ProviderError, type AppBuild } from './providers/provider.ts';
import type { Settings } from './settings.ts';
import { countDeployments, failedStatus, reconcileConditions } from './status.ts';

/** Kinds written last, in this order, so the config Secret exists before the Deployments mount it. */
const WRITE_LAST = ['Service', 'Secret', 'Deployment', 'Job', 'CronJob'];

export interface AppReconcilerOptions {
  client: KubeClient;
  caches: Caches;
  writer: ObjectWriter;
  /** Filled per app with the Secrets and ConfigMaps its hashCache tracks, for the triggers (§7.3). */
  tracking: Map<string, Tracked[]>;
  settings: Settings;
}

export function appReconciler({ client, caches, writer, tracking, settings }: AppReconcilerOptions): Reconcile {
  // Asked once: where this process runs does not change while it runs.
  let reachable: Promise<boolean> | undefined;
  const clusterIPs = () => (reachable ??= clusterIPsReachable(client).catch((error) => {
    reachable = undefined; // a failed LIST is asked again next time
    throw error;
  }));

  return async function reconcile(key) {
    const app = caches.apps.get(key);
    if (!app) {
      tracking.delete(key);
      return;
    }
    const namespace = app.metadata!.namespace!;
    // What this pass writes, for the log: one line per pass (../runtime/outcome.ts).
    const outcome = new Outcome();
    // Stored before the CRD required spec: say so once; an edit that adds one brings the key back.
    if (!app.spec) return fail(app, outcome, 'spec: Required value', false);

    // ### 1: Being deleted: let go at once. Garbage collection removes what the app owned.
    if (app.metadata?.deletionTimestamp) {
      if (!hasFinalizer(app, APP_FINALIZER)) return;
      await removeFinalizer(client, app, APP_FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'removed') };
    }
    // ### 2: Hold a finalizer. The patch is an update event, which brings this key back.
    if (!hasFinalizer(app, APP_FINALIZER)) {
      await addFinalizer(client, app, APP_FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'added') };
    }
    // ### 3: Disabled: touch nothing, not even status, until it is enabled again (§12.1).
    if (app.spec.disabled) return;
    // ### 4: The app's namespace is being deleted: anything we wrote would be deleted too.
    if (terminating(caches, namespace)) return;

    // ### 5-8: The environment must exist, be reconciled at its current generation, and be ready.
    // An env's creation and each status change is an event for every app of the env, so waiting
    // costs no polling, and no retries: a failing key waits out its backoff even when the env's
    // event comes (../runtime/queue.ts), and that backoff may have grown to a minute.
    const env = caches.envs.get(app.spec.envName);
    if (!env) return fail(app, outcome, `ClowdEnvironment.cloud.redhat.com "${app.spec.envName}" not found`, false);
    const targetNamespace = env.status?.targetNamespace ?? '';
    if (terminating(caches, targetNamespace)) return;
    if (env.metadata?.generation !== env.status?.generation) return fail(app, outcome, 'clowd env not reconciled', false);
    const envReady = env.status?.ready && env.status.conditions?.some((c) => c.type === 'ReconciliationSuccessful' && c.status === 'True');
    if (!envReady) return fail(app, outcome, 'clowd env not ready', false);

    // ### 9: Build every object and the config in memory, provider by provider.
    const build: AppBuild = {
      app,
      env,
      targetNamespace,
      settings,
      lookup: lookup(caches),
      config: {},
      deployments: new Map(),
      services: new Map(),
      cronJobs: new Map(),
      objects: [],
      envTracked: [],
      appTracked: [],
      createSecretOnce: async (secret) => {
        await client.create({ apiVersion: 'v1', kind: 'Secret', ...secret });
        outcome.add('created', { kind: 'Secret', ...secret });
      },
      read: (apiVersion, kind, namespace, name) => readObject(client, apiVersion, kind, namespace, name),
      writeNow: async (object) => {
        const { apiVersion, kind, metadata } = object;
        outcome.add(await writer.write(object, await readObject(client, apiVersion!, kind!, metadata!.namespace!, metadata!.name!)), object);
      },
      clusterIPsReachable: clusterIPs,
    };
    try {
      await runProviders(build);
    } catch (error) {
      if (error instanceof ProviderError) return fail(app, outcome, error.message);
      throw error;
    }
    tracking.set(key, [...build.appTracked, ...build.envTracked]);

    // ### 10: Write what differs, config Secret before the Deployments that mount it.
    const desired = [...build.objects, ...build.services.values(), ...build.deployments.values(), ...build.cronJobs.values()];
    const rank = (o: KubernetesObject) => WRITE_LAST.indexOf(o.kind!) + 1; // 0 for every other kind: first
    desired.sort((a, b) => rank(a) - rank(b));
    // A write the API server refuses (say, a changed Deployment selector, which is immutable, or
    // a 500 from a full Service range) goes into the conditions like a provider error: the app's
    // author reads there what to fix, or what the cluster's admin must. Any other failure of a
    // pass reaches the conditions through the controller (onFailure in operator.ts).
    try {
      for (const object of desired) outcome.add(await writer.write(object, liveCopy(caches, object)), object);
    } catch (error) {
      if (!(error as { code?: number }).code) throw error;
      return fail(app, outcome, `runapp: apply: ${apiError(error).message}`);
    }

    // ### 11-12: Delete what we own but did not write this time (a removed deployment's objects).
    const written = new Set(desired.map(objectKey));
    const label = appLabels(app).app;
    for (const informer of Object.values(ownedKinds(caches))) {
      for (const object of informer.list(namespace)) {
        const ours = controllerUid(object) === app.metadata!.uid && object.metadata?.labels?.app === label;
        if (ours && !written.has(objectKey(object))) {
          await writer.delete(object);
          outcome.add('deleted', object);
        }
      }
    }

    // ### 13: Success. Counted are the Deployments we just wrote (local db and redis included), as
    // the cache sees them; one created a moment ago is not cached yet and counts as not ready.
    const owned = desired
      .filter((o): o is V1Deployment => o.kind === 'Deployment')
      .map((d) => caches.deployments.get(`${namespace}/${d.metadata!.name}`) ?? d);
    const counts = countDeployments(owned);
    const ready = counts.managedDeployments === counts.readyDeployments;
    const wrote = await writer.writeStatus(app, {
      ready,
      deployments: counts,
      generation: app.metadata?.generation,
      conditions: reconcileConditions(app.status?.conditions, { deploymentsReady: ready, notReadyMessage: 'Deployments are not yet ready' }),
    });
    return { outcome: outcome.add(wrote ? 'updated' : undefined, 'status', `${counts.readyDeployments}/${counts.managedDeployments} deployments ready`) };
  };

  /**
   * Records a failure in the conditions, keeping the last counts and generation, then (unless
   * told not to) throws so the queue retries with backoff (0.5 s doubling to 60 s). Without a
   * retry, the pass reports the failure and waits for the event that changes it (the env's status).
   */
  async function fail(app: ClowdApp, outcome: Outcome, message: string, retry = true): Promise<Result> {
    await writer.writeStatus(app, failedAppStatus(app, message));
    if (retry) throw new RecordedFailure(message);
    return { outcome: outcome.fail(message) };
  }
}

/** An app's status after a failed pass; one that never had a status is not ready. */
export function failedAppStatus(app: ClowdApp, message: string): NonNullable<ClowdApp['status']> {
  return { ready: false, ...failedStatus(app.status, message) };
}
