// `npm run lesson` as an attendee meets it: its mistakes get one line and the usage, a step shows
// its commands with their real output and then the check's verdict, a wrong state fails with the
// hint, and however the CLI ends — SIGTERM, a closed pipe — its private kubeconfig goes with it.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { findLesson } from '../patterns/catalog.ts';
import { openContext } from '../patterns/runner.ts';
import { testKubeConfig } from './cluster.ts';

const cli = join(import.meta.dirname, '..', 'scripts', 'lesson.ts');

interface Ended { code: number | null; stdout: string; stderr: string }

/** Runs the CLI with its own TMPDIR, so the test can see what it leaves there. */
function lesson(args: string[], env: Record<string, string> = {}, during?: (child: ReturnType<typeof spawn>) => void) {
  const tmp = mkdtempSync(join(tmpdir(), 'k8s-patterns-cli-'));
  const child = spawn(process.execPath, [cli, ...args], { env: { ...process.env, KUBECONFIG: inject('kubeconfig'), TMPDIR: tmp, ...env } });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d) => { out.stdout += d; });
  child.stderr.on('data', (d) => { out.stderr += d; });
  during?.(child);
  const ended = new Promise<Ended>((resolve) => child.on('close', (code) => resolve({ code, ...out })));
  return { tmp, ended };
}

describe('lesson CLI mistakes', () => {
  it.each([
    [['run', 'declarative-deployment', '--stpe', '1'], "lesson: Unknown option '--stpe'"],
    [['run', 'declarative-deployment', '--step'], "lesson: Option '--step <value>' argument missing"],
    [['run', 'declarative-deployment', '--step', '99'], 'lesson: lesson declarative-deployment has steps 1 to 9, not "99"'],
    [['frobnicate'], 'lesson: unknown command "frobnicate"'],
    [['verify', 'declarative-deployment', '--step', '2'], 'lesson: verify takes no --step'],
  ])('%j gets one line and the usage, not a stack trace', async (args, message) => {
    const { code, stderr } = await lesson(args).ended;
    expect(code).toBe(2);
    expect(stderr.split('\n')[0].startsWith(message), stderr).toBe(true);
    expect(stderr.split('\n')[1]).toMatch(/^usage: npm run lesson -- /);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses to run the whole lesson when npm took --step for itself (no -- before it)', async () => {
    const { code, stderr } = await lesson(['run', 'declarative-deployment'], { npm_config_step: '1' }).ended;
    expect(code).toBe(2);
    expect(stderr).toContain('lesson: npm took --step for itself: put -- before the lesson\'s options');
  });
});

describe('lesson CLI on the cluster', () => {
  afterAll(async () => {
    await lesson(['reset', 'declarative-deployment']).ended;
  });

  it('shows each command with its real output, then what the check saw', async () => {
    await lesson(['reset', 'declarative-deployment']).ended;
    const { code, stdout } = await lesson(['run', 'declarative-deployment', '--step', '1']).ended;
    expect(code, stdout).toBe(0);
    expect(stdout).toContain('$ kubectl create namespace declarative-deployment\nnamespace/declarative-deployment created\n');
    expect(stdout).toContain('ok   step 1 namespace: namespace declarative-deployment exists and enforces pod-security.kubernetes.io/enforce=restricted');
  });

  it('check fails on a wrong state with the problem, where to look and the hint', async () => {
    // Step 2's Deployment was never applied.
    const { code, stdout } = await lesson(['check', 'declarative-deployment', '--step', '2']).ended;
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL step 2 rolling-deploy: deployment rolling does not exist in namespace declarative-deployment');
    expect(stdout).toContain('look at: kubectl get deployments -n declarative-deployment');
    expect(stdout).toContain(`hint: ${findLesson('declarative-deployment').steps[1].hint}`);
  });

  it.each([
    ['SIGTERM', (child: ReturnType<typeof spawn>) => child.stdout!.once('data', () => child.kill('SIGTERM')), 'lesson: terminated: stopped the command in progress'],
    ['a closed pipe', (child: ReturnType<typeof spawn>) => child.stdout!.once('data', () => child.stdout!.destroy()), 'lesson: output closed: stopped the command in progress'],
  ])('removes its private kubeconfig when it ends by %s', async (_how, during, says) => {
    // The check waits for a Deployment that is not there: time enough to be interrupted.
    const { tmp, ended } = lesson(['check', 'declarative-deployment', '--step', '2'], {}, during);
    const { stderr } = await ended;
    expect(stderr).toContain(says);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('refuses KUBECONFIG=<work>:<workshop>, where kubectl would act on the work cluster', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-patterns-work-'));
    const work = join(dir, 'work');
    writeFileSync(work, 'apiVersion: v1\nkind: Config\nclusters: [{ name: work, cluster: { server: "https://work.example:6443" } }]\n' +
      'users: [{ name: work, user: {} }]\ncontexts: [{ name: work, context: { cluster: work, user: work } }]\ncurrent-context: work\n');
    const { ended } = lesson(['run', 'declarative-deployment', '--step', '1'], { KUBECONFIG: [work, inject('kubeconfig')].join(delimiter) });
    const { code, stdout, stderr } = await ended;
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^lesson: refusing to act on kube context "work": it is not a workshop context/);
  });

  it('gives commands a kubeconfig holding the guarded context alone', async () => {
    const kc = testKubeConfig();
    kc.addContext({ name: 'work-cluster', cluster: kc.getCurrentCluster()!.name, user: kc.getCurrentUser()!.name });
    const ctx = await openContext(findLesson('declarative-deployment'), kc);
    const config = JSON.parse(await ctx.sh('cat "$KUBECONFIG"'));
    await ctx.close();
    expect(config.contexts.map((c: { name: string }) => c.name)).toEqual([kc.getCurrentContext()]);
  });
});
