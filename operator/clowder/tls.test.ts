// §5.3 on the real local control plane: a deployment with TLS gets the Caddy sidecar, its
// ConfigMap and the Service annotation by which OpenShift would issue its certificate. Nothing
// here issues it, so the test reads objects, not a served TLS port.
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { waitFor } from '../../test/cluster.ts';
import { clowdApp, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';

const envName = `tls-${randomBytes(3).toString('hex')}`;
const t = clowderTest('clowder-tls', {
  setup: () => t.createEnv(environment(envName, { web: { port: 8000, mode: 'operator', tls: { enabled: true, port: 8443, privatePort: 10443 } } })),
});
const core = t.kc.makeApiClient(CoreV1Api);
const apps = t.kc.makeApiClient(AppsV1Api);

it('writes the sidecar, its ConfigMap and the serving-cert annotation, and leaves the certificate to OpenShift', async () => {
  await t.clowd.createApp(clowdApp('shop', t.ns.name, envName, [{ name: 'api', webServices: { public: { enabled: true } } }]));
  await waitFor('shop to reconcile', reconciled(() => t.clowd.readApp(t.ns.name, 'shop')));
  const namespace = t.ns.name;
  const pod = (await apps.readNamespacedDeployment({ name: 'shop-api', namespace })).spec!.template.spec!;
  expect(pod.containers.map((c) => [c.name, c.ports?.map((p) => `${p.name}:${p.containerPort}`)])).toEqual([
    ['shop-api', ['web:8000', 'metrics:9000']],
    ['caddy-tls', ['tls:8443']],
  ]);
  const service = await core.readNamespacedService({ name: 'shop-api', namespace });
  expect(service.metadata!.annotations).toMatchObject({ 'service.beta.openshift.io/serving-cert-secret-name': 'shop-api-serving-cert' });
  expect(service.spec!.ports!.map((p) => `${p.name}:${p.port}`)).toContain('tls:8443');
  const config = JSON.parse((await core.readNamespacedConfigMap({ name: 'shop-api-caddy-config', namespace })).data!['caddy.json']);
  expect(config.apps.http.servers.pubServer).toMatchObject({ listen: [':8443'], routes: [{ handle: [{ upstreams: [{ dial: 'localhost:8000' }] }] }] });
  await expect(core.readNamespacedSecret({ name: 'shop-api-serving-cert', namespace })).rejects.toMatchObject({ code: 404 });
});
