// Status and conditions (§11). Both kinds report the same three conditions on every status write,
// sorted by type, so tools can wait on any of them:
// - ReconciliationSuccessful / ReconciliationFailed: did the last pass get everything written?
//   Failed carries the error text, which is where an app's author reads what to fix.
// - DeploymentsReady: are the Deployments it manages rolled out and available?
// Counts say how many Deployments it manages and how many of those are ready.
import type { V1Deployment } from '@kubernetes/client-node';
import { setCondition, type Condition } from '../runtime/conditions.ts';

/** Rolled out at the current spec and fully available (§11.2). */
export function deploymentReady(d: V1Deployment): boolean {
  const status = d.status ?? {};
  const replicas = d.spec?.replicas ?? 1;
  return (
    (status.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) &&
    Boolean(status.conditions?.some((c) => c.type === 'Available' && c.status === 'True')) &&
    (status.availableReplicas ?? 0) === replicas &&
    (status.updatedReplicas ?? 0) === replicas
  );
}

export interface Counts {
  managedDeployments: number;
  readyDeployments: number;
}

export function countDeployments(deployments: V1Deployment[]): Counts {
  return { managedDeployments: deployments.length, readyDeployments: deployments.filter(deploymentReady).length };
}

const TYPES = ['DeploymentsReady', 'ReconciliationFailed', 'ReconciliationSuccessful'];

/**
 * The three conditions after a pass. `error` is the failure text, if the pass failed. Other
 * condition types (a leftover ReconciliationPartiallySuccessful) are dropped. lastTransitionTime
 * only moves when a condition's status changes, so an unchanged outcome writes nothing.
 */
export function reconcileConditions(
  previous: readonly Condition[] | undefined,
  outcome: { error?: string; deploymentsReady: boolean; notReadyMessage: string },
): Condition[] {
  let conditions = (previous ?? []).filter((c) => TYPES.includes(c.type));
  const { error, deploymentsReady } = outcome;
  conditions = setCondition(conditions, deploymentsReady
    ? { type: 'DeploymentsReady', status: 'True', reason: 'DeploymentsReady', message: error ?? 'All managed deployments ready' }
    : { type: 'DeploymentsReady', status: 'False', reason: 'DeploymentsNotReady', message: error ?? outcome.notReadyMessage });
  conditions = setCondition(conditions, error
    ? { type: 'ReconciliationFailed', status: 'True', reason: 'ReconciliationFailed', message: error }
    : { type: 'ReconciliationFailed', status: 'False', reason: 'ReconciliationNotComplete', message: '' });
  conditions = setCondition(conditions, error
    ? { type: 'ReconciliationSuccessful', status: 'False', reason: 'ReconciliationNotComplete', message: '' }
    : { type: 'ReconciliationSuccessful', status: 'True', reason: 'ReconciliationSucceeded', message: '' });
  return conditions;
}

/**
 * The status after a failed pass: what it said before (counts, generation), with the failure in
 * its conditions. The same failure again is the same status, so retrying it writes nothing.
 */
export function failedStatus<S extends { conditions?: Condition[] }>(status: S | undefined, message: string): S {
  return { ...status, conditions: reconcileConditions(status?.conditions, { error: message, deploymentsReady: false, notReadyMessage: message }) } as S;
}
