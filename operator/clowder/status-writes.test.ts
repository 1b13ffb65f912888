// Status writes (§11). The operator writes the status of a new ClowdApp or ClowdEnvironment while
// events about it (its finalizer, its env's status, its new Deployments) are still arriving, so
// the copy in its cache is often a moment behind the server. Those writes must land anyway, and
// not show up in the log as failures.
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { testClient, testKubeConfig, waitFor } from '../../test/cluster.ts';
import type { ClowdApp } from './api.ts';
import { clowdApp, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';
import { ObjectWriter } from './object-writer.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const suffix = randomBytes(3).toString('hex');
const envNames = [0, 1, 2, 3].map((i) => `status-${suffix}-${i}`);

const t = clowderTest('clowder-status');
const { clowd } = t;

it('writes status from a copy older than the object on the server', async () => {
  // A disabled app: the operator adds its finalizer and then leaves it (and its status) alone.
  const stale = (await clowd.createApp(clowdApp('stale', t.ns.name, envNames[0], [], { disabled: true }))) as ClowdApp;
  await clowd.patchApp(t.ns.name, 'stale', [{ op: 'add', path: '/metadata/labels', value: { touched: 'yes' } }]);
  const status = { ready: false, deployments: { managedDeployments: 0, readyDeployments: 0 }, conditions: [] };
  expect(await new ObjectWriter(client).writeStatus(stale, status)).toBe(true);
  const live = await clowd.readApp(t.ns.name, 'stale');
  expect(live.metadata!.resourceVersion).not.toBe(stale.metadata!.resourceVersion);
  expect(live.status).toEqual(status);
});

it('writes the first status of new environments and apps without a failed attempt', async () => {
  for (const name of envNames) await t.createEnv(environment(name));
  const apps = envNames.flatMap((env, e) => [0, 1, 2, 3].map((a) => clowdApp(`app-${e}-${a}`, t.ns.name, env, [{ name: 'web', web: true }, { name: 'worker' }])));
  for (const app of apps) await clowd.createApp(app);

  for (const name of envNames) await waitFor(`${name} to reconcile`, reconciled(() => clowd.readEnv(name)));
  for (const app of apps) {
    await waitFor(`${app.metadata!.name} to be ready`, async () => {
      const live = await clowd.readApp(t.ns.name, app.metadata!.name!);
      return live.status?.ready && live.status.generation === live.metadata?.generation ? live : undefined;
    });
  }
  // "failed: clowd env not reconciled" is an app waiting for its env, reported as Clowder reports
  // it; a request the API server refused is logged as a failed attempt, retried with backoff.
  // Other test files' objects may be in the cluster too: only this file's count.
  const ours = (line: string) => line.includes(`${t.ns.name}/`) || envNames.some((name) => line.includes(name));
  expect(t.lines.filter((line) => line.includes('attempt') && ours(line))).toEqual([]);
  expect(t.lines.filter((line) => line.includes('updated status')).length).toBeGreaterThanOrEqual(envNames.length + apps.length);
});
