import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { guardedKubeconfig } from './context-guard.ts';
import { kubectlKubeconfig, type KubeconfigData } from './kubeconfig.ts';
import { clusterIdentity } from './known-clusters.ts';
import { kubeconfigFile } from './testing/kubeconfig-file.ts';

const NAMES = ['prod-eu', 'kwok-k8s-patterns', 'kind-k8s-patterns'];

function kubeconfig(current: string, server = (name: string) => `https://127.0.0.1:${6443 + NAMES.indexOf(name)}`, ca = (name: string) => `${name} CA`): KubeconfigData {
  return {
    clusters: NAMES.map((name) => ({ name, server: server(name), caData: Buffer.from(ca(name)).toString('base64'), skipTLSVerify: false })),
    users: [{ name: 'me' }],
    contexts: NAMES.map((name) => ({ name, cluster: name, user: 'me' })),
    currentContext: current,
  };
}

/** The clusters the kit made: here, the two workshop contexts of kubeconfig() as they are. */
const made = () => new Set(['kwok-k8s-patterns', 'kind-k8s-patterns'].map((name) => clusterIdentity(kubeconfig(name))!));

describe('context guard', () => {
  it('accepts the local control plane and the kind cluster the kit made', () => {
    expect(guardedKubeconfig(undefined, kubeconfig('kwok-k8s-patterns'), made()).currentContext).toBe('kwok-k8s-patterns');
    expect(guardedKubeconfig(undefined, kubeconfig('kind-k8s-patterns'), made()).currentContext).toBe('kind-k8s-patterns');
  });

  it('refuses any other current context, naming it', () => {
    expect(() => guardedKubeconfig(undefined, kubeconfig('prod-eu'), made())).toThrow(/refusing to act on kube context "prod-eu"/);
    expect(() => guardedKubeconfig(undefined, kubeconfig(''), made())).toThrow(/refusing to act on kube context "\(none\)"/);
  });

  it("refuses a context merely named like the workshop's that points at another cluster", () => {
    const elsewhere = kubeconfig('kwok-k8s-patterns', (name) => (name === 'kwok-k8s-patterns' ? 'https://prod.example:6443' : 'https://127.0.0.1:1'));
    expect(() => guardedKubeconfig(undefined, elsewhere, made())).toThrow(
      /^refusing to act on kube context "kwok-k8s-patterns": it has the workshop's name but points at https:\/\/prod.example:6443, which is not a cluster the kit made/,
    );
    // Same address, another CA: another cluster too (a new one on the old port, or a look-alike).
    const forged = kubeconfig('kind-k8s-patterns', undefined, () => 'forged CA');
    expect(() => guardedKubeconfig(undefined, forged, made())).toThrow(/not a cluster the kit made \(or not with that CA\)/);
  });

  it('uses another context only when it is named explicitly, and leaves the given kubeconfig as it was', () => {
    const given = kubeconfig('kind-k8s-patterns');
    expect(guardedKubeconfig('prod-eu', given, made()).currentContext).toBe('prod-eu');
    expect(given.currentContext).toBe('kind-k8s-patterns');
  });

  it('rejects an explicit context that does not exist', () => {
    expect(() => guardedKubeconfig('typo', kubeconfig('kind-k8s-patterns'), made())).toThrow(/context "typo" is not in your kubeconfig/);
  });

  it("KUBECONFIG=prod:other: the first file's current-context wins, so the guard sees prod", () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeconfigs-'));
    const prod = kubeconfigFile(join(dir, 'prod'), 'prod-eu', 'https://prod.example:6443', 'prod-eu');
    const other = kubeconfigFile(join(dir, 'other'), 'kwok-k8s-patterns', 'https://127.0.0.1:6444', 'kwok-k8s-patterns');
    const merged = kubectlKubeconfig({ KUBECONFIG: [prod, other].join(delimiter) });
    expect(() => guardedKubeconfig(undefined, merged, made())).toThrow(/refusing to act on kube context "prod-eu"/);
  });
});

describe('the guard without @kubernetes/client-node', () => {
  it('lets the operator refuse a context before it loads client-node', async () => {
    // An empty home and no KUBECONFIG: no context, so the guard refuses.
    const env = { ...process.env, KUBECONFIG: '', HOME: mkdtempSync(join(tmpdir(), 'home-')) };
    const root = join(import.meta.dirname, '..');
    const run = promisify(execFile)(process.execPath, ['--import', join(root, 'test', 'no-client-node.mjs'), join(root, 'scripts', 'operator.ts'), 'clowder'], { env });
    await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/^operator: refusing to act on kube context "\(none\)"/) });
  });
});
