// The pullsecrets provider (§8.3): images in private registries need credentials, and a pod can
// only use a pull Secret of its own namespace. The environment lists the source Secrets once;
// we copy each into the app's namespace (as `<env>-<secret>-clowder-copy`, owned by the env,
// since all apps of the env share it) and put the copies on every ServiceAccount of the app.
// The sources are tracked in hashCache, so a rotated credential rolls the pods (§7.2).
//
// Owned resources:
// - Secret `<env>-<secret>-clowder-copy` per pull secret, in the app namespace (owned by the env);
//   the env half writes the same copies in <tns>
// It also fills `imagePullSecrets` of the ServiceAccounts the serviceaccount provider built.
import type { V1Secret, V1ServiceAccount } from '@kubernetes/client-node';
import { envLabels, ownedBy } from '../../ownership.ts';
import { ProviderError, type AppBuild, type EnvBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const namespace = build.app.metadata!.namespace!;
  const copies = pullSecretCopies(build, namespace);
  build.objects.push(...copies);
  const names = copies.map((c) => ({ name: c.metadata!.name! }));
  for (const account of build.objects.filter((o): o is V1ServiceAccount => o.kind === 'ServiceAccount')) {
    account.imagePullSecrets = withOpenShiftEntries(build, account, names);
  }
}

/**
 * The env half: copies in <tns>, listed on the env's ServiceAccount. hashCache is per app, so the
 * sources are tracked by the app halves only.
 */
export function envProvide(build: EnvBuild): void {
  const copies = pullSecretCopies({ ...build, appTracked: [] }, build.targetNamespace);
  build.objects.push(...copies);
  for (const account of build.objects.filter((o): o is V1ServiceAccount => o.kind === 'ServiceAccount')) {
    account.imagePullSecrets = copies.map((c) => ({ name: c.metadata!.name! }));
  }
}

/** The copies of the env's pull secrets for one namespace, tracking their sources in the app half. */
export function pullSecretCopies(build: Pick<AppBuild, 'env' | 'lookup' | 'appTracked'>, namespace: string): V1Secret[] {
  const env = build.env;
  return (env.spec.providers.pullSecrets ?? []).map(({ name, namespace: sourceNamespace }) => {
    const source = build.lookup.secret(sourceNamespace, name);
    if (!source) throw new ProviderError(`secrets "${name}" not found`);
    build.appTracked.push({ kind: 'Secret', name, namespace: sourceNamespace, data: source.data });
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${env.metadata!.name}-${name}-clowder-copy`, namespace, labels: envLabels(env), ownerReferences: ownedBy(env) },
      type: source.type,
      data: source.data,
    };
  });
}

/**
 * OpenShift adds a `<sa>-dockercfg-…` entry of its own to every ServiceAccount. The list is
 * replaced as a whole when written, so we keep those entries, in front, and replace the rest.
 */
function withOpenShiftEntries(build: AppBuild, account: V1ServiceAccount, names: { name: string }[]) {
  const live = build.lookup.serviceAccount(account.metadata!.namespace!, account.metadata!.name!);
  const openshift = (live?.imagePullSecrets ?? []).filter((s) => s.name?.startsWith(`${account.metadata!.name}-dockercfg`));
  return [...openshift, ...names];
}
