// Feature flags, mode `app-interface` (§6.6): an Unleash server run elsewhere. Every app of the
// environment gets its address and a client token from the Secret the env names, whatever the
// app's own `featureFlags` field says (Clowder ignores that field; so do we, to stay compatible).
// The Secret is tracked, so a rotated token rolls the pods (§7.2).
//
// Owned resources: none.
import { ProviderError, type AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const flags = build.env.spec.providers.featureFlags ?? {};
  const ref = flags.credentialRef;
  if (!ref?.name || !ref.namespace) throw new ProviderError('no feature flag secret defined: ');
  if (!flags.hostname) throw new ProviderError('hostname is not defined: ');
  if (!flags.port) throw new ProviderError('port is not defined: ');
  const secret = build.lookup.secret(ref.namespace, ref.name);
  if (!secret) throw new ProviderError(`secrets "${ref.name}" not found`);
  const token = secret.data?.CLIENT_ACCESS_TOKEN;
  if (token === undefined) throw new ProviderError('Missing data: ');
  build.config.featureFlags = {
    hostname: flags.hostname,
    port: flags.port,
    scheme: 'https',
    clientAccessToken: Buffer.from(token, 'base64').toString('utf8'),
  };
  build.envTracked.push({ kind: 'Secret', name: ref.name, namespace: ref.namespace, data: secret.data });
}
