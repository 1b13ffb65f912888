// For the tests of reading kubeconfigs: a file with one context, its cluster and its user,
// optionally the current one, as kubectl writes them.
import { writeFileSync } from 'node:fs';

export function kubeconfigFile(path: string, context: string, server: string, current?: string): string {
  writeFileSync(path, `apiVersion: v1
kind: Config
clusters: [{ name: ${context}, cluster: { server: '${server}' } }]
users: [{ name: ${context}, user: {} }]
contexts: [{ name: ${context}, context: { cluster: ${context}, user: ${context} } }]
${current ? `current-context: ${current}\n` : ''}`);
  return path;
}
