// The preload's logic, kept free of `electron` so it is tested in Node. It runs in the
// sandboxed preload, so it imports only the plain channel lists and the Result helpers:
// never the zod contract (types only), which would bloat the bundle the sandbox loads.
import { COMMAND_CHANNELS, EVENT_CHANNELS } from '../src/shared/channels.js';
import type {
  CommandName,
  CommandRequest,
  CommandResponse,
  ControlRoomApi,
  EventName,
  EventPayload,
} from '../src/shared/contract.js';
import { fail, type Result } from '../src/shared/result.js';

/** What the bridge needs from `ipcRenderer`, narrowed so the raw object never leaks. */
export interface BridgeIpc {
  invoke(channel: CommandName, request: unknown): Promise<unknown>;
  /** Subscribes to the batched event channel; the listener gets the batch only. */
  onEventBatch(listener: (batch: unknown) => void): void;
}

const commandNames: ReadonlySet<string> = new Set(COMMAND_CHANNELS);
const eventNames: ReadonlySet<string> = new Set(EVENT_CHANNELS);

function isKnownCommand(channel: unknown): channel is CommandName {
  return typeof channel === 'string' && commandNames.has(channel);
}

function isKnownEvent(name: unknown): name is EventName {
  return typeof name === 'string' && eventNames.has(name);
}

type AnyListener = (payload: unknown) => void;

/**
 * Builds `window.controlRoom` over `ipc`. `invoke` refuses channels outside the
 * contract without a round trip and never rejects (a torn-down handler during quit
 * becomes an `unavailable` Result); `on` refuses unknown events by throwing, hands
 * listeners the payload only, and returns the unsubscribe function.
 */
export function createControlRoomApi(
  ipc: BridgeIpc,
  reportError: (message: string, error: unknown) => void = (message, error) => console.error(message, error),
) {
  const listeners = new Map<EventName, Set<AnyListener>>();
  let subscribed = false;

  const deliver = (batch: unknown): void => {
    if (!Array.isArray(batch)) return;
    for (const envelope of batch as unknown[]) {
      if (typeof envelope !== 'object' || envelope === null) continue;
      const { name, payload } = envelope as { name?: unknown; payload?: unknown };
      if (!isKnownEvent(name)) continue;
      const set = listeners.get(name);
      if (!set) continue;
      // Copy: a listener that unsubscribes (itself or another) must not skip one.
      for (const listener of [...set]) {
        try {
          listener(payload);
        } catch (error) {
          // One failing view must not starve the others of the same batch.
          reportError(`[control-room] listener for ${name} failed:`, error);
        }
      }
    }
  };

  function invoke<K extends CommandName>(
    channel: K,
    request: CommandRequest<K>,
  ): Promise<Result<CommandResponse<K>>> {
    if (!isKnownCommand(channel)) {
      return Promise.resolve(
        fail('unknown_command', `unknown command ${JSON.stringify(String(channel)).slice(0, 80)}`),
      );
    }
    // Main validates both the sender and the request; the answer is trusted as a Result.
    return ipc.invoke(channel, request).then(
      (result) => result as Result<CommandResponse<K>>,
      (error: unknown) =>
        fail('unavailable', `${channel}: the app is not answering (${errorMessage(error)})`),
    );
  }

  function on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    if (!isKnownEvent(event))
      throw new TypeError(`unknown event ${JSON.stringify(String(event)).slice(0, 80)}`);
    if (typeof listener !== 'function') throw new TypeError('listener must be a function');
    if (!subscribed) {
      subscribed = true;
      ipc.onEventBatch(deliver);
    }
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
    }
    // Wrap so the same function registered twice gets two independent subscriptions.
    const entry: AnyListener = (payload) => listener(payload as EventPayload<E>);
    set.add(entry);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      set.delete(entry);
    };
  }

  return { invoke, on } satisfies ControlRoomApi;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
