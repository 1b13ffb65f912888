// Strimzi's CRDs, for the tests that play Strimzi's part (§15.3). We never write CRDs of Strimzi's
// kinds ourselves: a stand-in without a schema accepts any field, so a misspelt one would pass our
// tests and then be pruned, without a word, by a cluster that runs the real Strimzi.
//
// Clowder's Go module ships the CRDs its own envtest installs (config/crd/static/, Strimzi's,
// Apache-2.0). `go mod download` fetches that module at a pinned version from the Go module proxy
// into Go's module cache, outside the repository; a second run reads it from there, offline.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { apiError } from '../runtime/api-error.ts';
import type { KubeClient } from '../runtime/kube-client.ts';
import { applyCrds } from './install-crds.ts';
import { STRIMZI_KINDS, strimziCrd, type StrimziKind } from './providers/kafka/operator.ts';

/** The module and version: v0.101.0 is the release whose Strimzi operator code this kit follows. */
export const CLOWDER_MODULE = 'github.com/RedHatInsights/clowder@v0.101.0';

/** The module's folder in Go's module cache, downloaded first if need be. */
async function clowderModule(): Promise<string> {
  const env = { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod' };
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', CLOWDER_MODULE], { env, timeout: 120_000 }));
  } catch (error) {
    // -json reports a failed download on stdout, with exit status 1.
    const e = error as { stdout?: string; message: string };
    const reason = e.stdout ? (JSON.parse(e.stdout) as { Error?: string }).Error : e.message;
    throw new Error(`Strimzi's CRDs come from ${CLOWDER_MODULE} through the Go module proxy, which failed: ${reason}`);
  }
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

/** Installs the CRDs of these Strimzi kinds, as Clowder's module ships them, and waits until they are served. */
export async function installStrimziCrds(client: KubeClient, kinds: readonly StrimziKind[] = STRIMZI_KINDS): Promise<void> {
  const dir = join(await clowderModule(), 'config', 'crd', 'static');
  await applyCrds(client, kinds.map((kind) => join(dir, `${strimziCrd(kind)}.yaml`)));
}

/**
 * Deletes the CRDs of Strimzi's kinds and waits until they are gone: with them go all their
 * objects, and the next test file finds a cluster without Strimzi, as it expects.
 */
export async function removeStrimziCrds(client: KubeClient): Promise<void> {
  const gone = (error: unknown) => {
    if (apiError(error).code !== 404) throw error;
    return true;
  };
  const [apiVersion, kind] = ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'];
  const names = STRIMZI_KINDS.map(strimziCrd);
  for (const name of names) await client.delete({ apiVersion, kind, metadata: { name } }).catch(gone);
  // The API server deletes every object of the kinds first; on a busy machine that takes a while.
  for (const deadline = Date.now() + 180_000; ; await sleep(200)) {
    const left = [];
    for (const name of names) if (!(await client.read(apiVersion, kind, name).then(() => false, gone))) left.push(name);
    if (!left.length) return;
    if (Date.now() > deadline) throw new Error(`CRDs ${left.join(', ')} were not deleted within 180 s`);
  }
}
