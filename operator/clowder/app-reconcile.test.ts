// The objects one ClowdApp turns into, on the real local control plane, section by section of
// SPEC.md: the Deployment (§4), the Service (§5), the config Secret (§6) and the
// ServiceAccounts (§8.1). One operator, one environment and one namespace serve every case; each
// case is its own ClowdApp.
import { AppsV1Api, CoreV1Api, type V1Deployment, type V1Service } from '@kubernetes/client-node';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testKubeConfig, waitFor } from '../../test/cluster.ts';
import type { ClowdApp, ClowdAppSpec, DeploymentSpec } from './api.ts';
import { canonicalJson } from './config/canonical-json.ts';
import { validateAppConfig } from './config/schema.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const envName = `objects-${randomBytes(3).toString('hex')}`;

const t = clowderTest('clowder-objects', {
  setup: async () => {
    await t.createEnv(environment(envName));
  },
});
const { clowd } = t;

/** Creates the app and returns it with its objects once it reconciled. */
async function deploy(name: string, deployments: Partial<DeploymentSpec>[], spec: Partial<ClowdAppSpec> = {}, labels?: Record<string, string>, annotations?: Record<string, string>) {
  const app = clowdApp(name, t.ns.name, envName, deployments, spec);
  app.metadata = { ...app.metadata, labels, annotations };
  await clowd.createApp(app);
  const live = (await waitFor(`${name} to reconcile`, reconciled(() => clowd.readApp(t.ns.name, name)))) as ClowdApp;
  const names = (app.spec.deployments ?? []).map((d) => `${name}-${d.name}`);
  const read = {
    deployments: await Promise.all(names.map((n) => apps.readNamespacedDeployment({ name: n, namespace: t.ns.name }))),
    services: await Promise.all(names.map((n) => core.readNamespacedService({ name: n, namespace: t.ns.name }))),
    secret: await core.readNamespacedSecret({ name, namespace: t.ns.name }),
  };
  return { app: live, ...read };
}

const envOf = (d: V1Deployment, container = 0) => d.spec!.template.spec!.containers[container].env!.map((e) => e.name);
const main = (d: V1Deployment) => d.spec!.template.spec!.containers[0];
const ports = (s: V1Service) => s.spec!.ports!.map((p) => [p.name, p.port, p.targetPort, p.appProtocol]);

describe('§4 the Deployment', () => {
  it('§4.1 name, labels, selector, owner, annotations, service account, volumes, tolerations, affinity', async () => {
    const { app, deployments: [d] } = await deploy(
      's41',
      [{ name: 'api', metadata: { annotations: { b: 'dep', shared: 'dep' } }, podSpec: { image: 'img:1', machinePool: 'gpu', metadata: { annotations: { c: 'pod' } }, volumes: [{ name: 'v', emptyDir: {} }], volumeMounts: [{ name: 'v', mountPath: '/v' }] } }],
      {},
      { team: 'blue' },
      { a: 'app', shared: 'app' },
    );
    const labels = { app: 's41', team: 'blue', pod: 's41-api' };
    expect(d.metadata!.labels).toEqual(labels);
    expect(d.spec!.selector.matchLabels).toEqual(labels);
    expect(d.spec!.template.metadata!.labels).toEqual(labels);
    expect(d.metadata!.ownerReferences).toEqual([{ apiVersion: 'cloud.redhat.com/v1alpha1', kind: 'ClowdApp', name: 's41', uid: app.metadata!.uid, controller: true }]);
    expect(d.metadata!.annotations).toMatchObject({ a: 'app', b: 'dep', shared: 'dep' });
    expect(Object.keys(d.spec!.template.metadata!.annotations!).sort()).toEqual(['c', 'configHash']);
    expect(d.spec!.progressDeadlineSeconds).toBe(600);
    const pod = d.spec!.template.spec!;
    expect(pod.serviceAccountName).toBe('s41-api');
    expect(pod.volumes!.map((v) => v.name)).toEqual(['v', 'config-secret']);
    expect(pod.volumes![1].secret).toEqual({ secretName: 's41', defaultMode: 420 });
    expect(main(d).volumeMounts).toEqual([{ name: 'v', mountPath: '/v' }, { name: 'config-secret', mountPath: '/cdapp/' }]);
    expect(main(d).name).toBe('s41-api');
    expect(pod.tolerations).toEqual([{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    expect(pod.affinity!.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution!.map((t) => [t.weight, t.podAffinityTerm.topologyKey])).toEqual([
      [100, 'failure-domain.beta.kubernetes.io/zone'],
      [99, 'kubernetes.io/hostname'],
    ]);
    expect([main(d).terminationMessagePath, main(d).terminationMessagePolicy, main(d).imagePullPolicy]).toEqual(['/dev/termination-log', 'File', 'IfNotPresent']);
  });

  it('§4.2 env order: ACG_CONFIG last in the main container, first in init containers unless they inherit', async () => {
    const { deployments: [d] } = await deploy('s42', [{
      name: 'api',
      podSpec: {
        image: 'main:1',
        env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }, { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
        initContainers: [
          { name: 'migrate', env: [{ name: 'A', value: 'x' }, { name: 'C', value: '3' }] },
          { name: 'warm', image: 'warm:1', inheritEnv: true, env: [{ name: 'A', value: 'x' }, { name: 'C', value: '3' }] },
        ],
      },
    }]);
    expect(envOf(d)).toEqual(['A', 'B', 'POD', 'ACG_CONFIG']);
    expect(main(d).env!.at(-1)).toEqual({ name: 'ACG_CONFIG', value: '/cdapp/cdappconfig.json' });
    expect(main(d).env![2].valueFrom!.fieldRef!.apiVersion).toBe('v1');
    const [migrate, warm] = d.spec!.template.spec!.initContainers!;
    expect([migrate.name, migrate.image, warm.name, warm.image]).toEqual(['migrate-init', 'main:1', 'warm-init', 'warm:1']);
    expect(migrate.env!.map((e) => `${e.name}=${e.value ?? ''}`)).toEqual(['ACG_CONFIG=/cdapp/cdappconfig.json', 'A=x', 'C=3']);
    expect(warm.env!.map((e) => e.name)).toEqual(['A', 'C', 'B', 'POD', 'ACG_CONFIG']);
    expect(migrate.volumeMounts).toEqual(main(d).volumeMounts);
    expect(migrate.resources).toEqual(main(d).resources);
  });

  it.each([
    ['a given probe gets its missing thresholds', { podSpec: { livenessProbe: { tcpSocket: { port: 1234 } } } }, { tcpSocket: { port: 1234 }, successThreshold: 1, timeoutSeconds: 1, periodSeconds: 10, failureThreshold: 3 }, undefined],
    ['public web without probes gets /healthz', { web: true }, { httpGet: { path: '/healthz', port: 8000, scheme: 'HTTP' }, initialDelaySeconds: 10, periodSeconds: 30, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }, 45],
    ['private-only web gets no probes', { webServices: { private: { enabled: true } } }, undefined, undefined],
  ] as const)('§4.3 probes: %s', async (_name, dep, liveness, readinessDelay) => {
    const { deployments: [d] } = await deploy(`s43-${randomBytes(2).toString('hex')}`, [{ name: 'a', ...(dep as Partial<DeploymentSpec>) }]);
    expect(main(d).livenessProbe).toEqual(liveness);
    expect(main(d).readinessProbe?.initialDelaySeconds).toBe(readinessDelay);
  });

  it.each([
    ['nothing given: the env defaults, memory canonicalized', {}, { limits: { cpu: '400m', memory: '1Gi' }, requests: { cpu: '30m', memory: '512Mi' } }],
    ['one key given: the other three from the env', { requests: { cpu: '50m' } }, { limits: { cpu: '400m', memory: '1Gi' }, requests: { cpu: '50m', memory: '512Mi' } }],
    ['all given: exactly those', { limits: { cpu: '200m', memory: '512Mi' }, requests: { cpu: '50m', memory: '256Mi' } }, { limits: { cpu: '200m', memory: '512Mi' }, requests: { cpu: '50m', memory: '256Mi' } }],
  ])('§4.4 resources: %s', async (_name, resources, expected) => {
    const { deployments: [d] } = await deploy(`s44-${randomBytes(2).toString('hex')}`, [{ name: 'a', podSpec: { resources } }]);
    expect(main(d).resources).toEqual(expected);
  });

  it('§4.5 replicas: replicas, else minReplicas, else 1; 0 stays 0', async () => {
    const { deployments } = await deploy('s45', [{ name: 'r', replicas: 3 }, { name: 'm', minReplicas: 2 }, { name: 'd' }, { name: 'z', replicas: 0 }]);
    expect(deployments.map((d) => d.spec!.replicas)).toEqual([3, 2, 1, 0]);
  });

  it('§4.6 strategy: rolling 25%/25% by default and with public web; Recreate for private Recreate and for PVC volumes', async () => {
    const { deployments } = await deploy('s46', [
      { name: 'pub', web: true },
      { name: 'priv', deploymentStrategy: { privateStrategy: 'Recreate' } },
      { name: 'pvc', web: true, podSpec: { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] } },
      { name: 'none' },
    ]);
    const rolling = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
    expect(deployments.map((d) => d.spec!.strategy)).toEqual([rolling, { type: 'Recreate' }, { type: 'Recreate' }, rolling]);
  });

  it('§4.8 pull policy: Always only for a latest tag under omitPullPolicy', async () => {
    // The env here does not set omitPullPolicy, so even :latest is IfNotPresent.
    const { deployments: [d] } = await deploy('s48', [{ name: 'a', podSpec: { image: 'repo:latest' } }]);
    expect(main(d).imagePullPolicy).toBe('IfNotPresent');
  });

  it('§4.9 configHash is the SHA-256 of the stored cdappconfig.json', async () => {
    const { deployments: [d], secret } = await deploy('s49', [{ name: 'a' }]);
    const bytes = Buffer.from(secret.data!['cdappconfig.json'], 'base64');
    expect(d.spec!.template.metadata!.annotations!.configHash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('§5 the Service', () => {
  it.each([
    ['public and private', { webServices: { public: { enabled: true }, private: { enabled: true } } }, [['public', 8000, 8000, 'http'], ['private', 10000, 10000, 'http'], ['metrics', 9000, 9000, 'http']], ['web', 'private', 'metrics']],
    ['nothing enabled', {}, [['metrics', 9000, 9000, 'http']], ['metrics']],
    ['deprecated web: true', { web: true }, [['public', 8000, 8000, 'http'], ['metrics', 9000, 9000, 'http']], ['web', 'metrics']],
  ])('§5.1 ports and container ports, in order: %s', async (_name, dep, servicePorts, containerPorts) => {
    const { services: [s], deployments: [d] } = await deploy(`s51-${randomBytes(2).toString('hex')}`, [{ name: 'a', ...dep }]);
    expect(ports(s)).toEqual(servicePorts);
    expect(s.spec!.ports!.every((p) => p.protocol === 'TCP')).toBe(true);
    expect(main(d).ports!.map((p) => p.name)).toEqual(containerPorts);
    expect(s.spec!.selector).toEqual({ pod: s.metadata!.name });
    expect(s.spec!.type).toBe('ClusterIP');
  });

  it('§5.1 sessionAffinity ClientIP for public web with sessionAffinity', async () => {
    const { services: [s] } = await deploy('s51-aff', [{ name: 'a', webServices: { public: { enabled: true, sessionAffinity: true } } }]);
    expect(s.spec!.sessionAffinity).toBe('ClientIP');
  });
});

describe('§6 the config Secret', () => {
  it('is an Opaque Secret <app> with one canonical, schema-valid cdappconfig.json', async () => {
    const { secret, app } = await deploy('s6', [{ name: 'api', web: true }, { name: 'worker' }]);
    expect(secret.type).toBe('Opaque');
    expect(secret.metadata!.labels).toEqual({ app: 's6' });
    expect(secret.metadata!.ownerReferences![0]).toMatchObject({ kind: 'ClowdApp', name: 's6', uid: app.metadata!.uid, controller: true });
    expect(Object.keys(secret.data!)).toEqual(['cdappconfig.json']);
    const bytes = Buffer.from(secret.data!['cdappconfig.json'], 'base64').toString('utf8');
    const config = JSON.parse(bytes);
    expect(bytes).toBe(canonicalJson(config));
    expect(validateAppConfig(config)).toEqual([]);
    expect(config.metadata).toEqual({ name: 's6', envName, deployments: [{ name: 'api', image: 'quay.io/example/app:1' }, { name: 'worker', image: 'quay.io/example/app:1' }] });
    expect(config.endpoints).toEqual([{ apiPath: '/api/s6-api/', apiPaths: ['/api/s6-api/'], app: 's6', h2cPort: 0, h2cTLSPort: 0, hostname: `s6-api.${t.ns.name}.svc`, name: 'api', port: 8000, tlsPort: 0 }]);
  });

  it('§6.4 dependencies resolve across the env; a missing one fails the pass and writes nothing', async () => {
    const { secret } = await deploy('s64', [{ name: 'a' }], { dependencies: ['s6'] });
    const config = JSON.parse(Buffer.from(secret.data!['cdappconfig.json'], 'base64').toString());
    expect(config.endpoints.map((e: { app: string; name: string }) => `${e.app}/${e.name}`)).toEqual(['s6/api']);
    expect(Object.keys(config.dependencyEndpoints.v2)).toEqual(['s6']);

    await clowd.createApp(clowdApp('s64-missing', t.ns.name, envName, [{ name: 'a' }], { dependencies: ['nope'] }));
    const failed = await waitFor('ReconciliationFailed', async () => {
      const app = await clowd.readApp(t.ns.name, 's64-missing');
      return condition(app, 'ReconciliationFailed')?.status === 'True' ? app : undefined;
    });
    expect(condition(failed, 'ReconciliationFailed')!.message).toBe('runapp: dependencies: Missing dependencies: [source: service, details: nope]');
    expect(failed.status!.ready).toBe(false);
    await expect(core.readNamespacedSecret({ name: 's64-missing', namespace: t.ns.name })).rejects.toMatchObject({ code: 404 });
    await expect(apps.readNamespacedDeployment({ name: 's64-missing-a', namespace: t.ns.name })).rejects.toMatchObject({ code: 404 });
  });
});

describe('§8.1 ServiceAccounts', () => {
  it('one per deployment and <app>-app with app labels, iqe-<env> with env labels owned by the env', async () => {
    await deploy('s81', [{ name: 'a' }, { name: 'b' }]);
    const read = (name: string) => core.readNamespacedServiceAccount({ name, namespace: t.ns.name });
    for (const name of ['s81-a', 's81-b', 's81-app']) {
      const sa = await read(name);
      expect(sa.metadata!.labels).toEqual({ app: 's81' });
      expect(sa.metadata!.ownerReferences![0].kind).toBe('ClowdApp');
    }
    const iqe = await read(`iqe-${envName}`);
    expect(iqe.metadata!.labels).toEqual({ app: envName });
    expect(iqe.metadata!.ownerReferences![0]).toMatchObject({ kind: 'ClowdEnvironment', name: envName, controller: true });
  });
});
