// The local control plane is a real Kubernetes control plane: these tests prove the behaviour
// every lesson relies on — rollouts through real ReplicaSets, EndpointSlices filled by the real
// controller, namespace deletion finishing — with kwok standing in only for the kubelet.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from './cluster.ts';

const kc = testKubeConfig();
const apps = kc.makeApiClient(AppsV1Api);
const core = kc.makeApiClient(CoreV1Api);
const discovery = kc.makeApiClient(DiscoveryV1Api);
let ns: Awaited<ReturnType<typeof testNamespace>>;

beforeAll(async () => {
  ns = await testNamespace(kc, 'control-plane');
});
afterAll(async () => {
  await ns?.remove();
});

function deployment(image: string): V1Deployment {
  const labels = { app: 'web' };
  return {
    metadata: { name: 'web', labels },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'web',
            image,
            ports: [{ containerPort: 8080, name: 'http' }],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          }],
        },
      },
    },
  };
}

async function available(): Promise<number | undefined> {
  const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
  return d.status?.availableReplicas;
}

describe('local control plane', () => {
  it('has at least two Ready nodes', async () => {
    const nodes = await core.listNode();
    const ready = nodes.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.length).toBeGreaterThanOrEqual(2);
  });

  it('rolls out a 3-replica Deployment to 3/3 available', async () => {
    await apps.createNamespacedDeployment({ namespace: ns.name, body: deployment('workshop:v1') });
    await waitFor('3 available replicas', async () => ((await available()) === 3 ? true : undefined));
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(3);
    for (const pod of pods.items) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.status?.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(pod.spec?.nodeName).toMatch(/^worker-/);
    }
  });

  it('gives its Service an EndpointSlice with the 3 ready pod IPs', async () => {
    await core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } },
    });
    const service = await core.readNamespacedService({ name: 'web', namespace: ns.name });
    expect(service.spec?.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const podIPs = (await core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=web' })).items
      .map((p) => p.status!.podIP!).sort();
    const endpoints = await waitFor('3 ready endpoints', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: 'kubernetes.io/service-name=web' });
      const ready = slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready);
      return ready.length === 3 ? ready : undefined;
    });
    expect(endpoints.flatMap((e) => e.addresses).sort()).toEqual(podIPs);
  });

  it('completes a rolling update to a new image with the old ReplicaSet at 0', async () => {
    const before = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    before.spec!.template.spec!.containers[0].image = 'workshop:v2';
    await apps.replaceNamespacedDeployment({ name: 'web', namespace: ns.name, body: before });

    const sets = await waitFor('the rollout to finish', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
      const done = d.status?.observedGeneration === d.metadata?.generation &&
        d.status?.updatedReplicas === 3 && d.status?.availableReplicas === 3 && (d.status?.replicas ?? 0) === 3;
      return done ? (await apps.listNamespacedReplicaSet({ namespace: ns.name, labelSelector: 'app=web' })).items : undefined;
    });
    const byImage = Object.fromEntries(sets.map((rs) => [rs.spec!.template!.spec!.containers[0].image, rs.status?.replicas ?? 0]));
    expect(byImage).toEqual({ 'workshop:v1': 0, 'workshop:v2': 3 });
  });

  it('gives a claim that names no class the default StorageClass, standard, as kind does', async () => {
    const claim = await core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    expect(claim.spec!.storageClassName).toBe('standard');
  });

  it('finishes a namespace deletion', async () => {
    const { name, remove } = await testNamespace(kc, 'doomed');
    await core.createNamespacedConfigMap({ namespace: name, body: { metadata: { name: 'x' }, data: { a: 'b' } } });
    await remove();
    await waitFor(`namespace ${name} to be gone`, async () => {
      try {
        await core.readNamespace({ name });
        return undefined;
      } catch (error) {
        return (error as { code?: number }).code === 404 ? true : undefined;
      }
    });
  });
});
