// kind needs a Docker engine, which CI machines do not have. So the kind path is tested with
// recording stand-ins for kind, docker and kubectl on PATH: the test asserts the exact
// commands the scripts issue, in order.
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { INGRESS_MANIFEST, POSTGRES_IMAGE, WORKSHOP_IMAGE } from '../scripts/cluster/kind.ts';

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
    // `kind get clusters` answers from CLUSTERS so a test can say whether the cluster exists.
    await writeFile(script, `#!/bin/sh\necho "${tool} $*" >> "${record}"\n` +
      (tool === 'kind' ? `[ "$1" = get ] && printf '%s' "$CLUSTERS"\n` : '') + 'exit 0\n');
    await chmod(script, 0o755);
  }
});

async function cluster(args: string[], clusters = '') {
  await run(process.execPath, [join(root, 'scripts', 'cluster.ts'), ...args], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, CLUSTERS: clusters },
  });
  return (await readFile(record, 'utf8')).trim().split('\n');
}

describe('kind path', () => {
  it('up creates the cluster, installs ingress, builds and loads the workshop and PostgreSQL images', async () => {
    expect(await cluster(['up'])).toEqual([
      'kind get clusters',
      `kind create cluster --name k8s-patterns --config ${root}/kind/cluster.yaml`,
      `kubectl --context kind-k8s-patterns apply -f ${INGRESS_MANIFEST}`,
      'kubectl --context kind-k8s-patterns wait --namespace ingress-nginx --for=condition=Available deployment/ingress-nginx-controller --timeout=300s',
      `docker build -t ${WORKSHOP_IMAGE} -f ${root}/sidecars/Dockerfile ${root}`,
      `kind load docker-image ${WORKSHOP_IMAGE} --name k8s-patterns`,
      `docker build -t ${POSTGRES_IMAGE} ${root}/scripts/cluster/images/postgres`,
      `kind load docker-image ${POSTGRES_IMAGE} --name k8s-patterns`,
    ]);
  });

  it('up does not create the cluster again when it exists', async () => {
    const commands = await cluster(['up'], 'k8s-patterns\n');
    expect(commands.filter((c) => c.startsWith('kind create'))).toEqual([]);
  });

  it('down deletes only the workshop cluster', async () => {
    expect(await cluster(['down'])).toEqual(['kind delete cluster --name k8s-patterns']);
  });
});
