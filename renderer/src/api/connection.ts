/** Whether the UI can reach the engine right now. */
export type ConnectionState = 'connecting' | 'open' | 'offline';

/** Where the store learns about the connection, whichever transport backs the api. */
export interface ConnectionSource {
  readonly state: ConnectionState;
  subscribe(listener: (state: ConnectionState) => void): () => void;
  /** Skips any backoff wait; a no-op for transports that cannot drop. */
  reconnectNow(): void;
}

/** Electron's IPC lives as long as the window: it is always connected. */
export const alwaysOpen: ConnectionSource = {
  state: 'open',
  subscribe: () => () => undefined,
  reconnectNow: () => undefined,
};
