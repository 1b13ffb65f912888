// Out of cluster, the operator installs its own CRD before it starts, so `npm run operator`
// works on a fresh cluster. In a cluster, an administrator applies manifests/crd.yaml and the
// operator's ServiceAccount gets no rights on CRDs at all: it does not need them to run.
import { ApiextensionsV1Api, KubernetesObjectApi, loadYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { apply } from '../runtime/apply.ts';
import { COMPONENT } from './config-watcher.ts';

export const CRD_FILE = new URL('./manifests/crd.yaml', import.meta.url);

export async function installCrd(kubeConfig: KubeConfig): Promise<void> {
  // loadYaml, not a plain YAML parser: client-node serializes a CRD through its typed model, which
  // knows x-kubernetes-validations as xKubernetesValidations and silently drops the YAML spelling.
  const crd = loadYaml<V1CustomResourceDefinition>(await readFile(CRD_FILE, 'utf8'));
  // Server-side apply creates it the first time and updates it after: one idempotent call.
  await apply(KubernetesObjectApi.makeApiClient(kubeConfig), crd, COMPONENT);
  // The new type is usable only once the API server serves it ("Established").
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const current = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
    if (current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata!.name} was not established within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
