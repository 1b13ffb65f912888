// The ClowdJobInvocation reconciler (§9.3, minimal): "run these jobs of that app, once". Each
// listed job becomes a batch/v1 Job owned by the invocation, built like the app's CronJob pods.
// The invocation is one-shot: once it has invoked its jobs (status.jobMap is not empty), later
// passes only follow the Jobs to Complete or Failed, and never start them again.
import type { V1Job } from '@kubernetes/client-node';
import type { KubeClient } from '../runtime/kube-client.ts';
import { setCondition } from '../runtime/conditions.ts';
import type { Reconcile, Result } from '../runtime/controller.ts';
import { Outcome } from '../runtime/outcome.ts';
import { type ClowdApp, type ClowdEnvironment, type ClowdJobInvocation } from './api.ts';
import type { Caches } from './caches.ts';
import type { ObjectWriter } from './object-writer.ts';
import { jobContainers, LINTER_ANNOTATIONS } from './providers/cronjob/default.ts';
import { configVolumes, withoutKubectl } from './providers/pod-template.ts';
import { LOWER_ALPHANUMERIC, randomString } from './random.ts';

type JobState = 'Invoked' | 'Complete' | 'Failed';

export function cjiReconciler({ client, caches, writer }: { client: KubeClient; caches: Caches; writer: ObjectWriter }): Reconcile {

  return async function reconcile(key) {
    const cji = caches.cjis.get(key);
    if (!cji || cji.metadata?.deletionTimestamp) return;
    if (!cji.spec) return fail(cji, 'spec: Required value'); // stored before the CRD required spec
    const namespace = cji.metadata!.namespace!;

    // ### 1: Invoked before: only follow the Jobs we started.
    if (cji.status?.completed || Object.keys(cji.status?.jobMap ?? {}).length) {
      const jobMap = Object.fromEntries(Object.keys(cji.status!.jobMap).map((job) => [job, stateOf(invoked(cji, `${cji.spec.appName}-${job}`))]));
      return report(await writeStatus(cji, jobMap));
    }
    // ### 2: Disabled: nothing to run, and so nothing left to wait for.
    if (cji.spec.disabled) return report(await writeStatus(cji, {}));

    // ### 3-6: The app must exist, be reconciled and ready (unless told otherwise), and have the jobs.
    const app = caches.apps.get(`${namespace}/${cji.spec.appName}`);
    if (!app) return fail(cji, `ClowdApp.cloud.redhat.com "${cji.spec.appName}" not found`);
    if (app.status?.generation && app.status.generation !== app.metadata?.generation) return fail(cji, `The ${cji.spec.appName} app is not reconciled yet: `);
    const ready = app.status?.ready && app.status.conditions?.some((c) => c.type === 'ReconciliationSuccessful');
    if (!ready && !cji.spec.runOnNotReady) return fail(cji, `The ${cji.spec.appName} app must be ready for CJI to start: `);
    if (!app.spec) return fail(cji, `The ${cji.spec.appName} app has no spec: `);
    const env = caches.envs.get(app.spec.envName);
    if (!env) return fail(cji, `ClowdEnvironment.cloud.redhat.com "${app.spec.envName}" not found`);
    for (const name of cji.spec.jobs ?? []) {
      const job = app.spec.jobs?.find((j) => j.name === name);
      if (!job) return fail(cji, `No such job ${name}: `);
      if (job.disabled) return fail(cji, `Job [${name}] is disabled: `);
    }

    // ### 7: Start one Job per listed job, unless one is already there (a retry after a failed
    // status write must not run a job twice).
    const jobMap: Record<string, JobState> = {};
    const started: V1Job[] = [];
    for (const name of cji.spec.jobs ?? []) {
      const existing = invoked(cji, `${app.metadata!.name}-${name}`);
      if (!existing) {
        const job = jobFor(cji, app, env, name);
        await client.create(job);
        started.push(job);
      }
      jobMap[name] = stateOf(existing);
    }
    return report(await writeStatus(cji, jobMap), started);
  };

  /** The pass's line for the log (../runtime/outcome.ts): the Jobs it started, its status. */
  function report(wroteStatus: boolean, started: V1Job[] = []): Result {
    const outcome = new Outcome();
    for (const job of started) outcome.add('created', job);
    return { outcome: outcome.add(wroteStatus ? 'updated' : undefined, 'status') };
  }

  /** The Job this invocation started for `<app>-<job>`, found by its labels. */
  function invoked(cji: ClowdJobInvocation, appJob: string): V1Job | undefined {
    return caches.jobs.list(cji.metadata!.namespace).find((j) => j.metadata?.labels?.clowdjob === cji.metadata!.name && j.metadata?.labels?.job === appJob);
  }

  async function fail(cji: ClowdJobInvocation, message: string): Promise<void> {
    await writeStatus(cji, cji.status?.jobMap ?? {}, message);
    throw new Error(message);
  }

  /** Writes status only when it changed; returns whether it wrote. */
  async function writeStatus(cji: ClowdJobInvocation, jobMap: Record<string, JobState>, error?: string): Promise<boolean> {
    const states = Object.values(jobMap);
    // A disabled invocation has nothing to wait for: it counts as complete, on every pass.
    const completed = Boolean(cji.spec?.disabled) || (states.length > 0 && states.every((s) => s === 'Complete'));
    let conditions = cji.status?.conditions;
    conditions = setCondition(conditions, completed
      ? { type: 'JobInvocationComplete', status: 'True', reason: 'JobsComplete', message: 'All ClowdJob invocations complete' }
      : { type: 'JobInvocationComplete', status: 'False', reason: 'JobsIncomplete', message: error ?? 'Some Jobs are still incomplete' });
    conditions = setCondition(conditions, error
      ? { type: 'ReconciliationFailed', status: 'True', reason: 'ReconciliationFailed', message: error }
      : { type: 'ReconciliationFailed', status: 'False', reason: 'ReconciliationNotComplete', message: '' });
    conditions = setCondition(conditions, error
      ? { type: 'ReconciliationSuccessful', status: 'False', reason: 'ReconciliationNotComplete', message: '' }
      : { type: 'ReconciliationSuccessful', status: 'True', reason: 'ReconciliationSucceeded', message: '' });
    const status = { completed, jobMap, conditions };
    return writer.writeStatus(cji, status);
  }
}

function stateOf(job: V1Job | undefined): JobState {
  const done = (type: string) => job?.status?.conditions?.some((c) => c.type === type && c.status === 'True');
  return done('Complete') ? 'Complete' : done('Failed') ? 'Failed' : 'Invoked';
}

/** The Job for one listed job: the app's job pod, owned by the invocation and labelled after it. */
function jobFor(cji: ClowdJobInvocation, app: ClowdApp, env: ClowdEnvironment, jobName: string): V1Job {
  const job = app.spec.jobs!.find((j) => j.name === jobName)!;
  const appJob = `${app.metadata!.name}-${jobName}`;
  const name = `${appJob}-${randomString(7, LOWER_ALPHANUMERIC)}`;
  if (name.length > 63) throw new Error(`job name ${name} is longer than 63 characters`);
  const labels = { ...cji.metadata?.labels, clowdjob: cji.metadata!.name!, job: appJob };
  const { main, inits } = jobContainers(env, job, appJob, Boolean(env.spec.providers.web?.tls?.enabled));
  const pod = job.podSpec;
  // Unlike a CronJob's, the config volume here has no explicit defaultMode (§9.3).
  const volumes = configVolumes(app.metadata!.name!, Boolean(env.spec.providers.web?.tls?.enabled)).map((v) => (v.secret ? { ...v, secret: { secretName: v.secret.secretName } } : v));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cji.metadata!.namespace,
      labels,
      annotations: { ...LINTER_ANNOTATIONS, ...withoutKubectl(app.metadata?.annotations) },
      ownerReferences: [{ apiVersion: cji.apiVersion!, kind: cji.kind!, name: cji.metadata!.name!, uid: cji.metadata!.uid!, controller: true }],
    },
    spec: {
      ...(job.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: job.activeDeadlineSeconds } : {}),
      ...(job.parallelism !== undefined ? { parallelism: job.parallelism } : {}),
      ...(job.completions !== undefined ? { completions: job.completions } : {}),
      template: {
        metadata: { labels, annotations: { ...LINTER_ANNOTATIONS, ...cji.metadata?.annotations } },
        spec: {
          restartPolicy: job.restartPolicy ?? 'Never',
          serviceAccountName: `${app.metadata!.name}-app`,
          ...(pod.machinePool ? { tolerations: [{ key: pod.machinePool, operator: 'Equal', value: 'true', effect: 'NoSchedule' }] } : {}),
          volumes: [...(pod.volumes ?? []), ...volumes],
          containers: [main],
          ...(inits.length ? { initContainers: inits } : {}),
        },
      },
    },
  };
}
