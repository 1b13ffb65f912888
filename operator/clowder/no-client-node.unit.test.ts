// The Clowder operator's process talks to the API server through the runtime's own client: it
// must not load @kubernetes/client-node (about 60 MB), not even by a stray import of a value.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('loads every module of `npm run operator -- clowder` without @kubernetes/client-node', async () => {
  const root = join(import.meta.dirname, '..', '..');
  // The modules scripts/operator.ts imports for the clowder program, and what they import.
  const modules = ['operator/clowder/operator.ts', 'operator/clowder/install-crds.ts', 'operator/clowder/settings.ts', 'kind/context-guard.ts', 'operator/runtime/kube-client.ts'];
  const script = modules.map((m) => `await import(${JSON.stringify(join(root, m))});`).join(' ') + ' console.log("loaded");';
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', join(root, 'test', 'no-client-node.mjs'), '--input-type=module', '-e', script]);
  expect(stdout.trim()).toBe('loaded');
});
