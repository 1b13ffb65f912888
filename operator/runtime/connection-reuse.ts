// client-node 2.0.1 builds a new undici Agent for every request it sends, so every request opens a
// new TCP connection and does a new TLS handshake. For a controller that is most of the latency of
// a small request. This hands every request made through one KubeConfig the same Agent, which keeps
// connections open and reuses them, as client-go does.
import type { KubeConfig, RequestContext } from '@kubernetes/client-node';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

const done = new WeakSet<KubeConfig>();

/**
 * Makes kubeConfig, in place, reuse connections, and returns it. Every client made from it, before
 * or after, is affected. Credentials that travel as headers (tokens) are still set per request.
 */
export function reuseConnections<K extends KubeConfig>(kubeConfig: K): K {
  if (done.has(kubeConfig)) return kubeConfig;
  done.add(kubeConfig);
  const authenticate = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  // One Agent per cluster and user: switching contexts must not send requests over the old identity's TLS.
  const agents = new Map<string, Dispatcher>();
  kubeConfig.applySecurityAuthentication = async (context: RequestContext) => {
    await authenticate(context);
    const key = `${kubeConfig.getCurrentCluster()?.name}\0${kubeConfig.getCurrentUser()?.name}`;
    const fresh = context.getDispatcher();
    if (!fresh) return;
    const shared = agents.get(key);
    if (shared) context.setDispatcher(shared);
    else agents.set(key, fresh);
  };
  return kubeConfig;
}
