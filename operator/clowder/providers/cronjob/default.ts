// The cronjob provider (§9.1, §9.2): a scheduled job becomes a CronJob whose pods look like the
// app's deployment pods (same config mount, ACG_CONFIG, resources rules, pull policy), so a job
// reads the same config as the service it belongs to. A job without a schedule creates nothing:
// it waits to be run by a ClowdJobInvocation. A disabled job creates nothing, and its old
// CronJob is pruned.
//
// Owned resources:
// - CronJob `<app>-<job>` per scheduled, enabled job (owned by the app).
import type { V1Container, V1CronJob } from '@kubernetes/client-node';
import type { PodSpec } from '../../api.ts';
import { appLabels, ownedBy } from '../../ownership.ts';
import { tlsConfigured, webPorts } from '../../web-settings.ts';
import { ACG_CONFIG, configMounts, configVolumes, initContainers, pullPolicy, resources, spreadOut, withoutKubectl } from '../deployment/default.ts';
import type { AppBuild } from '../provider.ts';

const LINTER = {
  'ignore-check.kube-linter.io/no-liveness-probe': 'probes not required on Job pods',
  'ignore-check.kube-linter.io/no-readiness-probe': 'probes not required on Job pods',
};

interface JobSpec {
  name: string;
  schedule?: string;
  disabled?: boolean;
  concurrencyPolicy?: string;
  suspend?: boolean;
  successfulJobsHistoryLimit?: number;
  failedJobsHistoryLimit?: number;
  startingDeadlineSeconds?: number;
  activeDeadlineSeconds?: number;
  parallelism?: number;
  completions?: number;
  restartPolicy?: string;
  podSpec: PodSpec;
}

export function provide(build: AppBuild): void {
  for (const job of (build.app.spec.jobs ?? []) as JobSpec[]) {
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
    // Probes only when given, verbatim: a job that ends is not a service to health-check.
    ...(pod.livenessProbe ? { livenessProbe: pod.livenessProbe } : {}),
    ...(pod.readinessProbe ? { readinessProbe: pod.readinessProbe } : {}),
    imagePullPolicy: pullPolicy(image, env),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
  const inits = initContainers(name, pod, main);
  const optional = <T>(key: string, value: T | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: app.metadata!.namespace, labels, ownerReferences: ownedBy(app), annotations: { ...LINTER, ...withoutKubectl(app.metadata?.annotations) } },
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
            metadata: { labels, annotations: { ...LINTER } },
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
