// The providers run in memory, without a cluster: the spec's worked examples (§6.7, §6.8)
// must come out to the byte, and every config must satisfy Clowder's JSON Schema.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { ClowdApp, ClowdAppRef } from '../api.ts';
import { canonicalJson } from '../config/canonical-json.ts';
import { validateAppConfig } from '../config/schema.ts';
import { clowdApp, environment } from '../testing/fixtures.ts';
import { DEFAULT_SETTINGS } from '../settings.ts';
import { runProviders } from './order.ts';
import { caddyConfig } from './web/tls-sidecar.ts';
import { webPorts } from '../web-settings.ts';
import type { AppBuild } from './provider.ts';

function withUid(app: ClowdApp): ClowdApp {
  return { ...app, metadata: { ...app.metadata, uid: `uid-${app.metadata!.name}` } };
}

/** Runs every provider for app, with `others` as the rest of the cluster. */
async function build(app: ClowdApp, env = environment('demo'), others: ClowdApp[] = [], refs: ClowdAppRef[] = []) {
  const b: AppBuild = {
    app: withUid(app),
    env: { ...env, metadata: { name: env.metadata!.name, uid: 'uid-env' } },
    targetNamespace: 'tns',
    settings: DEFAULT_SETTINGS,
    createSecretOnce: async () => {},
    read: async () => undefined,
    writeNow: async () => {},
    clusterIPsReachable: async () => false,
    lookup: {
      apps: () => [app, ...others],
      appRefs: () => refs,
      deployment: () => undefined,
      service: () => undefined,
      secret: () => undefined,
      secrets: () => [],
      configMap: () => undefined,
      serviceAccount: () => undefined,
      namespace: () => undefined,
      crdInstalled: () => false,
      strimzi: () => undefined,
      kafkaTopics: () => [],
    },
    config: {},
    deployments: new Map(),
    services: new Map(),
    cronJobs: new Map(),
    objects: [],
    envTracked: [],
    appTracked: [],
  };
  await runProviders(b);
  const secret = b.objects.find((o) => o.kind === 'Secret')!;
  const bytes = Buffer.from((secret as { data: Record<string, string> }).data['cdappconfig.json'], 'base64').toString('utf8');
  return { build: b, bytes, config: JSON.parse(bytes) };
}

const shop = clowdApp('shop', 'shop-dev', 'demo', [
  { name: 'api', webServices: { public: { enabled: true }, private: { enabled: true } }, podSpec: { image: 'quay.io/example/shop:1' } },
  { name: 'worker', podSpec: { image: 'quay.io/example/shop:1' } },
], { dependencies: ['auth'] });
const auth = clowdApp('auth', 'auth-dev', 'demo', [{ name: 'svc', webServices: { public: { enabled: true } } }]);

describe('cdappconfig.json from the providers', () => {
  it('reproduces the worked example of §6.8 byte for byte, configHash included', async () => {
    const { bytes, config, build: b } = await build(shop, environment('demo'), [auth]);
    expect(Buffer.byteLength(bytes)).toBe(1244);
    const hash = createHash('sha256').update(bytes).digest('hex');
    expect(hash).toBe('a13045e0fd35369a128aecddd3026a95c6d4da36176e5c868484d0ec8cf51fcd');
    expect(b.deployments.get('api')!.spec!.template.metadata!.annotations!.configHash).toBe(hash);
    expect(validateAppConfig(config)).toEqual([]);
  });

  it('writes exactly the keys of §6.7 for a deployment without web services', async () => {
    const { config, bytes } = await build(clowdApp('min', 'ns', 'demo', [{ name: 'worker' }]));
    expect(Object.keys(config)).toEqual(['hashCache', 'logging', 'metadata', 'metricsPath', 'metricsPort', 'privatePort', 'publicPort', 'webPort']);
    expect(bytes).toBe(canonicalJson(config));
    expect(validateAppConfig(config)).toEqual([]);
  });

  it.each([
    ['h2c ports in the env appear as top-level keys', { web: { port: 8000, mode: 'operator', h2cPort: 8001, h2cPrivatePort: 10001 } }, { h2cPublicPort: 8001, h2cPrivatePort: 10001 }],
    ['tls.enabled alone adds tlsCAPath', { web: { port: 8000, mode: 'operator', tls: { enabled: true } } }, { tlsCAPath: '/cdapp/certs/service-ca.crt' }],
    ['a privatePort of 0 means 10000', { web: { port: 8000, mode: 'none', privatePort: 0 } }, { privatePort: 10000, webPort: 8000, publicPort: 8000 }],
  ])('§6.3: %s', async (_name, providers, expected) => {
    const { config } = await build(clowdApp('x', 'ns', 'demo', [{ name: 'a' }]), environment('demo', providers));
    expect(config).toMatchObject(expected);
  });

  it('§6.4: endpoints list the app, then dependencies, then optional ones; apiPath defaults; no de-duplication', async () => {
    const opt = clowdApp('opt', 'o', 'demo', [{ name: 'p', webServices: { public: { enabled: true, apiPath: 'legacy' } } }]);
    const multi = clowdApp('multi', 'm', 'demo', [{ name: 'q', webServices: { public: { enabled: true, apiPaths: ['/api/one/', '/api/two/'] } } }]);
    const app = clowdApp('me', 'n', 'demo', [{ name: 'own', web: true }], { dependencies: ['multi', 'multi'], optionalDependencies: ['opt', 'missing'] });
    const { config } = await build(app, environment('demo'), [opt, multi]);
    expect(config.endpoints.map((e: { app: string; apiPath: string }) => [e.app, e.apiPath])).toEqual([
      ['me', '/api/me-own/'],
      ['multi', '/api/one/'],
      ['multi', '/api/one/'],
      ['opt', '/api/legacy/'],
    ]);
    expect(config.endpoints[1].apiPaths).toEqual(['/api/one/', '/api/two/']);
    expect(config.privateEndpoints).toBeUndefined();
  });

  it('§6.4: a missing dependency fails the dependencies provider with Clowder\'s message', async () => {
    await expect(build(clowdApp('me', 'n', 'demo', [{ name: 'a' }], { dependencies: ['nope', 'gone'] }))).rejects.toThrow(
      'runapp: dependencies: Missing dependencies: [source: service, details: nope; source: service, details: gone]',
    );
  });

  it('§10: a ClowdAppRef stands in for an app; remote ports fall back to ours; its TLS needs tls: true', async () => {
    const ref: ClowdAppRef = {
      apiVersion: 'cloud.redhat.com/v1alpha1',
      kind: 'ClowdAppRef',
      metadata: { name: 'remote', namespace: 'r' },
      spec: {
        envName: 'demo',
        remoteEnvironment: { port: 443 },
        deployments: [{ name: 'api', hostname: 'api.example.com', web: true }],
      },
    };
    const { config } = await build(clowdApp('me', 'n', 'demo', [{ name: 'a' }], { dependencies: ['remote'] }), environment('demo'), [], [ref]);
    expect(config.endpoints).toEqual([
      { apiPath: '/api/remote-api/', apiPaths: ['/api/remote-api/'], app: 'remote', h2cPort: 0, h2cTLSPort: 0, hostname: 'api.example.com', name: 'api', port: 443, tlsPort: 0 },
    ]);
    expect(config.dependencyEndpoints).toEqual({ v2: { remote: { api: { uri: 'http://api.example.com:443' } } } });
  });

  it('§6.5: TLS endpoints get tlsPort, tlsCAPath and _tls V2 entries', async () => {
    const env = environment('demo', { web: { port: 8000, mode: 'operator', tls: { enabled: true, port: 8443, privatePort: 10443 } } });
    const { config } = await build(clowdApp('me', 'n', 'demo', [{ name: 'a', web: true }], { optionalDependencies: ['x'] }), env);
    expect(config.endpoints[0]).toMatchObject({ port: 8000, tlsPort: 8443, tlsCAPath: '/cdapp/certs/service-ca.crt' });
    expect(config.dependencyEndpoints.v2.me).toEqual({
      a: { uri: 'http://me-a.n.svc:8000' },
      a_tls: { uri: 'https://me-a.n.svc:8443', ca_certificate: '/cdapp/certs/service-ca.crt' },
    });
    expect(validateAppConfig(config)).toEqual([]);
  });

  it('§5.3: a deployment with TLS gets Caddy as a sidecar, its config and the annotation that issues its certificate', async () => {
    const env = environment('demo', { web: { port: 8000, mode: 'operator', h2cPort: 8080, tls: { enabled: true, port: 8443, privatePort: 10443, h2cPort: 8444 } } });
    const app = clowdApp('me', 'n', 'demo', [
      { name: 'a', webServices: { public: { enabled: true, h2cEnabled: true, h2cTargetPort: 9090 }, private: { enabled: true, tls: false } } },
      { name: 'plain', webServices: { public: { enabled: true, tls: false } } },
    ]);
    const { build: b } = await build(app, env);
    const pod = b.deployments.get('a')!.spec!.template.spec!;
    expect(pod.containers.map((c) => c.name)).toEqual(['me-a', 'caddy-tls']);
    expect(pod.containers[1]).toEqual({
      name: 'caddy-tls',
      image: 'quay.io/redhat-services-prod/hcm-eng-prod-tenant/caddy-ubi:094d8a9',
      command: ['/usr/bin/caddy'],
      args: ['run', '--config', '/etc/caddy/caddy.json'],
      ports: [{ name: 'tls', containerPort: 8443, protocol: 'TCP' }, { name: 'h2c-tls', containerPort: 8444, protocol: 'TCP' }],
      volumeMounts: [{ name: 'caddy-tls', readOnly: true, mountPath: '/certs' }, { name: 'caddy-config', readOnly: true, mountPath: '/etc/caddy' }],
    });
    expect(pod.volumes!.map((v) => v.name)).toEqual(['config-secret', 'tls-ca', 'caddy-config', 'caddy-tls']);
    expect(pod.volumes!.slice(2)).toEqual([
      { name: 'caddy-config', configMap: { name: 'me-a-caddy-config' } },
      { name: 'caddy-tls', secret: { secretName: 'me-a-serving-cert' } },
    ]);
    expect(b.services.get('a')!.metadata!.annotations).toEqual({ 'service.beta.openshift.io/serving-cert-secret-name': 'me-a-serving-cert' });
    const configMap = b.objects.find((o) => o.kind === 'ConfigMap') as V1ConfigMap;
    expect(configMap.metadata).toMatchObject({ name: 'me-a-caddy-config', namespace: 'n', ownerReferences: [{ kind: 'ClowdApp', name: 'me' }] });
    const servers = JSON.parse(configMap.data!['caddy.json']).apps.http.servers;
    expect(Object.keys(servers)).toEqual(['pubServer', 'pubServerH2C']);
    expect(servers.pubServerH2C.routes[0].handle[0]).toEqual({ handler: 'reverse_proxy', transport: { protocol: 'http', versions: ['h2c'] }, upstreams: [{ dial: 'localhost:9090' }] });
    // Without TLS on either side, a deployment keeps its one container.
    expect(b.deployments.get('plain')!.spec!.template.spec!.containers.map((c) => c.name)).toEqual(['me-plain']);
    expect(b.objects.filter((o) => o.kind === 'ConfigMap')).toHaveLength(1);
  });

  it('§5.3: caddy.json has the bytes Go writes for Caddy\'s types (testing/caddy-four-listeners.json: Caddy v2.11.4, all four listeners)', async () => {
    const ports = webPorts({ port: 8000, mode: 'operator', tls: { enabled: true, port: 18443, privatePort: 18800, h2cPort: 18444, h2cPrivatePort: 18801 } });
    const sides = { public: true, private: true, publicH2c: true, privateH2c: true };
    const golden = await readFile(new URL('../testing/caddy-four-listeners.json', import.meta.url), 'utf8');
    expect(caddyConfig(ports, sides, { public: 8000, private: 10000, publicH2c: 8080, privateH2c: 8081 })).toBe(golden);
  });

  it('an unknown mode fails with getprov', async () => {
    await expect(build(clowdApp('x', 'n', 'demo', [{ name: 'a' }]), environment('demo', { web: { port: 1, mode: 'local' } }))).rejects.toThrow(
      'getprov: web: No matching web mode for local',
    );
  });
});
