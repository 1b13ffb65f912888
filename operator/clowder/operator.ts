// Assembles the Clowder operator from the runtime: the caches, three controllers (environments,
// apps and job invocations) and one manager. The CLI (scripts/operator.ts), the tests and the benchmark all build it
// here, so they all run the same thing.
//
// Most of this file is the answer to "what makes a ClowdApp reconcile again?" (§13). Every
// trigger only queues keys; the reconcilers then read whatever is current.
import type { KubernetesObject } from '@kubernetes/client-node';
import { apiError } from '../runtime/api-error.ts';
import { Controller } from '../runtime/controller.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { keyOf, type Informer } from '../runtime/informer.ts';
import { InformerFactory } from '../runtime/informer-factory.ts';
import type { LeaderElectionOptions } from '../runtime/leader-election.ts';
import { Manager } from '../runtime/manager.ts';
import { Metrics } from '../runtime/metrics.ts';
import type { ClowdApp, ClowdEnvironment } from './api.ts';
import { appReconciler, failedAppStatus } from './app-reconcile.ts';
import { cjiReconciler } from './cji-reconcile.ts';
import { clowderCaches, ownedKinds } from './caches.ts';
import type { Tracked } from './config/hash-cache.ts';
import { envReconciler } from './env-reconcile.ts';
import { STRIMZI_KINDS } from './providers/kafka/operator.ts';
import { ObjectWriter } from './object-writer.ts';
import { DEFAULT_SETTINGS, type Settings } from './settings.ts';
import { failedStatus } from './status.ts';

export interface ClowderOptions {
  client: KubeClient;
  leaderElection?: LeaderElectionOptions;
  health?: { port?: number; host?: string };
  workers?: number;
  /** Re-check everything this often (ms), to repair anything an event missed. */
  resyncMs?: number;
  informerBackoffMs?: number;
  onLostLeadership?: () => void;
  log?: (line: string) => void;
  /** Images of the local providers, and other choices an environment does not make. */
  settings?: Partial<Settings>;
}

export function clowderOperator(options: ClowderOptions) {
  const { client } = options;
  const log = options.log ?? ((line: string) => console.error(`[clowder] ${line}`));
  const informers = new InformerFactory(client, { log, baseBackoffMs: options.informerBackoffMs });
  const caches = clowderCaches(informers);
  const writer = new ObjectWriter(client);
  const metrics = new Metrics();
  const tracking = new Map<string, Tracked[]>();
  const settings: Settings = { ...DEFAULT_SETTINGS, ...options.settings };
  // The retry schedule of §2.4, Clowder's: 0.5 s, doubling, at most 60 s per object.
  const queue = { baseDelayMs: 500, maxDelayMs: 60_000 };
  const common = { workers: options.workers ?? 4, resyncMs: options.resyncMs ?? 10 * 60_000, queue, metrics, log };

  /** The key of the ClowdApp (or ClowdEnvironment) that controls an object, if any. */
  const ownerKey = (kind: string) => (object: KubernetesObject) => ownerKeyIn(object, kind);
  /**
   * Every kind we write: a deleted or hand-edited object brings its owner back to repair it. A
   * Deployment's rollout is a burst of status changes (pods created, ready, available): a second's
   * wait makes one status write of its owner per burst rather than one per step.
   */
  const owned = (kind: string) =>
    Object.entries(ownedKinds(caches)).map(([ownedKind, informer]) => ({ informer, keysFor: ownerKey(kind), delayMs: ownedKind === 'Deployment' ? 1000 : undefined }));
  const appsOfEnv = (env: string) => caches.apps.list().filter((a) => a.spec?.envName === env).map(keyOf);
  const envsWhere = (test: (env: ClowdEnvironment) => boolean) => caches.envs.list().filter(test).map(keyOf);
  const dependsOn = (app: ClowdApp, name: string) => [...(app.spec?.dependencies ?? []), ...(app.spec?.optionalDependencies ?? [])].includes(name);
  const isPullSecretOf = (secret: KubernetesObject) => (env: ClowdEnvironment) =>
    Boolean(env.spec?.providers?.pullSecrets?.some((p) => p.name === secret.metadata?.name && p.namespace === secret.metadata?.namespace));

  /** A failed pass of any kind ends as a ReconciliationFailed condition carrying its message (§11). */
  const recordIn = <T extends KubernetesObject & { status?: object }>(cache: Informer<T>, failed: (object: T, message: string) => NonNullable<T['status']>) =>
    async (key: string, error: unknown) => {
      const object = cache.get(key);
      if (object) await writer.writeStatus(object, failed(object, apiError(error).message));
    };

  const envController = new Controller({
    name: 'clowdenvironment',
    primary: caches.envs,
    watches: [
      // status.apps lists the env's apps: any app change may change it. Key functions read
      // objects as stored, and one stored before the CRD required spec may lack it.
      // Apps come in bursts (a deploy of many at once): a second's wait makes one status write per burst.
      { informer: caches.apps, keysFor: (app) => [(app as ClowdApp).spec?.envName].filter((env) => env !== undefined), delayMs: 1000 },
      // Owned objects (minio's Deployment becoming ready included).
      ...owned('ClowdEnvironment'),
      // Pull-secret sources are copied into <tns>: a changed source is copied again.
      { informer: caches.secrets, keysFor: (secret) => envsWhere(isPullSecretOf(secret)) },
      // Strimzi's CRDs appearing lets an env in Kafka operator mode go on.
      { informer: caches.crds, keysFor: () => envsWhere((e) => e.spec?.providers?.kafka?.mode === 'operator') },
      // Strimzi's objects (owned by the env) reporting progress: listeners, readiness (§15.3).
      ...STRIMZI_KINDS.map((kind) => ({ informer: caches.strimzi[kind], keysFor: ownerKey('ClowdEnvironment') })),
      // A target namespace named in the spec may appear (or start terminating) after the env.
      { informer: caches.namespaces, keysFor: (ns) => envsWhere((e) => [e.status?.targetNamespace, e.spec?.targetNamespace].includes(ns.metadata?.name)) },
    ],
    reconcile: envReconciler({ client, caches, writer, settings }),
    onFailure: recordIn(caches.envs, (env, message) => failedStatus(env.status, message)),
    ...common,
  });

  /** Apps whose hashCache tracks this Secret or ConfigMap, plus, when it opts in, every app of its namespace. */
  const trackingApps = (object: KubernetesObject) => {
    const { name, namespace } = object.metadata ?? {};
    const keys = [...tracking].filter(([, set]) => set.some((t) => t.kind === object.kind && t.name === name && t.namespace === namespace)).map(([k]) => k);
    if (object.metadata?.annotations?.[settings.recycleAnnotation] === 'true') keys.push(...caches.apps.list(namespace).map(keyOf));
    return keys;
  };

  /** The app a KafkaUser was made for: the user of app <app> in env <env> is named `<env>-<app>`. */
  const appsOfKafkaUser = (user: KubernetesObject) => {
    const [env] = ownerKeyIn(user, 'ClowdEnvironment');
    return caches.apps.list().filter((a) => a.spec?.envName === env && `${env}-${a.metadata!.name}` === user.metadata?.name).map(keyOf);
  };

  const appController = new Controller({
    name: 'clowdapp',
    primary: caches.apps,
    watches: [
      // An env change (its status included: ready, reconciled) concerns every app of the env.
      { informer: caches.envs, keysFor: (env) => appsOfEnv(env.metadata!.name!) },
      // A dependency's web services feed this app's endpoints (§10; Clowder does not watch them).
      { informer: caches.apps, keysFor: (dep) => caches.apps.list().filter((a) => a.spec?.envName === (dep as ClowdApp).spec?.envName && dependsOn(a, dep.metadata!.name!)).map(keyOf) },
      { informer: caches.appRefs, keysFor: (ref) => caches.apps.list().filter((a) => dependsOn(a, ref.metadata!.name!)).map(keyOf) },
      // Owned objects: a deleted or edited one is put back; a Deployment's rollout updates status.
      ...owned('ClowdApp'),
      // Its KafkaUser `<env>-<app>` getting credentials from Strimzi (§15.3).
      { informer: caches.strimzi.KafkaUser, keysFor: appsOfKafkaUser },
      // Secrets and ConfigMaps its hashCache tracks (§7.3).
      { informer: caches.secrets, keysFor: trackingApps },
      { informer: caches.configMaps, keysFor: trackingApps },
    ],
    reconcile: appReconciler({ client, caches, writer, tracking, settings }),
    onFailure: recordIn(caches.apps, failedAppStatus),
    ...common,
  });

  const cjiController = new Controller({
    name: 'clowdjobinvocation',
    primary: caches.cjis,
    watches: [
      // Its Jobs finishing completes it; its app becoming ready lets it start.
      { informer: caches.jobs, keysFor: (job) => ownerKeyIn(job, 'ClowdJobInvocation') },
      { informer: caches.apps, keysFor: (app) => caches.cjis.list(app.metadata?.namespace).filter((c) => c.spec?.appName === app.metadata?.name).map(keyOf) },
    ],
    reconcile: cjiReconciler({ client, caches, writer }),
    ...common,
  });

  const manager = new Manager({
    client,
    informers,
    controllers: [envController, appController, cjiController],
    metrics,
    leaderElection: options.leaderElection,
    health: options.health,
    onLostLeadership: options.onLostLeadership,
    log,
  });
  return { manager, controllers: { env: envController, app: appController, cji: cjiController }, caches, writer, metrics };
}

/** The queue key of the object's controlling owner of that kind: `<ns>/<name>`, or `<name>` for an env. */
function ownerKeyIn(object: KubernetesObject, kind: string): string[] {
  const owner = object.metadata?.ownerReferences?.find((o) => o.controller && o.kind === kind);
  if (!owner) return [];
  return [kind === 'ClowdEnvironment' ? owner.name : `${object.metadata!.namespace}/${owner.name}`];
}
