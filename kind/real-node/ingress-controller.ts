// The real node's Ingress controller: Traefik (built from its upstream module), run like CoreDNS as
// a process on this machine rather than in a pod. Its Kubernetes Ingress provider watches Ingresses,
// Services and EndpointSlices through the node's kubeconfig and proxies HTTP on the node IP, port 80,
// straight to the ready pod IPs behind each backend Service.
import { NetworkingV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NodePaths } from './config-files.ts';
import { NODE_IP } from './network.ts';
import { freePort, kubeconfigEnv, startProgram, waitUntil } from './programs.ts';

/**
 * The class the lessons' Ingresses name. On kind it belongs to ingress-nginx; here an IngressClass
 * of the same name hands it to Traefik, so the lessons' manifests are the same on both clusters.
 */
export const INGRESS_CLASS = 'nginx';
/** What Traefik's provider looks for in an IngressClass's spec.controller. */
const TRAEFIK_CONTROLLER = 'traefik.io/ingress-controller';

export async function startIngressController(paths: NodePaths, kubeconfig: string, kc: KubeConfig, traefik: string, log: (line: string) => void): Promise<void> {
  await kc.makeApiClient(NetworkingV1Api).createIngressClass({
    body: { metadata: { name: INGRESS_CLASS }, spec: { controller: TRAEFIK_CONTROLLER } },
  });

  const pingPort = await freePort();
  await startProgram(paths, 'traefik', traefik, [
    // The only port open to HTTP clients: 80 on the node IP, never on every address of the machine.
    `--entrypoints.web.address=${NODE_IP}:80`,
    // Health checks on loopback (an entrypoint named traefik is where Traefik serves /ping).
    `--entrypoints.traefik.address=127.0.0.1:${pingPort}`,
    '--ping=true',
    '--providers.kubernetesingress=true',
    // Only Ingresses of this class; the IngressClass above names Traefik as its controller.
    `--providers.kubernetesingress.ingressclass=${INGRESS_CLASS}`,
    // The address written into each served Ingress's status: what `kubectl get ingress` shows.
    `--providers.kubernetesingress.ingressendpoint.ip=${NODE_IP}`,
    // Routes go live as soon as an Ingress changes, not up to 2 s later: Traefik writes the status
    // first, and a lesson fetches through the address as soon as it appears.
    '--providers.providersthrottleduration=0s',
    // One line per request in the log, so the learner can see which pod answered.
    '--accesslog=true',
    '--log.level=INFO',
    '--log.nocolor=true',
    // Nothing leaves the machine.
    '--global.checknewversion=false',
    '--global.sendanonymoususage=false',
  ], kubeconfigEnv(kubeconfig));
  await waitUntil('Traefik to answer /ping', () => fetch(`http://127.0.0.1:${pingPort}/ping`).then((r) => r.ok, () => false), 30_000, paths, 'traefik');
  log(`ingress controller: Traefik serves IngressClass ${INGRESS_CLASS} on http://${NODE_IP}:80`);
}
