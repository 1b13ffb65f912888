// The ClowdEnvironment reconciler (§2.1, §3). An environment mostly describes; the objects it
// makes itself are few: its target namespace (when it has to generate one) and a ServiceAccount
// there, with copies of its pull secrets. Its status is what apps wait on: an app builds only once its env is reconciled at the
// current generation and ready.
import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, type KubeConfig, type KubernetesObject, type V1Secret, type V1ServiceAccount } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import type { Reconcile } from '../runtime/controller.ts';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../runtime/finalizers.ts';
import { ENV_FINALIZER, GROUP, VERSION, type ClowdEnvironment, type ClowdEnvironmentStatus } from './api.ts';
import { liveCopy, lookup, ownedKinds, terminating, type Caches } from './caches.ts';
import { objectKey, type ObjectWriter } from './object-writer.ts';
import { controllerUid, envLabels, ownedBy } from './ownership.ts';
import { minioObjects, minioSecret } from './providers/objectstore/minio.ts';
import { pullSecretCopies } from './providers/pullsecrets/default.ts';
import { LOWER_ALPHANUMERIC, randomString } from './random.ts';
import type { Settings } from './settings.ts';
import { countDeployments, deploymentReady, reconcileConditions } from './status.ts';
import { publicEnabled, webPorts } from './web-settings.ts';

export interface EnvReconcilerOptions {
  kubeConfig: KubeConfig;
  caches: Caches;
  writer: ObjectWriter;
  settings: Settings;
}

export function envReconciler({ kubeConfig, caches, writer, settings }: EnvReconcilerOptions): Reconcile {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const custom = kubeConfig.makeApiClient(CustomObjectsApi);

  return async function reconcile(key) {
    const env = caches.envs.get(key);
    if (!env) return;
    const name = env.metadata!.name!;

    // ### 1: Being deleted: remove a namespace we generated (never one the spec named), then let go.
    if (env.metadata?.deletionTimestamp) {
      if (!hasFinalizer(env, ENV_FINALIZER)) return;
      const generated = !env.spec.targetNamespace && env.status?.targetNamespace;
      if (generated) await core.deleteNamespace({ name: generated }).catch(ignoreNotFound);
      await removeFinalizer(objects, env, ENV_FINALIZER);
      return;
    }
    // ### 2: Hold a finalizer, so a generated namespace is never left behind.
    if (!hasFinalizer(env, ENV_FINALIZER)) {
      await addFinalizer(objects, env, ENV_FINALIZER);
      return;
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
      await writeStatus(env, { ...env.status, targetNamespace: wanted || `clowdenv-${name}-${randomString(6, LOWER_ALPHANUMERIC)}` });
      return; // the status write is an update event that brings us back
    }
    if (!env.spec.targetNamespace && !caches.namespaces.get(targetNamespace)) {
      await core.createNamespace({ body: { metadata: { name: targetNamespace } } }).catch(ignoreConflict);
    }
    // ### 5: A namespace on its way out takes everything in it along: do not write into it.
    if (terminating(caches, targetNamespace)) return;

    // ### 6: Env-level objects: copies of the pull secrets in <tns>, and the ServiceAccount that
    // env-level pods run as, which lists those copies.
    let copies: V1Secret[];
    try {
      copies = pullSecretCopies({ env, lookup: lookup(caches), appTracked: [] }, targetNamespace);
    } catch (error) {
      return fail(env, (error as Error).message);
    }
    const account: V1ServiceAccount = {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: `${name}-env`, namespace: targetNamespace, labels: envLabels(env), ownerReferences: ownedBy(env) },
      imagePullSecrets: copies.map((c) => ({ name: c.metadata!.name! })),
    };
    const written: KubernetesObject[] = [...copies, account];
    if (env.spec.providers.objectStore.mode === 'minio') {
      // The keys are generated once; a Secret not cached yet is created now and read back later.
      if (!caches.secrets.get(`${targetNamespace}/${name}-minio`)) {
        await core.createNamespacedSecret({ namespace: targetNamespace, body: minioSecret(env, targetNamespace) });
      }
      written.push(...minioObjects(env, targetNamespace, settings, settings.operatorNamespace));
    }
    for (const object of written) await writer.write(object, liveCopy(caches, object));

    // ### 8: Prune what we own in <tns> but did not write: a pull secret taken off the list.
    // Env-owned objects in app namespaces (pull-secret copies, iqe-<env>) belong to app passes.
    const keys = new Set(written.map(objectKey));
    for (const informer of Object.values(ownedKinds(caches))) {
      for (const object of informer.list(targetNamespace)) {
        const ours = controllerUid(object) === env.metadata!.uid && object.metadata?.labels?.app === name;
        if (ours && !keys.has(objectKey(object))) await writer.delete(object);
      }
    }

    // ### 7, 9: Status: the apps of this env, the Deployments it owns, and the conditions.
    const owned = caches.deployments.list().filter((d) => controllerUid(d) === env.metadata!.uid);
    const counts = countDeployments(owned);
    const ready = counts.managedDeployments === counts.readyDeployments;
    const broken = owned.filter((d) => !deploymentReady(d)).map((d) => `${d.metadata!.name}/${d.metadata!.namespace}`).sort();
    const apps = appsOf(env);
    await writeStatus(env, {
      targetNamespace,
      ready,
      generation: env.metadata?.generation,
      deployments: { ...counts, managedTopics: 0, readyTopics: 0 },
      prometheus: { serverAddress: prometheusAddress(env, targetNamespace) },
      ...(apps.length ? { apps } : {}),
      conditions: reconcileConditions(env.status?.conditions, {
        deploymentsReady: ready,
        notReadyMessage: `Deployments are not yet ready: dependency failure: [${broken.length ? `broken deployments: [${broken.join(', ')}]` : ''}]`,
      }),
    });
  };

  /**
   * status.apps (§3.3): every app of this env in any namespace, not being deleted, sorted by
   * "<name>-<namespace>"; each with its deployments sorted by name, public ones with hostname and port.
   */
  function appsOf(env: ClowdEnvironment): NonNullable<ClowdEnvironmentStatus['apps']> {
    const port = webPorts(env.spec.providers.web).port;
    const bytes = (s: string) => Buffer.from(s);
    return caches.apps
      .list()
      .filter((a) => a.spec.envName === env.metadata!.name && !a.metadata?.deletionTimestamp)
      .sort((a, b) => Buffer.compare(bytes(`${a.metadata!.name}-${a.metadata!.namespace}`), bytes(`${b.metadata!.name}-${b.metadata!.namespace}`)))
      .map((a) => ({
        name: a.metadata!.name!,
        deployments: [...(a.spec.deployments ?? [])]
          .sort((x, y) => Buffer.compare(bytes(x.name), bytes(y.name)))
          .map((d) => {
            const name = `${a.metadata!.name}-${d.name}`;
            return publicEnabled(d) ? { name, hostname: `${name}.${a.metadata!.namespace}.svc`, port } : { name };
          }),
      }));
  }

  /** Records a failure, keeping what status already says, and throws so the queue retries with backoff. */
  async function fail(env: ClowdEnvironment, message: string): Promise<void> {
    await writeStatus(env, {
      ...env.status,
      conditions: reconcileConditions(env.status?.conditions, { error: message, deploymentsReady: false, notReadyMessage: message }),
    });
    throw new Error(message);
  }

  async function writeStatus(env: ClowdEnvironment, status: ClowdEnvironmentStatus): Promise<void> {
    if (isDeepStrictEqual(status, env.status)) return;
    await custom.replaceClusterCustomObjectStatus({
      group: GROUP,
      version: VERSION,
      plural: 'clowdenvironments',
      name: env.metadata!.name!,
      body: { ...env, status },
    });
    writer.writes.status++;
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

function ignoreConflict(error: { code?: number }): void {
  if (error.code !== 409) throw error;
}
