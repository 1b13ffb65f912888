// Logging, mode `app-interface` (§6.6): apps ship logs to CloudWatch with credentials someone
// else placed in the Secret `cloudwatch` of the app's namespace. We only copy them into the
// config, and track the Secret so that rotated credentials roll the pods (§7.2).
//
// Owned resources: none.
import { ProviderError, type AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const namespace = build.app.metadata!.namespace!;
  const secret = build.lookup.secret(namespace, 'cloudwatch');
  if (!secret) throw new ProviderError(`Failed to fetch cloudwatch secret: secrets "cloudwatch" not found`);
  const read = (key: string) => (secret.data?.[key] ? Buffer.from(secret.data[key], 'base64').toString('utf8') : '');
  build.config.logging = {
    type: 'cloudwatch',
    cloudwatch: {
      accessKeyId: read('aws_access_key_id'),
      secretAccessKey: read('aws_secret_access_key'),
      region: read('aws_region'),
      logGroup: read('log_group_name'),
    },
  };
  build.envTracked.push({ kind: 'Secret', name: 'cloudwatch', namespace, data: secret.data });
}
