import type {
  CommandName,
  CommandRequest,
  CommandResponse,
  ControlRoomApi,
  EventEnvelope,
  EventName,
  EventPayload,
} from '../../../src/shared/contract.js';
import type { Result } from '../../../src/shared/result.js';
import type { ClientFrame, ServerFrame } from '../../../src/shared/wire.js';
import type { ConnectionSource, ConnectionState } from './connection.js';

/** The part of the browser's WebSocket the client uses, so tests can hand it a fake. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export interface Timers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export interface WsClientOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  timers?: Timers;
  /** First retry delay; doubles per failed attempt up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** 0..1; spreads reconnects of many tabs so a restarted engine is not stampeded. */
  random?: () => number;
  /**
   * A connection must stay open this long before the backoff starts again from the
   * bottom; a server that accepts and drops at once must not be hammered every 250 ms.
   */
  stableAfterMs?: number;
  now?: () => number;
  /** Where malformed frames are reported (never console.error: e2e treats that as a failure). */
  warn?: (message: string) => void;
}

const OPEN = 1;

interface Pending {
  channel: string;
  resolve: (result: Result<unknown>) => void;
  sent: boolean;
  frame: string;
}

const unavailable = (message: string): Result<never> => ({
  ok: false,
  error: { code: 'unavailable', message },
});

/**
 * The contract over browser mode's single WebSocket. Invokes made while a connection
 * attempt is in flight wait for it; invokes made while offline, and invokes whose
 * answer was lost with the socket, fail at once with `unavailable` rather than hang, so
 * the UI can tell the person instead of spinning. Reconnects with capped, jittered
 * exponential backoff.
 */
export class WsClient implements ControlRoomApi, ConnectionSource {
  private socket: SocketLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(payload: unknown) => void>>();
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();
  private currentState: ConnectionState = 'connecting';
  private attempt = 0;
  private retryTimer: unknown = undefined;
  private openedAt: number | null = null;
  private disposed = false;
  private readonly createSocket: (url: string) => SocketLike;
  private readonly timers: Timers;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly stableAfterMs: number;
  private readonly now: () => number;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: WsClientOptions) {
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.timers = options.timers ?? {
      set: (fn, ms) => setTimeout(fn, ms),
      clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    this.initialDelayMs = options.initialDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.random = options.random ?? Math.random;
    this.stableAfterMs = options.stableAfterMs ?? 5_000;
    this.now = options.now ?? Date.now;
    this.warn = options.warn ?? ((m) => console.warn(`[control-room] ${m}`));
    this.connect();
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  subscribe(listener: (state: ConnectionState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  invoke<K extends CommandName>(channel: K, request: CommandRequest<K>): Promise<Result<CommandResponse<K>>> {
    if (this.disposed) return Promise.resolve(unavailable('the connection to the engine was closed'));
    if (this.currentState === 'offline') {
      return Promise.resolve(
        unavailable('Not connected to the Control Room engine; reconnecting. Try again in a moment.'),
      );
    }
    const id = this.nextId++;
    const frame: ClientFrame = { kind: 'invoke', id, channel, request };
    return new Promise<Result<unknown>>((resolve) => {
      const entry: Pending = { channel, resolve, sent: false, frame: JSON.stringify(frame) };
      this.pending.set(id, entry);
      if (this.socket?.readyState === OPEN && this.currentState === 'open') this.send(entry);
    }) as Promise<Result<CommandResponse<K>>>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    const wrapped = listener as (payload: unknown) => void;
    set.add(wrapped);
    return () => {
      set.delete(wrapped);
    };
  }

  /**
   * Skips the backoff wait (a "Retry now" button, or the browser coming back online).
   * During an attempt it only shortens the wait that follows, should that attempt fail.
   */
  reconnectNow(): void {
    if (this.disposed) return;
    this.attempt = 0;
    if (this.currentState !== 'offline') return;
    this.timers.clear(this.retryTimer);
    this.retryTimer = undefined;
    this.connect();
  }

  dispose(): void {
    this.disposed = true;
    this.timers.clear(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
      socket.close(1000, 'client closed');
    }
    this.failPending('the connection to the engine was closed');
    this.setState('offline');
  }

  private connect(): void {
    this.setState('connecting');
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (error) {
      this.warn(`cannot open ${this.options.url}: ${(error as Error).message}`);
      this.handleClose();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.openedAt = this.now();
      this.setState('open');
      for (const entry of this.pending.values()) if (!entry.sent) this.send(entry);
    };
    socket.onmessage = (event) => {
      if (this.socket === socket) this.receive(event.data);
    };
    // Browsers always follow an error with a close; handling both would double-count.
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.handleClose();
    };
  }

  private handleClose(): void {
    if (this.disposed) return;
    if (this.openedAt !== null && this.now() - this.openedAt >= this.stableAfterMs) this.attempt = 0;
    this.openedAt = null;
    this.failPending('The connection to the engine was lost before it answered; reconnecting.');
    this.setState('offline');
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.attempt);
    const delay = Math.round(base / 2 + (base / 2) * this.random());
    this.attempt += 1;
    this.retryTimer = this.timers.set(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private send(entry: Pending): void {
    entry.sent = true;
    try {
      this.socket?.send(entry.frame);
    } catch {
      // A socket that throws on send is about to close; its close handler fails the invoke.
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      this.warn('ignored a binary frame from the engine');
      return;
    }
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      this.warn('ignored a frame that is not JSON');
      return;
    }
    if (frame.kind === 'result') {
      const entry = this.pending.get(frame.id);
      if (!entry) return;
      this.pending.delete(frame.id);
      entry.resolve(frame.result);
    } else if (frame.kind === 'events' && Array.isArray(frame.events)) {
      for (const envelope of frame.events) this.emit(envelope);
    } else {
      this.warn(`ignored an unknown frame kind ${JSON.stringify((frame as { kind?: unknown }).kind)}`);
    }
  }

  private emit(envelope: EventEnvelope): void {
    const set = this.listeners.get(envelope.name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(envelope.payload);
      } catch (error) {
        // One broken subscriber must not stop the others from hearing the event.
        this.warn(`listener for ${envelope.name} failed: ${(error as Error).message}`);
      }
    }
  }

  private failPending(message: string): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) entry.resolve(unavailable(message));
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    for (const listener of [...this.stateListeners]) listener(state);
  }
}
