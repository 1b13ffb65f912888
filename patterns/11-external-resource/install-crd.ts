// Installs (or updates) the PostgresDatabase CRD and waits until the API server serves it. The
// lesson applies manifests/crd.yaml with kubectl; the operator's CLI and the tests call this, so
// they also work on a cluster where nobody ran that step.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { load } from 'js-yaml';
import { apply } from '../../operator/runtime/apply.ts';
import type { KubeClient } from '../../operator/runtime/kube-client.ts';
import { waitFor } from '../wait-for.ts';
import { COMPONENT } from './postgres-database.ts';

export const CRD_FILE = new URL('./manifests/crd.yaml', import.meta.url);

export async function installCrd(client: KubeClient): Promise<void> {
  const crd = load(await readFile(CRD_FILE, 'utf8')) as V1CustomResourceDefinition;
  await apply(client, crd, COMPONENT);
  await waitFor(async () => {
    const current = await client.read<V1CustomResourceDefinition>('apiextensions.k8s.io/v1', 'CustomResourceDefinition', crd.metadata!.name!);
    return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  }, () => new Error(`CRD ${crd.metadata!.name} was not established within 30 s`), 30_000);
}
