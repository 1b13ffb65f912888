// The dependencies provider (§6.4, §6.5, §10): tells the app where to reach its own deployments
// and the apps it depends on. Nothing is created; the result is three parts of the config:
// - `endpoints` / `privateEndpoints`: one entry per deployment with a public (private) port, the
//   app's own first, then each dependency, then each optional dependency, in spec order;
// - `dependencyEndpoints` / `privateDependencyEndpoints`: the same as ready-made URIs, keyed by
//   app and deployment, written only when the app lists dependencies at all.
//
// A dependency is found by name among the ClowdApps and ClowdAppRefs of the same environment,
// in any namespace. A missing required dependency fails the whole reconcile, so the app never
// starts with a config that lacks an endpoint it needs.
//
// Owned resources: none.
import type { DependencyEndpoint, DependencyEndpointsV2, PrivateDependencyEndpoint } from '../../client/app-config.ts';
import type { ClowdApp, ClowdAppRef, WebServices } from '../../api.ts';
import { privateEnabled, publicEnabled, tlsOn, webPorts, type WebPorts } from '../../web-settings.ts';
import { ProviderError, type AppBuild } from '../provider.ts';

const CA_PATH = '/cdapp/certs/service-ca.crt';

/** What endpoints are made from: an app's (or a ClowdAppRef's) deployments and the ports they use. */
interface Source {
  app: string;
  deployments: { name: string; hostname: string; web?: boolean; webServices?: WebServices }[];
  ports: WebPorts;
  /** Whether a deployment's TLS is on, given its web services. */
  tls: (side: 'public' | 'private', webServices: WebServices | undefined) => boolean;
}

export function provide(build: AppBuild): void {
  const { app, env } = build;
  const localPorts = webPorts(env.spec.providers.web);
  const sources: Source[] = [fromApp(app, localPorts)];
  const missing: string[] = [];
  for (const [names, required] of [[app.spec.dependencies ?? [], true], [app.spec.optionalDependencies ?? [], false]] as const) {
    for (const name of names) {
      const found = resolve(build, name);
      if (found) sources.push(found);
      else if (required) missing.push(name);
    }
  }
  if (missing.length) {
    throw new ProviderError(`Missing dependencies: [${missing.map((m) => `source: service, details: ${m}`).join('; ')}]`);
  }

  const endpoints = sources.flatMap(publicEndpoints);
  const privateEndpoints = sources.flatMap(privateEndpointsOf);
  if (endpoints.length) build.config.endpoints = endpoints;
  if (privateEndpoints.length) build.config.privateEndpoints = privateEndpoints;
  // The V2 maps exist only for apps that name dependencies, even ones that turned out missing.
  const listsDependencies = (app.spec.dependencies?.length ?? 0) + (app.spec.optionalDependencies?.length ?? 0) > 0;
  if (listsDependencies && endpoints.length) build.config.dependencyEndpoints = v2(endpoints);
  if (listsDependencies && privateEndpoints.length) build.config.privateDependencyEndpoints = v2(privateEndpoints);
}

/**
 * A name means the ClowdApp of that name in this env, or the ClowdAppRef. When both exist the
 * ref wins only for the apps it says it serves: a ref stands in for an app running elsewhere.
 */
function resolve(build: AppBuild, name: string): Source | undefined {
  const envName = build.app.spec.envName;
  const app = build.lookup.apps().find((a) => a.metadata?.name === name && a.spec.envName === envName);
  const ref = build.lookup.appRefs().find((r) => r.metadata?.name === name && r.spec.envName === envName);
  if (ref && (!app || ref.spec.serves?.includes(build.app.metadata!.name!))) return fromRef(ref, webPorts(build.env.spec.providers.web));
  return app ? fromApp(app, webPorts(build.env.spec.providers.web)) : undefined;
}

function fromApp(app: ClowdApp, ports: WebPorts): Source {
  const { name, namespace } = app.metadata!;
  return {
    app: name!,
    deployments: (app.spec.deployments ?? []).map((d) => ({ ...d, hostname: `${name}-${d.name}.${namespace}.svc` })),
    ports,
    tls: (side, webServices) => tlsOn(ports, side, webServices),
  };
}

/**
 * A ClowdAppRef describes deployments in another environment: its ports fall back to ours when it
 * gives none, and TLS counts only when the ref's deployment says `tls: true` itself (§10).
 */
function fromRef(ref: ClowdAppRef, local: WebPorts): Source {
  const remote = ref.spec.remoteEnvironment ?? {};
  const tls = remote.tls ?? {};
  const ports: WebPorts = {
    port: remote.port || local.port,
    privatePort: remote.privatePort || local.privatePort,
    h2cPort: remote.h2cPort || local.h2cPort,
    h2cPrivatePort: remote.h2cPrivatePort || local.h2cPrivatePort,
    tls: {
      enabled: false,
      port: tls.port || local.tls.port,
      privatePort: tls.privatePort || local.tls.privatePort,
      h2cPort: tls.h2cPort || local.tls.h2cPort,
      h2cPrivatePort: tls.h2cPrivatePort || local.tls.h2cPrivatePort,
    },
  };
  return {
    app: ref.metadata!.name!,
    deployments: ref.spec.deployments ?? [],
    ports,
    tls: (side, webServices) => ports.tls.port !== 0 && ports.tls.privatePort !== 0 && webServices?.[side]?.tls === true,
  };
}

/** Which of the environment's ports serve each side of a deployment. */
const SIDE_PORTS = {
  public: (p: WebPorts) => ({ port: p.port, tlsPort: p.tls.port, h2cPort: p.h2cPort, h2cTLSPort: p.tls.h2cPort }),
  private: (p: WebPorts) => ({ port: p.privatePort, tlsPort: p.tls.privatePort, h2cPort: p.h2cPrivatePort, h2cTLSPort: p.tls.h2cPrivatePort }),
};

/**
 * One side's endpoint of each deployment: a port is 0 when that listener is off, and a deployment
 * with every port off has no endpoint at all. (Key order does not matter: the config is written
 * with sorted keys.)
 */
function endpointsOf(source: Source, side: 'public' | 'private'): (PrivateDependencyEndpoint & { deployment: Source['deployments'][number] })[] {
  return source.deployments.flatMap((d) => {
    const service = d.webServices?.[side];
    const on = side === 'public' ? publicEnabled(d) : privateEnabled(d);
    const tls = on && source.tls(side, d.webServices);
    const ports = SIDE_PORTS[side](source.ports);
    const port = on ? ports.port : 0;
    const tlsPort = tls ? ports.tlsPort : 0;
    const h2cPort = service?.h2cEnabled ? ports.h2cPort : 0;
    const h2cTLSPort = service?.h2cEnabled && tls ? ports.h2cTLSPort : 0;
    if (!port && !tlsPort && !h2cPort && !h2cTLSPort) return [];
    return [{
      deployment: d,
      name: d.name,
      app: source.app,
      hostname: d.hostname,
      port,
      tlsPort,
      h2cPort,
      h2cTLSPort,
      ...(tlsPort || h2cTLSPort ? { tlsCAPath: CA_PATH } : {}),
    }];
  });
}

/** Public endpoints also carry the API paths the gateway routes to them. */
function publicEndpoints(source: Source): DependencyEndpoint[] {
  return endpointsOf(source, 'public').map(({ deployment: d, ...endpoint }) => {
    const pub = d.webServices?.public;
    const apiPaths = pub?.apiPaths?.length ? pub.apiPaths : [pub?.apiPath ? `/api/${pub.apiPath}/` : `/api/${source.app}-${d.name}/`];
    return { ...endpoint, apiPath: apiPaths[0], apiPaths };
  });
}

function privateEndpointsOf(source: Source): PrivateDependencyEndpoint[] {
  return endpointsOf(source, 'private').map(({ deployment: _, ...endpoint }) => endpoint);
}

/** The V2 form: `{v2: {<app>: {<dep>[_tls|_h2c|_h2c_tls]: {uri, ca_certificate?}}}}` (§6.5). */
function v2(endpoints: PrivateDependencyEndpoint[]): DependencyEndpointsV2 {
  const apps: NonNullable<DependencyEndpointsV2['v2']> = {};
  for (const e of endpoints) {
    const host = e.hostname.includes(':') ? `[${e.hostname}]` : e.hostname; // an IPv6 literal
    const entries = (apps[e.app] ??= {});
    const ca = e.tlsCAPath ? { ca_certificate: e.tlsCAPath } : {};
    if (e.port > 0) entries[e.name] = { uri: `http://${host}:${e.port}` };
    if ((e.tlsPort ?? 0) > 0) entries[`${e.name}_tls`] = { uri: `https://${host}:${e.tlsPort}`, ...ca };
    if ((e.h2cPort ?? 0) > 0) entries[`${e.name}_h2c`] = { uri: `http://${host}:${e.h2cPort}` };
    if ((e.h2cTLSPort ?? 0) > 0) entries[`${e.name}_h2c_tls`] = { uri: `https://${host}:${e.h2cTLSPort}`, ...ca };
  }
  return { v2: apps };
}
