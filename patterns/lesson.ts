// The shape of a lesson. Each lesson folder exports one `Lesson` from its steps.ts; the CLI
// (`npm run lesson`), the site and the tests all read that same object, so a step exists once.
import type { KubeConfig } from '@kubernetes/client-node';

/**
 * What a step needs from the cluster. 'any': the API server and its controllers, which are real on
 * every cluster. 'containers': a node where containers really run — kind's, or the real node that
 * `npm run cluster -- up --local --real-node` adds — because only a running container writes a log,
 * serves a page or fails a probe; kwok's fake nodes merely report pods Running and Ready.
 */
export type Needs = 'any' | 'containers';

/**
 * What the attendee types, in order. A string is a command that runs to completion and must
 * succeed. The other forms are what the attendee does with a second terminal, or a command whose
 * failure is the lesson.
 */
export type Command = string | Fails | Program | CtrlC;

/** A command that must fail: the error it prints (an API server's refusal) is what the step shows. */
export interface Fails {
  fails: string;
}

/**
 * A long-running program the attendee starts in a terminal of its own and leaves running: an
 * operator, a web front. The runner starts it exactly as shown, as a process of its own that
 * outlives the CLI, and records it (`npm run lesson -- status`) until a CtrlC, a reset or
 * `cluster down` stops it by PID.
 */
export interface Program {
  /** Names the terminal: `lesson status` lists it, a later CtrlC refers to it. */
  terminal: string;
  start: string;
  /** The log line that says it is ready; the next command waits for it, as the attendee would. */
  ready: RegExp;
}

/** The attendee's Ctrl-C in a terminal a Program started. */
export interface CtrlC {
  stop: string;
}

/** The text a command shows: what the attendee types, in whichever terminal. */
export function commandText(command: Command): string {
  if (typeof command === 'string') return command;
  if ('fails' in command) return command.fails;
  if ('start' in command) return command.start;
  return `# Ctrl-C in the ${command.stop} terminal`;
}

/** What a check may use: it reads the cluster and says what it sees, it never changes anything. */
export interface LessonContext {
  kc: KubeConfig;
  /** The lesson's namespace; every lesson works in its own. */
  namespace: string;
  /** Whether containers really run here: some Ready node is not one of kwok's fakes. */
  containers: boolean;
  /**
   * Runs a command that only reads (kubectl get, kubectl exec … curl) with kubectl pointed at the
   * guarded context, and returns its standard output; throws with its error output if it fails.
   */
  sh(command: string): Promise<string>;
  /**
   * What the step's commands printed, when they ran just before the check in this process; a
   * check that the prose points at ("read the message", "note the port") asserts on it. Undefined
   * for `lesson check`, where the attendee typed the commands: then the check reads the same fact
   * from the cluster.
   */
  output?: string;
  /** Tells the attendee what a check is waiting for ("2/4 pods ready"); repeated text is shown once. */
  progress(text: string): void;
}

export interface Step {
  /** Stable id, used by the CLI (--step), the site's Run/Check buttons and the tests. */
  id: string;
  /** Matches the lesson's `### Step N: <title>` heading. */
  title: string;
  /** Exactly what the attendee types, in order; running the step runs these and nothing else. */
  commands: Command[];
  needs: Needs;
  /**
   * The Deployment (its pods' `app` label) whose rollout these commands start: the runner records
   * its ready pods, old version against new, while they run, for the lesson's chart. Only watches.
   */
  records?: string;
  /**
   * Reads cluster state and returns what it saw when the step worked ("4 pods at VERSION 2.0");
   * throws a StepFailed that says what is wrong and where to look. A check fails within 15 s when
   * the state is plainly wrong (an object missing); only a genuine wait, such as a rollout, takes longer.
   */
  verify(ctx: LessonContext): Promise<string>;
  /** What the attendee should see when it worked. */
  expected: string;
  hint: string;
  solution: string;
}

export interface Lesson {
  id: string;
  /** The NN of patterns/NN-<id>/. */
  number: number;
  title: string;
  /** One sentence: what the attendee can do afterwards. */
  goal: string;
  /** Folder of the lesson, relative to the repository root (commands use paths from there). */
  dir: string;
  steps: Step[];
  /**
   * Cleans up what deleting the lesson namespace cannot: cluster-scoped objects, objects whose
   * finalizers only the lesson's (now stopped) operator would remove, servers outside the cluster.
   * Runs after the lesson's programs were stopped and before the namespace is deleted.
   */
  reset?(ctx: LessonContext): Promise<void>;
  /** What the site shows beside the lesson while it runs against a cluster. */
  live: LiveView;
}

/**
 * The site's live panel and chart for one lesson. The lesson names them because only it knows what
 * it teaches: ReplicaSets where a rollout is the point, EndpointSlices where routing is, the custom
 * resources where an operator is. The panel always adds the namespace's recent Events.
 */
export interface LiveView {
  /** The kinds the panel lists, in this order, each watched in the lesson's namespace. */
  kinds: PanelKind[];
  /** 'rollout': ready pods of the old and new version over time, one chart per step that `records`. */
  chart?: 'rollout';
}

export interface PanelKind {
  apiVersion: string;
  kind: string;
  /** A cluster-scoped kind (a ClowdEnvironment): the panel lists all of them, as `kubectl get` does. */
  clusterScoped?: boolean;
}

/** The built-in kinds lessons show most. */
export const Pods: PanelKind = { apiVersion: 'v1', kind: 'Pod' };
export const Services: PanelKind = { apiVersion: 'v1', kind: 'Service' };
export const ConfigMaps: PanelKind = { apiVersion: 'v1', kind: 'ConfigMap' };
export const Deployments: PanelKind = { apiVersion: 'apps/v1', kind: 'Deployment' };
export const ReplicaSets: PanelKind = { apiVersion: 'apps/v1', kind: 'ReplicaSet' };
export const Jobs: PanelKind = { apiVersion: 'batch/v1', kind: 'Job' };
export const EndpointSlices: PanelKind = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' };

/** A failed check: what is wrong, and the command that shows more. */
export class StepFailed extends Error {
  constructor(problem: string, lookAt: string) {
    super(`${problem}\n  look at: ${lookAt}`);
  }
}
