// Out of the cluster the operator installs its own CRDs before it starts, so
// `npm run operator -- clowder` works on a fresh cluster. The four CRDs are the API of
// cloud.redhat.com/v1alpha1: ClowdEnvironment, ClowdApp, ClowdJobInvocation and ClowdAppRef.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { load } from 'js-yaml';
import { apply } from '../runtime/apply.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { FIELD_MANAGER } from './api.ts';

export const CRD_FILES = ['clowdenvironment.yaml', 'clowdapp.yaml', 'clowdjobinvocation.yaml', 'clowdappref.yaml'].map(
  (file) => new URL(`./manifests/${file}`, import.meta.url),
);

export function installCrds(client: KubeClient): Promise<void> {
  return applyCrds(client, CRD_FILES);
}

/** Applies the CRDs in these YAML files and waits until the API server serves each of them. */
export async function applyCrds(client: KubeClient, files: (string | URL)[]): Promise<void> {
  for (const file of files) {
    const crd = load(await readFile(file, 'utf8')) as V1CustomResourceDefinition;
    // Server-side apply creates it the first time and updates it after: one idempotent call.
    await apply(client, crd, FIELD_MANAGER);
    // A new type is usable only once the API server serves it ("Established").
    for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
      const current = await client.read<V1CustomResourceDefinition>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata!.name!);
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata!.name} was not established within 30 s`);
    }
  }
}
