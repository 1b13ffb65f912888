// Two candidates for one Lease on the real API server, with short durations so the test is quick.
import { CoordinationV1Api, V1MicroTime } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testKubeConfig, testNamespace, waitFor } from '../../test/cluster.ts';
import { KubeClient } from './kube-client.ts';
import { LeaderElector } from './leader-election.ts';

const kc = testKubeConfig();
const client = new KubeClient(kc);
const leases = kc.makeApiClient(CoordinationV1Api);
let ns: Awaited<ReturnType<typeof testNamespace>>;
beforeAll(async () => (ns = await testNamespace(kc, 'leader')));
afterAll(() => ns.remove());

const candidate = (identity: string, name: string) =>
  new LeaderElector(client, { namespace: ns.name, name, identity, leaseDurationSeconds: 2, retryMs: 200 });

describe('LeaderElector', () => {
  it('elects one leader; the other takes over as soon as the leader releases the lease', async () => {
    const a = candidate('a', 'handover');
    const b = candidate('b', 'handover');
    expect(await a.acquire(() => {})).toBe(true);
    const bLeads = b.acquire(() => {});
    await new Promise((r) => setTimeout(r, 1000)); // several of b's attempts, all refused
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    await a.release();
    expect(await bLeads).toBe(true);
    const lease = await leases.readNamespacedLease({ name: 'handover', namespace: ns.name });
    expect(lease.spec?.holderIdentity).toBe('b');
    expect(lease.spec?.leaseTransitions).toBe(0); // a released it: an empty holder is not a transition
    await b.release();
  });

  it('takes over a lease whose holder stopped renewing (a crashed leader)', async () => {
    const now = new V1MicroTime();
    await leases.createNamespacedLease({
      namespace: ns.name,
      body: { metadata: { name: 'crashed' }, spec: { holderIdentity: 'gone', leaseDurationSeconds: 2, acquireTime: now, renewTime: now } },
    });
    const b = candidate('b', 'crashed');
    expect(await b.acquire(() => {})).toBe(true);
    const lease = await leases.readNamespacedLease({ name: 'crashed', namespace: ns.name });
    expect(lease.spec?.holderIdentity).toBe('b');
    expect(lease.spec?.leaseTransitions).toBe(1);
    await b.release();
  });

  it('an option given as undefined (an unset environment variable) takes the default', async () => {
    const a = new LeaderElector(client, { namespace: ns.name, name: 'defaults', identity: 'a', leaseDurationSeconds: undefined, retryMs: undefined });
    expect(await a.acquire(() => {})).toBe(true);
    expect((await leases.readNamespacedLease({ name: 'defaults', namespace: ns.name })).spec?.leaseDurationSeconds).toBe(6);
    await a.release();
  });

  it('a candidate that is stopped before it leads gives up without writing', async () => {
    const a = candidate('a', 'busy');
    await a.acquire(() => {});
    const b = candidate('b', 'busy');
    const bLeads = b.acquire(() => {});
    await b.release();
    expect(await bLeads).toBe(false);
    await a.release();
  });

  it('a leader that finds someone else in the lease stops leading at once', async () => {
    const a = candidate('a', 'usurped');
    let lost = false;
    await a.acquire(() => (lost = true));
    const lease = await leases.readNamespacedLease({ name: 'usurped', namespace: ns.name });
    await leases.replaceNamespacedLease({ name: 'usurped', namespace: ns.name, body: { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder' } } });
    await waitFor('a to notice', async () => (lost ? true : undefined));
    expect(a.isLeader).toBe(false);
    await a.release(); // not the holder: must leave the intruder's lease alone
    expect((await leases.readNamespacedLease({ name: 'usurped', namespace: ns.name })).spec?.holderIdentity).toBe('intruder');
  });
});
