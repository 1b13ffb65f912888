// Lesson 1, declarative deployment: we describe the version we want and Kubernetes works out
// the steps to get there — rolling, recreating, or (with two Deployments and a Service) blue-green
// and canary. Every step below is what lesson.md shows under the same heading.
import { AppsV1Api } from '@kubernetes/client-node';
import { deploymentRolledOut, envOf, readyPods, serviceRoutesTo } from '../checks.ts';
import { StepFailed, Deployments, Pods, ReplicaSets, Services, type Lesson, type LessonContext } from '../lesson.ts';
import { namespaceStep } from '../namespace-step.ts';

const ns = 'declarative-deployment';
const manifests = 'patterns/01-declarative-deployment/manifests';

/** Every ready pod of `selector` runs `version`, and there are `count` of them. */
async function allRunVersion(ctx: LessonContext, selector: string, version: string, count: number): Promise<string> {
  const pods = await readyPods(ctx, selector);
  const versions = pods.map((p) => envOf(p, 'VERSION'));
  if (pods.length !== count || versions.some((v) => v !== version)) {
    throw new StepFailed(
      `expected ${count} ready pods with ${selector} at VERSION ${version}, found [${versions.join(', ')}]`,
      `kubectl get pods -n ${ns} -l ${selector} -o custom-columns=NAME:.metadata.name,VERSION:.spec.containers[0].env[0].value`);
  }
  return `${count} ready pods with ${selector}, all at VERSION ${version}`;
}

const lesson: Lesson = {
  id: ns,
  number: 1,
  title: 'Declarative Deployment',
  goal: 'Update an application without downtime using rolling, recreate, blue-green and canary releases, and roll back.',
  dir: 'patterns/01-declarative-deployment',
  // The rollout is the lesson: ReplicaSets growing and shrinking, and the chart of ready pods.
  live: { kinds: [Deployments, ReplicaSets, Pods, Services], chart: 'rollout' },
  steps: [
    namespaceStep(ns),
    {
      id: 'rolling-deploy',
      title: 'Deploy with the rolling update strategy',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/rolling-update.yaml`,
        `kubectl rollout status deployment/rolling -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'rolling');
        return allRunVersion(ctx, 'app=rolling', '1.0', 4);
      },
      expected: 'deployment "rolling" successfully rolled out, with 4 pods at version 1.0',
      hint: 'Apply the manifest into the lesson namespace with -n.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/rolling-update.yaml`,
    },
    {
      id: 'rolling-update',
      title: 'Roll out version 2.0',
      commands: [
        `kubectl set env deployment/rolling -n ${ns} VERSION=2.0`,
        `kubectl rollout status deployment/rolling -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      records: 'rolling',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'rolling');
        await allRunVersion(ctx, 'app=rolling', '2.0', 4);
        // The old ReplicaSet is kept, scaled to zero: it is the history that makes undo possible.
        const sets = await ctx.kc.makeApiClient(AppsV1Api).listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=rolling' });
        const old = sets.items.filter((rs) => rs.spec?.template?.spec?.containers[0].env?.[0]?.value === '1.0');
        if (old.length !== 1 || old[0].spec?.replicas !== 0) {
          throw new StepFailed('the version 1.0 ReplicaSet should still exist with 0 replicas', `kubectl get replicasets -n ${ns} -l app=rolling`);
        }
        return `4 pods at VERSION 2.0; the VERSION 1.0 ReplicaSet ${old[0].metadata?.name} is kept with 0 replicas`;
      },
      expected: 'a second ReplicaSet grows while the first shrinks; in the end 4 pods run version 2.0 and the old ReplicaSet has 0 replicas',
      hint: 'Changing anything in the pod template — here an env var — creates a new ReplicaSet.',
      solution: `kubectl set env deployment/rolling -n ${ns} VERSION=2.0`,
    },
    {
      id: 'rollback',
      title: 'Roll back with the revision history',
      commands: [
        `kubectl rollout history deployment/rolling -n ${ns}`,
        `kubectl rollout undo deployment/rolling -n ${ns}`,
        `kubectl rollout status deployment/rolling -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'rolling');
        return allRunVersion(ctx, 'app=rolling', '1.0', 4);
      },
      expected: 'revisions 1 and 2 in the history; after the undo, 4 pods at version 1.0 again (now revision 3)',
      hint: 'rollout undo goes back one revision unless you give --to-revision.',
      solution: `kubectl rollout undo deployment/rolling -n ${ns}`,
    },
    {
      id: 'recreate',
      title: 'Update with the Recreate strategy',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/recreate.yaml`,
        `kubectl rollout status deployment/recreate -n ${ns} --timeout=2m`,
        `kubectl set env deployment/recreate -n ${ns} VERSION=2.0`,
        `kubectl rollout status deployment/recreate -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      records: 'recreate',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'recreate');
        return allRunVersion(ctx, 'app=recreate', '2.0', 3);
      },
      expected: 'all three version 1.0 pods terminate first; only then do three version 2.0 pods start',
      hint: 'The strategy type is Recreate; the update itself is the same set env as before.',
      solution: `kubectl set env deployment/recreate -n ${ns} VERSION=2.0`,
    },
    {
      id: 'blue-green',
      title: 'Run blue and green side by side',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/blue-green.yaml`,
        `kubectl rollout status deployment/shop-green -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'shop-blue');
        await deploymentRolledOut(ctx, 'shop-green');
        const endpoints = await serviceRoutesTo(ctx, 'shop', 'app=shop,version=blue');
        return `service shop routes to the blue pods only: ${endpoints.join(', ')}`;
      },
      expected: 'two pods of each colour; the shop Service has only the blue pods as endpoints',
      hint: 'Both Deployments and the Service are in the one file.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/blue-green.yaml`,
    },
    {
      id: 'switch',
      title: 'Switch traffic to green',
      commands: [
        `kubectl patch service shop -n ${ns} -p '{"spec":{"selector":{"app":"shop","version":"green"}}}'`,
      ],
      needs: 'any',
      async verify(ctx) {
        const endpoints = await serviceRoutesTo(ctx, 'shop', 'app=shop,version=green');
        return `service shop now routes to the green pods only: ${endpoints.join(', ')}`;
      },
      expected: 'the shop Service\'s endpoints change from the blue pod IPs to the green ones in one step',
      hint: 'Only the Service changes; both Deployments stay as they are, so switching back is the same patch with blue.',
      solution: `kubectl patch service shop -n ${ns} -p '{"spec":{"selector":{"app":"shop","version":"green"}}}'`,
    },
    {
      id: 'canary',
      title: 'Send a tenth of the traffic to a canary',
      commands: [
        `kubectl apply -n ${ns} -f ${manifests}/canary.yaml`,
        `kubectl rollout status deployment/checkout-stable -n ${ns} --timeout=2m`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'checkout-stable');
        await deploymentRolledOut(ctx, 'checkout-canary');
        const endpoints = await serviceRoutesTo(ctx, 'checkout', 'app=checkout');
        const canary = (await readyPods(ctx, 'app=checkout,track=canary')).map((p) => p.status?.podIP);
        if (endpoints.length !== 10 || canary.length !== 1 || !endpoints.includes(canary[0]!)) {
          throw new StepFailed(`expected 10 endpoints with 1 canary, found ${endpoints.length} with ${canary.length} canary`,
            `kubectl get pods -n ${ns} -l app=checkout -L track`);
        }
        return `service checkout has 10 endpoints; ${canary[0]} is the canary`;
      },
      expected: 'the checkout Service has 10 endpoints, one of them the canary pod running version 2.0',
      hint: 'The Service selects only app: checkout, so it picks up stable and canary pods alike.',
      solution: `kubectl apply -n ${ns} -f ${manifests}/canary.yaml`,
    },
    {
      id: 'promote',
      title: 'Promote the canary',
      commands: [
        `kubectl set env deployment/checkout-stable -n ${ns} VERSION=2.0`,
        `kubectl rollout status deployment/checkout-stable -n ${ns} --timeout=2m`,
        `kubectl scale deployment/checkout-canary -n ${ns} --replicas=0`,
      ],
      needs: 'any',
      async verify(ctx) {
        await deploymentRolledOut(ctx, 'checkout-stable');
        await deploymentRolledOut(ctx, 'checkout-canary');
        await allRunVersion(ctx, 'app=checkout', '2.0', 9);
        const endpoints = await serviceRoutesTo(ctx, 'checkout', 'app=checkout,track=stable');
        return `9 stable pods at VERSION 2.0, no canary; service checkout routes to ${endpoints.length} stable pods`;
      },
      expected: 'nine stable pods at version 2.0, no canary pod left, and all endpoints pointing at the stable pods',
      hint: 'Promote = update the stable Deployment to the canary\'s version, then scale the canary away. Aborting is just the scale.',
      solution: `kubectl set env deployment/checkout-stable -n ${ns} VERSION=2.0 && kubectl scale deployment/checkout-canary -n ${ns} --replicas=0`,
    },
  ],
};

export default lesson;
