// Every failure is a condition (§11), and a failing app is retried on its backoff only (§2.4).
// The failure here is a real 500 from the real API server: a validating admission webhook for
// this namespace's Services whose address answers nothing, with failurePolicy Fail. The API server
// then refuses every Service write with "Internal error occurred: failed calling webhook …", the
// same kind of answer (500 InternalError) as a full Service range gives; no server is faked, the
// webhook simply is not there. Removing the webhook is the cluster's admin fixing the cluster.
import { AdmissionregistrationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testKubeConfig, waitFor } from '../../test/cluster.ts';
import { clowdApp, condition, environment, reconciled } from './testing/fixtures.ts';
import { clowderTest } from './testing/harness.ts';

const kc = testKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const suffix = randomBytes(3).toString('hex');
const envName = `failing-${suffix}`;
const webhook = `refuse-services-${suffix}`;
/** Each log line with the time it was written. */
const lines: { at: number; line: string }[] = [];

const t = clowderTest('clowder-failures', {
  setup: () => t.createEnv(environment(envName)),
  // A resync every 100 ms: were the backoff bypassed by resyncs, the attempts would come that often.
  operator: { resyncMs: 100, log: (line) => lines.push({ at: Date.now(), line }) },
});
const { clowd } = t;

beforeAll(() => waitFor('the env to reconcile', reconciled(() => clowd.readEnv(envName))));

afterAll(async () => {
  await admission.deleteValidatingWebhookConfiguration({ name: webhook }).catch(() => {});
});

it('a 500 from the API server is a ReconciliationFailed condition, retried with growing intervals, then repaired', async () => {
  await admission.createValidatingWebhookConfiguration({
    body: {
      metadata: { name: webhook },
      webhooks: [{
        name: 'refuse.services.k8s-patterns.test',
        clientConfig: { url: 'https://127.0.0.1:1/refuse' }, // port 1: nothing listens there
        rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['services'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': t.ns.name } },
        failurePolicy: 'Fail',
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 1,
      }],
    },
  });
  // Webhook configurations take effect a moment after they are stored: wait for the first 500.
  const probe = { metadata: { name: 'probe' }, spec: { ports: [{ port: 80 }] } };
  await waitFor('the API server to refuse Services', () =>
    core.createNamespacedService({ namespace: t.ns.name, body: probe, dryRun: 'All' }).then(() => undefined, (e: { code?: number }) => (e.code === 500 ? true : undefined)));

  await clowd.createApp(clowdApp('blocked', t.ns.name, envName, [{ name: 'api', web: true }]));
  const failed = await waitFor('ReconciliationFailed on the app', async () => {
    const app = await clowd.readApp(t.ns.name, 'blocked');
    return condition(app, 'ReconciliationFailed')?.status === 'True' ? app : undefined;
  });
  expect(condition(failed, 'ReconciliationFailed')?.message).toMatch(/^runapp: apply: Internal error occurred: failed calling webhook "refuse\.services\.k8s-patterns\.test"/);
  expect(condition(failed, 'ReconciliationSuccessful')?.status).toBe('False');

  // Meanwhile events keep coming: the app is edited every 100 ms, on top of the resyncs.
  let edits = 0;
  const attempts = () => lines.filter(({ line }) => line.startsWith(`ClowdApp ${t.ns.name}/blocked: failed (attempt`));
  while (attempts().length < 5) {
    await clowd.patchApp(t.ns.name, 'blocked', [{ op: 'add', path: '/metadata/annotations', value: { edit: String(++edits) } }]);
    await sleep(100);
  }
  // Attempts 1 to 5 in order, each waiting longer than the one before (0.5 s, 1 s, 2 s, 4 s).
  const five = attempts().slice(0, 5);
  expect(five.map(({ line }) => /attempt (\d+)/.exec(line)![1])).toEqual(['1', '2', '3', '4', '5']);
  const gaps = five.slice(1).map((a, i) => a.at - five[i].at);
  for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1]);
  expect(edits).toBeGreaterThan(five.length * 4); // far more events than attempts

  // The admin removes the broken webhook: the next retry writes the Service, and the app reconciles.
  await admission.deleteValidatingWebhookConfiguration({ name: webhook });
  const repaired = await waitFor('the app to reconcile', reconciled(() => clowd.readApp(t.ns.name, 'blocked')), 120_000);
  expect(condition(repaired, 'ReconciliationFailed')?.status).toBe('False');
  expect(await core.readNamespacedService({ namespace: t.ns.name, name: 'blocked-api' })).toBeTruthy();
});
