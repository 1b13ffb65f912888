// A small client for the Kubernetes API: JSON over HTTPS, for any kind, built-in or custom.
// Why not @kubernetes/client-node, the official one? Loading it costs an operator about 60 MB of
// memory (its generated API and models load with it, used or not), more than everything the
// Clowder operator caches for a hundred apps. An operator needs few verbs — read, list, watch,
// create, replace, patch, delete — and they all have the same shape: a path made of the
// object's apiVersion, its kind's plural name, namespace and name. So this file is all of it.
// Objects travel as the API server's plain JSON: timestamps stay strings, as in kubectl's output.
// (client-node's types still describe them; they are erased at run time and cost nothing.)
import type { KubernetesListObject, KubernetesObject, User } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Agent, request } from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeconfigData } from '../../kind/kubeconfig.ts';

/** The API server refused a request; `body` is its Status, whose message names the reason. */
export class ApiStatusError extends Error {
  readonly code: number;
  readonly body: { message?: string; reason?: string };
  constructor(code: number, body: { message?: string; reason?: string }) {
    super(body.message || `HTTP ${code}`);
    this.code = code;
    this.body = body;
  }
}

export type PatchType = 'apply' | 'merge' | 'json';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  apply: 'application/apply-patch+yaml', // server-side apply; JSON is valid YAML
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

export interface WriteOptions {
  /** `status` (or another subresource) instead of the object itself. */
  subresource?: string;
  fieldManager?: string;
  /** Server-side apply only: take over fields another manager owns. */
  force?: boolean;
}

/** How long a request may go without a byte from the server before we give up on it. */
const REQUEST_IDLE_MS = 30_000;

type Query = Record<string, string | number | boolean | undefined>;
interface Resource {
  plural: string;
  namespaced: boolean;
}

export class KubeClient {
  readonly #server: URL;
  readonly #agent: Agent;
  readonly #user: User;
  /** API discovery per apiVersion: which kinds it serves, under which plural names. */
  readonly #resources = new Map<string, Promise<Map<string, Resource>>>();

  /** config: a kubeconfig's content (kind/kubeconfig.ts reads one); a client-node KubeConfig fits too. */
  constructor(config: KubeconfigData) {
    const context = config.contexts.find((c) => c.name === config.currentContext);
    const cluster = config.clusters.find((c) => c.name === context?.cluster);
    const user = config.users.find((u) => u.name === context?.user);
    if (!context || !cluster) throw new Error(`kubeconfig: context "${config.currentContext}" or its cluster is not defined`);
    if (user?.exec || (user?.authProvider && user.authProvider.name !== 'tokenFile')) {
      throw new Error(`kubeconfig: user "${user.name}" gets its credentials from a plug-in, which this client does not run`);
    }
    this.#server = new URL(cluster.server);
    if (this.#server.protocol !== 'https:') throw new Error(`kubeconfig: cluster "${cluster.name}" is not served over https`);
    this.#user = user ?? { name: '' };
    // One agent that keeps its connections open: without it, every request pays a TLS handshake.
    this.#agent = new Agent({
      keepAlive: true,
      ca: pem(cluster.caData, cluster.caFile),
      cert: pem(user?.certData, user?.certFile),
      key: pem(user?.keyData, user?.keyFile),
      rejectUnauthorized: !cluster.skipTLSVerify,
      servername: cluster.tlsServerName,
    });
  }

  /** One request; resolves to the parsed JSON answer, rejects with ApiStatusError on a refusal. */
  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown; contentType?: string } = {}): Promise<T> {
    const response = await this.#send(method, path, { ...options, idleMs: REQUEST_IDLE_MS });
    const body = await readBody(response);
    if ((response.statusCode ?? 500) >= 300) throw new ApiStatusError(response.statusCode ?? 500, body as object);
    return body as T;
  }

  /**
   * Watches a collection: calls onEvent for each event (ADDED, MODIFIED, DELETED, BOOKMARK,
   * ERROR) until the server ends the stream (resolves) or the connection fails (rejects).
   */
  async watch(path: string, query: Query, onEvent: (type: string, object: unknown) => void, signal?: AbortSignal): Promise<void> {
    // A watch may rightly be silent for minutes, but not past the server's own timeout: if no
    // byte came by then, the connection is dead (a peer that vanished sends no FIN).
    const idleMs = (Number(query.timeoutSeconds) || 300) * 1000 + REQUEST_IDLE_MS;
    const response = await this.#send('GET', path, { query: { ...query, watch: true }, signal, idleMs });
    if ((response.statusCode ?? 500) >= 300) throw new ApiStatusError(response.statusCode ?? 500, (await readBody(response)) as object);
    // One JSON object per line.
    for await (const line of createInterface({ input: response, crlfDelay: Infinity })) {
      if (!line) continue;
      const event = JSON.parse(line) as { type: string; object: unknown };
      onEvent(event.type, event.object);
    }
  }

  /** The path of a kind's collection, e.g. /apis/apps/v1/namespaces/shop/deployments. */
  async collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const { plural, namespaced } = await this.#resource(apiVersion, kind);
    const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return namespaced && namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
  }

  read<T extends KubernetesObject>(apiVersion: string, kind: string, name: string, namespace?: string): Promise<T> {
    return this.#at({ apiVersion, kind, metadata: { name, namespace } }).then((path) => this.request<T>('GET', path));
  }

  async list<T extends KubernetesObject>(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubernetesListObject<T>> {
    return this.request('GET', await this.collectionPath(apiVersion, kind, namespace), { query: { labelSelector } });
  }

  async create<T extends KubernetesObject>(object: T, options: WriteOptions = {}): Promise<T> {
    const path = await this.collectionPath(object.apiVersion!, object.kind!, object.metadata?.namespace);
    return this.request('POST', path, { body: object, query: { fieldManager: options.fieldManager } });
  }

  /** PUT: the whole object (or subresource), guarded by its metadata.resourceVersion. */
  async replace<T extends KubernetesObject>(object: T, options: WriteOptions = {}): Promise<T> {
    return this.request('PUT', await this.#at(object, options.subresource), { body: object, query: { fieldManager: options.fieldManager } });
  }

  async patch<T extends KubernetesObject>(ref: ObjectRef, body: unknown, type: PatchType, options: WriteOptions = {}): Promise<T> {
    const query = { fieldManager: options.fieldManager, force: type === 'apply' ? options.force : undefined };
    return this.request('PATCH', await this.#at(ref, options.subresource), { body, contentType: PATCH_CONTENT_TYPES[type], query });
  }

  async delete(ref: ObjectRef, options: { propagationPolicy?: 'Foreground' | 'Background' | 'Orphan' } = {}): Promise<void> {
    await this.request('DELETE', await this.#at(ref), { body: options.propagationPolicy ? { propagationPolicy: options.propagationPolicy } : undefined });
  }

  /** Closes the kept-alive connections, so the process can exit. */
  close(): void {
    this.#agent.destroy();
  }

  async #at(ref: ObjectRef, subresource?: string): Promise<string> {
    const { apiVersion, kind, metadata } = ref;
    if (!apiVersion || !kind || !metadata?.name) throw new Error('an object reference needs apiVersion, kind and metadata.name');
    const path = `${await this.collectionPath(apiVersion, kind, metadata.namespace)}/${encodeURIComponent(metadata.name)}`;
    return subresource ? `${path}/${subresource}` : path;
  }

  async #resource(apiVersion: string, kind: string): Promise<Resource> {
    let found = (await this.#discover(apiVersion, false)).get(kind);
    // A kind missing from what we learnt may be a CRD installed since: ask once more.
    found ??= (await this.#discover(apiVersion, true)).get(kind);
    if (!found) throw new ApiStatusError(404, { reason: 'NotFound', message: `the server does not serve kind ${kind} in ${apiVersion}` });
    return found;
  }

  #discover(apiVersion: string, fresh: boolean): Promise<Map<string, Resource>> {
    let known = this.#resources.get(apiVersion);
    if (!known || fresh) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      known = this.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>('GET', path).then(
        ({ resources }) => new Map(resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }])),
        (error) => {
          if ((error as ApiStatusError).code === 404) return new Map(); // a group not (yet) served
          throw error;
        },
      );
      // A failure is not remembered: the next call asks again.
      known.catch(() => this.#resources.delete(apiVersion));
      this.#resources.set(apiVersion, known);
    }
    return known;
  }

  #send(method: string, path: string, options: { query?: Query; body?: unknown; contentType?: string; signal?: AbortSignal; idleMs: number }) {
    // Appended, not resolved: a server behind a proxy may have a path of its own (https://host/k8s/c1).
    const url = new URL(`${this.#server.href.replace(/\/$/, '')}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const token = this.#token();
    if (token) headers.authorization = `Bearer ${token}`;
    else if (this.#user.username) headers.authorization = `Basic ${Buffer.from(`${this.#user.username}:${this.#user.password ?? ''}`).toString('base64')}`;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.#agent, signal: options.signal }, resolve);
      req.on('error', reject);
      req.setTimeout(options.idleMs, () => req.destroy(new Error(`${method} ${url.pathname}: no answer for ${options.idleMs / 1000} s`)));
      req.end(body);
    });
  }

  /** A token file is read on every request: the kubelet rotates a ServiceAccount's token in place. */
  #token(): string | undefined {
    const file = this.#user.authProvider?.config?.tokenFile as string | undefined;
    return file ? readFileSync(file, 'utf8').trim() : this.#user.token;
  }
}

/** A certificate or key given inline (base64, as in a kubeconfig) or as a file. */
function pem(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  return file ? readFileSync(file) : undefined;
}

/** The answer's JSON; a text answer (a 404 for an unknown path, a proxy's page) becomes a Status-like message. */
async function readBody(response: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if (response.headers['content-type']?.startsWith('application/json')) return JSON.parse(text);
  return { message: text.trim() || `HTTP ${response.statusCode}` };
}
