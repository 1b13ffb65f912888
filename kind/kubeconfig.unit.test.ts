import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterOf, contextNamed, kubectlKubeconfig, parseKubeconfig, readKubeconfig } from './kubeconfig.ts';
import { kubeconfigFile } from './testing/kubeconfig-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfigs-'));

/** A kubeconfig file in dir (or at an absolute path) with one context, optionally the current one. */
const file = (name: string, context: string, server: string, current?: string) =>
  kubeconfigFile(isAbsolute(name) ? name : join(dir, name), context, server, current);

describe('one kubeconfig file', () => {
  it("reads kubectl's field names into client-node's", () => {
    const data = parseKubeconfig(`
clusters:
- name: c
  cluster: { server: 'https://127.0.0.1:6443/', certificate-authority-data: Q0E=, insecure-skip-tls-verify: true, tls-server-name: api.local }
users:
- name: u
  user: { client-certificate-data: Q0VSVA==, client-key-data: S0VZ }
- name: basic
  user: { username: me, password: secret }
contexts:
- name: ctx
  context: { cluster: c, user: u, namespace: apps }
current-context: ctx
`);
    expect(data.currentContext).toBe('ctx');
    // The trailing slash goes, as in client-node: request paths are appended to the server.
    expect(clusterOf(data)).toMatchObject({ name: 'c', server: 'https://127.0.0.1:6443', caData: 'Q0E=', skipTLSVerify: true, tlsServerName: 'api.local' });
    expect(data.users[0]).toMatchObject({ name: 'u', certData: 'Q0VSVA==', keyData: 'S0VZ' });
    expect(data.users[1]).toMatchObject({ name: 'basic', username: 'me', password: 'secret' });
    expect(contextNamed(data, 'ctx')).toEqual({ name: 'ctx', cluster: 'c', user: 'u', namespace: 'apps' });
  });

  it("takes relative certificate and key paths from the file's directory, as kubectl does", () => {
    const sub = join(dir, 'relative');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'config'), `
clusters: [{ name: c, cluster: { server: 'https://h:1', certificate-authority: certs/ca.crt } }]
users: [{ name: u, user: { client-certificate: ../client.crt, client-key: /etc/abs.key } }]
`);
    const data = readKubeconfig(join(sub, 'config'));
    expect(data.clusters[0].caFile).toBe(join(sub, 'certs', 'ca.crt'));
    expect(data.users[0].certFile).toBe(join(dir, 'client.crt'));
    expect(data.users[0].keyFile).toBe('/etc/abs.key');
  });

  it('reads a token, or the file of one (relative to the kubeconfig, trimmed)', () => {
    const sub = join(dir, 'tokens');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'token'), 'from-file\n');
    writeFileSync(join(sub, 'config'), `
users:
- { name: inline, user: { token: abc } }
- { name: file, user: { tokenFile: token } }
`);
    expect(readKubeconfig(join(sub, 'config')).users.map((user) => user.token)).toEqual(['abc', 'from-file']);
  });

  it('finds no context, and no cluster, that the file does not define', () => {
    const data = readKubeconfig(file('one', 'kwok-k8s-patterns', 'https://127.0.0.1:6444'));
    expect(data.currentContext).toBe('');
    expect(contextNamed(data, 'prod-eu')).toBeUndefined();
    expect(clusterOf(data)).toBeUndefined();
    expect(clusterOf(data, 'kwok-k8s-patterns')?.server).toBe('https://127.0.0.1:6444');
  });

  it('names the file and the entry when a required field is missing', () => {
    const path = join(dir, 'broken');
    writeFileSync(path, 'clusters: [{ name: c, cluster: {} }]\n');
    expect(() => readKubeconfig(path)).toThrow(`${path}: clusters[0].cluster.server is missing`);
  });
});

describe('the kubeconfig as kubectl reads it', () => {
  it('takes current-context from the first file that sets one, and each name from the first file that defines it', () => {
    const first = file('first', 'kwok-k8s-patterns', 'https://127.0.0.1:1111');
    const second = file('second', 'kwok-k8s-patterns', 'https://127.0.0.1:2222', 'kwok-k8s-patterns');
    const third = file('third', 'prod-eu', 'https://prod.example:6443', 'prod-eu');
    const data = kubectlKubeconfig({ KUBECONFIG: [join(dir, 'missing'), first, '', second, third].join(delimiter) });
    expect(data.currentContext).toBe('kwok-k8s-patterns');
    expect(clusterOf(data)?.server).toBe('https://127.0.0.1:1111');
    expect(data.contexts.map((context) => context.name)).toEqual(['kwok-k8s-patterns', 'prod-eu']);
  });

  it('reads ~/.kube/config when KUBECONFIG is unset or empty', () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    expect(kubectlKubeconfig({ KUBECONFIG: '', HOME: home })).toEqual({ clusters: [], users: [], contexts: [], currentContext: '' });
    mkdirSync(join(home, '.kube'));
    file(join(home, '.kube', 'config'), 'kind-k8s-patterns', 'https://127.0.0.1:6445', 'kind-k8s-patterns');
    expect(kubectlKubeconfig({ HOME: home }).currentContext).toBe('kind-k8s-patterns');
    expect(kubectlKubeconfig({ KUBECONFIG: '', HOME: home }).currentContext).toBe('kind-k8s-patterns');
  });
});
