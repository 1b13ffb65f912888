// The local providers and ClowdJobInvocations with pods that really run, on the workshop's real
// node: the local database on a volume that local-path-provisioner really provisions (§14.1),
// buckets made in a real MinIO (§14.3), and a job invoked for an app that is really not ready
// (§9.3). The images are the kit's own (kind/images/). On kwok's fake nodes alone
// nothing runs, so the suite is skipped there; providers.test.ts checks the objects.
import { AppsV1Api, BatchV1Api, CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MINIO_IMAGE } from '../../kind/images/index.ts';
import { POSTGRES_IMAGE, WORKSHOP_IMAGE } from '../../kind/kind.ts';
import { NODE_NAME } from '../../kind/real-node/network.ts';
import { clusterRunsContainers, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { GROUP, VERSION, type ClowdApp, type ClowdJobInvocation } from './api.ts';
import type { AppConfig } from './client/app-config.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';
import { s3Request } from './providers/objectstore/minio.ts';
import { withPostgresImages } from './settings.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const containers = await clusterRunsContainers(kc);
const env = `real-${randomBytes(3).toString('hex')}`;
let tns: Awaited<ReturnType<typeof testNamespace>>;

/** An app pod of the workshop image: it serves nothing Clowder asks about, it only has to run. */
const workshopPod = { image: WORKSHOP_IMAGE, command: ['sh', '-c', 'exec sleep 3600'] };

describe.runIf(containers)('Clowder on the real node', () => {
  const t = clowderTest('clowder-real', {
    pods: 'real',
    setup: async () => {
      tns = await t.namespace('clowder-real-env');
      await t.createEnv(environment(env, {
        db: { mode: 'local', pvc: true },
        objectStore: { mode: 'minio', images: { minio: MINIO_IMAGE } },
      }, {
        targetNamespace: tns.name,
        // Small requests: the real node has this machine's two cores.
        resourceDefaults: { limits: { cpu: '200m', memory: '256Mi' }, requests: { cpu: '10m', memory: '32Mi' } },
      }));
    },
    operator: { settings: withPostgresImages([`15=${POSTGRES_IMAGE}`]) },
  });
  const { clowd } = t;

  async function configOf(app: string): Promise<AppConfig> {
    const stored = await core.readNamespacedSecret({ name: app, namespace: t.ns.name });
    return JSON.parse(Buffer.from(stored.data!['cdappconfig.json'], 'base64').toString()) as AppConfig;
  }

  // MinIO's readiness probe first looks 20 s after it starts; every app waits for the env.
  beforeAll(() => waitFor('the env to be ready', async () => ((await clowd.readEnv(env)).status?.ready ? true : undefined), 120_000));


  it('§14.1 runs the local database on a provisioned volume until it is ready', async () => {
    await clowd.createApp(clowdApp('stock', t.ns.name, env, [{ name: 'api', podSpec: workshopPod }], { database: { name: 'stock', version: 15 } }));
    // Clowder's readiness probe (psql … SELECT 1) first runs 45 s after the server starts.
    const db = await waitFor('the database to be ready', async () => {
      const d = await apps.readNamespacedDeployment({ name: 'stock-db', namespace: t.ns.name }).catch(() => undefined);
      return d?.status?.readyReplicas === 1 ? d : undefined;
    }, 180_000);
    expect(db.spec!.template.spec!.volumes).toEqual([{ name: 'stock-db', persistentVolumeClaim: { claimName: 'stock-db' } }]);
    const claim = await core.readNamespacedPersistentVolumeClaim({ name: 'stock-db', namespace: t.ns.name });
    expect([claim.spec!.storageClassName, claim.status!.phase]).toEqual(['standard', 'Bound']);
    // The server's data lives in the volume's directory on this machine.
    const volume = await core.readPersistentVolume({ name: claim.spec!.volumeName! });
    expect(volume.spec!.nodeAffinity!.required!.nodeSelectorTerms[0].matchExpressions![0].values).toEqual([NODE_NAME]);
    expect(existsSync(join(volume.spec!.hostPath!.path, 'userdata', 'PG_VERSION'))).toBe(true);
    const app = (await waitFor('stock to count its deployments ready', async () => {
      const a = await clowd.readApp(t.ns.name, 'stock');
      return a.status?.ready ? a : undefined;
    }, 60_000)) as ClowdApp;
    // The app owns the database's Deployment too, and counts it beside its api.
    expect(app.status!.deployments).toMatchObject({ managedDeployments: 2, readyDeployments: 2 });
    expect((await configOf('stock')).database).toMatchObject({ hostname: `stock-db.${t.ns.name}.svc`, name: 'stock', port: 5432 });
  });

  it('§14.3 creates the buckets in MinIO before the config names them', async () => {
    await clowd.createApp(clowdApp('photos', t.ns.name, env, [{ name: 'api', podSpec: workshopPod }], { objectStore: ['originals', 'thumbnails'] }));
    await waitFor('photos to reconcile', reconciled(() => clowd.readApp(t.ns.name, 'photos')));
    const config = await configOf('photos');
    expect(config.objectStore!.buckets!.map((b) => b.name)).toEqual(['originals', 'thumbnails']);
    expect(config.objectStore!.hostname).toBe(`${env}-minio.${tns.name}.svc`);

    // Ask MinIO itself, with the keys the config hands the app, for its buckets (S3 ListBuckets).
    const service = await core.readNamespacedService({ name: `${env}-minio`, namespace: tns.name });
    const keys = { endpoint: `${service.spec!.clusterIP}:9000`, accessKey: config.objectStore!.accessKey!, secretKey: config.objectStore!.secretKey! };
    const listing = await s3Request(keys, 'GET', '/');
    expect(listing.status).toBe(200);
    const names = [...(await listing.text()).matchAll(/<Name>([^<]+)<\/Name>/g)].map((m) => m[1]);
    expect(names).toEqual(['originals', 'thumbnails']);
  });

  describe('§9.3 an invocation for an app that is not ready', () => {
    const cji = (name: string, spec: ClowdJobInvocation['spec']) => custom.createNamespacedCustomObject({
      group: GROUP, version: VERSION, plural: 'clowdjobinvocations', namespace: t.ns.name,
      body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'ClowdJobInvocation', metadata: { name }, spec },
    });
    const read = (name: string) => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: 'clowdjobinvocations', namespace: t.ns.name, name }) as Promise<ClowdJobInvocation>;

    beforeAll(async () => {
      // Its one pod runs, but its readiness probe always fails: the app is never ready.
      await clowd.createApp(clowdApp('reports', t.ns.name, env, [{ name: 'api', podSpec: { ...workshopPod, readinessProbe: { exec: { command: ['false'] }, periodSeconds: 2 } } }], {
        jobs: [{ name: 'migrate', podSpec: { image: WORKSHOP_IMAGE, command: ['sh', '-c', 'echo "migrated with $(wc -c < "$ACG_CONFIG") bytes of config"'] } }],
      }));
      await waitFor('the reports pod to run, not ready', async () => {
        const { items } = await core.listNamespacedPod({ namespace: t.ns.name, labelSelector: 'pod=reports-api' });
        const pod = items.find((p) => p.status?.phase === 'Running');
        return pod && !pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? pod : undefined;
      }, 120_000);
    });

    it('waits for the app to be ready, unless runOnNotReady', async () => {
      await cji('waits', { appName: 'reports', jobs: ['migrate'] });
      const waiting = await waitFor('the waiting invocation to fail', async () => {
        const c = await read('waits');
        return condition(c as never, 'ReconciliationFailed')?.status === 'True' ? c : undefined;
      });
      expect(condition(waiting as never, 'ReconciliationFailed')!.message).toBe('The reports app must be ready for CJI to start: ');
      expect(waiting.status).toMatchObject({ completed: false, jobMap: {} });

      await cji('runs', { appName: 'reports', jobs: ['migrate'], runOnNotReady: true });
      const done = await waitFor('the invocation to complete', async () => {
        const c = await read('runs');
        return c.status?.completed ? c : undefined;
      }, 120_000);
      expect(done.status!.jobMap).toEqual({ migrate: 'Complete' });
      // The job's pod ran on the real node and read the app's config; its log says so.
      const { items: [pod] } = await core.listNamespacedPod({ namespace: t.ns.name, labelSelector: 'clowdjob=runs' });
      expect(pod.spec!.nodeName).toBe(NODE_NAME);
      expect(await core.readNamespacedPodLog({ name: pod.metadata!.name!, namespace: t.ns.name })).toMatch(/^migrated with [1-9]\d* bytes of config\n$/);
      // The first invocation still waits: nothing ran for it.
      expect((await kc.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: t.ns.name, labelSelector: 'clowdjob=waits' })).items).toEqual([]);
    });
  });
});
