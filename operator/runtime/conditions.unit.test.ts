import { describe, expect, it } from 'vitest';
import { setCondition, type Condition } from './conditions.ts';

const ready = (status: Condition['status'], reason: string) =>
  ({ type: 'Ready', status, reason, message: reason, observedGeneration: 1 }) as const;

describe('setCondition', () => {
  it('stamps the time when a condition appears', () => {
    const now = new Date('2026-01-01T10:00:00.123Z');
    expect(setCondition(undefined, ready('True', 'UpToDate'), now)).toEqual([
      { ...ready('True', 'UpToDate'), lastTransitionTime: '2026-01-01T10:00:00Z' },
    ]);
  });

  it('keeps lastTransitionTime while the status stays the same, even if the reason changes', () => {
    const first = setCondition(undefined, ready('False', 'ConfigMapMissing'), new Date('2026-01-01T10:00:00Z'));
    const later = setCondition(first, ready('False', 'NoSelector'), new Date('2026-01-01T11:00:00Z'));
    expect(later[0].lastTransitionTime).toBe('2026-01-01T10:00:00Z');
    expect(later[0].reason).toBe('NoSelector');
  });

  it('moves lastTransitionTime when the status changes', () => {
    const first = setCondition(undefined, ready('False', 'ConfigMapMissing'), new Date('2026-01-01T10:00:00Z'));
    const later = setCondition(first, ready('True', 'UpToDate'), new Date('2026-01-01T11:00:00Z'));
    expect(later[0].lastTransitionTime).toBe('2026-01-01T11:00:00Z');
  });

  it('returns an equal list when nothing changes, so the caller can skip the write', () => {
    const first = setCondition(undefined, ready('True', 'UpToDate'), new Date('2026-01-01T10:00:00Z'));
    expect(setCondition(first, ready('True', 'UpToDate'), new Date('2026-01-02T00:00:00Z'))).toEqual(first);
  });
});
