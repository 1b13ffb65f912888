// The REST front: the one piece a classic microservice would have in front of its database. It
// turns HTTP into API calls and does nothing else: no validation (the API server applies the
// CRD's rules and the admission policy), no storage, no message broker. It answers only after the
// API server has accepted and persisted the change: the response is the stored object.
import type { KubernetesListObject } from '@kubernetes/client-node';
import express, { type Request, type Response } from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { API_VERSION, KIND, refusal, type Todo } from './todo.ts';

export interface FrontOptions {
  client: KubeClient;
  namespace: string;
  /** On 127.0.0.1; 0 picks a free port. */
  port?: number;
}

export interface Front {
  url: string;
  close(): Promise<void>;
}

/** What the front shows of a Todo: its name (the id) and its spec, not Kubernetes' bookkeeping. */
function view(todo: Todo) {
  const { notes, ...spec } = todo.spec;
  return { name: todo.metadata?.name, ...spec, ...(notes ? { notesLength: notes.length } : {}), notified: todo.status?.notifiedGeneration === todo.metadata?.generation };
}

export async function startFront(options: FrontOptions): Promise<Front> {
  const { client, namespace } = options;
  const app = express();
  // The API server, not the front, decides what is too big: let bodies through up to its 3 MiB.
  app.use(express.json({ limit: '4mb' }));

  /** Runs an API call and answers with its result, or with the API server's refusal. */
  const answer = (status: number, call: (req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      res.status(status).json(await call(req));
    } catch (error) {
      const { status: code, message } = refusal(error);
      res.status(code).json({ error: message });
    }
  };

  // GET /todos?priority=high&done=false: the filters become a field selector, which works only
  // because the CRD declares these two fields selectable. Anything else cannot be filtered by the
  // server: no "title contains", no sorting, no joins.
  app.get('/todos', answer(200, async (req) => {
    const filters = (['priority', 'done'] as const).filter((f) => typeof req.query[f] === 'string').map((f) => `spec.${f}=${req.query[f]}`);
    // The LIST spelled out, as client.list() takes no field selector: GET /apis/k8spatterns.com/v1/namespaces/<ns>/todos.
    const path = await client.collectionPath(API_VERSION, KIND, namespace);
    const list = await client.request<KubernetesListObject<Todo>>('GET', path, { query: { fieldSelector: filters.join(',') || undefined } });
    return list.items.map(view);
  }));

  // POST /todos {name?, title, priority?, due?, notes?}: without a name, the API server picks a
  // unique one (generateName), like an id column.
  app.post('/todos', answer(201, async (req) => {
    const { name, title, priority, due, notes } = req.body ?? {};
    const metadata = name ? { name, namespace } : { generateName: 'todo-', namespace };
    return view(await client.create<Todo>({ apiVersion: API_VERSION, kind: KIND, metadata, spec: { title, priority, due, notes } }));
  }));

  // PATCH /todos/:name {done?, title?, priority?, due?}: a merge patch of the spec. No read before
  // the write: the rules (such as "done is final") are checked by the API server against the stored object.
  app.patch('/todos/:name', answer(200, async (req) => {
    const { title, priority, done, due } = req.body ?? {};
    const todo = { apiVersion: API_VERSION, kind: KIND, metadata: { name: String(req.params.name), namespace } };
    return view(await client.patch<Todo>(todo, { spec: { title, priority, done, due } }, 'merge'));
  }));

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
