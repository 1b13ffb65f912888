// Logging, mode `none` (also spelt `null` or left empty): apps log to stdout. The config still
// carries a `logging` section, because Clowder's schema requires it; it says type "null" with
// empty CloudWatch credentials.
//
// Owned resources: none.
import type { AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  build.config.logging = { type: 'null', cloudwatch: { accessKeyId: '', secretAccessKey: '', region: '', logGroup: '' } };
}
