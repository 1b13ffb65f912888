// Requests through a KubeConfig with reuseConnections still succeed against the real API server,
// and all of them are handed the same undici Agent (the object that owns the open connections).
import { CoreV1Api, KubeConfig, type RequestContext } from '@kubernetes/client-node';
import { inject, expect, it } from 'vitest';
import { reuseConnections } from './connection-reuse.ts';

class RecordingKubeConfig extends KubeConfig {
  readonly requests: RequestContext[] = [];
  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.requests.push(context);
    return super.applySecurityAuthentication(context);
  }
}

it('sends every request of one KubeConfig through the same Agent', async () => {
  const kc = new RecordingKubeConfig();
  kc.loadFromFile(inject('kubeconfig'));
  reuseConnections(reuseConnections(kc)); // applying it twice changes nothing more
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 3; i++) await core.readNamespace({ name: 'default' });
  const agents = new Set(kc.requests.map((c) => c.getDispatcher()));
  expect(kc.requests).toHaveLength(3);
  expect(agents.size).toBe(1);
});
