// The write decision of ObjectWriter: "does the live object already hold what we want?"
import { describe, expect, it } from 'vitest';
import { covers, sameQuantity } from './object-writer.ts';

describe('covers', () => {
  it.each([
    ['extra fields added by the server', { spec: { type: 'ClusterIP', clusterIP: '10.0.0.1' } }, { spec: { type: 'ClusterIP' } }, true],
    ['a changed value', { spec: { replicas: 0 } }, { spec: { replicas: 2 } }, false],
    ['list order matters', { ports: [{ name: 'b' }, { name: 'a' }] }, { ports: [{ name: 'a' }, { name: 'b' }] }, false],
    ['an extra list item is a difference', { env: [{ name: 'A' }, { name: 'B' }] }, { env: [{ name: 'A' }] }, false],
    ['empty values match omitted fields', { spec: {} }, { spec: { ports: [], suspend: false, labels: {} } }, true],
    ['a canonicalized quantity', { resources: { limits: { memory: '1Gi' } } }, { resources: { limits: { memory: '1024Mi' } } }, true],
    ['a different quantity', { resources: { limits: { memory: '1Gi' } } }, { resources: { limits: { memory: '1000Mi' } } }, false],
    ['quantity rules stay inside resources', { env: [{ name: 'X', value: '1' }] }, { env: [{ name: 'X', value: '1000m' }] }, false],
  ])('%s', (_name, live, desired, expected) => {
    expect(covers(live, desired)).toBe(expected);
  });
});

describe('sameQuantity', () => {
  it.each([
    ['1Gi', '1024Mi', true],
    ['500m', '0.5', true],
    ['1k', '1000', true],
    ['1Ki', '1000', false],
    ['25%', '25%', false], // not a quantity: the caller compares such strings verbatim
  ])('%s = %s: %s', (a, b, expected) => {
    expect(sameQuantity(a, b)).toBe(expected);
  });
});
