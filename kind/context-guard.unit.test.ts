import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guardedKubeConfig, kubectlKubeConfig } from './context-guard.ts';
import { clusterIdentity } from './known-clusters.ts';

const NAMES = ['prod-eu', 'kwok-k8s-patterns', 'kind-k8s-patterns'];

function kubeconfig(current: string, server = (name: string) => `https://127.0.0.1:${6443 + NAMES.indexOf(name)}`, ca = (name: string) => `${name} CA`): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: NAMES.map((name) => ({ name, server: server(name), caData: Buffer.from(ca(name)).toString('base64'), skipTLSVerify: false })),
    users: [{ name: 'me' }],
    contexts: NAMES.map((name) => ({ name, cluster: name, user: 'me' })),
    currentContext: current,
  });
  return kc;
}

/** The clusters the kit made: here, the two workshop contexts of kubeconfig() as they are. */
const made = () => new Set(['kwok-k8s-patterns', 'kind-k8s-patterns'].map((name) => clusterIdentity(kubeconfig(name))!));

/** A kubeconfig file with one context and its cluster, optionally the current one. */
function file(dir: string, name: string, context: string, server: string, current?: string): string {
  const path = join(dir, name);
  writeFileSync(path, `apiVersion: v1
kind: Config
clusters: [{ name: ${context}, cluster: { server: '${server}' } }]
users: [{ name: ${context}, user: {} }]
contexts: [{ name: ${context}, context: { cluster: ${context}, user: ${context} } }]
${current ? `current-context: ${current}\n` : ''}`);
  return path;
}

describe('context guard', () => {
  it('accepts the local control plane and the kind cluster the kit made', () => {
    expect(guardedKubeConfig(undefined, kubeconfig('kwok-k8s-patterns'), made()).getCurrentContext()).toBe('kwok-k8s-patterns');
    expect(guardedKubeConfig(undefined, kubeconfig('kind-k8s-patterns'), made()).getCurrentContext()).toBe('kind-k8s-patterns');
  });

  it('refuses any other current context, naming it', () => {
    expect(() => guardedKubeConfig(undefined, kubeconfig('prod-eu'), made())).toThrow(/refusing to act on kube context "prod-eu"/);
  });

  it("refuses a context merely named like the workshop's that points at another cluster", () => {
    const elsewhere = kubeconfig('kwok-k8s-patterns', (name) => (name === 'kwok-k8s-patterns' ? 'https://prod.example:6443' : 'https://127.0.0.1:1'));
    expect(() => guardedKubeConfig(undefined, elsewhere, made())).toThrow(
      /^refusing to act on kube context "kwok-k8s-patterns": it has the workshop's name but points at https:\/\/prod.example:6443, which is not a cluster the kit made/,
    );
    // Same address, another CA: another cluster too (a new one on the old port, or a look-alike).
    const forged = kubeconfig('kind-k8s-patterns', undefined, () => 'forged CA');
    expect(() => guardedKubeConfig(undefined, forged, made())).toThrow(/not a cluster the kit made \(or not with that CA\)/);
  });

  it('uses another context only when it is named explicitly', () => {
    const kc = guardedKubeConfig('prod-eu', kubeconfig('kind-k8s-patterns'), made());
    expect(kc.getCurrentContext()).toBe('prod-eu');
  });

  it('rejects an explicit context that does not exist', () => {
    expect(() => guardedKubeConfig('typo', kubeconfig('kind-k8s-patterns'), made())).toThrow(/context "typo" is not in your kubeconfig/);
  });
});

describe('the kubeconfig as kubectl reads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeconfigs-'));

  it("KUBECONFIG=prod:other: the first file's current-context wins, so the guard sees prod", () => {
    const prod = file(dir, 'prod', 'prod-eu', 'https://prod.example:6443', 'prod-eu');
    const other = file(dir, 'other', 'kwok-k8s-patterns', 'https://127.0.0.1:6444', 'kwok-k8s-patterns');
    const kc = kubectlKubeConfig({ KUBECONFIG: [prod, other].join(delimiter) });
    expect(kc.getCurrentContext()).toBe('prod-eu');
    expect(kc.getContexts().map((c) => c.name)).toEqual(['prod-eu', 'kwok-k8s-patterns']);
    expect(() => guardedKubeConfig(undefined, kc, made())).toThrow(/refusing to act on kube context "prod-eu"/);
  });

  it('takes current-context from the first file that sets one, and each name from the first file that defines it', () => {
    const first = file(dir, 'first', 'kwok-k8s-patterns', 'https://127.0.0.1:1111');
    const second = file(dir, 'second', 'kwok-k8s-patterns', 'https://127.0.0.1:2222', 'kwok-k8s-patterns');
    const kc = kubectlKubeConfig({ KUBECONFIG: [join(dir, 'missing'), first, '', second].join(delimiter) });
    expect(kc.getCurrentContext()).toBe('kwok-k8s-patterns');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:1111');
  });

  it('reads ~/.kube/config when KUBECONFIG is unset or empty', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    expect(kubectlKubeConfig({ KUBECONFIG: '', HOME: home }).getContexts()).toEqual([]);
  });
});
