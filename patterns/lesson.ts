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

export interface LessonContext {
  kc: KubeConfig;
  /** The lesson's namespace; every lesson works in its own. */
  namespace: string;
  /** Whether containers really run here: some Ready node is not one of kwok's fakes. */
  containers: boolean;
  /**
   * Runs the step's commands exactly as shown to the attendee, with kubectl pointed at the
   * guarded context. Returns their standard output.
   */
  sh(command: string): Promise<string>;
  /**
   * Keeps a program running for the rest of the lesson run — what the attendee starts in a
   * second terminal, such as an operator. `start` launches it and returns how to stop it; the
   * runner stops everything when the run ends. Starting a name that is already running does nothing.
   */
  keepRunning(name: string, start: () => Promise<() => Promise<void>>): Promise<void>;
  /** Stops what keepRunning started under this name (the attendee's Ctrl-C); nothing if it is not running. */
  stopRunning(name: string): Promise<void>;
}

export interface Step {
  /** Stable id, used by the CLI (--step), the site's Run/Check buttons and the tests. */
  id: string;
  /** Matches the lesson's `### Step N: <title>` heading. */
  title: string;
  /** Exactly what the attendee types, in order. */
  commands: string[];
  needs: Needs;
  /** Does what the step teaches. The default runs `commands`. */
  run?(ctx: LessonContext): Promise<void>;
  /** Reads cluster state; throws a StepFailed that says what is wrong and where to look. */
  verify(ctx: LessonContext): Promise<void>;
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
   * Cleans up what deleting the lesson namespace cannot: cluster-scoped objects, and objects whose
   * finalizers need the lesson's operator running to go away. Runs before the namespace is deleted.
   */
  reset?(ctx: LessonContext): Promise<void>;
}

/** A failed check: what is wrong, and the command that shows more. */
export class StepFailed extends Error {
  constructor(problem: string, lookAt: string) {
    super(`${problem}\n  look at: ${lookAt}`);
  }
}
