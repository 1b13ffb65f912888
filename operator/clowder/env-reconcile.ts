// The ClowdEnvironment reconciler (§2.1, §3). An environment mostly describes; the objects it
// makes itself are few: its target namespace (when it has to generate one), a ServiceAccount
// there with copies of its pull secrets, and the shared servers of some modes (PostgreSQL per
// version, Unleash, MinIO, Kafka): each mode file's env half (providers/order.ts).
// Its status is what apps wait on: an app builds only once its env is reconciled at the current
// generation and ready.
import type { KubernetesObject } from '@kubernetes/client-node';
import { RecordedFailure, type Reconcile, type Result } from '../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../runtime/finalizers.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { Outcome } from '../runtime/outcome.ts';
import { ENV_FINALIZER, type ClowdApp, type ClowdEnvironment, type ClowdEnvironmentStatus } from './api.ts';
import { liveCopy, lookup, ownedKinds, terminating, type Caches } from './caches.ts';
import { objectKey, readObject, type ObjectWriter } from './object-writer.ts';
import { controllerUid } from './ownership.ts';
import { runEnvProviders } from './providers/order.ts';
import { ProviderError, type EnvBuild } from './providers/provider.ts';
import { LOWER_ALPHANUMERIC, randomString } from './random.ts';
import type { Settings } from './settings.ts';
import { countDeployments, deploymentReady, reconcileConditions } from './status.ts';
import { publicEnabled, webPorts } from './web-settings.ts';

export interface EnvReconcilerOptions {
  client: KubeClient;
  caches: Caches;
  writer: ObjectWriter;
  settings: Settings;
}

export function envReconciler({ client, caches, writer, settings }: EnvReconcilerOptions): Reconcile {
  return async function reconcile(key) {
    const env = caches.envs.get(key);
    if (!env) return;
    // Stored before the CRD required spec: there is nothing to build from (and no finalizer yet).
    if (!env.spec) return fail(env, 'spec: Required value');
    const name = env.metadata!.name!;
    // What this pass writes, for the log: one line per pass (../runtime/outcome.ts).
    const outcome = new Outcome();

    // ### 1: Being deleted: remove a namespace we generated (never one the spec named), then let go.
    if (env.metadata?.deletionTimestamp) {
      if (!hasFinalizer(env, ENV_FINALIZER)) return;
      const generated = !env.spec.targetNamespace && env.status?.targetNamespace;
      if (generated) {
        await client.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: generated } }).catch(ignoreNotFound);
        outcome.add('deleted', `Namespace ${generated}`);
      }
      await removeFinalizer(client, env, ENV_FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'removed') };
    }
    // ### 2: Hold a finalizer, so a generated namespace is never left behind.
    if (!hasFinalizer(env, ENV_FINALIZER)) {
      await addFinalizer(client, env, ENV_FINALIZER);
      return { outcome: outcome.add('updated', 'finalizer', 'added') };
    }
    // ### 3: Disabled: no objects, no status. status.generation then lags metadata.generation,
    // which is exactly what makes every app of this env stop too (§12.1).
    if (env.spec.disabled) return;

    // ### 4: Resolve the target namespace once, and record it before creating anything. A
    // generated name is random: stored first, it is read back on every later pass, never made
    // anew, even if a create below fails and is retried.
    const targetNamespace = env.status?.targetNamespace;
    if (!targetNamespace) {
      const wanted = env.spec.targetNamespace;
      if (wanted && !caches.namespaces.get(wanted)) return fail(env, `namespaces "${wanted}" not found`);
      const chosen = wanted || `clowdenv-${name}-${randomString(6, LOWER_ALPHANUMERIC)}`;
      // This one status write carries the resourceVersion we read: from a cache that has not seen
      // an earlier pass's choice yet, a second random name must not replace the first. A 409
      // means a newer env is on its way, and its event brings us back, as the write's own does.
      const recorded = await client
        .replace({ ...env, status: { ...env.status, targetNamespace: chosen } }, { subresource: 'status' })
        .then(() => true, ignoreConflict);
      if (!recorded) return;
      return { outcome: outcome.add('updated', 'status', `target namespace ${chosen}`) };
    }
    if (!env.spec.targetNamespace && !caches.namespaces.get(targetNamespace)) {
      const made = await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: targetNamespace } }).then(() => true, ignoreConflict);
      if (made) outcome.add('created', `Namespace ${targetNamespace}`);
    }
    // ### 5: A namespace on its way out takes everything in it along: do not write into it.
    if (terminating(caches, targetNamespace)) return;

    // ### 6: Build the env halves of the env's modes (§3.2), in the providers' order: the shared
    // database servers, Unleash, MinIO, Kafka's cluster, the checks of the app-interface modes,
    // namespace labels, the ServiceAccount that env-level pods run as, and the pull-secret copies
    // it lists.
    const written: KubernetesObject[] = [];
    const build: EnvBuild = {
      env,
      targetNamespace,
      settings,
      lookup: lookup(caches),
      apps: envApps(env),
      objects: [],
      waits: [],
      counts: { managed: 0, ready: 0, managedTopics: 0, readyTopics: 0 },
      createSecretOnce: async (secret) => {
        await client.create({ apiVersion: 'v1', kind: 'Secret', ...secret });
        outcome.add('created', { kind: 'Secret', ...secret });
      },
      read: (apiVersion, kind, namespace, name) => readObject(client, apiVersion, kind, namespace, name),
      writeNow: async (object) => {
        const { apiVersion, kind, metadata } = object;
        const live = liveCopy(caches, object) ?? (await readObject(client, apiVersion!, kind!, metadata!.namespace!, metadata!.name!));
        outcome.add(await writer.write(object, live), object);
        written.push(object); // so the prune below keeps it
      },
    };
    try {
      await runEnvProviders(build);
    } catch (error) {
      if (error instanceof ProviderError) return fail(env, error.message);
      throw error;
    }

    // ### 7: Write what differs.
    for (const object of build.objects) {
      outcome.add(await writer.write(object, liveCopy(caches, object)), object);
      written.push(object);
    }

    // ### 8: What the env waits for from others fails the pass only now, with everything written.
    if (build.waits.length) return fail(env, build.waits[0]);

    // ### 9: Prune what we own in <tns> but did not write: a pull secret taken off the list.
    // Env-owned objects in app namespaces (pull-secret copies, iqe-<env>) belong to app passes.
    const keys = new Set(written.map(objectKey));
    for (const informer of Object.values(ownedKinds(caches))) {
      for (const object of informer.list(targetNamespace)) {
        const ours = controllerUid(object) === env.metadata!.uid && object.metadata?.labels?.app === name;
        if (ours && !keys.has(objectKey(object))) {
          await writer.delete(object);
          outcome.add('deleted', object);
        }
      }
    }

    // ### 10: Status: the apps of this env, the Deployments it owns (and what the halves counted),
    // and the conditions; written only when it changed.
    const owned = caches.deployments.list().filter((d) => controllerUid(d) === env.metadata!.uid);
    const deployments = countDeployments(owned);
    const extra = build.counts;
    const counts = {
      managedDeployments: deployments.managedDeployments + extra.managed,
      readyDeployments: deployments.readyDeployments + extra.ready,
      managedTopics: extra.managedTopics,
      readyTopics: extra.readyTopics,
    };
    const ready = counts.managedDeployments === counts.readyDeployments && counts.managedTopics === counts.readyTopics;
    const broken = owned.filter((d) => !deploymentReady(d)).map((d) => `${d.metadata!.name}/${d.metadata!.namespace}`).sort();
    const apps = appsOf(env);
    const wrote = await writer.writeStatus(env, {
      targetNamespace,
      ready,
      generation: env.metadata?.generation,
      deployments: counts,
      prometheus: { serverAddress: prometheusAddress(env, targetNamespace) },
      ...(apps.length ? { apps } : {}),
      conditions: reconcileConditions(env.status?.conditions, {
        deploymentsReady: ready,
        notReadyMessage: `Deployments are not yet ready: dependency failure: [${broken.length ? `broken deployments: [${broken.join(', ')}]` : ''}]`,
      }),
    });
    outcome.add(wrote ? 'updated' : undefined, 'status', `${ready ? 'ready' : 'not ready'}, ${counts.readyDeployments}/${counts.managedDeployments} deployments ready, ${apps.length} app${apps.length === 1 ? '' : 's'}`);
    return { outcome };
  };

  /** The apps of this env in any namespace, not being deleted, sorted by "<name>-<namespace>" (§3.3). */
  function envApps(env: ClowdEnvironment): ClowdApp[] {
    const sortKey = (a: ClowdApp) => Buffer.from(`${a.metadata!.name}-${a.metadata!.namespace}`);
    return caches.apps
      .list()
      .filter((a) => a.spec?.envName === env.metadata!.name && !a.metadata?.deletionTimestamp)
      .sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  }

  /** status.apps: each app with its deployments sorted by name, public ones with hostname and port. */
  function appsOf(env: ClowdEnvironment): NonNullable<ClowdEnvironmentStatus['apps']> {
    const port = webPorts(env.spec.providers.web).port;
    return envApps(env).map((a) => ({
      name: a.metadata!.name!,
      deployments: [...(a.spec.deployments ?? [])]
        .sort((x, y) => Buffer.compare(Buffer.from(x.name), Buffer.from(y.name)))
        .map((d) => {
          const name = `${a.metadata!.name}-${d.name}`;
          return publicEnabled(d) ? { name, hostname: `${name}.${a.metadata!.namespace}.svc`, port } : { name };
        }),
    }));
  }

  /** Records a failure, keeping what status already says, and throws so the queue retries with backoff. */
  async function fail(env: ClowdEnvironment, message: string): Promise<Result> {
    await writer.writeStatus(env, {
      ...env.status,
      conditions: reconcileConditions(env.status?.conditions, { error: message, deploymentsReady: false, notReadyMessage: message }),
    });
    throw new RecordedFailure(message);
  }
}

/** Where apps find Prometheus (§3.3): app-interface names it; otherwise the operator's own in <tns>. */
function prometheusAddress(env: ClowdEnvironment, targetNamespace: string): string {
  const metrics = env.spec.providers.metrics;
  if (metrics?.mode === 'app-interface') return metrics.prometheus?.appInterfaceInternalURL ?? '';
  return `http://prometheus-operated.${targetNamespace}.svc.cluster.local:9090`;
}

function ignoreNotFound(error: { code?: number }): void {
  if (error.code !== 404) throw error;
}

/** 409: someone was first (a previous pass created the namespace, or wrote a newer env): nothing new. */
function ignoreConflict(error: { code?: number }): false {
  if (error.code !== 409) throw error;
  return false;
}
