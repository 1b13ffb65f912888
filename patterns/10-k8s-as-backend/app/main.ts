// npm run todo-app -- front [--port 3080]   the REST front on 127.0.0.1
// npm run todo-app -- notifier              the notifier, printing one line per notification
// Both act on the lesson's namespace (--namespace to change) of the workshop cluster; like every
// command of the kit, only on a workshop context unless --context names another.
import { parseArgs } from 'node:util';
import { guardedKubeconfig } from '../../../kind/context-guard.ts';
import { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { startFront } from './front.ts';
import { todoNotifier } from './notifier.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { context: { type: 'string' }, namespace: { type: 'string', default: 'k8s-as-backend' }, port: { type: 'string', default: '3080' } },
});

try {
  const client = new KubeClient(guardedKubeconfig(values.context));
  const namespace = values.namespace;
  let stop: () => Promise<void>;
  if (positionals[0] === 'front') {
    const front = await startFront({ client, namespace, port: Number(values.port) });
    console.error(`front: serving todos of namespace ${namespace} on ${front.url} (Ctrl-C stops)`);
    stop = front.close;
  } else if (positionals[0] === 'notifier') {
    const notifier = todoNotifier({ client, namespace });
    await notifier.start();
    console.error(`notifier: watching todos in namespace ${namespace} (Ctrl-C stops)`);
    stop = notifier.stop;
  } else {
    throw new Error(`unknown app "${positionals[0] ?? ''}"; choose front or notifier`);
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
} catch (error) {
  console.error(`todo-app: ${(error as Error).message}`);
  process.exit(1);
}
