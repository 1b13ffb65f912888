// The notifier: a second service that reacts to every change of a Todo, without the front
// knowing it exists. In a classic design the front would publish to a message broker; here the
// API server is the broker: whoever may watch Todos receives every change, in order.
//
// It is built as a controller (operator/runtime), for three reasons:
// - Level, not edge. The queue holds keys, and a reconcile reads the latest Todo. Three quick
//   edits may become one reaction — to the newest state, which is what a notification should say.
// - Catching up. A watch only streams changes from now on. The informer starts with a LIST, and
//   status.notifiedGeneration (written by us, after reacting) tells which Todos changed while we
//   were down: those whose generation moved past it. The resourceVersion covers short gaps within
//   one run (a dropped watch resumes where it stopped); the status field covers a restart.
// - Later. "Remind me when it is overdue" is work for a future moment; the queue's delayed add
//   (requeueAfterMs) holds it, and a restart rebuilds it from the Todos themselves.
//
// Delivery is at least once: we react, then record it. A crash in between means the reaction is
// repeated after the restart — never lost. Deletions are seen only while running: a Todo deleted
// while we were down is simply absent from the next LIST.
import { Controller } from '../../../operator/runtime/controller.ts';
import { Informer } from '../../../operator/runtime/informer.ts';
import type { KubeClient } from '../../../operator/runtime/kube-client.ts';
import { API_VERSION, KIND, type Todo } from './todo.ts';

export interface Notification {
  todo: string;
  /** 'changed' for a new spec (creation included), 'overdue' for the reminder, 'deleted'. */
  kind: 'changed' | 'overdue' | 'deleted';
  text: string;
}

export interface NotifierOptions {
  client: KubeClient;
  namespace: string;
  /** Where a notification goes; a real service would send a mail or a chat message. */
  notify?: (n: Notification) => void;
  log?: (line: string) => void;
}

export function todoNotifier(options: NotifierOptions) {
  const { client, namespace } = options;
  const log = options.log ?? ((line: string) => console.error(`[notifier] ${line}`));
  const sent: Notification[] = [];
  const notify = (n: Notification) => {
    sent.push(n);
    (options.notify ?? ((x: Notification) => console.log(`${x.kind.padEnd(8)} ${x.todo}: ${x.text}`)))(n);
  };
  const todos = new Informer<Todo>(client, { apiVersion: API_VERSION, kind: KIND, namespace }, { log });

  const controller = new Controller({
    name: 'todo-notifier',
    primary: todos,
    workers: 1,
    log,
    async reconcile(key) {
      const todo = todos.get(key);
      const name = key.split('/')[1];
      if (!todo) {
        notify({ todo: name, kind: 'deleted', text: 'deleted' });
        return;
      }
      const generation = todo.metadata?.generation ?? 0;
      const status = { ...todo.status };

      // ### 1: A spec we have not reacted to yet (created, edited — now or while we were down)
      if (status.notifiedGeneration !== generation) {
        const { title, priority, done, due } = todo.spec;
        notify({ todo: name, kind: 'changed', text: `"${title}" ${priority ?? 'normal'}${done ? ', done' : ''}${due ? `, due ${due}` : ''}` });
        status.notifiedGeneration = generation;
      }

      // ### 2: The reminder: due, not done, not reminded yet — now, or later through the queue
      let requeueAfterMs: number | undefined;
      if (todo.spec.due && !todo.spec.done && !status.reminded) {
        const wait = Date.parse(todo.spec.due) - Date.now();
        if (wait <= 0) {
          notify({ todo: name, kind: 'overdue', text: `"${todo.spec.title}" was due ${todo.spec.due}` });
          status.reminded = true;
        } else {
          // At most an hour: timers cannot wait longer than ~24 days, and coming back early only
          // means checking again.
          requeueAfterMs = Math.min(wait, 3_600_000);
        }
      }

      // ### 3: Record what we reacted to, only when something changed (a resync writes nothing)
      if (status.notifiedGeneration !== todo.status?.notifiedGeneration || status.reminded !== todo.status?.reminded) {
        // replace, with the resourceVersion we read: if the Todo changed meanwhile, 409 Conflict
        // and the queue brings us back to the newer version.
        await client.replace({ ...todo, status }, { subresource: 'status' });
      }
      return requeueAfterMs ? { requeueAfterMs } : undefined;
    },
  });

  return {
    /** Every notification sent by this instance, oldest first. */
    sent,
    async start() {
      await controller.run();
    },
    async stop() {
      await controller.stop();
      await todos.stop();
    },
  };
}
