// Metrics, mode `app-interface`: the same ports and config as `operator`. The only difference,
// the Prometheus address in the env's status, is the env reconcile's business (§3.3).
export { provide } from './operator.ts';
