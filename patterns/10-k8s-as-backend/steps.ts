// Lesson 10, Kubernetes as the backend: business entities (todos) stored as custom resources. The
// API server persists them in etcd, enforces the business rules (CEL in the CRD, an admission
// policy) and broadcasts every change to whoever watches. Two small apps use it: a REST front and
// a notifier. The last steps measure what the approach costs. Every step below is what lesson.md
// shows under the same heading.
import { CustomObjectsApi } from '@kubernetes/client-node';
import { outputMatches } from '../checks.ts';
import { StepFailed, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';
import { startFront } from './app/front.ts';
import { todoNotifier } from './app/notifier.ts';
import { API_VERSION, GROUP, KIND, PLURAL, refusal, VERSION, type Todo } from './app/todo.ts';

const ns = 'k8s-as-backend';
const dir = 'patterns/10-k8s-as-backend';
const manifests = `${dir}/manifests`;
const FRONT_PORT = 3080;
const curl = `curl -s -H 'content-type: application/json' localhost:${FRONT_PORT}/todos`;
/** 1.6 MiB of notes: more than etcd takes in one request (1.5 MiB), less than the API server's 3 MiB. */
const BIG_NOTES = Math.floor(1.6 * 1024 * 1024);

/** The URL of the front this process started, per lesson run; else the attendee's on 3080. */
const frontUrls = new WeakMap<LessonContext, string>();
const frontUrl = (ctx: LessonContext) => frontUrls.get(ctx) ?? `http://127.0.0.1:${FRONT_PORT}`;

/** A request to the front, as the step's curl command makes it. */
async function front(ctx: LessonContext, method: string, path: string, body?: unknown): Promise<{ status: number; json: { error?: string } }> {
  const response = await fetch(`${frontUrl(ctx)}/todos${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

function todosApi(ctx: LessonContext) {
  const api = ctx.kc.makeApiClient(CustomObjectsApi);
  const where = { group: GROUP, version: VERSION, plural: PLURAL, namespace: ns };
  return {
    list: async (fieldSelector?: string) => ((await api.listNamespacedCustomObject({ ...where, fieldSelector })) as { items: Todo[] }).items,
    /** Creates nothing: a server-side dry run passes validation and admission, then stops. Resolves to the refusal. */
    refusalOf: (spec: Todo['spec']) => api.createNamespacedCustomObject({
      ...where, dryRun: 'All', body: { apiVersion: API_VERSION, kind: KIND, metadata: { generateName: 'check-' }, spec },
    }).then(() => 'accepted', (e: unknown) => refusal(e).message),
    reopenRefusal: (name: string) => api.patchNamespacedCustomObject({ ...where, name, dryRun: 'All', body: [{ op: 'replace', path: '/spec/done', value: false }] })
      .then(() => 'accepted', (e: unknown) => refusal(e).message),
  };
}

function expectRefusal(actual: string, expected: string, lookAt: string): void {
  if (!actual.includes(expected)) throw new StepFailed(`expected the API server to refuse with "${expected}", got: ${actual}`, lookAt);
}

/** Every todo's spec has been reacted to: status.notifiedGeneration caught up with generation. */
async function allNotified(ctx: LessonContext): Promise<void> {
  let behind: string[] = [];
  await waitFor(async () => {
    behind = (await todosApi(ctx).list()).filter((t) => t.status?.notifiedGeneration !== t.metadata?.generation).map((t) => t.metadata!.name!);
    return behind.length === 0 ? true : undefined;
  }, () => new StepFailed(`the notifier has not reacted to: ${behind.join(', ')}`, `kubectl get todos -n ${ns} -o custom-columns=NAME:.metadata.name,GEN:.metadata.generation,NOTIFIED:.status.notifiedGeneration`));
}

const startNotifier = (ctx: LessonContext) => ctx.keepRunning('notifier', async () => {
  const notifier = todoNotifier({ kubeConfig: ctx.kc, namespace: ns, notify: () => {}, log: () => {} });
  await notifier.start();
  return () => notifier.stop();
});

const lesson: Lesson = {
  id: ns,
  number: 10,
  title: 'Kubernetes as the Backend',
  goal: 'Store business entities as custom resources with their rules enforced by the API server, react to every change by watching, and judge when a real database is the better choice.',
  dir,
  steps: [
    namespaceStep(ns),
    {
      id: 'crd',
      title: 'Define the Todo resource',
      commands: [
        `kubectl apply -f ${manifests}/crd.yaml`,
        'kubectl wait --for=condition=Established crd/todos.k8spatterns.com --timeout=60s',
      ],
      needs: 'any',
      async verify(ctx) {
        await outputMatches(ctx, 'kubectl get crd todos.k8spatterns.com -o jsonpath=\'{.status.conditions[?(@.type=="Established")].status}\'', /^True$/);
        expectRefusal(await todosApi(ctx).refusalOf({ title: ' ' }), 'a todo needs a title', `kubectl get crd todos.k8spatterns.com -o yaml`);
      },
      expected: 'customresourcedefinition.apiextensions.k8s.io/todos.k8spatterns.com created, then condition met',
      hint: 'A CRD is cluster-scoped: no -n.',
      solution: `kubectl apply -f ${manifests}/crd.yaml`,
    },
    {
      id: 'policy',
      title: 'Add a business rule as an admission policy',
      commands: [`kubectl apply -f ${manifests}/policy.yaml`],
      needs: 'any',
      async verify(ctx) {
        // A new policy takes effect within a second or two, once the API server has compiled it.
        let seen = '';
        await waitFor(async () => ((seen = await todosApi(ctx).refusalOf({ title: 'Ship it', priority: 'high' })).includes('needs a due date') ? true : undefined),
          () => new StepFailed(`a high-priority todo without a due date was not refused (${seen})`, 'kubectl get validatingadmissionpolicy,validatingadmissionpolicybinding'));
      },
      expected: 'validatingadmissionpolicy… and validatingadmissionpolicybinding….todo-high-priority-needs-due created',
      hint: 'The policy does nothing without its binding; both are in the file.',
      solution: `kubectl apply -f ${manifests}/policy.yaml`,
    },
    {
      id: 'front',
      title: 'Start the REST front',
      commands: ['npm run todo-app -- front'],
      needs: 'any',
      async run(ctx) {
        await ctx.keepRunning('front', async () => {
          const started = await startFront({ kubeConfig: ctx.kc, namespace: ns, port: 0 });
          frontUrls.set(ctx, started.url);
          return started.close;
        });
      },
      async verify(ctx) {
        const status = await front(ctx, 'GET', '').then((r) => r.status, () => 0);
        if (status !== 200) throw new StepFailed(`GET ${frontUrl(ctx)}/todos answered ${status || 'nothing'}`, 'the terminal where you started the front');
      },
      expected: `front: serving todos of namespace ${ns} on http://127.0.0.1:${FRONT_PORT} (Ctrl-C stops)`,
      hint: 'Leave it running in a second terminal.',
      solution: 'npm run todo-app -- front',
    },
    {
      id: 'create',
      title: 'Create todos through the front',
      commands: [
        `${curl} -d '{"name":"milk","title":"Buy milk"}'`,
        `${curl} -d '{"name":"release","title":"Ship the release","priority":"high","due":"2030-01-31T17:00:00Z"}'`,
        `kubectl get todos -n ${ns}`,
      ],
      needs: 'any',
      async run(ctx) {
        await front(ctx, 'POST', '', { name: 'milk', title: 'Buy milk' });
        await front(ctx, 'POST', '', { name: 'release', title: 'Ship the release', priority: 'high', due: '2030-01-31T17:00:00Z' });
      },
      async verify(ctx) {
        const titles = (await todosApi(ctx).list()).map((t) => t.spec.title).sort();
        if (titles.join() !== 'Buy milk,Ship the release') throw new StepFailed(`expected the todos "Buy milk" and "Ship the release", found [${titles.join(', ')}]`, `kubectl get todos -n ${ns}`);
      },
      expected: 'two JSON answers with priority and done filled in by the CRD\'s defaults; kubectl lists the same two todos',
      hint: 'The front stores nothing itself: what kubectl shows is the only copy.',
      solution: `${curl} -d '{"name":"milk","title":"Buy milk"}'`,
    },
    {
      id: 'rules',
      title: 'Break the rules',
      commands: [
        `${curl} -d '{"title":"  "}'`,
        `${curl} -d '{"title":"Fix prod","priority":"high"}'`,
        `curl -s -X PATCH -H 'content-type: application/json' localhost:${FRONT_PORT}/todos/milk -d '{"done":true}'`,
        `curl -s -X PATCH -H 'content-type: application/json' localhost:${FRONT_PORT}/todos/milk -d '{"done":false}'`,
      ],
      needs: 'any',
      async run(ctx) {
        await front(ctx, 'POST', '', { title: '  ' });
        await front(ctx, 'POST', '', { title: 'Fix prod', priority: 'high' });
        await front(ctx, 'PATCH', '/milk', { done: true });
        await front(ctx, 'PATCH', '/milk', { done: false });
      },
      async verify(ctx) {
        const api = todosApi(ctx);
        expectRefusal(await api.refusalOf({ title: '  ' }), 'spec.title: Invalid value: "string": a todo needs a title', `kubectl get crd todos.k8spatterns.com -o yaml`);
        expectRefusal(await api.refusalOf({ title: 'Fix prod', priority: 'high' }),
          "ValidatingAdmissionPolicy 'todo-high-priority-needs-due' with binding 'todo-high-priority-needs-due' denied request: a todo with priority high needs a due date (spec.due)",
          'kubectl get validatingadmissionpolicy todo-high-priority-needs-due -o yaml');
        const milk = (await api.list()).find((t) => t.metadata?.name === 'milk');
        if (!milk?.spec.done) throw new StepFailed('todo milk should be done (and stay done)', `kubectl get todo milk -n ${ns} -o yaml`);
        expectRefusal(await api.reopenRefusal('milk'), 'spec.done: Invalid value: "boolean": a done todo cannot be reopened; create a new one', `kubectl get todo milk -n ${ns} -o yaml`);
        if ((await api.list()).length !== 2) throw new StepFailed('a refused todo was stored after all', `kubectl get todos -n ${ns}`);
      },
      expected: 'three refusals with status 422, each naming its rule: "a todo needs a title", "…denied request: a todo with priority high needs a due date (spec.due)", "a done todo cannot be reopened; create a new one"',
      hint: 'Refusals come from the API server; the front only passes them on.',
      solution: `curl -s -X PATCH -H 'content-type: application/json' localhost:${FRONT_PORT}/todos/milk -d '{"done":true}'`,
    },
    {
      id: 'notifier',
      title: 'Start the notifier',
      commands: ['npm run todo-app -- notifier'],
      needs: 'any',
      run: startNotifier,
      verify: allNotified,
      expected: 'one "changed" line per todo; every todo now has status.notifiedGeneration equal to its generation',
      hint: 'Run it in a third terminal, beside the front.',
      solution: 'npm run todo-app -- notifier',
    },
    {
      id: 'offline',
      title: 'Change a todo while the notifier is down',
      commands: [
        `kubectl patch todo release -n ${ns} --type merge -p '{"spec":{"title":"Ship release 2.0"}}'`,
        'npm run todo-app -- notifier',
      ],
      needs: 'any',
      async run(ctx) {
        await ctx.stopRunning('notifier'); // the attendee's Ctrl-C
        await ctx.sh(`kubectl patch todo release -n ${ns} --type merge -p '{"spec":{"title":"Ship release 2.0"}}'`);
        await startNotifier(ctx);
      },
      async verify(ctx) {
        const release = (await todosApi(ctx).list()).find((t) => t.metadata?.name === 'release');
        if (release?.spec.title !== 'Ship release 2.0') throw new StepFailed('todo release does not have the new title', `kubectl get todo release -n ${ns}`);
        await allNotified(ctx);
      },
      expected: 'after the restart, one "changed" line: release, "Ship release 2.0" — and none for the todos that did not change',
      hint: 'Stop the notifier with Ctrl-C first, then patch, then start it again.',
      solution: `kubectl patch todo release -n ${ns} --type merge -p '{"spec":{"title":"Ship release 2.0"}}'`,
    },
    {
      id: 'reminder',
      title: 'Let the queue remind you',
      commands: [`kubectl apply -n ${ns} -f ${manifests}/overdue-todo.yaml`],
      needs: 'any',
      async verify(ctx) {
        await waitFor(async () => ((await todosApi(ctx).list()).find((t) => t.metadata?.name === 'taxes')?.status?.reminded ? true : undefined),
          () => new StepFailed('todo taxes has no status.reminded', `kubectl get todo taxes -n ${ns} -o yaml`), 30_000);
      },
      expected: 'the notifier prints an "overdue" line for taxes, and its status says reminded: true',
      hint: 'The notifier from the previous step must be running.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/overdue-todo.yaml`,
    },
    {
      id: 'size-limit',
      title: 'Store too much in one todo',
      commands: [
        `node -e "process.stdout.write(JSON.stringify({title: 'Scan of the contract', notes: 'x'.repeat(${BIG_NOTES})}))" | ${curl} --data-binary @-`,
      ],
      needs: 'any',
      async run(ctx) {
        await front(ctx, 'POST', '', { title: 'Scan of the contract', notes: 'x'.repeat(BIG_NOTES) });
      },
      // An attempt that fails stores nothing, so the check can simply try again.
      async verify(ctx) {
        const answer = await front(ctx, 'POST', '', { title: 'Scan of the contract', notes: 'x'.repeat(BIG_NOTES) });
        if (answer.json.error !== 'etcdserver: request is too large') {
          throw new StepFailed(`expected "etcdserver: request is too large", got ${answer.status} ${JSON.stringify(answer.json).slice(0, 200)}`, `kubectl get todos -n ${ns}`);
        }
      },
      expected: '{"error":"etcdserver: request is too large"}',
      hint: 'The JSON body is 1.6 MiB; etcd takes at most 1.5 MiB per request.',
      solution: `node -e "process.stdout.write(JSON.stringify({title: 'Scan of the contract', notes: 'x'.repeat(${BIG_NOTES})}))" | ${curl} --data-binary @-`,
    },
    {
      id: 'queries',
      title: 'Query the todos',
      commands: [
        `kubectl get todos -n ${ns} --field-selector spec.priority=high`,
        `kubectl get todos -n ${ns} --field-selector 'spec.title=Buy milk'`,
      ],
      needs: 'any',
      async run(ctx) {
        await ctx.sh(`kubectl get todos -n ${ns} --field-selector spec.priority=high`);
        await ctx.sh(`kubectl get todos -n ${ns} --field-selector 'spec.title=Buy milk'`).catch(() => ''); // refused, as the lesson shows
      },
      async verify(ctx) {
        const api = todosApi(ctx);
        const high = (await api.list('spec.priority=high')).map((t) => t.metadata?.name).sort();
        if (high.join() !== 'release,taxes') throw new StepFailed(`expected release and taxes, got [${high.join(', ')}]`, `kubectl get todos -n ${ns} --field-selector spec.priority=high`);
        const refused = await api.list('spec.title=Buy milk').then(() => 'accepted', (e: unknown) => refusal(e).message);
        expectRefusal(refused, 'field label not supported: spec.title', `kubectl get crd todos.k8spatterns.com -o jsonpath='{.spec.versions[0].selectableFields}'`);
      },
      expected: 'release and taxes; then Error from server (BadRequest): … field label not supported: spec.title',
      hint: 'Only fields listed under selectableFields in the CRD can be filtered on.',
      solution: `kubectl get todos -n ${ns} --field-selector spec.priority=high`,
    },
    {
      id: 'rbac',
      title: 'Read the todos as someone else',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/reader.yaml`,
        `kubectl get todo taxes -n ${ns} -o yaml --as=system:serviceaccount:${ns}:reader`,
        `kubectl auth can-i get todos -n default --as=system:serviceaccount:${ns}:reader`,
      ],
      needs: 'any',
      async run(ctx) {
        await ctx.sh(`kubectl apply -n ${ns} -f ${manifests}/reader.yaml`);
      },
      async verify(ctx) {
        // Impersonation (--as) asks the API server to decide as if the reader had asked.
        const as = `--as=system:serviceaccount:${ns}:reader`;
        await outputMatches(ctx, `kubectl get todo taxes -n ${ns} ${as} -o jsonpath='{.spec.title}/{.status.reminded}'`, /^File the tax return\/true$/);
        // can-i prints its answer and exits 1 for "no"; the answer is what we want.
        const elsewhere = await ctx.sh(`kubectl auth can-i get todos -n default ${as} || true`);
        if (!/\bno\b/.test(elsewhere)) throw new StepFailed(`the reader should not read todos outside ${ns}, kubectl auth can-i says: ${elsewhere.trim()}`, `kubectl describe rolebinding todo-reader -n ${ns}`);
      },
      expected: 'the whole todo, spec and status, as the reader sees it; then "no" for the namespace default',
      hint: 'The Role and its RoleBinding are namespaced: they grant nothing in other namespaces.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/reader.yaml`,
    },
    {
      id: 'cost',
      title: 'Measure what the watchers cost',
      commands: [`kubectl get --raw /metrics | grep -E '^apiserver_(longrunning_requests|request_total).*resource="todos"|^apiserver_storage_size_bytes'`],
      needs: 'any',
      async verify(ctx) {
        // Every watching client is one long-running request on the API server, for as long as it runs.
        await outputMatches(ctx, `kubectl get --raw /metrics | grep -E '^apiserver_longrunning_requests.*resource="todos".*verb="WATCH"'`, /\s[1-9]\d*$/m);
        // And everything stored, todos included, shares one etcd database file and its quota.
        await outputMatches(ctx, `kubectl get --raw /metrics | grep -E '^apiserver_storage_size_bytes'`, /\s[0-9.e+]+$/m);
      },
      expected: 'a WATCH gauge of at least 1 (the notifier), request counters per verb for todos, and the size of etcd\'s database in bytes',
      hint: 'The metrics endpoint needs the rights of a cluster admin, which the workshop context has.',
      solution: `kubectl get --raw /metrics | grep 'resource="todos"'`,
    },
  ],
};

export default lesson;
