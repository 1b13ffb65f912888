// The serviceaccount provider (§8.1): every pod runs under an identity of its own app, so RBAC
// and pull secrets can be given per deployment.
//
// Owned resources:
// - ServiceAccount `<app>-<dep>` per deployment (owned by the app), used by that Deployment;
// - ServiceAccount `<app>-app` (owned by the app), used by jobs and local db/redis pods;
// - ServiceAccount `iqe-<env>` (owned by the env, env labels), for IQE test jobs (out of scope,
//   created because Clowder does and tools may expect it);
// - ServiceAccount `<env>-env` in <tns> (env half: owned by the env, env labels), which env-level
//   pods (MinIO) run as;
// - RoleBinding `<app>-<dep>` (owned by the app) for a deployment whose k8sAccessLevel is `view`
//   or `edit`: its pods may then read (or change) objects of their own namespace through the API.
import type { V1RoleBinding, V1ServiceAccount } from '@kubernetes/client-node';
import { appLabels, envLabels, ownedBy } from '../../ownership.ts';
import type { AppBuild, EnvBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const { app, env } = build;
  const namespace = app.metadata!.namespace!;
  const account = (name: string, labels: Record<string, string>, owner: typeof app | typeof env): V1ServiceAccount => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace, labels, ownerReferences: ownedBy(owner) },
  });
  for (const spec of app.spec.deployments ?? []) build.objects.push(account(`${app.metadata!.name}-${spec.name}`, appLabels(app), app));
  build.objects.push(account(`${app.metadata!.name}-app`, appLabels(app), app));
  for (const spec of app.spec.deployments ?? []) {
    const level = spec.k8sAccessLevel;
    if (level !== 'view' && level !== 'edit') continue; // default: no binding (an old one is pruned)
    const name = `${app.metadata!.name}-${spec.name}`;
    const binding: V1RoleBinding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace, labels: appLabels(app), ownerReferences: ownedBy(app) },
      subjects: [{ kind: 'ServiceAccount', name, namespace }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: level },
    };
    build.objects.push(binding);
  }
  build.objects.push(account(`iqe-${env.metadata!.name}`, envLabels(env), env));
}

export function envProvide(build: EnvBuild): void {
  const { env } = build;
  build.objects.push({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: `${env.metadata!.name}-env`, namespace: build.targetNamespace, labels: envLabels(env), ownerReferences: ownedBy(env) },
  } satisfies V1ServiceAccount);
}
