// Out of the cluster the operator installs its own CRDs before it starts, so
// `npm run operator -- clowder` works on a fresh cluster. The four CRDs are the API of
// cloud.redhat.com/v1alpha1: ClowdEnvironment, ClowdApp, ClowdJobInvocation and ClowdAppRef.
import { ApiextensionsV1Api, KubernetesObjectApi, loadYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { apply } from '../runtime/apply.ts';
import { FIELD_MANAGER } from './api.ts';

export const CRD_FILES = ['clowdenvironment.yaml', 'clowdapp.yaml', 'clowdjobinvocation.yaml', 'clowdappref.yaml'].map(
  (file) => new URL(`./manifests/${file}`, import.meta.url),
);

export function installCrds(kubeConfig: KubeConfig): Promise<void> {
  return applyCrds(kubeConfig, CRD_FILES);
}

/** Applies the CRDs in these YAML files and waits until the API server serves each of them. */
export async function applyCrds(kubeConfig: KubeConfig, files: (string | URL)[]): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  for (const file of files) {
    // loadYaml, not a plain YAML parser: client-node serializes a CRD through its typed model,
    // which knows x-kubernetes-validations as xKubernetesValidations and drops the YAML spelling.
    const crd = loadYaml<V1CustomResourceDefinition>(await readFile(file, 'utf8'));
    // Server-side apply creates it the first time and updates it after: one idempotent call.
    await apply(objects, crd, FIELD_MANAGER);
    // A new type is usable only once the API server serves it ("Established").
    for (const deadline = Date.now() + 30_000; ; await sleep(100)) {
      const current = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
      if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata!.name} was not established within 30 s`);
    }
  }
}
