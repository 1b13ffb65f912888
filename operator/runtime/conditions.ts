// Status conditions are how a controller tells people (and other tools: kubectl wait, Argo CD)
// what it concluded. The conventions come from the Kubernetes API guidelines:
// - one entry per type ("Ready"), with status True, False or Unknown, a CamelCase reason for
//   machines and a sentence for people;
// - lastTransitionTime changes only when status changes, so it answers "since when?";
// - observedGeneration says which spec the condition is about, so a reader can tell a stale
//   "Ready" (about the previous spec) from a fresh one.

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/**
 * Returns a copy of conditions with next set. When nothing but the time would change, the
 * result equals the input: a reconcile that finds the world as expected then writes nothing.
 * Sorted by type, code unit by code unit: localeCompare would load ICU's collation data (3 MB).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date = new Date(),
): Condition[] {
  const current = conditions?.find((c) => c.type === next.type);
  const lastTransitionTime =
    current && current.status === next.status ? current.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
  const updated: Condition = { ...next, lastTransitionTime };
  return [...(conditions ?? []).filter((c) => c.type !== next.type), updated].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

export function findCondition(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
