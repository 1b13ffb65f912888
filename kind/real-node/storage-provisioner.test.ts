// The real node's StorageClass `standard`, provisioned for real (./storage-provisioner.ts): a claim
// binds once its first pod is scheduled, that pod writes a file, a second pod reads it back, and
// deleting the claim removes the directory from this machine. On kwok's fake nodes alone nothing
// provisions, so the suite is skipped there.
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterRunsContainers, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { WORKSHOP_IMAGE } from '../kind.ts';
import { NODE_NAME } from './network.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const containers = await clusterRunsContainers(kc);
let ns: Awaited<ReturnType<typeof testNamespace>>;

/** A pod that passes the restricted Pod Security Standard and runs one shell command on the claim. */
function podOnClaim(name: string, script: string): V1Pod {
  return {
    metadata: { name },
    spec: {
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'shell',
        image: WORKSHOP_IMAGE,
        command: ['sh', '-c', script],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      }],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
    },
  };
}

/** Waits until the pod has run to completion, and returns it. */
function succeeded(name: string): Promise<V1Pod> {
  return waitFor(`pod ${name} to succeed`, async () => {
    const pod = await core.readNamespacedPod({ name, namespace: ns.name });
    if (pod.status?.phase === 'Failed') throw new Error(`pod ${name} failed: ${await log(name)}`);
    return pod.status?.phase === 'Succeeded' ? pod : undefined;
  }, 120_000);
}
const log = (name: string) => core.readNamespacedPodLog({ name, namespace: ns.name });

describe.runIf(containers)('StorageClass standard on the real node', () => {
  beforeAll(async () => {
    ns = await testNamespace(kc, 'storage', { pods: 'real' });
  });
  afterAll(async () => {
    await ns?.remove();
  });

  it('binds a claim of the default class, keeps what one pod writes for the next, and removes it with the claim', async () => {
    // No class named: the API server gives it the default, standard.
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } } },
    });
    // WaitForFirstConsumer: nothing is provisioned before a pod needs the claim.
    expect((await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name })).status?.phase).toBe('Pending');

    await core.createNamespacedPod({ namespace: ns.name, body: podOnClaim('writer', 'echo "written by $HOSTNAME" > /data/note') });
    const writer = await succeeded('writer');
    expect(writer.spec!.nodeName).toBe(NODE_NAME);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name });
    expect([claim.spec!.storageClassName, claim.status!.phase]).toEqual(['standard', 'Bound']);

    // The volume is a directory on this machine, which the node's kubelet mounted into the pod.
    const volume = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    expect(volume.metadata!.annotations!['pv.kubernetes.io/provisioned-by']).toBe('rancher.io/local-path');
    const dir = volume.spec!.hostPath!.path;
    expect(await readFile(join(dir, 'note'), 'utf8')).toBe('written by writer\n');

    await core.createNamespacedPod({ namespace: ns.name, body: podOnClaim('reader', 'cat /data/note') });
    await succeeded('reader');
    expect(await log('reader')).toBe('written by writer\n');

    // reclaimPolicy Delete: the provisioner's teardown helper removes the directory.
    for (const name of ['writer', 'reader']) await core.deleteNamespacedPod({ name, namespace: ns.name, gracePeriodSeconds: 0 });
    await core.deleteNamespacedPersistentVolumeClaim({ name: 'data', namespace: ns.name });
    await waitFor(`${dir} to be removed`, async () => (existsSync(dir) ? undefined : true), 120_000);
  });
});
