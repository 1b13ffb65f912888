// What serves a deployment's TLS ports (§5.3): a Caddy sidecar that ends TLS and passes the plain
// requests on to the app's own ports over localhost, as Clowder runs it. Its certificate is the
// Secret `<app>-<dep>-serving-cert`, which OpenShift's service CA operator issues when it sees the
// Service annotation below; the operator never writes that Secret itself. A cluster without that
// operator (kind, the local control plane) keeps the pod waiting for the Secret, as OpenShift would
// without it.
//
// Owned resources: ConfigMap `<app>-<dep>-caddy-config` (Caddy's JSON config), owned by the app.
import type { V1ConfigMap, V1ContainerPort, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { ClowdEnvironment } from '../../api.ts';
import { ownedBy } from '../../ownership.ts';
import type { Settings } from '../../settings.ts';
import type { WebPorts } from '../../web-settings.ts';
import type { AppBuild } from '../provider.ts';

export const SERVING_CERT_ANNOTATION = 'service.beta.openshift.io/serving-cert-secret-name';

/** Which of the four TLS listeners a deployment has. */
export interface TlsSides {
  public: boolean;
  private: boolean;
  publicH2c: boolean;
  privateH2c: boolean;
}

/** Where the app itself listens, behind the sidecar: the env's web ports and the h2c target ports. */
export interface AppPorts {
  public: number;
  private: number;
  publicH2c: number;
  privateH2c: number;
}

/**
 * Adds the sidecar, its two volumes and its ConfigMap to one deployment, and the annotation that
 * has its certificate issued to the Service. Does nothing when no TLS listener is on.
 */
export function addTlsSidecar(build: AppBuild, deployment: V1Deployment, service: V1Service, ports: WebPorts, sides: TlsSides, app: AppPorts): void {
  if (!sides.public && !sides.private && !sides.publicH2c && !sides.privateH2c) return;
  const name = deployment.metadata!.name!;
  const configName = `${name}-caddy-config`;
  const listeners: [boolean, string, number][] = [
    [sides.public, 'tls', ports.tls.port],
    [sides.private, 'tls-private', ports.tls.privatePort],
    [sides.publicH2c, 'h2c-tls', ports.tls.h2cPort],
    [sides.privateH2c, 'h2c-tls-private', ports.tls.h2cPrivatePort],
  ];
  const containerPorts: V1ContainerPort[] = listeners.filter(([on]) => on).map(([, portName, port]) => ({ name: portName, containerPort: port, protocol: 'TCP' }));
  const pod = deployment.spec!.template.spec!;
  pod.containers.push({
    name: 'caddy-tls',
    image: caddyImage(build.env, build.settings),
    command: ['/usr/bin/caddy'],
    args: ['run', '--config', '/etc/caddy/caddy.json'],
    ports: containerPorts,
    volumeMounts: [
      { name: 'caddy-tls', readOnly: true, mountPath: '/certs' },
      { name: 'caddy-config', readOnly: true, mountPath: '/etc/caddy' },
    ],
  });
  pod.volumes!.push(
    { name: 'caddy-config', configMap: { name: configName } },
    { name: 'caddy-tls', secret: { secretName: `${name}-serving-cert` } },
  );
  service.metadata!.annotations = { ...service.metadata!.annotations, [SERVING_CERT_ANNOTATION]: `${name}-serving-cert` };
  const configMap: V1ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configName, namespace: build.app.metadata!.namespace, ownerReferences: ownedBy(build.app) },
    data: { 'caddy.json': caddyConfig(ports, sides, app) },
  };
  build.objects.push(configMap);
}

/**
 * Caddy's config, in the bytes Clowder writes: Go's two-space indented JSON of Caddy's own types,
 * so object keys come in Caddy's field order, except inside a handler and its transport, which
 * Caddy builds as maps and Go writes in sorted key order.
 */
export function caddyConfig(ports: WebPorts, sides: TlsSides, app: AppPorts): string {
  const server = (port: number, upstream: number, h2c: boolean) => ({
    listen: [`:${port}`],
    routes: [{
      handle: [{
        handler: 'reverse_proxy',
        transport: { protocol: 'http', ...(h2c ? { versions: ['h2c'] } : {}) },
        upstreams: [{ dial: `localhost:${upstream}` }],
      }],
    }],
    tls_connection_policies: [{ certificate_selection: { any_tag: ['cert0'] } }],
    automatic_https: { disable: true },
  });
  const servers: Record<string, object> = {};
  if (sides.private) servers.privServer = server(ports.tls.privatePort, app.private, false);
  if (sides.privateH2c) servers.privServerH2C = server(ports.tls.h2cPrivatePort, app.privateH2c, true);
  if (sides.public) servers.pubServer = server(ports.tls.port, app.public, false);
  if (sides.publicH2c) servers.pubServerH2C = server(ports.tls.h2cPort, app.publicH2c, true);
  const tls = { certificates: { load_files: [{ certificate: '/certs/tls.crt', key: '/certs/tls.key', tags: ['cert0'] }] } };
  return JSON.stringify({ apps: { http: { servers }, tls } }, null, 2);
}

/**
 * The env's `web.images.caddyProxy`, else the config file's, else Clowder's pin. Clowder takes the
 * config file's `caddyProxy` only when its `caddy` is set too, and so do we (settings.ts).
 */
function caddyImage(env: ClowdEnvironment, settings: Settings): string {
  return env.spec.providers.web?.images?.caddyProxy || settings.images.caddyProxy;
}
