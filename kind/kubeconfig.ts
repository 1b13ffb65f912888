// The kubeconfig as plain data, read without @kubernetes/client-node: the context guard runs in
// every command, and loading that package only to read a YAML file costs the operator about 60 MB
// of memory. The data has client-node's field names (its Cluster, User and Context types), so a
// client-node KubeConfig fits it as it is, and client-node-config.ts turns it into one.
import type { Cluster, Context, User } from '@kubernetes/client-node';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { load } from 'js-yaml';

export interface KubeconfigData {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string;
}

/** A mapping of the YAML file, in kubectl's field names. */
type Fields = Record<string, unknown>;

/**
 * One kubeconfig's text as data.
 * @param dir the directory relative file paths start from: kubectl takes the file's own
 *   directory. Without it they stay as written (relative to the working directory).
 */
export function parseKubeconfig(text: string, dir?: string): KubeconfigData {
  const doc = (load(text) ?? {}) as Fields; // an empty file is an empty kubeconfig, as in kubectl
  const path = (file: unknown) => (typeof file === 'string' && dir ? resolve(dir, file) : (file as string | undefined));
  const entries = (kind: 'clusters' | 'users' | 'contexts', field: string, required: string[]) =>
    ((doc[kind] ?? []) as Fields[]).map((entry, i) => {
      const fields = (entry[field] ?? {}) as Fields;
      if (!entry.name) throw new Error(`${kind}[${i}].name is missing`);
      for (const name of required) if (!fields[name]) throw new Error(`${kind}[${i}].${field}.${name} is missing`);
      return { name: entry.name as string, fields };
    });
  return {
    clusters: entries('clusters', 'cluster', ['server']).map(({ name, fields: c }) => ({
      name,
      server: (c.server as string).replace(/\/$/, ''),
      caData: c['certificate-authority-data'] as string | undefined,
      caFile: path(c['certificate-authority']),
      skipTLSVerify: c['insecure-skip-tls-verify'] === true,
      tlsServerName: c['tls-server-name'] as string | undefined,
      proxyUrl: c['proxy-url'] as string | undefined,
    })),
    users: entries('users', 'user', []).map(({ name, fields: u }) => ({
      name,
      certData: u['client-certificate-data'] as string | undefined,
      certFile: path(u['client-certificate']),
      keyData: u['client-key-data'] as string | undefined,
      keyFile: path(u['client-key']),
      // A token file is read now, trimmed as kubectl does (a trailing newline is no part of it).
      // kubectl's field is tokenFile; client-node reads "token-file", which kubectl ignores.
      token: (u.token as string | undefined) ?? (u.tokenFile ? readFileSync(path(u.tokenFile)!, 'utf8').trim() : undefined),
      username: u.username as string | undefined,
      password: u.password as string | undefined,
      impersonateUser: u.as as string | undefined,
      authProvider: u['auth-provider'],
      exec: u.exec,
    })),
    contexts: entries('contexts', 'context', ['cluster']).map(({ name, fields: c }) => ({
      name,
      cluster: c.cluster as string,
      user: (c.user as string | undefined) ?? '',
      namespace: c.namespace as string | undefined,
    })),
    currentContext: (doc['current-context'] as string | undefined) ?? '',
  };
}

/** One kubeconfig file, its relative certificate, key and token paths taken from its directory. */
export function readKubeconfig(file: string): KubeconfigData {
  try {
    return parseKubeconfig(readFileSync(file, 'utf8'), dirname(file));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/**
 * The kubeconfig exactly as kubectl reads it, so that the guard checks the context kubectl would
 * use: the files of KUBECONFIG in order (missing ones skipped), or ~/.kube/config when it is unset
 * or empty. The first file that sets current-context wins, and a cluster, user or context defined
 * in several files is the first file's. (client-node's loadFromDefault lets a later file's
 * current-context win and refuses repeated names.)
 */
export function kubectlKubeconfig(env: NodeJS.ProcessEnv = process.env): KubeconfigData {
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  const files = (listed.length ? listed : [join(env.HOME || homedir(), '.kube', 'config')]).filter((file) => existsSync(file));
  const merged: KubeconfigData = { clusters: [], users: [], contexts: [], currentContext: '' };
  const addNew = <T extends { name: string }>(into: T[], items: T[]) => {
    for (const item of items) if (!into.some((known) => known.name === item.name)) into.push(item);
  };
  for (const file of files) {
    const one = readKubeconfig(file);
    addNew(merged.clusters, one.clusters);
    addNew(merged.users, one.users);
    addNew(merged.contexts, one.contexts);
    merged.currentContext ||= one.currentContext;
  }
  return merged;
}

export function contextNamed(data: KubeconfigData, name: string): Context | undefined {
  return data.contexts.find((context) => context.name === name);
}

/** The cluster a context points at (by default the current one), if both exist. */
export function clusterOf(data: KubeconfigData, context = data.currentContext): Cluster | undefined {
  const clusterName = contextNamed(data, context)?.cluster;
  return data.clusters.find((cluster) => cluster.name === clusterName);
}
