// Lesson 10, Kubernetes as the backend: business entities (todos) stored as custom resources. The
// API server persists them in etcd, enforces the business rules (CEL in the CRD, an admission
// policy) and broadcasts every change to whoever watches. Two small apps use it: a REST front and
// a notifier. The last steps measure what the approach costs. Every step below is what lesson.md
// shows under the same heading.
import { AdmissionregistrationV1Api, ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { appears, MISSING_AFTER_MS, outputMatches } from '../checks.ts';
import { StepFailed, Deployments, Pods, type Lesson, type LessonContext, type Program } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';
import { waitFor } from '../wait-for.ts';
import { API_VERSION, GROUP, KIND, PLURAL, refusal, VERSION, type Todo } from './app/todo.ts';

const ns = 'k8s-as-backend';
const dir = 'patterns/10-k8s-as-backend';
const manifests = `${dir}/manifests`;
const FRONT_PORT = 3080;
const CRD = 'todos.k8spatterns.com';
const POLICY = 'todo-high-priority-needs-due';
// -w ends each answer with its HTTP status. A refusal is an answer too (422): curl succeeds
// either way, and only the status tells them apart.
const curl = `curl -s -w ' (HTTP %{http_code})\\n' -H 'content-type: application/json' localhost:${FRONT_PORT}/todos`;
const patchTodo = (name: string, body: string) =>
  `curl -s -w ' (HTTP %{http_code})\\n' -X PATCH -H 'content-type: application/json' localhost:${FRONT_PORT}/todos/${name} -d '${body}'`;
/** 1.6 MiB of notes: more than etcd takes in one request (1.5 MiB), less than the API server's 3 MiB. */
const BIG_NOTES = Math.floor(1.6 * 1024 * 1024);
const tooBig = `node -e "process.stdout.write(JSON.stringify({title: 'Scan of the contract', notes: 'x'.repeat(${BIG_NOTES})}))" | ${curl} --data-binary @-`;

// The two apps, each in a terminal of its own until Ctrl-C; app/main.ts prints these lines once
// the front listens and once the notifier's cache is filled.
const front: Program = { terminal: 'front', start: 'npm run todo-app -- front', ready: /^front: serving todos/m };
const notifier: Program = { terminal: 'notifier', start: 'npm run todo-app -- notifier', ready: /^notifier: watching todos/m };

/** The front's answers in what the step's curl commands printed: the JSON, then (HTTP <status>). */
function answers(output: string): { status: number; body: string }[] {
  return [...output.matchAll(/^(.*) \(HTTP (\d{3})\)$/gm)].map((m) => ({ status: Number(m[2]), body: m[1] }));
}

/** The message of an answer `{"error": "..."}`: the API server's words, unescaped. */
function errorOf(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: string }).error ?? body);
  } catch {
    return body;
  }
}

function todosApi(ctx: LessonContext) {
  const api = ctx.kc.makeApiClient(CustomObjectsApi);
  const where = { group: GROUP, version: VERSION, plural: PLURAL, namespace: ns };
  return {
    list: async (fieldSelector?: string) => ((await api.listNamespacedCustomObject({ ...where, fieldSelector })) as { items: Todo[] }).items,
    get: (name: string) => api.getNamespacedCustomObject({ ...where, name }).then((t) => t as Todo, () => undefined),
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

/** A todo, once it exists: a todo missing for some seconds is plainly missing. */
const todo = (ctx: LessonContext, name: string) => appears(ctx, `todo ${name}`, () => todosApi(ctx).get(name), `kubectl get todos -n ${ns}`);

/**
 * Every todo's spec has been reacted to: status.notifiedGeneration caught up with generation. The
 * notifier does that within a second of a change, so still behind after some seconds means it is
 * not running.
 */
async function allNotified(ctx: LessonContext): Promise<string> {
  let todos: Todo[] = [];
  const behind = () => todos.filter((t) => t.status?.notifiedGeneration !== t.metadata?.generation).map((t) => t.metadata!.name!);
  await waitFor(async () => {
    todos = await todosApi(ctx).list();
    if (behind().length) ctx.progress(`waiting for the notifier to react to: ${behind().join(', ')}`);
    return todos.length && !behind().length ? true : undefined;
  }, () => new StepFailed(todos.length ? `the notifier has not reacted to: ${behind().join(', ')}; is it running? (npm run lesson -- status)` : `there are no todos in namespace ${ns}`,
    `kubectl get todos -n ${ns} -o custom-columns=NAME:.metadata.name,GEN:.metadata.generation,NOTIFIED:.status.notifiedGeneration`), MISSING_AFTER_MS);
  return `every todo notified: ${todos.map((t) => `${t.metadata?.name} (generation ${t.metadata?.generation})`).join(', ')}`;
}

const lesson: Lesson = {
  id: ns,
  number: 10,
  title: 'Kubernetes as the Backend',
  goal: 'Store business entities as custom resources with their rules enforced by the API server, react to every change by watching, and judge when a real database is the better choice.',
  dir,
  // The CRD and the policy are cluster-wide, so deleting the namespace leaves them. Deleting the
  // CRD deletes every todo with it; the lesson starts over by creating it again.
  async reset(ctx) {
    const admission = ctx.kc.makeApiClient(AdmissionregistrationV1Api);
    await admission.deleteValidatingAdmissionPolicyBinding({ name: POLICY }).catch(() => undefined);
    await admission.deleteValidatingAdmissionPolicy({ name: POLICY }).catch(() => undefined);
    const extensions = ctx.kc.makeApiClient(ApiextensionsV1Api);
    if (await extensions.deleteCustomResourceDefinition({ name: CRD }).then(() => true, () => false)) {
      await waitFor(() => extensions.readCustomResourceDefinition({ name: CRD }).then(() => undefined, () => true),
        () => new Error(`CRD ${CRD} was not deleted within 60 s`));
    }
  },
  // The application's data is the Todo objects themselves.
  live: { kinds: [{ apiVersion: 'k8spatterns.com/v1', kind: 'Todo' }, Deployments, Pods] },
  steps: [
    namespaceStep(ns),
    {
      id: 'crd',
      title: 'Define the Todo resource',
      commands: [
        `kubectl apply -f ${manifests}/crd.yaml`,
        `kubectl wait --for=condition=Established crd/${CRD} --timeout=60s`,
      ],
      needs: 'any',
      async verify(ctx) {
        await outputMatches(ctx, `kubectl get crd ${CRD} -o jsonpath='{.status.conditions[?(@.type=="Established")].status}'`, /^True$/, MISSING_AFTER_MS);
        const refused = await todosApi(ctx).refusalOf({ title: ' ' });
        expectRefusal(refused, 'a todo needs a title', `kubectl get crd ${CRD} -o yaml`);
        return `CRD ${CRD} is established, and a todo with a blank title is refused: ${refused}`;
      },
      expected: `customresourcedefinition.apiextensions.k8s.io/${CRD} created, then condition met`,
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
          () => new StepFailed(`a high-priority todo without a due date was not refused (${seen})`, 'kubectl get validatingadmissionpolicy,validatingadmissionpolicybinding'), MISSING_AFTER_MS);
        return `a high-priority todo without a due date is refused: ${seen}`;
      },
      expected: `validatingadmissionpolicy.admissionregistration.k8s.io/${POLICY} and validatingadmissionpolicybinding.admissionregistration.k8s.io/${POLICY} created`,
      hint: 'The policy does nothing without its binding; both are in the file.',
      solution: `kubectl apply -f ${manifests}/policy.yaml`,
    },
    {
      id: 'front',
      title: 'Start the REST front',
      commands: [front],
      needs: 'any',
      async verify() {
        const url = `http://127.0.0.1:${FRONT_PORT}/todos`;
        const status = await fetch(url).then((r) => r.status, () => 0);
        if (status !== 200) throw new StepFailed(`GET ${url} answered ${status || 'nothing'}: is the front running? (npm run lesson -- status)`, 'the terminal where you started the front');
        return `GET ${url} answers 200`;
      },
      expected: `front: serving todos of namespace ${ns} on http://127.0.0.1:${FRONT_PORT} (Ctrl-C stops)`,
      hint: 'Leave it running in a second terminal.',
      solution: front.start,
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
      async verify(ctx) {
        if (ctx.output !== undefined) {
          // The answer is the stored object: the defaults the CRD filled in show up in it.
          const milk = answers(ctx.output).find((a) => a.body.includes('"name":"milk"'));
          if (milk?.status !== 201 || !milk.body.includes('"priority":"normal"') || !milk.body.includes('"done":false')) {
            throw new StepFailed(`expected the front to answer 201 with the stored todo milk, defaults included; it answered: ${milk ? `${milk.body} (HTTP ${milk.status})` : 'nothing for milk'}`, 'the front\'s terminal');
          }
        }
        const todos = await todosApi(ctx).list();
        const names = todos.map((t) => t.metadata?.name);
        if (!names.includes('milk') || !names.includes('release')) throw new StepFailed(`expected the todos milk and release, found [${names.join(', ')}]`, `kubectl get todos -n ${ns}`);
        return `the API server stores the todos [${todos.map((t) => `${t.metadata?.name}: ${t.spec.title}`).join(', ')}]${ctx.output !== undefined ? ', and the front answered with them, priority normal and done false filled in' : ''}`;
      },
      expected: 'two JSON answers (HTTP 201) with priority and done filled in by the CRD\'s defaults; kubectl lists the same two todos',
      hint: 'The front stores nothing itself: what kubectl shows is the only copy.',
      solution: `${curl} -d '{"name":"milk","title":"Buy milk"}'`,
    },
    {
      id: 'rules',
      title: 'Break the rules',
      commands: [
        `${curl} -d '{"title":"  "}'`,
        `${curl} -d '{"title":"Fix prod","priority":"high"}'`,
        patchTodo('milk', '{"done":true}'),
        patchTodo('milk', '{"done":false}'),
      ],
      needs: 'any',
      async verify(ctx) {
        const api = todosApi(ctx);
        const rules = [
          'spec.title: Invalid value: "string": a todo needs a title',
          `ValidatingAdmissionPolicy '${POLICY}' with binding '${POLICY}' denied request: a todo with priority high needs a due date (spec.due)`,
          'spec.done: Invalid value: "boolean": a done todo cannot be reopened; create a new one',
        ];
        const lookAt = `kubectl get crd ${CRD} -o yaml; kubectl get validatingadmissionpolicy ${POLICY} -o yaml`;
        if (ctx.output !== undefined) {
          // What the front passed on from the API server: the messages this step is about.
          const refused = answers(ctx.output).filter((a) => a.status === 422).map((a) => errorOf(a.body)).join('\n');
          for (const rule of rules) expectRefusal(refused, rule, lookAt);
        } else {
          expectRefusal(await api.refusalOf({ title: '  ' }), rules[0], lookAt);
          expectRefusal(await api.refusalOf({ title: 'Fix prod', priority: 'high' }), rules[1], lookAt);
          expectRefusal(await api.reopenRefusal('milk'), rules[2], lookAt);
        }
        const milk = await todo(ctx, 'milk');
        if (!milk.spec.done) throw new StepFailed('todo milk should be done (and stay done)', `kubectl get todo milk -n ${ns} -o yaml`);
        const stored = (await api.list()).filter((t) => ['  ', 'Fix prod'].includes(t.spec.title)).map((t) => t.metadata?.name);
        if (stored.length) throw new StepFailed(`a refused todo was stored after all: ${stored.join(', ')}`, `kubectl get todos -n ${ns}`);
        return 'three refusals (HTTP 422), each naming its rule; nothing refused was stored, and milk is done';
      },
      expected: 'three refusals with status 422, each naming its rule: "a todo needs a title", "…denied request: a todo with priority high needs a due date (spec.due)", "a done todo cannot be reopened; create a new one"',
      hint: 'Refusals come from the API server; the front only passes them on.',
      solution: patchTodo('milk', '{"done":true}'),
    },
    {
      id: 'notifier',
      title: 'Start the notifier',
      commands: [notifier],
      needs: 'any',
      verify: allNotified,
      expected: 'one "changed" line per todo; every todo now has status.notifiedGeneration equal to its generation',
      hint: 'Run it in a third terminal, beside the front.',
      solution: notifier.start,
    },
    {
      id: 'offline',
      title: 'Change a todo while the notifier is down',
      commands: [
        { stop: notifier.terminal },
        `kubectl patch todo release -n ${ns} --type merge -p '{"spec":{"title":"Ship release 2.0"}}'`,
        notifier,
      ],
      needs: 'any',
      async verify(ctx) {
        const release = await todo(ctx, 'release');
        if (release.spec.title !== 'Ship release 2.0') throw new StepFailed(`todo release is titled "${release.spec.title}", not "Ship release 2.0"`, `kubectl get todo release -n ${ns}`);
        return `release is titled "Ship release 2.0"; ${await allNotified(ctx)}`;
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
        await todo(ctx, 'taxes');
        // The todo is long overdue: the notifier's queue hands it back at once, within seconds.
        await waitFor(async () => {
          const reminded = (await todosApi(ctx).get('taxes'))?.status?.reminded;
          if (!reminded) ctx.progress('waiting for the notifier to remind of taxes (status.reminded)');
          return reminded ? true : undefined;
        }, () => new StepFailed('todo taxes has no status.reminded: is the notifier running? (npm run lesson -- status)', `kubectl get todo taxes -n ${ns} -o yaml`), MISSING_AFTER_MS);
        return 'todo taxes was overdue, and its status says reminded: true';
      },
      expected: 'todo.k8spatterns.com/taxes created; the notifier prints an "overdue" line for taxes, and its status says reminded: true',
      hint: 'The notifier from the previous step must be running.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/overdue-todo.yaml`,
    },
    {
      id: 'size-limit',
      title: 'Store too much in one todo',
      commands: [tooBig],
      needs: 'any',
      async verify(ctx) {
        if (ctx.output !== undefined && !ctx.output.includes('"error":"etcdserver: request is too large"')) {
          throw new StepFailed(`expected the front to answer {"error":"etcdserver: request is too large"}, it answered: ${ctx.output.trim().slice(0, 200)}`, 'the front\'s terminal');
        }
        const stored = (await todosApi(ctx).list()).filter((t) => t.spec.title === 'Scan of the contract');
        if (stored.length) throw new StepFailed(`the big todo was stored after all: ${stored.map((t) => t.metadata?.name).join(', ')}`, `kubectl get todos -n ${ns}`);
        return `${ctx.output !== undefined ? 'refused with "etcdserver: request is too large"; ' : ''}no todo "Scan of the contract" was stored`;
      },
      expected: '{"error":"etcdserver: request is too large"} (HTTP 500)',
      hint: 'The JSON body is 1.6 MiB; etcd takes at most 1.5 MiB per request.',
      solution: tooBig,
    },
    {
      id: 'queries',
      title: 'Query the todos',
      commands: [
        `kubectl get todos -n ${ns} --field-selector spec.priority=high`,
        { fails: `kubectl get todos -n ${ns} --field-selector 'spec.title=Buy milk'` },
      ],
      needs: 'any',
      async verify(ctx) {
        const api = todosApi(ctx);
        const high = (await api.list('spec.priority=high')).map((t) => t.metadata?.name).sort();
        if (high.join() !== 'release,taxes') throw new StepFailed(`expected release and taxes, got [${high.join(', ')}]`, `kubectl get todos -n ${ns} --field-selector spec.priority=high`);
        const refused = ctx.output ?? await api.list('spec.title=Buy milk').then(() => 'accepted', (e: unknown) => refusal(e).message);
        expectRefusal(refused, 'field label not supported: spec.title', `kubectl get crd ${CRD} -o jsonpath='{.spec.versions[0].selectableFields}'`);
        return `spec.priority=high selects [${high.join(', ')}]; spec.title is refused: field label not supported`;
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
        // can-i prints its answer and exits 1 for "no".
        { fails: `kubectl auth can-i get todos -n default --as=system:serviceaccount:${ns}:reader` },
      ],
      needs: 'any',
      async verify(ctx) {
        // Impersonation (--as) asks the API server to decide as if the reader had asked.
        const as = `--as=system:serviceaccount:${ns}:reader`;
        const seen = await outputMatches(ctx, `kubectl get todo taxes -n ${ns} ${as} -o jsonpath='{.spec.title}/{.status.reminded}'`, /^File the tax return\/true$/, MISSING_AFTER_MS);
        const elsewhere = ctx.output ?? await ctx.sh(`kubectl auth can-i get todos -n default ${as} || true`);
        if (!/^no$/m.test(elsewhere)) throw new StepFailed(`the reader should not read todos outside ${ns}, kubectl auth can-i says: ${elsewhere.trim().split('\n').at(-1)}`, `kubectl describe rolebinding todo-reader -n ${ns}`);
        return `the reader reads taxes (${seen}) in ${ns}, and may not get todos in default`;
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
        const metrics = ctx.output ?? await ctx.sh(`kubectl get --raw /metrics | grep -E '^apiserver_(longrunning_requests|request_total).*resource="todos"|^apiserver_storage_size_bytes'`);
        const lookAt = 'kubectl get --raw /metrics | grep -E \'resource="todos"|apiserver_storage_size_bytes\'';
        // Every watching client is one long-running request on the API server, for as long as it
        // runs. The notifier watches one namespace (scope="namespace").
        const watches = [...metrics.matchAll(/^apiserver_longrunning_requests\{(.*)\} (\d+)$/gm)]
          .filter((m) => ['resource="todos"', 'verb="WATCH"', 'scope="namespace"'].every((label) => m[1].includes(label)))
          .reduce((sum, m) => sum + Number(m[2]), 0);
        if (watches < 1) throw new StepFailed('expected at least one WATCH on the todos of a namespace (the notifier), found none', lookAt);
        // And everything stored, todos included, shares one etcd database file and its quota.
        const bytes = /^apiserver_storage_size_bytes\{.*\} ([0-9.e+]+)$/m.exec(metrics)?.[1];
        if (!bytes) throw new StepFailed('the API server reports no apiserver_storage_size_bytes', lookAt);
        return `${watches} WATCH request(s) on the todos of a namespace held open (the notifier's); etcd's database is ${Math.round(Number(bytes) / 1024 / 1024)} MiB`;
      },
      expected: 'a WATCH gauge of at least 1 (the notifier), request counters per verb for todos, and the size of etcd\'s database in bytes',
      hint: 'The metrics endpoint needs the rights of a cluster admin, which the workshop context has.',
      solution: `kubectl get --raw /metrics | grep 'resource="todos"'`,
    },
  ],
};

export default lesson;
