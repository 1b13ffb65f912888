// The namespace provider (§8.4): NetworkPolicies select namespaces by label, and the label every
// namespace can be selected by is `kubernetes.io/metadata.name`. Kubernetes (1.21 and later)
// sets it on every namespace itself, so on a current cluster this provider finds it in place and
// writes nothing; it only adds the label where an older cluster left it out.
//
// Owned resources: none (the namespace is not ours; we only add a label to it).
import type { V1Namespace } from '@kubernetes/client-node';
import type { AppBuild } from '../provider.ts';

export const NAME_LABEL = 'kubernetes.io/metadata.name';

export function provide(build: AppBuild): void {
  const namespace = build.lookup.namespace(build.app.metadata!.namespace!);
  if (namespace && !namespace.metadata?.labels?.[NAME_LABEL]) build.objects.push(nameLabel(namespace.metadata!.name!));
}

/** What we apply: the namespace's identity and the one label, nothing else of it. */
export function nameLabel(name: string): V1Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [NAME_LABEL]: name } } };
}
