import type { MessagePort } from 'node:worker_threads';
import { fail, type Result } from '../../shared/result.js';
import type { BackendHandle } from '../app/backend.js';
import type { ParentMessage, WorkerMessage } from './protocol.js';

/**
 * The worker's half of the protocol, once its backend is open: answers each `invoke`
 * with its Result, forwards each event batch as one message, and closes on request.
 * Announces `ready` last, so the parent never sees a half-wired backend.
 */
export function relayBackend(
  port: MessagePort,
  backend: BackendHandle,
  log: (what: string, error: unknown) => void,
): void {
  const post = (message: WorkerMessage): void => port.postMessage(message);

  // One message per batch: the hub has already coalesced them to a few a second.
  backend.events.subscribe((batch) => post({ type: 'events', batch }));

  const answer = (id: number, channel: unknown, result: Result<unknown>): void => {
    try {
      post({ type: 'result', id, result });
    } catch (error) {
      log(String(channel), error);
      post({
        type: 'result',
        id,
        result: fail('internal', `${String(channel)} answered something that cannot be sent`),
      });
    }
  };

  port.on('message', (message: ParentMessage) => {
    switch (message.type) {
      case 'invoke': {
        const { id, channel, request } = message;
        backend.invoke(channel, request).then(
          (result) => answer(id, channel, result),
          (error: unknown) => {
            // dispatch answers a Result by contract; this only guards against a bug there.
            log(String(channel), error);
            answer(
              id,
              channel,
              fail('internal', `${String(channel)} failed unexpectedly; see the log for details`),
            );
          },
        );
        return;
      }
      case 'shutdown':
        void backend.shutdown(message.timeoutMs).then(
          () => post({ type: 'closed' }),
          (error: unknown) => {
            log('shutdown', error);
            backend.close();
            post({ type: 'closed' });
          },
        );
        return;
      case 'close':
        backend.close();
        post({ type: 'closed' });
        return;
    }
  });

  post({ type: 'ready', info: backend.info });
}

/** Reports an error to the parent, as a clone when it can be cloned and as text otherwise. */
export function logToParent(port: MessagePort, what: string, error: unknown): void {
  try {
    port.postMessage({ type: 'log', what, error } satisfies WorkerMessage);
  } catch {
    port.postMessage({ type: 'log', what, error: String(error) } satisfies WorkerMessage);
  }
}
