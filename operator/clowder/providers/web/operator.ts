// Web, mode `operator` (§5, §6.3): the ports each deployment serves on, in the Service, in its
// main container, and in the config, so the app knows which port to listen on. Local Keycloak
// and gateway objects belong to mode `local`, which this kit does not implement.
//
// Owned resources: ConfigMap `<app>-<dep>-caddy-config` for a deployment with TLS (tls-sidecar.ts);
// otherwise it adds ports to the deployment provider's Deployments and Services.
import type { V1ServicePort } from '@kubernetes/client-node';
import { privateEnabled, publicEnabled, tlsOn, webPorts } from '../../web-settings.ts';
import type { AppBuild } from '../provider.ts';
import { addTlsSidecar } from './tls-sidecar.ts';

export function provide(build: AppBuild): void {
  const ports = webPorts(build.env.spec.providers.web);
  Object.assign(build.config, {
    webPort: ports.port,
    publicPort: ports.port,
    privatePort: ports.privatePort,
    ...(ports.h2cPort ? { h2cPublicPort: ports.h2cPort } : {}),
    ...(ports.h2cPrivatePort ? { h2cPrivatePort: ports.h2cPrivatePort } : {}),
    ...(ports.tls.enabled ? { tlsCAPath: '/cdapp/certs/service-ca.crt' } : {}),
  });

  for (const spec of build.app.spec.deployments ?? []) {
    const service = build.services.get(spec.name)!;
    const container = build.deployments.get(spec.name)!.spec!.template.spec!.containers[0];
    const pub = spec.webServices?.public;
    const priv = spec.webServices?.private;
    const publicTls = publicEnabled(spec) && tlsOn(ports, 'public', spec.webServices);
    const privateTls = privateEnabled(spec) && tlsOn(ports, 'private', spec.webServices);
    // [Service port name, port, target port, appProtocol, container port name], in §5.1 order.
    // Rows without a container port name are the TLS sidecar's (tls-sidecar.ts).
    const rows: [string, number, number, string, string?][] = [];
    if (publicEnabled(spec)) rows.push(['public', ports.port, ports.port, 'http', 'web']);
    if (pub?.h2cEnabled && ports.h2cPort) rows.push(['h2c', ports.h2cPort, pub.h2cTargetPort || ports.h2cPort, 'kubernetes.io/h2c', 'h2c']);
    if (privateEnabled(spec)) rows.push(['private', ports.privatePort, ports.privatePort, 'http', 'private']);
    if (priv?.h2cEnabled && ports.h2cPrivatePort) {
      rows.push(['h2c-private', ports.h2cPrivatePort, priv.h2cTargetPort || ports.h2cPrivatePort, 'kubernetes.io/h2c', 'h2c-private']);
    }
    if (publicTls) rows.push(['tls', ports.tls.port, ports.tls.port, 'http']);
    if (privateTls) rows.push(['tls-private', ports.tls.privatePort, ports.tls.privatePort, 'http']);
    const publicH2cTls = publicTls && Boolean(pub?.h2cEnabled) && ports.tls.h2cPort !== 0;
    const privateH2cTls = privateTls && Boolean(priv?.h2cEnabled) && ports.tls.h2cPrivatePort !== 0;
    if (publicH2cTls) rows.push(['h2c-tls', ports.tls.h2cPort, ports.tls.h2cPort, 'kubernetes.io/h2c']);
    if (privateH2cTls) rows.push(['h2c-tls-private', ports.tls.h2cPrivatePort, ports.tls.h2cPrivatePort, 'kubernetes.io/h2c']);
    for (const [name, port, targetPort, appProtocol, containerPortName] of rows) {
      service.spec!.ports!.push(servicePort(name, port, targetPort, appProtocol));
      if (containerPortName) container.ports!.push({ name: containerPortName, containerPort: targetPort, protocol: 'TCP' });
    }
    addTlsSidecar(build, build.deployments.get(spec.name)!, service, ports,
      { public: publicTls, private: privateTls, publicH2c: publicH2cTls, privateH2c: privateH2cTls },
      { public: ports.port, private: ports.privatePort, publicH2c: pub?.h2cTargetPort || ports.h2cPort, privateH2c: priv?.h2cTargetPort || ports.h2cPrivatePort });
    // Sticky sessions only make sense for the public side, where browsers come in.
    if (publicEnabled(spec) && pub?.sessionAffinity) service.spec!.sessionAffinity = 'ClientIP';
  }
}

/** targetPort is a number, not a port name: the Service must not depend on container port names. */
export function servicePort(name: string, port: number, targetPort: number, appProtocol: string): V1ServicePort {
  return { name, port, targetPort, protocol: 'TCP', appProtocol };
}
