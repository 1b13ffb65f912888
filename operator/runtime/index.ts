// The runtime's public surface, in reading order: queue, informer, controller, then the helpers a
// reconciler uses, then what runs it all (leader election, health server, manager).
export { WorkQueue, type QueueOptions } from './queue.ts';
export { Informer, keyOf, splitKey, type EventType, type Handler, type InformerOptions, type ResourceType } from './informer.ts';
export { InformerFactory } from './informer-factory.ts';
export { Controller, type ControllerOptions, type Reconcile, type Result, type Source, type Watches } from './controller.ts';
export { findCondition, setCondition, type Condition } from './conditions.ts';
export { addFinalizer, hasFinalizer, removeFinalizer } from './finalizers.ts';
export { recordEvent, type EventRecord } from './events.ts';
export { apply, ownerReference } from './apply.ts';
export { LeaderElector, type LeaderElectionOptions } from './leader-election.ts';
export { Metrics, type ReconcileResult } from './metrics.ts';
export { startHealthServer, type HealthServer, type HealthServerOptions } from './health-server.ts';
export { Manager, type ManagerOptions } from './manager.ts';
export { reuseConnections } from './connection-reuse.ts';
