// The one line a reconcile pass leaves in the operator's log.
import { describe, expect, it } from 'vitest';
import { Outcome } from './outcome.ts';

describe('Outcome', () => {
  it('lists what was created, updated and deleted, in that order', () => {
    const outcome = new Outcome()
      .add('updated', { kind: 'Deployment', metadata: { name: 'web' } }, 'restarted')
      .add('created', { kind: 'Service', metadata: { name: 'web' } })
      .add(undefined, { kind: 'Secret', metadata: { name: 'unchanged' } })
      .add('updated', 'status', 'Ready')
      .add('deleted', { kind: 'Service', metadata: { name: 'old' } });
    expect(outcome.changed).toBe(true);
    expect(String(outcome)).toBe('created Service web; updated Deployment web (restarted), status (Ready); deleted Service old');
  });

  it('says unchanged when nothing was written, and why when it failed', () => {
    expect(String(new Outcome().add(undefined, 'status'))).toBe('unchanged');
    expect(new Outcome().changed).toBe(false);
    expect(String(new Outcome().fail('ConfigMap web-config does not exist'))).toBe('failed: ConfigMap web-config does not exist');
  });
});
