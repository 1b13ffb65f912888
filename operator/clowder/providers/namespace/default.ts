// The namespace provider (§8.4): NetworkPolicies select namespaces by label, and the label every
// namespace can be selected by is `kubernetes.io/metadata.name`. Kubernetes (1.21 and later)
// sets it on every namespace itself, so on a current cluster this provider finds it in place and
// writes nothing; it only adds the label where an older cluster left it out. The app half labels
// the app's namespace; the env half the target namespace and the operator's own (§8.4).
//
// Owned resources: none (the namespace is not ours; we only add a label to it).
import type { V1Namespace } from '@kubernetes/client-node';
import type { AppBuild, EnvBuild, Lookup } from '../provider.ts';

export const NAME_LABEL = 'kubernetes.io/metadata.name';

export function provide(build: AppBuild): void {
  build.objects.push(...nameLabels(build.lookup, [build.app.metadata!.namespace!]));
}

export function envProvide(build: EnvBuild): void {
  build.objects.push(...nameLabels(build.lookup, [build.targetNamespace, build.settings.operatorNamespace]));
}

/**
 * What we apply to each existing namespace that lacks the label: its identity and the one label,
 * nothing else of it.
 */
function nameLabels(lookup: Lookup, names: string[]): V1Namespace[] {
  return names
    .filter((name) => {
      const found = lookup.namespace(name);
      return found && !found.metadata?.labels?.[NAME_LABEL];
    })
    .map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { [NAME_LABEL]: name } } }));
}
