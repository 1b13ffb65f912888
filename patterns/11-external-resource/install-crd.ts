// Installs (or updates) the PostgresDatabase CRD and waits until the API server serves it. The
// lesson applies manifests/crd.yaml with kubectl; the operator's CLI and the tests call this, so
// they also work on a cluster where nobody ran that step.
import { ApiextensionsV1Api, KubernetesObjectApi, loadYaml, type KubeConfig, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { apply } from '../../operator/runtime/apply.ts';
import { waitFor } from '../wait-for.ts';
import { COMPONENT } from './postgres-database.ts';

export const CRD_FILE = new URL('./manifests/crd.yaml', import.meta.url);

export async function installCrd(kubeConfig: KubeConfig): Promise<void> {
  // loadYaml knows the typed model's spelling of x-kubernetes-validations; a plain parse would lose them.
  const crd = loadYaml<V1CustomResourceDefinition>(await readFile(CRD_FILE, 'utf8'));
  await apply(KubernetesObjectApi.makeApiClient(kubeConfig), crd, COMPONENT);
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  await waitFor(async () => {
    const current = await extensions.readCustomResourceDefinition({ name: crd.metadata!.name! });
    return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  }, () => new Error(`CRD ${crd.metadata!.name} was not established within 30 s`), 30_000);
}
