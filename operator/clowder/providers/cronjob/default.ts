// The cronjob provider (§9.1, §9.2): a scheduled job becomes a CronJob whose pods look like the
// app's deployment pods (same config mount, ACG_CONFIG, resources rules, pull policy), so a job
// reads the same config as the service it belongs to. A job without a schedule creates nothing:
// it waits to be run by a ClowdJobInvocation. A disabled job creates nothing, and its old
// CronJob is pruned.
//
// Owned resources:
// - CronJob `<app>-<job>` per scheduled, enabled job (owned by the app).
import type { V1Container, V1CronJob } from '@kubernetes/client-node';
import type { ClowdEnvironment, JobSpec } from '../../api.ts';
import { appLabels, ownedBy } from '../../ownership.ts';
import { tlsConfigured, webPorts } from '../../web-settings.ts';
import { ACG_CONFIG, configMounts, configVolumes, initContainers, pullPolicy, resources, spreadOut, withoutKubectl } from '../pod-template.ts';
import type { AppBuild } from '../provider.ts';

export const LINTER_ANNOTATIONS = {
  'ignore-check.kube-linter.io/no-liveness-probe': 'probes not required on Job pods',
  'ignore-check.kube-linter.io/no-readiness-probe': 'probes not required on Job pods',
};

export function provide(build: AppBuild): void {
  for (const job of build.app.spec.jobs ?? []) {
    if (!job.schedule || job.disabled) continue;
    build.cronJobs.set(job.name, cronJob(build, job));
  }
}

function cronJob(build: AppBuild, job: JobSpec): V1CronJob {
  const { app, env } = build;
  const name = `${app.metadata!.name}-${job.name}`;
  const labels = { ...appLabels(app), pod: name };
  const pod = job.podSpec;
  const tls = tlsConfigured(webPorts(env.spec.providers.web));
  const { main, inits } = jobContainers(env, job, name, tls);
  const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: app.metadata!.namespace, labels, ownerReferences: ownedBy(app), annotations: { ...LINTER_ANNOTATIONS, ...withoutKubectl(app.metadata?.annotations) } },
    spec: {
      schedule: job.schedule!,
      concurrencyPolicy: job.concurrencyPolicy ?? 'Allow',
      ...optional('suspend', job.suspend),
      ...optional('successfulJobsHistoryLimit', job.successfulJobsHistoryLimit),
      ...optional('failedJobsHistoryLimit', job.failedJobsHistoryLimit),
      ...optional('startingDeadlineSeconds', job.startingDeadlineSeconds),
      jobTemplate: {
        metadata: { labels },
        spec: {
          ...optional('activeDeadlineSeconds', job.activeDeadlineSeconds),
          ...optional('parallelism', job.parallelism),
          ...optional('completions', job.completions),
          template: {
            metadata: { labels, annotations: { ...LINTER_ANNOTATIONS } },
            spec: {
              restartPolicy: job.restartPolicy ?? 'Never',
              serviceAccountName: `${app.metadata!.name}-app`,
              terminationGracePeriodSeconds: 30,
              securityContext: {},
              schedulerName: 'default-scheduler',
              dnsPolicy: 'ClusterFirst',
              ...(pod.machinePool ? { tolerations: [{ key: pod.machinePool, operator: 'Equal', value: 'true', effect: 'NoSchedule' }] } : {}),
              affinity: spreadOut(labels),
              volumes: [...(pod.volumes ?? []), ...configVolumes(app.metadata!.name!, tls)],
              containers: [main],
              ...(inits.length ? { initContainers: inits } : {}),
            },
          },
        },
      },
    },
  };
}

/**
 * A job's containers, shared by CronJobs and ClowdJobInvocation Jobs: the podSpec's container
 * with ACG_CONFIG last, the config mounted, resources per §4.4, a metrics port, probes only
 * when given (verbatim: a job that ends is not a service to health-check), then init containers
 * as for Deployments.
 */
export function jobContainers(env: ClowdEnvironment, job: JobSpec, name: string, tls: boolean): { main: V1Container; inits: V1Container[] } {
  const pod = job.podSpec;
  const image = pod.image ?? '';
  const main: V1Container = {
    name,
    image,
    ...(pod.command ? { command: pod.command } : {}),
    ...(pod.args ? { args: pod.args } : {}),
    env: [...(pod.env ?? []), ACG_CONFIG],
    resources: resources(pod.resources, env.spec.resourceDefaults),
    volumeMounts: [...(pod.volumeMounts ?? []), ...configMounts(tls)],
    ports: [{ name: 'metrics', containerPort: env.spec.providers.metrics?.port ?? 0, protocol: 'TCP' }],
    ...(pod.livenessProbe ? { livenessProbe: pod.livenessProbe } : {}),
    ...(pod.readinessProbe ? { readinessProbe: pod.readinessProbe } : {}),
    imagePullPolicy: pullPolicy(image, env),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
  return { main, inits: initContainers(name, pod, main) };
}
