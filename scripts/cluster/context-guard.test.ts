import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { guardedKubeConfig } from './context-guard.ts';

function kubeconfig(current: string): KubeConfig {
  const kc = new KubeConfig();
  const names = ['prod-eu', 'kwok-k8s-patterns', 'kind-k8s-patterns'];
  kc.loadFromOptions({
    clusters: names.map((name) => ({ name, server: 'https://127.0.0.1:6443' })),
    users: [{ name: 'me' }],
    contexts: names.map((name) => ({ name, cluster: name, user: 'me' })),
    currentContext: current,
  });
  return kc;
}

describe('context guard', () => {
  it('accepts the local control plane and the kind cluster', () => {
    expect(guardedKubeConfig(undefined, kubeconfig('kwok-k8s-patterns')).getCurrentContext()).toBe('kwok-k8s-patterns');
    expect(guardedKubeConfig(undefined, kubeconfig('kind-k8s-patterns')).getCurrentContext()).toBe('kind-k8s-patterns');
  });

  it('refuses any other current context, naming it', () => {
    expect(() => guardedKubeConfig(undefined, kubeconfig('prod-eu'))).toThrow(/refusing to act on kube context "prod-eu"/);
  });

  it('uses another context only when it is named explicitly', () => {
    const kc = guardedKubeConfig('prod-eu', kubeconfig('kind-k8s-patterns'));
    expect(kc.getCurrentContext()).toBe('prod-eu');
  });

  it('rejects an explicit context that does not exist', () => {
    expect(() => guardedKubeConfig('typo', kubeconfig('kind-k8s-patterns'))).toThrow(/context "typo" is not in your kubeconfig/);
  });
});
