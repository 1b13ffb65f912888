// Metrics, mode `operator` (§3.4): every deployment exposes a `metrics` port, always last in the
// Service and in the container, and the config tells the app where to serve metrics. Clowder also
// creates ServiceMonitors and a Prometheus in this mode; those need the prometheus-operator CRDs
// and are out of this kit's scope.
//
// Owned resources: none of its own; it adds ports to the deployment provider's objects.
import { servicePort } from '../web/operator.ts';
import type { AppBuild } from '../provider.ts';

export function provide(build: AppBuild): void {
  const metrics = build.env.spec.providers.metrics;
  const port = metrics?.port ?? 0;
  build.config.metricsPort = port;
  build.config.metricsPath = metrics?.path ?? '';
  for (const spec of build.app.spec.deployments ?? []) {
    build.services.get(spec.name)!.spec!.ports!.push(servicePort('metrics', port, port, 'http'));
    build.deployments.get(spec.name)!.spec!.template.spec!.containers[0].ports!.push({ name: 'metrics', containerPort: port, protocol: 'TCP' });
  }
}
