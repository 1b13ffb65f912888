// Which steps a cluster can run, decided from its nodes alone: the three ways to run the workshop,
// plus a real node that is not Ready yet.
import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cannotRun, clusterFacts } from './runner.ts';

const node = (name: string, { fake = false, ready = true } = {}): V1Node => ({
  metadata: { name, annotations: fake ? { 'kwok.x-k8s.io/node': 'fake' } : {} },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const fakes = [node('worker-1', { fake: true }), node('worker-2', { fake: true })];
const noContainers = "needs containers: this cluster's nodes are all kwok fakes; start it with `npm run cluster -- up --local --real-node` or use kind";

describe('what a cluster can run', () => {
  it('local control plane with fake nodes only: nothing that needs containers, and it says how to get them', () => {
    const cluster = clusterFacts(fakes);
    expect(cluster).toEqual({ containers: false, cluster: 'local' });
    expect(cannotRun('any', cluster)).toBeUndefined();
    expect(cannotRun('containers', cluster)).toBe(noContainers);
    expect(cannotRun('kind', cluster)).toBe(noContainers); // containers come first: kind steps need them too
  });

  it('local control plane with a Ready real node: containers, but not what only kind brings', () => {
    const cluster = clusterFacts([...fakes, node('real-node')]);
    expect(cluster).toEqual({ containers: true, cluster: 'local' });
    expect(cannotRun('containers', cluster)).toBeUndefined();
    expect(cannotRun('kind', cluster)).toMatch(/^needs kind: /);
  });

  it('a real node that is not Ready yet runs nothing', () => {
    expect(clusterFacts([...fakes, node('real-node', { ready: false })]).containers).toBe(false);
  });

  it('kind: everything', () => {
    const cluster = clusterFacts([node('k8s-patterns-control-plane'), node('k8s-patterns-worker')]);
    expect(cluster).toEqual({ containers: true, cluster: 'kind' });
    expect(cannotRun('kind', cluster)).toBeUndefined();
  });
});
