// How the real node runs its programs: each one detached, with its output in <node>/logs and its
// PID in <node>/pids, so that stopRealNode() finds and stops every one of them by that PID.
import { KubeConfig } from '@kubernetes/client-node';
import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { LOCAL_CONTEXT } from '../workshop.ts';
import type { NodePaths } from './config-files.ts';

/** Starts a program in the background; `env` replaces the environment it would inherit. */
export async function startProgram(paths: NodePaths, name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<void> {
  const log = await open(join(paths.logs, `${name}.log`), 'a');
  // Its own process group, so a Ctrl-C in the terminal that ran `up` does not reach it.
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env });
  const spawned = new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  await log.close();
  await spawned;
  child.unref();
  await writeFile(join(paths.pids, `${name}.pid`), String(child.pid));
}

/** Polls ready() until it is true; on timeout the error quotes the last lines of program's log. */
export async function waitUntil(what: string, ready: () => Promise<boolean>, timeoutMs: number, paths: NodePaths, program: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) {
      const tail = (await readFile(join(paths.logs, `${program}.log`), 'utf8').catch(() => '')).trim().split('\n').slice(-3).join('\n  ');
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last lines of ${join(paths.logs, `${program}.log`)}:\n  ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A loopback port nobody listens on right now, for a program's health or metrics endpoint. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * The environment for a program that finds the API server through KUBECONFIG (Traefik has no
 * kubeconfig flag; MetalLB's controller reads the variable as well). Such a program uses the
 * file's current context, so that must be the workshop's; and without KUBERNETES_SERVICE_HOST it
 * cannot take itself for a pod.
 */
export function kubeconfigEnv(kubeconfig: string): NodeJS.ProcessEnv {
  const file = new KubeConfig();
  file.loadFromFile(kubeconfig);
  if (file.getCurrentContext() !== LOCAL_CONTEXT) {
    throw new Error(`the current context of ${kubeconfig} is ${file.getCurrentContext()}, not ${LOCAL_CONTEXT}`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfig };
  delete env.KUBERNETES_SERVICE_HOST;
  return env;
}
