// The IPC transport of the contract: one `ipcMain.handle` per command, each checking
// its sender before the backend sees the payload, and one push channel for events.
import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import type { BackendHandle } from '../src/main/app/backend.js';
import { COMMAND_CHANNELS, EVENT_BATCH_CHANNEL } from '../src/shared/channels.js';
import type { CommandName, EventEnvelope } from '../src/shared/contract.js';
import { fail, type Result } from '../src/shared/result.js';
import { isAppUrl, isTrustedSenderUrl } from './security.js';

/** Decides whether an invoke comes from our own window's top-level app page. */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean;

/** The parts of an invoke event the sender rule reads (structural, for tests). */
export interface SenderInfo {
  readonly sender: { readonly id: number };
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
}

/**
 * The sender rule: the event must come from the web contents we trust (our window's)
 * and from its top-level frame showing an `app://control-room` page. A frame that was
 * navigated away or disposed (`senderFrame` null, or throwing on access) is refused.
 */
export function isTrustedSenderEvent(event: SenderInfo, trustedContentsId: number | undefined): boolean {
  if (trustedContentsId === undefined || event.sender.id !== trustedContentsId) return false;
  try {
    const frame = event.senderFrame;
    if (frame === null) return false;
    return isTrustedSenderUrl(frame.url, frame.parent === null);
  } catch {
    // WebFrameMain getters throw once the frame is gone; a gone frame is not trusted.
    return false;
  }
}

/**
 * Builds the sender check for whichever window is current (macOS recreates it on
 * `activate`), so handlers registered once keep following the live window.
 */
export function trustedSenderOf(currentContentsId: () => number | undefined): SenderCheck {
  return (event) => isTrustedSenderEvent(event, currentContentsId());
}

type Invoke = BackendHandle['invoke'];

/**
 * The body of one command's handler: sender first, then the backend (which validates
 * the request). Only the first argument is used: one request object per command.
 */
export function createCommandHandler(
  channel: CommandName,
  invoke: Invoke,
  isTrustedSender: SenderCheck,
  warn: (message: string) => void = (message) => console.warn(message),
): (event: IpcMainInvokeEvent, request?: unknown) => Promise<Result<unknown>> {
  return async (event, request) => {
    if (!isTrustedSender(event)) {
      warn(`[control-room] refused ${channel} from an untrusted sender (${describeSender(event)})`);
      return fail('forbidden', `${channel}: this frame may not call the engine`);
    }
    return invoke(channel, request);
  };
}

function describeSender(event: IpcMainInvokeEvent): string {
  try {
    return `contents ${event.sender.id}, frame ${event.senderFrame?.url ?? 'gone'}`;
  } catch {
    return 'frame gone';
  }
}

/**
 * Registers a handler for every command in the contract. Returns the function that
 * removes them, called on quit before the backend closes: later invokes then fail in
 * the preload as `unavailable` instead of reaching a closed database.
 */
export function setupIpc(backend: Pick<BackendHandle, 'invoke'>, isTrustedSender: SenderCheck): () => void {
  for (const channel of COMMAND_CHANNELS) {
    ipcMain.handle(
      channel,
      createCommandHandler(channel, (c, r) => backend.invoke(c, r), isTrustedSender),
    );
  }
  return () => {
    for (const channel of COMMAND_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** The parts of a WebContents the event pump uses. */
export interface BatchTarget {
  isDestroyed(): boolean;
  getURL(): string;
  send(channel: string, ...args: unknown[]): void;
}

/**
 * Pushes each event batch to every live window still showing our app (a destroyed
 * or navigated-away contents gets nothing). Returns the unsubscribe function.
 */
export function setupEventForwarding(
  events: BackendHandle['events'],
  targets: () => Iterable<BatchTarget>,
): () => void {
  return events.subscribe((batch: EventEnvelope[]) => {
    for (const target of targets()) {
      if (target.isDestroyed() || !isAppUrl(target.getURL())) continue;
      target.send(EVENT_BATCH_CHANNEL, batch);
    }
  });
}
