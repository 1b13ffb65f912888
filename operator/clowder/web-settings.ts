// The web settings every part of the operator asks about: which ports the environment uses and
// whether a deployment serves publicly or privately. Kept in one place because the Deployment,
// the Service, the endpoints in the config and the env status must all agree on them.
import type { DeploymentSpec, WebProvider, WebServices } from './api.ts';

export const DEFAULT_PRIVATE_PORT = 10000;

export interface WebPorts {
  port: number;
  privatePort: number;
  h2cPort: number;
  h2cPrivatePort: number;
  tls: { enabled: boolean; port: number; privatePort: number; h2cPort: number; h2cPrivatePort: number };
}

/** The env's web ports with the operator defaults applied (privatePort 0 → 10000, §1.2). */
export function webPorts(web: Partial<WebProvider> | undefined): WebPorts {
  const tls = web?.tls ?? {};
  return {
    port: web?.port ?? 0,
    privatePort: web?.privatePort || DEFAULT_PRIVATE_PORT,
    h2cPort: web?.h2cPort ?? 0,
    h2cPrivatePort: web?.h2cPrivatePort ?? 0,
    tls: { enabled: tls.enabled ?? false, port: tls.port ?? 0, privatePort: tls.privatePort ?? 0, h2cPort: tls.h2cPort ?? 0, h2cPrivatePort: tls.h2cPrivatePort ?? 0 },
  };
}

/** `web: true` is the deprecated spelling of `webServices.public.enabled: true`. */
export function publicEnabled(deployment: Pick<DeploymentSpec, 'web' | 'webServices'>): boolean {
  return Boolean(deployment.web || deployment.webServices?.public?.enabled);
}

export function privateEnabled(deployment: { webServices?: WebServices }): boolean {
  return Boolean(deployment.webServices?.private?.enabled);
}

/** TLS is configured for the env only when both TLS ports are set (§5.3). */
export function tlsConfigured(ports: WebPorts): boolean {
  return ports.tls.port !== 0 && ports.tls.privatePort !== 0;
}

/** Public (or private) TLS: configured, and asked for by the deployment or, failing that, the env. */
export function tlsOn(ports: WebPorts, side: 'public' | 'private', webServices: WebServices | undefined): boolean {
  return tlsConfigured(ports) && (webServices?.[side]?.tls ?? ports.tls.enabled);
}
