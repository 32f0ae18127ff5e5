import type { ControlRoomApi } from '../../../src/shared/contract.js';
import { alwaysOpen, type ConnectionSource } from './connection.js';
import { WsClient } from './ws-client.js';

export type { ConnectionSource, ConnectionState } from './connection.js';

declare global {
  interface Window {
    /** Set by Electron's preload; absent in browser mode. */
    controlRoom?: ControlRoomApi;
  }
}

export type TransportKind = 'ipc' | 'websocket';

export interface Transport {
  kind: TransportKind;
  api: ControlRoomApi;
  connection: ConnectionSource;
}

/** The WebSocket endpoint of the engine that served this page (browser mode). */
export function webSocketUrl(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
}

/**
 * Picks the transport once, at start-up: the preload's bridge when Electron provided
 * one, else a WebSocket to the engine that served the page. Auth in browser mode is an
 * HttpOnly cookie the server set when the page loaded, sent with the upgrade by the
 * browser, so no token is ever handled here.
 */
export function createTransport(win: Window = window): Transport {
  const bridge = win.controlRoom;
  if (bridge && typeof bridge.invoke === 'function' && typeof bridge.on === 'function') {
    return { kind: 'ipc', api: bridge, connection: alwaysOpen };
  }
  const client = new WsClient({ url: webSocketUrl(win.location) });
  // Waking a laptop or rejoining a network should not wait out a 10 s backoff.
  win.addEventListener('online', () => client.reconnectNow());
  return { kind: 'websocket', api: client, connection: client };
}
