// Kubernetes as the backend, on the real local control plane: the CRD's CEL rules and the
// admission policy refuse bad todos with their own messages, the front answers after the API
// server stored the change, the notifier receives every change (also those made while it was
// down) and reminds later through its queue, and the API server's limits show where they are.
import { ApiextensionsV1Api, CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAll } from 'js-yaml';
import { apply } from '../../operator/runtime/apply.ts';
import { testClient, testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { startFront, type Front } from './app/front.ts';
import { todoNotifier, type Notification } from './app/notifier.ts';
import { GROUP, PLURAL, VERSION, type Todo } from './app/todo.ts';

const kc = testKubeConfig();
const client = testClient(kc);
const custom = kc.makeApiClient(CustomObjectsApi);
let ns: Awaited<ReturnType<typeof testNamespace>>;
let front: Front;

beforeAll(async () => {
  for (const file of ['crd.yaml', 'policy.yaml']) {
    const text = await readFile(new URL(`./manifests/${file}`, import.meta.url), 'utf8');
    for (const document of loadAll(text)) await apply(client, document as KubernetesObject, 'k8s-as-backend-test');
  }
  const extensions = kc.makeApiClient(ApiextensionsV1Api);
  await waitFor('the Todo CRD to be established', async () =>
    (await extensions.readCustomResourceDefinition({ name: 'todos.k8spatterns.com' })).status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') || undefined);
  ns = await testNamespace(kc, 'k8s-as-backend');
  front = await startFront({ client, namespace: ns.name });
  // A new policy takes effect a moment after it is created: wait until it refuses (dry run, nothing stored).
  await waitFor('the admission policy to be active', () => custom.createNamespacedCustomObject({
    group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, dryRun: 'All',
    body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'Todo', metadata: { generateName: 'probe-' }, spec: { title: 'probe', priority: 'high' } },
  }).then(() => undefined, () => true));
});

afterAll(async () => {
  await front?.close();
  await ns?.remove();
});

/** One request to the front; returns the HTTP status and the parsed JSON. */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${front.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

const readTodo = (name: string) => custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name }) as Promise<Todo>;

describe('Todos stored by the API server', () => {
  it('the front creates, lists and updates, answering with what the API server stored', async () => {
    const created = await call('POST', '/todos', { title: 'Buy milk' });
    expect(created.status).toBe(201);
    // The defaults come from the CRD: the server filled them in before it answered.
    expect(created.json).toMatchObject({ title: 'Buy milk', priority: 'normal', done: false });
    expect(created.json.name).toMatch(/^todo-/);
    const listed = await call('GET', '/todos');
    expect(listed.json.map((t: { name: string }) => t.name)).toContain(created.json.name);

    const updated = await call('PATCH', `/todos/${created.json.name}`, { done: true });
    expect(updated).toMatchObject({ status: 200, json: { done: true } });
    expect((await call('GET', '/todos?done=true')).json.map((t: { name: string }) => t.name)).toEqual([created.json.name]);
  });

  it('refuses what breaks a rule, with the message of the rule (CRD rules and admission policy)', async () => {
    expect(await call('POST', '/todos', { title: '   ' })).toMatchObject({ status: 422, json: { error: expect.stringContaining('spec.title: Invalid value: "string": a todo needs a title') } });
    expect(await call('POST', '/todos', { title: 'x'.repeat(101) })).toMatchObject({ status: 422, json: { error: expect.stringContaining("a todo's title is at most 100 characters") } });
    expect(await call('POST', '/todos', { title: 'Ship it', priority: 'high' })).toMatchObject({
      status: 422,
      json: { error: expect.stringContaining("ValidatingAdmissionPolicy 'todo-high-priority-needs-due' with binding 'todo-high-priority-needs-due' denied request: a todo with priority high needs a due date (spec.due)") },
    });
    expect((await call('POST', '/todos', { title: 'Ship it', priority: 'high', due: '2030-01-01T00:00:00Z' })).status).toBe(201);

    const done = (await call('POST', '/todos', { title: 'Pay rent' })).json.name;
    await call('PATCH', `/todos/${done}`, { done: true });
    expect(await call('PATCH', `/todos/${done}`, { done: false })).toMatchObject({
      status: 422, json: { error: expect.stringContaining('spec.done: Invalid value: "boolean": a done todo cannot be reopened; create a new one') },
    });
  });

  it('the notifier reacts to every change, also to those made while it was down, and reminds later through its queue', async () => {
    const first = todoNotifier({ client, namespace: ns.name, notify: () => {}, log: () => {} });
    await first.start();
    const name = (await call('POST', '/todos', { title: 'Water plants' })).json.name as string;
    const has = (sent: Notification[], kind: string, text: string) => sent.some((n) => n.todo === name && n.kind === kind && n.text.includes(text));
    await waitFor('the creation to be notified', async () => (has(first.sent, 'changed', '"Water plants"') ? true : undefined));
    await call('PATCH', `/todos/${name}`, { title: 'Water the plants' });
    await waitFor('the edit to be notified', async () => (has(first.sent, 'changed', '"Water the plants"') ? true : undefined));
    await waitFor('status.notifiedGeneration to catch up', async () => ((await readTodo(name)).status?.notifiedGeneration === 2 ? true : undefined));
    await first.stop();

    // While nobody listens: one edit. The watch that would have carried it is gone.
    await call('PATCH', `/todos/${name}`, { title: 'Water all the plants' });

    const second = todoNotifier({ client, namespace: ns.name, notify: () => {}, log: () => {} });
    await second.start();
    try {
      await waitFor('the missed edit to be notified after the restart', async () => (has(second.sent, 'changed', '"Water all the plants"') ? true : undefined));
      // Todos that did not change while it was down are not announced again.
      const others = await waitFor('the other todos to be seen', async () => ((await readTodo(name)).status?.notifiedGeneration === 3 ? second.sent.filter((n) => n.todo !== name) : undefined));
      expect(others).toEqual([]);

      // "Remind me when it is due": no notification now, one when the time comes.
      const due = new Date(Date.now() + 3_000).toISOString();
      const soon = (await call('POST', '/todos', { title: 'Call the plumber', due })).json.name as string;
      await waitFor('the creation of the reminder todo to be notified', async () => (second.sent.some((n) => n.todo === soon) ? true : undefined));
      expect(second.sent.some((n) => n.todo === soon && n.kind === 'overdue')).toBe(false);
      const reminder = await waitFor('the overdue reminder', async () => second.sent.find((n) => n.todo === soon && n.kind === 'overdue'), 15_000);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(due));
      expect(reminder.text).toContain('"Call the plumber" was due');
      await waitFor('status.reminded', async () => ((await readTodo(soon)).status?.reminded ? true : undefined));
    } finally {
      await second.stop();
    }
  });

  it('stores a 1.4 MiB todo but refuses a 1.6 MiB one: etcd limits each request to 1.5 MiB', async () => {
    const mib = 1024 * 1024;
    expect((await call('POST', '/todos', { title: 'Big', notes: 'x'.repeat(Math.floor(1.4 * mib)) })).status).toBe(201);
    const tooBig = await call('POST', '/todos', { title: 'Too big', notes: 'x'.repeat(Math.floor(1.6 * mib)) });
    expect(tooBig.json.error).toBe('etcdserver: request is too large');
    expect(tooBig.status).toBeGreaterThanOrEqual(400);
  });

  it('filters only on labels and declared fields, by equality', async () => {
    expect((await call('GET', '/todos?priority=high')).json.map((t: { title: string }) => t.title)).toEqual(['Ship it']);
    const refused = await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, fieldSelector: 'spec.title=Buy milk' })
      .then(() => 'accepted', (e: { body?: string }) => JSON.parse(e.body ?? '{}').message as string);
    expect(refused).toContain('field label not supported: spec.title');
  });
});
