// The guard reads kubeconfig files as kubectl does: checked against the real kubectl the kit
// builds, for the KUBECONFIG lists that once let the two disagree.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { $ } from 'zx';
import { binaryCacheDir } from './binaries.ts';
import { clusterOf, kubectlKubeconfig } from './kubeconfig.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubeconfigs-'));
const kubectl = join(binaryCacheDir(), 'kubectl');

function file(name: string, contexts: [name: string, server: string][], current?: string): string {
  const path = join(dir, name);
  const list = (kind: string, item: (name: string, server: string) => string) => `${kind}: [${contexts.map(([n, s]) => item(n, s)).join(', ')}]`;
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    list('clusters', (n, s) => `{ name: ${n}, cluster: { server: '${s}' } }`),
    list('users', (n) => `{ name: ${n}, user: {} }`),
    list('contexts', (n) => `{ name: ${n}, context: { cluster: ${n}, user: ${n} } }`),
    ...(current ? [`current-context: ${current}`] : []), '',
  ].join('\n'));
  return path;
}

const prod = file('prod', [['prod-eu', 'https://prod.example:6443']], 'prod-eu');
const workshop = file('workshop', [['kwok-k8s-patterns', 'https://127.0.0.1:6444']], 'kwok-k8s-patterns');
const shadow = file('shadow', [['kwok-k8s-patterns', 'https://prod.example:6443']]);
const noCurrent = file('no-current', [['kind-k8s-patterns', 'https://127.0.0.1:6445']]);

describe('the current context and its server, as kubectl resolves them', () => {
  it.each([
    ['prod:workshop', [prod, workshop]],
    ['workshop:prod', [workshop, prod]],
    ['shadow:workshop (a name defined twice)', [shadow, workshop]],
    ['no-current:workshop', [noCurrent, workshop]],
    ['missing:workshop', [join(dir, 'missing'), workshop]],
  ])('KUBECONFIG=%s', async (_, files) => {
    const env = { ...process.env, KUBECONFIG: files.join(delimiter) };
    const theirs = await $({ quiet: true, env })`${kubectl} config view --minify -o jsonpath=${'{.current-context} {.clusters[0].cluster.server}'}`;
    const ours = kubectlKubeconfig(env);
    expect(`${ours.currentContext} ${clusterOf(ours)?.server}`).toBe(theirs.stdout);
  });
});
