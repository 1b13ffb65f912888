// The confighash provider runs last (§4.9, §6, §7). It turns the assembled config into bytes,
// stores them in the config Secret `<app>`, and stamps their SHA-256 on every pod template as the
// `configHash` annotation. That is the whole trick behind "config changes roll the pods": the
// template changes exactly when the bytes change, and never otherwise.
//
// hashCache goes into the config first, so a change in a tracked Secret or ConfigMap also changes
// the bytes. The app half tracks what the Deployments reference, but only objects that opt in
// with an annotation, by default `qontract.recycle: "true"` (settings.ts): restarting pods on every
// change of every referenced object would surprise people whose app rereads its data by itself.
//
// Owned resources:
// - Secret `<app>` with the single key `cdappconfig.json` (owned by the app).
import type { V1Deployment, V1Secret } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../config/canonical-json.ts';
import { hashCache, type Tracked } from '../../config/hash-cache.ts';
import { appLabels, ownedBy } from '../../ownership.ts';
import type { AppBuild } from '../provider.ts';

export const CONFIG_KEY = 'cdappconfig.json';

export function provide(build: AppBuild): void {
  const { app } = build;
  build.appTracked.push(...referencedObjects(build));
  build.config.hashCache = hashCache(build.appTracked, build.envTracked);
  const json = canonicalJson(build.config);
  const secret: V1Secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: app.metadata!.name, namespace: app.metadata!.namespace, labels: appLabels(app), ownerReferences: ownedBy(app) },
    type: 'Opaque',
    // Through `data`, not `stringData`: the server would convert stringData anyway, and then the
    // stored object would never equal what we send.
    data: { [CONFIG_KEY]: Buffer.from(json, 'utf8').toString('base64') },
  };
  build.objects.push(secret);
  const hash = createHash('sha256').update(json, 'utf8').digest('hex');
  const templates = [...[...build.deployments.values()].map((d) => d.spec!.template), ...[...build.cronJobs.values()].map((c) => c.spec!.jobTemplate.spec!.template)];
  for (const template of templates) template.metadata!.annotations = { ...template.metadata!.annotations, configHash: hash };
}

/**
 * The app half of hashCache (§7.2): ConfigMaps and Secrets in the app's namespace that a
 * Deployment's main container reads through env or its pod mounts as a volume, that exist now,
 * and that carry the recycle annotation with the value "true". The config Secret itself is never
 * tracked: it would chase its own tail.
 */
function referencedObjects(build: AppBuild): Tracked[] {
  const namespace = build.app.metadata!.namespace!;
  const names = { ConfigMap: new Set<string>(), Secret: new Set<string>() };
  for (const deployment of build.deployments.values()) collectReferences(deployment, names);
  names.Secret.delete(build.app.metadata!.name!);
  const tracked: Tracked[] = [];
  for (const kind of ['ConfigMap', 'Secret'] as const) {
    for (const name of names[kind]) {
      const object = kind === 'Secret' ? build.lookup.secret(namespace, name) : build.lookup.configMap(namespace, name);
      if (object?.metadata?.annotations?.[build.settings.recycleAnnotation] === 'true') tracked.push({ kind, name, namespace, data: object.data });
    }
  }
  return tracked;
}

function collectReferences(deployment: V1Deployment, names: { ConfigMap: Set<string>; Secret: Set<string> }): void {
  const pod = deployment.spec!.template.spec!;
  for (const variable of pod.containers[0].env ?? []) {
    const configMap = variable.valueFrom?.configMapKeyRef?.name;
    const secret = variable.valueFrom?.secretKeyRef?.name;
    if (configMap) names.ConfigMap.add(configMap);
    if (secret) names.Secret.add(secret);
  }
  for (const volume of pod.volumes ?? []) {
    if (volume.configMap?.name) names.ConfigMap.add(volume.configMap.name);
    if (volume.secret?.secretName) names.Secret.add(volume.secret.secretName);
  }
}
