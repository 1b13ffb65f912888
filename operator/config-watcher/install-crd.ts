// Out of cluster, the operator installs its own CRD before it starts, so `npm run operator`
// works on a fresh cluster. In a cluster, an administrator applies manifests/crd.yaml and the
// operator's ServiceAccount gets no rights on CRDs at all: it does not need them to run.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { load } from 'js-yaml';
import { apply } from '../runtime/apply.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { COMPONENT } from './config-watcher.ts';

export const CRD_FILE = new URL('./manifests/crd.yaml', import.meta.url);

export async function installCrd(client: KubeClient): Promise<void> {
  // A plain YAML parser will do: the client sends the CRD as the JSON it parses to, so
  // x-kubernetes-validations reaches the server spelled as in the file.
  const crd = load(await readFile(CRD_FILE, 'utf8')) as V1CustomResourceDefinition;
  // Server-side apply creates it the first time and updates it after: one idempotent call.
  await apply(client, crd, COMPONENT);
  // The new type is usable only once the API server serves it ("Established").
  for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
    const current = await client.read<V1CustomResourceDefinition>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata!.name!);
    if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata!.name} was not established within 30 s`);
  }
}
