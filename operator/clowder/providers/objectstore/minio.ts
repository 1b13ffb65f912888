// Object store, mode `minio` (§14.3): one MinIO server per environment, in its target namespace,
// for development. The env half creates it; each app that lists buckets gets them created on
// that server and the credentials in its config. The env's status counts the MinIO Deployment,
// so apps start only once it is up.
//
// Owned resources (in <tns>, owned by the env):
// - Secret `<env>-minio` (generated keys, created once, no labels)
// - Deployment `<env>-minio`, Service `<env>-minio`
// - PersistentVolumeClaim `<env>-minio` (only with `objectStore.pvc: true`)
// - NetworkPolicy `allow-from-<operator namespace>-namespace`, so the operator may reach MinIO
//   even where a default-deny policy is in place
import type { KubernetesObject, V1Deployment, V1PersistentVolumeClaim, V1Secret, V1Service } from '@kubernetes/client-node';
import { createHash, createHmac } from 'node:crypto';
import type { ClowdEnvironment } from '../../api.ts';
import { envLabels, ownedBy } from '../../ownership.ts';
import { ALPHANUMERIC, randomString } from '../../random.ts';
import type { Settings } from '../../settings.ts';
import { ProviderError, type AppBuild, type EnvBuild, type NetworkPolicy } from '../provider.ts';

const PORT = 9000;

/** The env half: the server. Its keys are generated once; a Secret not cached yet is created now. */
export async function envProvide(build: EnvBuild): Promise<void> {
  const { env, targetNamespace, settings } = build;
  if (!build.lookup.secret(targetNamespace, `${env.metadata!.name}-minio`)) await build.createSecretOnce(minioSecret(env, targetNamespace));
  build.objects.push(...minioObjects(env, targetNamespace, settings, settings.operatorNamespace));
}

/** The env's MinIO Secret, generated: call once, when the Secret does not exist yet. */
function minioSecret(env: ClowdEnvironment, targetNamespace: string): V1Secret {
  const name = `${env.metadata!.name}-minio`;
  const values = { accessKey: randomString(12, ALPHANUMERIC), secretKey: randomString(12, ALPHANUMERIC), hostname: `${name}.${targetNamespace}.svc`, port: String(PORT) };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: targetNamespace, ownerReferences: ownedBy(env) },
    data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
}

/** Everything else the env needs for MinIO; `operatorNamespace` is where the operator runs. */
function minioObjects(env: ClowdEnvironment, targetNamespace: string, settings: Settings, operatorNamespace: string): KubernetesObject[] {
  const name = `${env.metadata!.name}-minio`;
  const labels = { ...envLabels(env), 'env-app': name };
  const pvc = Boolean(env.spec.providers.objectStore.pvc);
  const fromSecret = (key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });
  const probe = (initialDelaySeconds: number) => ({
    tcpSocket: { port: PORT }, initialDelaySeconds, timeoutSeconds: 2, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
  });
  const meta = { name, namespace: targetNamespace, labels, ownerReferences: ownedBy(env) };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: `${env.metadata!.name}-env`,
          volumes: [pvc ? { name, persistentVolumeClaim: { claimName: name } } : { name, emptyDir: {} }],
          containers: [{
            name,
            image: env.spec.providers.objectStore.images?.minio || settings.images.minio,
            args: ['server', '/storage'],
            env: [
              { name: 'MINIO_ACCESS_KEY', ...fromSecret('accessKey') },
              { name: 'MINIO_SECRET_KEY', ...fromSecret('secretKey') },
              { name: 'MINIO_ROOT_USER', ...fromSecret('accessKey') },
              { name: 'MINIO_ROOT_PASSWORD', ...fromSecret('secretKey') },
            ],
            ports: [{ name: 'minio', containerPort: PORT, protocol: 'TCP' }],
            livenessProbe: probe(10),
            readinessProbe: probe(20),
            volumeMounts: [{ name, mountPath: '/storage' }],
            resources: {},
            imagePullPolicy: 'IfNotPresent',
            terminationMessagePath: '/dev/termination-log',
            terminationMessagePolicy: 'File',
          }],
        },
      },
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: env.spec.serviceConfig?.type === 'NodePort' ? 'NodePort' : 'ClusterIP',
      selector: labels,
      ports: [{ name: 'minio', port: PORT, targetPort: PORT, protocol: 'TCP' }],
    },
  };
  const policy: NetworkPolicy = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `allow-from-${operatorNamespace}-namespace`, namespace: targetNamespace, labels: envLabels(env), ownerReferences: ownedBy(env) },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': operatorNamespace } } }] }],
    },
  };
  const objects: KubernetesObject[] = [policy, service, deployment];
  if (pvc) {
    const claim: V1PersistentVolumeClaim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name, namespace: targetNamespace, labels, ownerReferences: ownedBy(env) },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    };
    objects.unshift(claim);
  }
  return objects;
}

/** Per app: make sure each bucket exists on the env's MinIO, then write the objectStore config. */
export async function provide(build: AppBuild): Promise<void> {
  const buckets = build.app.spec.objectStore ?? [];
  if (!buckets.length) return;
  const name = `${build.env.metadata!.name}-minio`;
  const secret = build.lookup.secret(build.targetNamespace, name);
  if (!secret) throw new ProviderError(`secrets "${name}" not found`);
  const read = (key: string) => Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
  const [accessKey, secretKey, hostname] = [read('accessKey'), read('secretKey'), read('hostname')];
  // Pods find MinIO by the hostname in the config, through cluster DNS. Clowder, which runs in a
  // pod, dials that name too; this operator may run on the host, where `.svc` names resolve
  // nowhere. The Service's cluster IP works in both places, where it can be reached at all.
  const clusterIP = build.lookup.service(build.targetNamespace, name)?.spec?.clusterIP;
  const reachable = clusterIP && (await build.clusterIPsReachable());
  const keys = { endpoint: `${clusterIP}:${PORT}`, accessKey, secretKey };
  for (const bucket of buckets) {
    const head = reachable ? await s3Request(keys, 'HEAD', `/${bucket}`).then((r) => r.status, () => undefined) : undefined;
    if (head === undefined) throw new ProviderError(`bucket "${bucket}" -- failed to check if bucket exists`);
    if (head === 404 && (await s3Request(keys, 'PUT', `/${bucket}`).then((r) => r.status, () => 0)) !== 200) {
      throw new ProviderError(`bucket "${bucket}" -- failed to create bucket`);
    }
  }
  build.config.objectStore = {
    accessKey,
    buckets: buckets.map((b) => ({ accessKey, endpoint: hostname, name: b, requestedName: b, secretKey })),
    hostname,
    port: PORT,
    secretKey,
    tls: false,
  };
  build.envTracked.push({ kind: 'Secret', name, namespace: build.targetNamespace, data: secret.data });
}

/**
 * One S3 request without a body, signed with AWS Signature Version 4 (which MinIO requires), over
 * plain HTTP. HEAD /<bucket> asks whether a bucket exists (200 or 404), PUT /<bucket> creates it,
 * GET / lists the buckets.
 */
export async function s3Request(keys: { endpoint: string; accessKey: string; secretKey: string }, method: 'GET' | 'HEAD' | 'PUT', path: string): Promise<Response> {
  const host = keys.endpoint;
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const day = amzDate.slice(0, 8);
  const emptyHash = createHash('sha256').update('').digest('hex');
  const signed = 'host;x-amz-content-sha256;x-amz-date';
  const canonical = [method, path, '', `host:${host}`, `x-amz-content-sha256:${emptyHash}`, `x-amz-date:${amzDate}`, '', signed, emptyHash].join('\n');
  const scope = `${day}/us-east-1/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = ['us-east-1', 's3', 'aws4_request'].reduce<Buffer>((k, part) => hmac(k, part), hmac(`AWS4${keys.secretKey}`, day));
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return fetch(`http://${host}${path}`, {
    method,
    headers: {
      'x-amz-date': amzDate,
      'x-amz-content-sha256': emptyHash,
      authorization: `AWS4-HMAC-SHA256 Credential=${keys.accessKey}/${scope}, SignedHeaders=${signed}, Signature=${signature}`,
    },
    signal: AbortSignal.timeout(5000),
  });
}
