// kind needs a Docker engine, which CI machines do not have. So the kind path is tested with
// recording stand-ins for kind, docker and kubectl on PATH: the test asserts the exact
// commands the scripts issue, in order.
import { execFile } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { chmod, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { guardedKubeConfig } from '../kind/client-node-config.ts';
import { INGRESS_MANIFEST, POSTGRES_IMAGE, WORKSHOP_IMAGE } from '../kind/kind.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');
let bin: string;
let record: string;

beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), 'stand-ins-'));
  record = join(bin, 'commands.log');
  await writeFile(record, '');
  for (const tool of ['kind', 'docker', 'kubectl']) {
    const script = join(bin, tool);
    // `kind get clusters` answers from CLUSTERS so a test can say whether the cluster exists;
    // `kind get kubeconfig` prints a kubeconfig for it, as kind does.
    await writeFile(script, `#!/bin/sh\necho "${tool} $*" >> "${record}"\n` +
      (tool === 'kind' ? `[ "$1 $2" = "get kubeconfig" ] && { printf '%s' "$KIND_KUBECONFIG"; exit 0; }\n[ "$1" = get ] && printf '%s' "$CLUSTERS"\n` : '') + 'exit 0\n');
    await chmod(script, 0o755);
  }
});

/** What `kind get kubeconfig` prints: the cluster's address and CA as kind knows them. */
const KIND_KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: kind-k8s-patterns, cluster: { server: 'https://127.0.0.1:40123', certificate-authority-data: ${Buffer.from('kind CA').toString('base64')} } }]
users: [{ name: kind-k8s-patterns, user: {} }]
contexts: [{ name: kind-k8s-patterns, context: { cluster: kind-k8s-patterns, user: kind-k8s-patterns } }]
current-context: kind-k8s-patterns
`;

async function cluster(args: string[], clusters = '') {
  await run(process.execPath, [join(root, 'scripts', 'cluster.ts'), ...args], {
    // The kit's cache in the stand-ins' folder: up remembers the cluster there, not in yours.
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CLUSTERS: clusters, KIND_KUBECONFIG, XDG_CACHE_HOME: bin },
  });
  return (await readFile(record, 'utf8')).trim().split('\n');
}

describe('kind path', () => {
  it('up creates the cluster, installs ingress, builds and loads the workshop and PostgreSQL images', async () => {
    expect(await cluster(['up'])).toEqual([
      'kind get clusters',
      `kind create cluster --name k8s-patterns --config ${root}/kind/cluster.yaml`,
      'kind get kubeconfig --name k8s-patterns',
      `kubectl --context kind-k8s-patterns apply -f ${INGRESS_MANIFEST}`,
      'kubectl --context kind-k8s-patterns wait --namespace ingress-nginx --for=condition=Available deployment/ingress-nginx-controller --timeout=300s',
      `docker build -t ${WORKSHOP_IMAGE} -f ${root}/sidecars/Dockerfile ${root}`,
      `kind load docker-image ${WORKSHOP_IMAGE} --name k8s-patterns`,
      `docker build -t ${POSTGRES_IMAGE} ${root}/kind/images/postgres`,
      `kind load docker-image ${POSTGRES_IMAGE} --name k8s-patterns`,
    ]);
  });

  it('up does not create the cluster again when it exists', async () => {
    const commands = await cluster(['up'], 'k8s-patterns\n');
    expect(commands.filter((c) => c.startsWith('kind create'))).toEqual([]);
  });

  it("remembers kind's own address and CA, so the guard trusts the context only while it points there", async () => {
    await cluster(['up']);
    const kc = new KubeConfig();
    kc.loadFromString(KIND_KUBECONFIG);
    const known = (await readdir(join(bin, 'k8s-patterns-workshop', 'clusters'))).length;
    expect(known).toBe(1);
    const cache = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = bin; // where the guard reads what the kit made
    try {
      expect(guardedKubeConfig(undefined, kc).getCurrentContext()).toBe('kind-k8s-patterns');
      // The same name, another cluster:
      kc.loadFromString(KIND_KUBECONFIG.replace('40123', '6443'));
      expect(() => guardedKubeConfig(undefined, kc)).toThrow(/has the workshop's name but points at https:\/\/127.0.0.1:6443/);
    } finally {
      if (cache === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = cache;
    }
  });

  it('down deletes only the workshop cluster, and forgets it', async () => {
    await cluster(['up']);
    await writeFile(record, '');
    expect(await cluster(['down'], 'k8s-patterns\n')).toEqual(['kind get clusters', 'kind get kubeconfig --name k8s-patterns', 'kind delete cluster --name k8s-patterns']);
    expect(await readdir(join(bin, 'k8s-patterns-workshop', 'clusters'))).toEqual([]);
  });
});
