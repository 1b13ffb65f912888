// Whether containers run, decided from the nodes alone: the three ways to run the workshop, plus a
// real node that is not Ready yet.
import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { cannotRun, nodesRunContainers } from './runner.ts';

const node = (name: string, { fake = false, ready = true } = {}): V1Node => ({
  metadata: { name, annotations: fake ? { 'kwok.x-k8s.io/node': 'fake' } : {} },
  status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const fakes = [node('worker-1', { fake: true }), node('worker-2', { fake: true })];

describe('whether containers run', () => {
  it('not on the local control plane with fake nodes only, and a step that needs them says how to get them', () => {
    expect(nodesRunContainers(fakes)).toBe(false);
    expect(cannotRun('any', false)).toBeUndefined();
    expect(cannotRun('containers', false)).toBe(
      "needs containers: this cluster's nodes are all kwok fakes; start it with `npm run cluster -- up --local --real-node` or use kind");
  });

  it('beside a Ready real node, and then every step can run', () => {
    expect(nodesRunContainers([...fakes, node('workshop-node')])).toBe(true);
    expect(cannotRun('containers', true)).toBeUndefined();
  });

  it('not yet while the real node is not Ready', () => {
    expect(nodesRunContainers([...fakes, node('workshop-node', { ready: false })])).toBe(false);
  });

  it('on kind, whose nodes are all real', () => {
    expect(nodesRunContainers([node('k8s-patterns-control-plane'), node('k8s-patterns-worker')])).toBe(true);
  });
});
