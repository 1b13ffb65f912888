// The real node's volume provisioner: Rancher's local-path-provisioner (built from its upstream
// module), the same program kind runs behind its StorageClass `standard`. It watches
// PersistentVolumeClaims of that class and, once the scheduler has picked the node for the claim's
// first pod (the class binds WaitForFirstConsumer), makes a directory on that node and a
// PersistentVolume of type hostPath pointing at it.
//
// It runs as a process on this machine, like Traefik and MetalLB's controller, rather than in a
// pod: it needs nothing but the API, and a pod would need an image of its own and RBAC. The
// directories themselves it makes through a helper pod on the node (its design, since it usually
// runs in a pod without the node's disk): that pod runs the workshop image, whose busybox has the
// shell, mkdir and rm the helper's scripts use.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { WORKSHOP_IMAGE } from '../kind.ts';
import type { NodePaths } from './config-files.ts';
import { NODE_NAME } from './network.ts';
import { kubeconfigEnv, startProgram, waitUntil } from './programs.ts';

/** The namespace and ConfigMap names of upstream's own manifest (deploy/local-path-storage.yaml). */
export const STORAGE_NAMESPACE = 'local-path-storage';
const CONFIG_MAP = 'local-path-config';
/** What the StorageClass `standard` names as its provisioner (../local.ts). */
export const PROVISIONER = 'rancher.io/local-path';

export async function startStorageProvisioner(paths: NodePaths, kubeconfig: string, kc: KubeConfig, provisioner: string, log: (line: string) => void): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: STORAGE_NAMESPACE } } });
  await core.createNamespacedConfigMap({ namespace: STORAGE_NAMESPACE, body: { metadata: { name: CONFIG_MAP }, data: storageConfig(paths) } });

  await startProgram(paths, 'local-path-provisioner', provisioner, [
    'start',
    `--kubeconfig=${kubeconfig}`,
    `--namespace=${STORAGE_NAMESPACE}`,
    `--provisioner-name=${PROVISIONER}`,
    // The helper pods run as the namespace's default ServiceAccount: they call no API.
    '--service-account-name=default',
    `--helper-image=${WORKSHOP_IMAGE}`,
  ], kubeconfigEnv(kubeconfig));
  // Its log keeps one error per volume, "failed to save helper-pod-… logs: unable to load
  // in-cluster configuration": it reads the helper pod's log with in-cluster credentials only,
  // whatever --kubeconfig says. Only that copy of the log is lost; the volume is made.
  // The controller library logs this line once its informers are synced and its workers run.
  const logFile = join(paths.logs, 'local-path-provisioner.log');
  await waitUntil('local-path-provisioner to start its controller', async () =>
    (await readFile(logFile, 'utf8').catch(() => '')).includes('Started provisioner controller'), 30_000, paths, 'local-path-provisioner');
  log(`storage: local-path-provisioner provisions StorageClass standard in ${paths.volumes}`);
}

/**
 * The ConfigMap the provisioner reads (its config.json and helper pod) and mounts into each helper
 * pod (the setup and teardown scripts). Only the real node is listed: a claim whose pod went to a
 * kwok node fails with "config doesn't contain node worker-1" and stays Pending, as it would
 * without a provisioner, instead of waiting for a helper pod that kwok would never run.
 */
function storageConfig(paths: NodePaths): Record<string, string> {
  const helperPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: {
      containers: [{
        name: 'helper-pod',
        image: WORKSHOP_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        // The volumes' parent directory belongs to root; the image's own user (1000) could not write it.
        securityContext: { runAsUser: 0, runAsGroup: 0 },
      }],
    },
  };
  return {
    'config.json': JSON.stringify({ nodePathMap: [{ node: NODE_NAME, paths: [paths.volumes] }] }),
    // Upstream's scripts: open to every user, because the pod that mounts the volume may run as any.
    setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
    teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
    'helperPod.yaml': dump(helperPod),
  };
}
