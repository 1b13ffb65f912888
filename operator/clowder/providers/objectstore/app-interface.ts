// Object store, mode `app-interface` (§6.6): buckets provisioned outside the cluster (S3), with
// their credentials placed as Secrets in the app's namespace. We match each requested bucket to
// the first Secret-provided bucket whose name starts with it (real bucket names carry suffixes),
// and write what we found into the config.
//
// Owned resources: none.
import type { ObjectStoreBucket } from '../../client/app-config.ts';
import { ProviderError, type AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const requested = build.app.spec.objectStore ?? [];
  if (!requested.length) return;
  const secrets = build.lookup.secrets(build.app.metadata!.namespace!).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1));
  const candidates: ObjectStoreBucket[] = [];
  const bucket = (name: string, data: Record<string, string>) => {
    const read = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
    candidates.push({ name, requestedName: '', accessKey: read('aws_access_key_id'), secretKey: read('aws_secret_access_key'), region: read('aws_region'), endpoint: read('endpoint'), tls: true });
  };
  const hasKeys = (data: Record<string, string>) => 'aws_access_key_id' in data && 'aws_secret_access_key' in data;
  // Pass A: Secrets naming their buckets in an annotation; pass B: Secrets with a `bucket` key.
  for (const s of secrets) {
    const names = s.metadata?.annotations?.['clowder/bucket-names'];
    if (names && s.data && hasKeys(s.data)) names.split(',').forEach((n) => bucket(n, s.data!));
  }
  for (const s of secrets) {
    if (s.data && hasKeys(s.data) && 'bucket' in s.data) bucket(Buffer.from(s.data.bucket, 'base64').toString('utf8'), s.data);
  }

  let hostname = '';
  const buckets: ObjectStoreBucket[] = [];
  const missing: string[] = [];
  for (const name of requested) {
    const found = candidates.find((c) => c.name.startsWith(name));
    if (!found) {
      missing.push(name);
      continue;
    }
    buckets.push({ ...found, requestedName: name });
    if (found.endpoint) hostname = found.endpoint;
  }
  if (missing.length) throw new ProviderError(`Missing buckets from app-interface: ${missing.join(', ')}`);
  if (!hostname) throw new ProviderError('Could not find object store hostname from secrets');
  build.config.objectStore = { buckets, hostname, port: 443, tls: true };
}
